/**
 * Cib -> the engine's working structures: nodes with their effective state,
 * primitives (clone instances expanded) with their effective meta options,
 * their state on every node derived from the operation history (Pacemaker
 * 2.1.5's unpack_rsc_op rules), fail counts and the bans they imply. Pure.
 */

import { parseDurationMs } from "../cib/duration.js";
import type { Cib, LrmRscOp, NvSet, Primitive, Resource } from "../cib/model.js";
import {
  clusterOptions,
  isTrue,
  nodeStateInCcm,
  nodeStateOnline,
  nvMap,
  parseFailAttributeName,
  perOpFailCounts,
} from "../cib/query.js";
import { addScores, INFINITY, parseScore } from "../cib/score.js";
import { replayHistory } from "./history.js";
import type { Attributes } from "./rules.js";

export { type RscNodeState, replayHistory } from "./history.js";

/** A cluster node as the engine sees it. */
export interface WNode {
  readonly idx: number;
  readonly uname: string;
  readonly id: string;
  /** In membership with the cluster daemon joined. */
  online: boolean;
  /** Lost while expected up: must be fenced before its resources count as stopped. */
  unclean: boolean;
  standby: boolean;
  maintenance: boolean;
  /** Has a node_state entry. */
  readonly seen: boolean;
  readonly attrs: Attributes;
  /** Resources assigned so far in this run (tie-break). */
  count: number;
}

/** Effective meta options of a primitive (own > group > clone > rsc_defaults). */
export interface Meta {
  readonly targetStopped: boolean;
  readonly managed: boolean;
  readonly stickiness: number;
  readonly migrationThreshold: number;
  readonly failureTimeoutMs: number;
  /** `priority` meta attribute (orders a dependent's colocations, Pacemaker's cmp_primary_priority). */
  readonly priority: number;
}

/** A primitive, or one instance of an anonymous clone. */
export interface WPrim {
  /** Instance id: the primitive id, or `prim:N` for clone instances. */
  readonly id: string;
  /** The primitive id (history and output use it). */
  readonly base: string;
  readonly cfg: Primitive;
  readonly order: number;
  readonly groupId?: string;
  readonly cloneId?: string;
  readonly meta: Meta;
  managed: boolean;
  blocked: boolean;
  /** Ends up stopped whatever the scores say (target-role, on-fail=stop). */
  stopTarget: boolean;
  stopReason?: "target-role" | "on-fail-stop";
  /** Nodes (idx) where it is active, in discovery order. */
  running: number[];
  /** Nodes where it is active and failed (needs recovery). */
  failedOn: Set<number>;
  /** Nodes where its start is still pending in the history (scheduled again). */
  pendingOn: Set<number>;
  /** Recurring monitor intervals recorded per node where it is active (a missing one is scheduled). */
  monitorsOn: Map<number, Set<number>>;
  /** Node weights (index = node idx); `has` false = not in the allowed table (opt-in). */
  weights: number[];
  has: boolean[];
  /** Assignment state. */
  assigned: number | null;
  provisional: boolean;
  allocating: boolean;
  merging: boolean;
  /** Nodes banned by history (stop failure, hard error) or by migration-threshold. */
  readonly bans: Set<number>;
  /** Scores at the moment of choice, for `--scores`. */
  scoreSnapshot?: number[];
}

/** A group of primitives. */
export interface WGroup {
  readonly id: string;
  readonly members: WPrim[];
  allocating: boolean;
  done: boolean;
}

/** An anonymous clone: one instance per possible node. */
export interface WClone {
  readonly id: string;
  /** Primitive ids of the cloned primitive(s) (several for a cloned group). */
  readonly bases: readonly string[];
  /** Instances per cloned primitive: `instances[k]` are the instances of `bases[k]`. */
  readonly instances: WPrim[][];
  /** Clone-level weights (template for every instance). */
  weights: number[];
  has: boolean[];
  readonly cloneMax: number;
  /** Instance indexes in the order they were placed (pcmk__cmp_instance), once placed. */
  order?: number[];
  done: boolean;
  allocating: boolean;
  merging: boolean;
}

/** A top-level unit of assignment, in CIB order. */
export type WTop =
  | { kind: "prim"; prim: WPrim }
  | { kind: "group"; group: WGroup }
  | { kind: "clone"; clone: WClone };

