/**
 * A simulated cluster: N nodes, each running the real Membership state machine,
 * on a ManualClock and a seeded SimNetwork. Each node sends a status heartbeat
 * every keepalive on every medium to every other node, ticks its membership
 * every `tickMs`, answers retransmit requests from a 500-packet history and
 * pings the ping nodes. An optional attacker replays captured packets and
 * injects forged ones (which fail "authentication": the receiving node drops
 * them before membership, as the daemon does with a bad signature).
 *
 * Scripted stories use the methods below (crash, restart, partition, heal,
 * runFor, expectStatus); the randomized mode (random-run.ts) drives the same class.
 *
 * Determinism: the seed is split into independent streams (network, send
 * phases, attacker, one per node) at construction, so turning the attacker on
 * does not change what the network does to the other packets.
 */
import { Prng } from "../base/prng.js";
import type { Timing } from "../config/model.js";
import { nextGeneration } from "../membership/generation.js";
import { Membership } from "../membership/membership.js";
import type { LinkState, NodeState, PingState } from "../membership/transitions.js";
import type { MembershipCounters, MembershipEvent, PeerStatus } from "../membership/types.js";
import { ManualClock } from "./clock.js";
import {
  CLEAN_MEDIUM,
  type Envelope,
  type MediumFaults,
  type PartitionOptions,
  SimNetwork,
} from "./network.js";

export interface HeartbeatPacket {
  readonly kind: "heartbeat";
  readonly from: string;
  readonly generation: number;
  readonly seq: number;
  readonly type: "status" | "shutdone";
  readonly status: PeerStatus;
  readonly deadtimeMs: number;
  /** True for an attacker's packet: its signature would not verify. */
  readonly forged: boolean;
}

export type SimPacket =
  | HeartbeatPacket
  | { readonly kind: "rexmit"; readonly from: string; readonly seq: number; readonly forged: boolean }
  | { readonly kind: "ping-echo" | "ping-reply"; readonly from: string; readonly forged: boolean };

export interface AttackOptions {
  /** Replayed packets per second per receiving node (old captured frames, valid signatures). */
  readonly replaysPerSecond: number;
  /** Forged packets per second per receiving node (claims of death, restarts, ...; bad signatures). */
  readonly forgedPerSecond: number;
  /** Only packets delivered at least this long ago are replayed (default 2 x deadtime). */
  readonly replayAgeMinMs?: number;
}

export interface SimClusterOptions {
  readonly seed: number;
  readonly nodes: readonly string[];
  readonly timing: Timing;
  /** Medium names (default ["eth0"]). */
  readonly media?: readonly string[];
  /** Fault model of every medium (default CLEAN_MEDIUM); change later with setFaults. */
  readonly faults?: MediumFaults;
  /** Membership tick period (default 10 ms). */
  readonly tickMs?: number;
  readonly pingNodes?: readonly string[];
  readonly maxRexmitDelayMs?: number;
  readonly attack?: AttackOptions;
}

/** One membership event as seen by one node. */
export interface SimEvent {
  readonly observer: string;
  /** Which start of the observer (0 = first). */
  readonly incarnation: number;
  readonly event: MembershipEvent;
}

export interface AttackStats {
  replaysInjected: number;
  replaysDelivered: number;
  forgedInjected: number;
  forgedDelivered: number;
}

/** Thrown by the expect* helpers: says what differed, when, and how to reproduce it. */
export class SimExpectationError extends Error {
  override readonly name = "SimExpectationError";
}

const HISTORY_MAX = 500;
const CAPTURE_MAX = 1000;

interface SimNode {
  readonly name: string;
  readonly stream: Prng;
  alive: boolean;
  incarnation: number;
  generation: number;
  seq: number;
  membership: Membership;
  nextSendAtMs: number;
  readonly history: Map<number, HeartbeatPacket>;
  readonly resentAtMs: Map<number, number>;
  /** Packets delivered to this node, for the attacker to replay. */
  captured: { envelope: Envelope<SimPacket>; atMs: number }[];
  authDropped: number;
  crashedAtMs: number | undefined;
}

