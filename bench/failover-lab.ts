/**
 * The failover benchmark's namespace lab: the resource manager's CrmLab
 * (test/e2e/crm/lab.ts) with its own prefix `tdf-<pid>-<n>-<role>` (another
 * tag for other users, e.g. the demo's `tdemo`) and a
 * bridged topology instead of a point-to-point veth pair: a client namespace
 * holds bridge br0 (10.250.0.10/24) and one veth per node, whose node side is
 * eth0 with 10.250.0.<i+1>/24. So a client outside both nodes reaches the VIP
 * over the same L2 and still does when a node's eth0 goes down (power loss).
 * More hosts (real servers) join the bridge with attach(). Helper processes
 * (HTTP servers, the probe client) started with spawnIn() are killed by pid in
 * cleanup(), as are daemons the cluster started that left a pid file (see
 * adoptPidFile); cleanup() also deletes the namespaces and runs at exit.
 *
 * Also here, for the benchmark and the demo: the HTTP probe client
 * (probeClientScript) and its parsed log (ProbeLog).
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { CrmLab } from "../test/e2e/crm/lab.js";

let counter = 0;

/** Address of the client side (br0) in the bridged topology. */
export const CLIENT_IP = "10.250.0.10";

export class FailoverLab extends CrmLab {
  readonly benchPrefix: string;
  private readonly ownNamespaces: string[] = [];
  /** Helper processes killed by pid in cleanup(). */
  protected readonly helpers: ChildProcess[] = [];
  private readonly pidFiles: { file: string; marker: string }[] = [];
  private readonly bridgeNs: string[] = [];
  private readonly switches = new Map<string, IpBatch>();

  /**
   * `tag` starts the namespace names (`<tag>-<pid>-<n>-<role>`); default "tdf". $TANDEM_NS_PREFIX, when
   * set, goes before it (`t15h-tdf-...`): several people benchmarking on one machine each see their own.
   */
  constructor(tag = "tdf") {
    super();
    this.benchPrefix = `${process.env.TANDEM_NS_PREFIX ?? ""}${tag}-${process.pid}-${++counter}`;
  }

  override ns(role: string): string {
    return `${this.benchPrefix}-${role}`;
  }

