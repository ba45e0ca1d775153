/**
 * Director benchmark (root; namespaces only, removed on exit):
 *
 * A. 1,000 real servers (500 ports on each of two real-server namespaces,
 *    one node process per namespace) in 10 virtual services checked by
 *    hb-director with http negotiate checks at checkinterval 1 s: time until
 *    all are up, CPU used by the director per second, and how long one full
 *    check round takes.
 * B. Throughput of node:http real servers reached directly (routed through
 *    the director namespace, no load balancing) against through the director
 *    with nftables NAT and DR, keep-alive and one connection per request.
 *
 * Usage: node dist/bench/director.js [--seconds N] [--checks-only]
 *   --checks-only: part A only. HB_DIRECTOR_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/p")
 *   is passed to the director's node (profiling); HB_DIRECTOR_EXTRA_ARGS (e.g. "--check-reuse 1") to hb-director.
 */
import { type ChildProcess, execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { LvsLab, NET, VIP, waitFor } from "../test/e2e/lvs/lab.js";

const MAIN = fileURLToPath(new URL("../src/lvs/main.js", import.meta.url));
const seconds = Number(process.argv[process.argv.indexOf("--seconds") + 1]) || 8;
const PORTS = 500;
const checksOnly = process.argv.includes("--checks-only");
const nodeArgs = (process.env.HB_DIRECTOR_NODE_ARGS ?? "").split(" ").filter(Boolean);
const directorArgs = (process.env.HB_DIRECTOR_EXTRA_ARGS ?? "").split(" ").filter(Boolean);
let started = false;
const BASE = 20000;

/** One process answering /health on PORTS consecutive ports. */
const MULTI = `const http = require("http"); const [base, n] = process.argv.slice(2).map(Number); let up = 0;
for (let p = base; p < base + n; p++) http.createServer((q, s) => s.end(q.url === "/health" ? "ok" : "x")).listen(p, () => { if (++up === n) console.log("ready"); });`;

/** Load client: C parallel loops for MS ms; "ka" = one keep-alive connection each, "close" = a new connection per request. */
const LOAD = `const net = require("net"); const [mode, ip, port, c, ms] = process.argv.slice(2); let done = 0, errors = 0; const end = Date.now() + +ms;
const req = "GET / HTTP/1.1\\r\\nHost: x\\r\\n" + (mode === "close" ? "Connection: close\\r\\n" : "") + "\\r\\n";
function ka() { return new Promise((res) => { const s = net.connect(+port, ip); let buf = "";
  s.on("connect", () => s.write(req)); s.on("error", () => { errors++; res(); });
  s.on("data", (b) => { buf += b; const h = buf.indexOf("\\r\\n\\r\\n"); if (h < 0) return; const m = /content-length: (\\d+)/i.exec(buf.slice(0, h));
    const len = m ? +m[1] : 0; if (buf.length < h + 4 + len) return; buf = buf.slice(h + 4 + len); done++;
    if (Date.now() > end) { s.destroy(); return res(); } s.write(req); }); }); }
function once() { return new Promise((res) => { const s = net.connect(+port, ip); s.on("connect", () => s.write(req)); s.on("end", () => { done++; res(); }); s.on("data", () => {}); s.on("error", () => { errors++; s.destroy(); res(); }); }); }
(async () => { await Promise.all(Array.from({ length: +c }, async () => { if (mode === "ka") await ka(); else while (Date.now() < end) await once(); }));
  console.log(JSON.stringify({ rps: Math.round(done / (+ms / 1000)), errors })); })();`;

interface Status {
  updatedAt: number;
  firstRoundMs?: number;
  services: { reals: { health: string; lastCheck?: { at: number; durationMs: number } }[] }[];
}

function cpuMs(pid: number): number {
  const t = cpuSplit(pid);
  return t.user + t.sys;
}

/** User and kernel CPU ms of a process (utime, stime in clock ticks, USER_HZ 100). */
function cpuSplit(pid: number): { user: number; sys: number } {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return { user: Number(f[11]) * 10, sys: Number(f[12]) * 10 };
}

function startDirector(lab: LvsLab, cfg: string, status: string, extra: string[] = []): ChildProcess {
  const d = lab.spawnIn(
    "dir",
    [
      process.execPath,
      ...nodeArgs,
      MAIN,
      "--config",
      cfg,
      "--backend",
      "nft",
      "--state-file",
      status,
      ...extra,
      ...directorArgs,
    ],
    { stdio: "ignore" },
  );
  d.stderr?.resume();
  return d;
}

async function stopDirector(d: ChildProcess): Promise<void> {
  const gone = new Promise((r) => d.once("exit", r));
  d.kill("SIGTERM");
  await gone;
}

async function checksBench(lab: LvsLab, connStats: string): Promise<void> {
  writeFileSync(join(lab.tmp, "multi.cjs"), MULTI);
  for (const rs of started ? [] : ["rs1", "rs2"]) {
    const c = lab.spawnIn(rs, [process.execPath, join(lab.tmp, "multi.cjs"), String(BASE), String(PORTS)]);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${rs} servers did not start`)), 20_000);
      c.stdout?.once("data", () => {
        clearTimeout(t);
        resolve();
      });
    });
  }
  started = true;
  const virtuals = Array.from({ length: 10 }, (_, v) => {
    const reals = Array.from(
      { length: 100 },
      (_, i) => `\treal=${NET}.${131 + (i % 2)}:${BASE + v * 50 + Math.floor(i / 2)} masq`,
    );
    return `virtual=${VIP}:${1000 + v}\n${reals.join("\n")}\n\tservice=http\n\trequest="/health"\n\treceive="ok"\n\tscheduler=wrr\n`;
  });
  const cfg = join(lab.tmp, "bench.cf");
  const statusFile = join(lab.tmp, `bench-status-${connStats}.json`);
  writeFileSync(cfg, `checkinterval=1\nnegotiatetimeout=1\nchecktimeout=1\n\n${virtuals.join("\n")}`);
  const t0 = Date.now();
  const d = startDirector(lab, cfg, statusFile, ["--conn-stats-interval", connStats]);
  const readStatus = (): Status | undefined => {
    try {
      return JSON.parse(readFileSync(statusFile, "utf8")) as Status;
    } catch {
      return undefined;
    }
  };
  const upCount = () =>
    readStatus()?.services.reduce((a, s) => a + s.reals.filter((r) => r.health === "up").length, 0) ?? 0;
  const firstRound = await waitFor(
    () =>
      (readStatus()?.services ?? []).every((s) => s.reals.every((r) => r.lastCheck)) &&
      (readStatus()?.services.length ?? 0) === 10,
    30_000,
  );
  const firstMs = Date.now() - t0;
  const allUp = await waitFor(() => upCount() === 1000, 30_000);
  const upMs = Date.now() - t0;
  const pid = d.pid ?? 0;
  await new Promise((r) => setTimeout(r, 1000));
  const c0 = cpuMs(pid);
  const s0 = cpuSplit(pid).sys;
  const w0 = Date.now();
  const rounds: number[] = [];
  const ages: number[] = [];
  for (let i = 0; i < seconds; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    const st = readStatus();
    // the checks keep the phase they started with: first start to last finish of every real's last check
    const checks = (st?.services ?? [])
      .flatMap((s) => s.reals.map((r) => r.lastCheck))
      .filter((c) => c !== undefined);
    // the oldest last check when the status was written: <= checkinterval = every real checked within one interval
    if (st && checks.length === 1000) ages.push(Math.max(...checks.map((c) => st.updatedAt - c.at)));
    if (checks.length === 1000)
      rounds.push(
        Math.round(
          Math.max(...checks.map((c) => c.at)) - Math.min(...checks.map((c) => c.at - c.durationMs)),
        ),
      );
  }
  const cpu = cpuMs(pid) - c0;
  const sys = cpuSplit(pid).sys - s0;
  const durations = (readStatus()?.services ?? [])
    .flatMap((s) => s.reals.map((r) => r.lastCheck?.durationMs ?? 0))
    .sort((a, b) => a - b);
  const firstRoundMs = readStatus()?.firstRoundMs;
  const wall = Date.now() - w0;
  const slots = JSON.parse(
    execFileSync("ip", ["netns", "exec", lab.ns("dir"), "nft", "-j", "list", "table", "ip", "tandem_lvs"], {
      encoding: "utf8",
    }),
  ).nftables.filter((x: { map?: { name: string } }) => x.map?.name.endsWith("_reals")).length;
  await stopDirector(d);
  rounds.sort((a, b) => a - b);
  ages.sort((a, b) => a - b);
  console.log(
    `A. 1,000 real servers, 10 virtual services, http negotiate checks, checkinterval 1 s, conntrack counts every ${connStats} ms`,
  );
  console.log(
    `   first round complete (status file) ${firstRound >= 0 ? `${firstMs} ms` : "NEVER"} after launch; all 1,000 up after ${allUp >= 0 ? `${upMs} ms` : "NEVER (30 s)"}; ${slots} services in nft`,
  );
  console.log(
    `   director CPU: ${((cpu / wall) * 100).toFixed(1)} % of one core (${((cpu / wall) * 1000).toFixed(0)} ms CPU per s, ${((sys / wall) * 100).toFixed(1)} % in the kernel) over ${(wall / 1000).toFixed(1)} s; load average ${readFileSync("/proc/loadavg", "utf8").split(" ")[0]}`,
  );
  console.log(
    `   first round (all 1,000 checks launched together at start-up): ${firstRoundMs ?? "?"} ms; one check: median ${durations[500]} ms, p99 ${durations[990]} ms`,
  );
  console.log(
    `   steady state: every real checked once per interval; spread of the last checks  (first start to last finish): median ${rounds[Math.floor(rounds.length / 2)] ?? "?"} ms, max ${rounds.at(-1) ?? "?"} ms (${rounds.length} samples)`,
  );
  console.log(
    `   oldest last check of the 1,000 at each status write: median ${ages[Math.floor(ages.length / 2)] ?? "?"} ms, max ${ages.at(-1) ?? "?"} ms (<= 1000: every real checked within the interval)`,
  );
}

function load(lab: LvsLab, mode: "ka" | "close", ip: string, port: number): { rps: number; errors: number } {
  const out = execFileSync(
    "ip",
    [
      "netns",
      "exec",
      lab.ns("cl"),
      process.execPath,
      join(lab.tmp, "load.cjs"),
      mode,
      ip,
      String(port),
      mode === "ka" ? "64" : "32",
      String(seconds * 500),
    ],
    { encoding: "utf8", timeout: seconds * 1000 + 30_000 },
  );
  return JSON.parse(out) as { rps: number; errors: number };
}

async function throughputBench(lab: LvsLab): Promise<void> {
  writeFileSync(join(lab.tmp, "load.cjs"), LOAD);
  await lab.server("rs1", "rs1", 80);
  await lab.server("rs2", "rs2", 80);
  const statusFile = join(lab.tmp, "tp-status.json");
  const row = (
    name: string,
    ka: { rps: number; errors: number },
    cl: { rps: number; errors: number },
    base?: [number, number],
  ) =>
    console.log(
      `   ${name.padEnd(34)} ${String(ka.rps).padStart(7)} ${base ? `(${((ka.rps / base[0]) * 100).toFixed(0)} %)`.padEnd(8) : "".padEnd(8)} ${String(cl.rps).padStart(7)} ${base ? `(${((cl.rps / base[1]) * 100).toFixed(0)} %)` : ""}${ka.errors + cl.errors ? `  errors ${ka.errors + cl.errors}` : ""}`,
    );
  console.log(
    `B. throughput (${seconds / 2} s per run; client 64 keep-alive / 32 close loops; node:http real servers; all on the same 2 vCPUs)`,
  );
  console.log("   path                                keep-alive req/s   new conn/s");
  const direct = [load(lab, "ka", `${NET}.131`, 80), load(lab, "close", `${NET}.131`, 80)] as const;
  row("direct to rs1 (routed, no LB)", direct[0], direct[1]);
  const base: [number, number] = [direct[0].rps, direct[1].rps];

  const nat = join(lab.tmp, "nat.cf");
  writeFileSync(
    nat,
    `checkinterval=1\nvirtual=${VIP}:80\n\treal=${NET}.131:80 masq 1\n\tservice=http\n\tscheduler=wrr\n`,
  );
  let d = startDirector(lab, nat, statusFile);
  await waitFor(() => lab.table().services[0]?.reals.some((r) => r.weight > 0) ?? false, 10_000);
  row("nft NAT, 1 real", load(lab, "ka", VIP, 80), load(lab, "close", VIP, 80), base);
  await stopDirector(d);
  writeFileSync(
    nat,
    `checkinterval=1\nvirtual=${VIP}:80\n\treal=${NET}.131:80 masq 1\n\treal=${NET}.132:80 masq 1\n\tservice=http\n\tscheduler=wrr\n`,
  );
  d = startDirector(lab, nat, statusFile);
  await waitFor(() => (lab.table().services[0]?.reals.filter((r) => r.weight > 0).length ?? 0) === 2, 10_000);
  row("nft NAT, 2 reals wrr", load(lab, "ka", VIP, 80), load(lab, "close", VIP, 80), base);
  await stopDirector(d);

  // DR: the reals hold the VIP on lo without answering ARP for it and reply straight to the client
  for (const rs of ["rs1", "rs2"]) {
    lab.run(
      rs,
      "sysctl",
      "-qw",
      "net.ipv4.conf.all.arp_ignore=1",
      "net.ipv4.conf.all.arp_announce=2",
      "net.ipv4.conf.eth0.arp_ignore=1",
      "net.ipv4.conf.eth0.arp_announce=2",
    );
    lab.run(rs, "ip", "addr", "add", `${VIP}/32`, "dev", "lo");
    lab.run(rs, "ip", "route", "add", `${NET}.0/25`, "dev", "eth0");
  }
  const dr = join(lab.tmp, "dr.cf");
  writeFileSync(
    dr,
    `checkinterval=1\nvirtual=${VIP}:80\n\treal=${NET}.131:80 gate 1\n\treal=${NET}.132:80 gate 1\n\tservice=http\n\tscheduler=wrr\n`,
  );
  d = startDirector(lab, dr, statusFile, ["--device", "eth0"]);
  await waitFor(() => {
    try {
      return /_r_/.test(lab.run("dir", "nft", "list", "table", "netdev", "tandem_lvs"));
    } catch {
      return false;
    }
  }, 10_000);
  const directDr = [load(lab, "ka", `${NET}.131`, 80), load(lab, "close", `${NET}.131`, 80)] as const;
  row("direct to rs1 (DR return path)", directDr[0], directDr[1], base);
  row("nft DR, 2 reals wrr", load(lab, "ka", VIP, 80), load(lab, "close", VIP, 80), base);
  await stopDirector(d);
}

const lab = new LvsLab();
process.on("SIGINT", () => {
  lab.cleanup();
  process.exit(130);
});
try {
  lab.build(2);
  await checksBench(lab, "2000");
  await checksBench(lab, "0");
  if (!checksOnly) await throughputBench(lab);
} finally {
  lab.cleanup();
}
