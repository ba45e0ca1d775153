/**
 * The simulated world of whole-cluster runs (issue 14): N hosts running the
 * real composed node (daemon/hbd.ts) on seeded in-memory networks (the real
 * wire codec and signatures), with simulated agents, fence devices and
 * disks, one clock. Faults: per-medium loss, duplication, reordering and
 * delay; symmetric and one-way partitions per medium; crashes and restarts
 * with the disk; a crash during a CIB write; agents that fail or hang; fence
 * devices that fail; wall-clock jumps. Invariants (invariants.ts) are
 * checked after every step of `tickMs`.
 *
 * Promise continuations (agent results, admin answers) run at a fixed point:
 * after the task that settled them, before the next one (`settled()` marks
 * it, `runFor` drains with one macrotask turn), so a seed replays exactly.
 */

import { Prng } from "../base/prng.js";
import type { Cib } from "../cib/model.js";
import { type InFlight, MemoryNetwork } from "../comm/memory.js";
import type { Transport } from "../comm/transport.js";
import type { ClusterConfig } from "../config/model.js";
import type { CrmMessage, FenceRequest, FenceResult } from "../daemon/controller.js";
import { tickPeriodMs } from "../daemon/node.js";
import type { AgentFaults, SimAgentsObserver } from "./agents.js";
import { SimHost } from "./host.js";
import { SimLog } from "./log.js";
import type { MediumFaults } from "./network.js";
import { SimScheduler } from "./scheduler.js";

export interface SimWorldOptions {
  readonly seed: number;
  readonly nodes: readonly string[];
  readonly media: readonly string[];
  /** Each node's configuration (ha.cf as loaded). */
  readonly configs: ReadonlyMap<string, ClusterConfig>;
  readonly initialCib: Cib;
  readonly agentFaults: AgentFaults;
  /** Probability that one fencing attempt fails. */
  readonly fenceFailProbability: number;
  readonly verbose?: boolean;
  /** The CIB a host boots with, from its stored copy (default: the stored copy, else `initialCib`); haresources mode converts at every start. */
  readonly startCib?: (stored: Cib | undefined) => Cib;
  /** Wraps each endpoint a host's hbd sends through (r1-run.ts: a Heartbeat peer's wire). */
  readonly wrapTransport?: (node: string, t: Transport) => Transport;
}

const drain = (): Promise<void> => new Promise((r) => setImmediate(r));
/** Tasks one step may run before the run is called a livelock (a normal step runs tens to hundreds). */
const MAX_TASKS_PER_STEP = 50_000;

export class SimWorld {
  readonly scheduler = new SimScheduler(0);
  readonly log: SimLog;
  readonly networks = new Map<string, MemoryNetwork>();
  readonly hosts = new Map<string, SimHost>();
  readonly wallOffsetMs = 1_800_000_000_000;
  readonly initialCib: Cib;
  readonly startCib: ((stored: Cib | undefined) => Cib) | undefined;
  readonly wrapTransport: ((node: string, t: Transport) => Transport) | undefined;
  readonly tickMs: number;
  private readonly faults = new Map<string, MediumFaults>();
  private readonly prng: Prng;
  private pendingSettled = false;
  /** Per host: resources it ran when it was lost uncleanly, until it is fenced or boots again. */
  readonly lostUnfenced = new Map<string, Set<string>>();
  /** Per unordered pair "a|b": since when both are up and hear each other on some medium both ways. */
  private readonly pairSince = new Map<string, number>();
  /** Pair key -> since when each one's membership has seen the other up or active (and the network carries frames). */
  private readonly viewSince = new Map<string, number>();
  observer: SimAgentsObserver = { starting() {}, stopping() {} };
  sendObserver: (from: string, msg: CrmMessage, dest: string | undefined) => void = () => {};
  /** Every frame the network routes on a medium, with the fault model's decision (an attacker listening). */
  frameObserver: (medium: string, frame: InFlight, decision: "drop" | number[]) => void = () => {};
  fencings = { ok: 0, failed: 0 };
  fenceFailProbability: number;

  constructor(private readonly options: SimWorldOptions) {
    this.prng = new Prng(options.seed);
    this.log = new SimLog(this.scheduler, 3000, options.verbose ?? false);
    this.initialCib = options.initialCib;
    this.startCib = options.startCib;
    this.wrapTransport = options.wrapTransport;
    this.fenceFailProbability = options.fenceFailProbability;
    const first = options.configs.get(options.nodes[0] as string) as ClusterConfig;
    this.tickMs = tickPeriodMs(first.timing.keepaliveMs, first.timing.deadtimeMs); // hbd's own tick loop period
    const netPrng = this.prng.fork();
    for (const m of options.media) {
      const net = new MemoryNetwork({ scheduler: this.scheduler, latencyMs: 1, maxInFlight: 100_000 });
      net.setFault((frame) => {
        const d = this.decide(m, netPrng);
        this.frameObserver(m, frame, d);
        return d;
      });
      this.networks.set(m, net);
    }
    for (const n of options.nodes) {
      const observer: SimAgentsObserver = {
        starting: (h, r) => this.observer.starting(h, r),
        stopping: (h, r) => this.observer.stopping(h, r),
      };
      this.hosts.set(
        n,
        new SimHost(
          n,
          options.configs.get(n) as ClusterConfig,
          this,
          this.prng.fork(),
          options.agentFaults,
          observer,
        ),
      );
    }
  }

  get now(): number {
    return this.scheduler.now();
  }

  host(name: string): SimHost {
    const h = this.hosts.get(name);
    if (h === undefined) throw new Error(`no host ${name}`);
    return h;
  }

  settled(): void {
    this.pendingSettled = true;
  }