/** Everything the later stages need. */
export interface World {
  readonly cib: Cib;
  readonly nowMs: number;
  readonly nodes: WNode[];
  readonly nodeByName: Map<string, WNode>;
  readonly prims: WPrim[];
  readonly primById: Map<string, WPrim>;
  readonly groups: Map<string, WGroup>;
  readonly clones: Map<string, WClone>;
  readonly tops: WTop[];
  readonly symmetric: boolean;
  readonly stonithEnabled: boolean;
  readonly stonithAction: string;
  readonly haveStonithDevice: boolean;
  readonly haveQuorum: boolean;
  readonly noQuorumPolicy: string;
  readonly stopAll: boolean;
  /** Nodes (idx) seen with history of primitives (prim base id -> node idxs), for probes. */
  readonly historyOn: Map<string, Set<number>>;
  /** Resources active in status but absent from the configuration: id -> nodes. */
  readonly orphans: Map<string, number[]>;
  readonly notes: string[];
}

/** Pacemaker's node availability: online, clean, not standby, not in maintenance. */
export function available(n: WNode): boolean {
  return n.online && !n.unclean && !n.standby && !n.maintenance;
}

function scoreOr(v: string | undefined, dflt: number): number {
  return v === undefined ? dflt : (parseScore(v) ?? dflt);
}

function metaOf(chain: readonly (readonly NvSet[])[], isClone: boolean, maintenance: boolean): Meta {
  const raw: Record<string, string> = {};
  for (const sets of chain) for (const [k, v] of Object.entries(nvMap(sets))) if (!(k in raw)) raw[k] = v;
  const role = (raw["target-role"] ?? "Started").toLowerCase();
  const managedRaw = raw["is-managed"];
  return {
    targetStopped: role === "stopped",
    managed: !maintenance && (managedRaw === undefined || !/^(false|off|no|n|0)$/i.test(managedRaw.trim())),
    stickiness: scoreOr(raw["resource-stickiness"], isClone ? 1 : 0),
    migrationThreshold: scoreOr(raw["migration-threshold"], INFINITY),
    failureTimeoutMs: parseDurationMs(raw["failure-timeout"] ?? "0") ?? 0,
    priority: scoreOr(raw.priority, 0),
  };
}

/** Node state from membership (Pacemaker determine_online_status, fencing or not). */
function buildNodes(cib: Cib, stonithEnabled: boolean, startupFencing: boolean): WNode[] {
  const out: WNode[] = [];
  const cfgNodes = cib.configuration.nodes.filter(
    (n) => n.type === undefined || n.type === "member" || n.type === "normal",
  );
  for (const n of cfgNodes) {
    const ns = cib.status.find((s) => s.id === n.id) ?? cib.status.find((s) => s.uname === n.uname);
    let online = false;
    let unclean = false;
    if (ns === undefined) {
      unclean = stonithEnabled && startupFencing;
    } else {
      online = nodeStateOnline(ns) && ns.ha !== "dead";
      // lost while expected up: unclean (only matters when we can fence; otherwise just offline)
      unclean =
        !online &&
        stonithEnabled &&
        ns.expected === "member" &&
        !(nodeStateInCcm(ns) && ns.join === "pending");
    }
    const attrs: Record<string, string> = { ...nvMap(n.instanceAttributes) };
    if (ns) Object.assign(attrs, nvMap(ns.transientAttributes));
    attrs["#uname"] = n.uname;
    attrs["#id"] = n.id;
    attrs["#kind"] = "cluster";
    attrs["#is_dc"] = n.id === cib.dcUuid ? "true" : "false";
    out.push({
      idx: out.length,
      uname: n.uname,
      id: n.id,
      online,
      unclean,
      standby: isTrue(attrs.standby),
      maintenance: isTrue(attrs.maintenance),
      seen: ns !== undefined,
      attrs,
      count: 0,
    });
  }
  return out;
}

/** Fail counts and last failures on one node, by bare resource id (see `failCount`). */
export interface FailIndex {
  readonly perOp: Map<string, { count: number; last: number }>;
  readonly legacy: Map<string, { count: number; last: number }>;
}

