/**
 * The decisions of a transition, before any action exists: what each primitive
 * (clone instance) needs (stops, a start, a restart), which of its starts may
 * run (quorum, mandatory orders, group chains, colocations with what cannot
 * start, fencing), and crm_simulate's Transition Summary of them. The action
 * graph is built from them in actions.ts; `isStable` needs only the summary of
 * a second run (scheduleSummary), so it builds no graph. Pure.
 */
import type { ColocationConstraint, OrderConstraint } from "../cib/model.js";
import { INFINITY } from "../cib/score.js";
import { resolve } from "./assign.js";
import type { SummaryItem } from "./types.js";
import { available, type WNode, type World, type WPrim } from "./unpack.js";

/** What the transition does with one primitive (or clone instance). */
export interface Plan {
  readonly p: WPrim;
  readonly target: number | null;
  /** Nodes it is stopped on. */
  readonly stops: Set<number>;
  /** A real start on `target` is needed (not merely staying). */
  startNeeded: boolean;
  /** Its start (real or implied by staying) may run. */
  runnable: boolean;
  restart: boolean;
  /** Wanted to stop but may not (a later group member will not stop): stays where it is. */
  stopBlocked: boolean;
}

/** The plans and what the action graph needs to know of how they were decided. */
export interface Decided {
  /** stonith-enabled without a fencing device: nothing is managed. */
  readonly frozen: boolean;
  /** Nodes fenced, in fencing order (the DC last). */
  readonly fenced: readonly WNode[];
  readonly fencedSet: ReadonlySet<number>;
  readonly plans: ReadonlyMap<string, Plan>;
  readonly planOf: (p: WPrim) => Plan;
  readonly managed: (p: WPrim) => boolean;
  /** The primitives (instances) of a resource id. */
  readonly membersOf: (id: string) => WPrim[];
  /** The group member placed before `p`. */
  readonly prevOf: (p: WPrim) => WPrim | undefined;
  /** Starts Pacemaker keeps in its graph although they cannot run: why. */
  readonly inertWhy: ReadonlyMap<string, "coloc" | "stall">;
  /** A stalled start's inert predecessor when it is not the group predecessor. */
  readonly stallAfter: ReadonlyMap<string, WPrim>;
  /** ... and the members of that order's "first" (by primitive id). */
  readonly stallFirsts: ReadonlyMap<string, readonly WPrim[]>;
  /** The symmetrical mandatory start orders (the first listed of each pair). */
  readonly symmetrical: readonly OrderConstraint[];
  readonly startingNow: (q: WPrim) => boolean;
}

