/**
 * Footprint benchmark (issue 15 §4-5; root, namespaces removed on exit): two
 * hbd nodes (haresources VIP only, crm off, ucast over a bridge, as the
 * failover benchmark) at keepalive 1 s and at 10 ms. Per timing it prints:
 *
 * - hbd start time: from spawning hbd until its `started` log line (media
 *   open, first heartbeat sent on the same tick), for both nodes;
 * - idle RSS (VmRSS) and CPU (utime + stime over the window, % of one core)
 *   of each hbd after it settled, sampled over `--seconds` (default 20);
 * - hbctl latency, wall time from spawn to exit (median, p95) and mean CPU of
 *   one call, `--calls` calls each (default 20), against n1, run as installed
 *   (package.json "bin": dist/src/bin/*.cjs; a build without them, e.g.
 *   TANDEM_DIST of an older checkout, through dist/src/cli/main.js):
 *   `hbctl status --json`; `hbctl standby n1` / `hbctl online n1`
 *   alternately; `hb_standby all` / `hb_takeover all` alternately (these
 *   move the VIP: 500 ms between calls). hbd's CPU when its `started` line
 *   was seen (CPU figures move less than wall times with the machine's load).
 * - the load average before and after, and whether NODE_EXTRA_CA_CERTS is set:
 *   Node 20 loads those certificates (and its own root store) at every start,
 *   ~60-100 ms of CPU and ~4 MB of RSS on the test machine, in hbd and hbctl
 *   alike. The package's wrappers start node without it (hbd hands it over
 *   to its children: src/daemon/ca-env.ts), and so does this benchmark, to
 *   measure the commands as installed; --inherit-env keeps the variable (the
 *   figures of a plain `node dist/src/bin/hbd.cjs`).
 *
 * - with --baseline, the same figures for a bare Node pair in the same namespaces: each process sends one
 *   384-byte datagram (about a heartbeat's size) to the other every keepalive and reads the other's: the
 *   floor that Node itself costs on this machine, at this load.
 *
 * Usage: node dist/bench/footprint.js [--seconds N] [--settle N] [--calls N] [--timing 1s|10ms] [--baseline]
 *        [--hbd-node-options STR] [--hbd-node-args STR] [--inherit-env] [--json]
 * (--hbd-node-options: NODE_OPTIONS for hbd only, e.g. "--jitless" or "--v8-pool-size=1", to measure
 * a flag before adopting it; --hbd-node-args: node flags before hbd's script, for those NODE_OPTIONS
 * refuses, e.g. "--perf-basic-prof" to attach perf, or "--prof".)
 * (--settle: seconds from start-up to the idle window, default 5; V8 compiles
 * hbd's hot functions for its first ~30 s, so `--settle 30` gives the steady state.)
 * (TANDEM_DIST=/other/checkout/dist measures another build's hbd and hbctl.)
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { dirname, join } from "node:path";
import { CA_HANDOVER, WRAPPER_CA_LINES } from "../src/daemon/ca-env.js";
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
/** Rounded up to even: standby/online (and hb_standby/hb_takeover) alternate, and the last call must undo a standby. */
const calls = (n: number): number => n + (n % 2);
const CALLS = calls(Math.min(500, num("--calls", 20)));
const asJson = argv.includes("--json");
const hbdNodeOptions = argv.includes("--hbd-node-options")
  ? argv[argv.indexOf("--hbd-node-options") + 1]
  : undefined;
const hbdNodeArgs = argv.includes("--hbd-node-args")
  ? (argv[argv.indexOf("--hbd-node-args") + 1] ?? "").split(" ").filter((a) => a !== "")
  : [];
const onlyTiming = argv.includes("--timing") ? argv[argv.indexOf("--timing") + 1] : undefined;
const baseline = argv.includes("--baseline");
/** Whether the commands run with this process's NODE_EXTRA_CA_CERTS (default: as the package's wrappers start them). */
const inheritEnv = argv.includes("--inherit-env");
if (!inheritEnv && !WRAPPER_CA_LINES.includes("unset NODE_EXTRA_CA_CERTS"))
  throw new Error("ca-env.ts changed: update the benchmark's copy of the wrapper's environment");
