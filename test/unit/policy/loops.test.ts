// Goal: a loop of orders is decided as Pacemaker 2.1.5 decides it (the actions on the loop and after it
// never run, stable no), hbd is never handed them, and the order lines of a looping graph follow
// scripts/policy-oracle/normalize.py's rules (on a graph without a loop: the plain transitive reduction).
// Method: variants of the golden l01 CIB (test/fixtures/policy-i17, expected from crm_simulate) scheduled
// directly; the loop rules checked against a brute-force transitive reduction on random acyclic graphs.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseCib } from "../../../src/cib/index.js";
import { renderOracle, schedule } from "../../../src/policy/index.js";
import { components, hasLoop, loopOrderPairs } from "../../../src/policy/loops.js";
import { readFixture } from "../../helpers.js";

const NOW = Date.parse("2024-01-01T00:00:00Z");
const base = readFixture("policy-i17", "l01-order-loop-optional.xml");
const run = (xml: string) => {
  const p = parseCib(xml, "t.xml");
  assert.ok(p.value, p.diagnostics.map((d) => d.message).join("; "));
  return { t: schedule(p.value, NOW), cib: p.value };
};

test("a loop of orders: its starts are never run and never handed to hbd; without the loop both start", () => {
  const { t, cib } = run(base);
  assert.deepEqual(
    t.actions.filter((a) => a.op === "start"),
    [],
  );
  assert.deepEqual((t.inert ?? []).map((a) => `${a.op} ${a.rsc} ${a.node}`).sort(), [
    "monitor A n1",
    "monitor B n2",
    "start A n1",
    "start B n2",
  ]);
  assert.deepEqual(
    t.placements.map((p) => p.role),
    ["Stopped", "Stopped"],
  );
  assert.ok(t.notes.some((n) => /orders form a loop: 4 action\(s\)/.test(n)));
  assert.match(renderOracle(t, cib), /stable no\n$/);
  const noLoop = base
    .replace('first="B" then="A"', 'first="B" then="B2"')
    .replace(
      "</resources>",
      '<primitive id="B2" class="ocf" provider="pacemaker" type="Dummy"/></resources>',
    );
  const free = run(noLoop).t;
  assert.deepEqual(
    free.actions.filter((a) => a.op === "start").map((a) => a.rsc),
    ["A", "B", "B2"],
  );
  assert.equal(free.inert, undefined);
});

test("a loop through a group member: the group's later members wait too, an unrelated start runs", () => {
  const viaGroup = base
    .replace(
      /<primitive id="B"[\s\S]*?<\/primitive>/,
      (p) => `<group id="G">${p}<primitive id="C" class="ocf" provider="pacemaker" type="Dummy"/></group>`,
    )
    .replace('first="B" then="A"', 'first="C" then="A"')
    .replace("</resources>", '<primitive id="D" class="ocf" provider="pacemaker" type="Dummy"/></resources>');
  const { t } = run(viaGroup);
  assert.deepEqual(
    t.actions.filter((a) => a.op === "start").map((a) => a.rsc),
    ["D"],
  );
  const starts = (t.inert ?? []).filter((a) => a.op === "start");
  assert.deepEqual(starts.map((a) => a.rsc).sort(), ["A", "B", "C"]);
  const c = starts.find((a) => a.rsc === "C");
  const b = (t.inert ?? []).findIndex((a) => a.op === "start" && a.rsc === "B");
  assert.deepEqual(c?.after, [b], "C's start waits for B's (the group chain), through no pseudo action");
});

test("components: a loop is one component, the rest singletons", () => {
  // 0 -> 1 -> 2 -> 1, 2 -> 3
  const comp = components(4, [[1], [2], [1, 3], []]);
  assert.equal(comp[1], comp[2]);
  assert.equal(new Set(comp).size, 3);
  assert.ok(
    hasLoop(
      new Map([
        [1, [0, 2]],
        [2, [1]],
        [3, [2]],
      ]),
      4,
    ),
  );
  assert.ok(
    !hasLoop(
      new Map([
        [1, [0]],
        [2, [1, 0]],
      ]),
      3,
    ),
  );
});

test("loop rules on acyclic graphs give the transitive reduction over labelled nodes (random graphs)", () => {
  let seed = 7;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  for (let g = 0; g < 200; g++) {
    const n = 2 + rnd(9);
    const preds = new Map<number, number[]>();
    for (let b = 1; b < n; b++)
      for (let a = 0; a < b; a++) if (rnd(3) === 0) preds.set(b, [...(preds.get(b) ?? []), a]);
    const labelled = new Set([...Array(n).keys()].filter(() => rnd(3) !== 0));
    const reach = (a: number, b: number): boolean => {
      const todo = [b];
      const seen = new Set<number>();
      while (todo.length > 0) {
        const x = todo.pop() as number;
        for (const p of preds.get(x) ?? []) {
          if (p === a) return true;
          if (seen.has(p)) continue;
          todo.push(p);
          seen.add(p);
        }
      }
      return false;
    };
    const want: string[] = [];
    for (const b of labelled)
      for (const a of labelled)
        if (
          a !== b &&
          reach(a, b) &&
          ![...labelled].some((y) => y !== a && y !== b && reach(a, y) && reach(y, b))
        )
          want.push(`${a}>${b}`);
    const got = loopOrderPairs(n, preds, labelled).map(([a, b]) => `${a}>${b}`);
    assert.deepEqual(got.sort(), want.sort(), `graph ${g}`);
  }
});

test("inside a loop: an order line for each labelled pair joined through unlabelled actions only", () => {
  // 0 -> 1 -> 2 -> 0 (a loop of three labelled actions): three lines, not six
  const pairs = loopOrderPairs(
    3,
    new Map([
      [1, [0]],
      [2, [1]],
      [0, [2]],
    ]),
    new Set([0, 1, 2]),
  );
  assert.deepEqual(pairs.map(([a, b]) => `${a}>${b}`).sort(), ["0>1", "1>2", "2>0"]);
  // 0 -> 3 (unlabelled) -> 1 -> 0
  const through = loopOrderPairs(
    4,
    new Map([
      [3, [0]],
      [1, [3]],
      [0, [1]],
    ]),
    new Set([0, 1]),
  );
  assert.deepEqual(through.map(([a, b]) => `${a}>${b}`).sort(), ["0>1", "1>0"]);
});
