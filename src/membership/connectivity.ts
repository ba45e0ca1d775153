/**
 * ipfail's rule (Heartbeat contrib/ipfail, heartbeat.md §6.3), pure, with
 * hysteresis: each node counts the ping nodes (and ping groups) it reaches
 * and learns its peer's count; the node that reaches fewer gives its
 * resources to the peer; equal counts move nothing.
 *
 * Hysteresis, so one lost reply or a flapping ping node does not bounce the
 * service:
 * - a ping node is only counted lost after deadping (the ping monitor's job),
 *   so one lost reply never changes a count;
 * - "give up" is decided only after the local count has stayed below the
 *   peer's for `giveUpAfterMs` (ipfail: a delayed giveup of 2 x keepalive),
 *   the wait that lets the peer's own detection of a shared loss arrive;
 * - or at once on proof that the loss is not shared: the peer's *fresh*
 *   count (ping nodes that answered it within `freshWindowMs`), reported
 *   after the local count fell, is above the local count. A ping node that
 *   died is silent for both nodes from the moment it died; the local count
 *   fell at least deadping - one ping interval after that moment, so the
 *   peer's last reply from it is older than the fresh window by then (see
 *   freshWindowMs). A reply younger than that proves the ping node answered
 *   the peer after it stopped answering this node: the loss is this node's
 *   path (the cable pull), not the ping node;
 * - after giving up, the resources are only taken back ("recover") once the
 *   local count has been at least the peer's for `recoverAfterMs` (ipfail
 *   sleeps 10 s and recounts).
 *
 * hbd applies it through daemon/ipfail.ts.
 */

/**
 * The fresh window: a ping node counts as fresh when it answered within this.
 * With pings every `interval` <= deadping / 10 (comm/ping.ts pingIntervalMs),
 * a shared loss leaves the peer's last reply at least deadping - interval
 * (0.9 deadping) old when this node's count falls, and a ping node the peer
 * still reaches answered it within one interval (0.1 deadping) plus lost
 * replies. Half of deadping leaves 0.4 deadping on both sides: for message
 * latency and scheduling delay on one side, four lost replies in a row on the other.
 */
export function freshWindowMs(deadpingMs: number): number {
  return Math.floor(deadpingMs / 2);
}

export interface ConnectivityOptions {
  /** How long the local count must stay below the peer's before giving up (ipfail: 2 x keepalive). */
  readonly giveUpAfterMs: number;
  /** How long the local count must be back at the peer's before recovering (ipfail: 10 s). */
  readonly recoverAfterMs: number;
}

export type ConnectivityDecision =
  /** Nothing to do. */
  | { readonly kind: "none" }
  /**
   * This node reaches fewer ping nodes than its peer: hand every resource to the peer (standby).
   * `proven`: decided at once on the peer's fresh count, not after giveUpAfterMs.
   */
  | { readonly kind: "give-up"; readonly local: number; readonly peer: number; readonly proven: boolean }
  /** Connectivity is back: stop holding the resources away (auto_failback decides where they go). */
  | { readonly kind: "recover"; readonly local: number; readonly peer: number };

export class ConnectivityRule {
  private worseSince: number | undefined;
  private okSince: number | undefined;
  private givenUp = false;

  constructor(private readonly options: ConnectivityOptions) {}

  /** Whether this node has given its resources up for connectivity. */
  get holding(): boolean {
    return this.givenUp;
  }

  /** Forgets a give-up and pending timers (the peer is gone: the resources must run here). */
  reset(): void {
    this.givenUp = false;
    this.worseSince = undefined;
    this.okSince = undefined;
  }

  /**
   * Feeds the current counts (peer undefined: no report from the peer, e.g.
   * it is dead; then nothing is decided and pending timers restart).
   */
  update(
    local: number,
    peer: number | undefined,
    nowMs: number,
    /**
     * The peer's fresh count (ping nodes that answered it within the fresh window), from a report
     * received after the local count last changed; undefined when there is none (or the peer is a
     * Heartbeat ipfail, which does not send one).
     */
    peerFresh?: number,
  ): ConnectivityDecision {
    if (peer === undefined) {
      this.worseSince = undefined;
      this.okSince = undefined;
      return { kind: "none" };
    }
    if (local < peer) {
      this.okSince = undefined;
      if (this.givenUp) return { kind: "none" };
      this.worseSince ??= nowMs;
      const proven = peerFresh !== undefined && local < peerFresh;
      if (!proven && nowMs - this.worseSince < this.options.giveUpAfterMs) return { kind: "none" };
      this.givenUp = true;
      this.worseSince = undefined;
      return { kind: "give-up", local, peer, proven };
    }
    this.worseSince = undefined;
    if (!this.givenUp) return { kind: "none" };
    this.okSince ??= nowMs;
    if (nowMs - this.okSince < this.options.recoverAfterMs) return { kind: "none" };
    this.givenUp = false;
    this.okSince = undefined;
    return { kind: "recover", local, peer };
  }
}

/**
 * Which ping nodes (or groups) this node reaches, and when each last
 * answered: the monitors' verdicts (every reply counts as up) with `now`.
 */
export class PingTally {
  private readonly lastUpMs = new Map<string, number>();

  /** A monitor's verdict on `name`: up (a reply) or down (silent for deadping). */
  note(name: string, up: boolean, nowMs: number): void {
    if (up) this.lastUpMs.set(name, nowMs);
    else this.lastUpMs.delete(name);
  }

  /** How many ping nodes are up. */
  get count(): number {
    return this.lastUpMs.size;
  }

  /** How many answered within `windowMs` before `nowMs`. */
  fresh(nowMs: number, windowMs: number): number {
    let n = 0;
    for (const at of this.lastUpMs.values()) if (nowMs - at < windowMs) n++;
    return n;
  }
}
