/**
 * The demo without root: two hbd on this machine's loopback, nodes n1 and n2,
 * each with its own --config-dir/--state-dir/--run-dir under one temp dir,
 * running the haresources group `n1 Dummy::demo-vip Dummy::demo-director`.
 *
 * How two hbd share loopback: a ucast socket binds the interface's first
 * address, so both would bind 127.0.0.1:udpport and the kernel would hand
 * each datagram to one of them only. Multicast does not have that problem:
 * `mcast lo GROUP PORT 1 1` (loop on) makes every socket that joined GROUP on
 * lo receive every frame, and each hbd drops its own echoes. GROUP and PORT
 * (unprivileged) are derived from the demo's pid so concurrent demos do not
 * hear each other (authkeys differ anyway). As non-root hbd cannot raise its
 * priority (`realtime on`): it warns and goes on, which the demo shows.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  HBD,
  hbctlOk,
  resourcesOn,
  StepError,
  type Steps,
  showStatus,
  sleep,
  statusOf,
  waitFor,
} from "./common.js";

interface LoopNode {
  readonly name: string;
  readonly etc: string;
  readonly state: string;
  readonly run: string;
  readonly sock: string;
  child?: ChildProcess;
  log: string;
}

/** The two-hbd loopback cluster; cleanup() kills only the hbd it started and removes its temp dir. */
export class LoopbackCluster {
  readonly tmp = mkdtempSync(join(tmpdir(), `tdemo-${process.pid}-`));
  readonly port = 20_000 + (process.pid % 20_000);
  readonly group = `239.255.${(process.pid >> 8) & 255}.${process.pid & 255}`;
  readonly nodes: readonly [LoopNode, LoopNode];

  constructor() {
    chmodSync(this.tmp, 0o755);
    const hacf = [
      `udpport ${this.port}`,
      `mcast lo ${this.group} ${this.port} 1 1`,
      "keepalive 200ms",
      "warntime 600ms",
      "deadtime 1",
      "initdead 2",
      "auto_failback on",
      "node n1",
      "node n2",
      "crm off",
      "",
    ].join("\n");
    const secret = `demo-${process.pid}-${Date.now()}`;
    const mk = (name: string): LoopNode => {
      const base = join(this.tmp, name);
      const n = {
        name,
        etc: join(base, "etc"),
        state: join(base, "state"),
        run: join(base, "run"),
        sock: join(base, "run", "hbd.sock"),
        log: "",
      };
      for (const d of [n.etc, n.state, n.run]) mkdirSync(d, { recursive: true, mode: 0o755 });
      writeFileSync(join(n.etc, "ha.cf"), hacf);
      writeFileSync(join(n.etc, "authkeys"), `auth 1\n1 sha256 ${secret}\n`, { mode: 0o600 });
      writeFileSync(join(n.etc, "haresources"), "n1 Dummy::demo-vip Dummy::demo-director\n");
      return n;
    };
    this.nodes = [mk("n1"), mk("n2")];
  }

  start(n: LoopNode): void {
    const args = ["--config-dir", n.etc, "--state-dir", n.state, "--run-dir", n.run, "--node", n.name];
    const child = spawn(process.execPath, [HBD, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    const append = (b: Buffer) => {
      n.log = (n.log + b.toString()).slice(-1_000_000); // bounded
    };
    child.stdout?.on("data", append);
    child.stderr?.on("data", append);
    n.child = child;
  }

  kill(n: LoopNode): void {
    const c = n.child;
    if (c?.pid !== undefined && c.exitCode === null && c.signalCode === null) process.kill(c.pid, "SIGKILL");
  }

  /** Last lines of both logs, for a failure message. */
  logs(): string {
    return this.nodes.map((n) => `--- ${n.name}\n${n.log.split("\n").slice(-15).join("\n")}`).join("\n");
  }

  cleanup(): void {
    for (const n of this.nodes) {
      try {
        this.kill(n);
      } catch {
        // already gone
      }
    }
    rmSync(this.tmp, { recursive: true, force: true });
  }
}

/** Waits (bounded) until the whole group runs on `node` as `asker`'s hbd reports it; returns the ms it took. */
async function groupOn(c: LoopbackCluster, asker: LoopNode, node: string, since: number, maxMs: number) {
  const ok = await waitFor(() => resourcesOn(statusOf(asker.sock)) === node, maxMs, 50);
  if (!ok) throw new StepError(`the group did not come up on ${node} within ${maxMs / 1000} s\n${c.logs()}`);
  return Date.now() - since;
}

/** The loopback demo's steps. */
export async function loopbackDemo(steps: Steps, onCleanup: (fn: () => void) => void): Promise<void> {
  const c = new LoopbackCluster();
  onCleanup(() => c.cleanup());
  const [n1, n2] = c.nodes;
  const root = process.getuid?.() === 0;

  await steps.run(
    "start two hbd on loopback (n1 prefers the group [Dummy demo-vip, Dummy demo-director])",
    async () => {
      console.log(
        `   ${c.tmp}/{n1,n2}/{etc,state,run}; heartbeats: mcast lo ${c.group} port ${c.port}; keepalive 200ms, deadtime 1 s`,
      );
      const t0 = Date.now();
      c.start(n1);
      c.start(n2);
      const ms = await groupOn(c, n2, "n1", t0, 30_000);
      console.log(`   cluster up, group running on n1 after ${(ms / 1000).toFixed(1)} s`);
      const rt = /"event":"realtime(-failed)?".*?"msg":"([^"]*)"/.exec(n1.log);
      if (rt !== null) console.log(`   hbd as ${root ? "root" : "non-root"}: ${rt[2]}`);
      else if (!root) console.log("   hbd as non-root: no realtime message yet");
      showStatus("n1", n1.sock);
    },
  );

  await steps.run("hbctl standby n1: the group moves to n2", async () => {
    const t0 = Date.now();
    hbctlOk(["standby", "n1"], n1.sock);
    const ms = await groupOn(c, n2, "n2", t0, 20_000);
    console.log(`   group running on n2 ${ms} ms after the command`);
    showStatus("n2", n2.sock);
  });

  await steps.run("hbctl online n1: auto_failback brings the group home", async () => {
    const t0 = Date.now();
    hbctlOk(["online", "n1"], n2.sock);
    const ms = await groupOn(c, n2, "n1", t0, 20_000);
    console.log(`   group running on n1 again ${ms} ms after the command`);
  });

  await steps.run("kill -9 the active hbd (n1): n2 takes the group after deadtime", async () => {
    await sleep(300);
    const t0 = Date.now();
    c.kill(n1);
    console.log("   hbd n1 killed (SIGKILL)");
    const ms = await groupOn(c, n2, "n2", t0, 20_000);
    console.log(`   failover: group running on n2 ${ms} ms after the kill (deadtime 1 s)`);
    const report = statusOf(n2.sock);
    const peer = report?.nodes.find((n) => n.name === "n1");
    if (peer?.status !== "dead") throw new StepError(`n2 does not report n1 dead (${peer?.status})`);
    showStatus("n2", n2.sock);
  });
}
