/**
 * Per-peer sequence tracking (reference heartbeat.md §3.8, §3.9): generation
 * and sequence checks, gap recording and the retransmit-request schedule.
 *
 * Differences from Heartbeat, on purpose:
 * - Tracking is NOT reset when the peer is declared dead. Heartbeat resets it,
 *   so a replayed old packet of the current generation would be accepted as a
 *   "first" packet and revive a dead node. We keep generation and last seq and
 *   only forget the gaps; a packet newer than the last one is accepted without
 *   recording the jump as a gap.
 * - An old sequence number is a duplicate only when we accepted the same number
 *   less than `duplicateWindowMs` ago (a second copy via another medium);
 *   otherwise it is a replay. Only fresh packets and fresh duplicates refresh links.
 * - A sequence number more than SEQ_GAP_RESET ahead is not adopted on one
 *   frame: it is held as a candidate and adopted only when JUMP_CONFIRM_FRAMES
 *   frames of it with rising sequence numbers arrive and no frame of the known
 *   stream comes in between. One forged frame at seq + 100,000 can thus not make
 *   the genuine stream look like a replay (issue 13 item 5). Held frames are
 *   dropped as `unconfirmed-jump` and asked for again once adopted.
 * - A live peer's higher generation is held the same way (`unconfirmed-generation`;
 *   membership keeps the peer alive on held statuses), a dead or unheard
 *   peer's adopted at once. A generation adopted this way is refuted when the
 *   stream it replaced goes on with JUMP_CONFIRM_FRAMES rising frames
 *   (`unconfirmed-return` until then): a restarted node never sends its old
 *   generation again, so one forged far-future generation cannot lock the
 *   genuine node out.
 * - The high-water marks (generation, last seq) can be seeded from a previous
 *   run (`seed`), so a restarted node rejects a recording of frames it had
 *   already seen (issue 13 item 4).
 */
import type { Prng } from "../base/prng.js";

/** A gap larger than this restarts tracking ("lost a lot of packets!"), as Heartbeat. */
export const SEQ_GAP_RESET = 250;
/** Frames of a jumped-to stream needed before it replaces the known one. */
export const JUMP_CONFIRM_FRAMES = 3;
/** At most this many missing numbers are remembered per peer. */
export const SEQ_MISSING_MAX = 250;
/** Accepted numbers remembered for duplicate detection (a power of two). */
const RECENT_SIZE = 256;

export type SeqVerdict =
  /** Newest packet: accept, refresh liveness (if status) and the link. */
  | {
      readonly kind: "fresh";
      readonly restartedFrom?: number;
      readonly gap?: { readonly firstSeq: number; readonly lastSeq: number };
      readonly reset?: { readonly skipped: number };
    }
  /** An older missing packet arrived: accept its content, but it proves nothing about now. */
  | { readonly kind: "gap-filled"; readonly allFilled: boolean }
  | { readonly kind: "duplicate" }
  | {
      readonly kind: "replay";
      readonly reason:
        | "old-generation"
        | "old-sequence"
        | "invalid-number"
        | "unconfirmed-jump"
        | "unconfirmed-generation"
        | "unconfirmed-return";
    };

interface Missing {
  dueAtMs: number;
  attempts: number;
}

export interface RetransmitPolicy {
  readonly maxRexmitDelayMs: number;
  readonly attemptsMax: number;
  readonly prng: Prng;
}

export type RetransmitAction = { readonly seq: number; readonly kind: "request" | "give-up" };

export class SequenceTracker {
  private generationValue: number | undefined;
  private lastSeqValue: number | undefined;
  private readonly missing = new Map<number, Missing>();
  private readonly recentSeq = new Array<number>(RECENT_SIZE).fill(-1);
  private readonly recentAtMs = new Array<number>(RECENT_SIZE).fill(0);
  /** A jump seen but not yet confirmed: its generation, first and newest seq, frame count. */
  private candidate: { generation: number; first: number; seq: number; frames: number } | undefined;
  /** The stream a new generation replaced, while the replacement may still be refuted. */
  private previous: { generation: number; lastSeq: number } | undefined;
  /** Frames of `previous` continuing after the replacement (a forged generation, not a restart). */
  private returning: { generation: number; first: number; seq: number; frames: number } | undefined;

  constructor(
    private readonly duplicateWindowMs: number,
    private readonly retransmit: RetransmitPolicy,
  ) {}

