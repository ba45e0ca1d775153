/**
 * The DC's transition runner (controller.ts decides when): it runs
 * `schedule()` on the policy input, executes the graph (local actions through
 * `execHere`, remote ones as `op` messages answered by `result`, fencing with
 * the CIB's devices or delegated to a peer when the DC itself must be fenced),
 * records every result in the status section, and runs again until nothing is
 * left to do, bounded by `maxRuns` transitions in a row without an outside
 * change. An outside change while a transition runs aborts it: its actions
 * not yet started are not run.
 *
 * It owns no timer: the controller calls `tick()` (lost remote actions,
 * resends, the recheck time) and `startIfDue()` from its loop. Everything it
 * needs of the node comes through `TransitionRunnerPorts`.
 */

import type { Cib } from "../cib/model.js";
import { policyClock } from "../cib/pe-input.js";
import { devicesFor, fenceTimeoutMs } from "../exec/fence-devices.js";
import { type GraphAction, runTransition } from "../exec/graph.js";
import type { ActionRequest, ActionResult } from "../exec/types.js";
import { opFail } from "../policy/inject.js";
import { schedule } from "../policy/schedule.js";
import type { Transition } from "../policy/types.js";
import { nodeFenced } from "./crm-cib.js";
import type { CrmMessage } from "./crm-messages.js";
import { FenceBackoff, type FenceResult } from "./fencing.js";
import type { NodeLogger } from "./node.js";
import { actionRequest, nextRecheck, synthetic, toGraph } from "./transition-graph.js";

type OpMessage = Extract<CrmMessage, { k: "op" }>;
type ResultMessage = Extract<CrmMessage, { k: "result" }>;

/** What the runner needs of its node (the controller). */
export interface TransitionRunnerPorts {
  readonly localNode: string;
  readonly log: NodeLogger;
  /** Wall-clock ms (the policy's `now`, operation timestamps). */
  readonly now: () => number;
  /** Monotonic ms (deadlines, resends, holds). */
  readonly monotonic: () => number;
  readonly send: (msg: CrmMessage, dest: string) => void;
  readonly generationOf?: ((node: string) => number | undefined) | undefined;
  /** Saves a policy input with actions; returns where it went (for the log); may throw. */
  readonly savePolicyInput?: ((cib: Cib, nowMs: number) => string | undefined) | undefined;
  /** ocf:heartbeat agents shipped with Tandem (transition-graph.ts). */
  readonly shipped: ReadonlySet<string>;
  /** The CIB this node holds now. */
  cib(): Cib;
  /** Records a change of the status section (replicated by the controller). */
  setStatus(cib: Cib): void;
  /** The CIB as the policy sees it (quorum, resource-protocol bans). */
  policyInput(cib: Cib): Cib;
  isDc(): boolean;
  isActive(node: string): boolean;
  /** Active peers (the local node excluded). */
  activeNodes(): Iterable<string>;
  /** Configured nodes this DC does not count as members now (sent with a start). */
  downNodes(): string[];
  /** Runs an action on this node (local-ops.ts, recurring monitors kept in step). */
  execHere(req: ActionRequest): Promise<ActionResult>;
  /** Fences `target` from this node with the CIB's devices. */
  fenceHere(target: string, action: string): Promise<FenceResult>;
  /** `target` was fenced: its loss is clean. */
  fenced(target: string): void;
  /** A peer refused an action: it has another DC; tell it our claim. */
  claimTo(node: string): void;
  /** Something to do (a transition ended or recorded results): the controller's kick(). */
  kick(): void;
}

export interface TransitionRunnerOptions {
  /** Added to an operation's timeout before a remote action counts as lost. */
  readonly opMarginMs: number;
  /** Transitions in a row without an outside change before the DC gives up. */
  readonly maxRuns: number;
  /** How long the DC holds transitions after a peer said its view differs. */
  readonly viewHoldMs: number;
  readonly fenceRetryMinMs?: number | undefined;
  readonly fenceRetryMaxMs?: number | undefined;
  readonly fenceMaxAttempts?: number | undefined;
}

