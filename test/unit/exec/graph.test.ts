// Goal: a transition runs with as much parallelism as its edges allow, stops dispatching after a failure and reports every action. Method: a scripted runner with controllable completion.
import assert from "node:assert/strict";
import { test } from "node:test";
import { checkGraph, type GraphAction, runTransition, toRequest } from "../../../src/exec/graph.js";
import type { ActionResult } from "../../../src/exec/types.js";
import { doneResult } from "../../helpers.js";

const act = (id: string, extra: Partial<GraphAction> = {}): GraphAction => ({
  id,
  rsc: id.split("_")[0]!,
  op: id.split("_")[1] ?? "start",
  node: "n1",
  agent: { class: "ocf", type: "Dummy" },
  ...extra,
});
const res = (a: GraphAction, rc: number): ActionResult => doneResult({ rscId: a.rsc, op: a.op }, rc, "", 0);
const tick = () => new Promise<void>((r) => setImmediate(r));

test("independent actions run in parallel; ordered ones wait", async () => {
  // vip -> lvs -> director; web independent.
  const graph = {
    actions: [act("vip_start"), act("lvs_start"), act("director_start"), act("web_start")],
    edges: [
      { before: "vip_start", after: "lvs_start" },
      { before: "lvs_start", after: "director_start" },
    ],
  };
  const log: string[] = [];
  let active = 0;
  let peak = 0;
  const r = await runTransition(graph, async (a) => {
    active++;
    peak = Math.max(peak, active);
    log.push(`+${a.id}`);
    await tick();
    log.push(`-${a.id}`);
    active--;
    return res(a, 0);
  });
  assert.equal(r.complete, true);
  assert.equal(peak, 2);
  assert.ok(log.indexOf("-vip_start") < log.indexOf("+lvs_start"));
  assert.ok(log.indexOf("-lvs_start") < log.indexOf("+director_start"));
  assert.ok(log.indexOf("+web_start") < log.indexOf("-vip_start"));
  assert.deepEqual(
    r.outcomes.map((o) => o.state),
    ["succeeded", "succeeded", "succeeded", "succeeded"],
  );
});

test("after a failure nothing new is dispatched, running actions finish, all are reported", async () => {
  const graph = {
    actions: [act("a_start"), act("b_start"), act("c_start"), act("d_start")],
    edges: [
      { before: "a_start", after: "c_start" },
      { before: "b_start", after: "d_start" },
    ],
  };
  const ran: string[] = [];
  const r = await runTransition(graph, async (a) => {
    ran.push(a.id);
    if (a.id === "b_start") {
      await tick();
      await tick();
      return res(a, 0);
    }
    return res(a, a.id === "a_start" ? 1 : 0);
  });
  assert.equal(r.complete, false);
  assert.deepEqual(ran.sort(), ["a_start", "b_start"]);
  const states = Object.fromEntries(r.outcomes.map((o) => [o.id, o.state]));
  assert.deepEqual(states, {
    a_start: "failed",
    b_start: "succeeded",
    c_start: "skipped",
    d_start: "skipped",
  });
  const skipped = r.outcomes.find((o) => o.id === "c_start");
  assert.ok(skipped?.state === "skipped" && /earlier failure/.test(skipped.reason));
});

test("expected rc (a probe expecting 7), timeouts and runner rejections", async () => {
  const graph = {
    actions: [act("p_monitor", { expectedRc: 7 }), act("q_start"), act("z_start")],
    edges: [{ before: "p_monitor", after: "q_start" }],
  };
  const r = await runTransition(graph, async (a) => {
    if (a.id === "z_start") throw new Error("boom");
    return res(a, a.op === "monitor" ? 7 : 0);
  });
  const z = r.outcomes.find((o) => o.id === "z_start");
  assert.ok(z?.state === "failed" && /boom/.test(z.result.reason));
  assert.equal(r.outcomes.find((o) => o.id === "p_monitor")?.state, "succeeded");
  const t = await runTransition({ actions: [act("t_start")], edges: [] }, async (a) => ({
    ...res(a, 1),
    status: "timeout",
  }));
  assert.equal(t.outcomes[0]?.state, "failed");
});

test("cycles are skipped, malformed graphs rejected, empty graph completes", async () => {
  const cyc = await runTransition(
    {
      actions: [act("a_start"), act("b_start"), act("c_start")],
      edges: [
        { before: "a_start", after: "b_start" },
        { before: "b_start", after: "a_start" },
      ],
    },
    async (a) => res(a, 0),
  );
  assert.equal(cyc.complete, false);
  assert.deepEqual(
    cyc.outcomes.map((o) => [o.id, o.state]),
    [
      ["c_start", "succeeded"],
      ["a_start", "skipped"],
      ["b_start", "skipped"],
    ],
  );
  assert.deepEqual(checkGraph({ actions: [act("a"), act("a")], edges: [{ before: "a", after: "x" }] }), [
    'duplicate action id "a"',
    'edge refers to unknown action "x"',
  ]);
  await assert.rejects(
    runTransition({ actions: [], edges: [{ before: "a", after: "b" }] }, async () => res(act("a"), 0)),
  );
  assert.deepEqual(await runTransition({ actions: [], edges: [] }, async () => res(act("a"), 0)), {
    complete: true,
    outcomes: [],
  });
  assert.deepEqual(toRequest(act("v_monitor", { intervalMs: 5, timeoutMs: 9 })), {
    rscId: "v",
    agent: { class: "ocf", type: "Dummy" },
    op: "monitor",
    node: "n1",
    intervalMs: 5,
    timeoutMs: 9,
  });
});
