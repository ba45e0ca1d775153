/**
 * Membership's own input and output types. Membership never imports the wire
 * codec: the daemon turns each authenticated, decoded frame into an
 * IncomingHeartbeat and each ping answer into a PingResult.
 */

import type { Prng } from "../base/prng.js";
import type { Timing } from "../config/model.js";
import type { LinkState, NodeState, PingState } from "./transitions.js";

/** The `st` field of a status message. */
export type PeerStatus = "init" | "up" | "active" | "dead";

/**
 * One sequenced message from a peer that already passed authentication.
 * Unsequenced `NS_*` messages are not given to membership (they carry no
 * sequence number, so they could be replayed; every live peer sends a sequenced
 * status every keepalive, which is what keeps links up).
 */
export type IncomingHeartbeat = {
  /** `src`: the sender's node name, lower-cased. */
  readonly from: string;
  /** The link id the frame arrived on: the medium name (interface, or device for serial). */
  readonly medium: string;
  /** `hg`. */
  readonly generation: number;
  /** `seq`, starting at 1 per sender process. */
  readonly seq: number;
  /** Local monotonic time in ms when the daemon read the frame. */
  readonly receivedAtMs: number;
} & (
  | {
      readonly type: "status";
      readonly status: PeerStatus;
      /** `dt`: the sender's advertised deadtime; used as its dead interval from now on. */
      readonly deadtimeMs?: number;
    }
  /** `shutdone`: the sender finished shutting down; it is dead at once. */
  | { readonly type: "shutdone" }
  /** Any other sequenced message (resource, reqnodes, ...): sequence and link tracking only. */
  | { readonly type: "other" }
);

/** An answer (or, with `up: false`, a failure the adapter chose to report) from a ping node. */
export interface PingResult {
  /** The ping node's name: its address, or the ping_group name. */
  readonly node: string;
  readonly up: boolean;
  readonly atMs: number;
}

export interface MembershipOptions {
  /** Our own node name, lower-cased. */
  readonly localNode: string;
  /** Every normal node of the cluster; the local node may be included. */
  readonly nodes: readonly string[];
  /** Ping node names (ping address or ping_group name). */
  readonly pingNodes?: readonly string[];
  /** Medium (link) names every peer is expected on. Unknown media are added when first heard. */
  readonly media: readonly string[];
  readonly timing: Timing;
  /** Upper bound of the retransmit-request delay (ha.cf `max_rexmit_delay`, default 250). */
  readonly maxRexmitDelayMs?: number;
  /** How long a second copy of an accepted packet counts as a duplicate (default 2 x keepalive). */
  readonly duplicateWindowMs?: number;
  /** Retransmit requests per missing packet before giving it up (default 10). */
  readonly retransmitAttemptsMax?: number;
  /** Go `active` at comm-up by itself (default true); false when the daemon waits for repnodes. */
  readonly activateOnCommUp?: boolean;
  /** Our own frames loop back (as in Heartbeat): report when none arrive for deadtime. */
  readonly expectLoopback?: boolean;
  /** Source of the retransmit jitter; default: seeded from the local node name. */
  readonly prng?: Prng;
  /** Monotonic ms at which the daemon started (the base for initdead). */
  readonly startMs: number;
  /**
   * Stall compensation (off when undefined). When consecutive inputs (ticks,
   * frames, ping results) are further apart than this, this node could not
   * observe during the gap (its own event loop stalled: GC, CPU starvation,
   * a suspended VM), so the gap beyond this bound is not counted as anyone's
   * silence: peers' last-heard times move forward by it. Without this, a stall
   * longer than deadtime declares every live peer dead before their queued
   * heartbeats are read (Heartbeat's behaviour). The daemon sets it to a few
   * tick periods; a peer that really died during a stall is then declared
   * dead later by at most the stall's length.
   */
  readonly stallGapMs?: number;
}

// ---------------------------------------------------------------- events

interface At {
  readonly atMs: number;
}

/** Why a node left `dead` or went there. */
export type NodeCause =
  | "heard"
  | "deadtime"
  | "initdead"
  | "shutdown"
  /** A higher generation: the peer process restarted. */
  | "restart"
  /** Same generation after we had declared it dead: a healed partition (or our own stall). */
  | "returned-after-partition";

