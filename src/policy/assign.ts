/**
 * Placement: node scores per primitive and the assignment of every primitive
 * to a node, following Pacemaker 2.1.5's allocation (pcmk__native_allocate):
 * location constraints (a group's go to its first member), stickiness per
 * primitive, failure bans, colocation as dependent (primary assigned first)
 * and as primary (dependents' scores merged in, scaled by score/INFINITY),
 * then the best node with Pacemaker's tie-breaks. Pure; mutates only the
 * World it is given.
 */
import type { ColocationConstraint, LocationConstraint } from "../cib/model.js";
import { addScores, INFINITY } from "../cib/score.js";
import { evalRule, ruleScore } from "./rules.js";
import { available, type WClone, type WGroup, type WNode, type World, type WPrim } from "./unpack.js";

/** A node-score table: `weights[n]` counts only where `has[n]` (absent = not allowed, opt-in). */
export interface Table {
  weights: number[];
  has: boolean[];
}

/** A colocation endpoint after groups are resolved to members. */
export type Ent = { kind: "prim"; p: WPrim } | { kind: "clone"; c: WClone };

/** A colocation between resolved endpoints. */
export interface Coloc {
  readonly id: string;
  readonly dep: Ent;
  /** Whose placement the dependent follows. */
  readonly primary: Ent;
  readonly score: number;
  /** Node attribute compared instead of the node itself (`#uname` default). */
  readonly attr?: string;
  /** The configured primary (before groups resolve to members), for Pacemaker's cmp_primary_priority. */
  readonly rank: { readonly priority: number; readonly variant: number; readonly id: string };
  /**
   * The configured primary when it is a group: it counts only once the whole group is placed
   * (2.1.5 pcmk__group_rsc_colocation_rh returns while the group is provisional, as it is while
   * a loop of colocations reaches it during its own allocation).
   */
  readonly group?: WGroup;
  /** The configured dependent is a group (its colocations with equal primaries apply in CIB order). */
  readonly groupDependent?: true;
}

/** Pacemaker's variants, as cmp_primary_priority compares them (clones before groups before primitives). */
const VARIANT = { prim: 0, group: 1, clone: 2 } as const;

/** Pacemaker 2.1.5 cmp_primary_priority: higher priority first, then clone > group > primitive, then id. */
function byPrimary(a: Coloc, b: Coloc): number {
  if (a.rank.priority !== b.rank.priority) return b.rank.priority - a.rank.priority;
  if (a.rank.variant !== b.rank.variant) return b.rank.variant - a.rank.variant;
  return a.rank.id < b.rank.id ? -1 : a.rank.id > b.rank.id ? 1 : 0;
}

function rankOf(t: Target): Coloc["rank"] {
  if (t.kind === "prim") return { priority: t.p.meta.priority, variant: VARIANT.prim, id: t.p.id };
  if (t.kind === "group")
    return { priority: t.g.members[0]?.meta.priority ?? 0, variant: VARIANT.group, id: t.g.id };
  return { priority: t.c.instances[0]?.[0]?.meta.priority ?? 0, variant: VARIANT.clone, id: t.c.id };
}

/** Colocation lists per resource id (prims by instance id, clones by clone id). */
export interface Colocs {
  /** Colocations where the resource is the dependent. */
  readonly deps: Map<string, Coloc[]>;
  /** Colocations whose dependents are merged into this resource's scores. */
  readonly lhs: Map<string, Coloc[]>;
}

const entId = (e: Ent): string => (e.kind === "prim" ? e.p.id : e.c.id);

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}

/** Resolves a resource id to what constraints attach to. */
type Target = { kind: "prim"; p: WPrim } | { kind: "group"; g: WGroup } | { kind: "clone"; c: WClone };