export class SimCluster {
  readonly seed: number;
  readonly clock: ManualClock;
  readonly network: SimNetwork<SimPacket>;
  readonly timing: Timing;
  readonly tickMs: number;
  readonly media: readonly string[];
  readonly attackStats: AttackStats = {
    replaysInjected: 0,
    replaysDelivered: 0,
    forgedInjected: 0,
    forgedDelivered: 0,
  };
  private readonly options: SimClusterOptions;
  private readonly nodes = new Map<string, SimNode>();
  private readonly pingNodes: readonly string[];
  private readonly deadPingNodes = new Set<string>();
  private readonly phases: Prng;
  private readonly attacker: Prng;
  private readonly replayIds = new Set<number>();
  private attack: AttackOptions | undefined;
  private nextTickMs: number;
  private readonly log: SimEvent[] = [];

  constructor(options: SimClusterOptions) {
    this.options = options;
    this.seed = options.seed;
    this.timing = options.timing;
    this.tickMs = options.tickMs ?? 10;
    this.media = options.media ?? ["eth0"];
    this.pingNodes = options.pingNodes ?? [];
    this.attack = options.attack;
    this.clock = new ManualClock(0);
    const root = new Prng(options.seed);
    this.network = new SimNetwork(root.fork(), this.media, options.faults ?? CLEAN_MEDIUM);
    this.phases = root.fork();
    this.attacker = root.fork();
    this.nextTickMs = this.tickMs;
    for (const name of options.nodes) {
      const stream = root.fork();
      const node: SimNode = {
        name,
        stream,
        alive: false,
        incarnation: -1,
        generation: 0,
        seq: 0,
        membership: this.newMembership(name, stream),
        nextSendAtMs: 0,
        history: new Map(),
        resentAtMs: new Map(),
        captured: [],
        authDropped: 0,
        crashedAtMs: undefined,
      };
      this.nodes.set(name, node);
    }
    for (const name of options.nodes) this.boot(this.get(name));
  }

  // ------------------------------------------------------------ story API

  get nowMs(): number {
    return this.clock.nowMs();
  }

  get nodeNames(): string[] {
    return [...this.nodes.keys()];
  }

  isAlive(name: string): boolean {
    return this.nodes.get(name)?.alive ?? !this.deadPingNodes.has(name);
  }

  /** Stops a node (or a ping node) at once: no more sending, receiving or ticking. */
  crash(name: string): void {
    if (this.pingNodes.includes(name)) {
      this.deadPingNodes.add(name);
      return;
    }
    const node = this.get(name);
    node.alive = false;
    node.crashedAtMs = this.nowMs;
  }

  /** Starts a crashed node again: a new process with the next generation and seq from 1. */
  restart(name: string): void {
    if (this.pingNodes.includes(name)) {
      this.deadPingNodes.delete(name);
      return;
    }
    const node = this.get(name);
    if (node.alive) throw new RangeError(`restart: ${name} is running`);
    this.boot(node);
  }

  /** A clean stop: status dead to the membership, `shutdone` to the peers, then the process ends. */
  shutdown(name: string): void {
    const node = this.get(name);
    this.handle(node, node.membership.localShutdown(this.nowMs));
    this.broadcast(node, { ...this.heartbeat(node), type: "shutdone", status: "dead" });
    node.alive = false;
    node.crashedAtMs = this.nowMs;
  }

  partition(a: readonly string[], b: readonly string[], options: PartitionOptions = {}): void {
    this.network.partition(a, b, options);
  }

  heal(): void {
    this.network.heal();
  }

  setFaults(faults: MediumFaults, medium?: string): void {
    this.network.setFaults(faults, medium);
  }

  setAttack(attack: AttackOptions | undefined): void {
    this.attack = attack;
  }

  /** Runs the simulation for `ms` of simulated time. */
  runFor(ms: number): void {
    this.runTo(this.nowMs + ms);
  }