  /** Node namespaces `nodes` (eth0 = 10.250.0.1, .2, ...) bridged through br0 in namespace `client`. */
  bridged(nodes: readonly string[], client: string): void {
    this.bridgeNs.push(client);
    for (const r of [client, ...nodes]) {
      execFileSync("ip", ["netns", "add", this.ns(r)]);
      this.ownNamespaces.push(this.ns(r));
      this.exec(r, "ip", "link", "set", "lo", "up");
    }
    this.exec(client, "ip", "link", "add", "br0", "type", "bridge");
    this.exec(client, "ip", "addr", "add", `${CLIENT_IP}/24`, "dev", "br0");
    this.exec(client, "ip", "link", "set", "br0", "up");
    for (const [i, r] of nodes.entries()) this.plug(client, r, `10.250.0.${i + 1}/24`);
    // veth carrier comes up asynchronously; node lists only running interfaces. Bounded wait.
    for (const r of nodes) {
      for (let i = 0; i < 50 && this.exec(r, "ip", "link", "show", "eth0").includes("NO-CARRIER"); i++)
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
  }

  /** A further namespace `role` on the bridge of bridged() with eth0 = `cidr` (e.g. a real server). */
  attach(role: string, cidr: string): void {
    const client = this.bridgeNs[0];
    if (client === undefined) throw new Error("attach() needs bridged() first");
    execFileSync("ip", ["netns", "add", this.ns(role)]);
    this.ownNamespaces.push(this.ns(role));
    this.exec(role, "ip", "link", "set", "lo", "up");
    this.plug(client, role, cidr);
  }

  /**
   * A direct-routing real server on the bridge: attach() plus `vip` on lo,
   * without answering ARP for it (arp_ignore/arp_announce), so it replies to
   * clients straight with the VIP as source.
   */
  attachDrReal(role: string, cidr: string, vip: string): void {
    this.attach(role, cidr);
    this.exec(
      role,
      "sysctl",
      "-qw",
      "net.ipv4.conf.all.arp_ignore=1",
      "net.ipv4.conf.all.arp_announce=2",
      "net.ipv4.conf.eth0.arp_ignore=1",
      "net.ipv4.conf.eth0.arp_announce=2",
    );
    this.exec(role, "ip", "addr", "add", `${vip}/32`, "dev", "lo");
  }

  /** A veth from the bridge in namespace `client` to eth0 (address `cidr`) in namespace `role`. */
  private plug(client: string, role: string, cidr: string): void {
    const port = `v-${role}`.slice(0, 15);
    this.exec(
      client,
      "ip",
      "link",
      "add",
      port,
      "type",
      "veth",
      "peer",
      "name",
      "tdfpeer",
      "netns",
      this.ns(role),
    );
    this.exec(client, "ip", "link", "set", port, "master", "br0", "up");
    this.exec(role, "ip", "link", "set", "tdfpeer", "name", "eth0");
    this.exec(role, "ip", "addr", "add", cidr, "dev", "eth0");
    this.exec(role, "ip", "link", "set", "eth0", "up");
  }

  /**
   * Registers a pid file written by a daemon the cluster started (e.g. hb-director under the
   * ldirectord agent, which detaches it): cleanup() kills that pid if its command line contains `marker`
   * (several entries may name one file with different markers).
   */
  adoptPidFile(file: string, marker: string): void {
    this.pidFiles.push({ file, marker });
  }

  /** SIGKILLs the process in pid file `file` now if its command line contains `marker` (power loss); true when killed. */
  killPidFile(file: string, marker: string): boolean {
    return killIfMatches(file, marker);
  }

  /**
   * Sets eth0 of namespace `role` down through a long-running `ip -batch -` started there beforehand
   * (see linkSwitch): the link goes down within a few ms of the call, where `ip netns exec` spawned at
   * the moment of a power loss took up to 0.5 s on a loaded machine, and the benchmark counted that
   * delay as failover time. Resolves with the time (epoch ms) ip confirmed the link down.
   */
  linkDown(role: string): Promise<number> {
    return this.linkSwitch(role).run("link set eth0 down");
  }

  /** The `ip -batch -` of namespace `role` (started on first use; killed in cleanup()). Start it before a trial. */
  linkSwitch(role: string): IpBatch {
    let sw = this.switches.get(role);
    if (sw === undefined || sw.dead) {
      const child = spawn("ip", ["netns", "exec", this.ns(role), "ip", "-force", "-batch", "-"], {
        stdio: ["pipe", "pipe", "inherit"],
      });
      this.helpers.push(child);
      sw = new IpBatch(child);
      this.switches.set(role, sw);
    }
    return sw;
  }

  /** Runs `node -e script` inside namespace `role`; killed by pid in cleanup(). */
  spawnIn(role: string, script: string): ChildProcess {
    const child = spawn("ip", ["netns", "exec", this.ns(role), process.execPath, "-e", script], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    this.helpers.push(child);
    return child;
  }

  override cleanup(): void {
    for (const c of this.helpers.splice(0)) {
      if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) {
        try {
          process.kill(c.pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    }
    this.switches.clear();
    for (const p of this.pidFiles.splice(0)) killIfMatches(p.file, p.marker);
    super.cleanup();
    for (const ns of this.ownNamespaces.splice(0)) spawnSync("ip", ["netns", "del", ns]);
  }
}

/** A running `ip -force -batch -`: each run() writes one command and resolves once ip has executed it. */
export class IpBatch {
  private readonly waiting: ((t: number) => void)[] = [];
  private out = "";
  constructor(private readonly child: ChildProcess) {
    child.stdout?.setEncoding("utf8");
    child.stdout?.on("data", (d: string) => {
      this.out += d;
      // every run() ends with `link show dev lo`, whose output names lo once: one line = one command done
      let i = this.out.indexOf(": lo: ");
      while (i >= 0) {
        this.out = this.out.slice(i + 6);
        this.waiting.shift()?.(Date.now());
        i = this.out.indexOf(": lo: ");
      }
    });
  }
  get dead(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }
  /** Executes one ip command (without the leading `ip`); resolves with the time ip confirmed it (≤ 5 s). */
  run(command: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`ip -batch: no answer to "${command}" in 5 s`)), 5000);
      this.waiting.push((t) => {
        clearTimeout(timer);
        resolve(t);
      });
      this.child.stdin?.write(`${command}\nlink show dev lo\n`);
    });
  }
}

/** SIGKILLs the pid in `file` when its /proc command line contains `marker` (so a reused pid is left alone). */
function killIfMatches(file: string, marker: string): boolean {
  try {
    const pid = Number(readFileSync(file, "utf8").trim());
    if (!Number.isInteger(pid) || pid <= 1) return false;
    if (!readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(marker)) return false;
    process.kill(pid, "SIGKILL");
    return true;
  } catch {
    return false; // no pid file, or the process is gone
  }
}

/** The probe client's real-time (SCHED_RR) priority: above every normal process, hbd's included. */
export const CLIENT_RT_PRIO = 20;

/** A probe client timer this much later than its interval is logged as the client's own stall. */
export const STALL_MS = 10;

/** Parameters of the HTTP probe client. */
export interface ProbeOptions {
  readonly host: string;
  readonly port: number;
  /** A new connection (GET /) is started this often. */
  readonly everyMs: number;
  /** A probe not answered within this is destroyed and counts as failed. */
  readonly timeoutMs: number;
  /** The client exits by itself after this (a bound); default 30 min. */
  readonly maxRunMs?: number;
}

/**
 * Source of the probe client (`node -e`): every `everyMs` an HTTP GET on a new connection;
 * prints one line per probe, `START END ANSWER` (epoch ms; ANSWER is the trimmed body, "-" when it failed),
 * and `! FROM TO` when its own timer fired more than STALL_MS late (the client itself was not
 * running: no probe started between FROM and TO, so a gap there is partly the client's).
 * The client puts itself in the real-time round-robin class (`chrt -a -r -p CLIENT_RT_PRIO`, as
 * root; else nice -10, else as it is): on the shared 2-core machine, at nice 0 among other people's
 * work, it stalled for 40-155 ms during planned moves, and still at nice -10 (hbd runs at nice -20
 * and its agents inherit it), which the gap then counted as outage. It is light (one connection per
 * `everyMs`), and the kernel's real-time throttling bounds it anyway.
 */