  get generation(): number | undefined {
    return this.generationValue;
  }
  get lastSeq(): number | undefined {
    return this.lastSeqValue;
  }
  get missingCount(): number {
    return this.missing.size;
  }

  /**
   * Starts from a previous run's high-water marks: frames at or below them are
   * replays. Only before the first frame of this run (ignored afterwards).
   */
  seed(generation: number, lastSeq: number): void {
    if (this.generationValue !== undefined || !isCounter(generation) || !isCounter(lastSeq)) return;
    this.generationValue = generation;
    this.lastSeqValue = lastSeq;
  }

  /** Whether a frame is newer than every frame accepted so far (a peek: nothing changes). */
  isNewer(generation: number, seq: number): boolean {
    if (!isCounter(generation) || !isCounter(seq)) return false;
    const known = this.generationValue;
    if (known === undefined || generation > known) return true;
    return generation === known && seq > (this.lastSeqValue ?? -1);
  }

  /**
   * Classifies one packet and updates the tracking. `peerDead`: we have declared
   * the sender dead, so a jump forward is a return, not a gap to repair.
   */
  classify(generation: number, seq: number, nowMs: number, peerDead: boolean, peerLive = false): SeqVerdict {
    if (!isCounter(generation) || !isCounter(seq)) return { kind: "replay", reason: "invalid-number" };
    const known = this.generationValue;
    if (known !== undefined && generation < known) return this.older(generation, seq, nowMs);
    const last = this.lastSeqValue;
    if (known === undefined || last === undefined) {
      this.generationValue = generation;
      this.startAt(seq, nowMs);
      return { kind: "fresh" };
    }
    if (generation > known) {
      // A live peer's new generation is held until confirmed (one forged frame changes nothing); held
      // statuses keep it alive (membership) and the held frames are asked for again once adopted.
      // A dead or not yet heard peer's is adopted at once; either can be refuted later (older()).
      const first = peerLive ? this.confirmJump(generation, seq) : seq;
      if (first === undefined) return { kind: "replay", reason: "unconfirmed-generation" };
      this.previous = { generation: known, lastSeq: last };
      this.returning = undefined;
      return { ...this.adopt(generation, first, seq, nowMs), restartedFrom: known };
    }
    if (seq > last + SEQ_GAP_RESET) {
      const first = this.confirmJump(generation, seq);
      if (first === undefined) return { kind: "replay", reason: "unconfirmed-jump" };
      this.adopt(generation, first, seq, nowMs);
      return peerDead ? { kind: "fresh" } : { kind: "fresh", reset: { skipped: seq - last - 1 } };
    }
    if (seq > last) {
      this.candidate = undefined; // the known stream continues: a pending jump was not the real node
      return this.forward(last, seq, nowMs, peerDead);
    }
    if (this.missing.delete(seq)) {
      this.remember(seq, nowMs);
      return { kind: "gap-filled", allFilled: this.missing.size === 0 };
    }
    const slot = seq & (RECENT_SIZE - 1);
    if (this.recentSeq[slot] === seq && nowMs - this.recentAtMs[slot]! <= this.duplicateWindowMs) {
      return { kind: "duplicate" };
    }
    return { kind: "replay", reason: "old-sequence" };
  }

  /**
   * A frame of an older generation: a replay, unless it continues the stream a
   * new generation replaced: JUMP_CONFIRM_FRAMES such frames with rising
   * numbers refute the new generation (a restarted node never sends its old
   * one again: the new one was forged) and tracking returns to that stream.
   */
  private older(generation: number, seq: number, nowMs: number): SeqVerdict {
    const p = this.previous;
    const continues =
      p !== undefined && (generation > p.generation || (generation === p.generation && seq > p.lastSeq));
    if (!continues) return { kind: "replay", reason: "old-generation" };
    const r = this.returning;
    if (r !== undefined && r.generation === generation && seq > r.seq && seq - r.seq <= SEQ_GAP_RESET) {
      r.seq = seq;
      r.frames++;
    } else if (r === undefined || r.generation !== generation || seq > r.seq) {
      this.returning = { generation, first: seq, seq, frames: 1 };
    }
    if (this.returning!.frames < JUMP_CONFIRM_FRAMES) return { kind: "replay", reason: "unconfirmed-return" };
    const first = this.returning!.first;
    this.previous = undefined;
    this.returning = undefined;
    this.candidate = undefined;
    return this.adopt(generation, first, seq, nowMs);
  }