export type MembershipEvent =
  | (At & { readonly kind: "stall"; readonly lostMs: number })
  | (At & {
      readonly kind: "node-status";
      readonly node: string;
      readonly previous: NodeState;
      readonly status: NodeState;
      readonly cause: NodeCause;
    })
  | (At & {
      readonly kind: "ping-status";
      readonly node: string;
      readonly previous: PingState;
      readonly status: PingState;
    })
  | (At & {
      readonly kind: "link-status";
      readonly node: string;
      readonly medium: string;
      readonly previous: LinkState;
      readonly status: LinkState;
    })
  /** A status arrived more than warntime after the previous one. */
  | (At & { readonly kind: "late-heartbeat"; readonly node: string; readonly intervalMs: number })
  | (At & {
      readonly kind: "peer-restarted";
      readonly node: string;
      readonly previousGeneration: number;
      readonly generation: number;
    })
  | (At & {
      readonly kind: "replay-dropped";
      readonly node: string;
      readonly generation: number;
      readonly seq: number;
      readonly reason: ReplayReason;
    })
  /** Sequence numbers first..last were skipped; retransmit requests are scheduled. */
  | (At & {
      readonly kind: "gap-detected";
      readonly node: string;
      readonly firstSeq: number;
      readonly lastSeq: number;
    })
  /** More than the tracking limit was lost at once: tracking restarted at `seq` ("lost a lot of packets!"). */
  | (At & {
      readonly kind: "gap-reset";
      readonly node: string;
      readonly seq: number;
      readonly skipped: number;
    })
  /** Send `NS_rexmit dest=node firstseq=seq lastseq=seq` now. */
  | (At & { readonly kind: "retransmit-request"; readonly node: string; readonly seq: number })
  /** A missing packet was given up (too many requests, or the sender said it cannot resend it). */
  | (At & { readonly kind: "packet-lost"; readonly node: string; readonly seq: number })
  /** All recorded gaps of this node are filled ("No pkts missing from X!"). */
  | (At & { readonly kind: "gaps-filled"; readonly node: string })
  /** Every configured node has been heard from or declared dead. */
  | (At & { readonly kind: "comm-up" })
  /** Our own status changed: send a status message at once. */
  | (At & { readonly kind: "local-status"; readonly previous: NodeState; readonly status: NodeState })
  /** Loopback expected but none of our own frames arrived for deadtime ("No local heartbeat"). */
  | (At & { readonly kind: "local-heartbeat-lost"; readonly silentMs: number })
  /** A frame from a node that is not configured (autojoin is not supported). */
  | (At & { readonly kind: "unknown-node"; readonly node: string });

/** A peer's newest accepted generation and sequence number (persisted across restarts). */
export interface PeerMark {
  readonly generation: number;
  readonly seq: number;
}

export type MembershipEventKind = MembershipEvent["kind"];

/**
 * `invalid-number`: a generation or seq that is not a non-negative safe integer (dropped, counted here).
 * `unconfirmed-jump`: a generation or seq far ahead, held until later frames confirm it (sequence.ts).
 */
/**
 * Why a frame was dropped. `unconfirmed-*`: held, not yet believed (a jump of
 * seq, a new generation, or the replaced stream coming back; sequence.ts).
 */
export type ReplayReason =
  | "old-generation"
  | "old-sequence"
  | "invalid-number"
  | "unconfirmed-jump"
  | "unconfirmed-generation"
  | "unconfirmed-return";

// ---------------------------------------------------------------- status output

export interface MembershipCounters {
  /** Frames dropped as replays: lower generation, or an old sequence number that is no fresh copy. */
  replaysDropped: number;
  /** Second copies of a fresh packet (the same frame via another medium): normal, not replays. */
  duplicates: number;
  /** Sequence numbers found missing. */
  gapPackets: number;
  /** Missing packets that arrived later (retransmitted or reordered). */
  gapPacketsFilled: number;
  /** Missing packets given up. */
  packetsLost: number;
  retransmitRequests: number;
  lateHeartbeats: number;
  restarts: number;
  unknownNodeFrames: number;
}

export interface LinkView {
  readonly medium: string;
  readonly status: LinkState;
  readonly lastHeardAtMs?: number;
}

export interface NodeView {
  readonly name: string;
  readonly type: "normal" | "ping";
  readonly status: NodeState | PingState;
  readonly generation?: number;
  readonly lastSeq?: number;
  /** Time of the last newest status (or ping reply). */
  readonly lastHeardAtMs?: number;
  /** The dead interval in force for this node right now. */
  readonly deadIntervalMs: number;
  readonly missingPackets: number;
  readonly links: readonly LinkView[];
  readonly counters: Readonly<MembershipCounters>;
}

export interface MembershipView {
  readonly nowMs: number;
  readonly localNode: string;
  readonly localStatus: NodeState;
  readonly commUp: boolean;
  readonly nodes: readonly NodeView[];
  readonly counters: Readonly<MembershipCounters>;
}

export function emptyCounters(): MembershipCounters {
  return {
    replaysDropped: 0,
    duplicates: 0,
    gapPackets: 0,
    gapPacketsFilled: 0,
    packetsLost: 0,
    retransmitRequests: 0,
    lateHeartbeats: 0,
    restarts: 0,
    unknownNodeFrames: 0,
  };
}
