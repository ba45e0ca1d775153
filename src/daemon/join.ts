/**
 * The join step of a new DC (Pacemaker's controller does the same when a
 * node joins: it sends its own resource history). A new DC's copy of the
 * status may be behind what another live node actually did (the old DC died
 * before its update reached us; simulator seed 358: n3, the new DC, started
 * p1 while n2 ran it). So the new DC asks every live node for the last
 * one-shot action it ran per resource (`join-query`), and reconciles its copy
 * with each answer (`join-state`) before it schedules; a node that does not
 * answer within the DC wait is decided without (its answer still corrects the
 * copy later).
 *
 * Pure: CIB values in and out.
 */
import type { Cib } from "../cib/model.js";
import { opFail } from "../policy/inject.js";

/** The last one-shot action a node ran per resource: [resource, op, rc]. */
export type LastActions = readonly (readonly [string, string, number])[];

/** Whether `op` ending with `rc` leaves the resource running (true), stopped (false), or says nothing. */
export function leavesRunning(op: string, rc: number): boolean | undefined {
  if (op === "start") return true; // even a failed start may leave it running: recorded, recovered
  if (op === "stop") return rc === 0 ? false : undefined;
  if (op === "monitor") return rc === 0 ? true : rc === 7 ? false : undefined;
  return undefined;
}

/**
 * `cib` with `node`'s own account recorded where it differs from what the
 * copy shows (`shown`: resources the copy has running on `node`); what the
 * copy shows running there that the node never ran is forgotten (probed).
 * `known`: resources configured (others are ignored).
 */
export function reconcileNode(
  cib: Cib,
  node: string,
  last: LastActions,
  shown: ReadonlySet<string>,
  known: (rsc: string) => boolean,
  nowMs: number,
): { cib: Cib; changed: string[] } {
  let out = cib;
  const changed: string[] = [];
  for (const [rsc, op, rc] of last) {
    if (!known(rsc)) continue;
    const running = leavesRunning(op, rc);
    // What the copy already records as the last action is not recorded again (a failed start twice
    // would count two failures).
    if (running === undefined || lastShown(cib, node, rsc, op, rc)) continue;
    // A failed start is recorded though the copy shows the resource running (seed 6847: a start still
    // running was counted as running; it then failed, and the new DC started the next member on top).
    const failedStart = op === "start" && rc !== 0;
    if (running === shown.has(rsc) && !failedStart) continue;
    out = opFail(out, { rsc, op, intervalMs: 0, node, rc }, nowMs);
    changed.push(rsc);
  }
  // Shown running there but never run by that hbd (it restarted since: seed 590): the record is an
  // older incarnation's; forgotten, so the resource is probed there again.
  const touched = new Set(last.map(([rsc]) => rsc));
  const unknown = [...shown].filter((rsc) => !touched.has(rsc));
  if (unknown.length > 0) {
    out = {
      ...out,
      status: out.status.map((ns) =>
        ns.uname === node
          ? { ...ns, lrmResources: ns.lrmResources.filter((r) => !unknown.includes(r.id)) }
          : ns,
      ),
    };
    changed.push(...unknown);
  }
  return { cib: out, changed };
}

/** Whether the copy's last one-shot entry of `rsc` on `node` is `op` ending with `rc`. */
function lastShown(cib: Cib, node: string, rsc: string, op: string, rc: number): boolean {
  const ns = cib.status.find((x) => x.uname === node);
  const last = ns?.lrmResources.find((r) => r.id === rsc)?.ops.find((o) => o.id === `${rsc}_last_0`);
  return last !== undefined && last.operation === op && last.rcCode === rc;
}

/** A `join-state` payload's `last` field, checked; undefined when malformed. */
export function parseLastActions(v: unknown): LastActions | undefined {
  if (!Array.isArray(v)) return undefined;
  for (const e of v)
    if (
      !Array.isArray(e) ||
      e.length !== 3 ||
      typeof e[0] !== "string" ||
      typeof e[1] !== "string" ||
      typeof e[2] !== "number"
    )
      return undefined;
  return v as LastActions;
}
