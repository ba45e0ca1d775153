/**
 * An in-memory network of Transports, for unit tests and the deterministic
 * simulator. Every delivery goes through an injected Scheduler, so with a
 * manual scheduler (ManualScheduler here, or the simulator's own) a run is a
 * pure function of its inputs: no timers, no wall clock, no randomness.
 *
 * Topology: every attached endpoint reaches every other one unless a
 * directed pair is blocked (`disconnect`, `partition`). Reachability is
 * decided when a frame is sent, as on a real network: frames already in
 * flight still arrive after a partition, never at a closed endpoint.
 *
 * Faults: an optional hook sees each (sender, receiver, frame) and returns
 * "drop" or the delays, in ms, of each copy to deliver; the simulator's
 * seeded PRNG lives inside that hook. Without a hook every frame is delivered
 * once after `latencyMs`.
 */
import {
  type Addressing,
  BaseTransport,
  type Clock,
  DEFAULT_MAX_QUEUED_FRAMES,
  type PeerAddress,
  type SendResult,
  TransportError,
} from "./transport.js";

/** Runs tasks at a later time of its clock. Tasks due at the same time run in scheduling order. */
export interface Scheduler extends Clock {
  after(delayMs: number, task: () => void): void;
}

/** A Scheduler driven by hand: time moves only in `advance`/`runUntilIdle`. */
export class ManualScheduler implements Scheduler {
  private nowMs: number;
  private seq = 0;
  private readonly queue: { at: number; seq: number; task: () => void }[] = [];

  constructor(startMs = 0) {
    this.nowMs = startMs;
  }

  now(): number {
    return this.nowMs;
  }

  after(delayMs: number, task: () => void): void {
    const at = this.nowMs + Math.max(0, delayMs);
    const entry = { at, seq: this.seq++, task };
    // Insert keeping (at, seq) order; the queue is short in practice.
    let i = this.queue.length;
    while (i > 0 && (this.queue[i - 1] as { at: number }).at > at) i--;
    this.queue.splice(i, 0, entry);
  }

  /** Tasks not yet run. */
  get pending(): number {
    return this.queue.length;
  }

  /** Runs every task due up to now + `ms` (including tasks they schedule), then sets the clock there. */
  advance(ms: number): void {
    const until = this.nowMs + Math.max(0, ms);
    for (let next = this.queue[0]; next !== undefined && next.at <= until; next = this.queue[0]) {
      this.queue.shift();
      this.nowMs = Math.max(this.nowMs, next.at);
      next.task();
    }
    this.nowMs = until;
  }

  /** Runs tasks until none is left or `limit` have run; returns how many ran. */
  runUntilIdle(limit = 100_000): number {
    let n = 0;
    for (let next = this.queue[0]; next !== undefined && n < limit; next = this.queue[0], n++) {
      this.queue.shift();
      this.nowMs = Math.max(this.nowMs, next.at);
      next.task();
    }
    return n;
  }
}

/** One frame on its way from one endpoint to another, as a fault hook sees it. */
export interface InFlight {
  readonly from: PeerAddress;
  readonly to: PeerAddress;
  readonly data: Uint8Array;
  readonly sentAtMs: number;
}

/** "drop", or the delay in ms of each copy to deliver ([] also drops; two entries duplicate). */
export type FaultDecision = "drop" | readonly number[];
export type FaultHook = (frame: InFlight) => FaultDecision;

export interface MemoryNetworkOptions {
  readonly scheduler: Scheduler;
  /** Largest frame an endpoint accepts. Default 65507 (a UDP/IPv4 datagram). */
  readonly maxFrameBytes?: number;
  /** Delay of every delivery without a fault hook, ms. Default 0 (next scheduler turn). */
  readonly latencyMs?: number;
  /** Deliveries scheduled but not yet run, across the network; beyond it frames are dropped. Default 10000. */
  readonly maxInFlight?: number;
}

export interface MemoryEndpointOptions {
  /** Transport id; default `memory <address>`. */
  readonly id?: string;
  /** Link name; default "mem". */
  readonly link?: string;
  /** Default destination of `send(frame)`; without it frames go to every reachable endpoint. */
  readonly peer?: PeerAddress;
  readonly maxQueuedFrames?: number;
}

export interface MemoryNetworkStats {
  readonly sent: number;
  readonly delivered: number;
  readonly droppedPartition: number;
  readonly droppedFault: number;
  readonly droppedNoRoute: number;
  readonly droppedOverload: number;
  readonly droppedClosed: number;
}

export type PartitionMode = "symmetric" | "one-way";

export class MemoryNetwork {
  readonly maxFrameBytes: number;
  private readonly scheduler: Scheduler;
  private readonly latencyMs: number;
  private readonly maxInFlight: number;
  private readonly endpoints = new Map<PeerAddress, MemoryTransport>();
  private readonly blocked = new Set<string>();
  private fault: FaultHook | undefined;
  private inFlight = 0;
  private readonly counters = {
    sent: 0,
    delivered: 0,
    droppedPartition: 0,
    droppedFault: 0,
    droppedNoRoute: 0,
    droppedOverload: 0,
    droppedClosed: 0,
  };