  /** Runs until `done()` holds (checked after each step) or `limitMs` pass; returns the time or undefined. */
  runUntil(done: () => boolean, limitMs: number): number | undefined {
    const end = this.nowMs + limitMs;
    while (this.nowMs < end) {
      if (done()) return this.nowMs;
      this.runTo(Math.min(end, this.nowMs + this.tickMs));
    }
    return done() ? this.nowMs : undefined;
  }

  // ------------------------------------------------------------ observation

  /** How `observer` sees `target` right now (its own status when they are the same). */
  status(observer: string, target: string): NodeState | PingState | undefined {
    return this.get(observer).membership.nodeStatus(target);
  }

  link(observer: string, target: string, medium: string): LinkState | undefined {
    return this.get(observer).membership.linkStatus(target, medium);
  }

  membership(name: string): Membership {
    return this.get(name).membership;
  }

  counters(observer: string): Readonly<MembershipCounters> {
    return this.get(observer).membership.counters();
  }

  /** Frames the node dropped because they failed authentication (forged). */
  authDropped(observer: string): number {
    return this.get(observer).authDropped;
  }

  generation(name: string): number {
    return this.get(name).generation;
  }

  crashedAtMs(name: string): number | undefined {
    return this.get(name).crashedAtMs;
  }

  /** Every membership event so far, in order. */
  events(filter?: (e: SimEvent) => boolean): SimEvent[] {
    return filter === undefined ? [...this.log] : this.log.filter(filter);
  }

  /** Node, ping and link status changes only: "the view", as one line per change. */
  viewChanges(): string[] {
    const out: string[] = [];
    for (const { observer, event: e } of this.log) {
      if (e.kind === "node-status" || e.kind === "ping-status") {
        out.push(`${e.atMs} ${observer}: ${e.node} ${e.previous}->${e.status}`);
      } else if (e.kind === "link-status") {
        out.push(`${e.atMs} ${observer}: ${e.node}:${e.medium} ${e.previous}->${e.status}`);
      }
    }
    return out;
  }

  /** Problems that stop the cluster from being whole: empty when every live node sees all others active. */
  wholeProblems(): string[] {
    const problems: string[] = [];
    const alive = this.nodeNames.filter((n) => this.isAlive(n));
    for (const o of alive) {
      const m = this.get(o).membership;
      if (m.localStatus !== "active") problems.push(`${o} is ${m.localStatus} itself`);
      for (const t of alive) {
        if (t === o) continue;
        if (m.nodeStatus(t) !== "active") problems.push(`${o} sees ${t} ${m.nodeStatus(t)}`);
        for (const medium of this.media) {
          const l = m.linkStatus(t, medium);
          if (l !== "up") problems.push(`${o} sees link ${t}:${medium} ${l}`);
        }
      }
      for (const p of this.pingNodes) {
        if (this.isAlive(p) && m.nodeStatus(p) !== "ping")
          problems.push(`${o} sees ping node ${p} ${m.nodeStatus(p)}`);
      }
    }
    return problems;
  }

  /** Throws a SimExpectationError unless `observer` sees each node as given. */
  expectStatus(observer: string, expected: Readonly<Record<string, NodeState | PingState>>): void {
    const seen: Record<string, string | undefined> = {};
    let ok = true;
    for (const [target, want] of Object.entries(expected)) {
      seen[target] = this.status(observer, target);
      if (seen[target] !== want) ok = false;
    }
    if (!ok) {
      this.fail(`${observer} sees ${JSON.stringify(seen)}, expected ${JSON.stringify(expected)}`);
    }
  }

  /** Throws a SimExpectationError unless every live node sees every other one active, all links up. */
  expectWhole(): void {
    const problems = this.wholeProblems();
    if (problems.length > 0) this.fail(`cluster not whole: ${problems.join("; ")}`);
  }

  /** Throws with the time, the seed and the last view changes. */
  fail(message: string): never {
    const recent = this.viewChanges().slice(-12);
    throw new SimExpectationError(
      `at t=${this.nowMs} ms: ${message}\nseed=${this.seed}\nlast view changes:\n  ${recent.join("\n  ")}`,
    );
  }

  // ------------------------------------------------------------ the loop

