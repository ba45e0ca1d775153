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
 *   peer's for `giveUpAfterMs` (ipfail: a delayed giveup of 2 x keepalive);
 * - after giving up, the resources are only taken back ("recover") once the
 *   local count has been at least the peer's for `recoverAfterMs` (ipfail
 *   sleeps 10 s and recounts).
 *
 * hbd applies it through daemon/ipfail.ts.
 */

export interface ConnectivityOptions {
  /** How long the local count must stay below the peer's before giving up (ipfail: 2 x keepalive). */
  readonly giveUpAfterMs: number;
  /** How long the local count must be back at the peer's before recovering (ipfail: 10 s). */
  readonly recoverAfterMs: number;
}

export type ConnectivityDecision =
  /** Nothing to do. */
  | { readonly kind: "none" }
  /** This node reaches fewer ping nodes than its peer: hand every resource to the peer (standby). */
  | { readonly kind: "give-up"; readonly local: number; readonly peer: number }
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
  update(local: number, peer: number | undefined, nowMs: number): ConnectivityDecision {
    if (peer === undefined) {
      this.worseSince = undefined;
      this.okSince = undefined;
      return { kind: "none" };
    }
    if (local < peer) {
      this.okSince = undefined;
      if (this.givenUp) return { kind: "none" };
      this.worseSince ??= nowMs;
      if (nowMs - this.worseSince < this.options.giveUpAfterMs) return { kind: "none" };
      this.givenUp = true;
      this.worseSince = undefined;
      return { kind: "give-up", local, peer };
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
