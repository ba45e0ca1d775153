// OpReplies: an operation the DC sends again runs once; its answer is repeated; a dead sender is forgotten.
import assert from "node:assert/strict";
import { test } from "node:test";
import { OpReplies } from "../../../src/daemon/op-replies.js";

const ok = { rc: 0, status: "done", reason: "", durationMs: 5 } as const;

test("a repeat while the operation runs is ignored; after the answer it gets the same answer", () => {
  const r = new OpReplies();
  assert.equal(r.arrive("n1", 4, "0"), "new");
  assert.equal(r.arrive("n1", 4, "0"), "running");
  r.answered("n1", 4, "0", ok);
  assert.deepEqual(r.arrive("n1", 4, "0"), ok);
  assert.equal(r.arrive("n1", 4, "1"), "new", "another action of the transition is new");
  assert.equal(r.arrive("n2", 4, "0"), "new", "the same numbers from another DC are new");
});

test("a sender that died or restarted is forgotten: its transition numbers start over", () => {
  const r = new OpReplies();
  r.arrive("n1", 1, "0");
  r.answered("n1", 1, "0", ok);
  r.arrive("n2", 1, "0");
  r.forget("n1");
  assert.equal(r.arrive("n1", 1, "0"), "new");
  assert.equal(r.arrive("n2", 1, "0"), "running");
});

test("bounded: the oldest operations are forgotten first", () => {
  const r = new OpReplies(3);
  for (let i = 0; i < 5; i++) r.arrive("n1", 1, String(i));
  assert.equal(r.size, 3);
  assert.equal(r.arrive("n1", 1, "4"), "running");
  assert.equal(r.arrive("n1", 1, "0"), "new");
});

test("an answer for an operation never seen (or forgotten) is not remembered", () => {
  const r = new OpReplies();
  r.answered("n1", 9, "9", ok);
  assert.equal(r.size, 0);
});