  private runTo(endMs: number): void {
    for (;;) {
      const t = this.nextStepMs();
      if (t > endMs) break;
      this.clock.set(Math.max(t, this.nowMs));
      this.step();
    }
    this.clock.set(endMs);
  }

  private nextStepMs(): number {
    let t = Math.min(this.nextTickMs, this.network.nextDeliveryMs() ?? Number.POSITIVE_INFINITY);
    for (const node of this.nodes.values()) if (node.alive) t = Math.min(t, node.nextSendAtMs);
    return t;
  }

  /** One instant: deliveries, then sends, then ticks (and the attacker) if due. */
  private step(): void {
    const now = this.nowMs;
    for (const env of this.network.deliverDue(now)) this.deliver(env);
    for (const node of this.nodes.values()) {
      if (node.alive && node.nextSendAtMs <= now) {
        this.sendStatus(node);
        node.nextSendAtMs += this.timing.keepaliveMs;
      }
    }
    if (this.nextTickMs <= now) {
      this.nextTickMs += this.tickMs;
      for (const node of this.nodes.values()) {
        if (!node.alive) continue;
        this.handle(node, node.membership.tick(now));
        if (this.attack !== undefined) this.attackStep(node, this.attack);
      }
    }
  }

  private deliver(env: Envelope<SimPacket>): void {
    const p = env.payload;
    if (this.pingNodes.includes(env.to)) {
      if (p.kind === "ping-echo" && !p.forged && !this.deadPingNodes.has(env.to)) {
        this.network.send(
          env.to,
          env.from,
          env.medium,
          { kind: "ping-reply", from: env.to, forged: false },
          this.nowMs,
        );
      }
      return;
    }
    const node = this.get(env.to);
    if (!node.alive) return;
    if (p.forged) {
      node.authDropped++;
      this.attackStats.forgedDelivered++;
      return;
    }
    if (this.replayIds.delete(env.id)) this.attackStats.replaysDelivered++;
    const now = this.nowMs;
    switch (p.kind) {
      case "heartbeat": {
        if (this.attack !== undefined) {
          node.captured.push({ envelope: env, atMs: now });
          // Trim in batches: shifting one element per packet would cost O(n) each time.
          if (node.captured.length >= 2 * CAPTURE_MAX) node.captured = node.captured.slice(CAPTURE_MAX);
        }
        const base = {
          from: p.from,
          medium: env.medium,
          generation: p.generation,
          seq: p.seq,
          receivedAtMs: now,
        };
        const msg =
          p.type === "status"
            ? { ...base, type: "status" as const, status: p.status, deadtimeMs: p.deadtimeMs }
            : { ...base, type: "shutdone" as const };
        this.handle(node, node.membership.onHeartbeat(msg));
        return;
      }
      case "rexmit":
        this.serveRetransmit(node, env.from, p.seq);
        return;
      case "ping-reply":
        this.handle(node, node.membership.onPingResult({ node: env.from, up: true, atMs: now }));
        return;
      case "ping-echo":
        return;
    }
  }

  private handle(node: SimNode, events: readonly MembershipEvent[]): void {
    for (const event of events) {
      this.log.push({ observer: node.name, incarnation: node.incarnation, event });
      if (!node.alive) continue;
      if (event.kind === "local-status") this.sendStatus(node);
      else if (event.kind === "retransmit-request") {
        for (const medium of this.media) {
          const packet = { kind: "rexmit" as const, from: node.name, seq: event.seq, forged: false };
          this.network.send(node.name, event.node, medium, packet, this.nowMs);
        }
      }
    }
  }

  private sendStatus(node: SimNode): void {
    this.broadcast(node, this.heartbeat(node));
    for (const ping of this.pingNodes) {
      const echo = { kind: "ping-echo" as const, from: node.name, forged: false };
      this.network.send(node.name, ping, this.media[0]!, echo, this.nowMs);
    }
  }

  private heartbeat(node: SimNode): HeartbeatPacket {
    return {
      kind: "heartbeat",
      from: node.name,
      generation: node.generation,
      seq: ++node.seq,
      type: "status",
      status: node.membership.localStatus,
      deadtimeMs: this.timing.deadtimeMs,
      forged: false,
    };
  }

