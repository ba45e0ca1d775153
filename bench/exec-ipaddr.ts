/**
 * IPaddr2 start latency: time from the executor's start call to (a) the address
 * being up (kernel notification seen by `ip -ts monitor address`) and (b) the
 * first gratuitous ARP on the wire (tcpdump -tt), for Tandem's IPaddr2 and, when
 * installed, Debian's ocf:heartbeat:IPaddr2, side by side.
 *
 * Runs as root: creates a private network namespace `tdx-<pid>-bench` (a veth
 * pair created inside it; nothing touches the host's interfaces), re-runs
 * itself inside it (`--inner`) so that agents are spawned directly, as in
 * production, and deletes the namespace on exit.
 *
 * Usage: node dist/bench/exec-ipaddr.js [--runs N] [--json]
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { defaultHaEnv } from "../src/exec/env.js";
import { createExecutor } from "../src/exec/process.js";
import type { AgentSpec } from "../src/exec/types.js";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = [resolve(here, ".."), resolve(here, "../..")].find((d) =>
  existsSync(join(d, "resource.d")),
)!;
const debianIPaddr2 = "/usr/lib/ocf/resource.d/heartbeat/IPaddr2";
const argv = process.argv.slice(2);
const runs = Number(argv[argv.indexOf("--runs") + 1] ?? 0) || 30;
const asJson = argv.includes("--json");
const inner = argv.includes("--inner");
const ns = inner ? "" : `tdx-${process.pid}-bench`;
const tmp = mkdtempSync(join(tmpdir(), `${ns}-`));
const children: ChildProcess[] = [];

/** Wall-clock now in ms with sub-ms precision (comparable with tcpdump and ip -ts). */
const wallNow = (): number => performance.timeOrigin + performance.now();

function cleanup(): void {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  try {
    if (ns) execFileSync("ip", ["netns", "del", ns], { stdio: "ignore" });
  } catch {
    // not created or already gone
  }
  rmSync(tmp, { recursive: true, force: true });
}
process.on("exit", cleanup);
for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => process.exit(130));

const inNs = (...cmd: string[]) => execFileSync("ip", ["netns", "exec", ns, ...cmd], { encoding: "utf8" });

/** Outside: build the namespace and run the measurement inside it. */
function outer(): void {
  if (process.getuid?.() !== 0) throw new Error("needs root (ip netns add)");
  execFileSync("ip", ["netns", "add", ns]);
  inNs("ip", "link", "set", "lo", "up");
  inNs("ip", "link", "add", "eth0", "type", "veth", "peer", "name", "peer0");
  inNs("ip", "link", "set", "eth0", "up");
  inNs("ip", "link", "set", "peer0", "up");
  inNs("ip", "addr", "add", "10.69.0.1/16", "dev", "eth0");
  const r = spawnSync(
    "ip",
    ["netns", "exec", ns, process.execPath, fileURLToPath(import.meta.url), "--inner", ...argv],
    {
      stdio: "inherit",
      timeout: 600_000,
    },
  );
  process.exitCode = r.status ?? 1;
}

