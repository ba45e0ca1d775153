/**
 * Network-namespace lab for the executor's end-to-end tests (root only).
 * Everything lives in namespaces named `tdx-<pid>-<n>-<role>`: veth pairs are
 * created inside them and never touch the host's interfaces; no route leaves
 * them. `cleanup()` deletes every namespace and temp dir and kills only the
 * processes the lab started (by pid); it also runs on process exit.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

let labCounter = 0;

/** Why the namespace tests cannot run here, or undefined when they can. */
export function skipReason(): string | undefined {
  if (process.getuid?.() !== 0) return "namespace tests need root (ip netns add); run them as root";
  return undefined;
}

export class Lab {
  readonly prefix = `tdx-${process.pid}-${++labCounter}`;
  readonly tmp: string;
  private readonly namespaces: string[] = [];
  private readonly children: ChildProcess[] = [];
  private readonly onExit = () => this.cleanup();

  constructor() {
    this.tmp = mkdtempSync(join(tmpdir(), `${this.prefix}-`));
    process.on("exit", this.onExit);
  }

  /** Full namespace name for a role. */
  ns(role: string): string {
    return `${this.prefix}-${role}`;
  }

  /** Creates a namespace with lo up. */
  addNs(role: string): string {
    const name = this.ns(role);
    execFileSync("ip", ["netns", "add", name]);
    this.namespaces.push(name);
    this.run(role, "ip", "link", "set", "lo", "up");
    return name;
  }

  /** Runs a command inside a namespace and returns stdout (throws on failure). */
  run(role: string, ...cmd: string[]): string {
    return execFileSync("ip", ["netns", "exec", this.ns(role), ...cmd], {
      encoding: "utf8",
      timeout: 10_000,
    });
  }

  /** A shell command inside a namespace. */
  sh(role: string, script: string): string {
    return this.run(role, "sh", "-c", script);
  }

  /** Starts a background process inside a namespace; killed by pid at cleanup. */
  spawnIn(role: string, ...cmd: string[]): ChildProcess {
    const c = spawn("ip", ["netns", "exec", this.ns(role), ...cmd], { stdio: ["ignore", "pipe", "pipe"] });
    this.children.push(c);
    return c;
  }

  /**
   * A switch namespace with bridge br0, and hosts each joined to it by a veth
   * pair created inside the switch namespace (host side named eth0).
   */
  switched(hosts: Record<string, string>): void {
    this.addNs("sw");
    this.run("sw", "ip", "link", "add", "br0", "type", "bridge");
    this.run("sw", "ip", "link", "set", "br0", "up");
    let i = 0;
    for (const [role, cidr] of Object.entries(hosts)) {
      this.addNs(role);
      const port = `p${i++}`;
      this.run(
        "sw",
        "ip",
        "link",
        "add",
        port,
        "type",
        "veth",
        "peer",
        "name",
        "eth0",
        "netns",
        this.ns(role),
      );
      this.run("sw", "ip", "link", "set", port, "master", "br0", "up");
      this.run(role, "ip", "link", "set", "eth0", "up");
      this.run(role, "ip", "addr", "add", cidr, "dev", "eth0");
    }
  }

  /** MAC address of a host's eth0. */
  mac(role: string, dev = "eth0"): string {
    return this.run(role, "cat", `/sys/class/net/${dev}/address`).trim();
  }

  /**
   * A directory of wrapper scripts that run the given agents inside a namespace
   * (`exec ip netns exec NS agent "$@"`), to point an executor's agent dirs at.
   */
  agentDir(role: string, agents: Record<string, string>): string {
    const dir = join(this.tmp, `agents-${role}`);
    execFileSync("mkdir", ["-p", dir]);
    for (const [name, path] of Object.entries(agents)) {
      const p = join(dir, name);
      writeFileSync(p, `#!/bin/sh\nexec ip netns exec ${this.ns(role)} ${path} "$@"\n`);
      chmodSync(p, 0o755);
    }
    return dir;
  }

  cleanup(): void {
    for (const c of this.children.splice(0))
      if (c.pid !== undefined && c.exitCode === null) c.kill("SIGKILL");
    for (const ns of this.namespaces.splice(0).reverse()) {
      try {
        execFileSync("ip", ["netns", "del", ns], { stdio: "ignore" });
      } catch {
        // already gone
      }
    }
    rmSync(this.tmp, { recursive: true, force: true });
    process.off("exit", this.onExit);
  }
}

/** Polls cond every 20 ms until it holds or timeoutMs passes; returns whether it held. */
export async function waitFor(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (let i = 0; i < 10_000 && Date.now() < end; i++) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return cond();
}
