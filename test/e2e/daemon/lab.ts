/**
 * A two-namespace lab for hbd's end-to-end tests (root only): namespaces
 * `tdd-<pid>-<n>-<role>` joined by one veth pair created inside them, so no
 * host interface or route is touched. `cleanup()` kills only the processes the
 * lab started (by pid), deletes its namespaces and temp dir; it also runs on
 * process exit, so a failing test leaves nothing behind.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../../helpers.js";

let counter = 0;

/** TANDEM_DIST=DIR runs another build's hbd and hbctl (DIR/src/...): before/after figures in the benches. */
const DIST = process.env.TANDEM_DIST ?? join(repoRoot, "dist");
export const HBD = join(DIST, "src", "bin", "hbd.cjs");
export const HBCTL = join(DIST, "src", "cli", "main.js");

/** Why these tests cannot run here, or undefined when they can. */
export function skipReason(): string | undefined {
  if (process.getuid?.() !== 0) return "hbd end-to-end tests need root (ip netns add); run them as root";
  return undefined;
}

export interface Result {
  readonly out: string;
  readonly err: string;
  readonly code: number;
}

export interface NodeDirs {
  readonly etc: string;
  readonly state: string;
  readonly run: string;
  readonly sock: string;
}

export class DaemonLab {
  readonly prefix = `tdd-${process.pid}-${++counter}`;
  readonly tmp: string;
  private readonly namespaces: string[] = [];
  private readonly children = new Map<string, ChildProcess>();
  private readonly logs = new Map<string, string>();
  private readonly onExit = () => this.cleanup();

  constructor() {
    this.tmp = mkdtempSync(join(tmpdir(), `${this.prefix}-`));
    chmodSync(this.tmp, 0o755); // unprivileged clients must reach the socket to be refused by it
    process.on("exit", this.onExit);
  }

  ns(role: string): string {
    return `${this.prefix}-${role}`;
  }

