/**
 * Failover benchmark (issue 6 §6): two hbd nodes run the haresources VIP
 * `n1 IPaddr2::10.250.0.100/24/eth0` (ucast, auto_failback on) in network
 * namespaces bridged to a third, client namespace (bench/failover-lab.ts).
 * Each node runs an HTTP server on 0.0.0.0:8080 answering its node name; the
 * client starts an HTTP GET to the VIP every 5 ms (new connection, 250 ms
 * timeout) and logs start, end and answer of each probe.
 *
 * - fast / slow: power loss of n1 (Date.now(), SIGKILL of its hbd, eth0 down in
 *   its namespace) → time until the first probe answered by n2 completes, and
 *   the probes that failed in between. n1 is then "rebooted" (VIP removed, link
 *   up, hbd restarted), the VIP fails back, and the next trial waits until n1
 *   has run > 5.5 s (Heartbeat's start-up dt rule) and the cluster is settled.
 * - standby: `hbctl standby n1` on the fast cluster → VIP gap = longest time
 *   between two consecutive successful probe completions around the move.
 *
 * Runs as root. Usage:
 *   node dist/bench/failover.js [--trials N] [--only fast,slow,standby] [--json]
 */
import type { ChildProcess } from "node:child_process";
import type { StatusReport } from "../src/ipc/protocol.js";
import type { NodeDirs } from "../test/e2e/daemon/lab.js";
import { FailoverLab } from "./failover-lab.js";

const VIP = "10.250.0.100";
const PROBE_EVERY_MS = 5;
const PROBE_TIMEOUT_MS = 250;
const DT_RULE_MS = 5500;
const AUTHKEYS = "auth 1\n1 sha1 failover-bench-secret\n";
const HARESOURCES = `n1 IPaddr2::${VIP}/24/eth0\n`;

interface Timing {
  readonly name: "fast" | "slow";
  readonly keepalive: string;
  readonly deadtime: string;
  readonly warntime: string;
  readonly initdead: string;
  readonly deadtimeMs: number;
}
const TIMINGS: readonly Timing[] = [
  { name: "slow", keepalive: "1", deadtime: "3", warntime: "2", initdead: "6", deadtimeMs: 3000 },
  { name: "fast", keepalive: "20ms", deadtime: "100ms", warntime: "60ms", initdead: "1", deadtimeMs: 100 },
];

const argv = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const trials = Math.max(1, Number(opt("--trials") ?? 10) || 10);
const only = new Set((opt("--only") ?? "fast,slow,standby").split(","));
const asJson = argv.includes("--json");

/** One probe of the client: start and end (epoch ms) and the answer, or "-" when it failed. */
interface Probe {
  readonly start: number;
  readonly end: number;
  readonly answer: string;
}

const clientScript = `
const http = require("node:http");
let pending = "";
setInterval(() => {
  const start = Date.now();
  let done = false;
  const fin = (a) => { if (!done) { done = true; clearTimeout(t); pending += start + " " + Date.now() + " " + a + "\\n"; } };
  const req = http.get({ host: ${JSON.stringify(VIP)}, port: 8080, path: "/", agent: false }, (res) => {
    let body = "";
    res.setEncoding("utf8");
    res.on("data", (d) => (body += d));
    res.on("end", () => fin(body.trim() || "?"));
    res.on("error", () => fin("-"));
  });
  const t = setTimeout(() => { req.destroy(); fin("-"); }, ${PROBE_TIMEOUT_MS});
  req.on("error", () => fin("-"));
}, ${PROBE_EVERY_MS});
setInterval(() => { if (pending) { process.stdout.write(pending); pending = ""; } }, 10);
setTimeout(() => process.exit(0), 30 * 60 * 1000);
`;
const serverScript = (node: string) =>
  `require("node:http").createServer((q, s) => s.end(${JSON.stringify(`${node}\n`)})).listen(8080, "0.0.0.0");`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Collects the client's probes from its stdout. */
class ProbeLog {
  readonly probes: Probe[] = [];
  private rest = "";
  constructor(child: ChildProcess) {
    child.stdout?.setEncoding("utf8");
    child.stdout?.on("data", (chunk: string) => {
      const lines = (this.rest + chunk).split("\n");
      this.rest = lines.pop() ?? "";
      for (const l of lines) {
        const [s, e, a] = l.split(" ");
        if (s !== undefined && e !== undefined && a !== undefined)
          this.probes.push({ start: Number(s), end: Number(e), answer: a });
      }
      if (this.probes.length > 400_000) this.probes.splice(0, 200_000); // bounded
    });
  }
  /** The first probe answered by `node` that completed after `t`. */
  firstAnswer(node: string, t: number): Probe | undefined {
    let best: Probe | undefined;
    for (const p of this.probes) if (p.answer === node && p.end > t && (!best || p.end < best.end)) best = p;
    return best;
  }
  /** The answer of the probe that completed last, if any. */
  last(): string | undefined {
    return this.probes.at(-1)?.answer;
  }
}

