// Goal: the building blocks of the policy engine follow Pacemaker 2.1.5 (rule evaluation, fail counts, history replay, tie-breaks, colocation arithmetic).
// Method: table-driven checks of each exported piece, on hand-made values or tiny CIBs parsed from XML.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseCib } from "../../../src/cib/index.js";
import type { Cib, Expression, LrmRscOp, Primitive, Rule } from "../../../src/cib/model.js";
import { INFINITY } from "../../../src/cib/score.js";
import { applyColoc, chooseNode, merge, type Table } from "../../../src/policy/assign.js";
import { compareValues, evalExpression, evalRule, ruleScore } from "../../../src/policy/rules.js";
import { failCount, replayHistory, unpack, type WPrim } from "../../../src/policy/unpack.js";

const expr = (
  attribute: string,
  operation: Expression["operation"],
  value?: string,
  type?: string,
): Expression => ({
  kind: "expression",
  attribute,
  operation,
  ...(value !== undefined ? { value } : {}),
  ...(type !== undefined ? { type } : {}),
});

test("expressions compare like Pacemaker", () => {
  const attrs = { "#uname": "n1", pingd: "100", zero: "0", ver: "1.10.0", name: "Alpha" };
  const rows: [Expression, boolean][] = [
    [expr("#uname", "eq", "n1"), true],
    [expr("#uname", "eq", "N1"), true],
    [expr("#uname", "ne", "n1"), false],
    [expr("pingd", "gt", "20"), true],
    [expr("pingd", "lt", "20"), false],
    [expr("pingd", "gte", "100"), true],
    [expr("pingd", "lte", "99"), false],
    [expr("zero", "lte", "0", "number"), true],
    [expr("pingd", "eq", "100.0", "number"), true],
    [expr("pingd", "eq", "100.0"), false],
    [expr("ver", "gt", "1.9.5", "version"), true],
    [expr("ver", "gt", "1.9.5", "string"), false],
    [expr("pingd", "defined"), true],
    [expr("missing", "defined"), false],
    [expr("missing", "not_defined"), true],
    [expr("missing", "lte", "0"), false],
    [expr("missing", "eq", "x"), false],
    [expr("missing", "ne", "x"), true],
    [expr("name", "lt", "beta", "string"), false],
  ];
  for (const [e, want] of rows)
    assert.equal(
      evalExpression(e, attrs),
      want,
      `${e.attribute} ${e.operation} ${e.value ?? ""} ${e.type ?? ""}`,
    );
});

test("compareValues: numbers numerically, strings case-insensitively, fallback to strings", () => {
  const rows: [string, string, string | undefined, string, string][] = [
    ["10", "9", undefined, "gt", "gt"],
    ["10", "9", "string", "eq", "ne"],
    ["abc", "ABC", undefined, "eq", "eq"],
    ["abc", "abd", undefined, "lt", "lt"],
    ["2.5", "2", "integer", "eq", "eq"],
  ];
  for (const [l, r, type, op, want] of rows)
    assert.equal(compareValues(l, r, type, op), want, `${l} ${op} ${r}`);
});

test("rules combine with and/or, nest, and score by score-attribute", () => {
  const a = { "#uname": "n2", pingd: "200" };
  const rule = (booleanOp: "and" | "or", items: Rule["items"], extra: Partial<Rule> = {}): Rule => ({
    booleanOp,
    items,
    ...extra,
  });
  const isN1 = expr("#uname", "eq", "n1");
  const connected = expr("pingd", "gt", "0");
  assert.equal(evalRule(rule("and", [isN1, connected]), a, 0), false);
  assert.equal(evalRule(rule("or", [isN1, connected]), a, 0), true);
  assert.equal(evalRule(rule("and", []), a, 0), true);
  assert.equal(
    evalRule(rule("and", [{ kind: "rule", rule: rule("or", [isN1, connected]) }, connected]), a, 0),
    true,
  );
  const dated = (start: string, end: string): Rule =>
    rule("and", [
      {
        kind: "raw",
        element: { name: "date_expression", attrs: { operation: "in_range", start, end }, children: [] },
      },
    ]);
  const now = Date.parse("2024-01-01T00:00:00Z");
  assert.equal(evalRule(dated("2023-12-31", "2024-01-02"), a, now), true);
  assert.equal(evalRule(dated("2024-01-02", "2024-01-03"), a, now), false);
  assert.equal(ruleScore(rule("and", [], { score: 100 }), a), 100);
  assert.equal(ruleScore(rule("and", [], { scoreAttribute: "pingd" }), a), 200);
  assert.equal(ruleScore(rule("and", [], { scoreAttribute: "nope" }), a), -INFINITY);
});

