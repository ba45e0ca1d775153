/**
 * Where Tandem's decision for a CIB may differ from Pacemaker 2.1.5's: the
 * features of issue 17 rows 11-14 that the policy engine does not implement
 * (docs/POLICY-COMPAT.md "Where they still differ"). `hbctl simulate` prints
 * one warning per use, so a simulated decision is never silently unlike
 * Pacemaker's. Pure: a CIB in, notes out.
 */
import type { Cib, Clone, NvSet, Resource } from "../cib/model.js";
import { isTrue, nvMap, primitives, resourceIndex } from "../cib/query.js";
import { INFINITY } from "../cib/score.js";

/**
 * One difference: the issue 17 row, the resource concerned, and what each engine does.
 */
export interface CompatNote {
  readonly row: 11 | 12 | 13 | 14;
  readonly rsc: string;
  readonly message: string;
}

const meta = (sets: readonly NvSet[]): Record<string, string> => nvMap(sets);

/** Row 11: allow-migrate=true on a primitive (own meta, its containers' or rsc_defaults). */
function liveMigration(cib: Cib): CompatNote[] {
  const dflt = meta(cib.configuration.rscDefaults)["allow-migrate"];
  return primitives(cib).flatMap(({ primitive, group, clone }) => {
    const value =
      meta(primitive.metaAttributes)["allow-migrate"] ??
      (group ? meta(group.metaAttributes)["allow-migrate"] : undefined) ??
      (clone ? meta(clone.metaAttributes)["allow-migrate"] : undefined) ??
      dflt;
    if (!isTrue(value)) return [];
    return [
      {
        row: 11,
        rsc: primitive.id,
        message: `${primitive.id} has allow-migrate=true: Pacemaker would move it live (migrate_to/migrate_from); Tandem stops and starts it`,
      },
    ];
  });
}

/** Row 12: a group with collocated=false or ordered=false. */
function looseGroups(cib: Cib): CompatNote[] {
  const groups = [...resourceIndex(cib).values()].filter((r) => r.kind === "group");
  return groups.flatMap((g) => {
    const m = meta(g.metaAttributes);
    const loose = ["collocated", "ordered"].filter((k) => m[k] !== undefined && !isTrue(m[k]));
    if (loose.length === 0) return [];
    return [
      {
        row: 12 as const,
        rsc: g.id,
        message: `group ${g.id} has ${loose.map((k) => `${k}=false`).join(" and ")}: Pacemaker honours it; Tandem keeps the members together and in order`,
      },
    ];
  });
}

const clones = (cib: Cib): Clone[] =>
  cib.configuration.resources.filter((r): r is Clone => r.kind === "clone");

/** Row 13: a globally-unique clone with clone-node-max above 1. */
function uniqueClones(cib: Cib): CompatNote[] {
  return clones(cib).flatMap((c) => {
    const m = meta(c.metaAttributes);
    const perNode = Number(m["clone-node-max"] ?? "1");
    if (!isTrue(m["globally-unique"]) || !(perNode > 1)) return [];
    return [
      {
        row: 13 as const,
        rsc: c.id,
        message: `clone ${c.id} is globally-unique with clone-node-max=${m["clone-node-max"]}: Pacemaker places up to that many instances per node; Tandem places one`,
      },
    ];
  });
}

/** Primitive ids of a clone's child. */
const cloneMembers = (c: Clone): string[] =>
  c.child.kind === "primitive" ? [c.child.id] : c.child.members.map((m) => m.id);

/** Nodes where the clone's first primitive's latest recorded operation left it running. */
function activeNodes(cib: Cib, c: Clone): number {
  const first = cloneMembers(c)[0];
  let count = 0;
  for (const ns of cib.status) {
    const lr = ns.lrmResources.find((r) => r.id === first || r.id.startsWith(`${first}:`));
    const last = lr?.ops.reduce((a, b) => (b.callId > a.callId ? b : a), lr.ops[0] as (typeof lr.ops)[0]);
    if (last === undefined || last.operation === "stop") continue;
    if (last.rcCode === 0 || last.rcCode === 8) count++;
  }
  return count;
}

/** Row 14: clone placements Tandem does not reproduce exactly. */
function clonePlacement(cib: Cib): CompatNote[] {
  const cons = cib.configuration.constraints;
  const index = resourceIndex(cib);
  const why = new Map<string, string[]>();
  const add = (id: string, reason: string): void => {
    const list = why.get(id) ?? [];
    if (!list.includes(reason)) list.push(reason);
    why.set(id, list);
  };
  // a finite colocation with or of a cloned primitive applies per instance as in Pacemaker (fixtures
  // r14b*); a cloned group's instances are not checked against it
  const isClonedGroup = (id: string): boolean => {
    const r = index.get(id) as Resource | undefined;
    return r?.kind === "clone" && r.child.kind === "group";
  };
  for (const col of cons.colocations) {
    if (Math.abs(col.score) >= INFINITY) continue;
    for (const id of [col.rsc, col.withRsc])
      if (isClonedGroup(id)) add(id, `a finite colocation (${col.id})`);
  }
  // a negative location score on the clone itself forbids an instance there whatever its
  // stickiness, as in Pacemaker (can_run_instance; fixture r14c): no warning
  // surplus instances of a cloned primitive are stopped as Pacemaker does (fixtures r14a*);
  // a cloned group's are not checked against it
  for (const c of clones(cib)) {
    if (c.child.kind === "primitive") continue;
    const max = Number(meta(c.metaAttributes)["clone-max"] ?? Number.NaN);
    if (Number.isFinite(max) && activeNodes(cib, c) > max)
      add(c.id, `more active instances than clone-max=${max}`);
  }
  return [...why].map(([id, reasons]) => ({
    row: 14 as const,
    rsc: id,
    message: `clone ${id} has ${reasons.join(", ")}: Tandem's instance placement can differ from Pacemaker's (docs/POLICY-COMPAT.md)`,
  }));
}

/** Every use of a feature (issue 17 rows 11-14) where Tandem decides differently from Pacemaker. */
export function compatNotes(cib: Cib): CompatNote[] {
  return [...liveMigration(cib), ...looseGroups(cib), ...uniqueClones(cib), ...clonePlacement(cib)];
}