  constructor(opts: MemoryNetworkOptions) {
    this.scheduler = opts.scheduler;
    this.maxFrameBytes = opts.maxFrameBytes ?? 65507;
    this.latencyMs = opts.latencyMs ?? 0;
    this.maxInFlight = opts.maxInFlight ?? 10_000;
  }

  /** Adds an endpoint. Throws TransportError "address-in-use" if an open endpoint has the address. */
  attach(address: PeerAddress, opts: MemoryEndpointOptions = {}): MemoryTransport {
    const id = opts.id ?? `memory ${address}`;
    if (this.endpoints.has(address))
      throw new TransportError("address-in-use", id, `address ${address} is taken`);
    const t = new MemoryTransport(this, address, id, opts, this.scheduler);
    this.endpoints.set(address, t);
    return t;
  }

  /** Lets frames flow both ways between a and b again. */
  connect(a: PeerAddress, b: PeerAddress): void {
    this.blocked.delete(pairKey(a, b));
    this.blocked.delete(pairKey(b, a));
  }

  /** Stops frames both ways between a and b. */
  disconnect(a: PeerAddress, b: PeerAddress): void {
    this.blocked.add(pairKey(a, b));
    this.blocked.add(pairKey(b, a));
  }

  /** Cuts `side` from `other`: both ways, or only frames from `side` to `other` ("one-way"). */
  partition(
    side: Iterable<PeerAddress>,
    other: Iterable<PeerAddress>,
    mode: PartitionMode = "symmetric",
  ): void {
    const others = [...other];
    for (const a of side)
      for (const b of others) {
        this.blocked.add(pairKey(a, b));
        if (mode === "symmetric") this.blocked.add(pairKey(b, a));
      }
  }

  /** Removes every partition and disconnection. */
  heal(): void {
    this.blocked.clear();
  }

  /** True when a frame sent now from `from` would not be stopped by the topology. */
  canReach(from: PeerAddress, to: PeerAddress): boolean {
    return !this.blocked.has(pairKey(from, to));
  }

  /** Installs (or with undefined removes) the fault hook. */
  setFault(hook: FaultHook | undefined): void {
    this.fault = hook;
  }

  stats(): MemoryNetworkStats {
    return { ...this.counters };
  }

  /** Called by an endpoint for an accepted frame. */
  route(from: MemoryTransport, data: Uint8Array, to: PeerAddress | undefined): void {
    this.counters.sent++;
    const targets =
      to !== undefined ? [to] : [...this.endpoints.keys()].filter((a) => a !== from.localAddress);
    const sentAtMs = this.scheduler.now();
    for (const dest of targets) {
      const receiver = this.endpoints.get(dest);
      if (receiver === undefined) {
        this.counters.droppedNoRoute++;
        continue;
      }
      if (!this.canReach(from.localAddress, dest)) {
        this.counters.droppedPartition++;
        continue;
      }
      const decision = this.fault?.({ from: from.localAddress, to: dest, data, sentAtMs }) ?? [
        this.latencyMs,
      ];
      if (decision === "drop" || decision.length === 0) {
        this.counters.droppedFault++;
        continue;
      }
      for (const delay of decision) {
        if (this.inFlight >= this.maxInFlight) {
          this.counters.droppedOverload++;
          continue;
        }
        this.inFlight++;
        const copy = data.slice();
        this.scheduler.after(delay, () => {
          this.inFlight--;
          if (receiver.closed || this.endpoints.get(dest) !== receiver) {
            this.counters.droppedClosed++;
            return;
          }
          this.counters.delivered++;
          receiver.receive(copy, from.localAddress);
        });
      }
    }
  }

  /** Called by an endpoint when it closes. */
  detach(t: MemoryTransport): void {
    if (this.endpoints.get(t.localAddress) === t) this.endpoints.delete(t.localAddress);
  }
}

/** One endpoint of a MemoryNetwork. */
export class MemoryTransport extends BaseTransport {
  readonly kind = "memory" as const;
  readonly addressing: Addressing = "directed";
  private readonly peer: PeerAddress | undefined;

  constructor(
    private readonly network: MemoryNetwork,
    readonly localAddress: PeerAddress,
    id: string,
    opts: MemoryEndpointOptions,
    clock: Clock,
  ) {
    super(
      id,
      opts.link ?? "mem",
      network.maxFrameBytes,
      clock,
      opts.maxQueuedFrames ?? DEFAULT_MAX_QUEUED_FRAMES,
    );
    this.peer = opts.peer;
  }

  protected transmit(frame: Uint8Array, to: PeerAddress | undefined): SendResult {
    if (to === "") return "bad-address";
    this.network.route(this, frame, to ?? this.peer);
    return "accepted";
  }

  protected release(): Promise<void> {
    this.network.detach(this);
    return Promise.resolve();
  }

  /** Called by the network at delivery time. */
  receive(data: Uint8Array, from: PeerAddress): void {
    this.deliver(data, from);
  }
}

function pairKey(from: PeerAddress, to: PeerAddress): string {
  return `${from}\u0000${to}`;
}
