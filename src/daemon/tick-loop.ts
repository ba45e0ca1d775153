/**
 * hbd's tick loop (issue 15 §4: idle CPU): one timer, re-armed after every
 * turn to the earliest of the node's next deadline (HeartbeatNode.nextWakeMs:
 * membership timeouts, the next status, a retransmit request or reqnodes
 * retry due) and the end of the period. A fixed 5 ms setInterval woke hbd 200
 * times a second at keepalive 10 ms although the heartbeat layer has work
 * every 10 ms; the layers above it (controller, R1, ipfail, peer marks, the
 * watchdog) poll deadlines of a second or more, and keep a turn every
 * `periodMs` (wakePeriodMs).
 *
 * An input (a received frame, an hbctl command, a ping verdict) can bring the
 * node's next deadline closer (a gap in a peer's sequence numbers schedules a
 * retransmit request): the shell calls poke() after it, which re-arms the
 * timer only when the deadline is at least a millisecond earlier than the one
 * armed (the cost of a frame: one nextWakeMs()).
 *
 * The loop measures its own lateness (what the old loop called event loop
 * lag): the time between the deadline the timer was armed for and the turn.
 * No I/O here: the shell gives it the clock and the timers (main.ts).
 */
import type { Clock, TimerPort } from "../base/ports.js";

/**
 * The period of the turns that are not heartbeat deadlines: the tick period
 * (node.ts tickPeriodMs) from 10 ms up, unchanged; below it (keepalive under
 * 40 ms or deadtime under 200 ms) twice the tick period, at most keepalive,
 * so that at keepalive 10 ms the periodic turn falls on the status the node
 * sends every 10 ms instead of adding a wake between two. Membership's stall
 * detection (hbd.ts STALL_GAP_TICKS = 4 tick periods without an input) still
 * sees a gap of at most 2 tick periods when hbd is on time.
 */
export function wakePeriodMs(tickMs: number, keepaliveMs: number): number {
  if (tickMs >= 10) return tickMs;
  return Math.max(tickMs, Math.min(2 * tickMs, keepaliveMs));
}

export interface TickLoopOptions {
  /** Longest time between two turns (ms). */
  readonly periodMs: number;
  /** The earliest monotonic time (ms) at which a turn has work: HeartbeatNode.nextWakeMs. */
  readonly nextDeadline: () => number;
  /** One turn; `lagMs`: how late it runs after the time the timer was armed for. */
  readonly turn: (nowMs: number, lagMs: number) => void;
}

export class TickLoop {
  private handle: unknown;
  /** Monotonic time the armed timer is for; undefined when stopped. */
  private armedFor: number | undefined;
  private running = false;
  /** Turns taken (for tests and the footprint bench's reasoning). */
  turns = 0;

  constructor(
    private readonly options: TickLoopOptions,
    private readonly ports: { readonly clock: Clock; readonly timers: TimerPort },
  ) {}

  /** Arms the first turn (at the next deadline or one period from now). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.arm(this.ports.clock.now());
  }

  stop(): void {
    this.running = false;
    if (this.handle !== undefined) this.ports.timers.clearTimeout(this.handle);
    this.handle = undefined;
    this.armedFor = undefined;
  }

  /**
   * After an input: re-arms for the node's next deadline when the armed turn would come a
   * millisecond or more after it. A turn armed by schedule() comes less than 1 ms after its
   * deadline (the timer's resolution), so a deadline that moved by less, or did not move at all
   * (the next status, rounded up when it was armed), keeps the armed timer: at keepalive 10 ms a
   * peer's status arrives before every status this node sends, and re-arming then cost a
   * clearTimeout and a setTimeout per frame and, when the new timer rounded to a later
   * millisecond than the cleared one, an extra wake-up (node's timer stays armed for a cleared
   * timeout and fires empty; about 30 a second, issue 15).
   */
  poke(): void {
    // (during a turn there is no timer: the turn re-arms when it ends)
    if (!this.running || this.handle === undefined || this.armedFor === undefined) return;
    const next = this.options.nextDeadline();
    if (next > this.armedFor - 1) return;
    const now = this.ports.clock.now();
    if (this.handle !== undefined) this.ports.timers.clearTimeout(this.handle);
    this.schedule(now, next);
  }

  /** The monotonic time of the next turn (undefined when stopped). */
  get nextTurnAt(): number | undefined {
    return this.armedFor;
  }

  private arm(now: number): void {
    this.schedule(now, Math.min(this.options.nextDeadline(), now + this.options.periodMs));
  }

  private schedule(now: number, at: number): void {
    // Timers have millisecond resolution: round up, so a turn never comes before its deadline (and
    // finds nothing due, then re-arms for a fraction of a millisecond). At least 1 ms: a deadline
    // already past is served at once without a busy loop.
    const delay = Math.min(this.options.periodMs, Math.max(1, Math.ceil(at - now)));
    this.armedFor = now + delay;
    this.handle = this.ports.timers.setTimeout(() => this.fire(), delay);
  }

  private fire(): void {
    this.handle = undefined;
    if (!this.running) return;
    const now = this.ports.clock.now();
    const lag = Math.max(0, now - (this.armedFor ?? now));
    this.turns++;
    try {
      this.options.turn(now, lag);
    } finally {
      if (this.running && this.handle === undefined) this.arm(this.ports.clock.now());
    }
  }
}