test("fail counts: per-op names summed, legacy name only below feature set 3.0.13, INFINITY, failure-timeout", () => {
  const now = 1_704_067_200_000;
  const attrs = {
    "fail-count-vip#monitor_10000": "2",
    "fail-count-vip#start_0": "1",
    "last-failure-vip#monitor_10000": String(now / 1000 - 60),
    "fail-count-vip": "5",
    "fail-count-vip2#monitor_10000": "7",
    "fail-count-big#start_0": "INFINITY",
    "fail-count-big#monitor_10000": "3",
  };
  const rows: [string, boolean, number, number][] = [
    ["vip", true, 0, 3],
    ["vip", false, 0, 8],
    ["vip2", true, 0, 7],
    ["big", true, 0, INFINITY],
    ["vip", true, 30_000, 0],
    ["vip", true, 60_000, 3],
    ["vip", true, 120_000, 3],
    ["ping:1", true, 0, 0],
  ];
  for (const [rsc, perOp, timeout, want] of rows)
    assert.equal(
      failCount(attrs, rsc, perOp, timeout, now),
      want,
      `${rsc} perOp=${perOp} timeout=${timeout}`,
    );
});

const prim: Primitive = {
  kind: "primitive",
  id: "vip",
  class: "ocf",
  provider: "heartbeat",
  type: "IPaddr",
  instanceAttributes: [],
  metaAttributes: [],
  utilization: [],
  operations: [
    { name: "monitor", interval: "10s", intervalMs: 10_000, instanceAttributes: [], metaAttributes: [] },
    {
      name: "monitor",
      interval: "20s",
      intervalMs: 20_000,
      onFail: "stop",
      instanceAttributes: [],
      metaAttributes: [],
    },
  ],
};
let call = 0;
const op = (
  operation: string,
  rc: number,
  expected: number | undefined,
  intervalMs = 0,
  lastRcChange = 1_704_067_000,
): LrmRscOp => ({
  id: `op${++call}`,
  operation,
  callId: call,
  rcCode: rc,
  opStatus: 0,
  intervalMs,
  ...(expected !== undefined ? { transitionKey: `${call}:1:${expected}:uuid` } : {}),
  lastRcChange,
});

test("history replay: role, failures, on-fail, clearing, bans, expiry", () => {
  const ctx = {
    nowMs: 1_704_067_200_000,
    failureTimeoutMs: 0,
    managed: true,
    stonith: false,
    opDefaults: {},
  };
  const rows: [string, LrmRscOp[], Partial<ReturnType<typeof replayHistory>>, typeof ctx?][] = [
    ["probe not running", [op("monitor", 7, 7)], { role: "Stopped", failed: false }],
    ["probe finds it running", [op("monitor", 0, 7)], { role: "Started", failed: false }],
    [
      "started and monitored",
      [op("start", 0, 0), op("monitor", 0, 0, 10_000)],
      { role: "Started", failed: false },
    ],
    [
      "monitor failed",
      [op("start", 0, 0), op("monitor", 7, 0, 10_000)],
      { role: "Started", failed: true, onFail: "restart" },
    ],
    [
      "monitor with on-fail=stop failed",
      [op("start", 0, 0), op("monitor", 7, 0, 20_000)],
      { failed: true, onFail: "stop" },
    ],
    [
      "failure then stop and start clears it",
      [op("start", 0, 0), op("monitor", 7, 0, 10_000), op("stop", 0, 0), op("start", 0, 0)],
      { role: "Started", failed: false },
    ],
    ["stopped cleanly", [op("start", 0, 0), op("stop", 0, 0)], { role: "Stopped", failed: false }],
    ["failed start", [op("start", 1, 0)], { role: "Started", failed: true, banNode: false }],
    [
      "failed stop: blocked without fencing, node banned",
      [op("start", 0, 0), op("stop", 1, 0)],
      { role: "Started", failed: true, onFail: "block", banNode: true },
    ],
    ["not installed: hard error bans the node", [op("start", 5, 0)], { banNode: true, banAll: false }],
    ["not configured: fatal, bans every node", [op("start", 6, 0)], { banAll: true }],
    [
      "no transition key: any rc is a failure",
      [op("start", 0, undefined)],
      { role: "Started", failed: true },
    ],
    [
      "expired failure is ignored",
      [op("start", 0, 0), op("monitor", 7, 0, 10_000, 1_704_060_000)],
      { role: "Started", failed: false },
      { ...ctx, failureTimeoutMs: 60_000 },
    ],
  ];
  for (const [what, ops, want, c] of rows) {
    const got = replayHistory(prim, ops, c ?? ctx);
    for (const [k, v] of Object.entries(want)) assert.equal(got[k as keyof typeof got], v, `${what}: ${k}`);
  }
  assert.equal(
    replayHistory(prim, [op("start", 0, 0), op("stop", 1, 0)], { ...ctx, stonith: true }).onFail,
    "fence",
  );
});