/** Decides the plans of an assigned World (orders and colocations as configured). */
export function decidePlans(
  world: World,
  orders: readonly OrderConstraint[],
  colocations: readonly ColocationConstraint[] = [],
): Decided {
  const N = world.nodes;
  const frozen = world.stonithEnabled && !world.haveStonithDevice;
  const canFence =
    world.stonithEnabled &&
    world.haveStonithDevice &&
    (world.haveQuorum || world.noQuorumPolicy === "ignore");
  // the DC is fenced last (Pacemaker orders its fencing after every other node's)
  const isDc = (n: WNode): boolean => n.attrs["#is_dc"] === "true";
  const fenced = N.filter((n) => n.unclean && canFence).sort((a, b) => Number(isDc(a)) - Number(isDc(b)));
  const fencedSet = new Set(fenced.map((n) => n.idx));

  // ---- plans
  const plans = new Map<string, Plan>();
  for (const p of world.prims) {
    const target = p.assigned;
    const stops = new Set<number>();
    let startNeeded = false;
    let restart = false;
    if (!frozen && p.managed) {
      const single = p.running.length <= 1;
      for (const n of p.running) if (n !== target || p.failedOn.has(n) || !single) stops.add(n);
      startNeeded = target !== null && (!p.running.includes(target) || stops.has(target));
      restart = !single && target !== null && p.running.includes(target);
    }
    plans.set(p.id, { p, target, stops, startNeeded, runnable: false, restart, stopBlocked: false });
  }
  const planOf = (p: WPrim): Plan => plans.get(p.id) as Plan;
  const managed = (p: WPrim): boolean => !frozen && p.managed;

  // members of an order endpoint
  const membersOf = (id: string): WPrim[] => {
    const t = resolve(world, id);
    if (t === undefined) return [];
    if (t.kind === "prim") return [t.p];
    if (t.kind === "group") return t.g.members;
    return t.c.instances.flat();
  };
  // two orders between the same actions: the first listed wins (2.1.5 order_actions keeps the
  // first ordering of a pair), so an Optional one listed earlier disarms a later Mandatory one
  const firstOfPair = new Map<string, OrderConstraint>();
  for (const o of orders) {
    const k = JSON.stringify([o.first, o.firstAction, o.then, o.thenAction]);
    if (!firstOfPair.has(k)) firstOfPair.set(k, o);
  }
  const mandatory = [...firstOfPair.values()].filter(
    (o) => o.kind === "Mandatory" && o.firstAction === "start" && o.thenAction === "start",
  );
  const ordersInto = new Map<string, OrderConstraint[]>();
  for (const o of mandatory)
    for (const m of membersOf(o.then)) ordersInto.set(m.id, [...(ordersInto.get(m.id) ?? []), o]);
  /** Every start-then-start order (Optional too: it binds when both starts are in the graph), by "then" member. */
  const startOrdersInto = new Map<string, OrderConstraint[]>();
  for (const o of firstOfPair.values())
    if (o.kind !== "Serialize" && o.firstAction === "start" && o.thenAction === "start")
      for (const m of membersOf(o.then)) startOrdersInto.set(m.id, [...(startOrdersInto.get(m.id) ?? []), o]);
  /** The group member `delta` places away from `p` (within its clone instance for cloned groups). */
  const neighbour = (p: WPrim, delta: 1 | -1): WPrim | undefined => {
    if (p.groupId === undefined) return undefined;
    if (p.cloneId !== undefined) {
      const c = world.clones.get(p.cloneId);
      for (let k = 0; c && k < c.instances.length; k++) {
        const j = (c.instances[k] ?? []).indexOf(p);
        if (j >= 0) return c.instances[k + delta]?.[j];
      }
      return undefined;
    }
    const g = world.groups.get(p.groupId);
    const i = g ? g.members.indexOf(p) : -1;
    return i >= 0 ? g?.members[i + delta] : undefined;
  };
  const prevOf = (p: WPrim): WPrim | undefined => neighbour(p, -1);
  /**
   * INFINITY colocations: dependent (first member of a group) -> the primaries, each as its members
   * (one for a primitive): 2.1.5 pcmk__block_colocated_starts blocks the dependent's start only
   * when every member of the primary has an unrunnable start.
   */
  const colocPrimaries = new Map<string, WPrim[][]>();
  for (const c of colocations) {
    if (c.score < INFINITY) continue;
    const d = resolve(world, c.rsc);
    const r = resolve(world, c.withRsc);
    if (d === undefined || r === undefined || d.kind === "clone" || r.kind === "clone") continue;
    const dep = d.kind === "prim" ? d.p : d.g.members[0];
    if (dep === undefined) continue;
    colocPrimaries.set(dep.id, [
      ...(colocPrimaries.get(dep.id) ?? []),
      r.kind === "prim" ? [r.p] : r.g.members,
    ]);
  }
  const nextOf = (p: WPrim): WPrim | undefined => neighbour(p, 1);
  /** A group member cannot stop while a later active member will not stop (unmanaged, or itself blocked). */
  const blockedStop = (p: WPrim): boolean => {
    const q = nextOf(p);
    return q !== undefined && q.running.length > 0 && (!managed(q) || blockedStop(q));
  };
  for (const plan of plans.values())
    if (managed(plan.p) && plan.stops.size > 0 && blockedStop(plan.p)) {
      plan.stops.clear();
      plan.startNeeded = false;
      plan.stopBlocked = true;
    }

  // ---- runnability of starts (quorum, unrunnable stops, group chain, mandatory orders)
  const quorumOk = (p: WPrim): boolean =>
    world.haveQuorum ||
    world.noQuorumPolicy === "ignore" ||
    (world.noQuorumPolicy === "freeze" && p.running.length > 0);
  const memo = new Map<string, boolean>();
  /** Starts Pacemaker keeps in its graph although they cannot run: why. */
  const inertWhy = new Map<string, "coloc" | "stall">();
  /** A stalled start's inert predecessor when it is not the group predecessor (an order's stalled "first"). */
  const stallAfter = new Map<string, WPrim>();
  /** ... and the members of that "first", whose starts it waits for too (by primitive id). */
  const stallFirsts = new Map<string, readonly WPrim[]>();
  /** An unmanaged running member whose predecessor starts: its implied start never happens. */
  const stalls = (q: WPrim): boolean => {
    if (inertWhy.get(q.id) === "stall") return true;
    const pp = prevOf(q);
    return (
      !managed(q) &&
      q.running.length > 0 &&
      !q.blocked &&
      pp !== undefined &&
      (managed(pp) ? planOf(pp).startNeeded && runnable(pp) : stalls(pp))
    );
  };
  const visiting = new Set<string>();
  /** The "first" of a mandatory order will be active (any instance of a clone, every member otherwise). */
  const firstWillRun = (o: OrderConstraint): boolean => {
    const t = resolve(world, o.first);
    if (t === undefined) return true;
    const firsts = membersOf(o.first);
    // a stalled start is runnable to the scheduler (it only never runs): "then" waits for it, stalled too
    const runs = (q: WPrim): boolean => willRun(q) || stalls(q);
    return t.kind === "clone" ? firsts.some(willRun) : firsts.every(runs);
  };
  const runnable = (p: WPrim): boolean => {
    const known = memo.get(p.id);
    if (known !== undefined) return known;
    if (visiting.has(p.id)) return true;
    visiting.add(p.id);
    const plan = planOf(p);
    let ok =
      plan.target !== null &&
      managed(p) &&
      !plan.stopBlocked &&
      available(N[plan.target] as WNode) &&
      quorumOk(p);
    if (ok && [...plan.stops].some((n) => (N[n] as WNode).unclean && !fencedSet.has(n))) ok = false;
    const prev = prevOf(p);
    if (ok && prev !== undefined) {
      ok = willRun(prev);
      // after a managed member whose start stalls (in Pacemaker's graph, never run), this start is in
      // the graph too, waiting for it: stalled as well (random seed 316)
      if (!ok && plan.startNeeded && managed(prev) && inertWhy.get(prev.id) === "stall")
        inertWhy.set(p.id, "stall");
    }
    if (ok && plan.startNeeded && prev !== undefined && stalls(prev)) {
      ok = false;
      inertWhy.set(p.id, "stall");
    }
    for (const o of ok ? (ordersInto.get(p.id) ?? []) : []) {
      // an asymmetrical order only gates a start: a "then" that stays where it runs is left alone
      if (!o.symmetrical && !plan.startNeeded) continue;
      if (!firstWillRun(o)) ok = false;
    }
    // after a "first" group whose running unmanaged member stalls (its implied start never runs),
    // or a "first" whose start stalls, Mandatory or Optional: the start waits for it in Pacemaker's
    // graph and never runs either
    for (const o of ok && plan.startNeeded ? (startOrdersInto.get(p.id) ?? []) : []) {
      const kind = resolve(world, o.first)?.kind;
      if (kind === "clone" || (kind === "prim" && !membersOf(o.first).some(stalls))) continue;
      const firsts = membersOf(o.first);
      const stalled = firsts.filter(stalls).at(-1);
      if (stalled === undefined || inertWhy.has(p.id)) continue;
      ok = false;
      inertWhy.set(p.id, "stall");
      stallAfter.set(p.id, stalled);
      stallFirsts.set(p.base, firsts);
    }
    // a start that cannot happen blocks the starts of what is colocated with it at INFINITY
    // (2.1.5 pcmk__block_colocated_starts)
    if (ok && plan.startNeeded)
      for (const members of colocPrimaries.get(p.id) ?? [])
        if (ok && members.length > 0 && members.every((q, _, all) => unrunnableStart(q, all.length > 1))) {
          ok = false;
          inertWhy.set(p.id, "coloc");
        }
    visiting.delete(p.id);
    memo.set(p.id, ok);
    return ok;
  };
  /**
   * Has a start the scheduler marks unrunnable (a stalled start is runnable to it: it only never
   * runs); a group member placed nowhere has one too, an unmanaged one none that is unrunnable.
   */
  const unrunnableStart = (q: WPrim, inGroup: boolean): boolean =>
    managed(q) && (planOf(q).target === null ? inGroup : !runnable(q) && inertWhy.get(q.id) !== "stall");
  /**
   * Will be active after the transition. An unmanaged one counts where it runs, unless it failed
   * (blocked) or, in a group, a predecessor will not run: its implied start cannot happen.
   */
  const willRun = (p: WPrim): boolean => {
    if (managed(p)) return runnable(p) || (planOf(p).stopBlocked && p.running.length > 0);
    if (p.running.length === 0 || p.blocked) return false;
    const prev = prevOf(p);
    return prev === undefined || willRun(prev);
  };
  for (const plan of plans.values()) plan.runnable = managed(plan.p) && runnable(plan.p);

  // a start that may not run: stay stopped; a resource staying put must stop
  for (const plan of plans.values()) {
    if (!managed(plan.p) || plan.target === null || plan.runnable) continue;
    if (plan.p.running.includes(plan.target)) {
      if (blockedStop(plan.p)) plan.stopBlocked = true;
      else plan.stops.add(plan.target);
    }
    plan.startNeeded = false;
  }

  // ---- restarts: a stopping group member stops the later ones, a stopping `first` of a
  // symmetrical mandatory order stops its `then`; those that stay placed start again
  const stopping = (p: WPrim): boolean => planOf(p).stops.size > 0;
  const startingNow = (q: WPrim): boolean => planOf(q).startNeeded && planOf(q).runnable;
  /** Placed elsewhere but its stop is blocked: Pacemaker still restarts what follows it in the group. */
  const stuckMove = (q: WPrim): boolean => {
    const plan = planOf(q);
    return (
      plan.stopBlocked && plan.target !== null && q.running.length > 0 && !q.running.includes(plan.target)
    );
  };
  const restart = (p: WPrim): boolean => {
    const plan = planOf(p);
    if (
      !managed(p) ||
      plan.startNeeded ||
      !plan.runnable ||
      plan.target === null ||
      !p.running.includes(plan.target)
    )
      return false;
    if (blockedStop(p)) {
      // the restart it needs cannot stop it (a later member stays): Pacemaker reports a blocked stop
      plan.stopBlocked = true;
      return false;
    }
    plan.stops.add(plan.target);
    // after a member whose start stalls (an unmanaged member's implied start, never run), the start of
    // the restart is in Pacemaker's graph waiting for it and never runs either (random seed 1869)
    const prev = prevOf(p);
    if (prev !== undefined && stalls(prev)) {
      plan.runnable = false;
      plan.startNeeded = true;
      plan.restart = true;
      inertWhy.set(p.id, "stall");
      return true;
    }
    // the start of the restart is gated like any start: by an asymmetrical mandatory order whose
    // "first" will not run (left alone while it only stayed): it stops and stays stopped (random seed 1726)
    if ((ordersInto.get(p.id) ?? []).some((o) => !o.symmetrical && !firstWillRun(o))) {
      plan.runnable = false;
      gatedRestarts.add(p.id);
      return true;
    }
    plan.startNeeded = true;
    plan.restart = true;
    return true;
  };
  /** Restarts whose start an asymmetrical order blocks (they stop and stay stopped). */
  const gatedRestarts = new Set<string>();
  const symmetrical = mandatory.filter((o) => o.symmetrical);
  for (let changed = true; changed; ) {
    changed = false;
    for (const p of world.prims) {
      const prev = prevOf(p);
      // a group member restarts when an earlier one stops or starts (the group's mandatory internal order)
      if (
        prev !== undefined &&
        (stopping(prev) || startingNow(prev) || stuckMove(prev) || stalls(prev)) &&
        restart(p)
      )
        changed = true;
    }
    for (const o of symmetrical) {
      // a stopping or a starting "first" implies the restart of a running "then"
      // (not a clone's new instance: Pacemaker does not restart "then" for it)
      const cloneFirst = resolve(world, o.first)?.kind === "clone";
      if (!membersOf(o.first).some((q) => stopping(q) || (!cloneFirst && startingNow(q)))) continue;
      for (const m of membersOf(o.then)) if (restart(m)) changed = true;
    }
  }
  // such a blocked start blocks the starts of what is colocated with it at INFINITY, as any
  // unrunnable start does (runnability was decided before restarts; random seed 653)
  if (gatedRestarts.size > 0)
    for (const plan of plans.values())
      if (
        managed(plan.p) &&
        plan.startNeeded &&
        plan.runnable &&
        (colocPrimaries.get(plan.p.id) ?? []).some((ms) => ms.some((q) => gatedRestarts.has(q.id)))
      ) {
        plan.runnable = false;
        plan.startNeeded = false;
      }

  return {
    frozen,
    fenced,
    fencedSet,
    plans,
    planOf,
    managed,
    membersOf,
    prevOf,
    inertWhy,
    stallAfter,
    stallFirsts,
    symmetrical,
    startingNow,
  };
}

