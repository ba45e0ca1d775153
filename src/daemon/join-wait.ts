/**
 * A new DC's wait for join answers (join.ts says what an answer holds): which
 * peers it asked, until when, and which answer counts. Pure state: the
 * controller sends the queries this returns and decides once `waiting` is false.
 *
 * Queries are numbered and answers echo the number. Only the first answer to a
 * query of the current wait counts; a repeat, or an answer that arrives after
 * the wait ended, is older than what the DC has recorded since (seed 6012: a
 * late copy of n3's answer, made before the DC started p1 there, arrived after
 * the start's result and recorded p1 stopped). An answer without a number
 * (an older hbd) counts while the wait for that peer lasts.
 */
export class JoinWait {
  /** Peers not yet answered, with the numbers of the queries sent to each in this wait. */
  private readonly asked = new Map<string, Set<number>>();
  private until = 0;
  private seq = 0;

  /** Whether answers are awaited. */
  get waiting(): boolean {
    return this.asked.size > 0;
  }

  /** The peers not yet answered. */
  get peers(): string[] {
    return [...this.asked.keys()];
  }

  /**
   * Starts a wait for `peers` until `until` (monotonic ms), or, with `add`,
   * adds them to the wait under way (the later deadline wins). Returns the
   * queries to send: [peer, query number].
   */
  ask(peers: readonly string[], until: number, add: boolean): [string, number][] {
    if (!add || !this.waiting) {
      const keep = new Set(peers);
      for (const p of this.peers) if (!keep.has(p)) this.asked.delete(p);
      this.until = until;
    } else this.until = Math.max(this.until, until);
    return peers.map((p) => {
      const j = ++this.seq;
      this.asked.set(p, (this.asked.get(p) ?? new Set()).add(j));
      return [p, j];
    });
  }

  /** Whether `from`'s answer `j` counts; if it does, `from` is answered. */
  answer(from: string, j: number | undefined): boolean {
    const a = this.asked.get(from);
    if (a === undefined || (j !== undefined && !a.has(j))) return false;
    this.asked.delete(from);
    return true;
  }

  /** A lost peer has nothing to answer: true when that ends the wait. */
  forget(peer: string): boolean {
    return this.asked.delete(peer) && !this.waiting;
  }

  /** Ends the wait if its deadline passed (or `force`); returns the peers that never answered. */
  expire(now: number, force: boolean): string[] | undefined {
    if (!this.waiting || (!force && now < this.until)) return undefined;
    const missing = this.peers;
    this.asked.clear();
    return missing;
  }

  /** Ends the wait. */
  clear(): void {
    this.asked.clear();
  }
}
