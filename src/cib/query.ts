/**
 * Read-only helpers over the CIB model: typed option views, resource lookup,
 * node attributes, status decoding. Pure.
 */
import { parseDurationMs } from "./duration.js";
import type {
  Cib,
  ClusterOptions,
  FailAttributeName,
  NodeState,
  NoQuorumPolicy,
  NvSet,
  Primitive,
  PrimitiveInfo,
  Resource,
  ResourceOptions,
} from "./model.js";
import { INFINITY, parseScore } from "./score.js";

/** Pacemaker's crm_is_true: true, on, yes, y, 1 (any case). */
export function isTrue(value: string | undefined): boolean {
  return value !== undefined && ["true", "on", "yes", "y", "1"].includes(value.trim().toLowerCase());
}

function boolOr(value: string | undefined, dflt: boolean): boolean {
  if (value === undefined) return dflt;
  const v = value.trim().toLowerCase();
  if (["true", "on", "yes", "y", "1"].includes(v)) return true;
  if (["false", "off", "no", "n", "0"].includes(v)) return false;
  return dflt;
}

/**
 * Flattens nvpair sets into one record: sets in descending `score` order
 * (stable), the first value of a name wins. Sets carrying a `rule` are
 * skipped unless `includeRuled` (their rule is not evaluated here).
 */
export function nvMap(sets: readonly NvSet[], includeRuled = false): Record<string, string> {
  const out: Record<string, string> = {};
  const ordered = sets
    .map((s, i) => ({ s, i }))
    .filter(({ s }) => includeRuled || s.rule === undefined)
    .sort((a, b) => (b.s.score ?? 0) - (a.s.score ?? 0) || a.i - b.i);
  for (const { s } of ordered)
    for (const nv of s.nvpairs) if (nv.value !== undefined && !(nv.name in out)) out[nv.name] = nv.value;
  return out;
}

const NO_QUORUM: readonly NoQuorumPolicy[] = ["stop", "freeze", "ignore", "demote", "suicide"];

/** crm_config as typed options with Pacemaker 2.1.5 defaults. */
export function clusterOptions(cib: Cib): ClusterOptions {
  const raw = nvMap(cib.configuration.crmConfig);
  const nqp = raw["no-quorum-policy"] as NoQuorumPolicy | undefined;
  const drs = raw["default-resource-stickiness"];
  const drsScore = drs === undefined ? undefined : parseScore(drs);
  return {
    symmetricCluster: boolOr(raw["symmetric-cluster"], true),
    stonithEnabled: boolOr(raw["stonith-enabled"], true),
    stonithAction: raw["stonith-action"] ?? "reboot",
    noQuorumPolicy: nqp !== undefined && NO_QUORUM.includes(nqp) ? nqp : "stop",
    startFailureIsFatal: boolOr(raw["start-failure-is-fatal"], true),
    stopOrphanResources: boolOr(raw["stop-orphan-resources"], true),
    stopOrphanActions: boolOr(raw["stop-orphan-actions"], true),
    maintenanceMode: boolOr(raw["maintenance-mode"], false),
    stopAllResources: boolOr(raw["stop-all-resources"], false),
    startupFencing: boolOr(raw["startup-fencing"], true),
    placementStrategy: raw["placement-strategy"] ?? "default",
    clusterDelayMs: parseDurationMs(raw["cluster-delay"] ?? "60s") ?? 60_000,
    batchLimit: Number.parseInt(raw["batch-limit"] ?? "0", 10) || 0,
    ...(drsScore !== undefined ? { defaultResourceStickiness: drsScore } : {}),
    raw,
  };
}

/** Every primitive in CIB order, with its enclosing group/clone. */
export function primitives(cib: Cib): PrimitiveInfo[] {
  const out: PrimitiveInfo[] = [];
  for (const top of cib.configuration.resources) {
    if (top.kind === "primitive") out.push({ primitive: top, top });
    else if (top.kind === "group") for (const p of top.members) out.push({ primitive: p, group: top, top });
    else if (top.child.kind === "primitive") out.push({ primitive: top.child, clone: top, top });
    else for (const p of top.child.members) out.push({ primitive: p, group: top.child, clone: top, top });
  }
  return out;
}

interface ResourceIndex {
  readonly byId: Map<string, Resource>;
  /** Containers of each resource id, innermost first. */
  readonly parents: Map<string, Resource[]>;
}

// Memoised per (immutable) Cib value, so per-resource lookups stay O(1) on large CIBs.
const indexCache = new WeakMap<Cib, ResourceIndex>();

