/**
 * One simulated machine: its disk and agents outlive the hbd running on it.
 * `boot()` composes a fresh Hbd (daemon/hbd.ts, the code hbd runs) from the
 * simulator's ports: the shared scheduler as clock and timers, one in-memory
 * endpoint per medium, the simulated agents, fence port and disk. `crash()`
 * ends the incarnation at once: endpoints closed, timers and pending agent
 * results dropped, every process gone.
 */

import { Prng } from "../base/prng.js";
import type { Cib } from "../cib/model.js";
import type { MemoryNetwork, MemoryTransport } from "../comm/memory.js";
import type { Transport } from "../comm/transport.js";
import type { ClusterConfig } from "../config/model.js";
import { compareCibVersions } from "../daemon/cib-version.js";
import type { CrmMessage, FenceRequest, FenceResult } from "../daemon/controller.js";
import { Hbd } from "../daemon/hbd.js";
import { type AgentFaults, SimAgents, type SimAgentsObserver } from "./agents.js";
import { SimDisk } from "./disk.js";
import type { SimLog } from "./log.js";
import type { SimScheduler } from "./scheduler.js";

export interface SimHostWorld {
  readonly scheduler: SimScheduler;
  readonly networks: ReadonlyMap<string, MemoryNetwork>;
  readonly initialCib: Cib;
  /** The CIB to boot with from the stored one, when not `stored ?? initialCib`. */
  readonly startCib: ((stored: Cib | undefined) => Cib) | undefined;
  /** Wraps the endpoints hbd sends through. */
  readonly wrapTransport: ((node: string, t: Transport) => Transport) | undefined;
  /** Unix ms of the simulated wall clock at monotonic 0 (plus each host's own jumps). */
  readonly wallOffsetMs: number;
  fence(from: string, req: FenceRequest): Promise<FenceResult>;
  /** A promise was settled: its continuations must run before the next task. */
  settled(): void;
  readonly log: SimLog;
  sendObserver(from: string, msg: CrmMessage, dest: string | undefined): void;
}

export class SimHost {
  readonly disk = new SimDisk();
  readonly agents: SimAgents;
  hbd: Hbd | undefined;
  private endpoints: MemoryTransport[] = [];
  private incarnation = 0;
  /** This host's wall-clock error (a jump moves it). */
  clockSkewMs = 0;
  crashedAtMs: number | undefined;
  /** A boot is scheduled (after a fence reboot, or the first one). */
  pendingBoot = false;
  boots = 0;

  constructor(
    readonly name: string,
    private readonly config: ClusterConfig,
    private readonly world: SimHostWorld,
    private readonly prng: Prng,
    faults: AgentFaults,
    observer: SimAgentsObserver,
  ) {
    this.agents = new SimAgents(name, world.scheduler, prng.fork(), faults, observer, () => world.settled());
    this.disk.onCrash = () => this.crash("crash during a CIB write");
  }

  get alive(): boolean {
    return this.hbd !== undefined;
  }

  /** Starts hbd as main.ts does: next generation, the stored CIB (else the initial one), saved if new. */
  boot(): void {
    this.pendingBoot = false;
    if (this.hbd !== undefined) return;
    const { world } = this;
    const incarnation = ++this.incarnation;
    this.boots++;
    this.crashedAtMs = undefined;
    this.disk.generation++;
    const stored = this.disk.loadCib();
    const startCib = world.startCib?.(stored) ?? stored ?? world.initialCib;
    this.endpoints = [...world.networks].map(([medium, net]) =>
      net.attach(this.name, { link: medium, id: `memory ${medium}` }),
    );
    const hbd = new Hbd(
      {
        config: this.config,
        localNode: this.name,
        generation: this.disk.generation,
        uuid: uuidOf(this.name),
        version: "sim",
        startCib,
        shippedAgents: new Set(),
        peerMarks: this.disk.peerMarks(),
        pingdAttribute: "pingd",
      },
      {
        clock: world.scheduler,
        wallClockMs: () => world.scheduler.now() + world.wallOffsetMs + this.clockSkewMs,
        timers: world.scheduler.timers(() => this.incarnation === incarnation),
        transports: this.endpoints.map((e) => world.wrapTransport?.(this.name, e) ?? e),
        prng: new Prng(this.prng.intBetween(0, 0x7fffffff)),
        // A dead incarnation's hbd object lives on in promise continuations: nothing it asks for may
        // happen (found by seed 19: a fence result reached a fenced node, which then started g1).
        exec: (req) => (this.incarnation === incarnation ? this.agents.exec(req) : NEVER),
        fence: (req) => this.whileAlive(incarnation, world.fence(this.name, req)),
        disk: this.disk,
        log: world.log.forNode(this.name),
        // A dead incarnation's sends go nowhere (its endpoints are closed): not checked.
        onCrmSend: (msg, dest) => {
          if (this.incarnation !== incarnation) return;
          world.sendObserver(this.name, msg, dest);
          const what =
            msg.k === "op"
              ? `op ${msg.tid}:${msg.aid} ${msg.rsc} ${msg.op}`
              : msg.k === "result"
                ? `result ${msg.tid}:${msg.aid}`
                : msg.k;
          world.log.crmSend(this.name, what, dest);
        },
      },
    );
    this.hbd = hbd;
    try {
      if (stored === undefined || compareCibVersions(stored, startCib) !== 0) this.disk.persistCib(startCib);
    } catch {
      return; // a crash armed for the next write struck during start-up
    }
    hbd.start();
    world.log.event(`${this.name} boots (generation ${this.disk.generation})`);
  }

  /** Settles like `p` only while the incarnation lives. */
  private whileAlive<T>(incarnation: number, p: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) =>
      p.then(
        (v) => {
          if (this.incarnation === incarnation) resolve(v);
        },
        (e) => {
          if (this.incarnation === incarnation) reject(e);
        },
      ),
    );
  }

  /** Power lost or killed: nothing more leaves this host, and its resources stop with it. */
  crash(why = "crash"): void {
    if (this.hbd === undefined) return;
    this.hbd = undefined;
    this.incarnation++;
    for (const e of this.endpoints) void e.close();
    this.endpoints = [];
    this.agents.crash();
    this.crashedAtMs = this.world.scheduler.now();
    this.world.log.event(`${this.name} ${why}`);
  }

  /** hbd exited after a clean shutdown (its resources are stopped). */
  stop(why: string): void {
    this.crash(why);
  }

  /** This incarnation's endpoint on `medium` (undefined while down): where an attacker's frame lands. */
  endpoint(medium: string): MemoryTransport | undefined {
    return this.endpoints.find((e) => e.link === medium && !e.closed);
  }

  tick(): void {
    this.hbd?.tick();
  }
}

/** What a dead incarnation waits on forever. */
const NEVER = new Promise<never>(() => {});

export function uuidOf(name: string): Uint8Array {
  const u = new Uint8Array(16);
  for (let i = 0; i < name.length && i < 15; i++) u[i] = name.charCodeAt(i) & 0xff;
  u[15] = 0x5a;
  return u;
}