interface Cluster {
  readonly lab: FailoverLab;
  readonly d1: NodeDirs;
  readonly d2: NodeDirs;
  readonly client: ProbeLog;
  n1StartedAt: number;
}

const status = (c: Cluster, sock: string): StatusReport | undefined => {
  const r = c.lab.hbctl(["status", "--json", "--socket", sock]);
  return r.code === 0 ? (JSON.parse(r.out) as StatusReport) : undefined;
};
const logs = (c: Cluster) =>
  `--- n1\n${c.lab.log("n1").slice(-4000)}\n--- n2\n${c.lab.log("n2").slice(-4000)}`;

function startCluster(t: Timing): Cluster {
  const lab = new FailoverLab();
  lab.bridged(["a", "b"], "c");
  const hacf = (peer: string) =>
    `udpport 694\nucast eth0 ${peer}\nkeepalive ${t.keepalive}\ndeadtime ${t.deadtime}\nwarntime ${t.warntime}\ninitdead ${t.initdead}\nauto_failback on\nnode n1\nnode n2\ncrm off\n`;
  const d1 = lab.configureCrm("n1", hacf("10.250.0.2"), AUTHKEYS, HARESOURCES);
  const d2 = lab.configureCrm("n2", hacf("10.250.0.1"), AUTHKEYS, HARESOURCES);
  lab.spawnIn("a", serverScript("n1"));
  lab.spawnIn("b", serverScript("n2"));
  const client = new ProbeLog(lab.spawnIn("c", clientScript));
  const n1StartedAt = Date.now();
  lab.startHbd("a", "n1", d1);
  lab.startHbd("b", "n2", d2);
  return { lab, d1, d2, client, n1StartedAt };
}

/** Waits (bounded) until the VIP is on n1 only, served by n1, both agree, the DC is idle and the dt rule holds. */
async function settledOnN1(c: Cluster, maxMs: number): Promise<void> {
  const ok = await c.lab.waitFor(
    () => {
      if (Date.now() < c.n1StartedAt + DT_RULE_MS) return false;
      if (!c.lab.hasAddress("a", VIP) || c.lab.hasAddress("b", VIP) || c.client.last() !== "n1") return false;
      const crm = status(c, c.d2.sock)?.crm;
      return crm?.busy === false && crm.resources[0]?.running.join() === "n1";
    },
    maxMs,
    200,
  );
  if (!ok) throw new Error(`cluster did not settle with the VIP on n1\n${logs(c)}`);
  await sleep(300); // let the client log a few n1 answers after settling
}

interface FailoverTrial {
  readonly ms: number;
  readonly failedProbes: number;
}

/** Power loss of n1 → first answer from n2; then reboots n1 and waits for failback. */
async function failoverTrial(c: Cluster, t: Timing): Promise<FailoverTrial> {
  await settledOnN1(c, 40_000);
  const lostAt = Date.now();
  c.lab.kill("n1", "SIGKILL");
  c.lab.exec("a", "ip", "link", "set", "eth0", "down");
  const served = await c.lab.waitFor(
    () => c.client.firstAnswer("n2", lostAt) !== undefined,
    t.deadtimeMs + 10_000,
    5,
  );
  const first = c.client.firstAnswer("n2", lostAt);
  if (!served || first === undefined) throw new Error(`VIP never answered from n2\n${logs(c)}`);
  await sleep(PROBE_TIMEOUT_MS + 100); // the probes in flight at the move time out or complete
  const failedProbes = c.client.probes.filter(
    (p) => p.answer === "-" && p.end > lostAt && p.start < first.end,
  ).length;
  // reboot n1: its VIP is gone, link up, hbd restarted; auto_failback brings the VIP home
  await c.lab.exited("n1", 5000);
  c.lab.exec("a", "ip", "addr", "del", `${VIP}/24`, "dev", "eth0");
  c.lab.exec("a", "ip", "link", "set", "eth0", "up");
  c.n1StartedAt = Date.now();
  c.lab.startHbd("a", "n1", c.d1);
  return { ms: first.end - lostAt, failedProbes };
}

