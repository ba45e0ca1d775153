/**
 * Footprint benchmark (issue 15 §4-5; root, namespaces removed on exit): two
 * hbd nodes (haresources VIP only, crm off, ucast over a bridge, as the
 * failover benchmark) at keepalive 1 s and at 10 ms. Per timing it prints:
 *
 * - hbd start time: from spawning hbd until its `started` log line (media
 *   open, first heartbeat sent on the same tick), for both nodes;
 * - idle RSS (VmRSS) and CPU (utime + stime over the window, % of one core)
 *   of each hbd after it settled, sampled over `--seconds` (default 20);
 * - hbctl latency: `hbctl status --json` against n1, median and p95 of
 *   `--calls` calls (default 20), wall time from spawn to exit, and the mean
 *   CPU of one call; hbd's CPU when its `started` line was seen (CPU figures
 *   move less than wall times with the machine's load).
 *
 * Usage: node dist/bench/footprint.js [--seconds N] [--settle N] [--calls N] [--json]
 * (--settle: seconds from start-up to the idle window, default 5; V8 compiles
 * hbd's hot functions for its first ~30 s, so `--settle 30` gives the steady state.)
 * (TANDEM_DIST=/other/checkout/dist measures another build's hbd and hbctl.)
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { HBCTL } from "../test/e2e/daemon/lab.js";
import { FailoverLab } from "./failover-lab.js";

const argv = process.argv.slice(2);
const num = (name: string, dflt: number): number => {
  const i = argv.indexOf(name);
  const v = i >= 0 ? Number(argv[i + 1]) : Number.NaN;
  return Number.isFinite(v) && v > 0 ? v : dflt;
};
const seconds = Math.min(600, num("--seconds", 20));
/** Seconds between start-up and the idle window: V8 still optimises hbd's hot functions for ~30 s after start. */
const settle = Math.min(600, num("--settle", 5));
const calls = Math.min(500, num("--calls", 20));
const asJson = argv.includes("--json");
const VIP = "10.250.0.100";
const AUTHKEYS = "auth 1\n1 sha1 footprint-bench-secret\n";
const CLK_TCK = 100;

const TIMINGS = [
  { name: "1s", keepalive: "1", deadtime: "3", warntime: "2", initdead: "6" },
  { name: "10ms", keepalive: "10ms", deadtime: "100ms", warntime: "50ms", initdead: "1" },
] as const;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** utime + stime (clock ticks) of a process. */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(f[11]) + Number(f[12]);
}

/** CPU (ms) of this process's waited-for children so far (cutime + cstime). */
function childrenCpuMs(): number {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(f[13]) + Number(f[14])) * 1000) / CLK_TCK;
}

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m?.[1] ?? Number.NaN);
}

/** Wall-clock time of the `started` line in an hbd log. */
function startedAt(log: string): number | undefined {
  for (const line of log.split("\n")) {
    if (!line.includes('"event":"started"')) continue;
    const m = /"time":("?)([^",}]+)\1/.exec(line);
    const t = m ? (m[1] ? Date.parse(m[2] ?? "") : Number(m[2])) : Number.NaN;
    if (Number.isFinite(t)) return t;
  }
  return undefined;
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};

interface TimingResult {
  readonly timing: string;
  readonly startMs: number[];
  /** CPU (ms) each hbd had used when the bench saw its `started` line (polled every 20 ms): less load-dependent than startMs. */
  readonly startCpuMs: number[];
  readonly rssMb: number[];
  readonly cpuPct: number[];
  readonly hbctlMs: { median: number; p95: number };
  /** Mean CPU (ms) of one hbctl status call (user + system). */
  readonly hbctlCpuMs: number;
}

