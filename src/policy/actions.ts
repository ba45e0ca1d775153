/**
 * From placement to a transition: which stops and starts each primitive
 * needs, which of them may run (quorum, mandatory orders, group chains,
 * fencing), restarts implied by mandatory orders, fencing of unclean nodes,
 * the order edges (with Pacemaker's group/clone pseudo-actions) and the
 * crm_simulate-style summary. Pure.
 */
import type { ColocationConstraint, OrderConstraint } from "../cib/model.js";
import { INFINITY } from "../cib/score.js";
import { resolve } from "./assign.js";
import { inertActions, linkStalledStarts, placementsOf } from "./outcome.js";
import { executionOrder, stuckInert } from "./stuck.js";
import type {
  Action,
  ActionOp,
  NodeOutcome,
  OrderEdge,
  ScoreEntry,
  SummaryItem,
  Transition,
} from "./types.js";
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

interface Draft {
  op: ActionOp;
  rsc?: string;
  node?: number;
  intervalMs: number;
  detail?: string;
  /** The primitive (clone instance) a start or stop is for. */
  pid?: string;
}

const inverse: Readonly<Record<string, string>> = {
  start: "stop",
  stop: "start",
  promote: "demote",
  demote: "promote",
};

/** Builds the transition for an assigned World (orders and colocations as configured, for the order edges). */
export function buildTransition(
  world: World,
  orders: readonly OrderConstraint[],
  colocations: readonly ColocationConstraint[] = [],
): Transition {
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

  // ---- actions (creation order: resources in CIB order, then fencing)
  const drafts: Draft[] = [];
  const edges: [number, number][] = [];
  /** Actions grouped per resource (and one block for fencing), in creation order. */
  const blocks: number[][] = [];
  const block = (): void => {
    blocks.push([]);
  };
  const mk = (d: Draft): number => {
    const id = drafts.push(d) - 1;
    blocks[blocks.length - 1]?.push(id);
    return id;
  };
  const dead = new Set<number>();
  const startsOf = new Map<string, number[]>();
  const stopsOf = new Map<string, number[]>();
  const pseudoStops = new Map<number, number[]>();
  const probed = new Set<string>();
  const addTo = (m: Map<string, number[]>, k: string, v: number): void => {
    const l = m.get(k);
    if (l) l.push(v);
    else m.set(k, [v]);
  };

  const emitPrim = (p: WPrim): void => {
    block();
    const plan = planOf(p);
    const starts: number[] = [];
    const stops: number[] = [];
    if (managed(p) && !probed.has(p.base)) {
      probed.add(p.base);
      const seen = world.historyOn.get(p.base);
      for (const n of N)
        if (n.online && !n.unclean && !seen?.has(n.idx))
          addTo(startsOf, `probe:${p.base}`, mk({ op: "probe", rsc: p.base, node: n.idx, intervalMs: 0 }));
    }
    // stops recovering a failure are created first (Pacemaker makes them while reading the status)
    const stopOrder = [...plan.stops].sort((a, b) => Number(!p.failedOn.has(a)) - Number(!p.failedOn.has(b)));
    for (const n of stopOrder) {
      if (fencedSet.has(n)) {
        const id = mk({
          op: "pseudo",
          rsc: p.base,
          node: n,
          intervalMs: 0,
          detail: "stop implied by fencing",
        });
        stops.push(id);
        pseudoStops.set(n, [...(pseudoStops.get(n) ?? []), id]);
      } else stops.push(mk({ op: "stop", rsc: p.base, node: n, intervalMs: 0, pid: p.id }));
    }
    // a start still pending in the history is scheduled again (2.1.5: pe_rsc_start_pending)
    const pendingHere = plan.target !== null && p.pendingOn.has(plan.target) && managed(p);
    if (plan.runnable && plan.target !== null && (plan.startNeeded || pendingHere)) {
      const s = mk({ op: "start", rsc: p.base, node: plan.target, intervalMs: 0, pid: p.id });
      starts.push(s);
      for (const op of p.cfg.operations) {
        if (op.name !== "monitor" || op.intervalMs <= 0 || op.enabled === false) continue;
        if (op.role !== undefined && !/^started$/i.test(op.role)) continue;
        edges.push([s, mk({ op: "monitor", rsc: p.base, node: plan.target, intervalMs: op.intervalMs })]);
      }
    } else if (plan.target !== null && managed(p) && !plan.stops.has(plan.target))
      // Active and staying: a recurring monitor missing from its history is scheduled (Pacemaker's
      // recurring ops; a transition aborted after the start left the resource unmonitored: seed 388).
      for (const interval of missingMonitors(p, plan.target))
        mk({ op: "monitor", rsc: p.base, node: plan.target, intervalMs: interval });
    for (const a of stops) for (const b of starts) edges.push([a, b]);
    for (const pr of startsOf.get(`probe:${p.base}`) ?? []) for (const b of starts) edges.push([pr, b]);
    startsOf.set(p.id, starts);
    stopsOf.set(p.id, stops);
  };

  /** Pseudo start/running/stop/stopped of a container (created before its members, as Pacemaker lists them). */
  const container = (id: string): ((extraStops?: readonly number[]) => void) => {
    block();
    const start = mk({ op: "pseudo", rsc: id, intervalMs: 0, detail: "start" });
    const running = mk({ op: "pseudo", rsc: id, intervalMs: 0, detail: "running" });
    const stop = mk({ op: "pseudo", rsc: id, intervalMs: 0, detail: "stop" });
    const stopped = mk({ op: "pseudo", rsc: id, intervalMs: 0, detail: "stopped" });
    // start -> running and stop -> stopped (Pacemaker orders them too: a loop may pass through them)
    edges.push([stopped, start], [start, running], [stop, stopped]);
    startsOf.set(`${id}:begin`, [start]);
    startsOf.set(`${id}:end`, [running]);
    stopsOf.set(`${id}:begin`, [stop]);
    stopsOf.set(`${id}:end`, [stopped]);
    return (extraStops: readonly number[] = []) => {
      let anyStart = false;
      let anyStop = extraStops.length > 0;
      for (const s of extraStops) edges.push([stop, s], [s, stopped]);
      for (const m of resolveMembers(id)) {
        for (const s of startsOf.get(m.id) ?? []) edges.push([start, s], [s, running]);
        for (const s of stopsOf.get(m.id) ?? []) edges.push([stop, s], [s, stopped]);
        anyStart ||= (startsOf.get(m.id) ?? []).length > 0;
        anyStop ||= (stopsOf.get(m.id) ?? []).length > 0;
      }
      // pseudo actions with nothing to mark are not part of the graph
      if (!anyStart) dead.add(start).add(running);
      if (!anyStop) dead.add(stop).add(stopped);
    };
  };
  const resolveMembers = (id: string): WPrim[] =>
    world.groups.get(id)?.members ?? world.clones.get(id)?.instances.flat() ?? [];
  const chain = (members: readonly WPrim[]): void => {
    let lastActive: WPrim | undefined;
    for (let i = 0; i < members.length; i++) {
      const a = members[i - 1];
      const b = members[i] as WPrim;
      if (a !== undefined) {
        for (const x of startsOf.get(a.id) ?? [])
          for (const y of startsOf.get(b.id) ?? []) edges.push([x, y]);
        for (const x of stopsOf.get(b.id) ?? []) for (const y of stopsOf.get(a.id) ?? []) edges.push([x, y]);
      }
      if (b.running.length === 0) continue;
      // a partially active group shuts down in sequence: an active member after an inactive one
      // stops before the last active member before it (Pacemaker's member_internal_constraints)
      if (a !== undefined && a.running.length === 0 && lastActive !== undefined)
        for (const x of stopsOf.get(b.id) ?? [])
          for (const y of stopsOf.get(lastActive.id) ?? []) edges.push([x, y]);
      lastActive = b;
    }
    // A member stops on a node only after the probes there of the members after it: one found running
    // aborts the transition before the earlier member stops under it (simulator seed 591).
    for (let i = 0; i < members.length; i++)
      for (const stop of stopsOf.get((members[i] as WPrim).id) ?? []) {
        const node = (drafts[stop] as Draft).node;
        for (const later of members.slice(i + 1))
          for (const probe of startsOf.get(`probe:${later.base}`) ?? [])
            if ((drafts[probe] as Draft).node === node) edges.push([probe, stop]);
      }
  };

  const cloneBases = new Set([...world.clones.values()].flatMap((c) => c.bases));
  /** Each clone's surplus stops, summarised after its instances (they are its last children). */
  const cloneOrphanSummary = new Map<string, SummaryItem[]>();
  for (const top of world.tops) {
    if (top.kind === "prim") emitPrim(top.prim);
    else if (top.kind === "group") {
      const wire = container(top.group.id);
      for (const m of top.group.members) emitPrim(m);
      chain(top.group.members);
      wire();
    } else {
      const c = top.clone;
      const width = c.instances[0]?.length ?? 0;
      for (let j = 0; j < width; j++) for (const insts of c.instances) emitPrim(insts[j] as WPrim);
      for (let j = 0; j < width; j++) chain(c.instances.map((l) => l[j] as WPrim));
      // surplus instances (active on more nodes than clone-max) are orphan children of the clone:
      // stopped between its stop and stopped pseudo actions, so before any of its starts
      const surplus: number[] = [];
      const surplusSummary: SummaryItem[] = [];
      cloneOrphanSummary.set(c.id, surplusSummary);
      for (const base of frozen ? [] : c.bases)
        for (const n of world.orphans.get(base) ?? []) {
          if (fencedSet.has(n)) continue;
          block();
          surplus.push(mk({ op: "stop", rsc: base, node: n, intervalMs: 0 }));
          surplusSummary.push({ verb: "stop", rsc: base, node: (N[n] as WNode).uname, blocked: false });
        }
      // a clone's own pseudo actions come after its instances' in the graph (clone_expand adds the
      // children first; a group adds its own first), so an instance's stop waits a pass for them
      container(c.id)(surplus);
    }
  }
  // orphans: stop them
  block();
  const orphanSummary: SummaryItem[] = [];
  for (const [id, where] of frozen ? [] : world.orphans) {
    if (cloneBases.has(id)) continue; // a clone's surplus: stopped with the clone above
    for (const n of where) {
      if (fencedSet.has(n)) continue;
      mk({ op: "stop", rsc: id, node: n, intervalMs: 0 });
      orphanSummary.push({ verb: "stop", rsc: id, node: (N[n] as WNode).uname, blocked: false });
    }
  }
  // fencing: before every start and before the stops it implies
  block();
  let prevFence: number | undefined;
  const fenceIds: number[] = [];
  for (const n of fenced) {
    const f = mk({
      op: "fence",
      node: n.idx,
      intervalMs: 0,
      detail: world.stonithAction === "off" ? "off" : "reboot",
    });
    fenceIds.push(f);
    if (prevFence !== undefined) edges.push([prevFence, f]);
    prevFence = f;
    for (const s of pseudoStops.get(n.idx) ?? []) edges.push([f, s]);
  }
  if (fenceIds.length > 0)
    drafts.forEach((d, i) => {
      if (d.op === "start") for (const f of fenceIds) edges.push([f, i]);
    });

  // configured orders (Optional ones too: they bind when both actions exist)
  const endpoint = (id: string, op: string, side: "begin" | "end"): number[] => {
    const t = resolve(world, id);
    if (t === undefined) return [];
    const table = op === "stop" || op === "demote" ? stopsOf : startsOf;
    if (t.kind === "prim") return table.get(t.p.id) ?? [];
    return table.get(`${t.kind === "group" ? t.g.id : t.c.id}:${side}`) ?? [];
  };
  for (const o of orders) {
    if (o.kind === "Serialize") continue;
    const link = (first: string, fa: string, then: string, ta: string): void => {
      for (const a of endpoint(first, fa, "end"))
        for (const b of endpoint(then, ta, "begin")) edges.push([a, b]);
    };
    link(o.first, o.firstAction, o.then, o.thenAction);
    if (o.symmetrical)
      link(o.then, inverse[o.thenAction] ?? o.thenAction, o.first, inverse[o.firstAction] ?? o.firstAction);
  }

  // anti-colocation (-INFINITY) orders each side's stop before the other's start (same node only)
  for (const c of colocations) {
    if (c.score > -INFINITY) continue;
    for (const [from, to] of [
      [c.rsc, c.withRsc],
      [c.withRsc, c.rsc],
    ] as const)
      for (const a of endpoint(from, "stop", "end"))
        for (const b of endpoint(to, "start", "begin")) {
          const x = (drafts[a] as Draft).node;
          const y = (drafts[b] as Draft).node;
          if (x === undefined || y === undefined || x === y) edges.push([a, b]);
        }
  }

  // ---- execution order (as crm_simulate runs the graph); what never runs: a loop and after it
  const { preds, seq, stuck, newId } = executionOrder(
    drafts.length,
    edges,
    dead,
    blocks.flatMap((b) => [...b].reverse()),
  );
  const actions: Action[] = seq.map((old, i) => {
    const d = drafts[old] as Draft;
    const a: { -readonly [K in keyof Action]: Action[K] } = {
      id: i,
      op: d.op,
      intervalMs: d.intervalMs,
      runnable: true,
    };
    if (d.rsc !== undefined) a.rsc = d.rsc;
    if (d.node !== undefined) a.node = (N[d.node] as WNode).uname;
    if (d.detail !== undefined) a.detail = d.detail;
    return a;
  });
  const seen = new Set<string>();
  const outEdges: OrderEdge[] = [];
  for (const [a, b] of edges) {
    if (dead.has(a) || dead.has(b) || newId[a] === undefined || newId[b] === undefined) continue;
    const e = { before: newId[a] as number, after: newId[b] as number };
    const k = `${e.before}>${e.after}`;
    if (e.before === e.after || seen.has(k)) continue;
    seen.add(k);
    outEdges.push(e);
  }

  // ---- summary (crm_simulate's Transition Summary)
  const uname = (n: number): string => (N[n] as WNode).uname;
  const summary: SummaryItem[] = N.filter((n) => fencedSet.has(n.idx)).map((n) => ({
    verb: "fence",
    node: n.uname,
    blocked: false,
    how: world.stonithAction === "off" ? "off" : "reboot",
  }));
  let openClone: string | undefined;
  const flushClone = (): void => {
    if (openClone !== undefined) summary.push(...(cloneOrphanSummary.get(openClone) ?? []));
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
  summary.push(...orphanSummary);

  const stuckOps = new Set(
    stuck.flatMap((i) => {
      const d = drafts[i] as Draft;
      return d.pid === undefined || d.node === undefined ? [] : [`${d.op} ${d.pid} ${d.node}`];
    }),
  );
  const placements = placementsOf(world, plans, frozen, fencedSet, stuckOps);

  const nodes: NodeOutcome[] = N.map((n) => ({
    uname: n.uname,
    status: fencedSet.has(n.idx)
      ? "offline"
      : n.unclean
        ? "unclean"
        : !n.online
          ? "offline"
          : n.maintenance
            ? "maintenance"
            : n.standby
              ? "standby"
              : "online",
  }));

  const scores: ScoreEntry[] = [];
  const byName = N.map((n) => n.idx).sort((a, b) => (uname(a) < uname(b) ? -1 : 1));
  for (const p of world.prims) {
    const snap = p.scoreSnapshot;
    if (snap === undefined) continue;
    for (const n of byName) {
      const s = snap[n];
      if (s === undefined || Number.isNaN(s)) continue;
      scores.push({ rsc: p.id, node: uname(n), score: s });
    }
  }
  const notes = [...world.notes];
  for (const s of summary) if (s.blocked) notes.push(`${s.verb} ${s.rsc ?? ""} on ${s.node} is blocked`);
  // a running unmanaged "then" of a symmetrical mandatory order whose "first" is a group starting
  // from stopped: Pacemaker's graph keeps its implied start (never run), as for an unmanaged group
  // member (found by the random comparison; a primitive "first", or a "first" that moves, does not)
  const impliedStarts = world.prims.filter(
    (p) =>
      !managed(p) &&
      !p.blocked &&
      p.running.length > 0 &&
      symmetrical.some(
        (o) =>
          resolve(world, o.first)?.kind === "group" &&
          membersOf(o.then).some((m) => m.id === p.id) &&
          membersOf(o.first).some(startingNow) &&
          membersOf(o.first).every((q) => q.running.length === 0),
      ),
  );
  const inertRaw = inertActions(
    world,
    plans,
    inertWhy,
    (p) => stallAfter.get(p.id) ?? prevOf(p),
    impliedStarts,
  );
  const linked = linkStalledStarts(inertRaw, actions, (rsc) => inertWhy.get(rsc) === "stall", stallFirsts);
  const inert = [...linked];
  if (stuck.length > 0) {
    const named = drafts.map(({ node, ...d }) => (node === undefined ? d : { ...d, node: uname(node) }));
    inert.push(...stuckInert(named, preds, stuck, newId, linked.length));
    notes.push(
      `orders form a loop: ${inert.length - linked.length} action(s) on it or after it never run (as in Pacemaker)`,
    );
  }
  return {
    now: world.nowMs,
    nodes,
    placements,
    summary,
    actions,
    edges: outEdges,
    scores,
    notes,
    ...(inert.length > 0 ? { inert } : {}),
  };
}

/** Configured recurring monitors (role Started) of `p` that its history on `node` does not show. */
function missingMonitors(p: WPrim, node: number): number[] {
  const recorded = p.monitorsOn.get(node);
  if (recorded === undefined) return [];
  const out: number[] = [];
  for (const op of p.cfg.operations) {
    if (op.name !== "monitor" || op.intervalMs <= 0 || op.enabled === false) continue;
    if (op.role !== undefined && !/^started$/i.test(op.role)) continue;
    if (!recorded.has(op.intervalMs)) out.push(op.intervalMs);
  }
  return out;
}