interface StandbyTrial {
  readonly gapMs: number;
  readonly failedProbes: number;
  readonly commandMs: number;
}

/** `hbctl standby n1` → longest stretch without a successful probe until n2 serves; then `hbctl online n1`. */
async function standbyTrial(c: Cluster): Promise<StandbyTrial> {
  await settledOnN1(c, 40_000);
  const at = Date.now();
  const r = c.lab.hbctl(["standby", "n1", "--socket", c.d1.sock]);
  const commandMs = Date.now() - at;
  if (r.code !== 0) throw new Error(`hbctl standby failed: ${r.err}`);
  const served = await c.lab.waitFor(() => c.client.firstAnswer("n2", at) !== undefined, 10_000, 5);
  const first = c.client.firstAnswer("n2", at);
  if (!served || first === undefined) throw new Error(`standby did not move the VIP\n${logs(c)}`);
  await sleep(PROBE_TIMEOUT_MS + 100); // the probes in flight at the move time out or complete
  const oks = c.client.probes
    .filter((p) => p.answer !== "-" && p.end >= at - 200 && p.end <= first.end)
    .map((p) => p.end)
    .sort((x, y) => x - y);
  let gapMs = 0;
  for (let i = 1; i < oks.length; i++) gapMs = Math.max(gapMs, oks[i]! - oks[i - 1]!);
  const failedProbes = c.client.probes.filter(
    (p) => p.answer === "-" && p.end > at && p.start < first.end,
  ).length;
  const on = c.lab.hbctl(["online", "n1", "--socket", c.d2.sock]);
  if (on.code !== 0) throw new Error(`hbctl online failed: ${on.err}`);
  return { gapMs, failedProbes, commandMs };
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const summary = (xs: readonly number[]) => ({
  median: median(xs),
  max: Math.max(...xs),
  min: Math.min(...xs),
});

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error("the failover benchmark needs root (ip netns)");
  const results: Record<string, unknown> = {};
  const say = (s: string) => {
    if (!asJson) console.log(s);
  };
  say(
    `failover benchmark: ${trials} trial(s), probe every ${PROBE_EVERY_MS} ms (timeout ${PROBE_TIMEOUT_MS} ms) from a client namespace over a bridge`,
  );
  for (const t of TIMINGS) {
    const doFailover = only.has(t.name);
    const doStandby = t.name === "fast" && only.has("standby");
    if (!doFailover && !doStandby) continue;
    const c = startCluster(t);
    try {
      if (doFailover) {
        const runs: FailoverTrial[] = [];
        for (let i = 0; i < trials; i++) {
          runs.push(await failoverTrial(c, t));
          say(`  ${t.name} #${i + 1}: ${runs.at(-1)!.ms} ms, ${runs.at(-1)!.failedProbes} failed probes`);
        }
        const ms = summary(runs.map((r) => r.ms));
        const failed = summary(runs.map((r) => r.failedProbes));
        results[t.name] = {
          keepalive: t.keepalive,
          deadtime: t.deadtime,
          trials: runs,
          ms,
          failedProbes: failed,
        };
        say(
          `${t.name} (keepalive ${t.keepalive}, deadtime ${t.deadtime}): power loss → VIP answers HTTP: median ${ms.median} ms, max ${ms.max} ms (min ${ms.min}); failed probes median ${failed.median}, max ${failed.max}`,
        );
      }
      if (doStandby) {
        const runs: StandbyTrial[] = [];
        for (let i = 0; i < trials; i++) {
          runs.push(await standbyTrial(c));
          say(
            `  standby #${i + 1}: gap ${runs.at(-1)!.gapMs} ms, ${runs.at(-1)!.failedProbes} failed probes`,
          );
        }
        const gap = summary(runs.map((r) => r.gapMs));
        const failed = summary(runs.map((r) => r.failedProbes));
        results.standby = {
          keepalive: t.keepalive,
          deadtime: t.deadtime,
          trials: runs,
          gapMs: gap,
          failedProbes: failed,
        };
        say(
          `standby (keepalive ${t.keepalive}, deadtime ${t.deadtime}): hbctl standby n1 VIP gap: median ${gap.median} ms, max ${gap.max} ms (min ${gap.min}); failed probes median ${failed.median}, max ${failed.max}`,
        );
      }
    } finally {
      c.lab.cleanup();
    }
  }
  if (asJson) console.log(JSON.stringify(results, null, 2));
}

for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => process.exit(130)); // exit handlers clean up
main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
