// Goal: the freshness gate (freshness.ts) takes a Tandem peer's frames only once it echoed this run's nonce,
// keeps Heartbeat peers as before, treats a downgrade as a restart, and holds a known peer's messages until it speaks.
// Method: the pure Freshness object fed frame facts by hand.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Prng } from "../../../src/base/prng.js";
import { Freshness, newNonce } from "../../../src/daemon/freshness.js";

const status = (generation: number, nonce?: string, echo?: string) => ({
  status: true,
  generation,
  nonce,
  echo,
});
const other = (generation: number) => ({ status: false, generation, nonce: undefined, echo: undefined });

test("nonces are 16 hex digits and differ between runs", () => {
  const a = newNonce(new Prng(1));
  assert.match(a, /^[0-9a-f]{16}$/);
  assert.notEqual(a, newNonce(new Prng(2)));
});

test("a Tandem peer is taken once its status echoes our nonce; its other messages only in that generation", () => {
  const f = new Freshness("a", "00000000000000aa");
  assert.equal(f.gate("b", status(7, "bb", "a:0000000000000001")), "unproven", "an old nonce of ours");
  assert.equal(f.gate("b", status(7, "bb")), "unproven", "no echo");
  assert.equal(f.learn("b", 7, "00000000000000bb"), true, "a new nonce: answer at once");
  assert.equal(f.learn("b", 7, "00000000000000bb"), false);
  assert.equal(f.echo(), "b:00000000000000bb");
  f.accepted("b", status(7, "bb"));
  assert.equal(f.gate("b", other(7)), "unproven", "capable, not proven: its CRM messages wait");
  const proof = status(7, "bb", "c:0000000000000003 a:00000000000000aa");
  assert.equal(f.gate("b", proof), "ok");
  f.accepted("b", proof);
  assert.equal(f.proven("b", 7), true);
  assert.equal(f.gate("b", other(7)), "ok");
  assert.equal(f.gate("b", other(8)), "unproven", "a restart must prove itself again");
  assert.equal(f.learn("b", 6, "0000000000000066"), false, "an older generation's nonce is not learned");
  assert.equal(f.learn("b", 7, "not hex!"), false);
});

test("Heartbeat peers (no tnonce) are taken as before; a downgrade is taken only as a restart", () => {
  const f = new Freshness("a", "aa");
  assert.equal(f.gate("hb", other(3)), "ok", "nothing known: as before");
  assert.equal(f.gate("hb", status(3)), "ok");
  f.accepted("hb", status(3));
  assert.equal(f.gate("hb", other(3)), "ok");
  assert.equal(f.echo(), undefined);
  // A Tandem peer seen in generation 5 sends a status without tnonce: only a newer generation is believed.
  f.accepted("t", status(5, "cc", "a:aa"));
  assert.equal(f.gate("t", status(5)), "unproven");
  assert.equal(f.gate("t", status(6)), "ok");
});

test("a peer known from the previous run: its other messages wait for its first status of this run", () => {
  const f = new Freshness("a", "aa");
  f.seed(["b"]);
  assert.equal(f.gate("b", other(9)), "unproven");
  f.accepted("b", status(9));
  assert.equal(f.gate("b", other(9)), "ok", "a Heartbeat peer once it spoke");
});
