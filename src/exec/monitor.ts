/**
 * Recurring monitors: each runs at once (unless delayed), then `interval` ms
 * after the previous run completed, never overlapping itself. Timers come
 * through a TimerPort so the scheduler is deterministic under test.
 */
import type { ActionRequest, ActionResult, TimerPort } from "./types.js";

/** Key of a recurring op, Pacemaker style: `<rsc>_<op>_<interval>`. */
export function opKey(rscId: string, op: string, intervalMs: number): string {
  return `${rscId}_${op}_${intervalMs}`;
}

interface Entry {
  readonly req: ActionRequest;
  handle: unknown;
  running: boolean;
  lastRc: number | undefined;
  cancelled: boolean;
}

export interface MonitorSchedulerOptions {
  readonly timer: TimerPort;
  /** Runs one monitor (normally Executor.exec). */
  readonly run: (req: ActionRequest) => Promise<ActionResult>;
  /** Every result, with whether rc differs from the previous one of the same op (first result: true). */
  readonly onResult: (result: ActionResult, changed: boolean) => void;
}

export class MonitorScheduler {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly opts: MonitorSchedulerOptions) {}

  /** Keys of the scheduled recurring ops. */
  get keys(): string[] {
    return [...this.entries.keys()];
  }

  /**
   * Schedules a recurring op (intervalMs > 0). Replaces an op with the same key.
   * With delayFirst the first run waits one interval.
   */
  start(req: ActionRequest, delayFirst = false): string {
    const interval = req.intervalMs ?? 0;
    if (!(interval > 0)) throw new RangeError(`recurring op needs intervalMs > 0 (${req.rscId} ${req.op})`);
    const key = opKey(req.rscId, req.op, interval);
    this.cancel(key);
    const entry: Entry = { req, handle: undefined, running: false, lastRc: undefined, cancelled: false };
    this.entries.set(key, entry);
    if (delayFirst) this.schedule(entry, interval);
    else void this.fire(entry);
    return key;
  }

  /** Cancels one recurring op; a run in flight finishes but is not reported. */
  cancel(key: string): boolean {
    const e = this.entries.get(key);
    if (!e) return false;
    e.cancelled = true;
    if (e.handle !== undefined) this.opts.timer.clearTimeout(e.handle);
    this.entries.delete(key);
    return true;
  }

  /** Cancels every recurring op of a resource (before stopping it). */
  cancelResource(rscId: string): number {
    let n = 0;
    for (const [key, e] of [...this.entries]) if (e.req.rscId === rscId && this.cancel(key)) n++;
    return n;
  }

  cancelAll(): void {
    for (const key of [...this.entries.keys()]) this.cancel(key);
  }

  private schedule(e: Entry, ms: number): void {
    e.handle = this.opts.timer.setTimeout(() => {
      e.handle = undefined;
      void this.fire(e);
    }, ms);
  }

  private async fire(e: Entry): Promise<void> {
    if (e.cancelled || e.running) return;
    e.running = true;
    let result: ActionResult | undefined;
    try {
      result = await this.opts.run(e.req);
    } catch {
      result = undefined; // run() is not supposed to reject; keep the schedule going
    }
    e.running = false;
    if (e.cancelled) return;
    if (result === undefined) return this.schedule(e, e.req.intervalMs ?? 0);
    const changed = e.lastRc !== result.rc;
    e.lastRc = result.rc;
    this.opts.onResult(result, changed);
    if (!e.cancelled) this.schedule(e, e.req.intervalMs ?? 0);
  }
}