  /**
   * Tracking starts over at `seq` in `generation`; the numbers from `first`
   * (the first held frame) up to it are missing, so they are asked for again.
   */
  private adopt(
    generation: number,
    first: number,
    seq: number,
    nowMs: number,
  ): SeqVerdict & { kind: "fresh" } {
    this.generationValue = generation;
    this.startAt(seq, nowMs);
    if (first >= seq) return { kind: "fresh" };
    for (let s = first; s < seq; s++)
      this.missing.set(s, { dueAtMs: nowMs + this.firstDelayMs(), attempts: 0 });
    return { kind: "fresh", gap: { firstSeq: first, lastSeq: seq - 1 } };
  }

  /**
   * Counts a frame of a jump; the jump's first seq when it is confirmed (and
   * forgotten as a candidate), else undefined.
   */
  private confirmJump(generation: number, seq: number): number | undefined {
    const c = this.candidate;
    if (c !== undefined && c.generation === generation && seq <= c.seq && c.seq - seq <= SEQ_GAP_RESET) {
      return undefined; // a copy via another medium, or a late one: the candidate stays as it is
    }
    if (c !== undefined && c.generation === generation && seq > c.seq && seq - c.seq <= SEQ_GAP_RESET) {
      c.seq = seq;
      c.frames++;
    } else {
      this.candidate = { generation, first: seq, seq, frames: 1 };
    }
    const confirmed = this.candidate!;
    if (confirmed.frames < JUMP_CONFIRM_FRAMES) return undefined;
    this.candidate = undefined;
    return confirmed.first;
  }

  /** Forgets the gaps (the peer is dead, or the sender cannot resend them). */
  forgetGaps(): void {
    this.missing.clear();
  }

  /** The sender cannot resend `seq` (NS_nak_rexmit): stop asking. True if it was missing. */
  abandon(seq: number): boolean {
    return this.missing.delete(seq);
  }

  /** Retransmit requests (and give-ups) due at `nowMs`, in ascending sequence order. */
  due(nowMs: number): RetransmitAction[] {
    const out: RetransmitAction[] = [];
    for (const [seq, m] of this.missing) {
      if (m.dueAtMs > nowMs) continue;
      if (m.attempts >= this.retransmit.attemptsMax) {
        this.missing.delete(seq);
        out.push({ seq, kind: "give-up" });
        continue;
      }
      m.attempts++;
      m.dueAtMs = nowMs + this.retransmit.maxRexmitDelayMs;
      out.push({ seq, kind: "request" });
    }
    return out.sort((a, b) => a.seq - b.seq);
  }

  /** Earliest time a retransmit action is due, if any. */
  nextDueMs(): number | undefined {
    let next: number | undefined;
    for (const m of this.missing.values()) if (next === undefined || m.dueAtMs < next) next = m.dueAtMs;
    return next;
  }

  private forward(last: number, seq: number, nowMs: number, peerDead: boolean): SeqVerdict {
    const skipped = seq - last - 1;
    if (peerDead) {
      this.startAt(seq, nowMs);
      return { kind: "fresh" };
    }
    if (this.missing.size + skipped > SEQ_MISSING_MAX) {
      this.startAt(seq, nowMs);
      return { kind: "fresh", reset: { skipped } };
    }
    this.lastSeqValue = seq;
    this.remember(seq, nowMs);
    if (skipped === 0) return { kind: "fresh" };
    for (let s = last + 1; s < seq; s++)
      this.missing.set(s, { dueAtMs: nowMs + this.firstDelayMs(), attempts: 0 });
    return { kind: "fresh", gap: { firstSeq: last + 1, lastSeq: seq - 1 } };
  }

  /** Heartbeat: a random delay in [50, max] ms, or [0, max] when max < 100. */
  private firstDelayMs(): number {
    const max = this.retransmit.maxRexmitDelayMs;
    const min = max < 100 ? 0 : 50;
    return this.retransmit.prng.intBetween(min, max);
  }

  private startAt(seq: number, nowMs: number): void {
    this.lastSeqValue = seq;
    this.missing.clear();
    this.recentSeq.fill(-1);
    this.remember(seq, nowMs);
  }

  private remember(seq: number, nowMs: number): void {
    const slot = seq & (RECENT_SIZE - 1);
    this.recentSeq[slot] = seq;
    this.recentAtMs[slot] = nowMs;
  }
}

/** Generations and sequence numbers are non-negative safe integers (the codec parses them from hex). */
function isCounter(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}