  private broadcast(node: SimNode, packet: HeartbeatPacket): void {
    node.history.set(packet.seq, packet);
    node.history.delete(packet.seq - HISTORY_MAX);
    for (const to of this.nodes.keys()) {
      if (to === node.name) continue;
      for (const medium of this.media) this.network.send(node.name, to, medium, packet, this.nowMs);
    }
  }

  /** Heartbeat's rules: unknown numbers are ignored; nothing is resent twice within max_rexmit_delay - 10 ms. */
  private serveRetransmit(node: SimNode, requester: string, seq: number): void {
    const packet = node.history.get(seq);
    if (packet === undefined) return;
    const last = node.resentAtMs.get(seq);
    const quietMs = (this.options.maxRexmitDelayMs ?? 250) - 10;
    if (last !== undefined && this.nowMs - last < quietMs) return;
    node.resentAtMs.set(seq, this.nowMs);
    if (node.resentAtMs.size > HISTORY_MAX) node.resentAtMs.delete(node.resentAtMs.keys().next().value!);
    for (const medium of this.media) this.network.send(node.name, requester, medium, packet, this.nowMs);
  }

  private attackStep(target: SimNode, attack: AttackOptions): void {
    const now = this.nowMs;
    const perTick = this.tickMs / 1000;
    if (this.attacker.chance(attack.replaysPerSecond * perTick)) {
      const ageMin = attack.replayAgeMinMs ?? 2 * this.timing.deadtimeMs;
      let old = 0;
      while (old < target.captured.length && target.captured[old]!.atMs <= now - ageMin) old++;
      if (old > 0) {
        const { envelope } = target.captured[this.attacker.intBetween(0, old - 1)]!;
        const id = this.network.inject(
          envelope.from,
          target.name,
          envelope.medium,
          envelope.payload,
          now,
          now + 1,
        );
        this.replayIds.add(id);
        this.attackStats.replaysInjected++;
      }
    }
    if (this.attacker.chance(attack.forgedPerSecond * perTick)) {
      const others = this.nodeNames.filter((n) => n !== target.name);
      if (others.length === 0) return;
      const from = this.attacker.pick(others);
      const claim = this.attacker.pick(["dead", "active", "init"] as const);
      const packet: HeartbeatPacket = {
        kind: "heartbeat",
        from,
        generation: this.get(from).generation + this.attacker.intBetween(0, 2),
        seq: this.attacker.intBetween(1, 1_000_000),
        type: claim === "dead" ? "shutdone" : "status",
        status: claim,
        deadtimeMs: this.attacker.intBetween(1, 10),
        forged: true,
      };
      this.network.inject(from, target.name, this.attacker.pick(this.media), packet, now, now + 1);
      this.attackStats.forgedInjected++;
    }
  }

  // ------------------------------------------------------------ nodes

  private boot(node: SimNode): void {
    const now = this.nowMs;
    node.incarnation++;
    node.generation = nextGeneration(
      node.incarnation === 0 ? undefined : node.generation,
      "file",
      this.clock.wallMs(),
    );
    node.seq = 0;
    node.history.clear();
    node.resentAtMs.clear();
    node.captured = [];
    node.crashedAtMs = undefined;
    node.membership = this.newMembership(node.name, node.stream);
    node.alive = true;
    node.nextSendAtMs = now + this.phases.intBetween(0, this.timing.keepaliveMs - 1);
    this.handle(node, node.membership.localStarted(now));
  }

  private newMembership(name: string, stream: Prng): Membership {
    return new Membership({
      localNode: name,
      nodes: this.options.nodes,
      pingNodes: this.pingNodes,
      media: this.media,
      timing: this.timing,
      startMs: this.nowMs,
      prng: stream.fork(),
      ...(this.options.maxRexmitDelayMs === undefined
        ? {}
        : { maxRexmitDelayMs: this.options.maxRexmitDelayMs }),
    });
  }

  private get(name: string): SimNode {
    const node = this.nodes.get(name);
    if (node === undefined) throw new RangeError(`no simulated node ${name}`);
    return node;
  }
}
