/**
 * Policy engine micro-benchmark: median wall time of `schedule()` (performance.now)
 * (1) on every golden scenario of test/fixtures/policy, (2) on generated CIBs of
 * 10 / 100 / 1,000 / 5,000 primitives (groups of 5 with a location preference,
 * a score-50 colocation and an anti-colocation per 10 groups, stickiness 10,
 * each primitive running on its preferred node and probed elsewhere, status with start + monitor history)
 * on 2, 16 and 32 nodes, and, with --crm and crm_simulate installed, real
 * Pacemaker's time on the same generated files (process wall time, so it
 * includes its start-up) with the ratio.
 *
 * (3) End to end, as a user runs it: `hbctl simulate FILE` against `crm_simulate -R -x FILE`
 * (process wall time, start-up and XML parsing included) on constraint-free CIBs of 100 / 1,000 /
 * 5,000 primitives on 16 nodes with a status section, side by side (crm_simulate when installed).
 *
 * Usage: node dist/bench/policy.js [--iterations N] [--sizes 10,100] [--nodes 2,16] [--crm [--crm-timeout S]]
 *        [--e2e-sizes 100,1000,5000 | --no-e2e] [--json]
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseCib } from "../src/cib/index.js";
import type { Cib } from "../src/cib/model.js";
import { schedule } from "../src/policy/index.js";
import { generateCib } from "./policy-gen.js";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot =
  [resolve(here, ".."), resolve(here, "../..")].find((d) => existsSync(join(d, "package.json"))) ?? ".";
const argv = process.argv.slice(2);
const arg = (name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const iterations = Number(arg("--iterations") ?? 200) || 200;
const sizes = (arg("--sizes") ?? "10,100,1000,5000").split(",").map(Number);
const nodeCounts = (arg("--nodes") ?? "2,16,32").split(",").map(Number);
const withCrm = argv.includes("--crm");
const crmTimeoutMs = Number(arg("--crm-timeout") ?? 60) * 1000;
const asJson = argv.includes("--json");
const NOW = Date.parse("2024-01-01T00:00:00Z");

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Median µs of schedule(cib) over `n` runs (stopping early after ~2 s for the big ones, at least 3 runs). */
function timeSchedule(cib: Cib, n: number): { medianUs: number; runs: number } {
  schedule(cib, NOW); // warm-up
  const samples: number[] = [];
  const budgetEnd = performance.now() + 2000;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    schedule(cib, NOW);
    samples.push((performance.now() - t0) * 1000);
    if (i >= 2 && performance.now() > budgetEnd) break;
  }
  return { medianUs: median(samples), runs: samples.length };
}

function parse(xml: string, name: string): Cib {
  const parsed = parseCib(xml, name);
  if (!parsed.value) throw new Error(`${name}: ${parsed.diagnostics.map((d) => d.message).join("; ")}`);
  return parsed.value;
}

/** crm_simulate's wall time in ms (median of up to 3 runs), undefined when not installed, Infinity past the timeout. */
function timeCrm(file: string, timeoutMs: number): number | undefined {
  const samples: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const r = spawnSync("crm_simulate", ["-x", file, "-S", "-t", "2024-01-01T00:00:00Z", "-Q"], {
      stdio: "ignore",
      timeout: timeoutMs,
    });
    const ms = performance.now() - t0;
    if (r.error && (r.error as NodeJS.ErrnoException).code === "ETIMEDOUT") return Number.POSITIVE_INFINITY;
    if (r.error || r.status !== 0) return undefined;
    samples.push(ms);
    if (ms > 5000) break;
  }
  return median(samples);
}

interface Row {
  readonly name: string;
  readonly medianUs: number;
  readonly runs: number;
  readonly crmMs?: number;
}

const rows: Row[] = [];
const scenarioDir = join(repoRoot, "test", "fixtures", "policy");
for (const f of readdirSync(scenarioDir)
  .filter((x) => x.endsWith(".xml"))
  .sort()) {
  const cib = parse(readFileSync(join(scenarioDir, f), "utf8"), f);
  rows.push({ name: f.slice(0, -4), ...timeSchedule(cib, iterations) });
}
const tmp = withCrm ? mkdtempSync(join(tmpdir(), "bench-policy-")) : undefined;
try {
  for (const p of sizes) {
    for (const n of nodeCounts) {
      const xml = generateCib(p, n);
      const name = `generated ${p} primitives x ${n} nodes`;
      const row: Row = {
        name,
        ...timeSchedule(parse(xml, name), Math.min(iterations, p >= 1000 ? 20 : iterations)),
      };
      let crmMs: number | undefined;
      if (tmp !== undefined) {
        const file = join(tmp, `gen-${p}-${n}.xml`);
        writeFileSync(file, xml);
        crmMs = timeCrm(file, crmTimeoutMs);
      }
      rows.push(crmMs === undefined ? row : { ...row, crmMs });
    }
  }
} finally {
  if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
}

