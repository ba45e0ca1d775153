/**
 * Recurring monitors: when an action `monitor` with an interval ends with rc 0
 * on a node, that node keeps running it every interval (local-ops.ts, on
 * exec/monitor.ts's MonitorScheduler, first rerun one interval later; one per
 * resource/op/interval, a new one replaces the old). They are cancelled before
 * a stop of the resource on that node, when a monitor of the same key fails
 * inside a transition, when the local node stops being active and at shutdown.
 *
 * This module: their failures (controller.ts composes it). A recurring
 * result other than rc 0 (or a timeout/error) on this node is sent to the DC
 * as `monitor-failed` (the DC handles its own directly) on every failed run
 * until the status this node holds (the DC's) shows that failure, so a report
 * lost with a dying DC reaches the next one. The DC ignores a failure its
 * status already shows; otherwise it records it with policy/inject opFail
 * (history entry plus fail count) and schedules: the policy engine restarts
 * in place, or moves after migration-threshold.
 */

import type { Cib } from "../cib/model.js";
import { opKey } from "../exec/monitor.js";
import type { ActionResult } from "../exec/types.js";
import { opFail } from "../policy/inject.js";
import type { AlertInput } from "./alerts.js";
import { findPrimitive } from "./crm-cib.js";
import type { CrmMessage } from "./crm-messages.js";
import type { NodeLogger } from "./node.js";
import { recordedRc } from "./transition-runner.js";

/** What the monitor-failure handling needs of its node (the controller and its local operations). */
export interface MonitorFailurePorts {
  readonly localNode: string;
  readonly log: NodeLogger;
  /** Wall-clock ms (the failure's timestamp). */
  readonly now: () => number;
  readonly send: (msg: CrmMessage, dest: string) => void;
  readonly alert?: ((e: AlertInput) => void) | undefined;
  /** Keys (opKey) of the failures this node reported and not yet saw succeed again (local-ops.ts). */
  readonly reported: Set<string>;
  /** A monitor found `rsc` not running here (local-ops.ts: newer than the start a join answer reports). */
  notRunning(rsc: string): void;
  cib(): Cib;
  /** Records a change of the status section. */
  setStatus(cib: Cib): void;
  isDc(): boolean;
  dc(): string | undefined;
  isActive(node: string): boolean;
  /** The DC's input changed: schedule again. */
  changed(): void;
  kick(): void;
}

/**
 * Whether the status section of `cib` shows recurring monitor `rsc`/`intervalMs` of `node` failed with
 * `rc` (its history entry is replaced by the next run's result, so a failure after a restart is a new one).
 */
export function failureRecorded(
  cib: Cib,
  node: string,
  rsc: string,
  intervalMs: number,
  rc: number,
): boolean {
  const ns = cib.status.find((s) => s.uname === node);
  const op = ns?.lrmResources
    .find((r) => r.id === rsc)
    ?.ops.find((o) => o.id === `${rsc}_monitor_${intervalMs}`);
  return op !== undefined && op.rcCode === rc;
}

export class MonitorFailures {
  constructor(private readonly ports: MonitorFailurePorts) {}

  /** A result of a recurring monitor of this node: a failure goes to the DC until its status shows it. */
  onResult(r: ActionResult): void {
    const p = this.ports;
    p.alert?.({ kind: "op", node: p.localNode, result: r });
    const key = opKey(r.rscId, r.op, r.intervalMs);
    if (r.status === "done" && r.rc === 0) {
      p.reported.delete(key);
      return;
    }
    const rc = recordedRc(r);
    // Found not running: newer than the start a join answer would otherwise report (seed 70: the DC,
    // asked again after a heal, recorded p1 running on n2 from its start after its monitor had failed).
    if (rc === 7) p.notRunning(r.rscId);
    // Sent on every failed run until the DC's status (replicated here) shows it, so a report lost
    // with a DC that died is made again to the next one; the DC ignores a failure it already has.
    if (failureRecorded(p.cib(), p.localNode, r.rscId, r.intervalMs, rc)) return;
    if (!p.reported.has(key))
      p.log.warn(
        { event: "monitor-failed", rsc: r.rscId, intervalMs: r.intervalMs, rc, reason: r.reason },
        `recurring monitor of ${r.rscId} (${r.intervalMs} ms) failed: rc ${rc}${r.reason ? ` (${r.reason})` : ""}`,
      );
    const dc = p.dc();
    if (p.isDc()) this.failed(p.localNode, r.rscId, r.intervalMs, rc, r.reason);
    else if (dc !== undefined)
      p.send({ k: "monitor-failed", rsc: r.rscId, intervalMs: r.intervalMs, rc, reason: r.reason }, dc);
    else return; // no DC to tell: try again on the next run
    p.reported.add(key);
    p.kick();
  }

  /** DC: a recurring monitor failed on `node`: record it (fail count included) and schedule. */
  failed(node: string, rsc: string, intervalMs: number, rc: number, reason: string): void {
    const p = this.ports;
    if (node !== p.localNode && !p.isActive(node)) return;
    if (findPrimitive(p.cib(), rsc) === undefined) return;
    if (failureRecorded(p.cib(), node, rsc, intervalMs, rc)) return; // a report sent again
    p.log.warn(
      { event: "op-result", rsc, op: "monitor", intervalMs, node, rc, recurring: true },
      `${rsc} monitor (${intervalMs} ms) on ${node}: rc ${rc}${reason ? ` (${reason})` : ""}`,
    );
    p.setStatus(opFail(p.cib(), { rsc, op: "monitor", intervalMs, node, rc }, p.now()));
    p.changed();
  }
}
