// Goal: the DC's transition runner (transition-runner.ts) on its own: remote actions are sent, resent with a doubling wait and
// timed out; results are recorded unless the action never ran (refused, differing views, abdication, abort); the run budget and
// the view hold stop transitions; a shutdown runs only its own actions; the DC itself is fenced through a peer.
// Method: one TransitionRunner with recording ports, a manual clock and a small CIB (one Dummy primitive, nodes n1 and n2).
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Cib } from "../../../src/cib/model.js";
import { parseCib } from "../../../src/cib/parse.js";
import type { CrmMessage } from "../../../src/daemon/crm-messages.js";
import type { FenceResult } from "../../../src/daemon/fencing.js";
import {
  OP_RESEND_MAX_MS,
  OP_RESEND_MS,
  recordedRc,
  TransitionRunner,
} from "../../../src/daemon/transition-runner.js";
import type { GraphAction } from "../../../src/exec/graph.js";
import type { ActionRequest, ActionResult } from "../../../src/exec/types.js";
import { doneResult } from "../../helpers.js";

function cibOf(resources: string): Cib {
  const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.0"><configuration>
<crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
<nodes><node id="n1" uname="n1"/><node id="n2" uname="n2"/></nodes>
<resources>${resources}</resources><constraints/></configuration><status>
<node_state id="n1" uname="n1" in_ccm="true" crmd="online" join="member" expected="member"/>
<node_state id="n2" uname="n2" in_ccm="true" crmd="online" join="member" expected="member"/>
</status></cib>`;
  const p = parseCib(xml);
  if (p.value === undefined) throw new Error(JSON.stringify(p.diagnostics));
  return p.value;
}

const DUMMY = `<primitive id="rsc" class="ocf" provider="heartbeat" type="Dummy"/>`;
const AGENT = { class: "ocf", provider: "heartbeat", type: "Dummy" } as const;

class Rig {
  mono = 1000;
  dc = true;
  active = new Set(["n2"]);
  cib: Cib;
  readonly sent: { msg: CrmMessage; dest: string }[] = [];
  readonly statuses: Cib[] = [];
  readonly claims: string[] = [];
  readonly fenced: string[] = [];
  readonly fenceCalls: string[] = [];
  readonly errors: string[] = [];
  kicks = 0;
  policyInput = (c: Cib): Cib => ({ ...c, haveQuorum: true });
  /** Local actions wait until released by hand when set. */
  hold: ((r: ActionResult) => void)[] | undefined;
  readonly runner: TransitionRunner;

  constructor(resources = DUMMY, maxRuns = 20) {
    this.cib = cibOf(resources);
    this.runner = new TransitionRunner(
      {
        localNode: "n1",
        log: {
          debug: () => {},
          info: () => {},
          warn: () => {},
          error: (_f, m) => this.errors.push(m),
        },
        now: () => 1_800_000_000_000 + this.mono,
        monotonic: () => this.mono,
        send: (msg, dest) => this.sent.push({ msg, dest }),
        generationOf: (n) => (n === "n2" ? 7 : undefined),
        shipped: new Set(),
        cib: () => this.cib,
        setStatus: (c) => {
          this.cib = c;
          this.statuses.push(c);
        },
        policyInput: (c) => this.policyInput(c),
        isDc: () => this.dc,
        isActive: (n) => this.active.has(n),
        activeNodes: () => this.active,
        downNodes: () => ["n3"],
        execHere: (req: ActionRequest) =>
          this.hold === undefined
            ? Promise.resolve(doneResult(req, req.op === "monitor" ? 7 : 0))
            : new Promise((r) => this.hold?.push(r)),
        fenceHere: (t): Promise<FenceResult> => {
          this.fenceCalls.push(t);
          return Promise.resolve({ ok: true, reason: "ok", durationMs: 3 });
        },
        fenced: (t) => this.fenced.push(t),
        claimTo: (n) => this.claims.push(n),
        kick: () => this.kicks++,
      },
      { opMarginMs: 5000, maxRuns, viewHoldMs: 500 },
    );
  }

  ops(): Extract<CrmMessage, { k: "op" }>[] {
    return this.sent.flatMap((s) => (s.msg.k === "op" ? [s.msg] : []));
  }
}

const settle = () => new Promise((r) => setImmediate(r));

function action(over: Partial<GraphAction> = {}): GraphAction {
  return { id: "a1", rsc: "rsc", op: "start", node: "n2", agent: AGENT, timeoutMs: 2000, ...over };
}

function resultFor(op: Extract<CrmMessage, { k: "op" }>, rc: number) {
  return {
    k: "result" as const,
    tid: op.tid,
    aid: op.aid,
    rc,
    status: "done" as const,
    reason: "",
    durationMs: 4,
  };
}

test("a remote action goes out with the target's generation and the down nodes; its result is recorded", async () => {
  const rig = new Rig();
  const p = rig.runner.runAction(5, action());
  const [op] = rig.ops();
  assert.equal(rig.sent[0]?.dest, "n2");
  assert.deepEqual(
    { tid: op?.tid, aid: op?.aid, op: op?.op, tg: op?.tg, down: op?.down, timeoutMs: op?.timeoutMs },
    { tid: 5, aid: "a1", op: "start", tg: 7, down: ["n3"], timeoutMs: 2000 },
  );
  rig.runner.onResult("n3", resultFor(op as Extract<CrmMessage, { k: "op" }>, 0)); // from another node: ignored
  rig.runner.onResult("n2", resultFor(op as Extract<CrmMessage, { k: "op" }>, 0));
  const r = await p;
  assert.equal(r.rc, 0);
  assert.equal(r.durationMs, 4);
  assert.equal(rig.statuses.length, 1, "recorded once");
  const ops = rig.cib.status.find((s) => s.uname === "n2")?.lrmResources.find((x) => x.id === "rsc")?.ops;
  assert.equal(ops?.[0]?.rcCode, 0);
});

test("an unanswered action is sent again after a doubling wait, and times out at its deadline (timeout + margin)", async () => {
  const rig = new Rig();
  const p = rig.runner.runAction(1, action({ timeoutMs: 20_000 }));
  const at: number[] = [];
  for (let t = 1000; t < 1000 + 20_000 + 5000; t += 100) {
    rig.mono = t;
    const before = rig.sent.length;
    rig.runner.expire(t);
    if (rig.sent.length > before) at.push(t - 1000);
  }
  // 1 s, then 2, 4 and 8 s (the maximum) between repeats.
  assert.equal(OP_RESEND_MS, 1000);
  assert.equal(OP_RESEND_MAX_MS, 8000);
  assert.deepEqual(at, [1000, 3000, 7000, 15_000, 23_000]);
  assert.ok(rig.sent.every((s) => s.dest === "n2" && s.msg.k === "op" && s.msg.aid === "a1"));
  rig.runner.expire(1000 + 25_000);
  const r = await p;
  assert.equal(r.status, "timeout");
  assert.equal(r.reason, "no result from n2");
  assert.equal(rig.statuses.length, 1, "a timeout is recorded (as a failure)");
});

test("differing views: not recorded, and no transition before the view hold ends", async () => {
  const rig = new Rig();
  const p = rig.runner.runAction(1, action());
  const op = rig.ops()[0] as Extract<CrmMessage, { k: "op" }>;
  rig.runner.onResult("n2", { ...resultFor(op, 1), differs: true, reason: "n2 hears n3" });
  const r = await p;
  assert.equal(r.reason, "n2 hears n3");
  assert.equal(rig.statuses.length, 0);
  assert.equal(rig.runner.dirty, true, "a changed input");
  rig.runner.startIfDue(true);
  assert.equal(rig.runner.count, 0, "held");
  rig.mono += 500;
  rig.runner.startIfDue(true);
  assert.equal(rig.runner.count, 1, "runs once the hold is over");
});

test("a refusal (another DC) is not recorded and our claim is sent to the refuser", async () => {
  const rig = new Rig();
  const p = rig.runner.runAction(1, action());
  const op = rig.ops()[0] as Extract<CrmMessage, { k: "op" }>;
  rig.runner.onResult("n2", { ...resultFor(op, 1), refused: true });
  const r = await p;
  assert.match(r.reason, /n2 refused: it does not take n1 for its DC/);
  assert.deepEqual(rig.claims, ["n2"]);
  assert.equal(rig.statuses.length, 0);
});

test("after abdicating, actions in flight end unrecorded and new ones are not run", async () => {
  const rig = new Rig();
  const p = rig.runner.runAction(1, action());
  rig.dc = false;
  rig.runner.expire(rig.mono);
  assert.match((await p).reason, /no longer the DC/);
  const q = await rig.runner.runAction(1, action({ id: "a2" }));
  assert.match(q.reason, /no longer the DC/);
  assert.equal(rig.ops().length, 1, "the second action was never sent");
  assert.equal(rig.statuses.length, 0);
});

test("failPendingOn: a node that left fails its actions (recorded only while it is active); one that acted as DC does not", async () => {
  const rig = new Rig();
  const p = rig.runner.runAction(1, action());
  const q = rig.runner.runAction(1, action({ id: "a2", node: "n2", rsc: "rsc" }));
  rig.runner.failPendingOn("n2", "n2 acted as DC", true);
  assert.equal((await p).reason, "n2 acted as DC");
  await q;
  assert.equal(rig.statuses.length, 0);
  const s = rig.runner.runAction(2, action({ id: "a3" }));
  rig.active.delete("n2");
  rig.runner.failPendingOn("n2", "node n2 left the membership");
  assert.equal((await s).rc, 1);
  assert.equal(rig.statuses.length, 0, "not recorded: the node left");
  assert.equal((await rig.runner.runAction(2, action({ id: "a4" }))).reason, "node n2 is not active");
});

test("a transition runs the policy's actions; a change while it runs aborts the actions not started yet", async () => {
  const rig = new Rig();
  rig.hold = [];
  rig.runner.changed();
  rig.runner.startIfDue(true);
  assert.equal(rig.runner.running, true);
  assert.equal(rig.runner.count, 1);
  assert.ok(rig.runner.lastTransition !== undefined);
  rig.runner.changed(); // an outside change while it runs
  for (const op of rig.ops()) rig.runner.onResult("n2", resultFor(op, 7));
  for (const h of rig.hold) h(doneResult({ rscId: "rsc", op: "monitor", intervalMs: 0 }, 7));
  await settle();
  await settle();
  assert.equal(rig.runner.running, false);
  assert.equal(rig.runner.dirty, true, "checks again");
  assert.ok(rig.kicks >= 2);
});

test("the run budget: maxRuns transitions in a row without an outside change, then it waits for one", async () => {
  const rig = new Rig(DUMMY, 2);
  const pristine = rig.cib;
  rig.policyInput = () => ({ ...pristine, haveQuorum: true }); // every run probes again
  rig.runner.changed();
  for (let i = 0; i < 3; i++) {
    rig.runner.startIfDue(true);
    for (const op of rig.ops()) rig.runner.onResult("n2", resultFor(op, 7));
    await settle();
    await settle();
  }
  assert.equal(rig.runner.count, 2);
  assert.equal(rig.runner.dirty, false, "given up");
  assert.match(rig.errors.at(-1) ?? "", /2 transitions in a row did not settle the cluster/);
  rig.runner.changed(); // an outside change: a fresh budget
  rig.runner.startIfDue(true);
  assert.equal(rig.runner.count, 3);
});

test("stable: no actions, nothing runs and nothing is saved", () => {
  const rig = new Rig("");
  rig.runner.changed();
  rig.runner.startIfDue(true);
  assert.equal(rig.runner.count, 0);
  assert.equal(rig.runner.running, false);
  assert.equal(rig.runner.dirty, false);
  rig.runner.changed();
  rig.runner.startIfDue(false);
  assert.equal(rig.runner.dirty, true, "not ready (join wait): still due");
});

test("shutdown: only the release's own transition runs actions", async () => {
  const rig = new Rig();
  const tid = rig.runner.beginRelease();
  assert.equal(rig.runner.releasing, true);
  const other = await rig.runner.runAction(tid - 1, action({ node: "n1", op: "stop" }));
  assert.match(other.reason, /n1 is shutting down/);
  const own = await rig.runner.runAction(tid, action({ node: "n1", op: "stop" }));
  assert.equal(own.rc, 0);
  rig.runner.changed();
  rig.runner.startIfDue(true);
  assert.equal(rig.runner.count, 1, "startIfDue itself does not check releasing: the controller's kick does");
});

test("fencing: another node is fenced here and recorded; the DC itself is fenced by the lowest active peer", async () => {
  const rig = new Rig();
  rig.active = new Set(["n3", "n2"]);
  const fence = (node: string) =>
    action({ id: `f-${node}`, op: "fence", node, rsc: node, agent: { ...AGENT, params: { action: "off" } } });
  const r = await rig.runner.runAction(1, fence("n2"));
  assert.equal(r.rc, 0);
  assert.deepEqual(rig.fenceCalls, ["n2"]);
  assert.deepEqual(rig.fenced, ["n2"]);
  assert.equal(rig.statuses.length, 1);
  const p = rig.runner.runAction(1, fence("n1"));
  const op = rig.ops()[0] as Extract<CrmMessage, { k: "op" }>;
  assert.equal(rig.sent[0]?.dest, "n2");
  assert.deepEqual({ op: op.op, rsc: op.rsc }, { op: "fence", rsc: "n1" });
  rig.runner.onResult("n2", { ...resultFor(op, 1), status: "error", reason: "device error" });
  assert.equal((await p).rc, 1);
  assert.match(rig.errors.at(-1) ?? "", /fencing n1 failed \(device error\); retrying in 1000 ms/);
  rig.runner.changed();
  rig.runner.startIfDue(true);
  assert.equal(rig.runner.count, 0, "held after a failed fencing");
  rig.active = new Set();
  const alone = await rig.runner.runAction(1, fence("n1"));
  assert.match(alone.reason, /no other active node can do it/);
});

test("recordedRc: a timeout or error that reports success or not-running counts as a failure", () => {
  const base = doneResult({ rscId: "r", op: "start", intervalMs: 0 }, 0);
  assert.equal(recordedRc(base), 0);
  assert.equal(recordedRc({ ...base, rc: 7 }), 7);
  assert.equal(recordedRc({ ...base, status: "timeout" }), 1);
  assert.equal(recordedRc({ ...base, status: "error", rc: 7 }), 1);
  assert.equal(recordedRc({ ...base, status: "error", rc: 5 }), 5);
});
