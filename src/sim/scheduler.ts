/**
 * The simulator's time: one queue of tasks ordered by (time, scheduling
 * order), a binary heap, driven by `runUntil`. It is the Clock of every
 * simulated node and the Scheduler of the in-memory networks, and it makes
 * TimerPorts whose timers die with a node's incarnation (a crash).
 */
import type { TimerPort } from "../base/ports.js";
import type { Scheduler } from "../comm/memory.js";

interface Task {
  readonly at: number;
  readonly seq: number;
  readonly run: () => void;
}

export class SimScheduler implements Scheduler {
  private nowMs: number;
  private seq = 0;
  private readonly heap: Task[] = [];

  constructor(startMs = 0) {
    this.nowMs = startMs;
  }

  now(): number {
    return this.nowMs;
  }

  after(delayMs: number, run: () => void): void {
    this.push({ at: this.nowMs + Math.max(0, delayMs), seq: this.seq++, run });
  }

  get pending(): number {
    return this.heap.length;
  }

  /** Time of the next task, or undefined. */
  nextAt(): number | undefined {
    return this.heap[0]?.at;
  }

  /** Runs the next task if it is due by `until`; returns whether one ran. The clock moves to its time. */
  runNext(until: number): boolean {
    const top = this.heap[0];
    if (top === undefined || top.at > until) return false;
    this.pop();
    this.nowMs = Math.max(this.nowMs, top.at);
    top.run();
    return true;
  }

  /** Moves the clock to `ms` (never backwards); tasks due before must have run. */
  moveTo(ms: number): void {
    this.nowMs = Math.max(this.nowMs, ms);
  }

  /**
   * A TimerPort on this scheduler. `alive()` is read when a timer fires: a
   * crashed incarnation's timers never run.
   */
  timers(alive: () => boolean): TimerPort {
    return {
      setTimeout: (fn, ms) => {
        const h = { cancelled: false };
        this.after(ms, () => {
          if (!h.cancelled && alive()) fn();
        });
        return h;
      },
      clearTimeout: (h) => {
        if (h !== null && typeof h === "object") (h as { cancelled: boolean }).cancelled = true;
      },
    };
  }

  private push(t: Task): void {
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i] as Task, h[p] as Task)) break;
      [h[i], h[p]] = [h[p] as Task, h[i] as Task];
      i = p;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop() as Task;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l] as Task, h[m] as Task)) m = l;
      if (r < h.length && before(h[r] as Task, h[m] as Task)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m] as Task, h[i] as Task];
      i = m;
    }
  }
}

function before(a: Task, b: Task): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
