// Goal: randomized whole-cluster runs of real composed nodes (crashes, restarts, partitions, loss, duplication,
// reordering) keep membership's invariant, are reproducible from their seed, and a failing invariant stops the
// run with the reproduce line.
// Method: runSeed over a fixed range of seeds with membership's phantom-life invariant added; one seed twice;
// force a failure with an extra invariant.
import assert from "node:assert/strict";
import { test } from "node:test";
import { phantomLife } from "../../../src/sim/membership-sim.js";
import { reproduceLine, runSeed } from "../../../src/sim/vopr.js";

test("seeds 1..8: no phantom life, and the whole-cluster invariants hold, with faults and after healing", async () => {
  const failures: string[] = [];
  let actions = 0;
  for (let seed = 1; seed <= 8; seed++) {
    const r = await runSeed({ seed, safetyMs: 8000, invariant: phantomLife });
    actions += r.actions;
    if (!r.ok) failures.push(`${r.violation?.detail}\n${reproduceLine(seed, 8000)}`);
  }
  assert.deepEqual(failures, []);
  assert.ok(actions > 16, `only ${actions} fault actions`);
});

test("a seed reproduces the same run; another seed is another scenario", async () => {
  const a = await runSeed({ seed: 3, safetyMs: 3000, invariant: phantomLife });
  const b = await runSeed({ seed: 3, safetyMs: 3000, invariant: phantomLife });
  assert.deepEqual(a, b);
  assert.notDeepEqual((await runSeed({ seed: 4, safetyMs: 3000 })).scenario, a.scenario);
});

test("a failing invariant stops the run and gives the reproduce line", async () => {
  const r = await runSeed({
    seed: 5,
    safetyMs: 5000,
    invariant: (world) => (world.now >= 1000 ? "deliberate: failure" : undefined),
  });
  assert.equal(r.ok, false);
  assert.equal(r.violation?.detail, "deliberate: failure");
  assert.equal(r.violation?.name, "deliberate");
  assert.ok(r.simulatedMs < 1500, `ran on to ${r.simulatedMs} ms`);
  assert.equal(reproduceLine(5, 5000), "reproduce: npm run sim -- --seed 5 --safety-ms 5000 --trace");
});
