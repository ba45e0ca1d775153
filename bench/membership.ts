/**
 * Membership benchmark: real hbd processes exchanging real UDP in network
 * namespaces (the interop lab of test/e2e/interop/lab.ts; root only).
 *
 * 1. latency: keepalive 20 ms / deadtime 100 ms, two hbd nodes; N times, the
 *    node that has been up longest (>= 5.5 s, so its peer applies the
 *    configured deadtime and not the start-up deadtime + 2 s) is SIGKILLed
 *    and its link set down; latency = the survivor's `node-status dead`
 *    record in its pino log (ms timestamps) minus Date.now() just before the
 *    SIGKILL, both on the same clock. Chosen over polling `hbctl cl
 *    nodestatus`, whose Node.js start-up (~100+ ms) would swamp the figure.
 * 2. idle: CPU % (utime+stime from /proc/PID/stat over the window) and RSS
 *    (VmRSS) of one node of an idle pair, at keepalive 1 s and 10 ms, for hbd
 *    and (unless --no-heartbeat) real Heartbeat 3.0.6 summed over its
 *    processes (with its default `realtime on`: SCHED_FIFO and mlockall, as
 *    in production); all pairs run during the same window.
 * 3. hog: keepalive 20 ms / deadtime 100 ms; hbd `a` and a busy loop pinned
 *    to CPU 0 (`b` on CPU 1); the event-loop lag hbd measures itself
 *    (`hbctl status --json`: eventLoop, sampled every 500 ms, and its
 *    running maximum) on a fresh pair without, then with the hog; late
 *    heartbeats `b` logs for `a`; false deaths (any `node-status dead`).
 *
 * Run: `npx tsc -p . && node dist/bench/membership.js [--runs 20]
 * [--duration 60] [--hog-duration 10] [--only latency,idle,hog]
 * [--no-heartbeat] [--json]`. Every wait is bounded; namespaces, processes
 * and temp dirs are removed on exit, failure included.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import {
  InteropLab,
  labUnavailable,
  type NodeKind,
  pollUntil,
  sleep,
  type Timing,
} from "../test/e2e/interop/lab.js";

const { values: opt } = parseArgs({
  options: {
    runs: { type: "string", default: "20" },
    duration: { type: "string", default: "60" },
    "hog-duration": { type: "string", default: "10" },
    only: { type: "string", default: "latency,idle,hog" },
    "no-heartbeat": { type: "boolean", default: false },
    json: { type: "boolean", default: false },
  },
});
const bounded = (v: string, lo: number, hi: number) =>
  Math.min(hi, Math.max(lo, Math.round(Number(v) || lo)));
const runs = bounded(opt.runs, 1, 200);
const durationS = bounded(opt.duration, 1, 600);
const hogS = bounded(opt["hog-duration"], 1, 120);
const only = new Set(opt.only.split(","));

const FAST: Timing = { keepaliveMs: 20, deadtimeMs: 100, warntimeMs: 60, initdeadMs: 200 };
/** A node's status messages carry dt = deadtime + 2 s during its first 5 s. */
const STARTUP_DT_MS = 5500;
const CLK_TCK = 100; // Linux USER_HZ on every supported architecture

const report: Record<string, unknown> = {};
const say = (line: string) => {
  if (!opt.json) console.log(line);
};