async function measure(t: (typeof TIMINGS)[number]): Promise<TimingResult> {
  const lab = new FailoverLab("tdfp");
  try {
    lab.bridged(["a", "b"], "c");
    const hacf = (peer: string) =>
      `udpport 694\nucast eth0 ${peer}\nkeepalive ${t.keepalive}\ndeadtime ${t.deadtime}\nwarntime ${t.warntime}\ninitdead ${t.initdead}\nauto_failback on\nnode n1\nnode n2\ncrm off\n`;
    const hr = `n1 IPaddr2::${VIP}/24/eth0\n`;
    const d1 = lab.configureCrm("n1", hacf("10.250.0.2"), AUTHKEYS, hr);
    const d2 = lab.configureCrm("n2", hacf("10.250.0.1"), AUTHKEYS, hr);
    const spawned = [Date.now()];
    const c1 = lab.startHbd("a", "n1", d1);
    spawned.push(Date.now());
    const c2 = lab.startHbd("b", "n2", d2);
    const startCpuMs = [Number.NaN, Number.NaN];
    const ok = await lab.waitFor(
      () => {
        for (const [i, [n, c]] of (
          [
            ["n1", c1],
            ["n2", c2],
          ] as const
        ).entries())
          if (Number.isNaN(startCpuMs[i]) && c.pid !== undefined && startedAt(lab.log(n)) !== undefined)
            startCpuMs[i] = (cpuTicks(c.pid) * 1000) / CLK_TCK;
        return !startCpuMs.some(Number.isNaN) && lab.hasAddress("a", VIP);
      },
      60_000,
      20,
    );
    if (!ok) throw new Error(`the nodes did not start\n${lab.log("n1").slice(-3000)}`);
    const startMs = ["n1", "n2"].map((n, i) => (startedAt(lab.log(n)) ?? Number.NaN) - (spawned[i] ?? 0));
    await sleep(settle * 1000); // initdead, the VIP's start, the first status exchanges (and the JIT's warm-up)
    const pids = [c1.pid, c2.pid].filter((p): p is number => p !== undefined);
    const before = pids.map(cpuTicks);
    const t0 = Date.now();
    const rss: number[][] = pids.map(() => []);
    for (let i = 0; i < seconds; i++) {
      await sleep(1000);
      for (const [k, p] of pids.entries()) rss[k]?.push(rssKb(p));
    }
    const wallS = (Date.now() - t0) / 1000;
    const cpuPct = pids.map((p, k) => ((cpuTicks(p) - (before[k] ?? 0)) / CLK_TCK / wallS) * 100);
    const lat: number[] = [];
    const cpu0 = childrenCpuMs();
    for (let i = 0; i < calls; i++) {
      const s = process.hrtime.bigint();
      const r = spawnSync(process.execPath, [HBCTL, "status", "--json", "--socket", d1.sock], {
        encoding: "utf8",
        timeout: 15_000,
      });
      if (r.status !== 0) throw new Error(`hbctl status failed: ${r.stderr}`);
      lat.push(Number(process.hrtime.bigint() - s) / 1e6);
    }
    const hbctlCpuMs = (childrenCpuMs() - cpu0) / calls;
    return {
      timing: t.name,
      startMs,
      startCpuMs,
      hbctlCpuMs,
      rssMb: rss.map((xs) => Math.max(...xs) / 1024),
      cpuPct,
      hbctlMs: { median: pct(lat, 50), p95: pct(lat, 95) },
    };
  } finally {
    lab.cleanup();
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error("the footprint benchmark needs root (ip netns)");
  const out: TimingResult[] = [];
  for (const t of TIMINGS) {
    const r = await measure(t);
    out.push(r);
    if (!asJson)
      console.log(
        `keepalive ${r.timing}: hbd start ${r.startMs.map((x) => `${Math.round(x)} ms`).join(" / ")} (n1 / n2; CPU ${r.startCpuMs.map((x) => `${Math.round(x)} ms`).join(" / ")}); ` +
          `idle RSS ${r.rssMb.map((x) => `${x.toFixed(1)} MB`).join(" / ")}; ` +
          `CPU ${r.cpuPct.map((x) => `${x.toFixed(2)} %`).join(" / ")} of a core over ${seconds} s from ${settle} s after start; ` +
          `hbctl status median ${r.hbctlMs.median.toFixed(0)} ms, p95 ${r.hbctlMs.p95.toFixed(0)} ms (${calls} calls; CPU ${r.hbctlCpuMs.toFixed(0)} ms each)`,
      );
  }
  if (asJson) console.log(JSON.stringify(out, null, 2));
}

for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => process.exit(130));
main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
