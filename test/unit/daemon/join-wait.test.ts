// join-wait.ts: which join answers a new DC counts, and when its wait ends.
import assert from "node:assert/strict";
import { test } from "node:test";
import { JoinWait } from "../../../src/daemon/join-wait.js";

test("queries are numbered; the first answer to one of the wait's queries counts, repeats do not", () => {
  const w = new JoinWait();
  assert.deepEqual(w.ask(["n2", "n3"], 1000, false), [
    ["n2", 1],
    ["n3", 2],
  ]);
  assert.deepEqual(w.ask(["n2"], 1500, true), [["n2", 3]], "asked again within the wait");
  assert.equal(w.answer("n2", 0), false, "a number never sent to n2 in this wait");
  assert.equal(w.answer("n2", 2), false, "n3's query number");
  assert.equal(w.answer("n2", 1), true, "an answer to the first query of the wait counts");
  assert.equal(w.answer("n2", 3), false, "the answer to the repeat does not count again (seed 6012)");
  assert.equal(w.waiting, true);
  assert.equal(w.answer("n3", undefined), true, "an older hbd's answer without a number counts once");
  assert.equal(w.waiting, false);
  assert.equal(w.answer("n3", undefined), false);
});

test("a wait ends at its deadline (the later one when peers are added) or when forced; late answers do not count", () => {
  const w = new JoinWait();
  w.ask(["n2"], 1000, false);
  w.ask(["n3"], 1200, true);
  assert.equal(w.expire(1100, false), undefined);
  assert.deepEqual(w.expire(1200, false), ["n2", "n3"]);
  assert.equal(w.answer("n2", 1), false, "after the wait ended");
  w.ask(["n2"], 2000, false);
  assert.deepEqual(w.expire(0, true), ["n2"], "forced: the node is no longer DC");
  w.ask(["n2", "n3"], 5000, false);
  assert.equal(w.forget("n2"), false, "n3 still to answer");
  assert.equal(w.forget("n2"), false, "not asked");
  assert.equal(w.forget("n3"), true, "the last lost peer ends the wait");
});

test("a new wait forgets the peers it does not ask again; asking nobody ends the wait", () => {
  const w = new JoinWait();
  w.ask(["n2", "n3"], 1000, false);
  w.ask(["n3"], 2000, false);
  assert.deepEqual(w.peers, ["n3"]);
  assert.equal(w.answer("n3", 2), true, "n3's first query of the still open wait");
  w.ask(["n2"], 3000, false);
  w.ask([], 3000, false);
  assert.equal(w.waiting, false);
});
