/**
 * Whole-cluster simulation (src/sim/vopr.ts) from the command line.
 *
 *   npm run sim -- --seeds 200              seeds 1..200
 *   npm run sim -- --seeds 1000 --from 5000 seeds 5000..5999
 *   npm run sim -- --seed 42 --trace        one seed, and its event trace
 *   npm run sim -- --seeds 50 --sabotage lying-stop   prove the checker finds a broken system
 *                                           (also: unordered-group)
 *   npm run sim -- --seeds 100 --mode haresources   haresources pairs (sim/r1-run.ts): R1, ipfail
 *   npm run sim -- --seeds 100 --mode mix           each seed's mode from the seed (a quarter haresources)
 *
 * Prints one line per failing seed with `reproduce: npm run sim -- --seed S`,
 * then seeds/s and violations by name. Exit 0 when no seed failed, 1 when
 * one did, 2 on bad usage.
 */
import { type R1Sabotage, runR1Seed } from "../src/sim/r1-run.js";
import { reproduceLine, runSeed, SABOTAGES, type Sabotage } from "../src/sim/vopr.js";
import { integer, option } from "./sim-args.js";

const single = option("seed");
const from = single === undefined ? integer("from", 1) : integer("seed", 1);
const seeds = single === undefined ? integer("seeds", 100) : 1;
const safetyMs = integer("safety-ms", 20_000);
const trace = process.argv.includes("--trace");
const sabotage = option("sabotage") as Sabotage | R1Sabotage | undefined;
if (sabotage !== undefined && !SABOTAGES.includes(sabotage as Sabotage) && sabotage !== "standby-keeps") {
  console.error(
    `sim: --sabotage ${sabotage}: unknown (${SABOTAGES.join(", ")}, standby-keeps with --mode haresources)`,
  );
  process.exit(2);
}
const mode = option("mode") ?? "crm";
if (mode !== "crm" && mode !== "haresources" && mode !== "mix") {
  console.error(`sim: --mode ${mode}: unknown (crm, haresources, mix)`);
  process.exit(2);
}
if (sabotage === "standby-keeps" && mode !== "haresources") {
  console.error("sim: --sabotage standby-keeps breaks R1: it needs --mode haresources");
  process.exit(2);
}
if (mode !== "crm" && sabotage !== undefined && sabotage !== "lying-stop" && sabotage !== "standby-keeps") {
  console.error(`sim: --sabotage ${sabotage} is a crm-mode sabotage: use --mode crm`);
  process.exit(2);
}
/** mix: seeds whose number is 3 mod 4 run in haresources mode. */
const haresourcesSeed = (s: number): boolean => mode === "haresources" || (mode === "mix" && s % 4 === 3);

const byName = new Map<string, number>();
let failed = 0;
let simulated = 0;
const started = performance.now();
for (let s = from; s < from + seeds; s++) {
  if (haresourcesSeed(s)) {
    const r = await runR1Seed({
      seed: s,
      safetyMs,
      verbose: trace,
      ...(sabotage === undefined ? {} : { sabotage: sabotage as R1Sabotage }),
    });
    simulated += r.simulatedMs;
    if (trace || !r.ok) {
      const sc = r.scenario;
      console.log(
        `seed ${s} (haresources): ${r.ok ? "ok" : `VIOLATION ${r.violation?.name} at ${r.violation?.atMs} ms: ${r.violation?.detail}`}` +
          ` [persona=${sc.persona} auto_failback=${sc.autoFailback} media=${sc.media.length} keepalive=${sc.keepaliveMs} deadtime=${sc.deadtimeMs} groups=${sc.lines.map((l) => `${l.node}:${l.resources.join("+")}`).join(",")} ping=${sc.pingNodes.length} actions=${r.actions}]`,
      );
    }
    if (trace) for (const line of r.trace) console.log(`  ${line}`);
    if (!r.ok) {
      failed++;
      const name = `haresources ${r.violation?.name ?? "?"}`;
      byName.set(name, (byName.get(name) ?? 0) + 1);
      console.log(`${reproduceLine(s, safetyMs, sabotage as Sabotage)} --mode haresources`);
    }
    continue;
  }
  const r = await runSeed({
    seed: s,
    safetyMs,
    verbose: trace,
    ...(sabotage === undefined ? {} : { sabotage: sabotage as Sabotage }),
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
    console.log(reproduceLine(s, safetyMs, sabotage as Sabotage));
  }
}
const wall = (performance.now() - started) / 1000;
console.log(
  `${seeds} seed(s) from ${from} in ${wall.toFixed(1)} s: ${(seeds / wall).toFixed(1)} seeds/s, ` +
    `${(simulated / 1000 / wall).toFixed(0)} simulated s per s; ${failed} with a violation`,
);
for (const [name, n] of [...byName].sort()) console.log(`  ${name}: ${n}`);
process.exit(failed > 0 ? 1 : 0);
