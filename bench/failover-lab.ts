/**
 * The failover benchmark's namespace lab: the resource manager's CrmLab
 * (test/e2e/crm/lab.ts) with its own prefix `tdf-<pid>-<n>-<role>` and a
 * bridged topology instead of a point-to-point veth pair: a client namespace
 * holds bridge br0 (10.250.0.10/24) and one veth per node, whose node side is
 * eth0 with 10.250.0.<i+1>/24. So a client outside both nodes reaches the VIP
 * over the same L2 and still does when a node's eth0 goes down (power loss).
 * Helper processes (HTTP servers, the probe client) started with spawnIn() are
 * killed by pid in cleanup(), which also deletes the namespaces and runs at exit.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { CrmLab } from "../test/e2e/crm/lab.js";

let counter = 0;

/** Address of the client side (br0) in the bridged topology. */
export const CLIENT_IP = "10.250.0.10";

export class FailoverLab extends CrmLab {
  readonly benchPrefix = `tdf-${process.pid}-${++counter}`;
  private readonly ownNamespaces: string[] = [];
  private readonly helpers: ChildProcess[] = [];

  override ns(role: string): string {
    return `${this.benchPrefix}-${role}`;
  }

  /** Node namespaces `nodes` (eth0 = 10.250.0.1, .2, ...) bridged through br0 in namespace `client`. */
  bridged(nodes: readonly string[], client: string): void {
    for (const r of [client, ...nodes]) {
      execFileSync("ip", ["netns", "add", this.ns(r)]);
      this.ownNamespaces.push(this.ns(r));
      this.exec(r, "ip", "link", "set", "lo", "up");
    }
    this.exec(client, "ip", "link", "add", "br0", "type", "bridge");
    this.exec(client, "ip", "addr", "add", `${CLIENT_IP}/24`, "dev", "br0");
    this.exec(client, "ip", "link", "set", "br0", "up");
    nodes.forEach((r, i) => {
      const port = `v-${r}`;
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
        this.ns(r),
      );
      this.exec(client, "ip", "link", "set", port, "master", "br0", "up");
      this.exec(r, "ip", "link", "set", "tdfpeer", "name", "eth0");
      this.exec(r, "ip", "addr", "add", `10.250.0.${i + 1}/24`, "dev", "eth0");
      this.exec(r, "ip", "link", "set", "eth0", "up");
    });
    // veth carrier comes up asynchronously; node lists only running interfaces. Bounded wait.
    for (const r of nodes) {
      for (let i = 0; i < 50 && this.exec(r, "ip", "link", "show", "eth0").includes("NO-CARRIER"); i++)
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
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
    super.cleanup();
    for (const ns of this.ownNamespaces.splice(0)) spawnSync("ip", ["netns", "del", ns]);
  }
}
