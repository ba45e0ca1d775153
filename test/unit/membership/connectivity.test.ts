// Goal: ipfail's rule with hysteresis, as pure logic: the node that reaches fewer ping nodes than its peer
// gives up only after the difference has lasted giveUpAfterMs; equal counts (both lost the same ping
// nodes) move nothing; a flapping count does not bounce; recovery waits recoverAfterMs of good counts.
// Method: ConnectivityRule fed hand-made count sequences with explicit times.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ConnectivityRule } from "../../../src/membership/connectivity.js";

const opts = { giveUpAfterMs: 2000, recoverAfterMs: 10_000 };

test("fewer ping nodes than the peer for giveUpAfterMs: give up once", () => {
  const r = new ConnectivityRule(opts);
  assert.equal(r.update(1, 1, 0).kind, "none");
  assert.equal(r.update(0, 1, 1000).kind, "none");
  assert.equal(r.update(0, 1, 2999).kind, "none");
  assert.deepEqual(r.update(0, 1, 3000), { kind: "give-up", local: 0, peer: 1 });
  assert.equal(r.holding, true);
  assert.equal(r.update(0, 1, 9000).kind, "none", "gave up twice");
});

test("both lose the same ping nodes: nothing moves; more than the peer: nothing moves", () => {
  const r = new ConnectivityRule(opts);
  for (let t = 0; t <= 60_000; t += 1000) assert.equal(r.update(0, 0, t).kind, "none");
  for (let t = 60_000; t <= 90_000; t += 1000) assert.equal(r.update(2, 1, t).kind, "none");
  assert.equal(r.holding, false);
});

test("a flapping count shorter than giveUpAfterMs never gives up; no peer report decides nothing", () => {
  const r = new ConnectivityRule(opts);
  for (let t = 0; t < 30_000; t += 1500) {
    assert.equal(r.update(0, 1, t).kind, "none");
    assert.equal(r.update(1, 1, t + 750).kind, "none");
  }
  assert.equal(r.update(0, undefined, 40_000).kind, "none");
  assert.equal(r.update(0, undefined, 50_000).kind, "none");
  assert.equal(r.holding, false);
});

test("recovery only after recoverAfterMs of counts at least the peer's; a relapse restarts the wait", () => {
  const r = new ConnectivityRule(opts);
  r.update(0, 1, 0);
  assert.equal(r.update(0, 1, 2000).kind, "give-up");
  assert.equal(r.update(1, 1, 3000).kind, "none");
  assert.equal(r.update(0, 1, 8000).kind, "none"); // flapped back: the wait starts again
  assert.equal(r.update(1, 1, 9000).kind, "none");
  assert.equal(r.update(1, 1, 18_999).kind, "none");
  assert.deepEqual(r.update(1, 1, 19_000), { kind: "recover", local: 1, peer: 1 });
  assert.equal(r.holding, false);
});
