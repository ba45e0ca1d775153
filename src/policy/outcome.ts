/**
 * What a transition leaves behind, per primitive: where it ends up (merged
 * over clone instances, with its unmanaged/failed/blocked flags) and the
 * actions Pacemaker's graph keeps although they can never run. Pure.
 */
import type { Plan } from "./actions.js";
import type { Action, InertAction, Placement, PlacementReason } from "./types.js";
import type { WNode, World, WPrim } from "./unpack.js";

/** One placement per primitive id, in CIB order. */
export function placementsOf(
  world: World,
  plans: ReadonlyMap<string, Plan>,
  frozen: boolean,
  fencedSet: ReadonlySet<number>,
  stuck: ReadonlySet<string> = new Set(),
): Placement[] {
  const N = world.nodes;
  const uname = (n: number): string => (N[n] as WNode).uname;
  const planOf = (p: WPrim): Plan => plans.get(p.id) as Plan;
  const placements: Placement[] = [];
  const byBase = new Map<string, WPrim[]>();
  for (const p of world.prims) byBase.set(p.base, [...(byBase.get(p.base) ?? []), p]);
  for (const [base, insts] of byBase) {
    const nodes = new Set<string>();
    const assigned = new Set<string>();
    let reason: PlacementReason = "no-node";
    let unmanaged = false;
    let failed = false;
    let blocked = false;
    for (const p of insts) {
      const plan = planOf(p);
      if (plan.target !== null) assigned.add(uname(plan.target));
      if (frozen) {
        for (const n of p.running) nodes.add(uname(n));
        reason = "startup-disabled";
      } else if (!p.managed) {
        for (const n of p.running) nodes.add(uname(n));
        unmanaged = true;
        blocked ||= p.blocked;
        failed ||= p.blocked || p.failedOn.size > 0;
        reason = p.blocked ? "blocked" : "unmanaged";
      } else {
        // a start or stop that never runs (on or after a loop of orders) leaves it where it was
        const never = (op: string, n: number): boolean => stuck.has(`${op} ${p.id} ${n}`);
        if (plan.target !== null && plan.runnable && !never("start", plan.target))
          nodes.add(uname(plan.target));
        for (const n of plan.stops)
          if (never("stop", n)) {
            nodes.add(uname(n));
            if (p.failedOn.has(n)) failed = true;
          }
        for (const n of plan.stops) if ((N[n] as WNode).unclean && !fencedSet.has(n)) nodes.add(uname(n));
        if (plan.stopBlocked) for (const n of p.running) nodes.add(uname(n));
        // a failed instance whose recovery cannot stop it (a later group member stays) stays failed
        if (plan.stopBlocked && p.running.some((n) => p.failedOn.has(n))) failed = true;
        if (plan.target !== null && plan.runnable) reason = "assigned";
        else if (reason !== "assigned")
          reason = p.stopTarget
            ? (p.stopReason ?? "target-role")
            : plan.target !== null
              ? "start-blocked"
              : "no-node";
      }
    }
    const sorted = [...nodes].sort();
    placements.push({
      rsc: base,
      role: sorted.length > 0 ? "Started" : "Stopped",
      nodes: sorted,
      assigned: [...assigned].sort(),
      reason,
      unmanaged,
      failed,
      blocked,
    });
  }
  return placements;
}

/** The starts (and monitors) Pacemaker's graph keeps although they can never run. */
export function inertActions(
  world: World,
  plans: ReadonlyMap<string, Plan>,
  why: ReadonlyMap<string, "coloc" | "stall">,
  prevOf: (p: WPrim) => WPrim | undefined,
  implied: readonly WPrim[] = [],
): InertAction[] {
  const out: InertAction[] = [];
  const startAt = new Map<string, number>();
  const uname = (n: number): string => (world.nodes[n] as WNode).uname;
  const start = (p: WPrim, node: number, after: number[]): number => {
    const known = startAt.get(p.id);
    if (known !== undefined) return known;
    const i = out.push({ op: "start", rsc: p.base, node: uname(node), intervalMs: 0, after }) - 1;
    startAt.set(p.id, i);
    return i;
  };
  // a running unmanaged group member after one that starts, or after one with an implied start:
  // its implied start (never run), unless a later member is unmanaged and stopped (crm_simulate
  // then lists none: found by the random comparison, seed 17)
  const stoppedUnmanagedAfter = (p: WPrim): boolean => {
    const g = p.groupId === undefined || p.cloneId !== undefined ? undefined : world.groups.get(p.groupId);
    const later = g === undefined ? [] : g.members.slice(g.members.indexOf(p) + 1);
    return later.some((q) => !q.managed && !q.blocked && q.running.length === 0);
  };
  for (const p of world.prims) {
    const prev = prevOf(p);
    const pp = prev === undefined ? undefined : plans.get(prev.id);
    const at = p.running[0];
    if (p.managed || p.blocked || at === undefined || pp === undefined || prev === undefined) continue;
    // after a managed member only on the node it starts on (a member left on a standby node gets
    // none); after another implied start wherever it runs
    const chained = prev.managed ? pp.startNeeded && pp.runnable && pp.target === at : startAt.has(prev.id);
    if (chained && !stoppedUnmanagedAfter(p)) start(p, at, []);
  }
  // a running unmanaged "then" of an order whose "first" starts: its implied start (never run)
  for (const p of implied) if (p.running[0] !== undefined) start(p, p.running[0], []);
  for (const p of world.prims) {
    const kind = why.get(p.id);
    const target = plans.get(p.id)?.target;
    if (kind === undefined || target === null || target === undefined) continue;
    if (kind === "coloc") {
      // its recurring monitors were created while the start was still runnable
      const s = start(p, target, []);
      for (const op of p.cfg.operations)
        if (op.name === "monitor" && op.intervalMs > 0 && op.enabled !== false)
          out.push({
            op: "monitor",
            rsc: p.base,
            node: uname(target),
            intervalMs: op.intervalMs,
            after: [s],
          });
      continue;
    }
    const prev = prevOf(p);
    if (prev === undefined) continue;
    // an unmanaged one's implied start is where it runs, a managed one's start where it goes
    const prevAt = (prev.managed ? plans.get(prev.id)?.target : prev.running[0]) ?? prev.running[0] ?? target;
    const before = startAt.get(prev.id) ?? start(prev, prevAt, []);
    start(p, target, [before]);
  }
  return out;
}

/**
 * The edges of stalled starts (never run, listed by Pacemaker's graph): each waits for its own stop
 * (a move or recovery) and, when an order stalled it, for the starts, real or implied, of the members
 * of that order's "first" (`firstsOf`, by primitive id).
 */
export function linkStalledStarts(
  inert: readonly InertAction[],
  actions: readonly Action[],
  isStall: (rsc: string) => boolean,
  firstsOf: ReadonlyMap<string, readonly WPrim[]>,
): InertAction[] {
  return inert.map((a) => {
    if (a.op !== "start" || !isStall(a.rsc)) return a;
    const bases = new Set((firstsOf.get(a.rsc) ?? []).map((f) => f.base));
    const ids = actions
      .filter((x) => (x.op === "start" && bases.has(x.rsc ?? "")) || (x.op === "stop" && x.rsc === a.rsc))
      .map((x) => x.id);
    const implied = inert.flatMap((x, i) =>
      x.op === "start" && bases.has(x.rsc) && !a.after.includes(i) ? [i] : [],
    );
    const withImplied = implied.length > 0 ? { ...a, after: [...a.after, ...implied] } : a;
    return ids.length > 0 ? { ...withImplied, afterActions: ids } : withImplied;
  });
}
