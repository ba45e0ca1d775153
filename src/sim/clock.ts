/**
 * A clock the simulator (or a test) moves by hand. Time is monotonic
 * milliseconds from an arbitrary origin; `wallMs` maps it to a Unix time for
 * things that need one (generation numbers).
 */
export class ManualClock {
  private current: number;

  /**
   * @param startMs the initial monotonic time
   * @param wallOffsetMs added to monotonic time to get Unix ms (default: 2023-11-14T22:13:20Z)
   */
  constructor(
    startMs = 0,
    private readonly wallOffsetMs = 1_700_000_000_000,
  ) {
    this.current = startMs;
  }

  nowMs(): number {
    return this.current;
  }

  /** Unix milliseconds matching `nowMs()`. */
  wallMs(): number {
    return this.current + this.wallOffsetMs;
  }

  /** Moves forward by `ms` (>= 0). */
  advance(ms: number): number {
    if (!(ms >= 0)) throw new RangeError(`ManualClock.advance: ${ms} is not a non-negative duration`);
    this.current += ms;
    return this.current;
  }

  /** Moves to `ms`, which must not be in the past. */
  set(ms: number): void {
    if (ms < this.current) throw new RangeError(`ManualClock.set: ${ms} is before ${this.current}`);
    this.current = ms;
  }
}
