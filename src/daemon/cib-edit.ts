/**
 * The administrative CIB edits of `hbctl resource|cib|standby|takeover`
 * (pure): Pacemaker's cli-prefer / cli-ban location constraints, meta
 * target-role, forgetting a resource's history and fail counts, replacing the
 * configuration, and Heartbeat's hb_standby / hb_takeover expressed as
 * preferences. `planAdmin` checks a request against a CIB and returns the new
 * CIB (or the reason it is refused); the controller applies it on the DC.
 * None of these bump the version: the caller does (controller setCib).
 */
import { type Diagnostic, formatDiagnostic, sortDiagnostics } from "../base/diag.js";
import type { Cib, LocationConstraint, NvSet, Resource } from "../cib/model.js";
import { parseCib } from "../cib/parse.js";
import { findResource, isStandby, nodeStateOnline, parentsOf, primitives } from "../cib/query.js";
import { INFINITY, MINUS_INFINITY } from "../cib/score.js";
import type { AdminRequest, HbWhich } from "../ipc/protocol.js";
import { resourceReports, setNodeAttribute } from "./crm-cib.js";

/** Id of the constraint `move RSC NODE` writes (crm_resource's name). */
export const preferId = (rsc: string): string => `cli-prefer-${rsc}`;
/** Id of the constraint `ban RSC NODE` writes (crm_resource's name). */
export const banId = (rsc: string, node: string): string => `cli-ban-${rsc}-on-${node}`;

const isCli = (rsc: string) => (c: LocationConstraint) =>
  c.id === preferId(rsc) || (c.rsc === rsc && c.id.startsWith(`cli-ban-${rsc}-on-`));

function withLocations(cib: Cib, f: (ls: readonly LocationConstraint[]) => LocationConstraint[]): Cib {
  const constraints = cib.configuration.constraints;
  return {
    ...cib,
    configuration: {
      ...cib.configuration,
      constraints: { ...constraints, locations: f(constraints.locations) },
    },
  };
}

/** `cli-prefer-RSC` = INFINITY on `node` (replacing an older one); a ban of RSC from `node` is lifted, as crm_resource --move does. */
export function preferNode(cib: Cib, rsc: string, node: string): Cib {
  return withLocations(cib, (ls) => [
    ...ls.filter((c) => c.id !== preferId(rsc) && c.id !== banId(rsc, node)),
    { id: preferId(rsc), rsc, node, score: INFINITY, rules: [] },
  ]);
}

/** `cli-ban-RSC-on-NODE` = -INFINITY. */
export function banNode(cib: Cib, rsc: string, node: string): Cib {
  return withLocations(cib, (ls) => [
    ...ls.filter((c) => c.id !== banId(rsc, node)),
    { id: banId(rsc, node), rsc, node, score: MINUS_INFINITY, rules: [] },
  ]);
}

/** Removes RSC's cli-prefer and cli-ban constraints; `removed` lists their ids. */
export function clearCliConstraints(cib: Cib, rsc: string): { cib: Cib; removed: string[] } {
  const removed = cib.configuration.constraints.locations.filter(isCli(rsc)).map((c) => c.id);
  return { cib: withLocations(cib, (ls) => ls.filter((c) => !isCli(rsc)(c))), removed };
}

function setMeta(sets: readonly NvSet[], owner: string, name: string, value: string): NvSet[] {
  const out =
    sets.length > 0
      ? [...sets]
      : [{ kind: "meta_attributes" as const, id: `${owner}-meta_attributes`, nvpairs: [] }];
  const first = out[0] as NvSet;
  const prefix = first.id ?? `${owner}-meta_attributes`;
  out[0] = {
    ...first,
    nvpairs: [...first.nvpairs.filter((p) => p.name !== name), { id: `${prefix}-${name}`, name, value }],
  };
  // A value in a later set would be shadowed by the first one anyway; drop it so nothing contradicts.
  return out.map((s, i) => (i === 0 ? s : { ...s, nvpairs: s.nvpairs.filter((p) => p.name !== name) }));
}

