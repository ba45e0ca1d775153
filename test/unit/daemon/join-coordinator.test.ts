// Goal: the join (join-coordinator.ts) on its own: the DC asks live peers (numbered queries) and waits for their answers, records
// what an answer shows that its copy does not, ignores a stale answer; a peer answers only once its own actions have ended; a new
// DC waits for its own actions and then takes its own account again; shutdown counts a start the copy does not show.
// Method: one JoinCoordinator with recording ports, a fake LocalState whose drain is released by hand, and fixture 02.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseCib } from "../../../src/cib/index.js";
import type { Cib } from "../../../src/cib/model.js";
import type { CrmMessage } from "../../../src/daemon/crm-messages.js";
import type { LastActions } from "../../../src/daemon/join.js";
import { JoinCoordinator, runningOn } from "../../../src/daemon/join-coordinator.js";
import { readFixture } from "../../helpers.js";

const fixture = (): Cib => {
  const c = parseCib(readFixture("policy", "02-group-steady-state.xml")).value;
  assert.ok(c);
  return c;
};

class Rig {
  mono = 0;
  dc = true;
  cib = fixture();
  busy = false;
  last: LastActions = [];
  readonly starting = new Set<string>();
  private releases: (() => void)[] = [];
  readonly sent: { msg: CrmMessage; dest: string }[] = [];
  changes = 0;
  kicks = 0;
  readonly join: JoinCoordinator;

  constructor() {
    const rig = this;
    this.join = new JoinCoordinator({
      localNode: "n1",
      log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
      now: () => 1_704_067_200_000,
      monotonic: () => this.mono,
      send: (msg, dest) => this.sent.push({ msg, dest }),
      dcWaitMs: 1000,
      shipped: new Set(),
      local: {
        get busy() {
          return rig.busy;
        },
        get starting() {
          return rig.starting;
        },
        lastActions: () => this.last,
        drain: () => (this.busy ? new Promise<void>((r) => this.releases.push(r)) : Promise.resolve()),
      },
      cib: () => this.cib,
      setStatus: (c) => {
        this.cib = c;
      },
      isDc: () => this.dc,
      livePeers: () => ["n2", "n3"],
      changed: () => this.changes++,
      kick: () => this.kicks++,
    });
  }

  release(): void {
    this.busy = false;
    for (const r of this.releases.splice(0)) r();
  }
}

const settle = () => new Promise((r) => setImmediate(r));

test("the DC asks every live peer and waits; an answer showing a start the copy lacks is recorded; a stale one is not", () => {
  const rig = new Rig();
  rig.join.ask();
  const queries = rig.sent.map((s) => (s.msg.k === "join-query" ? `${s.dest} ${s.msg.j}` : s.msg.k));
  assert.equal(queries.length, 2);
  assert.equal(rig.join.waiting, true);
  const jOf = (dest: string) => {
    const m = rig.sent.find((s) => s.dest === dest)?.msg;
    return m?.k === "join-query" ? m.j : undefined;
  };
  rig.join.onAnswer("n2", (jOf("n2") ?? 0) + 100, [["vip", "start", 0]]); // not the query's number
  assert.equal(rig.changes, 0);
  rig.join.onAnswer("n2", jOf("n2"), [["vip", "start", 0]]);
  assert.ok(runningOn(rig.cib, "n2", new Set()).has("vip"));
  assert.equal(rig.changes, 1);
  assert.equal(rig.join.waiting, true, "n3 still to answer");
  assert.equal(rig.kicks, 0);
  rig.join.onAnswer("n3", jOf("n3"), []);
  assert.equal(rig.join.waiting, false);
  assert.equal(rig.kicks, 1);
});

test("the wait ends at the DC wait, or when the peer is lost", () => {
  const rig = new Rig();
  rig.join.ask();
  assert.equal(rig.join.forget("n2"), false, "n3 is still to answer");
  assert.equal(rig.join.forget("n9"), false);
  rig.mono = 999;
  rig.join.expire(rig.mono);
  assert.equal(rig.join.waiting, true);
  rig.mono = 1000;
  rig.join.expire(rig.mono);
  assert.equal(rig.join.waiting, false);
  const again = new Rig();
  again.join.ask();
  again.join.forget("n2");
  assert.equal(again.join.forget("n3"), true, "the last one lost ends the wait");
  assert.equal(again.join.waiting, false);
});

test("a peer answers a join query only once the actions running on it have ended", async () => {
  const rig = new Rig();
  rig.busy = true;
  rig.last = [["vip", "stop", 0]];
  const answered = rig.join.answer("n2", 4);
  await settle();
  assert.equal(rig.sent.length, 0);
  rig.release();
  await answered;
  assert.deepEqual(rig.sent, [{ msg: { k: "join-state", last: [["vip", "stop", 0]], j: 4 }, dest: "n2" }]);
  await rig.join.answer("n2", undefined);
  assert.deepEqual(rig.sent[1]?.msg, { k: "join-state", last: [["vip", "stop", 0]] }, "an unnumbered query");
});

test("a new DC waits for its own actions, then records its own account (a start running here counts)", async () => {
  const rig = new Rig();
  rig.busy = true;
  rig.join.awaitOwnOps();
  assert.equal(rig.join.waiting, true);
  rig.last = [["vip", "start", 0]];
  rig.release();
  await settle();
  assert.equal(rig.join.waiting, false);
  assert.ok(runningOn(rig.cib, "n1", new Set()).has("vip"));
  assert.equal(rig.kicks, 1);
  const fresh = new Rig();
  fresh.starting.add("vip");
  assert.ok(runningOn(fresh.join.withOwnAccount(fresh.cib), "n1", new Set()).has("vip"));
});

test("a DC that abdicated while waiting for its own actions records nothing", async () => {
  const rig = new Rig();
  rig.busy = true;
  rig.join.awaitOwnOps();
  rig.dc = false;
  rig.last = [["vip", "start", 0]];
  rig.release();
  await settle();
  assert.equal(rig.join.waiting, false);
  assert.equal(rig.changes, 0);
});

test("shutdown: a start the copy does not show counts as running here; a stop or an unknown resource does not", () => {
  const rig = new Rig();
  rig.last = [
    ["vip", "start", 0],
    ["gone", "start", 0],
  ];
  const out = rig.join.withLocalStarts(rig.cib);
  assert.deepEqual([...runningOn(out, "n1", new Set())].sort(), ["vip"]);
  rig.last = [["vip", "stop", 0]];
  assert.deepEqual([...runningOn(rig.join.withLocalStarts(rig.cib), "n1", new Set())], []);
});