function indexOf(cib: Cib): ResourceIndex {
  const cached = indexCache.get(cib);
  if (cached) return cached;
  const byId = new Map<string, Resource>();
  const parents = new Map<string, Resource[]>();
  const add = (r: Resource, chain: Resource[]): void => {
    if (!byId.has(r.id)) {
      byId.set(r.id, r);
      parents.set(r.id, chain);
    }
    if (r.kind === "group") for (const m of r.members) add(m, [r, ...chain]);
    else if (r.kind === "clone") add(r.child, [r, ...chain]);
  };
  for (const r of cib.configuration.resources) add(r, []);
  const index = { byId, parents };
  indexCache.set(cib, index);
  return index;
}

/** Every resource (tops, group members, clone children) by id (first definition wins). */
export function resourceIndex(cib: Cib): ReadonlyMap<string, Resource> {
  return indexOf(cib).byId;
}

/** Finds a resource of any kind at any depth. */
export function findResource(cib: Cib, id: string): Resource | undefined {
  return indexOf(cib).byId.get(id);
}

/** The containers of a resource id, innermost first (e.g. [group, clone]). */
export function parentsOf(cib: Cib, id: string): Resource[] {
  return [...(indexOf(cib).parents.get(id) ?? [])];
}

/** Effective meta attributes of a resource: own, then each container's, then rsc_defaults. */
export function effectiveMeta(cib: Cib, id: string): Record<string, string> {
  const rsc = findResource(cib, id);
  const chain: readonly NvSet[][] = [
    rsc ? [...rsc.metaAttributes] : [],
    ...parentsOf(cib, id).map((p) => [...p.metaAttributes]),
    [...cib.configuration.rscDefaults],
  ];
  const out: Record<string, string> = {};
  for (const sets of chain) for (const [k, v] of Object.entries(nvMap(sets))) if (!(k in out)) out[k] = v;
  return out;
}

/** Typed effective meta of a resource (see `ResourceOptions`). */
export function resourceOptions(cib: Cib, id: string): ResourceOptions {
  const raw = effectiveMeta(cib, id);
  const score = (name: string, dflt: number): number => {
    const v = raw[name];
    return v === undefined ? dflt : (parseScore(v) ?? dflt);
  };
  const role = raw["target-role"] ?? "Started";
  const roleNorm = /^master$/i.test(role) ? "Promoted" : /^slave$/i.test(role) ? "Unpromoted" : role;
  const rfs = raw["resource-failure-stickiness"];
  const rfsScore = rfs === undefined ? undefined : parseScore(rfs);
  return {
    targetRole: roleNorm.charAt(0).toUpperCase() + roleNorm.slice(1),
    isManaged: boolOr(raw["is-managed"], true),
    resourceStickiness: score("resource-stickiness", 0),
    migrationThreshold: score("migration-threshold", INFINITY),
    failureTimeoutMs: parseDurationMs(raw["failure-timeout"] ?? "0") ?? 0,
    priority: score("priority", 0),
    multipleActive: raw["multiple-active"] ?? "stop_start",
    allowMigrate: boolOr(raw["allow-migrate"], false),
    ...(rfsScore !== undefined ? { resourceFailureStickiness: rfsScore } : {}),
    raw,
  };
}

/** Effective op defaults (op_defaults meta without rules). */
export function opDefaults(cib: Cib): Record<string, string> {
  return nvMap(cib.configuration.opDefaults);
}

/** The primitive's ops with a given name (e.g. all monitors). */
export function opsNamed(p: Primitive, name: string): Primitive["operations"] {
  return p.operations.filter((o) => o.name === name);
}

/** in_ccm / crmd values meaning "yes" ("true"/"online" or, in newer Pacemaker, a timestamp). */
function flagOn(v: string | undefined, word: string): boolean {
  if (v === undefined) return false;
  return v === word || isTrue(v) || /^[1-9]\d*$/.test(v);
}

/** Online = in membership, cluster daemon up and joined. */
export function nodeStateOnline(ns: NodeState): boolean {
  return flagOn(ns.inCcm, "true") && flagOn(ns.crmd, "online") && ns.join === "member";
}

/** In membership at all (in_ccm). */
export function nodeStateInCcm(ns: NodeState): boolean {
  return flagOn(ns.inCcm, "true");
}

