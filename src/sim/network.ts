/**
 * A seeded, lossy network for the simulator: each packet travels one directed
 * (from, to, medium) path and may be lost, delayed, duplicated or reordered;
 * partitions block paths, symmetric or one-way, on all media or some.
 *
 * Deterministic: the same seed and the same calls give the same deliveries.
 * Deliveries due at the same millisecond come out in the order they were sent.
 */
import type { Prng } from "../base/prng.js";

/** Fault model of one medium. Probabilities are per packet, delays in ms. */
export interface MediumFaults {
  readonly lossProbability: number;
  readonly delayMsMin: number;
  readonly delayMsMax: number;
  readonly duplicateProbability: number;
  /** Probability that a packet is held back by an extra delay, so later ones overtake it. */
  readonly reorderProbability: number;
  readonly reorderDelayMsMax: number;
}

/** A clean medium: 1 ms latency, nothing lost. */
export const CLEAN_MEDIUM: MediumFaults = {
  lossProbability: 0,
  delayMsMin: 1,
  delayMsMax: 1,
  duplicateProbability: 0,
  reorderProbability: 0,
  reorderDelayMsMax: 0,
};

export interface Envelope<P> {
  /** Send order; ties in delivery time are broken by it. */
  readonly id: number;
  readonly from: string;
  readonly to: string;
  readonly medium: string;
  readonly sentAtMs: number;
  readonly deliverAtMs: number;
  readonly payload: P;
}

export interface PartitionOptions {
  /** Block only a -> b (default: both directions). */
  readonly oneWay?: boolean;
  /** Block only these media (default: all). */
  readonly media?: readonly string[];
}

export interface NetworkStats {
  sent: number;
  delivered: number;
  lost: number;
  blocked: number;
  duplicated: number;
  reordered: number;
  injected: number;
}

const ALL_MEDIA = "*";

export class SimNetwork<P> {
  private readonly faults = new Map<string, MediumFaults>();
  private readonly blocked = new Set<string>();
  private queue: Envelope<P>[] = [];
  private nextId = 0;
  readonly stats: NetworkStats = {
    sent: 0,
    delivered: 0,
    lost: 0,
    blocked: 0,
    duplicated: 0,
    reordered: 0,
    injected: 0,
  };

  constructor(
    private readonly prng: Prng,
    media: readonly string[],
    faults: MediumFaults = CLEAN_MEDIUM,
  ) {
    for (const m of media) this.faults.set(m, faults);
  }

  get media(): string[] {
    return [...this.faults.keys()];
  }

  /** Replaces the fault model of one medium, or of all media. */
  setFaults(faults: MediumFaults, medium?: string): void {
    for (const m of medium === undefined ? this.media : [medium]) this.faults.set(m, faults);
  }

  faultsOf(medium: string): MediumFaults {
    const f = this.faults.get(medium);
    if (f === undefined) throw new RangeError(`unknown medium ${medium}`);
    return f;
  }

  /** The longest a packet sent now can take on any medium (delay plus reorder hold-back). */
  maxLatencyMs(): number {
    let max = 0;
    for (const f of this.faults.values()) max = Math.max(max, f.delayMsMax + f.reorderDelayMsMax);
    return max;
  }

  /** Blocks every path from a node of `a` to a node of `b` (and back unless one-way). */
  partition(a: readonly string[], b: readonly string[], options: PartitionOptions = {}): void {
    const media = options.media ?? [ALL_MEDIA];
    for (const x of a) {
      for (const y of b) {
        for (const m of media) {
          this.blocked.add(pathKey(x, y, m));
          if (!options.oneWay) this.blocked.add(pathKey(y, x, m));
        }
      }
    }
  }

  /** Removes every partition. Packets already lost stay lost. */
  heal(): void {
    this.blocked.clear();
  }

  isBlocked(from: string, to: string, medium: string): boolean {
    return this.blocked.has(pathKey(from, to, ALL_MEDIA)) || this.blocked.has(pathKey(from, to, medium));
  }

  /** Sends one packet through the fault model. Returns how many copies were queued (0, 1 or 2). */
  send(from: string, to: string, medium: string, payload: P, nowMs: number): number {
    const f = this.faultsOf(medium);
    this.stats.sent++;
    if (this.isBlocked(from, to, medium)) {
      this.stats.blocked++;
      return 0;
    }
    if (this.prng.chance(f.lossProbability)) {
      this.stats.lost++;
      return 0;
    }
    const copies = this.prng.chance(f.duplicateProbability) ? 2 : 1;
    if (copies === 2) this.stats.duplicated++;
    for (let i = 0; i < copies; i++) {
      let delay = this.prng.intBetween(f.delayMsMin, f.delayMsMax);
      if (this.prng.chance(f.reorderProbability)) {
        this.stats.reordered++;
        delay += this.prng.intBetween(1, Math.max(1, f.reorderDelayMsMax));
      }
      this.enqueue(from, to, medium, payload, nowMs, nowMs + delay);
    }
    return copies;
  }

  /** Queues a packet outside the fault model (an attacker on the wire). Uses no randomness; returns its id. */
  inject(from: string, to: string, medium: string, payload: P, nowMs: number, deliverAtMs: number): number {
    this.stats.injected++;
    return this.enqueue(from, to, medium, payload, nowMs, deliverAtMs);
  }

  /** Removes and returns every packet due at or before `nowMs`, in delivery order. */
  deliverDue(nowMs: number): Envelope<P>[] {
    let n = 0;
    while (n < this.queue.length && this.queue[n]!.deliverAtMs <= nowMs) n++;
    if (n === 0) return [];
    const due = this.queue.slice(0, n);
    this.queue = this.queue.slice(n);
    this.stats.delivered += n;
    return due;
  }

  nextDeliveryMs(): number | undefined {
    return this.queue[0]?.deliverAtMs;
  }

  get inFlight(): number {
    return this.queue.length;
  }

  private enqueue(
    from: string,
    to: string,
    medium: string,
    payload: P,
    sentAtMs: number,
    deliverAtMs: number,
  ): number {
    const env: Envelope<P> = { id: this.nextId++, from, to, medium, sentAtMs, deliverAtMs, payload };
    // Binary search for the first element delivered later: equal times keep send order.
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.queue[mid]!.deliverAtMs <= deliverAtMs) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, env);
    return env.id;
  }
}

function pathKey(from: string, to: string, medium: string): string {
  return `${from}\u0000${to}\u0000${medium}`;
}
