// Goal: the simulation inputs of `hbctl simulate` (node up/down/fail, op failure) and the post-transition CIB behave as Pacemaker's crm_simulate would.
// Method: apply them to golden scenario CIBs, schedule, and check the decisions; check that inputs are never mutated.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { test } from "node:test";
import { parseCib } from "../../../src/cib/index.js";
import type { Cib } from "../../../src/cib/model.js";
import { nvMap } from "../../../src/cib/query.js";
import {
  applyTransition,
  isStable,
  nodeDown,
  nodeFail,
  nodeUp,
  opFail,
  parseOpFailSpec,
  renderOracle,
  schedule,
  type Transition,
} from "../../../src/policy/index.js";
import { scheduleSummary } from "../../../src/policy/schedule.js";
import { fixturePath, readFixture } from "../../helpers.js";

const NOW = Date.parse("2024-01-01T00:00:00Z");

function load(dir: string, name: string): Cib {
  const parsed = parseCib(readFixture(dir, `${name}.xml`));
  assert.ok(parsed.value);
  return parsed.value;
}
const where = (t: Transition, rsc: string): string => {
  const p = t.placements.find((x) => x.rsc === rsc);
  return p === undefined ? "?" : p.role === "Stopped" ? "Stopped" : p.nodes.join(",");
};
const actions = (t: Transition): string[] =>
  t.actions
    .filter((a) => a.op === "start" || a.op === "stop" || a.op === "fence")
    .map((a) => `${a.op} ${a.rsc ?? a.detail} ${a.node}`);

test("parseOpFailSpec", () => {
  const rows: [string, ReturnType<typeof parseOpFailSpec>][] = [
    ["vip_monitor_10000@n1=7", { rsc: "vip", op: "monitor", intervalMs: 10_000, node: "n1", rc: 7 }],
    [
      "IPaddr_192_168_1_100_start_0@n2=1",
      { rsc: "IPaddr_192_168_1_100", op: "start", intervalMs: 0, node: "n2", rc: 1 },
    ],
    ["db_migrate_to_0@node-a=5", { rsc: "db", op: "migrate_to", intervalMs: 0, node: "node-a", rc: 5 }],
    ["vip_monitor@n1=7", undefined],
    ["vip_monitor_10000@n1", undefined],
    ["vip_frobnicate_0@n1=1", undefined],
  ];
  for (const [text, want] of rows) assert.deepEqual(parseOpFailSpec(text), want, text);
});

test("node down (clean): the group moves to the other node; the input CIB is untouched", () => {
  const cib = load("policy", "02-group-steady-state");
  const before = JSON.stringify(cib);
  const t = schedule(nodeDown(cib, "n2"), NOW);
  assert.equal(JSON.stringify(cib), before);
  assert.equal(t.nodes.find((n) => n.uname === "n2")?.status, "offline");
  assert.deepEqual(
    ["vip", "lvs", "ldirectord"].map((r) => where(t, r)),
    ["n1", "n1", "n1"],
  );
  assert.deepEqual(actions(t), ["start vip n1", "start lvs n1", "start ldirectord n1"]);
});

test("node fail without fencing: resources assumed stopped, started elsewhere (as scenario 31)", () => {
  const t = schedule(nodeFail(load("policy", "02-group-steady-state"), "n2"), NOW);
  assert.equal(t.nodes.find((n) => n.uname === "n2")?.status, "offline");
  assert.deepEqual(actions(t), ["start vip n1", "start lvs n1", "start ldirectord n1"]);
});

test("node fail with a fencing device: fence first, then recover", () => {
  const cib = nodeFail(load("policy-extra", "y06-failed-stop-fence-device"), "n2");
  const t = schedule(cib, NOW);
  const fences = t.actions.filter((a) => a.op === "fence").map((a) => a.node);
  assert.deepEqual(fences.sort(), ["n1", "n2"]);
  assert.equal(where(t, "vip"), "Stopped");
  assert.ok(t.summary.some((s) => s.verb === "fence" && s.node === "n2"));
});

