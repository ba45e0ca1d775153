/**
 * From placement to a transition: from the plans (plans.ts: which stops and
 * starts each primitive needs and which of them may run), the actions,
 * fencing of unclean nodes, the order edges (with Pacemaker's group/clone
 * pseudo-actions), their execution order, and the crm_simulate-style summary.
 * Pure.
 */
import type { ColocationConstraint, OrderConstraint } from "../cib/model.js";
import { INFINITY } from "../cib/score.js";
import { resolve } from "./assign.js";
import { inertActions, linkStalledStarts, placementsOf } from "./outcome.js";
import { decidePlans, summarise } from "./plans.js";
import { executionOrder, stuckInert } from "./stuck.js";
import type { Action, ActionOp, NodeOutcome, OrderEdge, ScoreEntry, Transition } from "./types.js";
import type { WNode, World, WPrim } from "./unpack.js";

export type { Plan } from "./plans.js";

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
  const decided = decidePlans(world, orders, colocations);
  const { frozen, fenced, fencedSet, plans, planOf, managed, membersOf, prevOf, inertWhy } = decided;
  const { stallAfter, stallFirsts, symmetrical, startingNow } = decided;

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
      for (const base of frozen ? [] : c.bases)
        for (const n of world.orphans.get(base) ?? []) {
          if (fencedSet.has(n)) continue;
          block();
          surplus.push(mk({ op: "stop", rsc: base, node: n, intervalMs: 0 }));
        }
      // a clone's own pseudo actions come after its instances' in the graph (clone_expand adds the
      // children first; a group adds its own first), so an instance's stop waits a pass for them
      container(c.id)(surplus);
    }
  }
  // orphans: stop them
  block();
  for (const [id, where] of frozen ? [] : world.orphans) {
    if (cloneBases.has(id)) continue; // a clone's surplus: stopped with the clone above
    for (const n of where) if (!fencedSet.has(n)) mk({ op: "stop", rsc: id, node: n, intervalMs: 0 });
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

  const uname = (n: number): string => (N[n] as WNode).uname;
  const summary = summarise(world, decided);

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