interface Pending {
  readonly node: string;
  readonly deadline: number;
  readonly resolve: (r: ActionResult) => void;
  readonly action: GraphAction;
  /** The message, sent again at `resendAt` while no result came (see op-replies.ts). */
  readonly op: OpMessage;
  resendAt: number;
  resends: number;
}

/** First wait for an operation's result before the DC sends it again; doubled per repeat, up to the max. */
export const OP_RESEND_MS = 1000;
export const OP_RESEND_MAX_MS = 8000;

/** The rc recorded for a result: a timeout or error that "succeeded" (0, or 7: not running) counts as 1. */
export function recordedRc(r: ActionResult): number {
  return r.status === "done" ? r.rc : r.rc === 0 || r.rc === 7 ? 1 : r.rc;
}

export class TransitionRunner {
  private tid = 0;
  private runs = 0;
  private transitionsRun = 0;
  private runningNow = false;
  private dirtyNow = false;
  /** An outside change arrived while the transition runs: its remaining actions are not started. */
  private abortRequested = false;
  /** Set by beginRelease(): no new transition may start. */
  private releasingNow = false;
  /** The transition id of the shutdown's stops; others start nothing once releasing. */
  private releaseTid = 0;
  /** Wall-clock ms at which the DC schedules again without an event (failure-timeout, recheck interval). */
  private recheckAt: number | undefined;
  /** A peer refused a start because it hears a node the DC counts as down: no transition before this. */
  private viewHoldUntil = 0;
  private readonly pending = new Map<string, Pending>();
  /** Results of actions that never ran (see notRun): not recorded in the status section. */
  private readonly undelivered = new WeakSet<ActionResult>();
  /** Failed fencings in a row, and the hold on transitions after one (fencing.ts). */
  private readonly fenceBackoff: FenceBackoff;
  private last: Transition | undefined;

  constructor(
    private readonly ports: TransitionRunnerPorts,
    private readonly options: TransitionRunnerOptions,
  ) {
    this.fenceBackoff = new FenceBackoff({
      minMs: options.fenceRetryMinMs,
      maxMs: options.fenceRetryMaxMs,
      maxAttempts: options.fenceMaxAttempts,
    });
  }

  /** A transition is running. */
  get running(): boolean {
    return this.runningNow;
  }

  /** Something changed since the last schedule (the DC runs the policy again). */
  get dirty(): boolean {
    return this.dirtyNow;
  }

  get releasing(): boolean {
    return this.releasingNow;
  }

  /** Transitions with actions run so far. */
  get count(): number {
    return this.transitionsRun;
  }

  get lastTransition(): Transition | undefined {
    return this.last;
  }

  /** An outside change: schedule again, with a fresh run budget. */
  changed(): void {
    // A new input while a transition runs aborts it, as Pacemaker's: actions not yet started are not
    // run, and the policy decides again with the input (seed 2215: g2 failed while g3 was recovered,
    // and g3 was started again on top of the dead g2).
    if (this.runningNow) this.abortRequested = true;
    this.dirtyNow = true;
    this.runs = 0;
    this.fenceBackoff.release(); // fencing that gave up tries again
  }

  /** This node abdicated: what it had left to schedule is the other DC's now. */
  drop(): void {
    this.dirtyNow = false;
  }

  /**
   * Shutdown (releaseLocal): no transition starts from now on, and only the
   * returned transition id still runs its actions.
   */
  beginRelease(): number {
    this.releasingNow = true;
    this.releaseTid = ++this.tid;
    return this.releaseTid;
  }

  /**
   * Starts a transition when one is due: `ready` (this node is the DC and waits for no join answer or
   * own action), something changed, none runs, and no hold (a differing view, failed fencing) is on.
   */
  startIfDue(ready: boolean): void {
    const mono = this.ports.monotonic();
    if (!ready || !this.dirtyNow || this.runningNow) return;
    if (mono < this.viewHoldUntil || mono < this.fenceBackoff.holdUntil) return;
    if (this.runs >= this.options.maxRuns) {
      this.dirtyNow = false;
      this.ports.log.error(
        { event: "transitions-exhausted", runs: this.runs },
        `${this.runs} transitions in a row did not settle the cluster; waiting for a change`,
      );
    } else this.start();
  }