/** Nearest-rank percentile of sorted values. */
function pct(sorted: number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

function summary(values: number[]) {
  const s = [...values].sort((x, y) => x - y);
  return {
    n: s.length,
    min: s[0],
    p50: pct(s, 0.5),
    p99: pct(s, 0.99),
    max: s[s.length - 1],
    mean: s.length ? Math.round((s.reduce((a, b) => a + b, 0) / s.length) * 10) / 10 : undefined,
  };
}

/**
 * Waits until hbd on `observer` logged `peer` active at or after sinceMs;
 * returns that record's epoch ms (the peer was certainly running by then).
 */
async function hbdSeesActive(
  lab: InteropLab,
  observer: string,
  peer: string,
  sinceMs: number,
  timeoutMs = 15_000,
): Promise<number> {
  const r = await pollUntil(
    () => lab.hbdNodeStatusAt(observer, peer, "active", sinceMs),
    (at) => at !== undefined,
    timeoutMs,
    10,
  );
  if (r.value === undefined)
    throw new Error(`${observer} never saw ${peer} active\n${lab.logTail(observer)}\n${lab.logTail(peer)}`);
  return r.value;
}

/** Starts both nodes of a pair; returns when each one was seen active by the other (epoch ms). */
async function startPair(
  lab: InteropLab,
  kind: NodeKind,
  cpus?: [number, number],
): Promise<Record<string, number>> {
  const since = Date.now();
  if (kind === "heartbeat") {
    await lab.startHeartbeat("a");
    await lab.startHeartbeat("b");
    const r = await pollUntil(
      () => [lab.nodeStatus("a", "b").out, lab.nodeStatus("b", "a").out],
      (v) => v.every((s) => s === "active"),
      15_000,
      50,
    );
    if (!r.ok) throw new Error(`real pair never became active\n${lab.logTail("a")}\n${lab.logTail("b")}`);
    return { a: since, b: since };
  }
  lab.startHbd("a", cpus ? { cpu: cpus[0] } : {});
  lab.startHbd("b", cpus ? { cpu: cpus[1] } : {});
  return { b: await hbdSeesActive(lab, "a", "b", since), a: await hbdSeesActive(lab, "b", "a", since) };
}

const pair = (kind: NodeKind, timing: Timing, realtime = false) =>
  new InteropLab(
    [
      { name: "a", kind },
      { name: "b", kind },
    ],
    timing,
    { realtime },
  );

// ---------------------------------------------------------------- 1. detection latency

async function latency(): Promise<void> {
  const lab = pair("hbd", FAST);
  const latencies: number[] = [];
  let missed = 0;
  try {
    const upSince = await startPair(lab, "hbd");
    for (let i = 0; i < runs; i++) {
      const victim = i % 2 === 0 ? "a" : "b";
      const observer = victim === "a" ? "b" : "a";
      await sleep(Math.max(0, (upSince[victim] ?? 0) + STARTUP_DT_MS - Date.now()));
      const killedAt = lab.killNode(victim);
      lab.link(victim, false);
      const r = await pollUntil(
        () => lab.hbdNodeStatusAt(observer, victim, "dead", killedAt),
        (at) => at !== undefined,
        FAST.deadtimeMs + 3000,
        5,
      );
      if (r.value === undefined) missed++;
      else latencies.push(r.value - killedAt);
      lab.link(victim, true);
      const restart = Date.now();
      lab.startHbd(victim);
      upSince[victim] = await hbdSeesActive(lab, observer, victim, restart);
    }
  } finally {
    lab.cleanup();
  }
  const s = summary(latencies);
  report["latency"] = { timing: FAST, method: "pino node-status dead record - SIGKILL time", missed, ms: s };
  say(
    `detection latency, hbd <-> hbd, keepalive ${FAST.keepaliveMs} ms / deadtime ${FAST.deadtimeMs} ms, ${s.n} runs (${missed} missed):`,
  );
  say(
    `  p50 ${s.p50} ms  p99 ${s.p99} ms  min ${s.min} ms  max ${s.max} ms  mean ${s.mean} ms  (target p99 <= ${FAST.deadtimeMs + 10} ms)`,
  );
}

// ---------------------------------------------------------------- 2. idle cost

interface Usage {
  ticks: number;
  rssKb: number;
}

function usage(pids: number[]): Map<number, Usage> {
  const out = new Map<number, Usage>();
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const ticks = Number(f[11]) + Number(f[12]); // utime, stime (fields 14, 15)
      const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      out.set(pid, { ticks, rssKb: Number(rss?.[1] ?? 0) });
    } catch {
      // exited
    }
  }
  return out;
}

async function idle(): Promise<void> {
  const kinds: NodeKind[] =
    opt["no-heartbeat"] || labUnavailable(["heartbeat"]) ? ["hbd"] : ["hbd", "heartbeat"];
  const cases = kinds.flatMap((kind) =>
    [
      { keepaliveMs: 1000, deadtimeMs: 6000, warntimeMs: 3000, initdeadMs: 12_000 },
      { keepaliveMs: 10, deadtimeMs: 500, warntimeMs: 250, initdeadMs: 1000 },
    ].map((timing) => ({ kind, timing, lab: pair(kind, timing, kind === "heartbeat") })),
  );
  const rows: Record<string, unknown>[] = [];
  try {
    await Promise.all(cases.map((c) => startPair(c.lab, c.kind)));
    await sleep(2000);
    const before = cases.map((c) => usage(c.lab.pids("a")));
    const t0 = performance.now();
    await sleep(durationS * 1000);
    const wallS = (performance.now() - t0) / 1000;
    cases.forEach((c, i) => {
      const after = usage(c.lab.pids("a"));
      let ticks = 0;
      let rssKb = 0;
      for (const [pid, u] of after) {
        const b = before[i]?.get(pid);
        if (b) ticks += u.ticks - b.ticks;
        rssKb += u.rssKb;
      }
      const cpuPct = Math.round((ticks / CLK_TCK / wallS) * 100 * 1000) / 1000;
      const label = c.kind === "hbd" ? "hbd" : "heartbeat 3.0.6";
      rows.push({
        kind: c.kind,
        keepaliveMs: c.timing.keepaliveMs,
        processes: after.size,
        cpuPct,
        rssMb: rssKb / 1024,
      });
      say(
        `idle ${label}, keepalive ${c.timing.keepaliveMs} ms, ${wallS.toFixed(0)} s: CPU ${cpuPct} %  RSS ${(rssKb / 1024).toFixed(1)} MB (${after.size} process${after.size === 1 ? "" : "es"})`,
      );
    });
  } finally {
    for (const c of cases) c.lab.cleanup();
  }
  report["idle"] = { durationS, rows };
}

// ---------------------------------------------------------------- 3. event-loop lag under a CPU hog