/** Node attributes of a node (by uname): permanent ones, overridden by transient ones; plus #uname/#id. */
export function nodeAttributes(cib: Cib, uname: string): Record<string, string> {
  const node = cib.configuration.nodes.find((n) => n.uname === uname);
  const state = cib.status.find((s) => s.uname === uname || (node !== undefined && s.id === node.id));
  const out: Record<string, string> = { ...nvMap(node?.instanceAttributes ?? []) };
  Object.assign(out, nvMap(state?.transientAttributes ?? []));
  out["#uname"] = uname;
  const id = node?.id ?? state?.id;
  if (id !== undefined) out["#id"] = id;
  out["#kind"] = node?.type === "remote" ? "remote" : "cluster";
  out["#is_dc"] = id !== undefined && id === cib.dcUuid ? "true" : "false";
  return out;
}

/** Is the node in standby (node attribute `standby` true, permanent or transient)? */
export function isStandby(cib: Cib, uname: string): boolean {
  return isTrue(nodeAttributes(cib, uname).standby);
}

/**
 * Decodes `fail-count-<rsc>`, `fail-count-<rsc>#<op>_<interval>` and the same
 * for `last-failure-`. Undefined for other names.
 */
export function parseFailAttributeName(name: string): FailAttributeName | undefined {
  const m = /^(fail-count|last-failure)-(.+)$/.exec(name);
  if (!m) return undefined;
  const kind = m[1] as FailAttributeName["kind"];
  const rest = m[2] ?? "";
  const hash = rest.lastIndexOf("#");
  if (hash < 0) return { kind, rsc: rest };
  const opPart = /^(.+)_(\d+)$/.exec(rest.slice(hash + 1));
  if (!opPart) return { kind, rsc: rest };
  return { kind, rsc: rest.slice(0, hash), op: opPart[1] ?? "", intervalMs: Number(opPart[2]) };
}

/** A decoded `transition-key` (`action:transition:expected-rc:uuid`). */
export interface TransitionKey {
  readonly action: number;
  readonly transition: number;
  readonly expectedRc: number;
  readonly uuid: string;
}

export function parseTransitionKey(key: string | undefined): TransitionKey | undefined {
  const m = /^(-?\d+):(-?\d+):(-?\d+):(.*)$/.exec(key ?? "");
  if (!m) return undefined;
  return { action: Number(m[1]), transition: Number(m[2]), expectedRc: Number(m[3]), uuid: m[4] ?? "" };
}

/** Is key[from, to) an integer (`-?\d+`)? */
function isIntAt(key: string, from: number, to: number): boolean {
  let i = key.charCodeAt(from) === 45 /* - */ ? from + 1 : from;
  if (i >= to) return false;
  for (; i < to; i++) {
    const c = key.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * `parseTransitionKey(key)?.expectedRc`, without a regular expression or an object: the policy
 * engine reads it for every operation of the status section (85,000 in a 5,000-resource CIB).
 */
export function transitionKeyExpectedRc(key: string | undefined): number | undefined {
  if (key === undefined) return undefined;
  const a = key.indexOf(":");
  const b = a < 0 ? -1 : key.indexOf(":", a + 1);
  const c = b < 0 ? -1 : key.indexOf(":", b + 1);
  if (c < 0 || !isIntAt(key, 0, a) || !isIntAt(key, a + 1, b) || !isIntAt(key, b + 1, c)) return undefined;
  // the uuid part (`.*`) matches no line terminator (a loop: no substring and no regular expression)
  for (let i = c + 1; i < key.length; i++) {
    const ch = key.charCodeAt(i);
    if (ch === 10 || ch === 13 || ch === 0x2028 || ch === 0x2029) return undefined;
  }
  const neg = key.charCodeAt(b + 1) === 45; /* - */
  if (c - b > 16) return Number(key.slice(b + 1, c)); // beyond 15 digits Number() rounds: let it
  let rc = 0;
  for (let i = neg ? b + 2 : b + 1; i < c; i++) rc = rc * 10 + key.charCodeAt(i) - 48;
  return neg ? -rc : rc;
}

/** Compares dotted feature-set versions ("3.0.12" < "3.0.13"). */
export function compareFeatureSets(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * True when fail counts are read per operation (`fail-count-rsc#op_interval`):
 * crm_feature_set >= 3.0.13. Below that, or when absent (Heartbeat 2 era, as
 * Pacemaker's version compare treats a missing value), `fail-count-rsc` counts.
 */
export function perOpFailCounts(cib: Cib): boolean {
  return cib.crmFeatureSet !== undefined && compareFeatureSets(cib.crmFeatureSet, "3.0.13") >= 0;
}