  private start(): void {
    this.dirtyNow = false;
    const cib = this.ports.cib();
    const input = this.ports.policyInput(cib);
    const now = policyClock(this.ports.now());
    const t = schedule(input, now);
    this.last = t;
    this.recheckAt = nextRecheck(input, now, t);
    const graph = toGraph(t, cib, this.ports.shipped);
    if (graph.actions.every((a) => a.op === "pseudo")) return; // nothing to do: stable
    const saved = this.savePolicyInput(input, now);
    const tid = ++this.tid;
    this.runs++;
    this.transitionsRun++;
    this.runningNow = true;
    this.abortRequested = false;
    this.ports.log.info(
      {
        event: "transition",
        tid,
        summary: t.summary.map((s) => `${s.verb} ${s.rsc ?? ""} ${s.node}${s.to ? ` -> ${s.to}` : ""}`),
        ...(saved === undefined ? {} : { input: saved }),
      },
      `transition ${tid}: ${graph.actions.filter((a) => a.op !== "pseudo").length} action(s)`,
    );
    void runTransition(graph, (a) => this.runAction(tid, a)).then((res) => {
      this.runningNow = false;
      this.ports.log.info(
        { event: "transition-done", tid, complete: res.complete },
        `transition ${tid} ${res.complete ? "complete" : "aborted"}`,
      );
      this.dirtyNow = true; // check again: more to do, or stable
      this.ports.kick();
    });
    this.ports.kick(); // sync the status changes recorded so far
  }

  /** Saves a policy input through the port; a failure is logged, never fatal. */
  private savePolicyInput(cib: Cib, nowMs: number): string | undefined {
    try {
      return this.ports.savePolicyInput?.(cib, nowMs);
    } catch (e) {
      this.ports.log.error(
        { event: "pe-input-save-failed", err: (e as Error).message },
        `cannot save the policy input: ${(e as Error).message}`,
      );
      return undefined;
    }
  }

  /** DC, no transition running: the recheck time (failure-timeout, recheck interval) passed? Then schedule. */
  recheck(): void {
    if (!this.ports.isDc() || this.runningNow || this.recheckAt === undefined) return;
    if (this.ports.now() < this.recheckAt) return;
    this.recheckAt = undefined;
    this.ports.log.info(
      { event: "recheck" },
      "recheck: running the policy (a failure expired or the recheck interval passed)",
    );
    this.changed();
  }

  /** Remote actions at monotonic `mono`: lost ones time out, unanswered ones are sent again. */
  expire(mono: number): void {
    for (const [key, p] of this.pending)
      if (mono >= p.deadline) {
        this.pending.delete(key);
        p.resolve(synthetic(p.action, 1, "timeout", `no result from ${p.node}`));
      } else if (!this.ports.isDc()) {
        // Abdicated: the transition is over; the new DC probes what it needs (nothing is recorded).
        this.pending.delete(key);
        p.resolve(this.notRun(p.action, `${this.ports.localNode} is no longer the DC`));
      } else if (mono >= p.resendAt) {
        // Lost on the way (or its result was): the node runs it once and answers a repeat again.
        p.resends++;
        p.resendAt = mono + Math.min(OP_RESEND_MS * 2 ** p.resends, OP_RESEND_MAX_MS);
        this.ports.send(p.op, p.node);
      }
  }