/** Event times (wall ms) by IP, from a line-oriented watcher child. */
function watch(cmd: string[], parse: (line: string) => { ip: string; at: number } | undefined) {
  const seen = new Map<string, number[]>();
  const c = spawn(cmd[0]!, cmd.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
  children.push(c);
  let buf = "";
  c.stdout.on("data", (b: Buffer) => {
    buf += b.toString();
    let i = buf.indexOf("\n");
    while (i >= 0) {
      const ev = parse(buf.slice(0, i));
      buf = buf.slice(i + 1);
      if (ev) seen.set(ev.ip, [...(seen.get(ev.ip) ?? []), ev.at]);
      i = buf.indexOf("\n");
    }
  });
  return { child: c, first: (ip: string, after: number) => seen.get(ip)?.find((t) => t >= after) };
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Inside the namespace: measure. */
async function main(): Promise<void> {
  const addrUp = watch(["ip", "-ts", "monitor", "address"], (line) => {
    const m = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)\] \d+: \S+\s+inet (\d+\.\d+\.\d+\.\d+)\//.exec(
      line,
    );
    return m ? { ip: m[3]!, at: new Date(m[1]!).getTime() + Number(m[2]) * 1000 } : undefined;
  });
  const arp = watch(["tcpdump", "-tt", "-n", "-l", "-i", "peer0", "arp"], (line) => {
    const m = /^(\d+\.\d+) ARP, (?:Request who-has (\S+) .*tell \2|Reply (\S+) is-at)/.exec(line);
    return m ? { ip: (m[2] ?? m[3])!, at: Number(m[1]) * 1000 } : undefined;
  });
  await new Promise<void>((res, rej) => {
    const t = setTimeout(() => rej(new Error("tcpdump did not start")), 5000);
    arp.child.stderr?.on("data", (b: Buffer) => {
      if (b.toString().includes("listening on")) {
        clearTimeout(t);
        res();
      }
    });
  });
  await sleep(200);

  const ours = join(repoRoot, "resource.d");
  const haveDebian = existsSync(debianIPaddr2);
  const ex = createExecutor({
    ocfProviderDirs: { tandem: ours, bin: "/bin" },
    resourceDirs: [ours],
    haEnv: { ...defaultHaEnv, HA_RSCTMP: join(tmp, "rsc") },
    defaultTimeoutMs: 20_000,
  });

  // Cost of spawning any process through the executor (a floor for every figure below).
  const floor: number[] = [];
  for (let i = 0; i < 23; i++) {
    const r = await ex.exec({
      rscId: "t",
      agent: { class: "ocf", type: "true", provider: "bin" },
      op: "start",
    });
    if (i >= 3) floor.push(r.durationMs);
  }

  interface Variant {
    readonly name: string;
    readonly agent: (ip: string) => AgentSpec;
  }
  const variants: Variant[] = [
    {
      name: "tandem IPaddr2 (OCF, nic+netmask given)",
      agent: (ip) => ({
        class: "ocf",
        type: "IPaddr2",
        provider: "tandem",
        params: { ip, nic: "eth0", cidr_netmask: "16" },
      }),
    },
    {
      name: "tandem IPaddr2 (Heartbeat call, nic from route)",
      agent: (ip) => ({ class: "heartbeat", type: "IPaddr2", args: [ip] }),
    },
  ];
  if (haveDebian)
    variants.push({
      name: "Debian ocf:heartbeat:IPaddr2 4.12",
      agent: (ip) => ({
        class: "ocf",
        type: "IPaddr2",
        provider: "heartbeat",
        params: { ip, nic: "eth0", cidr_netmask: "16" },
      }),
    });

  const report: Record<string, unknown> = {
    runs,
    spawnFloorMs: { median: pct(floor, 50), p95: pct(floor, 95) },
    variants: [] as unknown[],
  };
  // Variants are interleaved run by run so background load affects them alike.
  const stats = variants.map(() => ({
    exitMs: [] as number[],
    upMs: [] as number[],
    arpMs: [] as number[],
    missing: 0,
  }));
  let ipSeq = 10;
  for (let i = 0; i < runs + 3; i++) {
    for (const [vi, v] of variants.entries()) {
      const st = stats[vi]!;
      const n = ipSeq++;
      const ip = `10.69.${Math.floor(n / 250)}.${(n % 250) + 2}`;
      const agent = v.agent(ip);
      const t0 = wallNow();
      const r = await ex.exec({ rscId: "vip", agent, op: "start" });
      if (r.rc !== 0) throw new Error(`${v.name} start failed: rc ${r.rc} ${r.reason} ${r.stderrTail}`);
      let up: number | undefined;
      let first: number | undefined;
      for (let k = 0; k < 150 && (up === undefined || first === undefined); k++) {
        up = addrUp.first(ip, t0);
        first = arp.first(ip, t0);
        if (up === undefined || first === undefined) await sleep(10);
      }
      if (i >= 3) {
        st.exitMs.push(r.durationMs);
        if (up === undefined || first === undefined) st.missing++;
        else {
          st.upMs.push(up - t0);
          st.arpMs.push(first - t0);
        }
      }
      const s = await ex.exec({ rscId: "vip", agent, op: "stop" });
      if (s.rc !== 0) throw new Error(`${v.name} stop failed: rc ${s.rc} ${s.reason}`);
    }
  }
  for (const [vi, v] of variants.entries()) {
    const st = stats[vi]!;
    (report["variants"] as unknown[]).push({
      name: v.name,
      agentExitMs: { median: pct(st.exitMs, 50), p95: pct(st.exitMs, 95) },
      addressUpMs: { median: pct(st.upMs, 50), p95: pct(st.upMs, 95) },
      firstArpMs: { median: pct(st.arpMs, 50), p95: pct(st.arpMs, 95), max: Math.max(...st.arpMs) },
      missing: st.missing,
    });
  }
  if (asJson) {
    console.log(JSON.stringify(report, null, 2));
    return;
  }
  const f = (x: number) => x.toFixed(1).padStart(7);
  console.log(`IPaddr2 start latency, ${runs} runs each (ms from the executor's start call; median / p95)`);
  console.log(`spawn floor (executor running /bin/true): ${f(pct(floor, 50))} /${f(pct(floor, 95))}`);
  console.log(
    `${"agent".padEnd(50)} ${"address up".padStart(17)} ${"first ARP".padStart(17)} ${"agent exit".padStart(17)}`,
  );
  for (const v of report["variants"] as {
    name: string;
    addressUpMs: { median: number; p95: number };
    firstArpMs: { median: number; p95: number };
    agentExitMs: { median: number; p95: number };
    missing: number;
  }[]) {
    const cell = (m: { median: number; p95: number }) => `${f(m.median)} /${f(m.p95)}`;
    console.log(
      `${v.name.padEnd(50)} ${cell(v.addressUpMs)} ${cell(v.firstArpMs)} ${cell(v.agentExitMs)}${v.missing ? `  (${v.missing} runs without an event)` : ""}`,
    );
  }
}

(inner ? main() : Promise.resolve(outer())).then(
  () => process.exit(process.exitCode ?? 0),
  (err: unknown) => {
    console.error(`exec-ipaddr bench: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