test("node up: a node that was offline joins and takes the group it prefers", () => {
  const cib = load("policy", "13-node-offline");
  const t = schedule(nodeUp(cib, "n1"), NOW);
  assert.equal(t.nodes.find((n) => n.uname === "n1")?.status, "online");
  assert.deepEqual(
    ["vip", "lvs", "ldirectord"].map((r) => where(t, r)),
    ["n1", "n1", "n1"],
  );
  const fresh = nodeUp(cib, "n9");
  assert.ok(fresh.configuration.nodes.some((n) => n.uname === "n9"));
  assert.equal(schedule(fresh, NOW).nodes.find((n) => n.uname === "n9")?.status, "online");
});

test("op failures count up until migration-threshold moves the resource (08 -> 29)", () => {
  let cib = load("policy", "08-monitor-fail-threshold-3");
  const spec = parseOpFailSpec("vip_monitor_10000@n1=7");
  assert.ok(spec);
  const attrs = (c: Cib): Record<string, string> =>
    nvMap(c.status.find((s) => s.uname === "n1")?.transientAttributes ?? []);
  cib = opFail(cib, spec, NOW);
  assert.equal(attrs(cib)["fail-count-vip#monitor_10000"], "2");
  assert.equal(attrs(cib)["last-failure-vip#monitor_10000"], String(NOW / 1000));
  assert.equal(where(schedule(cib, NOW), "vip"), "n1", "two failures of three: recover in place");
  cib = opFail(cib, spec, NOW);
  assert.equal(attrs(cib)["fail-count-vip#monitor_10000"], "3");
  const t = schedule(cib, NOW);
  assert.equal(where(t, "vip"), "n2");
  assert.deepEqual(t.summary, [{ verb: "recover", rsc: "vip", node: "n1", to: "n2", blocked: false }]);
});

test("an injected monitor failure of the first group member recovers it and restarts the rest (as 32)", () => {
  const cib = opFail(
    load("policy", "02-group-steady-state"),
    { rsc: "vip", op: "monitor", intervalMs: 10_000, node: "n2", rc: 7 },
    NOW,
  );
  const t = schedule(cib, NOW);
  assert.deepEqual(
    t.summary.map((s) => `${s.verb} ${s.rsc}`),
    ["recover vip", "restart lvs", "restart ldirectord"],
  );
});

test("an injected start failure is fatal (fail count INFINITY), a successful probe is not a failure", () => {
  const failed = opFail(
    load("policy", "01-group-fresh-start"),
    { rsc: "vip", op: "start", intervalMs: 0, node: "n1", rc: 1 },
    NOW,
  );
  const n1 = nvMap(failed.status.find((s) => s.uname === "n1")?.transientAttributes ?? []);
  assert.equal(n1["fail-count-vip#start_0"], "INFINITY");
  assert.equal(where(schedule(failed, NOW), "vip"), "n2");
  const probed = opFail(
    load("policy", "01-group-fresh-start"),
    { rsc: "vip", op: "monitor", intervalMs: 0, node: "n2", rc: 7 },
    NOW,
  );
  assert.equal(
    nvMap(probed.status.find((s) => s.uname === "n2")?.transientAttributes ?? [])["fail-count-vip#monitor_0"],
    undefined,
  );
});

test("legacy feature set: the injected fail count uses the per-resource name", () => {
  const cib = opFail(
    load("policy", "27-legacy-failcount-name"),
    { rsc: "vip", op: "monitor", intervalMs: 10_000, node: "n2", rc: 7 },
    NOW,
  );
  assert.equal(
    nvMap(cib.status.find((s) => s.uname === "n2")?.transientAttributes ?? [])["fail-count-vip"],
    "1",
  );
});