  /** A `result` from `from` for an action we sent it; others (late, from another node) are ignored. */
  onResult(from: string, msg: ResultMessage): void {
    const key = `${msg.tid}:${msg.aid}`;
    const p = this.pending.get(key);
    if (p === undefined || p.node !== from) return;
    this.pending.delete(key);
    if (msg.differs === true) {
      // Views differ (a one-way partition): no start anywhere on this view; wait a DC wait, then
      // try again (the transition limit stops a lasting partition from looping).
      p.resolve(this.notRun(p.action, msg.reason));
      this.viewHoldUntil = this.ports.monotonic() + this.options.viewHoldMs;
      this.changed();
      return;
    }
    if (msg.refused === true) {
      // It has another DC (a healing partition): not a resource failure. Tell it our claim; the
      // transition aborts and runs again once one DC is left.
      const who = this.ports.localNode;
      p.resolve(this.notRun(p.action, `${from} refused: it does not take ${who} for its DC`));
      if (this.ports.isDc()) this.ports.claimTo(from);
      return;
    }
    p.resolve({ ...synthetic(p.action, msg.rc, msg.status, msg.reason), durationMs: msg.durationMs });
  }

  /**
   * Ends the actions sent to `node` that have no result yet: failed (it left), or not run (it acted as
   * DC: nothing is recorded).
   */
  failPendingOn(node: string, reason: string, notRun = false): void {
    for (const [key, p] of this.pending)
      if (p.node === node) {
        this.pending.delete(key);
        p.resolve(notRun ? this.notRun(p.action, reason) : synthetic(p.action, 1, "error", reason));
      }
  }

  /** Runs one action of transition `tid` (or of the shutdown's) and records its result. */
  async runAction(tid: number, a: GraphAction): Promise<ActionResult> {
    const refused = this.refusal(tid, a);
    if (refused !== undefined) return refused;
    if (a.op === "fence") return this.fenceAction(tid, a);
    let result: ActionResult;
    if (a.node === this.ports.localNode) result = await this.ports.execHere(actionRequest(a));
    else if (!this.ports.isActive(a.node)) result = synthetic(a, 1, "error", `node ${a.node} is not active`);
    else
      result = await this.remoteOp(
        a,
        a.node,
        (a.timeoutMs ?? 20_000) + this.options.opMarginMs,
        this.opFor(tid, a),
      );
    if (!this.undelivered.has(result)) this.record(a, result);
    return result;
  }

  /** The result of an action that is not run at all (pseudo, abdicated, aborted, shutting down), if so. */
  private refusal(tid: number, a: GraphAction): ActionResult | undefined {
    if (a.op === "pseudo") return synthetic(a, 0, "done", "pseudo action");
    const local = this.ports.localNode;
    // A DC that abdicated (two DCs met) must not go on with its transition: the other DC decides now
    // (found by the whole-cluster simulator, seed 14: the loser kept starting a group the winner knew
    // nothing of, and the winner later stopped its first member under the others).
    if (this.releasingNow && tid !== this.releaseTid) return this.notRun(a, `${local} is shutting down`);
    if (!this.ports.isDc() && !this.releasingNow) return this.notRun(a, `${local} is no longer the DC`);
    if (this.abortRequested && !this.releasingNow) return this.notRun(a, "aborted: a new input arrived");
    return undefined;
  }

  /** The `op` message asking a peer to run `a`. */
  private opFor(tid: number, a: GraphAction): OpMessage {
    return {
      k: "op",
      tid,
      aid: a.id,
      rsc: a.rsc,
      op: a.op,
      intervalMs: a.intervalMs ?? 0,
      agent: a.agent,
      ...(a.timeoutMs === undefined ? {} : { timeoutMs: a.timeoutMs }),
      ...(a.op === "start" ? { down: this.ports.downNodes() } : {}),
    };
  }

  /** Records a result in the status section (fail counts included) unless we stopped being DC or the node left. */
  private record(a: GraphAction, r: ActionResult): void {
    if (!this.ports.isDc()) return;
    // A node that left has its history cleared or re-probed when it returns: its lost actions are not failures.
    if (a.node !== this.ports.localNode && !this.ports.isActive(a.node)) return;
    const rc = recordedRc(r);
    this.ports.log.info(
      {
        event: "op-result",
        rsc: a.rsc,
        op: a.op,
        intervalMs: a.intervalMs ?? 0,
        node: a.node,
        rc,
        ms: Math.round(r.durationMs),
      },
      `${a.rsc} ${a.op}${a.intervalMs ? ` (${a.intervalMs} ms)` : ""} on ${a.node}: rc ${rc}${rc === (a.expectedRc ?? 0) ? "" : ` (${r.reason})`}`,
    );
    const cib = opFail(
      this.ports.cib(),
      { rsc: a.rsc, op: a.op, intervalMs: a.intervalMs ?? 0, node: a.node, rc },
      this.ports.now(),
    );
    this.ports.setStatus(cib);
  }

