/**
 * Mixed Heartbeat/Tandem pair helpers (issue 11, docs/MIGRATION.md): the
 * InteropLab with a haresources VIP group, an HTTP server on each director,
 * a client namespace probing the VIP over HTTP, and a sampler that checks
 * every 50 ms which nodes have the VIP (it must never be on two).
 *
 * Everything started here is a child of this process, killed by pid in
 * stop(); the lab's cleanup removes namespaces and files.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { ProbeLog, probeClientScript } from "../../../bench/failover-lab.js";
import { InteropLab, type LabOptions, labUnavailable, type NodeKind, pollUntil, type Timing } from "./lab.js";

export const VIP = "10.99.0.100";
export const CLIENT_ADDR = "10.99.0.50";

/** haresources preferring `node` for the VIP group (Heartbeat's IPaddr form). */
export function vipHaresources(node: string): string {
  return `${node} IPaddr::${VIP}/24/eth0\n`;
}

/** True when namespace `ns` has the VIP on eth0. */
export function hasVip(ns: string): boolean {
  const r = spawnSync("ip", ["-n", ns, "-o", "-4", "addr", "show", "dev", "eth0"], {
    encoding: "utf8",
    timeout: 5000,
  });
  return (r.stdout ?? "").includes(` ${VIP}/`);
}

/** Power loss of a node: its link down, every process killed, its addresses gone with it (the VIP). */
export function powerLoss(lab: InteropLab, name: string): number {
  lab.link(name, false);
  const t = lab.killNode(name);
  spawnSync("ip", ["-n", lab.ns(name), "addr", "del", `${VIP}/24`, "dev", "eth0"], { stdio: "ignore" });
  return t;
}

/** The mixed-pair tests' timing: keepalive 250 ms, deadtime 1.5 s; initdead long enough for a slow hbd start. */
export const MIXED_TIMING: Timing = { keepaliveMs: 250, deadtimeMs: 1500, warntimeMs: 750, initdeadMs: 8000 };

const opened: MixedPair[] = [];

/** A two-node lab (node1, node2 of the given kinds) and its pair; closeAll() stops and removes every one. */
export function openMixed(
  kinds: readonly [NodeKind, NodeKind],
  options: LabOptions,
  timing = MIXED_TIMING,
): MixedPair {
  const why = labUnavailable(["heartbeat", "hbd"]);
  assert.equal(why, undefined, why);
  const lab = new InteropLab(
    [
      { name: "node1", kind: kinds[0] },
      { name: "node2", kind: kinds[1] },
    ],
    timing,
    options,
  );
  const pair = new MixedPair(lab, ["node1", "node2"]);
  opened.push(pair);
  return pair;
}

/** Stops every pair openMixed() made and removes its lab (for `after`). */
export function closeAll(): void {
  for (const p of opened.splice(0)) {
    p.stop();
    p.lab.cleanup();
  }
}

export class MixedPair {
  private readonly children: ChildProcess[] = [];
  private sampler: ChildProcess | undefined;
  /** Samples in which the VIP was on more than one node, with the time and holders. */
  readonly doubles: { at: number; holders: string[] }[] = [];
  samples = 0;
  probes: ProbeLog | undefined;

  constructor(
    readonly lab: InteropLab,
    readonly names: readonly string[],
  ) {}

  /** The last lines of every node's logs, for failure messages. */
  logs(): string {
    return this.names.map((n) => this.lab.logTail(n, 40)).join("\n");
  }

  /** Nodes holding the VIP now. */
  holders(): string[] {
    return this.names.filter((n) => hasVip(this.lab.ns(n)));
  }

