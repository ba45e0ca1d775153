/**
 * ipfail, natively (Heartbeat contrib/ipfail, heartbeat.md §6.3): this node
 * counts the ping nodes and ping groups it reaches, tells its peer in a
 * sequenced `num_ping_nodes` message (ipfail's own message, so a Heartbeat
 * peer running ipfail reads it too), and feeds both counts to the pure rule
 * (membership/connectivity.ts). What "give up" does is a port: in
 * haresources mode hbd puts this node in standby (and takes it out again
 * on recovery, so auto_failback decides where the resources go).
 *
 * In CRM mode the count is published as a node attribute (`pingd` by
 * default, as ocf:pacemaker:ping), once it has been stable for the same
 * dampening delay (a fall proven not shared, below: at once), so
 * Pacemaker-style location rules decide.
 *
 * Fast path between Tandem nodes: every num_ping_nodes also carries the
 * sender's fresh count (`tfresh`: ping nodes that answered within
 * half of deadping; Heartbeat's ipfail reads only num_ping and ignores it),
 * and a node answers a Tandem peer's lower count at once with its own. A
 * fresh count above ours, received after our count fell, proves the loss is
 * ours alone (membership/connectivity.ts): give up at once instead of after
 * 2 x keepalive. docs/ARCHITECTURE.md "ipfail timing" has the reasoning.
 *
 * No timers of its own: the shell calls tick() from its loop with `now`, and
 * at once when the local count changes.
 */
import { ConnectivityRule } from "../membership/connectivity.js";

/** ipfail's message type and fields (ipfail.c: num_ping_nodes, num_ping, from_id/to_id ipfail). */
export const NUM_PING_TYPE = "num_ping_nodes";
export const NUM_PING_FIELD = "num_ping";
/** ipfail's answer to a num_ping_nodes from a node that reaches fewer ping nodes (ipfail.c you_are_dead). */
export const YOU_ARE_DEAD_TYPE = "you_are_dead";
/** Tandem's field in num_ping_nodes: the sender's fresh count (see the file comment). */
export const FRESH_FIELD = "tfresh";

export interface IpfailPorts {
  /** How many ping nodes / ping groups this node reaches now. */
  readonly reachable: () => number;
  /** Sends num_ping_nodes with `count` (and the fresh count, when known) to every peer. */
  readonly send: (count: number, fresh?: number) => void;
  /** How many ping nodes answered within `windowMs` before `nowMs` (the fast path; none without it). */
  readonly fresh?: (nowMs: number, windowMs: number) => number;
  /**
   * The peer's count equals ours (ipfail's "balanced": with auto_failback on it gives up its foreign
   * resources, which is how the service goes home after the peer gave everything up). Rule mode only.
   */
  readonly balanced?: (from: string) => void;
  /** Rule mode: hand every resource to the peer (on) or stop holding them away (off). */
  readonly standby?: (on: boolean, why: string) => void;
  /**
   * Rule mode, given up: asked every resend interval while the rule holds, as real ipfail gives up
   * again on each `you_are_dead` from its peer (which a Tandem peer does not send). The port asks the
   * peer for standby again only where that is idempotent (R1, with resources still here).
   */
  readonly askAgain?: () => void;
  /** Attribute mode: publish the (stable) count. */
  readonly publish?: (count: number) => void;
  readonly log: (msg: string, fields: Record<string, unknown>) => void;
}

export interface IpfailOptions {
  /** Apply ipfail's rule (a `respawn ... ipfail` line). */
  readonly rule: boolean;
  /** Publish the count as a node attribute (crm on). */
  readonly publish: boolean;
  readonly keepaliveMs: number;
  /** The count must stay below the peer's this long before giving up. */
  readonly giveUpAfterMs: number;
  /** The count must be back at the peer's this long before recovering (ipfail: 10 s). */
  readonly recoverAfterMs: number;
  /** Resend the count this often even when unchanged (a restarted peer learns it). */
  readonly resendMs?: number;
  /** The fresh window (connectivity.ts freshWindowMs); undefined: no fast path. */
  readonly freshWindowMs?: number;
}