  /**
   * A `fence` action of a transition (DC). Another node is fenced from here
   * with the devices that can fence it; the DC itself is never fenced from
   * here: the lowest-named other active node is asked to do it (an `op` with
   * op "fence"), and without one the action fails. Success is recorded as
   * Pacemaker does (node down, history and transient attributes cleared);
   * failure aborts the transition and holds the next one back (doubling from
   * fenceRetryMinMs to fenceRetryMaxMs; after fenceMaxAttempts failures in a
   * row until an outside change).
   */
  private async fenceAction(tid: number, a: GraphAction): Promise<ActionResult> {
    const target = a.node;
    const action = a.agent.params?.action ?? "reboot";
    let r: ActionResult;
    if (target !== this.ports.localNode) {
      const f = await this.ports.fenceHere(target, action);
      r = { ...synthetic(a, f.ok ? 0 : 1, f.ok ? "done" : "error", f.reason), durationMs: f.durationMs };
    } else {
      const peer = [...this.ports.activeNodes()].sort()[0];
      r =
        peer === undefined
          ? synthetic(a, 1, "error", `${target} (the DC) must be fenced and no other active node can do it`)
          : await this.delegateFence(tid, a, peer);
    }
    if (!this.ports.isDc()) return r;
    if (r.rc === 0 && r.status === "done") {
      this.fenceBackoff.succeeded(target);
      this.ports.fenced(target);
      this.ports.setStatus(nodeFenced(this.ports.cib(), target));
    } else {
      const { attempts: n, waitMs: wait } = this.fenceBackoff.failed(target, this.ports.monotonic());
      this.ports.log.error(
        { event: "fence-failed", target, attempts: n, retryMs: wait, reason: r.reason },
        `fencing ${target} failed (${r.reason}); ${wait === null ? `${n} attempts: waiting for a change` : `retrying in ${wait} ms`}; its resources stay where they are`,
      );
    }
    return r;
  }

  /** DC: asks `peer` to fence the DC itself; resolves with its answer (or a timeout). */
  private delegateFence(tid: number, a: GraphAction, peer: string): Promise<ActionResult> {
    const cib = this.ports.cib();
    const timeout =
      devicesFor(cib, a.node).reduce((t, d) => t + fenceTimeoutMs(cib, d, "reboot"), 0) +
      this.options.opMarginMs;
    this.ports.log.warn(
      { event: "fence-delegated", target: a.node, peer },
      `asking ${peer} to fence ${a.node} (this DC)`,
    );
    return this.remoteOp(a, peer, timeout, {
      k: "op",
      tid,
      aid: a.id,
      rsc: a.node,
      op: "fence",
      intervalMs: 0,
      agent: a.agent,
      timeoutMs: timeout,
    });
  }

  /** Sends `op` to `node`; resolves with its `result`, or a timeout after `timeoutMs` (tick()). */
  private remoteOp(a: GraphAction, node: string, timeoutMs: number, op: OpMessage): Promise<ActionResult> {
    const tg = this.ports.generationOf?.(node);
    const msg = tg === undefined ? op : { ...op, tg };
    return new Promise<ActionResult>((resolve) => {
      const now = this.ports.monotonic();
      this.pending.set(`${op.tid}:${op.aid}`, {
        node,
        deadline: now + timeoutMs,
        resolve,
        action: a,
        op: msg,
        resendAt: now + OP_RESEND_MS,
        resends: 0,
      });
      this.ports.send(msg, node);
    });
  }

  /** A failed result for an action that never ran (refused, or lost with another DC): not recorded. */
  private notRun(a: GraphAction, reason: string): ActionResult {
    const r = synthetic(a, 1, "error", reason);
    this.undelivered.add(r);
    return r;
  }
}