/** Indexes a node's `fail-count-*` / `last-failure-*` attributes by resource (clone suffixes dropped). */
export function indexFailures(attrs: Attributes): FailIndex {
  const index: FailIndex = { perOp: new Map(), legacy: new Map() };
  for (const [name, value] of Object.entries(attrs)) {
    if (!name.startsWith("fail-count-") && !name.startsWith("last-failure-")) continue;
    const f = parseFailAttributeName(name);
    if (f === undefined) continue;
    const rsc = f.rsc.replace(/:\d+$/, "");
    for (const m of f.op === undefined ? [index.legacy] : [index.perOp, index.legacy]) {
      const e = m.get(rsc) ?? { count: 0, last: 0 };
      if (f.kind === "fail-count") e.count = addScores(e.count, parseScore(value) ?? 0);
      else e.last = Math.max(e.last, Number(value) || 0);
      m.set(rsc, e);
    }
  }
  return index;
}

/**
 * The fail count of primitive `base` on a node: the sum of its
 * `fail-count-<base>#op_interval` attributes (plus the legacy `fail-count-<base>`
 * when the feature set is below 3.0.13), 0 when expired by failure-timeout.
 */
export function failCount(
  node: Attributes | FailIndex,
  base: string,
  perOp: boolean,
  failureTimeoutMs: number,
  nowMs: number,
): number {
  const index =
    "perOp" in node && node.perOp instanceof Map ? (node as FailIndex) : indexFailures(node as Attributes);
  const e = (perOp ? index.perOp : index.legacy).get(base.replace(/:\d+$/, ""));
  if (e === undefined || e.count <= 0) return 0;
  if (failureTimeoutMs > 0 && e.last > 0 && nowMs > e.last * 1000 + failureTimeoutMs) return 0;
  return e.count;
}

function newPrim(
  id: string,
  base: string,
  cfg: Primitive,
  order: number,
  nodeCount: number,
  meta: Meta,
  extra: { groupId?: string; cloneId?: string },
): WPrim {
  return {
    id,
    base,
    cfg,
    order,
    ...(extra.groupId !== undefined ? { groupId: extra.groupId } : {}),
    ...(extra.cloneId !== undefined ? { cloneId: extra.cloneId } : {}),
    meta,
    managed: meta.managed,
    blocked: false,
    stopTarget: meta.targetStopped,
    ...(meta.targetStopped ? { stopReason: "target-role" as const } : {}),
    running: [],
    failedOn: new Set(),
    pendingOn: new Set(),
    monitorsOn: new Map(),
    weights: filled(nodeCount, 0),
    has: filled(nodeCount, false),
    bans: new Set(),
    assigned: null,
    provisional: true,
    allocating: false,
    merging: false,
  };
}

/** An array of `n` times `v` (a loop: `new Array(n).fill(v)` calls into the runtime, per primitive). */
function filled<T>(n: number, v: T): T[] {
  const a: T[] = [];
  for (let i = 0; i < n; i++) a.push(v);
  return a;
}

function cloneMaxOf(meta: Record<string, string>, nodeCount: number): number {
  const v = meta["clone-max"];
  const n = v === undefined ? nodeCount : Number.parseInt(v, 10);
  return Number.isFinite(n) && n >= 0 ? n : nodeCount;
}