  setFaults(medium: string, f: MediumFaults): void {
    this.faults.set(medium, f);
  }

  private decide(medium: string, prng: Prng): "drop" | number[] {
    const f = this.faults.get(medium);
    if (f === undefined) return [1];
    if (prng.chance(f.lossProbability)) return "drop";
    const one = (): number =>
      prng.intBetween(f.delayMsMin, f.delayMsMax) +
      (prng.chance(f.reorderProbability) ? prng.intBetween(1, Math.max(1, f.reorderDelayMsMax)) : 0);
    return prng.chance(f.duplicateProbability) ? [one(), one()] : [one()];
  }

  /** Cuts a from b on the given media (default all): both ways, or only a -> b. */
  partition(a: readonly string[], b: readonly string[], oneWay: boolean, media?: readonly string[]): void {
    for (const [m, net] of this.networks)
      if (media === undefined || media.includes(m)) net.partition(a, b, oneWay ? "one-way" : "symmetric");
  }

  heal(): void {
    for (const net of this.networks.values()) net.heal();
  }

  /** Whether a and b are both up and some medium carries frames both ways between them. */
  hear(a: string, b: string): boolean {
    if (!this.host(a).alive || !this.host(b).alive) return false;
    for (const net of this.networks.values()) if (net.canReach(a, b) && net.canReach(b, a)) return true;
    return false;
  }

  /** How long a and b have heard each other without a break (0 when they do not). */
  heardForMs(a: string, b: string): number {
    const since = this.pairSince.get(a < b ? `${a}|${b}` : `${b}|${a}`);
    return since === undefined ? 0 : this.now - since;
  }

  /**
   * How long a and b have heard each other and each one's membership has seen
   * the other alive, without a break: what the resource manager can act on.
   * Loss may make a node declare a peer dead by the rules (no status for the
   * deadtime) while other frames still arrive (seed 5673: 5 statuses in a row
   * lost at 20 % loss); the one-DC and one-active checks count from here.
   */
  inViewForMs(a: string, b: string): number {
    const since = this.viewSince.get(a < b ? `${a}|${b}` : `${b}|${a}`);
    return since === undefined ? 0 : this.now - since;
  }

  private sees(a: string, b: string): boolean {
    const st = this.host(a).hbd?.node.nodeStatus(b);
    return st === "up" || st === "active";
  }

  private trackPairs(): void {
    const names = this.options.nodes;
    for (let i = 0; i < names.length; i++)
      for (let j = i + 1; j < names.length; j++) {
        const a = names[i] as string;
        const b = names[j] as string;
        const key = `${a}|${b}`;
        if (!this.hear(a, b)) this.pairSince.delete(key);
        else if (!this.pairSince.has(key)) this.pairSince.set(key, this.now);
        if (!this.pairSince.has(key) || !this.sees(a, b) || !this.sees(b, a)) this.viewSince.delete(key);
        else if (!this.viewSince.has(key)) this.viewSince.set(key, this.now);
      }
  }

  boot(name: string): void {
    this.host(name).boot();
    this.lostUnfenced.delete(name);
  }

  /** Power loss or kill -9: what ran there is "lost" until fenced or rebooted. */
  crash(name: string): void {
    const h = this.host(name);
    if (!h.alive) return;
    const ran = new Set(h.agents.runningSet());
    h.crash();
    if (ran.size > 0) this.lostUnfenced.set(name, ran);
  }

  /** A fence device acting on `req.target`: powers it off (and on again for reboot) unless the attempt fails. */
  fence(from: string, req: FenceRequest): Promise<FenceResult> {
    const delay = this.prng.intBetween(10, 500);
    const fails = this.prng.chance(this.fenceFailProbability);
    const bootAfter = this.prng.intBetween(500, 3000);
    return new Promise((resolve) => {
      this.scheduler.after(delay, () => {
        this.settled();
        if (fails || !this.hosts.has(req.target)) {
          this.fencings.failed++;
          this.log.event(`${from} fences ${req.target} (${req.action}): the device fails`);
          resolve({ ok: false, reason: "simulated device failure", durationMs: delay });
          return;
        }
        this.fencings.ok++;
        this.log.event(`${from} fences ${req.target} (${req.action})`);
        const target = this.host(req.target);
        target.crash(`fenced by ${from}`);
        this.lostUnfenced.delete(req.target);
        if (req.action !== "off") {
          target.pendingBoot = true;
          this.scheduler.after(bootAfter, () => this.boot(req.target));
        }
        resolve({ ok: true, reason: "ok", durationMs: delay });
      });
    });
  }

  /**
   * Runs `ms` of simulated time in steps of `tickMs`: every task due, each
   * live node's tick, then `check` (the invariants); stops early when it
   * returns a problem, which it then returns.
   */
  async runFor(ms: number, check: () => string | undefined): Promise<string | undefined> {
    const end = this.now + ms;
    while (this.now < end) {
      const stepEnd = Math.min(end, this.now + this.tickMs);
      let tasks = 0;
      while (this.scheduler.runNext(stepEnd)) {
        // A storm of tasks that never lets the clock move (two nodes answering each other at once) would hang
        // the run: it is a failure of the system, reported with the trace, not a hang of the simulator.
        if (++tasks > MAX_TASKS_PER_STEP)
          return `livelock: over ${MAX_TASKS_PER_STEP} tasks due by ${stepEnd} ms (the clock cannot move)`;
        if (this.pendingSettled) {
          this.pendingSettled = false;
          await drain();
        }
      }
      this.scheduler.moveTo(stepEnd);
      for (const h of this.hosts.values()) h.tick();
      await drain();
      this.trackPairs();
      const problem = check();
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
}
