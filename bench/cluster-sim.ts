/**
 * Whole-cluster simulation (src/sim/vopr.ts) from the command line.
 *
 *   npm run sim -- --seeds 200              seeds 1..200
 *   npm run sim -- --seeds 1000 --from 5000 seeds 5000..5999
 *   npm run sim -- --seed 42 --trace        one seed, and its event trace
 *   npm run sim -- --seeds 50 --sabotage lying-stop   prove the checker finds a broken system
 *                                           (also: unordered-group)
 *
 * Prints one line per failing seed with `reproduce: npm run sim -- --seed S`,
 * then seeds/s and violations by name. Exit 0 when no seed failed, 1 when
 * one did, 2 on bad usage.
 */
import { reproduceLine, runSeed, SABOTAGES, type Sabotage } from "../src/sim/vopr.js";
import { integer, option } from "./sim-args.js";

const single = option("seed");
const from = single === undefined ? integer("from", 1) : integer("seed", 1);
const seeds = single === undefined ? integer("seeds", 100) : 1;
const safetyMs = integer("safety-ms", 20_000);
const trace = process.argv.includes("--trace");
const sabotage = option("sabotage") as Sabotage | undefined;
if (sabotage !== undefined && !SABOTAGES.includes(sabotage)) {
  console.error(`sim: --sabotage ${sabotage}: unknown (${SABOTAGES.join(", ")})`);
  process.exit(2);
}

const byName = new Map<string, number>();
let failed = 0;
let simulated = 0;
const started = performance.now();
for (let s = from; s < from + seeds; s++) {
  const r = await runSeed({
    seed: s,
    safetyMs,
    verbose: trace,
    ...(sabotage === undefined ? {} : { sabotage }),
  });
  simulated += r.simulatedMs;
  if (trace || !r.ok) {
    const sc = r.scenario;
    console.log(
      `seed ${s}: ${r.ok ? "ok" : `VIOLATION ${r.violation?.name} at ${r.violation?.atMs} ms: ${r.violation?.detail}`}` +
        ` [nodes=${sc.nodes.length} media=${sc.media.length} keepalive=${sc.keepaliveMs} deadtime=${sc.deadtimeMs} stonith=${sc.stonith} group=${sc.groupMembers.length} prims=${sc.primitives.length} actions=${r.actions}]`,
    );
  }
  if (trace) for (const line of r.trace) console.log(`  ${line}`);
  if (!r.ok) {
    failed++;
    const name = r.violation?.name ?? "?";
    byName.set(name, (byName.get(name) ?? 0) + 1);
    console.log(reproduceLine(s, safetyMs, sabotage));
  }
}
const wall = (performance.now() - started) / 1000;
console.log(
  `${seeds} seed(s) from ${from} in ${wall.toFixed(1)} s: ${(seeds / wall).toFixed(1)} seeds/s, ` +
    `${(simulated / 1000 / wall).toFixed(0)} simulated s per s; ${failed} with a violation`,
);
for (const [name, n] of [...byName].sort()) console.log(`  ${name}: ${n}`);
process.exit(failed > 0 ? 1 : 0);
