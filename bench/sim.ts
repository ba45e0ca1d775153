/**
 * Randomized membership simulation from the command line.
 *
 *   node dist/bench/sim.js --seed 42 --minutes 10      one seed, 10 simulated minutes
 *   node dist/bench/sim.js --seed 1 --seeds 100        seeds 1..100 (default 1 simulated minute each)
 *   node dist/bench/sim.js --seed 42 --verbose         also print every action and view change
 *
 * Exits 1 on the first failing seed, after printing `reproduce: ...`.
 */
import { runRandomized } from "../src/sim/random-run.js";
import { integer, option } from "./sim-args.js";

const seed = integer("seed", Date.now() % 1_000_000);
const seeds = integer("seeds", 1);
const minutes = Number(option("minutes") ?? "1");
const safetyMs = integer("safety-ms", Math.round(minutes * 60_000));
const verbose = process.argv.includes("--verbose");

let failed = 0;
const started = performance.now();
for (let s = seed; s < seed + seeds; s++) {
  const t0 = performance.now();
  const r = runRandomized({ seed: s, safetyMs, verbose, log: (line) => console.log(line) });
  const wallMs = Math.round(performance.now() - t0);
  const p = r.parameters;
  console.log(
    `seed ${s}: ${r.ok ? "ok" : "FAILED"} nodes=${p.nodes.length} media=${p.media.length} ` +
      `keepalive=${p.timing.keepaliveMs} deadtime=${p.timing.deadtimeMs} actions=${r.actions} ` +
      `deaths=${r.deathsDeclared} replays=${r.attack.replaysDelivered} forged=${r.attack.forgedDelivered} ` +
      `simulated=${r.simulatedMs} ms wall=${wallMs} ms`,
  );
  if (!r.ok) {
    console.log(r.reproduce);
    failed++;
    break;
  }
}
console.log(`${seeds} seed(s) in ${Math.round(performance.now() - started)} ms wall, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