/**
 * The environment both commands run in: as the installed /usr/bin/hbctl runs hbctl.cjs (scripts/package.mjs
 * unsets NODE_EXTRA_CA_CERTS: Node 20 reads that file at every start, ~60 ms of CPU, and hbctl uses no TLS).
 */
const userEnv = { ...process.env };
delete userEnv.NODE_EXTRA_CA_CERTS;

/** Wall ms of a command (median of `runs`), undefined when it cannot run, Infinity past the timeout. */
function timeCommand(cmd: string, args: string[], runs: number): number | undefined {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = spawnSync(cmd, args, { stdio: "ignore", timeout: crmTimeoutMs, env: userEnv });
    const ms = performance.now() - t0;
    if (r.error && (r.error as NodeJS.ErrnoException).code === "ETIMEDOUT") return Number.POSITIVE_INFINITY;
    if (r.error || r.status !== 0) return undefined;
    samples.push(ms);
  }
  return median(samples);
}

/** End to end as a user runs it: `hbctl simulate FILE` vs `crm_simulate -R -x FILE`, plain CIBs on 16 nodes. */
interface E2eRow {
  readonly prims: number;
  readonly hbctlMs?: number;
  readonly crmMs?: number;
}
const e2e: E2eRow[] = [];
const e2eSizes = (arg("--e2e-sizes") ?? "100,1000,5000").split(",").filter(Boolean).map(Number);
// the installed entry (package.json "bin"): simulate's plain forms run from dist/src/bin/hbctl-simulate.cjs
const hbctl = join(repoRoot, "dist", "src", "bin", "hbctl.cjs");
const e2eTmp = mkdtempSync(join(tmpdir(), "bench-policy-e2e-"));
try {
  for (const p of argv.includes("--no-e2e") ? [] : e2eSizes) {
    const file = join(e2eTmp, `plain-${p}.xml`);
    writeFileSync(file, generateCib(p, 16, true));
    const runs = p >= 5000 ? 1 : p >= 1000 ? 3 : 9;
    const hbctlMs = timeCommand(
      process.execPath,
      [hbctl, "simulate", file, "--now", "2024-01-01T00:00:00Z"],
      runs,
    );
    const crmMs = timeCommand("crm_simulate", ["-R", "-x", file, "-t", "2024-01-01T00:00:00Z", "-Q"], runs);
    e2e.push({
      prims: p,
      ...(hbctlMs !== undefined ? { hbctlMs } : {}),
      ...(crmMs !== undefined ? { crmMs } : {}),
    });
  }
} finally {
  rmSync(e2eTmp, { recursive: true, force: true });
}

if (asJson) console.log(JSON.stringify({ inProcess: rows, endToEnd: e2e }, null, 2));
else {
  console.log("schedule() median wall time (performance.now)");
  for (const r of rows) {
    const crm =
      r.crmMs === undefined
        ? ""
        : `   crm_simulate ${r.crmMs.toFixed(1)} ms   ratio x${(r.crmMs / (r.medianUs / 1000)).toFixed(0)}`;
    console.log(`${r.name.padEnd(44)} ${r.medianUs.toFixed(1).padStart(10)} µs  (${r.runs} runs)${crm}`);
  }
  console.log(
    "\nend to end (process wall time): hbctl simulate FILE vs crm_simulate -R -x FILE, 16 nodes, no constraints",
  );
  const fmt = (ms: number | undefined): string => (ms === undefined ? "n/a" : `${(ms / 1000).toFixed(2)} s`);
  for (const r of e2e) {
    const ratio =
      r.hbctlMs !== undefined && r.crmMs !== undefined
        ? `   crm_simulate/hbctl x${(r.crmMs / r.hbctlMs).toFixed(1)}`
        : "";
    console.log(
      `${String(r.prims).padStart(5)} primitives   hbctl ${fmt(r.hbctlMs).padStart(9)}   crm_simulate ${fmt(r.crmMs).padStart(9)}${ratio}`,
    );
  }
}