/** A small CIB: nodes online, primitives A, B, C, nothing running. */
function tiny(nodes: string[], extraResources = ""): Cib {
  const xml = `<cib crm_feature_set="3.16.1" epoch="1" num_updates="0" admin_epoch="0" have-quorum="1"><configuration><crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
<nodes>${nodes.map((n, i) => `<node id="${i + 1}" uname="${n}"/>`).join("")}</nodes>
<resources><primitive id="A" class="ocf" provider="pacemaker" type="Dummy"/><primitive id="B" class="ocf" provider="pacemaker" type="Dummy"/>${extraResources}</resources><constraints/></configuration>
<status>${nodes.map((n, i) => `<node_state id="${i + 1}" uname="${n}" in_ccm="true" crmd="online" join="member" expected="member"/>`).join("")}</status></cib>`;
  const parsed = parseCib(xml);
  assert.ok(parsed.value, parsed.diagnostics.map((d) => d.message).join("; "));
  return parsed.value;
}

test("choosing a node: score, then fewer resources, then current node, then name; a positive tie keeps the current node", () => {
  const world = unpack(tiny(["n3", "n1", "n2"]), 0);
  const t = (weights: number[]): Table => ({ weights, has: weights.map(() => true) });
  const rows: [string, number[], number[], number | undefined, string | null][] = [
    ["highest score wins", [0, 10, 5], [0, 0, 0], undefined, "n1"],
    ["tie: lowest name", [0, 0, 0], [0, 0, 0], undefined, "n1"],
    ["tie: fewer resources first", [0, 0, 0], [0, 1, 0], undefined, "n2"],
    ["zero tie: current node via sort", [0, 0, 0], [0, 0, 0], 0, "n3"],
    ["count beats current at score 0", [0, 0, 0], [1, 0, 0], 0, "n1"],
    ["positive tie: current node kept even with more resources", [5, 5, 5], [1, 0, 0], 0, "n3"],
    ["nothing allowed", [-INFINITY, -INFINITY, -INFINITY], [0, 0, 0], undefined, "n1"],
  ];
  for (const [what, weights, counts, current, want] of rows) {
    world.nodes.forEach((n, i) => {
      n.count = counts[i] ?? 0;
    });
    const got = chooseNode(world, t(weights), current);
    assert.equal(got === null ? null : world.nodes[got]?.uname, want, what);
  }
  world.nodes[1]!.standby = true;
  world.nodes.forEach((n) => {
    n.count = 0;
  });
  assert.equal(
    world.nodes[chooseNode(world, t([0, 100, 0]), undefined)!]?.uname,
    "n2",
    "standby node is never best",
  );
});

test("colocation arithmetic: dependent's scores merged by score/INFINITY with Pacemaker rounding; placement applied to the dependent", () => {
  const world = unpack(tiny(["n1", "n2"]), 0);
  const A = world.primById.get("A") as WPrim;
  const B = world.primById.get("B") as WPrim;
  const colocs = { deps: new Map(), lhs: new Map() };
  const rows: [number[], number, number[]][] = [
    [[100, 0], -1, [-100, 0]],
    [[100, 0], 1, [100, 0]],
    [[3, 0], 0.5, [2, 0]],
    [[1, 0], 0.001, [1, 0]],
    [[-3, 0], 0.5, [-2, 0]],
    [[-50, 0], -1, [0, 0]],
    [[-INFINITY, 0], 1, [-INFINITY, 0]],
  ];
  for (const [dep, factor, want] of rows) {
    B.weights = [...dep];
    B.has = [true, true];
    const got = merge(
      world,
      colocs,
      { kind: "prim", p: B },
      { weights: [0, 0], has: [true, true] },
      factor,
      undefined,
    );
    assert.deepEqual(got.weights, want, `merge ${dep} x ${factor}`);
  }
  B.weights = [-INFINITY, -INFINITY];
  const base: Table = { weights: [5, 5], has: [true, true] };
  assert.equal(
    merge(world, colocs, { kind: "prim", p: B }, base, 1, undefined),
    base,
    "rolled back when nothing could run",
  );

  A.provisional = false;
  A.assigned = 1;
  const dep: Table = { weights: [10, 0], has: [true, true] };
  const rank = { priority: 0, variant: 0, id: "A" };
  const apply = (score: number): number[] =>
    applyColoc(world, dep, {
      id: "c",
      dep: { kind: "prim", p: B },
      primary: { kind: "prim", p: A },
      score,
      rank,
    }).weights;
  assert.deepEqual(apply(INFINITY), [-INFINITY, 0]);
  assert.deepEqual(apply(-INFINITY), [10, -INFINITY]);
  assert.deepEqual(apply(50), [10, 50]);
  A.assigned = null;
  assert.deepEqual(
    apply(INFINITY),
    [-INFINITY, -INFINITY],
    "primary stopped: a mandatory dependent cannot run",
  );
  assert.deepEqual(apply(-INFINITY), [10, 0], "primary stopped: anti-colocation is moot");
});