export function resolve(world: World, id: string): Target | undefined {
  const g = world.groups.get(id);
  if (g) {
    const inClone = g.members[0]?.cloneId;
    if (inClone !== undefined) {
      const c = world.clones.get(inClone);
      return c ? { kind: "clone", c } : undefined;
    }
    return { kind: "group", g };
  }
  const c = world.clones.get(id);
  if (c) return { kind: "clone", c };
  const p = world.primById.get(id);
  if (p) return { kind: "prim", p };
  // a primitive inside a clone is addressed by its bare id
  for (const cl of world.clones.values()) if (cl.bases.includes(id)) return { kind: "clone", c: cl };
  return undefined;
}

/** Builds the colocation lists: group internals first, then the configured ones in CIB order. */
export function buildColocs(world: World, constraints: readonly ColocationConstraint[]): Colocs {
  const deps = new Map<string, Coloc[]>();
  const lhs = new Map<string, Coloc[]>();
  const addColoc = (c: Coloc, mergeInto: Ent): void => {
    push(deps, entId(c.dep), c);
    push(lhs, entId(mergeInto), c);
  };
  for (const g of world.groups.values()) {
    if (g.members[0]?.cloneId !== undefined) continue;
    for (let i = 1; i < g.members.length; i++) {
      const dep: Ent = { kind: "prim", p: g.members[i] as WPrim };
      const primary: Ent = { kind: "prim", p: g.members[i - 1] as WPrim };
      const rank = rankOf({ kind: "prim", p: primary.p });
      addColoc({ id: `${g.id}:internal`, dep, primary, score: INFINITY, rank }, primary);
    }
  }
  for (const con of constraints) {
    if (con.score === 0) continue;
    const d = resolve(world, con.rsc);
    const r = resolve(world, con.withRsc);
    if (d === undefined || r === undefined) {
      world.notes.push(
        `colocation ${con.id}: unknown resource ${d === undefined ? con.rsc : con.withRsc}, ignored`,
      );
      continue;
    }
    const dep: Ent | undefined =
      d.kind === "group"
        ? d.g.members[0]
          ? { kind: "prim", p: d.g.members[0] }
          : undefined
        : d.kind === "prim"
          ? { kind: "prim", p: d.p }
          : { kind: "clone", c: d.c };
    let primary: Ent | undefined;
    let mergeInto: Ent | undefined;
    if (r.kind === "group") {
      const first = r.g.members[0];
      const last = r.g.members[r.g.members.length - 1];
      primary =
        con.score >= INFINITY
          ? last
            ? { kind: "prim", p: last }
            : undefined
          : first
            ? { kind: "prim", p: first }
            : undefined;
      mergeInto = last ? { kind: "prim", p: last } : undefined;
    } else {
      primary = r.kind === "prim" ? { kind: "prim", p: r.p } : { kind: "clone", c: r.c };
      mergeInto = primary;
    }
    if (dep === undefined || primary === undefined || mergeInto === undefined) continue;
    addColoc(
      {
        id: con.id,
        dep,
        primary,
        score: con.score,
        rank: rankOf(r),
        ...(con.nodeAttribute !== undefined ? { attr: con.nodeAttribute } : {}),
        ...(r.kind === "group" ? { group: r.g } : {}),
        ...(d.kind === "group" ? { groupDependent: true as const } : {}),
      },
      mergeInto,
    );
  }
  // a dependent's colocations are applied sorted by primary (pcmk__add_this_with's sorted insert);
  // g_list_insert_sorted puts a new item before the equal ones, so a primitive's two colocations
  // with the same primary apply in reverse CIB order (a primitive primary: seed 52; a group
  // primary: seed 629); a group's keep CIB order (seed 938)
  for (const [key, list] of deps) {
    const at = new Map(list.map((c, i) => [c, i]));
    const order = (a: Coloc, b: Coloc): number => {
      const d = (at.get(a) ?? 0) - (at.get(b) ?? 0);
      return a.groupDependent ? d : -d;
    };
    deps.set(
      key,
      list.sort((a, b) => byPrimary(a, b) || order(a, b)),
    );
  }
  return { deps, lhs };
}

// ------------------------------------------------------------ score tables