/** Sets a meta attribute of the resource `id` (primitive, group or clone, at any depth). */
export function setResourceMeta(cib: Cib, id: string, name: string, value: string): Cib {
  const edit = (r: Resource): Resource => {
    if (r.id === id) return { ...r, metaAttributes: setMeta(r.metaAttributes, id, name, value) } as Resource;
    if (r.kind === "group") return { ...r, members: r.members.map((m) => edit(m) as typeof m) };
    if (r.kind === "clone") return { ...r, child: edit(r.child) as typeof r.child };
    return r;
  };
  return {
    ...cib,
    configuration: { ...cib.configuration, resources: cib.configuration.resources.map(edit) },
  };
}

/** The primitive ids inside resource `id` (itself when it is a primitive). */
export function primitiveIds(cib: Cib, id: string): string[] {
  return primitives(cib)
    .filter((p) => p.primitive.id === id || p.group?.id === id || p.clone?.id === id)
    .map((p) => p.primitive.id);
}

/**
 * Forgets the operation history and the fail-count / last-failure attributes
 * of the primitives `ids` on `node` (every node when undefined), so the
 * policy probes them again. `entries` counts what was removed.
 */
export function cleanupHistory(
  cib: Cib,
  ids: readonly string[],
  node?: string,
): { cib: Cib; entries: number } {
  const set = new Set(ids);
  const failAttr = (name: string) => {
    const m = /^(?:fail-count|last-failure)-(.+?)(?:#.*)?$/.exec(name);
    return m !== null && set.has(m[1] ?? "");
  };
  let entries = 0;
  const status = cib.status.map((ns) => {
    if (node !== undefined && ns.uname !== node) return ns;
    const lrm = ns.lrmResources.filter((r) => !set.has(r.id));
    const transient = ns.transientAttributes.map((s) => ({
      ...s,
      nvpairs: s.nvpairs.filter((p) => !failAttr(p.name)),
    }));
    entries += ns.lrmResources.length - lrm.length;
    entries += ns.transientAttributes.reduce((n, s) => n + s.nvpairs.length, 0);
    entries -= transient.reduce((n, s) => n + s.nvpairs.length, 0);
    return { ...ns, lrmResources: lrm, transientAttributes: transient };
  });
  return { cib: { ...cib, status }, entries };
}

/**
 * `current` with its configuration replaced by `next`'s; the status section,
 * num_updates and dc-uuid stay. admin_epoch and epoch become the higher of
 * both, so that the caller's epoch bump puts the result above both versions.
 */
export function replaceConfiguration(current: Cib, next: Cib): Cib {
  return {
    ...next,
    adminEpoch: Math.max(current.adminEpoch, next.adminEpoch),
    epoch: Math.max(current.epoch, next.epoch),
    numUpdates: current.numUpdates,
    status: current.status,
    ...(current.dcUuid === undefined ? {} : { dcUuid: current.dcUuid }),
  };
}

/** The top-level resource holding `id` (a group member's group, a clone's child's clone), or `id`'s own. */
export function topLevel(cib: Cib, id: string): Resource | undefined {
  const r = findResource(cib, id);
  return r === undefined ? undefined : (parentsOf(cib, id).at(-1) ?? r);
}

/** Nodes where a primitive of resource `id` runs now (from the status section). */
export function runningNodes(cib: Cib, id: string): string[] {
  const ids = new Set(primitiveIds(cib, id));
  const nodes = resourceReports(cib)
    .filter((r) => ids.has(r.id))
    .flatMap((r) => r.running);
  return [...new Set(nodes)].sort();
}

/**
 * A resource's home node in Heartbeat's sense: the node of its haresources
 * line, i.e. in a CIB the node with the highest positive location score
 * (node/score constraints on the resource, cli-* ones left out); ties go to
 * the lower name. Undefined when no node is preferred.
 */
export function homeNode(cib: Cib, rsc: string): string | undefined {
  let best: { node: string; score: number } | undefined;
  for (const c of cib.configuration.constraints.locations) {
    if (c.rsc !== rsc || c.node === undefined || c.score === undefined || c.score <= 0) continue;
    if (c.id.startsWith("cli-")) continue;
    if (best === undefined || c.score > best.score || (c.score === best.score && c.node < best.node))
      best = { node: c.node, score: c.score };
  }
  return best?.node;
}

/**
 * Heartbeat's selection of resource groups seen from `node`: `local` = those
 * whose home node is `node`, `foreign` = the others (no home counts as
 * foreign), `all` = both. Top-level groups and primitives; clones run
 * everywhere and are never selected.
 */
export function selectHeartbeat(cib: Cib, node: string, which: "all" | "local" | "foreign"): string[] {
  return cib.configuration.resources
    .filter((r) => r.kind !== "clone")
    .filter((r) => which === "all" || (homeNode(cib, r.id) === node) === (which === "local"))
    .map((r) => r.id);
}

/** Nodes online in the status section and not in standby. */
export function usableNodes(cib: Cib): string[] {
  return cib.status
    .filter((ns) => ns.uname !== undefined && nodeStateOnline(ns) && !isStandby(cib, ns.uname))
    .map((ns) => ns.uname as string)
    .sort();
}

/** What `planAdmin` decided. `cib` undefined: accepted, nothing to change. */
export type AdminPlan =
  | { readonly ok: true; readonly message: string; readonly kind: "config" | "status"; readonly cib?: Cib }
  | { readonly ok: false; readonly reason: string };

/** How the sender's view of the cluster enters `planAdmin`. */
export interface AdminContext {
  /** Configured cluster nodes (lower case). */
  readonly nodes: readonly string[];
}

const refuse = (reason: string): AdminPlan => ({ ok: false, reason });

/** The `file:line: error: ...` lines of a refused CIB (at most `max`). */
export function formatProblems(ds: readonly Diagnostic[], max = 10): string {
  const errors = sortDiagnostics(ds).filter((d) => d.severity === "error");
  const shown = errors.slice(0, max).map(formatDiagnostic);
  if (errors.length > max) shown.push(`... and ${errors.length - max} more error(s)`);
  return shown.join("\n");
}

/** Checks `req` against `cib` and computes the change. Pure. */
export function planAdmin(cib: Cib, req: AdminRequest, ctx: AdminContext): AdminPlan {
  const node = "node" in req && req.node !== undefined ? req.node.toLowerCase() : undefined;
  if (node !== undefined && !ctx.nodes.includes(node))
    return refuse(`${node} is not a cluster node (nodes: ${ctx.nodes.join(", ")})`);
  switch (req.op) {
    case "attr":
      return {
        ok: true,
        kind: "config",
        message: `${req.node}: ${req.name}=${req.value ?? "(removed)"}`,
        cib: setNodeAttribute(cib, node ?? req.node, req.name, req.value ?? undefined),
      };
    case "cib-apply": {
      const parsed = parseCib(req.xml, req.file ?? "cib.xml");
      const problems = formatProblems(parsed.diagnostics);
      if (parsed.value === undefined || problems !== "")
        return refuse(`the new CIB is not valid, nothing changed:\n${problems}`);
      const kept = new Set(primitives(parsed.value).map((p) => p.primitive.id));
      const orphans = resourceReports(cib).filter((r) => r.running.length > 0 && !kept.has(r.id));
      if (orphans.length > 0)
        return refuse(
          `the new CIB drops ${orphans.map((o) => `${o.id} (running on ${o.running.join(", ")})`).join(", ")}; stop ${orphans.length === 1 ? "it" : "them"} first (hbctl resource stop), then apply: a resource no longer configured cannot be stopped (its parameters are gone)`,
        );
      const next = replaceConfiguration(cib, parsed.value);
      return {
        ok: true,
        kind: "config",
        message: `configuration replaced (was ${cib.adminEpoch}.${cib.epoch}, file ${parsed.value.adminEpoch}.${parsed.value.epoch}, now ${next.adminEpoch}.${next.epoch + 1})`,
        cib: next,
      };
    }
    case "hb-standby":
    case "hb-takeover":
      return planHeartbeat(cib, req.op, req.which, node ?? req.node);
    default:
      break;
  }
  const rsc = req.rsc;
  const found = findResource(cib, rsc);
  if (found === undefined) return refuse(`no resource ${rsc} in the CIB`);
  const top = topLevel(cib, rsc) ?? found;
  const via = top.id === rsc ? "" : ` (through its ${top.kind} ${top.id})`;
  /** `cli-ban-TOP-on-N` for N = `on`, or the one node where it runs now (crm_resource --ban / --move without a node). */
  const banFrom = (on: string | undefined, what: string, say: (n: string) => string): AdminPlan => {
    const where = on === undefined ? runningNodes(cib, top.id) : [on];
    const n = where[0];
    if (where.length !== 1 || n === undefined)
      return refuse(
        `${rsc} runs on ${where.length === 0 ? "no node" : where.join(", ")}: name the node to ${what}`,
      );
    return {
      ok: true,
      kind: "config",
      message: `${say(n)}: ${banId(top.id, n)} = -INFINITY${via}`,
      cib: banNode(cib, top.id, n),
    };
  };
  switch (req.op) {
    case "move":
      if (node !== undefined)
        return {
          ok: true,
          kind: "config",
          message: `${top.id} prefers ${node}: ${preferId(top.id)} = INFINITY${via}`,
          cib: preferNode(cib, top.id, node),
        };
      return banFrom(undefined, "move it to", (n) => `${top.id} moves away from ${n}`);
    case "ban":
      return banFrom(node, "ban it from", (n) => `${top.id} banned from ${n}`);
    case "clear": {
      let next = cib;
      const removed: string[] = [];
      for (const id of new Set([rsc, top.id])) {
        const r = clearCliConstraints(next, id);
        next = r.cib;
        removed.push(...r.removed);
      }
      if (removed.length === 0)
        return { ok: true, kind: "config", message: `${rsc} has no cli-prefer / cli-ban constraint` };
      return { ok: true, kind: "config", message: `removed ${removed.join(", ")}`, cib: next };
    }
    case "cleanup": {
      const ids = primitiveIds(cib, rsc);
      const r = cleanupHistory(cib, ids, node);
      return {
        ok: true,
        kind: "status",
        message: `cleaned up ${ids.join(", ")} on ${node ?? "every node"} (${r.entries} history entr${r.entries === 1 ? "y" : "ies"} and fail attributes removed); it will be probed again`,
        cib: r.cib,
      };
    }
    case "start":
    case "stop": {
      const role = req.op === "start" ? "Started" : "Stopped";
      return {
        ok: true,
        kind: "config",
        message: `${rsc}: target-role=${role}`,
        cib: setResourceMeta(cib, rsc, "target-role", role),
      };
    }
  }
}

/**
 * Heartbeat's hb_standby / hb_takeover as run on `node`, expressed with
 * cli-prefer constraints (see docs/ADMIN.md):
 * - standby X: the groups X (failback = foreign) seen from `node` prefer
 *   another usable node (the lowest name when there are several); refused
 *   when there is none, as Heartbeat's standby needs a peer to hand over to;
 * - takeover X: the groups X seen from `node` prefer `node` (Heartbeat
 *   swaps local/foreign and runs hb_standby on the peer, which selects the
 *   same groups in a two-node cluster); `failback` = all, Heartbeat's quirk
 *   (rc.d/hb_takeover has no branch for it, so the peer's hb_standby takes its default, all).
 */
function planHeartbeat(cib: Cib, op: "hb-standby" | "hb-takeover", which: HbWhich, node: string): AdminPlan {
  const sel: "all" | "local" | "foreign" =
    which === "failback" ? (op === "hb-standby" ? "foreign" : "all") : which;
  const groups = selectHeartbeat(cib, node, sel);
  const usable = usableNodes(cib);
  let target: string;
  if (op === "hb-standby") {
    const others = usable.filter((n) => n !== node);
    if (others.length === 0)
      return refuse(`${node} cannot go standby [${which}]: no other online node can take over`);
    target = others[0] as string;
  } else {
    if (!usable.includes(node))
      return refuse(
        `${node} cannot take over [${which}]: it is not online, or it is in standby (hbctl online)`,
      );
    target = node;
  }
  const verb = op === "hb-standby" ? `${node} going standby [${which}]` : `${node} taking over [${which}]`;
  if (groups.length === 0) return { ok: true, kind: "config", message: `${verb}: no ${sel} resources` };
  let next = cib;
  for (const g of groups) next = preferNode(next, g, target);
  return {
    ok: true,
    kind: "config",
    message: `${verb}: ${groups.join(", ")} prefer ${target} (${groups.map(preferId).join(", ")})`,
    cib: next,
  };
}

/** Counts for `hbctl cib show --json`. */
export function cibCounts(cib: Cib): {
  nodes: number;
  resources: number;
  primitives: number;
  constraints: number;
} {
  const c = cib.configuration.constraints;
  return {
    nodes: cib.configuration.nodes.length,
    resources: cib.configuration.resources.length,
    primitives: primitives(cib).length,
    constraints: c.locations.length + c.colocations.length + c.orders.length,
  };
}