  /**
   * Starts the 50 ms sampler: a child process of its own (so the test's blocking calls cannot slow it)
   * that reads both nodes' eth0 addresses and prints one line per sample. It stops by itself after `maxMs`.
   */
  startSampler(maxMs = 10 * 60_000): void {
    const targets = this.names.map((n) => [n, this.lab.ns(n)]);
    const script = `
const { spawnSync } = require("node:child_process");
const targets = ${JSON.stringify(targets)};
const end = Date.now() + ${maxMs};
const tick = () => {
  if (Date.now() > end) process.exit(0);
  const h = targets.filter(([, ns]) => (spawnSync("ip", ["-n", ns, "-o", "-4", "addr", "show", "dev", "eth0"], { encoding: "utf8" }).stdout || "").includes(" ${VIP}/")).map(([n]) => n);
  process.stdout.write(Date.now() + " " + (h.join(",") || "-") + "\\n");
  setTimeout(tick, 50);
};
tick();`;
    const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    this.children.push(child);
    this.sampler = child;
    let rest = "";
    child.stdout?.setEncoding("utf8");
    child.stdout?.on("data", (chunk: string) => {
      const lines = (rest + chunk).split("\n");
      rest = lines.pop() ?? "";
      for (const l of lines) {
        const [at, h] = l.split(" ");
        this.samples++;
        const holders = h === undefined || h === "-" ? [] : h.split(",");
        if (holders.length > 1 && this.doubles.length < 1000) this.doubles.push({ at: Number(at), holders });
      }
    });
  }

  stopSampler(): void {
    const c = this.sampler;
    if (c?.pid !== undefined && c.exitCode === null && c.signalCode === null) {
      try {
        process.kill(c.pid, "SIGKILL");
      } catch {
        // gone already
      }
    }
    this.sampler = undefined;
  }

  /** An HTTP server answering its node's name on port 80 of every address, in each director. */
  startServers(): void {
    for (const n of this.names) {
      const script = `require("node:http").createServer((q, s) => s.end(${JSON.stringify(`${n}\n`)})).listen(80, "0.0.0.0");`;
      this.spawnIn(this.lab.ns(n), script);
    }
  }

  /** A client namespace probing http://VIP/ on a new connection every `everyMs`. */
  startClient(everyMs: number): void {
    const ns = this.lab.addHost("client", CLIENT_ADDR);
    const child = this.spawnIn(
      ns,
      probeClientScript({ host: VIP, port: 80, everyMs, timeoutMs: 300, maxRunMs: 15 * 60_000 }),
    );
    this.probes = new ProbeLog(child);
  }

  /** Waits until exactly `node` holds the VIP (or nobody, with undefined); epoch ms when seen, or undefined. */
  async vipOn(node: string | undefined, timeoutMs: number): Promise<number | undefined> {
    const want = node === undefined ? "" : node;
    const r = await pollUntil(
      () => this.holders().join(","),
      (h) => h === want,
      timeoutMs,
      25,
    );
    return r.ok ? Date.now() : undefined;
  }

  /** Waits for a probe answered by `node` completing after `sinceMs`; its end time, or undefined. */
  async answeredBy(node: string, sinceMs: number, timeoutMs: number): Promise<number | undefined> {
    const r = await pollUntil(
      () => this.probes?.firstAnswer(node, sinceMs)?.end,
      (t) => t !== undefined,
      timeoutMs,
      25,
    );
    return r.value;
  }

  /** Failed probes and the longest gap between answers in [from, to]. */
  clientCost(from: number, to: number): { failed: number; gapMs: number } {
    const p = this.probes;
    if (p === undefined) return { failed: 0, gapMs: 0 };
    return { failed: p.failed(from, to), gapMs: p.longestGap(from, to) };
  }

  private spawnIn(ns: string, script: string): ChildProcess {
    const child = spawn("ip", ["netns", "exec", ns, process.execPath, "-e", script], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    this.children.push(child);
    return child;
  }

  /** Stops the sampler and kills every process started here (by pid). */
  stop(): void {
    this.stopSampler();
    for (const c of this.children.splice(0))
      if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) {
        try {
          process.kill(c.pid, "SIGKILL");
        } catch {
          // gone already
        }
      }
  }
}