function addLocation(t: Table, node: number, score: number): void {
  if (t.has[node]) t.weights[node] = addScores(t.weights[node] ?? 0, score);
  else {
    t.has[node] = true;
    t.weights[node] = score;
  }
}

/** The (node, score) pairs one location constraint contributes (one list per rule). */
function locationLists(world: World, con: LocationConstraint): [number, number][][] {
  if (con.rules.length === 0) {
    const n = con.node === undefined ? undefined : world.nodeByName.get(con.node);
    return n === undefined || con.score === undefined ? [] : [[[n.idx, con.score]]];
  }
  return con.rules.map((rule) => {
    const out: [number, number][] = [];
    for (const n of world.nodes)
      if (evalRule(rule, n.attrs, world.nowMs)) out.push([n.idx, ruleScore(rule, n.attrs)]);
    return out;
  });
}

const ACTIVE_ROLES = new Set(["started", "Started"]);

/** Initial weights: symmetric default, location constraints, stickiness, bans. */
export function initWeights(world: World, locations: readonly LocationConstraint[]): void {
  const N = world.nodes.length;
  // loops, not fill(): a fill is a call into the runtime, and there are two per primitive
  const init = (t: Table): void => {
    for (let n = 0; n < t.has.length; n++) t.has[n] = world.symmetric;
    for (let n = 0; n < t.weights.length; n++) t.weights[n] = 0;
  };
  for (const p of world.prims) init(p);
  for (const c of world.clones.values()) init(c);
  for (const con of locations) {
    if (con.role !== undefined && !ACTIVE_ROLES.has(con.role)) continue;
    const target = resolve(world, con.rsc);
    if (target === undefined) {
      world.notes.push(`location ${con.id}: unknown resource ${con.rsc}, ignored`);
      continue;
    }
    for (const list of locationLists(world, con)) {
      if (target.kind === "prim") for (const [n, s] of list) addLocation(target.p, n, s);
      else if (target.kind === "clone") for (const [n, s] of list) addLocation(target.c, n, s);
      else
        target.g.members.forEach((m, i) => {
          for (const [n, s] of list) addLocation(m, n, i === 0 ? s : 0);
        });
    }
  }
  for (const p of world.prims) {
    if (p.cloneId !== undefined) continue;
    const cur = p.running[0];
    if (
      p.managed &&
      p.meta.stickiness !== 0 &&
      p.running.length === 1 &&
      cur !== undefined &&
      (p.has[cur] || world.symmetric)
    )
      addLocation(p, cur, p.meta.stickiness);
    // an unmanaged resource that is running is pinned there (2.1.5 native_add_running: "not_managed_default")
    if (!p.managed && cur !== undefined) for (const n of p.running) addLocation(p, n, INFINITY);
    for (const n of p.bans) addLocation(p, n, -INFINITY);
  }
  for (const c of world.clones.values())
    for (const inst of c.instances.flat()) for (const n of inst.bans) if (n < N) addLocation(c, n, -INFINITY);
}

const copy = (t: Table): Table => ({ weights: [...t.weights], has: [...t.has] });

function usable(world: World, t: Table, n: number): boolean {
  return (t.has[n] ?? false) && (t.weights[n] ?? 0) >= 0 && available(world.nodes[n] as WNode);
}

/** Some node allowed with a non-negative score (pcmk__any_node_available). */
export function anyAvailable(world: World, t: Table): boolean {
  for (let n = 0; n < t.weights.length; n++) if (usable(world, t, n)) return true;
  return false;
}

function attrOf(world: World, n: number, attr: string | undefined): string | undefined {
  const node = world.nodes[n] as WNode;
  return attr === undefined ? node.uname : node.attrs[attr];
}