test("applyTransition: the simulated result needs nothing more; fenced nodes go down", () => {
  for (const [dir, name] of [
    ["policy", "04-standby-moves-group"],
    ["policy", "32-group-first-member-recover"],
    ["policy-extra", "y05-node-lost-fence-device"],
  ] as const) {
    const cib = load(dir, name);
    const t = schedule(cib, NOW);
    const after = applyTransition(cib, t);
    const again = schedule(after, NOW);
    assert.deepEqual(actions(again), [], name);
    assert.equal(isStable(cib, t), true, name);
    assert.deepEqual(
      again.placements.map((p) => `${p.rsc}=${p.nodes.join(",")}`),
      t.placements.map((p) => `${p.rsc}=${p.nodes.join(",")}`),
      name,
    );
  }
  const y05 = load("policy-extra", "y05-node-lost-fence-device");
  const after = applyTransition(y05, schedule(y05, NOW));
  const n1 = after.status.find((s) => s.uname === "n1");
  assert.equal(n1?.expected, "down");
  assert.equal(n1?.lrmResources.length, 0);
});

test("renderOracle: --scores and --all add lines, the default output does not", () => {
  const cib = load("policy", "01-group-fresh-start");
  const t = schedule(cib, NOW);
  const plain = renderOracle(t, cib);
  assert.ok(plain.startsWith("# oracle v1\n"));
  assert.ok(!plain.includes("score ") && !plain.includes("monitor "));
  const full = renderOracle(t, cib, { scores: true, all: true, name: "x" });
  assert.ok(full.includes("score vip n1 0\n"));
  assert.ok(full.includes("action monitor vip on n1 interval=10000\n"));
  assert.ok(full.includes("order start vip on n1 -> monitor vip on n1 interval=10000\n"));
});

test("schedule is pure: same input, same output, input unchanged", () => {
  const cib = load("policy", "23-clone-and-colocated-group");
  const before = JSON.stringify(cib);
  const a = schedule(cib, NOW);
  const b = schedule(cib, new Date(NOW));
  assert.deepEqual(a, b);
  assert.equal(JSON.stringify(cib), before);
});

test("simulation inputs agree with crm_simulate's own injections (--op-inject, --node-fail, --node-down, --node-up)", () => {
  const spec = parseOpFailSpec("vip_monitor_10000@n2=7");
  assert.ok(spec);
  const cases: [string, Cib][] = [
    ["inject-02-op-fail-vip-monitor", opFail(load("policy", "02-group-steady-state"), spec, NOW)],
    ["inject-02-node-fail-n2", nodeFail(load("policy", "02-group-steady-state"), "n2")],
    ["inject-02-node-down-n2", nodeDown(load("policy", "02-group-steady-state"), "n2")],
    ["inject-13-node-up-n1", nodeUp(load("policy", "13-node-offline"), "n1")],
    ["inject-x08-node-fail-n2", nodeFail(load("policy-extra", "x08-failed-stop-with-fencing"), "n2")],
  ];
  for (const [name, cib] of cases)
    assert.equal(
      renderOracle(schedule(cib, NOW), cib, { name }),
      readFixture("policy-extra", `${name}.expected`),
      name,
    );
});

// isStable asks a second run for its summary only (scheduleSummary builds no action graph): it must be
// the summary schedule() gives, on every scenario and on its simulated result (where most are empty).
test("scheduleSummary is schedule().summary on every policy fixture and its simulated result", () => {
  let checked = 0;
  let moving = 0;
  for (const dir of ["policy", "policy-extra", "policy-i17", "policy-near", "policy-differs"])
    for (const f of readdirSync(fixturePath(dir)).filter((x) => x.endsWith(".xml"))) {
      const cib = load(dir, f.slice(0, -4));
      const t = schedule(cib, NOW);
      assert.deepEqual(scheduleSummary(cib, NOW), t.summary, `${dir}/${f}`);
      const after = applyTransition(cib, t);
      const again = schedule(after, NOW).summary;
      assert.deepEqual(scheduleSummary(after, NOW), again, `${dir}/${f} simulated`);
      checked++;
      if (again.length > 0) moving++;
    }
  assert.ok(
    checked > 150 && moving > 20,
    `${checked} fixtures, ${moving} with a summary after the transition`,
  );
});
