/**
 * Runs alert agents (the process side of alerts.ts). Each call is a child
 * process of its own (its own process group), started at once and never
 * awaited by the caller: an alert never delays a transition. A call that
 * outlives its timeout gets SIGTERM, then SIGKILL 2 s later; a failure
 * (exit status, signal, timeout, cannot start) is logged with the end of the
 * agent's output. At most `maxRunning` agents run at a time; further calls
 * wait in a bounded queue (oldest dropped, logged), as a burst of events
 * must not fork without bound.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { monotonicNowMs } from "../base/clock.js";
import type { Cib } from "../cib/model.js";
import {
  type AlertCall,
  type AlertEntry,
  AlertFilter,
  type AlertInput,
  alertCalls,
  alertsFromCib,
} from "./alerts.js";
import type { NodeLogger } from "./node.js";

export interface AlertRunnerOptions {
  readonly log: NodeLogger;
  /** Base environment of the agents (default: hbd's own, as Pacemaker's executor passes its own). */
  readonly env?: NodeJS.ProcessEnv;
  readonly maxRunning?: number;
  readonly maxQueued?: number;
  /** Grace between SIGTERM and SIGKILL at a timeout. Default 2000 ms. */
  readonly killGraceMs?: number;
  /** Microseconds since the epoch (tests may fix it). */
  readonly nowUs?: () => number;
}

const TAIL = 400;

function tail(s: string): string {
  const t = s.trim();
  return t.length > TAIL ? `...${t.slice(-TAIL)}` : t;
}

export class AlertRunner {
  private readonly filter = new AlertFilter();
  private sequence = 0;
  private readonly queue: AlertCall[] = [];
  private readonly running = new Set<ChildProcess>();
  private idleWaiters: (() => void)[] = [];
  /** The CIB whose alerts were read last, and what was read. */
  private parsedFor: Cib | undefined;
  private alerts: readonly AlertEntry[] = [];
  private lastProblems = "";

  constructor(private readonly o: AlertRunnerOptions) {}

  /** Calls currently running. */
  get active(): number {
    return this.running.size;
  }

  /**
   * A report from the controller: alerts for it start now (or are queued);
   * returns the number of calls made. Never throws.
   */
  handle(input: AlertInput, currentCib: () => Cib): number {
    try {
      const cib = currentCib();
      const alerts = this.alertsOf(cib);
      const event = this.filter.accept(input);
      if (event === undefined || alerts.length === 0) return 0;
      const nodes = cib.configuration.nodes;
      const calls = alertCalls(alerts, event, {
        epochUs: this.o.nowUs?.() ?? Math.round(monotonicNowMs() * 1000),
        nextSequence: () => ++this.sequence,
        nodeId: (n) => nodes.find((x) => x.uname === n)?.id ?? n,
      });
      for (const c of calls) this.enqueue(c);
      return calls.length;
    } catch (e) {
      this.o.log.error({ event: "alert-error" }, `alerts: ${(e as Error).message}`);
      return 0;
    }
  }

  /** Resolves once no agent runs and none waits, or after `timeoutMs` (hbd's shutdown). */
  drain(timeoutMs: number): Promise<void> {
    if (this.running.size === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  private alertsOf(cib: Cib): readonly AlertEntry[] {
    if (cib === this.parsedFor) return this.alerts;
    const { alerts, problems } = alertsFromCib(cib);
    this.parsedFor = cib;
    this.alerts = alerts;
    const text = problems.join("; ");
    if (text !== "" && text !== this.lastProblems)
      this.o.log.error({ event: "alert-config", problems }, `alerts configuration: ${text}`);
    this.lastProblems = text;
    return alerts;
  }

  private enqueue(c: AlertCall): void {
    if (this.running.size < (this.o.maxRunning ?? 16)) {
      this.start(c);
      return;
    }
    this.queue.push(c);
    if (this.queue.length > (this.o.maxQueued ?? 256)) {
      const lost = this.queue.shift() as AlertCall;
      this.o.log.error(
        { event: "alert-dropped", alert: lost.alertId, recipient: lost.recipientId },
        `alert ${lost.alertId} (${lost.kind}) to ${lost.recipient ?? "no recipient"} dropped: too many alerts waiting`,
      );
    }
  }

  private start(c: AlertCall): void {
    const log = this.o.log;
    const what = `${c.kind} alert via ${c.alertId} to ${c.recipient ?? "no recipient"}`;
    log.info({ event: "alert", alert: c.alertId, recipient: c.recipientId, kind: c.kind }, `sending ${what}`);
    let child: ChildProcess;
    try {
      child = spawn(c.path, [], {
        env: { ...(this.o.env ?? process.env), ...c.env },
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      });
    } catch (e) {
      log.error(
        { event: "alert-failed", alert: c.alertId },
        `${what}: cannot run ${c.path}: ${(e as Error).message}`,
      );
      this.next();
      return;
    }
    this.running.add(child);
    let output = "";
    const keep = (b: Buffer): void => {
      output = (output + b.toString("utf8")).slice(-4 * TAIL);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    const started = monotonicNowMs();
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      this.signal(child, "SIGTERM");
      killTimer = setTimeout(() => this.signal(child, "SIGKILL"), this.o.killGraceMs ?? 2000);
    }, c.timeoutMs);
    let done = false;
    const finish = (code: number | null, sig: NodeJS.Signals | null, err?: Error): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      this.running.delete(child);
      const ms = Math.round(monotonicNowMs() - started);
      const out = tail(output);
      const fields = { event: "alert-failed", alert: c.alertId, recipient: c.recipientId, ms };
      if (err !== undefined) log.error(fields, `${what}: cannot run ${c.path}: ${err.message}`);
      else if (timedOut)
        log.error(
          fields,
          `${what} timed out after ${c.timeoutMs} ms: killed${out ? `; output: ${out}` : ""}`,
        );
      else if (code !== 0)
        log.error(
          fields,
          `${what} failed (${sig ? `signal ${sig}` : `exit status ${code}`})${out ? `: ${out}` : ""}`,
        );
      else
        log.debug(
          { event: "alert-done", alert: c.alertId, ms },
          `${what} done in ${ms} ms${out ? `: ${out}` : ""}`,
        );
      this.next();
    };
    child.on("error", (e) => finish(null, null, e));
    child.on("close", (code, sig) => finish(code, sig));
  }

  private signal(child: ChildProcess, sig: NodeJS.Signals): void {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, sig); // the agent's whole process group
    } catch {
      child.kill(sig);
    }
  }

  private next(): void {
    const c = this.queue.shift();
    if (c !== undefined) this.start(c);
    else if (this.running.size === 0) {
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const f of w) f();
    }
  }
}