/** Best score of `src` over available nodes sharing `n`'s value of `attr` (best_node_score_matching_attr). */
function bestMatching(world: World, src: Table, n: number, attr: string | undefined): number {
  if (attr === undefined || attr === "#uname" || attr === "#id") {
    const node = world.nodes[n] as WNode;
    return src.has[n] && available(node) && (src.weights[n] ?? 0) > -INFINITY
      ? (src.weights[n] ?? 0)
      : -INFINITY;
  }
  const value = attrOf(world, n, attr)?.toLowerCase();
  let best = -INFINITY;
  for (let m = 0; m < src.weights.length; m++) {
    const w = src.weights[m] ?? 0;
    if (
      src.has[m] &&
      w > best &&
      available(world.nodes[m] as WNode) &&
      attrOf(world, m, attr)?.toLowerCase() === value
    )
      best = w;
  }
  return best;
}

/** Adds `factor` x the dependent's scores to `work` (add_node_scores_matching_attr). */
function addMatching(world: World, work: Table, src: Table, attr: string | undefined, factor: number): void {
  for (let n = 0; n < work.weights.length; n++) {
    if (!work.has[n]) continue;
    const score = bestMatching(world, src, n, attr);
    if (factor < 0 && score < 0) continue;
    const f = factor * score;
    let weight = Math.trunc(f < 0 ? f - 0.5 : f + 0.5);
    if (weight === 0 && score !== 0) weight = factor > 0 ? 1 : factor < 0 ? -1 : 0;
    work.weights[n] = addScores(weight, work.weights[n] ?? 0);
  }
}

/**
 * Merges a dependent's scores (and, recursively, its own dependents') into a
 * primary's table (pcmk__native_merge_weights). Rolled back when nothing
 * could run afterwards.
 */
export function merge(
  world: World,
  colocs: Colocs,
  ent: Ent,
  table: Table,
  factor: number,
  attr: string | undefined,
): Table {
  const self = ent.kind === "prim" ? ent.p : ent.c;
  if (self.merging) return table;
  self.merging = true;
  let work = copy(table);
  addMatching(world, work, self, attr, factor);
  if (anyAvailable(world, work)) {
    const sign = factor < 0 ? -1 : 1;
    for (const c of colocs.lhs.get(entId(ent)) ?? [])
      work = merge(world, colocs, c.dep, work, (sign * c.score) / INFINITY, c.attr);
  } else {
    self.merging = false;
    return table;
  }
  self.merging = false;
  return work;
}

/** Nodes where a primary ended up. */
function primaryNodes(e: Ent): number[] | undefined {
  if (e.kind === "prim") return e.p.provisional ? undefined : e.p.assigned === null ? [] : [e.p.assigned];
  if (!e.c.done) return undefined;
  const last = e.c.instances[e.c.instances.length - 1] ?? [];
  return last.filter((i) => i.assigned !== null && !i.blocked).map((i) => i.assigned as number);
}

/** Applies one "dependent with primary" colocation to the dependent's table (pcmk__apply_coloc_to_weights). */
export function applyColoc(world: World, t: Table, c: Coloc): Table {
  // a finite score with a clone applies instance by instance, each rolled back on its own when it
  // would leave no node (pcmk__clone_apply_coloc_score): a preference, never a ban on every instance
  if (c.primary.kind === "clone" && Math.abs(c.score) < INFINITY && c.primary.c.done) {
    const insts = c.primary.c.instances[c.primary.c.instances.length - 1] ?? [];
    let cur = t;
    for (const i of c.primary.c.order ?? insts.map((_, k) => k)) {
      const p = insts[i];
      if (p !== undefined) cur = applyColoc(world, cur, { ...c, primary: { kind: "prim", p } });
    }
    return cur;
  }
  const where = primaryNodes(c.primary);
  if (where === undefined) return t;
  if (where.length === 0 && c.score < 0) return t;
  const values = new Set(where.map((n) => attrOf(world, n, c.attr)?.toLowerCase()));
  const work = copy(t);
  for (let n = 0; n < work.weights.length; n++) {
    if (!work.has[n]) continue;
    const w = work.weights[n] ?? 0;
    if (where.length === 0) work.weights[n] = addScores(-c.score, w);
    else if (values.has(attrOf(world, n, c.attr)?.toLowerCase())) {
      if (c.score < INFINITY) work.weights[n] = addScores(c.score, w);
    } else if (c.score >= INFINITY) work.weights[n] = -INFINITY;
  }
  if (c.score <= -INFINITY || c.score >= INFINITY || anyAvailable(world, work)) return work;
  return t;
}