  /** Two namespaces with a veth pair named eth0 on both sides, 10.250.0.1 and .2/24. */
  pair(a: string, b: string): void {
    for (const r of [a, b]) {
      execFileSync("ip", ["netns", "add", this.ns(r)]);
      this.namespaces.push(this.ns(r));
      this.exec(r, "ip", "link", "set", "lo", "up");
    }
    this.exec(a, "ip", "link", "add", "eth0", "type", "veth", "peer", "name", "tddpeer", "netns", this.ns(b));
    this.exec(b, "ip", "link", "set", "tddpeer", "name", "eth0");
    [a, b].forEach((r, i) => {
      this.exec(r, "ip", "addr", "add", `10.250.0.${i + 1}/24`, "dev", "eth0");
      this.exec(r, "ip", "link", "set", "eth0", "up");
    });
    // veth carrier comes up asynchronously; node lists only running interfaces. Bounded wait.
    for (const r of [a, b]) {
      for (let i = 0; i < 50 && this.exec(r, "ip", "link", "show", "eth0").includes("NO-CARRIER"); i++)
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
  }

  /**
   * Two namespaces with a veth pair named eth0 and IPv6 only: fd00:250::1 and ::2/64 plus the
   * link-local fe80::1 and fe80::2/64 (no generated ones), all `nodad` so none waits for duplicate
   * address detection. No IPv4 address.
   */
  pair6(a: string, b: string): void {
    for (const r of [a, b]) {
      execFileSync("ip", ["netns", "add", this.ns(r)]);
      this.namespaces.push(this.ns(r));
      this.exec(r, "ip", "link", "set", "lo", "up");
    }
    this.exec(a, "ip", "link", "add", "eth0", "type", "veth", "peer", "name", "tddpeer", "netns", this.ns(b));
    this.exec(b, "ip", "link", "set", "tddpeer", "name", "eth0");
    [a, b].forEach((r, i) => {
      this.exec(r, "ip", "link", "set", "eth0", "addrgenmode", "none");
      this.exec(r, "ip", "-6", "addr", "add", `fd00:250::${i + 1}/64`, "dev", "eth0", "nodad");
      this.exec(r, "ip", "-6", "addr", "add", `fe80::${i + 1}/64`, "dev", "eth0", "nodad");
      this.exec(r, "ip", "link", "set", "eth0", "up");
    });
    for (const r of [a, b]) {
      for (let i = 0; i < 50 && this.exec(r, "ip", "link", "show", "eth0").includes("NO-CARRIER"); i++)
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
  }

  exec(role: string, ...cmd: string[]): string {
    return execFileSync("ip", ["netns", "exec", this.ns(role), ...cmd], {
      encoding: "utf8",
      timeout: 10_000,
    });
  }

  /** Writes ha.cf and authkeys for `node` and returns its directories. */
  configure(node: string, hacf: string, authkeys: string): NodeDirs {
    const base = join(this.tmp, node);
    const dirs = {
      etc: join(base, "etc"),
      state: join(base, "state"),
      run: join(base, "run"),
      sock: join(base, "run", "hbd.sock"),
    };
    for (const d of [base, dirs.etc, dirs.state, dirs.run]) mkdirSync(d, { recursive: true, mode: 0o755 });
    writeFileSync(join(dirs.etc, "ha.cf"), hacf);
    writeFileSync(join(dirs.etc, "authkeys"), authkeys, { mode: 0o600 });
    return dirs;
  }

  /**
   * Starts hbd for `node` in namespace `role` (stdout and stderr kept: see log()). `nodeArgs` go to node
   * before the script (flags NODE_OPTIONS refuses, e.g. --perf-basic-prof or --prof, for a benchmark).
   */
  startHbd(
    role: string,
    node: string,
    dirs: NodeDirs,
    extra: string[] = [],
    nodeArgs: string[] = [],
  ): ChildProcess {
    const args = [
      "--config-dir",
      dirs.etc,
      "--state-dir",
      dirs.state,
      "--run-dir",
      dirs.run,
      "--node",
      node,
      ...extra,
    ];
    const child = spawn("ip", ["netns", "exec", this.ns(role), process.execPath, ...nodeArgs, HBD, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.logs.set(node, "");
    const append = (b: Buffer) => {
      const text = (this.logs.get(node) ?? "") + b.toString();
      this.logs.set(node, text.length > 4_000_000 ? text.slice(-2_000_000) : text); // bounded
    };
    child.stdout?.on("data", append);
    child.stderr?.on("data", append);
    this.children.set(node, child);
    return child;
  }

  /** Everything a node's hbd wrote to stdout and stderr so far. */
  log(node: string): string {
    return this.logs.get(node) ?? "";
  }

  /** Runs hbctl (optionally as another user through setpriv) and returns its output and exit code. */
  hbctl(args: string[], asNobody = false): Result {
    const cmd = asNobody
      ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, HBCTL, ...args]
      : [process.execPath, HBCTL, ...args];
    const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: "utf8", timeout: 15_000 });
    return { out: r.stdout ?? "", err: r.stderr ?? "", code: r.status ?? -1 };
  }

  /** Polls `cond` every `stepMs` until it holds or `maxMs` passes (bounded). */
  /**
   * Waits until the hbd behind `sock` applies `peer`'s plain deadtime: for its
   * first 5 s a node advertises deadtime + 2 s (as Heartbeat does), counted from
   * its own start, which can be seconds after it was spawned on a loaded machine.
   */
  async plainDeadtime(sock: string, peer: string, deadtimeMs: number, maxMs = 15_000): Promise<boolean> {
    return this.waitFor(
      () => {
        const r = this.hbctl(["status", "--json", "--socket", sock]);
        if (r.code !== 0) return false;
        const nodes = (JSON.parse(r.out) as { nodes: { name: string; deadIntervalMs?: number }[] }).nodes;
        return nodes.find((n) => n.name === peer)?.deadIntervalMs === deadtimeMs;
      },
      maxMs,
      200,
    );
  }

  async waitFor(cond: () => boolean, maxMs: number, stepMs = 100): Promise<boolean> {
    const end = Date.now() + maxMs;
    for (let i = 0; i < Math.ceil(maxMs / stepMs) + 1; i++) {
      if (cond()) return true;
      if (Date.now() > end) break;
      await new Promise((r) => setTimeout(r, stepMs));
    }
    return cond();
  }

  kill(node: string, signal: NodeJS.Signals): void {
    const c = this.children.get(node);
    if (c?.pid !== undefined && c.exitCode === null && c.signalCode === null) process.kill(c.pid, signal);
  }

  /** Resolves with the exit code (or signal) of a node's hbd, within `maxMs`. */
  exited(node: string, maxMs: number): Promise<number | string | undefined> {
    const c = this.children.get(node);
    if (c === undefined) return Promise.resolve(undefined);
    if (c.exitCode !== null || c.signalCode !== null)
      return Promise.resolve(c.exitCode ?? c.signalCode ?? undefined);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(undefined), maxMs);
      c.once("exit", (code, sig) => {
        clearTimeout(t);
        resolve(code ?? sig ?? undefined);
      });
    });
  }

  cleanup(): void {
    for (const c of this.children.values()) {
      if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) {
        try {
          process.kill(c.pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    }
    this.children.clear();
    for (const ns of this.namespaces.splice(0)) spawnSync("ip", ["netns", "del", ns]);
    rmSync(this.tmp, { recursive: true, force: true });
    process.off("exit", this.onExit);
  }
}
