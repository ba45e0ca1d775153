/**
 * Operations the DC sends again (controller.ts): the DC repeats an `op` it has
 * no result for (a frame lost where sequence tracking cannot ask for it again:
 * sent while the receiver still counted the DC dead; whole-cluster simulator
 * seed 367), and the receiver must run each operation once. This remembers,
 * per sender, the operations received: still running (a repeat is ignored) or
 * answered (a repeat gets the same answer again). Forgotten for a sender that
 * died or restarted (its transition numbers start over), and bounded.
 *
 * Pure.
 */
import type { OpStatus } from "../exec/types.js";

/** The answer sent for an operation (the `result` message's fields). */
export interface OpAnswer {
  readonly rc: number;
  readonly status: OpStatus;
  readonly reason: string;
  readonly durationMs: number;
}

/** Operations remembered at most (oldest forgotten first). */
export const OP_REPLIES_MAX = 512;

export class OpReplies {
  private readonly seen = new Map<string, OpAnswer | "running">();

  constructor(private readonly max = OP_REPLIES_MAX) {}

  /**
   * An operation arrives: "new" (run it; it is now remembered as running),
   * "running" (a repeat while it runs: ignore), or the answer to send again.
   */
  arrive(from: string, tid: number, aid: string): "new" | "running" | OpAnswer {
    const key = `${from}\0${tid}\0${aid}`;
    const known = this.seen.get(key);
    if (known !== undefined) return known;
    this.seen.set(key, "running");
    while (this.seen.size > this.max) {
      const oldest = this.seen.keys().next().value as string;
      this.seen.delete(oldest);
    }
    return "new";
  }

  /** The operation finished and `answer` was sent. */
  answered(from: string, tid: number, aid: string, answer: OpAnswer): void {
    const key = `${from}\0${tid}\0${aid}`;
    if (this.seen.has(key)) this.seen.set(key, answer);
  }

  /** `from` died or restarted: its numbers mean nothing any more. */
  forget(from: string): void {
    for (const key of [...this.seen.keys()]) if (key.startsWith(`${from}\0`)) this.seen.delete(key);
  }

  get size(): number {
    return this.seen.size;
  }
}