// ------------------------------------------------------------ choosing

function effective(world: World, t: Table, n: number): number {
  return available(world.nodes[n] as WNode) ? (t.weights[n] ?? 0) : -INFINITY;
}

/** Candidate nodes, best first: score, fewer resources, current node, name. */
export function sortNodes(world: World, t: Table, current: number | undefined): number[] {
  const list: number[] = [];
  for (let n = 0; n < t.weights.length; n++) if (t.has[n]) list.push(n);
  return list.sort((a, b) => {
    const sa = effective(world, t, a);
    const sb = effective(world, t, b);
    if (sa !== sb) return sb - sa;
    const na = world.nodes[a] as WNode;
    const nb = world.nodes[b] as WNode;
    if (na.count !== nb.count) return na.count - nb.count;
    if (current === a) return -1;
    if (current === b) return 1;
    return na.uname < nb.uname ? -1 : na.uname > nb.uname ? 1 : 0;
  });
}

/** The node Pacemaker's native_choose_node picks (before the final usability check). */
export function chooseNode(world: World, t: Table, current: number | undefined): number | null {
  const sorted = sortNodes(world, t, current);
  const best = sorted[0];
  if (best === undefined) return null;
  let chosen = best;
  const bw = t.weights[best] ?? 0;
  if (
    bw > 0 &&
    available(world.nodes[best] as WNode) &&
    current !== undefined &&
    available(world.nodes[current] as WNode)
  ) {
    for (let i = 1; i < sorted.length; i++) {
      const n = sorted[i] as number;
      if ((t.weights[n] ?? 0) !== bw) break;
      if (n === current) chosen = n;
    }
  }
  return chosen;
}

function finalize(world: World, p: WPrim, t: Table, chosen: number | null, force: boolean): void {
  let node = chosen;
  if (!force && node !== null && ((t.weights[node] ?? 0) < 0 || !available(world.nodes[node] as WNode)))
    node = null;
  p.provisional = false;
  p.assigned = node;
  p.scoreSnapshot = t.weights.map((w, n) =>
    t.has[n] ? (available(world.nodes[n] as WNode) ? w : -INFINITY) : Number.NaN,
  );
  if (node !== null) (world.nodes[node] as WNode).count++;
}

/**
 * The order in which a clone's instances are placed (2.1.5 pcmk__cmp_instance; a stable sort, so
 * instance number last): the less multiply active first; an instance active where its own score
 * is negative after every other; active before inactive; then an active one whose node can run
 * resources, whose clone is allowed there, that has not failed, whose node the clone's
 * colocations favour more.
 */
function sortInstances(world: World, list: readonly WPrim[], own: Table, parent: Table): WPrim[] {
  const cur = (p: WPrim): number | undefined => p.running[0];
  const disallowed = (p: WPrim): boolean => {
    const n = cur(p);
    if (n === undefined) return false;
    const stick = p.managed && p.running.length === 1 ? p.meta.stickiness : 0;
    return !own.has[n] || addScores(own.weights[n] ?? 0, stick) < 0;
  };
  // the dependents' preferences count only where they are not negative (cmp_instance_by_colocation
  // merges them with pcmk__coloc_select_nonnegative)
  const colocated = (n: number): number => Math.max(0, (parent.weights[n] ?? 0) - (own.weights[n] ?? 0));
  return [...list].sort((a, b) => {
    const na = a.running.length;
    const nb = b.running.length;
    if (na > 0 && nb > 0 && na !== nb) return na - nb;
    const da = disallowed(a);
    const db = disallowed(b);
    if (da !== db) return da ? 1 : -1;
    const ca = da ? undefined : cur(a);
    const cb = db ? undefined : cur(b);
    if (ca === undefined || cb === undefined) return ca === cb ? 0 : ca === undefined ? 1 : -1;
    const aa = available(world.nodes[ca] as WNode);
    const ab = available(world.nodes[cb] as WNode);
    if (aa !== ab) return aa ? -1 : 1;
    const pa = own.has[ca] ?? false;
    const pb = own.has[cb] ?? false;
    if (pa !== pb) return pa ? -1 : 1;
    const fa = a.failedOn.size > 0;
    const fb = b.failedOn.size > 0;
    if (fa !== fb) return fa ? 1 : -1;
    return colocated(cb) - colocated(ca);
  });
}