export class IpfailAgent {
  private readonly rule: ConnectivityRule;
  private peerCount: number | undefined;
  /** The peer left membership and has not come back: its counts are not acted on. */
  private peerGone = false;
  private lastSent: number | undefined;
  private lastSentAtMs = Number.NEGATIVE_INFINITY;
  private published: number | undefined;
  private candidate: { count: number; sinceMs: number } | undefined;
  private peerName: string | undefined;
  private lastTickMs = Number.NEGATIVE_INFINITY;
  private balancedAtMs = Number.NEGATIVE_INFINITY;
  private askedAgainAtMs = Number.NEGATIVE_INFINITY;
  /** The local count as last seen (a change voids the peer's fresh count). */
  private localSeen: number | undefined;
  /** The peer's fresh count, from a report received after the local count last fell. */
  private peerFresh: number | undefined;
  /**
   * Whether the last change of the local count was a fall (a ping node silent for deadping). Not at
   * start: a count still waiting for its first replies proves nothing.
   */
  private fell = false;

  constructor(
    private readonly options: IpfailOptions,
    private readonly ports: IpfailPorts,
  ) {
    this.rule = new ConnectivityRule({
      giveUpAfterMs: options.giveUpAfterMs,
      recoverAfterMs: options.recoverAfterMs,
    });
  }

  /** Whether this node currently holds its resources away for connectivity. */
  get holding(): boolean {
    return this.rule.holding;
  }

  /** The peer's last reported count (undefined: none, or the peer is dead). */
  get peer(): number | undefined {
    return this.peerCount;
  }

  /**
   * A num_ping_nodes message from the peer; a bad count is ignored (logged). `fresh`: its tfresh
   * field (only Tandem sends one); a Tandem peer's count below ours is answered at once with ours.
   */
  onPeerCount(from: string, value: string | undefined, fresh?: string, nowMs?: number): void {
    // A count from a peer membership still counts dead (its frames come back before its status does):
    // giving up to it would leave the resources nowhere (haresources simulator seed 340).
    if (this.peerGone) return;
    const n = parseCount(value);
    if (n === undefined) {
      this.ports.log(`ignoring num_ping_nodes from ${from} with bad num_ping`, { from, value });
      return;
    }
    // by arrival order: a change of the local count clears it (tick), so what is kept came after the fall
    this.peerFresh = this.fell ? parseCount(fresh) : undefined;
    const now = nowMs ?? this.lastTickMs;
    const local = this.ports.reachable();
    if (fresh !== undefined && n < local) this.sendCount(local, now);
    if (n !== this.peerCount)
      this.ports.log(`${from} reaches ${n} ping node(s)`, { event: "ipfail-peer-count", from, count: n });
    this.peerCount = n;
    this.peerName = from;
    if (this.options.rule && n === this.ports.reachable()) {
      this.balancedAtMs = this.lastTickMs;
      this.ports.balanced?.(from);
    }
  }

  /** A link to the peer died: our count goes out at the next tick (ipfail's link-dead trigger). */
  onLinkDead(): void {
    this.lastSentAtMs = Number.NEGATIVE_INFINITY;
  }

  /**
   * A Heartbeat peer's ipfail answered our count with `you_are_dead`: it reaches more ping nodes. Real
   * ipfail gives up again on every such answer, which is what retries a standby request the peer
   * ignored (e.g. while its own auto_failback standby was in progress). Here the counts decide whether
   * to give up; once given up, the standby is asked for again (the port asks only while resources
   * still run here).
   */
  onToldFewer(from: string): void {
    if (!this.options.rule || !this.rule.holding) {
      this.ports.log(`${from}'s ipfail says it reaches more ping nodes`, { event: "ipfail-told", from });
      return;
    }
    this.ports.standby?.(true, `${from}'s ipfail says it reaches more ping nodes: asking for standby again`);
  }

  /** The peer died or left: its count no longer counts (nothing moves for connectivity). */
  onPeerGone(): void {
    this.peerGone = true;
    this.peerCount = undefined;
    this.peerFresh = undefined;
    if (!this.rule.holding) return;
    this.rule.reset();
    this.ports.standby?.(false, "the peer is gone: the resources run here again");
  }