interface LagWindow {
  samples: number[];
  /** hbd's running maximum at the end of the window (since its start, settling time included). */
  maxLagMs: number | undefined;
  lateHeartbeats: number;
  maxLateIntervalMs: number | undefined;
  /** `observer saw peer dead` records logged during the window. */
  falseDeaths: string[];
}

function hbdStatus(lab: InteropLab, name: string): { lagMs: number; maxLagMs: number } | undefined {
  const r = lab.hbctl(name, "status", "--json");
  try {
    const j = JSON.parse(r.out) as { eventLoop?: { lagMs: number; maxLagMs: number } };
    return j.eventLoop;
  } catch {
    return undefined;
  }
}

async function lagWindow(lab: InteropLab, seconds: number): Promise<LagWindow> {
  const from = Date.now();
  const samples: number[] = [];
  const end = performance.now() + seconds * 1000;
  for (let i = 0; i < 10_000 && performance.now() < end; i++) {
    const s = hbdStatus(lab, "a");
    if (s) samples.push(s.lagMs);
    await sleep(500);
  }
  const endMax = hbdStatus(lab, "a")?.maxLagMs;
  const late = lab
    .hbdEvents("b")
    .filter((e) => e["event"] === "late-heartbeat" && e["peer"] === "a" && e.atMs >= from);
  const deaths = ["a", "b"].flatMap((n) =>
    lab
      .hbdEvents(n)
      .filter((e) => e["event"] === "node-status" && e["status"] === "dead" && e.atMs >= from)
      .map((e) => `${n} saw ${String(e["peer"])} dead`),
  );
  const intervals = late.map((e) => Number(e["intervalMs"])).filter(Number.isFinite);
  return {
    samples,
    maxLagMs: endMax,
    lateHeartbeats: late.length,
    maxLateIntervalMs: intervals.length ? Math.round(Math.max(...intervals)) : undefined,
    falseDeaths: deaths,
  };
}

/**
 * One window on a fresh pair (so hbd's running maximum of the lag starts
 * near zero): `a` on CPU 0, `b` on CPU 1, optionally a busy loop on CPU 0.
 */
async function hogWindow(withHog: boolean, realtime: boolean): Promise<LagWindow> {
  const lab = pair("hbd", FAST, realtime);
  let hogger: ChildProcess | undefined;
  const stopHog = () => {
    if (hogger?.pid !== undefined && hogger.exitCode === null && hogger.signalCode === null)
      hogger.kill("SIGKILL");
  };
  process.on("exit", stopHog);
  try {
    const up = await startPair(lab, "hbd", [0, 1]);
    await sleep(Math.max(0, Math.max(up["a"] ?? 0, up["b"] ?? 0) + STARTUP_DT_MS - Date.now()));
    if (withHog) {
      hogger = spawn("taskset", ["-c", "0", process.execPath, "-e", "for(;;){}"], { stdio: "ignore" });
      await sleep(200);
    }
    return await lagWindow(lab, hogS);
  } finally {
    stopHog();
    process.off("exit", stopHog);
    lab.cleanup();
  }
}

async function hog(): Promise<void> {
  // realtime on is hbd's default (Heartbeat's too); off shows what SCHED_FIFO buys.
  const windows: Record<string, LagWindow> = {};
  windows["quiet, realtime on "] = await hogWindow(false, true);
  windows["hog,   realtime on "] = await hogWindow(true, true);
  windows["quiet, realtime off"] = await hogWindow(false, false);
  windows["hog,   realtime off"] = await hogWindow(true, false);
  report["hog"] = {
    timing: FAST,
    seconds: hogS,
    windows: Object.fromEntries(
      Object.entries(windows).map(([k, w]) => [k, { ...w, samples: summary(w.samples) }]),
    ),
  };
  say(
    `event-loop lag of hbd a (CPU 0), keepalive ${FAST.keepaliveMs} ms / deadtime ${FAST.deadtimeMs} ms, ${hogS} s per window:`,
  );
  for (const [k, w] of Object.entries(windows)) {
    const s = summary(w.samples);
    say(
      `  ${k.replace("hog,  ", "busy loop on CPU 0,")}: sampled lag p50 ${s.p50} ms p99 ${s.p99} ms max ${s.max} ms (${s.n} samples); max since start ${w.maxLagMs ?? "?"} ms; late heartbeats seen by b: ${w.lateHeartbeats}${w.maxLateIntervalMs === undefined ? "" : ` (max interval ${w.maxLateIntervalMs} ms)`}; false deaths: ${w.falseDeaths.length}${w.falseDeaths.length ? ` (${w.falseDeaths.join(", ")})` : ""}`,
    );
  }
}

// ---------------------------------------------------------------- main

const why = labUnavailable(["hbd"]);
if (why) {
  console.error(`bench:membership: ${why}`);
  process.exit(1);
}
if (only.has("latency")) await latency();
if (only.has("idle")) await idle();
if (only.has("hog")) await hog();
if (opt.json) console.log(JSON.stringify(report, null, 2));