/** Assigns every resource, top-level ones in CIB order. */
export function assignAll(world: World, colocs: Colocs): void {
  const allocEnt = (e: Ent): void => {
    if (e.kind === "prim") allocPrim(e.p);
    else allocClone(e.c);
  };

  /** Applies `self`'s colocations as dependent, writing each result back at once (later primaries see it). */
  const colocateAsDependent = (id: string, self: Table): Table => {
    let cur: Table = { weights: self.weights, has: self.has };
    for (const c of colocs.deps.get(id) ?? []) {
      const archive = c.score < 0 && c.score > -INFINITY ? copy(cur) : undefined;
      if (c.group) allocGroup(c.group);
      else allocEnt(c.primary);
      // a group primary still being placed (a loop of colocations) has no influence yet
      if (c.group === undefined || c.group.done) cur = applyColoc(world, cur, c);
      if (archive && !anyAvailable(world, cur)) cur = archive;
      self.weights = cur.weights;
      self.has = cur.has;
    }
    return cur;
  };
  const mergeDependents = (id: string, t: Table): Table => {
    let cur = t;
    for (const c of colocs.lhs.get(id) ?? [])
      cur = merge(world, colocs, c.dep, cur, c.score / INFINITY, c.attr);
    return cur;
  };

  const allocPrim = (p: WPrim): void => {
    if (p.cloneId !== undefined) {
      const c = world.clones.get(p.cloneId);
      if (c) allocClone(c);
      return;
    }
    if (p.groupId !== undefined) {
      const g = world.groups.get(p.groupId);
      if (g && !g.allocating && !g.done) {
        allocGroup(g);
        return;
      }
    }
    if (!p.provisional || p.allocating) return;
    p.allocating = true;
    let t = colocateAsDependent(p.id, p);
    t = mergeDependents(p.id, t);
    if (p.stopTarget || world.stopAll) t.weights.fill(-INFINITY);
    p.weights = t.weights;
    p.has = t.has;
    if (!p.managed) finalize(world, p, t, p.running[0] ?? null, true);
    else finalize(world, p, t, chooseNode(world, t, p.running[0]), false);
    p.allocating = false;
  };

  const allocGroup = (g: WGroup): void => {
    if (g.done || g.allocating) return;
    g.allocating = true;
    for (const m of g.members) allocPrim(m);
    g.allocating = false;
    g.done = true;
  };

  const allocClone = (c: WClone): void => {
    if (c.done || c.allocating) return;
    c.allocating = true;
    // the clone's own scores (its locations and bans, which every instance gets too): where one is
    // negative, can_run_instance refuses an instance whatever its stickiness adds
    const own = copy(c);
    // the clone's scores with its colocations and its dependents' preferences (primaries placed first)
    let t = colocateAsDependent(c.id, c);
    t = mergeDependents(c.id, t);
    c.weights = t.weights;
    c.has = t.has;
    // append_parent_colocation: an instance is placed on the clone's own scores plus the clone's
    // mandatory or negative colocations and its dependents' negative ones; every colocation only
    // when clone-max is below the nodes available (else a finite preference, such as the warm
    // director's group preferring n1, would move instances instead of choosing among them)
    let avail = 0;
    for (let n = 0; n < own.has.length; n++) if (own.has[n] && available(world.nodes[n] as WNode)) avail++;
    const all = c.cloneMax < avail;
    const colocate = (table: Table): Table => {
      let cur = table;
      for (const d of colocs.deps.get(c.id) ?? []) {
        if (!all && d.score >= 0 && d.score < INFINITY) continue;
        if (d.group !== undefined && !d.group.done) continue;
        const archive = d.score < 0 && d.score > -INFINITY ? copy(cur) : undefined;
        cur = applyColoc(world, cur, d);
        if (archive && !anyAvailable(world, cur)) cur = archive;
      }
      for (const l of colocs.lhs.get(c.id) ?? [])
        if (all || l.score < 0) cur = merge(world, colocs, l.dep, cur, l.score / INFINITY, l.attr);
      return cur;
    };
    const first = c.instances[0] ?? [];
    const used = new Set<number>();
    const place = (inst: WPrim, preferCurrent: boolean): void => {
      let it = copy(own);
      const cur = inst.running[0];
      if (
        inst.managed &&
        inst.meta.stickiness !== 0 &&
        inst.running.length === 1 &&
        cur !== undefined &&
        (it.has[cur] || world.symmetric)
      )
        addLocation(it, cur, inst.meta.stickiness);
      for (const n of used) if (it.has[n]) it.weights[n] = -INFINITY;
      for (let n = 0; n < it.weights.length; n++)
        if (it.has[n] && (!own.has[n] || (own.weights[n] ?? 0) < 0)) it.weights[n] = -INFINITY;
      // the colocations come after those bans (as in the instance's own assignment): a finite
      // negative one that would leave no node is rolled back, so the last instance still runs
      it = colocate(it);
      if (inst.stopTarget || world.stopAll) it.weights.fill(-INFINITY);
      inst.weights = it.weights;
      inst.has = it.has;
      if (preferCurrent) {
        if (cur === undefined || !usable(world, it, cur)) return;
        // the current node is kept only if it is as good as the best (assign_best_node's
        // "preferred node was not best"); otherwise the instance is placed with the rest
        let best = -INFINITY;
        for (let n = 0; n < it.weights.length; n++)
          if (usable(world, it, n)) best = Math.max(best, it.weights[n] ?? 0);
        if ((it.weights[cur] ?? 0) < best) return;
        finalize(world, inst, it, cur, false);
      } else if (!inst.managed) finalize(world, inst, it, cur ?? null, true);
      else finalize(world, inst, it, chooseNode(world, it, cur), false);
      if (inst.assigned !== null) used.add(inst.assigned);
    };
    // instances keep a usable current node first (distribute_children), then the rest are placed,
    // both in pcmk__cmp_instance's order
    const order = sortInstances(world, first, own, t);
    c.order = order.map((inst) => first.indexOf(inst));
    for (const inst of order) if (inst.managed && inst.running.length > 0) place(inst, true);
    for (const inst of order) if (inst.provisional) place(inst, false);
    // cloned groups: later members follow their instance's previous member
    for (let k = 1; k < c.instances.length; k++) {
      const prev = c.instances[k - 1] ?? [];
      (c.instances[k] ?? []).forEach((inst, j) => {
        const at = prev[j]?.assigned ?? null;
        const it = copy(t);
        for (let n = 0; n < it.weights.length; n++) if (n !== at) it.weights[n] = -INFINITY;
        for (const n of inst.bans) it.weights[n] = -INFINITY;
        if (inst.stopTarget || world.stopAll) it.weights.fill(-INFINITY);
        inst.weights = it.weights;
        inst.has = it.has;
        if (!inst.managed) finalize(world, inst, it, inst.running[0] ?? null, true);
        else finalize(world, inst, it, at, false);
      });
    }
    c.allocating = false;
    c.done = true;
  };

  for (const top of world.tops) {
    if (top.kind === "prim") allocPrim(top.prim);
    else if (top.kind === "group") allocGroup(top.group);
    else allocClone(top.clone);
  }
}
