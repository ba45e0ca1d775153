/**
 * What runs on this node (controller.ts decides what to run): the actions in
 * flight, the starts running now, the last one-shot action per resource (this
 * node's own truth for a join answer, join.ts), and the recurring monitors
 * with the failures already reported to a DC. Side effects go through the
 * executor port and the timers of the MonitorScheduler.
 */
import { MonitorScheduler, opKey } from "../exec/monitor.js";
import type { ActionRequest, ActionResult, TimerPort } from "../exec/types.js";
import type { AlertInput } from "./alerts.js";
import type { LastActions } from "./join.js";

export interface LocalOpsPorts {
  readonly localNode: string;
  readonly exec: (req: ActionRequest) => Promise<ActionResult>;
  readonly timers: TimerPort;
  readonly alert?: ((a: AlertInput) => void) | undefined;
  /** A recurring monitor's result (every run). */
  readonly onRecurring: (r: ActionResult) => void;
}

export class LocalOps {
  /**
   * The last one-shot action run here per resource, and its rc, or a recurring monitor that found it
   * not running (rc 7) since: what a DC that died before broadcasting its result never told anyone.
   */
  private readonly last = new Map<string, { op: string; rc: number }>();
  /** Actions running on this node now (a shutdown or a join answer waits for them). */
  private readonly inFlight = new Set<Promise<ActionResult>>();
  /** Resources whose start runs here now. */
  private readonly startingNow = new Set<string>();
  /** Per resource, the end of the last action queued for it: actions on one resource run one at a time. */
  private readonly tails = new Map<string, Promise<unknown>>();
  /** Keys of recurring monitors whose current failure was reported (logged once; reports repeat until recorded). */
  readonly reportedFailures = new Set<string>();
  private readonly monitors: MonitorScheduler;

  constructor(private readonly ports: LocalOpsPorts) {
    this.monitors = new MonitorScheduler({
      timer: ports.timers,
      run: (req) => ports.exec(req),
      onResult: (r) => ports.onRecurring(r),
    });
  }

  /** Keys (`rsc_monitor_interval`) of the recurring monitors running here. */
  get monitorKeys(): string[] {
    return this.monitors.keys;
  }

  /** Whether an action runs here now. */
  get busy(): boolean {
    return this.inFlight.size > 0;
  }

  /** Resources whose start runs here now. */
  get starting(): ReadonlySet<string> {
    return this.startingNow;
  }

  /** The last one-shot action per resource, as a join answer carries it. */
  lastActions(): LastActions {
    return [...this.last].map(([rsc, l]) => [rsc, l.op, l.rc] as const);
  }

  /** A recurring monitor found `rsc` not running: newer than the start a join answer would report. */
  notRunning(rsc: string): void {
    this.last.set(rsc, { op: "monitor", rc: 7 });
  }

  /**
   * Runs an action here and keeps the recurring monitors in step: a stop
   * cancels the resource's monitors first; a recurring monitor that succeeds
   * keeps running (when `keepMonitors()`), one that fails does not.
   * Actions on one resource run one after another, as Pacemaker's executor
   * runs them: a probe sent while a start still runs answers once the start
   * has ended, not "running" from the middle of it (seed 965: a new DC's probe
   * saw g1 running mid-start and started g2 on top of it).
   */
  run(req: ActionRequest, keepMonitors: () => boolean): Promise<ActionResult> {
    const before = this.tails.get(req.rscId);
    const running =
      before === undefined
        ? this.tracked(req, keepMonitors)
        : before.then(() => this.tracked(req, keepMonitors));
    const tail = running.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(req.rscId, tail);
    void tail.then(() => {
      if (this.tails.get(req.rscId) === tail) this.tails.delete(req.rscId);
    });
    this.inFlight.add(running);
    return running.finally(() => this.inFlight.delete(running));
  }

  /** Resolves once the actions running here have ended (bounded: 8 rounds of what is in flight). */
  async drain(): Promise<void> {
    for (let i = 0; i < 8 && this.inFlight.size > 0; i++) await Promise.allSettled([...this.inFlight]);
  }

  cancelMonitors(): void {
    this.monitors.cancelAll();
    this.reportedFailures.clear();
  }

  private async tracked(req: ActionRequest, keepMonitors: () => boolean): Promise<ActionResult> {
    if (req.op === "stop") this.monitors.cancelResource(req.rscId);
    if (req.op === "start") this.startingNow.add(req.rscId);
    const r = await this.ports.exec(req).finally(() => {
      if (req.op === "start") this.startingNow.delete(req.rscId);
    });
    this.ports.alert?.({ kind: "op", node: this.ports.localNode, result: r });
    const interval = req.intervalMs ?? 0;
    if (interval === 0 && (req.op === "start" || req.op === "stop" || req.op === "monitor"))
      this.last.set(req.rscId, { op: req.op, rc: r.status === "done" ? r.rc : 1 });
    if (req.op === "monitor" && interval > 0) {
      const key = opKey(req.rscId, req.op, interval);
      this.reportedFailures.delete(key);
      if (r.status === "done" && r.rc === 0 && keepMonitors()) this.monitors.start(req, true);
      else this.monitors.cancel(key);
    }
    return r;
  }
}
