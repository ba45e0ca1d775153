// join.ts: a new DC records what a live node says it last ran where its copy of the status differs.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseCib } from "../../../src/cib/index.js";
import { resourceReports } from "../../../src/daemon/crm-cib.js";
import { leavesRunning, parseLastActions, reconcileNode } from "../../../src/daemon/join.js";
import { readFixture } from "../../helpers.js";

const cib = () => {
  const c = parseCib(readFixture("policy", "02-group-steady-state.xml")).value;
  assert.ok(c);
  return c;
};
const runningOn = (c: ReturnType<typeof cib>, node: string) =>
  new Set(
    resourceReports(c, new Set())
      .filter((r) => r.running.includes(node))
      .map((r) => r.id),
  );

test("what an action leaves: start running, stop rc 0 stopped, probe 0/7; a failed stop says nothing", () => {
  assert.equal(leavesRunning("start", 0), true);
  assert.equal(leavesRunning("start", 1), true);
  assert.equal(leavesRunning("stop", 0), false);
  assert.equal(leavesRunning("stop", 1), undefined);
  assert.equal(leavesRunning("monitor", 0), true);
  assert.equal(leavesRunning("monitor", 7), false);
  assert.equal(leavesRunning("monitor", 1), undefined);
});

test("a start the copy does not show is recorded (the new DC must not start it elsewhere)", () => {
  const c = cib();
  assert.deepEqual([...runningOn(c, "n1")], []);
  const r = reconcileNode(c, "n1", [["vip", "start", 0]], runningOn(c, "n1"), () => true, 1_704_067_200_000);
  assert.deepEqual(r.changed, ["vip"]);
  assert.ok(runningOn(r.cib, "n1").has("vip"));
});

test("a stop the copy does not show is recorded; agreeing and unknown resources change nothing", () => {
  const c = cib();
  const shown = runningOn(c, "n2");
  assert.ok(shown.has("vip"));
  const known = (rsc: string) => rsc !== "ghost";
  const r = reconcileNode(
    c,
    "n2",
    [
      ["vip", "stop", 0],
      ["lvs", "monitor", 0],
      ["ghost", "start", 0],
    ],
    shown,
    known,
    1_704_067_200_000,
  );
  assert.deepEqual(r.changed, ["vip", "ldirectord"], "ldirectord: shown running, never run by that hbd");
  assert.ok(!runningOn(r.cib, "n2").has("vip"));
  assert.ok(runningOn(r.cib, "n2").has("lvs"));
  assert.ok(!runningOn(r.cib, "n2").has("ldirectord"));
  const lrm = r.cib.status.find((ns) => ns.uname === "n2")?.lrmResources.map((x) => x.id);
  assert.ok(!lrm?.includes("ldirectord"), "its history is forgotten: the DC probes it again");
});

test("join-state payloads are checked", () => {
  assert.deepEqual(parseLastActions([["a", "start", 0]]), [["a", "start", 0]]);
  assert.equal(parseLastActions([["a", "start", "0"]]), undefined);
  assert.equal(parseLastActions([["a", "start"]]), undefined);
  assert.equal(parseLastActions("x"), undefined);
});

test("a failed start is recorded once though the copy shows the resource running (it was counted while starting)", () => {
  const c = cib();
  const shown = runningOn(c, "n2");
  assert.ok(shown.has("vip"));
  const r = reconcileNode(c, "n2", [["vip", "start", 1]], shown, () => true, 1_704_067_200_000);
  assert.ok(r.changed.includes("vip"));
  const ns = r.cib.status.find((x) => x.uname === "n2");
  const last = ns?.lrmResources.find((x) => x.id === "vip")?.ops.find((o) => o.id === "vip_last_0");
  assert.equal(last?.operation, "start");
  assert.equal(last?.rcCode, 1);
  const again = reconcileNode(
    r.cib,
    "n2",
    [["vip", "start", 1]],
    runningOn(r.cib, "n2"),
    () => true,
    1_704_067_200_000,
  );
  assert.ok(!again.changed.includes("vip"), "the same failure is not recorded twice (no second fail count)");
});