/** The installed wrappers' environment (scripts/package.mjs): hbd's hands the variable over, hbctl's drops it. */
const ca = process.env.NODE_EXTRA_CA_CERTS;
if (!inheritEnv) {
  delete process.env.NODE_EXTRA_CA_CERTS;
  if (ca) process.env[CA_HANDOVER] = ca;
}
const VIP = "10.250.0.100";
const AUTHKEYS = "auth 1\n1 sha1 footprint-bench-secret\n";
const CLK_TCK = 100;

/** The installed commands of the build measured (HBCTL is that build's dist/src/cli/main.js). */
const DIST_SRC = dirname(dirname(HBCTL));
const installed = (bin: string, old: string): string =>
  existsSync(join(DIST_SRC, "bin", bin)) ? join(DIST_SRC, "bin", bin) : join(DIST_SRC, "cli", old);
const BINS = {
  hbctl: installed("hbctl.cjs", "main.js"),
  hb_standby: installed("hb_standby.cjs", "hb-standby.js"),
  hb_takeover: installed("hb_takeover.cjs", "hb-takeover.js"),
};

const TIMINGS = [
  { name: "1s", keepalive: "1", deadtime: "3", warntime: "2", initdead: "6" },
  { name: "10ms", keepalive: "10ms", deadtime: "100ms", warntime: "50ms", initdead: "1" },
] as const;

if (onlyTiming !== undefined && !TIMINGS.some((t) => t.name === onlyTiming)) {
  console.error(`footprint: --timing ${onlyTiming}: unknown (${TIMINGS.map((t) => t.name).join(", ")})`);
  process.exit(2);
}
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
  /** Per command form: wall median and p95 (ms), mean CPU (ms) of one call (user + system). */
  readonly hbctl: Record<string, { median: number; p95: number; cpuMs: number }>;
  /** --baseline: a bare Node pair's idle RSS and CPU at the same timing. */
  baseline?: { rssMb: number[]; cpuPct: number[] };
}

/** Runs `calls` commands (`form(i)` gives the i-th: file, args, env) one after another; `pauseMs` between them. */
async function latency(
  form: (i: number) => { file: string; args: string[]; env?: NodeJS.ProcessEnv },
  pauseMs: number,
): Promise<{ median: number; p95: number; cpuMs: number }> {
  const lat: number[] = [];
  let cpu = 0;
  for (let i = 0; i < CALLS; i++) {
    const f = form(i);
    const cpu0 = childrenCpuMs();
    const s = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [f.file, ...f.args], {
      encoding: "utf8",
      timeout: 15_000,
      env: { ...process.env, ...f.env },
    });
    lat.push(Number(process.hrtime.bigint() - s) / 1e6);
    cpu += childrenCpuMs() - cpu0;
    if (r.status !== 0) throw new Error(`${f.file} ${f.args.join(" ")} failed: ${r.stderr}`);
    if (pauseMs > 0) await sleep(pauseMs);
  }
  return { median: pct(lat, 50), p95: pct(lat, 95), cpuMs: cpu / CALLS };
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
    const saved = process.env.NODE_OPTIONS;
    if (hbdNodeOptions !== undefined) process.env.NODE_OPTIONS = hbdNodeOptions;
    const spawned = [Date.now()];
    const c1 = lab.startHbd("a", "n1", d1, [], hbdNodeArgs);
    spawned.push(Date.now());
    const c2 = lab.startHbd("b", "n2", d2, [], hbdNodeArgs);
    if (saved === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = saved;
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
    const { rssMb, cpuPct } = await idle(pids);
    const sock = d1.sock;
    const hbctl: TimingResult["hbctl"] = {};
    hbctl["status --json"] = await latency(
      () => ({ file: BINS.hbctl, args: ["status", "--json", "--socket", sock] }),
      0,
    );
    hbctl["standby n1 / online n1"] = await latency(
      (i) => ({ file: BINS.hbctl, args: [i % 2 === 0 ? "standby" : "online", "n1", "--socket", sock] }),
      500,
    );
    hbctl["hb_standby / hb_takeover all"] = await latency(
      (i) => ({
        file: i % 2 === 0 ? BINS.hb_standby : BINS.hb_takeover,
        args: ["all"],
        env: { HBD_SOCKET: sock },
      }),
      500,
    );
    return {
      timing: t.name,
      startMs,
      startCpuMs,
      hbctl,
      rssMb,
      cpuPct,
    };
  } finally {
    lab.cleanup();
  }
}