  /** The peer came (back) up: send our count right away. */
  onPeerUp(): void {
    this.peerGone = false;
    this.lastSentAtMs = Number.NEGATIVE_INFINITY;
  }

  tick(nowMs: number): void {
    const local = this.ports.reachable();
    if (local !== this.localSeen) {
      this.peerFresh = undefined;
      this.fell = this.localSeen !== undefined && local < this.localSeen;
    }
    this.localSeen = local;
    const resend = this.options.resendMs ?? 10 * this.options.keepaliveMs;
    if (local !== this.lastSent || nowMs - this.lastSentAtMs >= resend) this.sendCount(local, nowMs);
    if (this.options.publish) this.maybePublish(local, nowMs);
    this.lastTickMs = nowMs;
    if (!this.options.rule) return;
    // balanced: said again every resend interval (the give-back may have crossed a standby in progress)
    if (this.peerName !== undefined && this.peerCount === local && nowMs - this.balancedAtMs >= resend) {
      this.balancedAtMs = nowMs;
      this.ports.balanced?.(this.peerName);
    }
    const d = this.rule.update(local, this.peerCount, nowMs, this.peerFresh);
    if (d.kind === "give-up") this.askedAgainAtMs = nowMs;
    else if (
      this.rule.holding &&
      !this.peerGone &&
      this.peerCount !== undefined &&
      local < this.peerCount &&
      nowMs - this.askedAgainAtMs >= resend
    ) {
      // Given up, and the standby request may have been deferred (in flux) or cancelled (the peer
      // restarted): ask again (haresources simulator seeds 1372, 1437: the groups stayed on the node
      // without ping nodes for good, a Tandem peer sending no you_are_dead to retry it). Only while
      // the peer still reaches more: back to as many, waiting out the recovery delay, a restarted
      // peer got every group with auto_failback off, for good (seed 1884).
      this.askedAgainAtMs = nowMs;
      this.ports.askAgain?.();
    }
    if (d.kind === "give-up")
      this.ports.standby?.(
        true,
        `reaching ${d.local} ping node(s), the peer ${d.peer}: giving the resources to the peer${d.proven ? " (the peer's replies are fresh: not a shared loss)" : ""}`,
      );
    else if (d.kind === "recover")
      this.ports.standby?.(
        false,
        `reaching ${d.local} ping node(s) again, the peer ${d.peer}: taking part again`,
      );
  }

  private sendCount(local: number, nowMs: number): void {
    const w = this.options.freshWindowMs;
    this.ports.send(local, w === undefined ? undefined : this.ports.fresh?.(nowMs, w));
    this.lastSent = local;
    this.lastSentAtMs = nowMs;
  }

  /** Publishes a count once it has been stable for giveUpAfterMs (pingd's dampen). */
  private maybePublish(local: number, nowMs: number): void {
    if (local === this.published) {
      this.candidate = undefined;
      return;
    }
    if (this.candidate?.count !== local) this.candidate = { count: local, sinceMs: nowMs };
    const first = this.published === undefined;
    // a fall the peer's fresh count proves not shared is published at once (as the rule gives up at once)
    const proven = this.fell && this.peerFresh !== undefined && local < this.peerFresh;
    if (!first && !proven && nowMs - this.candidate.sinceMs < this.options.giveUpAfterMs) return;
    if (proven && !first)
      this.ports.log(`publishing ${local} at once: the peer's replies are fresh, not a shared loss`, {
        event: "ipfail-publish-proven",
        count: local,
      });
    this.published = local;
    this.candidate = undefined;
    this.ports.publish?.(local); // may call republish() when it cannot be set yet
  }

  /** Publish again on the next tick (the attribute could not be set, e.g. no DC yet). */
  republish(): void {
    this.published = undefined;
  }
}

/** A count field: 0..999999, else undefined. */
function parseCount(value: string | undefined): number | undefined {
  return value === undefined || !/^\d{1,6}$/.test(value) ? undefined : Number(value);
}
