// Goal: randomized simulation (crashes, restarts, partitions, loss, replays, forgeries) keeps membership's
// invariants, is reproducible from its seed, and prints the reproduce line when something fails.
// Method: run runRandomized over a fixed range of seeds; run one seed twice; force a failure with an extra invariant.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runRandomized } from "../../../src/sim/random-run.js";

const SAFETY_MS = 20_000;

test("seeds 1..12: no phantom life, forged frames always dropped, whole again after healing", () => {
  const failures: string[] = [];
  let actions = 0;
  for (let seed = 1; seed <= 12; seed++) {
    const r = runRandomized({ seed, safetyMs: SAFETY_MS });
    actions += r.actions;
    if (!r.ok) failures.push(`${r.failure}\n${r.reproduce}`);
  }
  assert.deepEqual(failures, []);
  assert.ok(actions > 100, `only ${actions} fault actions`);
});

test("a seed reproduces the same run", () => {
  const a = runRandomized({ seed: 3, safetyMs: 5000 });
  const b = runRandomized({ seed: 3, safetyMs: 5000 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(runRandomized({ seed: 4, safetyMs: 5000 }).parameters, a.parameters);
});

test("a failing invariant stops the run and prints the reproduce line", () => {
  const lines: string[] = [];
  const r = runRandomized({
    seed: 5,
    safetyMs: 5000,
    log: (l) => lines.push(l),
    invariant: (sim) => (sim.nowMs >= 1000 ? "deliberate failure" : undefined),
  });
  assert.equal(r.ok, false);
  assert.equal(r.failure, "deliberate failure");
  assert.equal(r.reproduce, "reproduce: node dist/bench/sim.js --seed 5 --safety-ms 5000");
  assert.ok(r.simulatedMs < 1500);
  assert.match(lines[0]!, /^SEED=5 \{/);
  assert.match(
    lines.at(-1)!,
    /FAILED at t=\d+ ms: deliberate failure\nreproduce: node dist\/bench\/sim\.js --seed 5/,
  );
});
