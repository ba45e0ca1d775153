/**
 * Interop lab (root only): a two-or-more-node ucast cluster in network
 * namespaces, where each node is either a real Heartbeat 3.0.6 (Debian
 * package `heartbeat`) or a Tandem `hbd`.
 *
 * Layout: namespaces `tdi-<pid>-<n>-<role>`; a switch namespace `sw` holds a
 * bridge, every node namespace is joined to it by a veth pair whose node end
 * is `eth0` with 10.99.0.<i>/24. Nothing touches the host's interfaces.
 *
 * A real Heartbeat node needs its own /etc/ha.d, /var/lib/heartbeat, /run and
 * hostname: it is started as `ip netns exec NS unshare --mount --uts sh -c
 * "mount --bind ...; hostname NAME; exec heartbeat"`, with the bind mounts
 * pointing at per-node directories under the lab's temp dir. unshare makes
 * the new mount namespace private, so the mounts never reach the host and
 * vanish with the node's last process. Its processes are found by that mount
 * namespace (all of them were started by us), `cl_status` runs inside it with
 * nsenter.
 *
 * An hbd node runs `node dist/src/bin/hbd.cjs` inside the namespace with
 * --config-dir/--state-dir/--run-dir/--node pointing into the temp dir; the
 * CLI reaches it through RUN_DIR/hbd.sock.
 *
 * `cleanup()` kills only the processes the lab started (by pid), deletes the
 * namespaces and the temp dir; it is idempotent and also runs on process exit
 * and on SIGINT/SIGTERM. Every wait is bounded in count and time.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fixturePath, repoRoot } from "../../helpers.js";

/** The real Heartbeat daemon as shipped by Debian's `heartbeat` package. */
export const HEARTBEAT_BIN = "/usr/libexec/heartbeat/heartbeat";
/** Compiled Tandem entry points (build first: `npx tsc -p .`). */
export const HBD_JS = join(repoRoot, "dist", "src", "bin", "hbd.cjs");
export const HBCTL_JS = join(repoRoot, "dist", "src", "cli", "main.js");
/** Socket file name hbd serves inside its run dir. */
export const HBD_SOCKET = "hbd.sock";

export type NodeKind = "heartbeat" | "hbd";

/** Timing in ha.cf time syntax (`200ms`, `1`), and the same values in ms for assertions. */
export interface Timing {
  keepaliveMs: number;
  deadtimeMs: number;
  warntimeMs: number;
  initdeadMs: number;
}

export interface NodeSpec {
  name: string;
  kind: NodeKind;
}

/** Result of a command run inside a node: stdout trimmed, exit status. */
/** One pino record of hbd's log, with its time as epoch ms. */
export type HbdEvent = Record<string, unknown> & { atMs: number };

export interface CmdResult {
  out: string;
  err: string;
  code: number;
}

interface NodeState extends NodeSpec {
  role: string;
  addr: string;
  dir: string;
  /** Mount namespace inode link of a running real Heartbeat (`mnt:[...]`). */
  mntNs?: string;
  /** Master pid of a running real Heartbeat. */
  masterPid?: number;
  /** A running hbd. */
  hbd?: ChildProcess;
}

let labCounter = 0;
const live = new Set<InteropLab>();
let signalsHooked = false;

function hookSignals(): void {
  if (signalsHooked) return;
  signalsHooked = true;
  for (const sig of ["SIGINT", "SIGTERM"] as const)
    process.once(sig, () => {
      for (const lab of [...live]) lab.cleanup();
      process.exit(130);
    });
}

/** Why the interop lab cannot run here, or undefined when it can. */
export function labUnavailable(needs: readonly NodeKind[]): string | undefined {
  if (process.getuid?.() !== 0) return "the interop lab needs root (ip netns, mount namespaces)";
  for (const tool of ["ip", "unshare", "nsenter", "mount"])
    if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) return `${tool} is not installed`;
  if (needs.includes("heartbeat") && !existsSync(HEARTBEAT_BIN))
    return `${HEARTBEAT_BIN} missing: apt-get install -y heartbeat`;
  if (needs.includes("hbd") && !existsSync(HBD_JS)) return `${HBD_JS} missing: build first (npx tsc -p .)`;
  return undefined;
}

