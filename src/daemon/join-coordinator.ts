/**
 * The join (controller.ts composes it; daemon/join.ts holds what a join answer
 * is and how it is reconciled, join-wait.ts whose answer counts). A new DC, a
 * DC that stays when two DCs meet, and a DC whose peer becomes active ask what
 * each peer last ran per resource (`join-query` / `join-state`) and wait for
 * the answers, at most the DC wait, before the next transition; a peer answers
 * once the actions running on it have ended. The new DC's own node is
 * reconciled the same way, after the actions running here have ended.
 */

import type { Cib } from "../cib/model.js";
import { opFail } from "../policy/inject.js";
import { findPrimitive, resourceReports } from "./crm-cib.js";
import type { CrmMessage } from "./crm-messages.js";
import { type LastActions, leavesRunning, reconcileNode } from "./join.js";
import { JoinWait } from "./join-wait.js";
import type { NodeLogger } from "./node.js";

/** What runs on this node, as the join needs it (local-ops.ts). */
export interface LocalState {
  /** Actions run here now. */
  readonly busy: boolean;
  /** Resources whose start runs here now. */
  readonly starting: ReadonlySet<string>;
  /** The last one-shot action per resource run here. */
  lastActions(): LastActions;
  /** Resolves once the actions running here now have ended. */
  drain(): Promise<void>;
}

/** What the join needs of its node (the controller). */
export interface JoinPorts {
  readonly localNode: string;
  readonly log: NodeLogger;
  readonly now: () => number;
  readonly monotonic: () => number;
  readonly send: (msg: CrmMessage, dest: string) => void;
  /** How long the DC waits for join answers. */
  readonly dcWaitMs: number;
  readonly shipped: ReadonlySet<string>;
  readonly local: LocalState;
  cib(): Cib;
  /** Records a change of the status section. */
  setStatus(cib: Cib): void;
  isDc(): boolean;
  /** Live peers: active, and present but not yet active (a restarting hbd may have run what the old DC asked). */
  livePeers(): string[];
  /** The DC's input changed: schedule again. */
  changed(): void;
  kick(): void;
}

/** Resources the copy `cib` shows running on `node`. */
export function runningOn(cib: Cib, node: string, shipped: ReadonlySet<string>): Set<string> {
  return new Set(
    resourceReports(cib, shipped)
      .filter((r) => r.running.includes(node))
      .map((r) => r.id),
  );
}

export class JoinCoordinator {
  /** The peers whose join answer the DC waits for before the next transition. */
  private readonly joinWait = new JoinWait();
  /** A new DC waits for the actions running here before its first transition (awaitOwnOps). */
  private ownOpsPending = false;
  private ownWaitEpoch = 0;

  constructor(private readonly ports: JoinPorts) {}

  /** The DC waits for a join answer or for its own actions: no transition yet. */
  get waiting(): boolean {
    return this.joinWait.waiting || this.ownOpsPending;
  }

  /** Every live peer (new DC), or the nodes that join (`only`), tells what it last ran before the next transition. */
  ask(only?: readonly string[]): void {
    const peers = only ?? this.ports.livePeers();
    const until = this.ports.monotonic() + this.ports.dcWaitMs;
    for (const [p, j] of this.joinWait.ask(peers, until, only !== undefined))
      this.ports.send({ k: "join-query", j }, p);
  }

  /** A lost node: nothing to wait for from it. True when the DC waited for it. */
  forget(node: string): boolean {
    return this.joinWait.forget(node);
  }

  /** The wait at monotonic `mono`: over for good when this node is not DC; logs who did not answer. */
  expire(mono: number): void {
    const isDc = this.ports.isDc();
    const missing = this.joinWait.expire(mono, !isDc);
    if (missing !== undefined && isDc)
      this.ports.log.warn(
        { event: "join-timeout", peers: missing },
        `no join answer from ${missing.join(", ")}; deciding without`,
      );
  }