/** A bare Node pair: one 384-byte datagram to the peer every `keepalive`, the peer's read and dropped. */
const BARE = (peer: string, everyMs: number): string => `
const s = require("node:dgram").createSocket("udp4");
const b = Buffer.alloc(384, 97);
let n = 0;
s.on("message", (m) => { n += m.length; });
s.bind(694, () => setInterval(() => s.send(b, 694, "${peer}"), ${everyMs}));`;

/** CPU (% of a core) and peak RSS (MB) of `pids` over the idle window (after `settle`). */
async function idle(pids: number[]): Promise<{ rssMb: number[]; cpuPct: number[] }> {
  const before = pids.map(cpuTicks);
  const t0 = Date.now();
  const rss: number[][] = pids.map(() => []);
  for (let i = 0; i < seconds; i++) {
    await sleep(1000);
    for (const [k, p] of pids.entries()) rss[k]?.push(rssKb(p));
  }
  const wallS = (Date.now() - t0) / 1000;
  return {
    rssMb: rss.map((xs) => Math.max(...xs) / 1024),
    cpuPct: pids.map((p, k) => ((cpuTicks(p) - (before[k] ?? 0)) / CLK_TCK / wallS) * 100),
  };
}

/** --baseline: the bare Node pair's idle figures at timing `t`, in the same namespaces as hbd's. */
async function measureBaseline(t: (typeof TIMINGS)[number]): Promise<{ rssMb: number[]; cpuPct: number[] }> {
  const lab = new FailoverLab("tdfb");
  try {
    lab.bridged(["a", "b"], "c");
    const everyMs = t.keepalive.endsWith("ms")
      ? Number.parseInt(t.keepalive, 10)
      : Number(t.keepalive) * 1000;
    const kids = [
      lab.spawnIn("a", BARE("10.250.0.2", everyMs)),
      lab.spawnIn("b", BARE("10.250.0.1", everyMs)),
    ];
    await sleep(settle * 1000);
    return await idle(kids.map((k) => k.pid).filter((p): p is number => p !== undefined));
  } finally {
    lab.cleanup();
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error("the footprint benchmark needs root (ip netns)");
  const out: TimingResult[] = [];
  const load = () =>
    loadavg()
      .map((x) => x.toFixed(2))
      .join(" ");
  const env = `NODE_EXTRA_CA_CERTS ${ca ? "set" : "unset"}${ca && !inheritEnv ? " (hbd and hbctl start without it, as the package's wrappers do; --inherit-env to keep it)" : ""}; hbctl = ${BINS.hbctl}${hbdNodeOptions === undefined ? "" : `; hbd NODE_OPTIONS=${hbdNodeOptions}`}`;
  const loadBefore = load();
  if (!asJson) console.log(`load average ${loadBefore} (1/5/15 min); ${env}`);
  for (const t of TIMINGS) {
    if (onlyTiming !== undefined && t.name !== onlyTiming) continue;
    const r = await measure(t);
    if (baseline) r.baseline = await measureBaseline(t);
    out.push(r);
    if (!asJson)
      console.log(
        `keepalive ${r.timing}: hbd start ${r.startMs.map((x) => `${Math.round(x)} ms`).join(" / ")} (n1 / n2; CPU ${r.startCpuMs.map((x) => `${Math.round(x)} ms`).join(" / ")}); ` +
          `idle RSS ${r.rssMb.map((x) => `${x.toFixed(1)} MB`).join(" / ")}; ` +
          `CPU ${r.cpuPct.map((x) => `${x.toFixed(2)} %`).join(" / ")} of a core over ${seconds} s from ${settle} s after start; ` +
          Object.entries(r.hbctl)
            .map(
              ([k, v]) =>
                `${k} median ${v.median.toFixed(0)} ms, p95 ${v.p95.toFixed(0)} ms (CPU ${v.cpuMs.toFixed(0)} ms)`,
            )
            .join("; ") +
          ` (${CALLS} calls each)` +
          (r.baseline === undefined
            ? ""
            : `; bare Node pair: RSS ${r.baseline.rssMb.map((x) => `${x.toFixed(1)} MB`).join(" / ")}, CPU ${r.baseline.cpuPct.map((x) => `${x.toFixed(2)} %`).join(" / ")}`),
      );
  }
  if (!asJson) console.log(`load average ${load()} after`);
  if (asJson) console.log(JSON.stringify({ loadBefore, loadAfter: load(), env, timings: out }, null, 2));
}

for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => process.exit(130));
main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
