// Goal: ipfail's rule with hysteresis, as pure logic: the node that reaches fewer ping nodes than its peer
// gives up only after the difference has lasted giveUpAfterMs; equal counts (both lost the same ping
// nodes) move nothing; a flapping count does not bounce; recovery waits recoverAfterMs of good counts.
// Method: ConnectivityRule fed hand-made count sequences with explicit times.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ConnectivityRule, freshWindowMs, PingTally } from "../../../src/membership/connectivity.js";

const opts = { giveUpAfterMs: 2000, recoverAfterMs: 10_000 };

test("fewer ping nodes than the peer for giveUpAfterMs: give up once", () => {
  const r = new ConnectivityRule(opts);
  assert.equal(r.update(1, 1, 0).kind, "none");
  assert.equal(r.update(0, 1, 1000).kind, "none");
  assert.equal(r.update(0, 1, 2999).kind, "none");
  assert.deepEqual(r.update(0, 1, 3000), { kind: "give-up", local: 0, peer: 1, proven: false });
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

test("the peer's fresh count above ours gives up at once (proven); a fresh count equal to ours waits the delay", () => {
  const r = new ConnectivityRule(opts);
  assert.equal(r.update(1, 1, 0).kind, "none");
  assert.deepEqual(r.update(0, 1, 1000, 1), { kind: "give-up", local: 0, peer: 1, proven: true });
  const s = new ConnectivityRule(opts);
  assert.equal(s.update(0, 1, 1000, 0).kind, "none", "the peer's reply is old too: maybe a shared loss");
  assert.equal(s.update(0, 1, 2999, 0).kind, "none");
  assert.deepEqual(s.update(0, 1, 3000, 0), { kind: "give-up", local: 0, peer: 1, proven: false });
  const t = new ConnectivityRule(opts);
  assert.equal(t.update(1, 1, 0, 1).kind, "none", "equal counts: nothing, fresh or not");
  assert.equal(t.update(0, undefined, 100, 1).kind, "none", "no peer count: nothing");
});

test("PingTally: counts the ping nodes up, and those that answered within a window", () => {
  const t = new PingTally();
  t.note("a", true, 0);
  t.note("b", true, 900);
  t.note("a", true, 1000);
  assert.equal(t.count, 2);
  assert.equal(t.fresh(1400, 500), 1, "only a replied within 500 ms");
  assert.equal(t.fresh(1400, 1000), 2);
  t.note("a", false, 1500);
  assert.equal(t.count, 1);
  assert.equal(t.fresh(1500, 1000), 1);
  assert.equal(freshWindowMs(3000), 1500);
});