/** crm_simulate's Transition Summary of the decisions `d` on `world`. */
export function summarise(world: World, d: Decided): SummaryItem[] {
  const N = world.nodes;
  const { frozen, fencedSet, managed, planOf, inertWhy } = d;
  /** The stops of an orphan (active in the status, absent from the configuration, or a clone's surplus). */
  const orphanStops = (id: string): SummaryItem[] =>
    (frozen ? [] : (world.orphans.get(id) ?? []))
      .filter((n) => !fencedSet.has(n))
      .map((n) => ({ verb: "stop", rsc: id, node: (N[n] as WNode).uname, blocked: false }));
  const uname = (n: number): string => (N[n] as WNode).uname;
  const summary: SummaryItem[] = N.filter((n) => fencedSet.has(n.idx)).map((n) => ({
    verb: "fence",
    node: n.uname,
    blocked: false,
    how: world.stonithAction === "off" ? "off" : "reboot",
  }));
  let openClone: string | undefined;
  // a clone's surplus stops come after its instances (they are its last children)
  const flushClone = (): void => {
    for (const base of world.clones.get(openClone ?? "")?.bases ?? []) summary.push(...orphanStops(base));
  };
  for (const p of world.prims) {
    if (p.cloneId !== openClone) {
      flushClone();
      openClone = p.cloneId;
    }
    if (!managed(p)) continue;
    const plan = planOf(p);
    const cur = p.running[0];
    const next = plan.target;
    const failed = p.failedOn.size > 0;
    if (cur !== undefined && next !== null) {
      // a stalled start (never runs, but Pacemaker's graph has it) is summarised as the move it is
      if (!plan.runnable && inertWhy.get(p.id) !== "stall")
        for (const n of p.running)
          summary.push({ verb: "stop", rsc: p.base, node: uname(n), blocked: plan.stopBlocked });
      else if (cur !== next)
        summary.push({
          verb: failed ? "recover" : "move",
          rsc: p.base,
          node: uname(cur),
          to: uname(next),
          blocked: false,
        });
      else if (failed) summary.push({ verb: "recover", rsc: p.base, node: uname(cur), blocked: false });
      else if (plan.restart) summary.push({ verb: "restart", rsc: p.base, node: uname(cur), blocked: false });
      else if (plan.stopBlocked) summary.push({ verb: "stop", rsc: p.base, node: uname(cur), blocked: true });
    } else if (next !== null)
      summary.push({
        verb: "start",
        rsc: p.base,
        node: uname(next),
        blocked: !plan.runnable && inertWhy.get(p.id) !== "stall",
      });
    else if (cur !== undefined)
      for (const n of p.running)
        summary.push({
          verb: "stop",
          rsc: p.base,
          node: uname(n),
          blocked: plan.stopBlocked || ((N[n] as WNode).unclean && !fencedSet.has(n)),
        });
  }
  flushClone();

  const cloneBases = new Set([...world.clones.values()].flatMap((c) => c.bases));
  for (const id of world.orphans.keys()) if (!cloneBases.has(id)) summary.push(...orphanStops(id));
  return summary;
}