/** Sleeps ms milliseconds. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Polls `probe` every `everyMs` until it returns a value that satisfies
 * `done`, or `timeoutMs` passes (at most 10 000 polls). Returns the last value
 * and when (performance.now()) it was obtained.
 */
export async function pollUntil<T>(
  probe: () => T,
  done: (v: T) => boolean,
  timeoutMs: number,
  everyMs = 20,
): Promise<{ value: T; ok: boolean; at: number }> {
  const end = performance.now() + timeoutMs;
  let value = probe();
  for (let i = 0; i < 10_000; i++) {
    if (done(value)) return { value, ok: true, at: performance.now() };
    if (performance.now() >= end) break;
    await sleep(everyMs);
    value = probe();
  }
  return { value, ok: done(value), at: performance.now() };
}

/** Formats ms as Heartbeat time syntax. */
const hbTime = (ms: number) => `${ms}ms`;

/** Pids of every process whose mount namespace link equals `mntNs`. */
function pidsInMountNs(mntNs: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/ns/mnt`) === mntNs) pids.push(Number(entry));
    } catch {
      // process exited while we looked
    }
  }
  return pids;
}

function run(cmd: string, args: string[], timeoutMs = 10_000): CmdResult {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: timeoutMs });
  return { out: (r.stdout ?? "").trim(), err: (r.stderr ?? "").trim(), code: r.status ?? -1 };
}

/** What the lab writes besides the membership basics. */
export interface LabOptions {
  realtime?: boolean;
  /** haresources text (same on every node); default: the fixture (no resources). */
  haresources?: string;
  autoFailback?: "on" | "off" | "legacy";
  /** More ha.cf lines (e.g. `crm on`), or a function of the node's name giving them. */
  extraHaCf?: string | ((name: string) => string);
  /**
   * Heartbeat nodes get idle stand-ins for the Pacemaker 1 daemons `crm on` spawns (cib, crmd, ...),
   * which Debian's pacemaker 2 does not ship: /usr/libexec/heartbeat is overlaid, in the node's own
   * mount namespace only, by a copy with those stand-ins added.
   */
  crmStandIns?: boolean;
}

export class InteropLab {
  readonly prefix = `tdi-${process.pid}-${++labCounter}`;
  readonly tmp: string;
  private readonly nodes = new Map<string, NodeState>();
  private readonly namespaces: string[] = [];
  private readonly onExit = () => this.cleanup();
  private cleaned = false;

  /**
   * Creates the namespaces and writes every node's configuration (all nodes
   * ucast to every other node over eth0). `realtime` is ha.cf's directive
   * (off by default: no SCHED_FIFO and mlockall in tests).
   */
  constructor(
    specs: readonly NodeSpec[],
    readonly timing: Timing,
    private readonly options: LabOptions = {},
  ) {
    this.tmp = join(tmpdir(), `${this.prefix}-lab`);
    rmSync(this.tmp, { recursive: true, force: true });
    mkdirSync(this.tmp, { recursive: true });
    live.add(this);
    process.on("exit", this.onExit);
    hookSignals();
    try {
      this.addNs("sw");
      this.ip("sw", "link", "add", "br0", "type", "bridge");
      this.ip("sw", "link", "set", "br0", "up");
      specs.forEach((spec, i) => {
        const role = `n${i + 1}`;
        const node: NodeState = { ...spec, role, addr: `10.99.0.${i + 1}`, dir: join(this.tmp, spec.name) };
        this.nodes.set(spec.name, node);
        this.attach(role, node.addr);
      });
      const names = specs.map((s) => s.name);
      for (const node of this.nodes.values()) this.writeConfig(node, names);
    } catch (e) {
      this.cleanup();
      throw e;
    }
  }

  /** Namespace name of a node (or of `sw`/another role). */
  ns(nameOrRole: string): string {
    return `${this.prefix}-${this.nodes.get(nameOrRole)?.role ?? nameOrRole}`;
  }

  /** Directory holding the node's config (`etc`), state and logs. */
  nodeDir(name: string): string {
    return this.node(name).dir;
  }

  private node(name: string): NodeState {
    const n = this.nodes.get(name);
    if (!n) throw new Error(`no lab node ${name}`);
    return n;
  }

  private addNs(role: string): void {
    const name = `${this.prefix}-${role}`;
    execFileSync("ip", ["netns", "add", name], { stdio: "pipe" });
    this.namespaces.push(name);
    this.ip(role, "link", "set", "lo", "up");
  }

  private ip(role: string, ...args: string[]): void {
    execFileSync("ip", ["-n", `${this.prefix}-${role}`, ...args], { stdio: "pipe", timeout: 10_000 });
  }

  /** Adds a plain host (e.g. a client) on the lab's switch with `addr`/24; returns its namespace. */
  addHost(role: string, addr: string): string {
    this.attach(role, addr);
    return `${this.prefix}-${role}`;
  }

  /** Turns a node into the other kind (the rolling migration: same /etc/ha.d, other daemon). */
  setKind(name: string, kind: NodeKind): void {
    const node = this.node(name);
    if (this.pids(name).length > 0) throw new Error(`${name} is still running`);
    node.kind = kind;
  }

  private attach(role: string, addr: string): void {
    this.addNs(role);
    const port = `p-${role}`;
    this.ip(
      "sw",
      "link",
      "add",
      port,
      "type",
      "veth",
      "peer",
      "name",
      "eth0",
      "netns",
      `${this.prefix}-${role}`,
    );
    this.ip("sw", "link", "set", port, "master", "br0", "up");
    this.ip(role, "link", "set", "eth0", "up");
    this.ip(role, "addr", "add", `${addr}/24`, "dev", "eth0");
  }

  private writeConfig(node: NodeState, names: string[]): void {
    const etc = join(node.dir, "etc");
    mkdirSync(etc, { recursive: true });
    const t = this.timing;
    const media = [...this.nodes.values()].filter((n) => n !== node).map((n) => `ucast eth0 ${n.addr}`);
    const values: Record<string, string> = {
      logfile: join(node.dir, "ha.log"),
      debugfile: join(node.dir, "ha-debug.log"),
      keepalive: hbTime(t.keepaliveMs),
      deadtime: hbTime(t.deadtimeMs),
      warntime: hbTime(t.warntimeMs),
      initdead: hbTime(t.initdeadMs),
      media: media.join("\n"),
      nodes: names.join(" "),
      realtime: this.options.realtime ? "on" : "off",
      autofailback: this.options.autoFailback ?? "on",
      extra:
        typeof this.options.extraHaCf === "function"
          ? this.options.extraHaCf(node.name)
          : (this.options.extraHaCf ?? ""),
    };
    const hacf = readFileSync(fixturePath("interop", "ha.cf.in"), "utf8").replace(
      /\{\{(\w+)\}\}/g,
      (_, k: string) => values[k] ?? `{{${k}}}`,
    );
    writeFileSync(join(etc, "ha.cf"), hacf);
    writeFileSync(join(etc, "authkeys"), readFileSync(fixturePath("interop", "authkeys")), { mode: 0o600 });
    chmodSync(join(etc, "authkeys"), 0o600);
    writeFileSync(
      join(etc, "haresources"),
      this.options.haresources ?? readFileSync(fixturePath("interop", "haresources")),
    );
  }

  // ---- real Heartbeat ----------------------------------------------------

  /**
   * Starts real Heartbeat on a node and waits (bounded) for its pid file.
   * /etc/ha.d, /var/lib/heartbeat and /run are bind-mounted from the node's
   * dir; the first start copies the package's skeletons (rc.d, cores, ...).
   */
  async startHeartbeat(name: string): Promise<number> {
    const node = this.node(name);
    if (node.kind !== "heartbeat") throw new Error(`${name} is not a heartbeat node`);
    const etc = join(node.dir, "etc");
    const lib = join(node.dir, "lib");
    const runDir = join(node.dir, "run");
    if (!existsSync(lib)) {
      for (const item of ["harc", "rc.d", "resource.d", "shellfuncs"])
        if (existsSync(join("/etc/ha.d", item)))
          cpSync(join("/etc/ha.d", item), join(etc, item), { recursive: true });
      // The package's skeleton (cores/, api/, ...), never a host node's identity or state.
      cpSync("/var/lib/heartbeat", lib, {
        recursive: true,
        filter: (src) => !/\/(hb_uuid|hb_generation|hostcache|delhostcache|fifo)$/.test(src),
      });
      for (const sub of ["", "ccm", "crm", "dopd"])
        mkdirSync(join(runDir, "heartbeat", sub), { recursive: true });
      // resource-agents' state dir (IPaddr records its alias there), normally made by tmpfiles.d.
      mkdirSync(join(runDir, "resource-agents"), { recursive: true });
      execFileSync("chown", ["-R", "hacluster:haclient", join(runDir, "heartbeat")], { stdio: "pipe" });
      chmodSync(join(runDir, "heartbeat"), 0o750);
    }
    rmSync(join(runDir, "heartbeat.pid"), { force: true });
    const libexec = join(node.dir, "libexec");
    if (this.options.crmStandIns && !existsSync(libexec)) {
      cpSync("/usr/libexec/heartbeat", libexec, { recursive: true });
      for (const d of ["cib", "crmd", "attrd", "stonithd", "lrmd", "pengine", "mgmtd"]) {
        writeFileSync(join(libexec, d), "#!/bin/sh\nexec sleep 600\n");
        chmodSync(join(libexec, d), 0o755);
      }
    }
    const script = [
      ...(this.options.crmStandIns ? [`mount --bind ${libexec} /usr/libexec/heartbeat`] : []),
      `mount --bind ${etc} /etc/ha.d`,
      `mount --bind ${lib} /var/lib/heartbeat`,
      `mount --bind ${runDir} /run`,
      `hostname ${name}`,
      `exec ${HEARTBEAT_BIN}`,
    ].join(" && ");
    const out = openSync(join(node.dir, "heartbeat.out"), "a");
    try {
      // heartbeat daemonizes: this foreground process exits once it has forked.
      const r = spawnSync(
        "ip",
        ["netns", "exec", this.ns(name), "unshare", "--mount", "--uts", "sh", "-c", script],
        {
          stdio: ["ignore", out, out],
          timeout: 15_000,
        },
      );
      if (r.status !== 0) throw new Error(`heartbeat on ${name} exited ${r.status}: ${this.logTail(name)}`);
    } finally {
      closeSync(out);
    }
    const pidFile = join(runDir, "heartbeat.pid");
    const got = await pollUntil(
      () => (existsSync(pidFile) ? Number(readFileSync(pidFile, "utf8").trim()) : 0),
      (pid) => pid > 0,
      5000,
    );
    if (!got.ok) throw new Error(`heartbeat on ${name} wrote no pid file: ${this.logTail(name)}`);
    node.masterPid = got.value;
    node.mntNs = readlinkSync(`/proc/${got.value}/ns/mnt`);
    return got.value;
  }

  /** Pids of a running real Heartbeat node (master and children). */
  heartbeatPids(name: string): number[] {
    const ns = this.node(name).mntNs;
    return ns === undefined ? [] : pidsInMountNs(ns);
  }

  /** Runs a command inside a real node's network, mount and UTS namespaces. */
  inHeartbeat(name: string, cmd: string, args: string[], timeoutMs = 10_000): CmdResult {
    const pid = this.node(name).masterPid;
    if (pid === undefined) throw new Error(`heartbeat on ${name} is not running`);
    return run("nsenter", ["-t", String(pid), "-m", "-u", "-n", cmd, ...args], timeoutMs);
  }

  /** `cl_status ARGS` on a real node. */
  clStatus(name: string, ...args: string[]): CmdResult {
    return this.inHeartbeat(name, "cl_status", args);
  }

  /**
   * Stops real Heartbeat cleanly (`heartbeat -k`), then makes sure no process
   * is left. In haresources mode a node started less than ~10 s ago first
   * finishes its resource transition ("Shutdown delayed until current resource
   * activity finishes"), so -k may take up to ~15 s.
   */
  async stopHeartbeat(name: string): Promise<void> {
    const node = this.node(name);
    if (node.masterPid === undefined) return;
    const r = this.inHeartbeat(name, HEARTBEAT_BIN, ["-k"], 25_000);
    const gone = await pollUntil(
      () => this.heartbeatPids(name).length,
      (n) => n === 0,
      10_000,
      50,
    );
    if (!gone.ok) this.killNode(name);
    delete node.masterPid;
    delete node.mntNs;
    if (r.code !== 0 || !gone.ok)
      throw new Error(`heartbeat -k on ${name}: exit ${r.code}, ${gone.value} left`);
  }

  // ---- hbd -----------------------------------------------------------------

  /** Starts hbd on a node (stdout+stderr appended to DIR/hbd.log), optionally pinned with taskset. */
  startHbd(name: string, opts: { cpu?: number } = {}): ChildProcess {
    const node = this.node(name);
    if (node.kind !== "hbd") throw new Error(`${name} is not an hbd node`);
    for (const d of ["state", "run"]) mkdirSync(join(node.dir, d), { recursive: true });
    const cmd = [
      ...(opts.cpu === undefined ? [] : ["taskset", "-c", String(opts.cpu)]),
      process.execPath,
      HBD_JS,
      "--config-dir",
      join(node.dir, "etc"),
      "--state-dir",
      join(node.dir, "state"),
      "--run-dir",
      join(node.dir, "run"),
      "--node",
      name,
      "--log-format", // hbdEvents() reads the logfile's structured records
      "json",
    ];
    const log = openSync(this.hbdLogPath(name), "a");
    const child = spawn("ip", ["netns", "exec", this.ns(name), ...cmd], { stdio: ["ignore", log, log] });
    closeSync(log);
    node.hbd = child;
    return child;
  }

  /** Path of hbd's stdout/stderr (start-up errors; its pino log goes to ha.cf's logfile). */
  hbdLogPath(name: string): string {
    return join(this.node(name).dir, "hbd.log");
  }

  /** Path of the node's ha.cf logfile: Heartbeat's text log, or hbd's pino JSON lines. */
  logfilePath(name: string): string {
    return join(this.node(name).dir, "ha.log");
  }

  /**
   * hbd's log records (pino JSON lines from the logfile), each with `atMs`,
   * the epoch ms of its `time` field. Lines that are not JSON are skipped.
   */
  hbdEvents(name: string): HbdEvent[] {
    const file = this.logfilePath(name);
    if (!existsSync(file)) return [];
    const out: HbdEvent[] = [];
    for (const line of readFileSync(file, "utf8").split("\n")) {
      if (!line.startsWith("{")) continue;
      try {
        const rec = JSON.parse(line) as Record<string, unknown>;
        const t = rec["time"];
        const atMs = typeof t === "number" ? t : typeof t === "string" ? Date.parse(t) : Number.NaN;
        if (Number.isFinite(atMs)) out.push({ ...rec, atMs });
      } catch {
        // a partly written line
      }
    }
    return out;
  }

  /**
   * Epoch ms at which hbd on `observer` logged `peer`'s status becoming
   * `status` (event `node-status`), first such record at or after `sinceMs`.
   */
  hbdNodeStatusAt(observer: string, peer: string, status: string, sinceMs: number): number | undefined {
    return this.hbdEvents(observer).find(
      (e) =>
        e["event"] === "node-status" && e["peer"] === peer && e["status"] === status && e.atMs >= sinceMs,
    )?.atMs;
  }

  /** Path of hbd's CLI socket. */
  hbdSocket(name: string): string {
    return join(this.node(name).dir, "run", HBD_SOCKET);
  }

  /** Pid of a running hbd (ip netns exec execs, so it is the node process itself). */
  hbdPid(name: string): number | undefined {
    const c = this.node(name).hbd;
    return c && c.exitCode === null && c.signalCode === null ? c.pid : undefined;
  }

  /** `hbctl ARGS --socket RUN/hbd.sock` against a node's hbd (hbctl talks over the unix socket). */
  hbctl(name: string, ...args: string[]): CmdResult {
    return run(process.execPath, [HBCTL_JS, ...args, "--socket", this.hbdSocket(name)]);
  }

  /** Stops hbd with SIGTERM, SIGKILL after 5 s. */
  async stopHbd(name: string): Promise<void> {
    const node = this.node(name);
    const c = node.hbd;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once("exit", () => r()));
    c.kill("SIGTERM");
    const t = setTimeout(() => c.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(t);
  }

  // ---- both ------------------------------------------------------------------

  /** What runs on a node. */
  kind(name: string): NodeKind {
    return this.node(name).kind;
  }

  /** Running pids of a node, whatever its kind. */
  pids(name: string): number[] {
    const node = this.node(name);
    if (node.kind === "heartbeat") return this.heartbeatPids(name);
    const pid = this.hbdPid(name);
    return pid === undefined ? [] : [pid];
  }

  /** SIGKILLs every process of a node (only pids the lab started). Returns Date.now() just before. */
  killNode(name: string): number {
    const node = this.node(name);
    const pids = this.pids(name);
    const t = Date.now();
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    if (node.kind === "heartbeat") {
      delete node.masterPid;
      delete node.mntNs;
    }
    return t;
  }

  /** Sets the node's eth0 down or up. */
  link(name: string, up: boolean): void {
    this.ip(this.node(name).role, "link", "set", "eth0", up ? "up" : "down");
  }

  /**
   * How `observer` sees `target`: `cl_status nodestatus` on a real node,
   * `hbctl cl nodestatus` on hbd. Returns the status word (or the error).
   */
  nodeStatus(observer: string, target: string): CmdResult {
    return this.node(observer).kind === "heartbeat"
      ? this.clStatus(observer, "nodestatus", target)
      : this.hbctl(observer, "cl", "nodestatus", target);
  }

  /** The last lines of a node's logs, for failure messages. */
  logTail(name: string, lines = 15): string {
    const node = this.node(name);
    const files = (node.kind === "heartbeat" ? ["heartbeat.out", "ha.log"] : ["hbd.log", "ha.log"]).map((f) =>
      join(node.dir, f),
    );
    return files
      .filter((f) => existsSync(f))
      .map((f) => `--- ${f}\n${readFileSync(f, "utf8").split("\n").slice(-lines).join("\n")}`)
      .join("\n");
  }

  /** Kills every process the lab started, deletes namespaces and the temp dir. Idempotent. */
  cleanup(): void {
    if (this.cleaned) return;
    this.cleaned = true;
    for (const node of this.nodes.values()) {
      if (node.kind === "heartbeat") {
        if (node.mntNs !== undefined) this.killNode(node.name);
      } else if (node.hbd && node.hbd.exitCode === null && node.hbd.signalCode === null)
        node.hbd.kill("SIGKILL");
    }
    for (const ns of this.namespaces.splice(0).reverse()) {
      // A just-killed process may still hold the namespace; retry briefly.
      for (let i = 0; i < 5 && spawnSync("ip", ["netns", "del", ns], { stdio: "ignore" }).status !== 0; i++)
        spawnSync("sleep", ["0.1"]);
    }
    if (process.env.TANDEM_KEEP_LAB === undefined) rmSync(this.tmp, { recursive: true, force: true });
    live.delete(this);
    process.off("exit", this.onExit);
  }
}
