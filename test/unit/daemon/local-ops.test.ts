// local-ops.ts: actions on one resource run one after another (Pacemaker's executor does the same).
import assert from "node:assert/strict";
import { test } from "node:test";
import { LocalOps } from "../../../src/daemon/local-ops.js";
import type { ActionRequest, ActionResult } from "../../../src/exec/types.js";
import { doneResult } from "../../helpers.js";

const req = (rscId: string, op: string): ActionRequest => ({
  rscId,
  op,
  agent: { class: "ocf", provider: "heartbeat", type: "Dummy" },
});

/** An executor whose actions end only when the test says so; it logs starts and ends. */
function heldExec() {
  const log: string[] = [];
  const held = new Map<string, () => void>();
  const exec = (r: ActionRequest) =>
    new Promise<ActionResult>((resolve) => {
      log.push(`begin ${r.rscId} ${r.op}`);
      held.set(`${r.rscId} ${r.op}`, () => {
        log.push(`end ${r.rscId} ${r.op}`);
        resolve(doneResult(r, 0));
      });
    });
  return { log, held, exec };
}

const timers = { setTimeout: () => undefined, clearTimeout: () => undefined };
const tick = () => new Promise((r) => setImmediate(r));

test("a probe sent while the resource's start runs waits for the start to end (seed 965)", async () => {
  const x = heldExec();
  const ops = new LocalOps({ localNode: "n2", exec: x.exec, timers, onRecurring: () => {} });
  const start = ops.run(req("g1", "start"), () => true);
  const probe = ops.run(req("g1", "monitor"), () => true);
  const other = ops.run(req("g2", "monitor"), () => true);
  await tick();
  assert.deepEqual(x.log, ["begin g1 start", "begin g2 monitor"], "another resource is not held back");
  x.held.get("g1 start")?.();
  await start;
  await tick();
  assert.deepEqual(x.log.slice(2), ["end g1 start", "begin g1 monitor"]);
  x.held.get("g1 monitor")?.();
  x.held.get("g2 monitor")?.();
  await Promise.all([probe, other]);
  assert.equal(ops.busy, false);
  assert.deepEqual(ops.lastActions(), [
    ["g1", "monitor", 0],
    ["g2", "monitor", 0],
  ]);
});

test("a failed action does not stop the next one on the same resource", async () => {
  let calls = 0;
  const exec = async (r: ActionRequest) => {
    calls++;
    if (r.op === "start") throw new Error("agent vanished");
    return doneResult(r, 0);
  };
  const ops = new LocalOps({ localNode: "n2", exec, timers, onRecurring: () => {} });
  await assert.rejects(ops.run(req("g1", "start"), () => true));
  const stop = await ops.run(req("g1", "stop"), () => true);
  assert.equal(stop.rc, 0);
  assert.equal(calls, 2);
});