  /** DC: a join answer it still waits for is recorded; a late or repeated one is not (join-wait.ts). */
  onAnswer(from: string, j: number | undefined, last: LastActions): void {
    if (!this.joinWait.answer(from, j)) {
      this.ports.log.debug(
        { event: "join-state-stale", peer: from, j },
        `ignoring an old join answer from ${from}`,
      );
      return;
    }
    this.record(from, last);
    if (!this.joinWait.waiting) this.ports.kick();
  }

  private record(from: string, last: LastActions): void {
    const cib = this.ports.cib();
    const shown = runningOn(cib, from, this.ports.shipped);
    const known = (rsc: string) => findPrimitive(cib, rsc) !== undefined;
    const r = reconcileNode(cib, from, last, shown, known, this.ports.now());
    if (r.changed.length === 0) return;
    this.ports.log.info(
      { event: "join-state", peer: from, resources: r.changed },
      `${from} ran what the status did not show: ${r.changed.join(", ")}; recorded before deciding`,
    );
    this.ports.setStatus(r.cib);
    this.ports.changed();
  }

  /** A join query: answered once the actions running here have ended (their results are our truth). */
  async answer(from: string, j: number | undefined): Promise<void> {
    await this.ports.local.drain();
    const last = this.ports.local.lastActions();
    this.ports.send(j === undefined ? { k: "join-state", last } : { k: "join-state", last, j }, from);
  }

  /**
   * What this node knows of itself, before it decides as the new DC (its own join answer, join.ts):
   * a resource it last stopped that the status shows running is recorded stopped (seed 85: the policy
   * started a group's later members on top of a stopped first one); one it started that the status
   * does not show is recorded started (seed 1003: the new DC started g3 elsewhere while it ran here);
   * one the status shows running that this hbd never ran is probed again (seed 65).
   */
  withOwnAccount(cib: Cib): Cib {
    const p = this.ports;
    const shown = runningOn(cib, p.localNode, p.shipped);
    // A start still running here counts as running (seed 5208: the old DC's start of p2 here had not
    // ended when this node became DC, and the new DC started p2 on n2 too).
    const starting = [...p.local.starting].map((rsc) => [rsc, "start", 0] as const);
    const last = [...p.local.lastActions(), ...starting];
    const known = (rsc: string) => findPrimitive(cib, rsc) !== undefined;
    const r = reconcileNode(cib, p.localNode, last, shown, known, p.now());
    if (r.changed.length > 0)
      p.log.info(
        { event: "local-state", resources: r.changed },
        `the status differs from what ran here: ${r.changed.join(", ")}; recorded (or probed) before deciding`,
      );
    return r.cib;
  }

  /**
   * A new DC decides only once the actions running here have ended, as a peer's join answer waits for
   * its own (seed 965: n2 became DC while the old DC's start of g1 ran here; the start, counted as
   * running, let the new DC start g2 before g1 was up). Then its own account is taken again: the
   * results are in. Local actions are bounded by their timeouts.
   */
  awaitOwnOps(): void {
    const p = this.ports;
    const epoch = ++this.ownWaitEpoch; // an earlier wait, still pending, no longer counts
    this.ownOpsPending = p.local.busy;
    if (!this.ownOpsPending) return;
    void p.local.drain().then(() => {
      if (epoch !== this.ownWaitEpoch) return;
      this.ownOpsPending = false;
      if (!p.isDc()) return;
      p.setStatus(this.withOwnAccount(p.cib()));
      p.changed();
      p.kick();
    });
  }

  /**
   * `cib` plus the starts this node ran, or runs now, that it does not show yet (the DC's status update
   * was not received): what runs here is stopped at shutdown even then.
   */
  withLocalStarts(cib: Cib): Cib {
    const p = this.ports;
    const shown = runningOn(cib, p.localNode, p.shipped);
    let out = cib;
    const starting: LastActions = [...p.local.starting].map((rsc) => [rsc, "start", 0] as const);
    for (const [rsc, op, rc] of [...p.local.lastActions(), ...starting]) {
      if (leavesRunning(op, rc) !== true || shown.has(rsc) || findPrimitive(cib, rsc) === undefined) continue;
      shown.add(rsc);
      out = opFail(out, { rsc, op, intervalMs: 0, node: p.localNode, rc }, p.now());
    }
    return out;
  }
}