export function probeClientScript(o: ProbeOptions): string {
  return `
const http = require("node:http");
try {
  require("node:child_process").execFileSync("chrt", ["-a", "-r", "-p", "${CLIENT_RT_PRIO}", String(process.pid)], { stdio: "ignore" });
} catch {
  try { require("node:os").setPriority(-10); } catch {}
}
let pending = "";
let tick = Date.now();
setInterval(() => {
  const start = Date.now();
  if (start - tick > ${o.everyMs} + ${STALL_MS}) pending += "! " + tick + " " + start + "\\n";
  tick = start;
  let done = false;
  const fin = (a) => { if (!done) { done = true; clearTimeout(t); pending += start + " " + Date.now() + " " + a + "\\n"; } };
  const req = http.get({ host: ${JSON.stringify(o.host)}, port: ${o.port}, path: "/", agent: false }, (res) => {
    let body = "";
    res.setEncoding("utf8");
    res.on("data", (d) => (body += d));
    res.on("end", () => fin(body.trim() || "?"));
    res.on("error", () => fin("-"));
  });
  const t = setTimeout(() => { req.destroy(); fin("-"); }, ${o.timeoutMs});
  req.on("error", () => fin("-"));
}, ${o.everyMs});
setInterval(() => { if (pending) { process.stdout.write(pending); pending = ""; } }, 10);
setTimeout(() => process.exit(0), ${o.maxRunMs ?? 30 * 60 * 1000});
`;
}

/** One probe of the client: start and end (epoch ms) and the answer, or "-" when it failed. */
export interface Probe {
  readonly start: number;
  readonly end: number;
  readonly answer: string;
}

/** Collects the probe client's lines from its stdout (bounded: the oldest half goes beyond 400 000). */
export class ProbeLog {
  readonly probes: Probe[] = [];
  /** The client's own stalls: [from, to] (epoch ms) in which it started no probe though it should have. */
  readonly stalls: [number, number][] = [];
  private rest = "";
  constructor(child: ChildProcess) {
    child.stdout?.setEncoding("utf8");
    child.stdout?.on("data", (chunk: string) => {
      const lines = (this.rest + chunk).split("\n");
      this.rest = lines.pop() ?? "";
      for (const l of lines) {
        const [s, e, a] = l.split(" ");
        if (s === "!") {
          this.stalls.push([Number(e), Number(a)]);
          continue;
        }
        if (s !== undefined && e !== undefined && a !== undefined)
          this.probes.push({ start: Number(s), end: Number(e), answer: a });
      }
      if (this.probes.length > 400_000) this.probes.splice(0, 200_000);
    });
  }
  /** The first probe answered by `answer` (or by anyone, when undefined) that completed after `t`. */
  firstAnswer(answer: string | undefined, t: number): Probe | undefined {
    let best: Probe | undefined;
    for (const p of this.probes)
      if (
        (answer === undefined ? p.answer !== "-" : p.answer === answer) &&
        p.end > t &&
        (!best || p.end < best.end)
      )
        best = p;
    return best;
  }
  /** The answer of the probe that completed last, if any. */
  last(): string | undefined {
    return this.probes.at(-1)?.answer;
  }
  /** Probes that completed in [from, to): counts per answer ("-" = failed). */
  counts(from: number, to: number): Map<string, number> {
    const m = new Map<string, number>();
    for (const p of this.probes) if (p.end >= from && p.end < to) m.set(p.answer, (m.get(p.answer) ?? 0) + 1);
    return m;
  }
  /** Longest time between two consecutive successful completions within [from, to] (ms). */
  longestGap(from: number, to: number): number {
    return this.longestGapAt(from, to).ms;
  }
  /** longestGap() with where it is: the two completions (epoch ms) around it. */
  longestGapAt(from: number, to: number): { ms: number; from: number; to: number } {
    const oks = this.probes
      .filter((p) => p.answer !== "-" && p.end >= from && p.end <= to)
      .map((p) => p.end)
      .sort((x, y) => x - y);
    let gap = { ms: 0, from, to: from };
    for (let i = 1; i < oks.length; i++) {
      const a = oks[i - 1] ?? 0;
      const b = oks[i] ?? 0;
      if (b - a > gap.ms) gap = { ms: b - a, from: a, to: b };
    }
    return gap;
  }
  /** How long (ms) the client itself stalled within [from, to] (the overlap of its logged stalls). */
  stalledMs(from: number, to: number): number {
    let ms = 0;
    for (const [a, b] of this.stalls) ms += Math.max(0, Math.min(b, to) - Math.max(a, from));
    return ms;
  }
  /** Failed probes that ended after `from` and started before `to`. */
  failed(from: number, to: number): number {
    return this.probes.filter((p) => p.answer === "-" && p.end > from && p.start < to).length;
  }
}