/** Builds the working model of a CIB at time `nowMs`. */
export function unpack(cib: Cib, nowMs: number): World {
  const opts = clusterOptions(cib);
  const raw = opts.raw;
  const stonithEnabled = opts.stonithEnabled;
  const nodes = buildNodes(cib, stonithEnabled, opts.startupFencing);
  const nodeByName = new Map(nodes.map((n) => [n.uname, n]));
  const nodeById = new Map(nodes.map((n) => [n.id, n]));
  const N = nodes.length;
  const rscDefaults = cib.configuration.rscDefaults;
  const opDefaults = nvMap(cib.configuration.opDefaults);
  const perOp = perOpFailCounts(cib);
  const maintenance = opts.maintenanceMode;
  const notes: string[] = [];

  const prims: WPrim[] = [];
  const primById = new Map<string, WPrim>();
  const groups = new Map<string, WGroup>();
  const clones = new Map<string, WClone>();
  const tops: WTop[] = [];
  const add = (p: WPrim): WPrim => {
    prims.push(p);
    primById.set(p.id, p);
    return p;
  };
  const metaSets = (r: Resource): readonly NvSet[] => r.metaAttributes;

  for (const top of cib.configuration.resources) {
    if (top.kind === "primitive") {
      const p = add(
        newPrim(
          top.id,
          top.id,
          top,
          prims.length,
          N,
          metaOf([metaSets(top), rscDefaults], false, maintenance),
          {},
        ),
      );
      tops.push({ kind: "prim", prim: p });
    } else if (top.kind === "group") {
      const members = top.members.map((m) =>
        add(
          newPrim(
            m.id,
            m.id,
            m,
            prims.length,
            N,
            metaOf([m.metaAttributes, top.metaAttributes, rscDefaults], false, maintenance),
            { groupId: top.id },
          ),
        ),
      );
      const g: WGroup = { id: top.id, members, allocating: false, done: false };
      groups.set(top.id, g);
      tops.push({ kind: "group", group: g });
    } else {
      const cmeta = nvMap(top.metaAttributes);
      const cloneMax = cloneMaxOf(cmeta, N);
      const cloned = top.child.kind === "primitive" ? [top.child] : top.child.members;
      const groupSets = top.child.kind === "group" ? top.child.metaAttributes : [];
      const start = prims.length;
      const instances = cloned.map((c, k) =>
        Array.from({ length: cloneMax }, (_, i) =>
          newPrim(
            `${c.id}:${i}`,
            c.id,
            c,
            start + i * cloned.length + k,
            N,
            metaOf([c.metaAttributes, groupSets, top.metaAttributes, rscDefaults], true, maintenance),
            { cloneId: top.id, ...(top.child.kind === "group" ? { groupId: top.child.id } : {}) },
          ),
        ),
      );
      // instance-major order (every member of instance 0, then of instance 1, ...), as Pacemaker lists them
      for (let i = 0; i < cloneMax; i++) for (const list of instances) add(list[i] as WPrim);
      const c: WClone = {
        id: top.id,
        bases: cloned.map((x) => x.id),
        instances,
        weights: new Array<number>(N).fill(0),
        has: new Array<boolean>(N).fill(false),
        cloneMax,
        done: false,
        allocating: false,
        merging: false,
      };
      clones.set(top.id, c);
      tops.push({ kind: "clone", clone: c });
    }
  }

  // ---- status: history of every primitive on every node whose state is known
  const haveStonithDevice = prims.some((p) => p.cfg.class === "stonith");
  const historyOn = new Map<string, Set<number>>();
  const orphans = new Map<string, number[]>();
  /** Per primitive id: its instances and the nodes with its history (one lookup per history entry). */
  const basePrims = new Map<string, { readonly prims: WPrim[]; seen?: Set<number> }>();
  for (const p of prims) {
    const e = basePrims.get(p.base);
    if (e !== undefined) e.prims.push(p);
    else basePrims.set(p.base, { prims: [p] });
  }
  for (const ns of cib.status) {
    const node = nodeById.get(ns.id) ?? (ns.uname !== undefined ? nodeByName.get(ns.uname) : undefined);
    if (node === undefined) continue;
    const readable = node.online || node.unclean;
    for (const lr of ns.lrmResources) {
      const base = lr.id.includes(":") ? lr.id.replace(/:\d+$/, "") : lr.id;
      let entry = basePrims.get(base);
      if (entry === undefined) {
        entry = { prims: [] };
        basePrims.set(base, entry);
      }
      const candidates = entry.prims.length > 0 ? entry.prims : undefined;
      let seen = entry.seen;
      if (seen === undefined) {
        seen = new Set<number>();
        entry.seen = seen;
        historyOn.set(base, seen);
      }
      seen.add(node.idx);
      if (!readable) continue;
      const sample = candidates?.[0];
      if (sample === undefined) {
        const st = replayHistory(
          {
            kind: "primitive",
            id: base,
            class: lr.class ?? "ocf",
            type: lr.type ?? "",
            instanceAttributes: [],
            metaAttributes: [],
            utilization: [],
            operations: [],
          },
          lr.ops,
          {
            nowMs,
            failureTimeoutMs: 0,
            managed: true,
            stonith: stonithEnabled,
            opDefaults,
          },
        );
        if (st.role === "Started" && opts.stopOrphanResources)
          orphans.set(base, [...(orphans.get(base) ?? []), node.idx]);
        continue;
      }
      const st = replayHistory(sample.cfg, lr.ops, {
        nowMs,
        failureTimeoutMs: sample.meta.failureTimeoutMs,
        managed: sample.managed,
        stonith: stonithEnabled && haveStonithDevice,
        opDefaults,
      });
      // anonymous clones: the first instance not yet active anywhere takes this node
      const target =
        candidates && candidates.length > 1
          ? (candidates.find((c) => c.running.length === 0 && !c.failedOn.has(node.idx)) ?? sample)
          : sample;
      // an anonymous clone active on more nodes than it has instances: the surplus is an orphan
      // instance (find_anonymous_clone), stopped on its own; the kept instances are left alone
      if (
        sample.cloneId !== undefined &&
        target.running.length > 0 &&
        st.role === "Started" &&
        !st.failed &&
        !target.running.includes(node.idx) &&
        opts.stopOrphanResources
      ) {
        orphans.set(base, [...(orphans.get(base) ?? []), node.idx]);
        continue;
      }
      const all = candidates ?? [];
      if (st.banAll) for (const c of all) for (let i = 0; i < N; i++) ban(c, i);
      if (st.banNode) for (const c of all) ban(c, node.idx);
      if (st.role === "Started") {
        target.running.push(node.idx);
        target.monitorsOn.set(node.idx, activeMonitors(lr.ops));
      }
      if (st.pendingStart) target.pendingOn.add(node.idx);
      if (!st.failed) continue;
      // on-fail applies whatever the role (a stop or a fence is not undone by the later stop)
      switch (st.onFail) {
        case "block":
          target.managed = false;
          target.blocked = true;
          target.failedOn.add(node.idx);
          break;
        case "stop":
          target.stopTarget = true;
          target.stopReason = "on-fail-stop";
          break;
        case "standby":
          node.standby = true;
          if (st.role === "Started") target.failedOn.add(node.idx);
          break;
        case "fence":
          node.unclean = true;
          if (st.role === "Started") target.failedOn.add(node.idx);
          break;
        default:
          if (st.role === "Started") target.failedOn.add(node.idx);
      }
    }
  }

  // ---- resources on a node in maintenance are left alone
  for (const p of prims) if (p.running.some((n) => (nodes[n] as WNode).maintenance)) p.managed = false;

  // ---- fail counts -> migration-threshold bans
  const failIndex = nodes.map((n) => indexFailures(n.attrs));
  // only nodes with a fail count can ban (most have none: skip them for each of thousands of primitives)
  const failing = nodes.filter((n) => (failIndex[n.idx] as FailIndex).legacy.size > 0);
  for (const p of failing.length === 0 ? [] : prims) {
    const t = p.meta.migrationThreshold;
    if (t <= 0) continue;
    for (const n of failing) {
      const fc = failCount(failIndex[n.idx] as FailIndex, p.base, perOp, p.meta.failureTimeoutMs, nowMs);
      if (fc > 0 && fc >= t) {
        if (p.cloneId !== undefined) for (const q of basePrims.get(p.base)?.prims ?? []) ban(q, n.idx);
        else ban(p, n.idx);
      }
    }
  }

  const haveQuorum = cib.haveQuorum ?? true;
  if (stonithEnabled && !haveStonithDevice)
    notes.push("Resource start-up disabled since no STONITH resources have been defined");
  return {
    cib,
    nowMs,
    nodes,
    nodeByName,
    prims,
    primById,
    groups,
    clones,
    tops,
    symmetric: opts.symmetricCluster,
    stonithEnabled,
    stonithAction: opts.stonithAction,
    haveStonithDevice,
    haveQuorum,
    noQuorumPolicy: opts.noQuorumPolicy,
    stopAll: opts.stopAllResources || raw["stop-all-resources"] === "true",
    historyOn,
    orphans,
    notes,
  };
}

function ban(p: WPrim, node: number): void {
  p.bans.add(node);
}

/**
 * The intervals of the recurring monitors active in a history: recorded after
 * the last start (Pacemaker's process_recurring skips older ones, which a stop
 * cancelled; simulator seed 7636: a restart aborted before its monitor ran
 * left the old monitor's entry, and the resource's death went unseen).
 */
function activeMonitors(ops: readonly LrmRscOp[]): Set<number> {
  let lastStart = -1;
  for (const o of ops)
    if ((o.operation === "start" || o.operation === "migrate_from") && o.callId >= 0)
      lastStart = Math.max(lastStart, o.callId);
  const intervals = new Set<number>();
  for (const o of ops)
    if (o.operation === "monitor" && o.intervalMs > 0 && (o.callId < 0 || o.callId > lastStart))
      intervals.add(o.intervalMs);
  return intervals;
}
