/**
 * Pure diff of a desired table against the table a backend read back, giving
 * an ordered change list for ONE batch. The order is make-before-break, so a
 * service that has a serving destination before and after the batch has one
 * after every single step:
 *
 *   1. new services, each followed by its destinations;
 *   2. edits of existing services (scheduler, persistence, netmask, flags);
 *   3. destinations added, or edited to a higher weight (restored);
 *   4. destinations edited without a weight change (method, thresholds);
 *   5. destinations edited to a lower weight (quiesced), then removed;
 *   6. services removed (only those the caller says it owns).
 *
 * Where we differ from ldirectord (shared/reference/ldirectord-traces.txt):
 * - when the last real goes down ldirectord deletes it (or sets weight 0)
 *   and only then adds the fallback, leaving a window with an empty pool; we
 *   add the fallback first. On the way up both add the real before deleting
 *   the fallback.
 * - at start-up ldirectord adds each unchecked real and takes it out again,
 *   toggling the fallback for every real; we apply the whole table once.
 * - ldirectord issues one ipvsadm process per change after re-reading the
 *   table each time; we apply one batch.
 * - a service we do not own (not in the desired table and not declared owned)
 *   is never touched; ldirectord does the same for services it never configured.
 */
import type {
  DirectorConfig,
  Table,
  TableChange,
  TableReal,
  TableService,
  TableServiceSpec,
} from "./model.js";

export interface ReconcileOptions {
  /** Services present in the kernel but not desired are removed only when this says they are ours (e.g. from the previous configuration). */
  readonly owned?: (serviceKey: string) => boolean;
}

/** Service fields only (drops `reals`). */
export function specOf(s: TableService): TableServiceSpec {
  const { reals: _reals, ...spec } = s;
  return spec;
}

function flags(f: string | undefined): string {
  return (f ?? "").split(",").filter(Boolean).sort().join(",");
}

/** Whether two service specs differ in anything a backend would have to change. */
export function serviceDiffers(a: TableServiceSpec, b: TableServiceSpec): boolean {
  return (
    a.scheduler !== b.scheduler ||
    a.persistenceSec !== b.persistenceSec ||
    (a.persistenceSec !== undefined && a.netmask !== b.netmask) ||
    flags(a.schedFlags) !== flags(b.schedFlags) ||
    a.ops !== b.ops
  );
}

function realDiffers(a: TableReal, b: TableReal): boolean {
  return (
    a.method !== b.method ||
    a.weight !== b.weight ||
    a.upperThreshold !== b.upperThreshold ||
    a.lowerThreshold !== b.lowerThreshold
  );
}

/** The ordered change list that turns `actual` into `desired`. */
export function reconcile(desired: Table, actual: Table, opts: ReconcileOptions = {}): TableChange[] {
  const have = new Map(actual.services.map((s) => [s.key, s]));
  const want = new Set(desired.services.map((s) => s.key));
  const addServices: TableChange[] = [];
  const editServices: TableChange[] = [];
  const raise: TableChange[] = [];
  const neutral: TableChange[] = [];
  const lower: TableChange[] = [];
  const remove: TableChange[] = [];
  const delServices: TableChange[] = [];

  for (const d of desired.services) {
    const spec = specOf(d);
    const a = have.get(d.key);
    if (!a) {
      addServices.push({ op: "add-service", service: spec });
      for (const r of d.reals) addServices.push({ op: "add-real", service: spec, real: r });
      continue;
    }
    const prevSpec = specOf(a);
    if (serviceDiffers(spec, prevSpec))
      editServices.push({ op: "edit-service", service: spec, previous: prevSpec });
    const cur = new Map(a.reals.map((r) => [r.key, r]));
    for (const r of d.reals) {
      const p = cur.get(r.key);
      if (!p) raise.push({ op: "add-real", service: spec, real: r });
      else if (realDiffers(r, p)) {
        const change: TableChange = { op: "edit-real", service: spec, real: r, previous: p };
        (r.weight > p.weight ? raise : r.weight < p.weight ? lower : neutral).push(change);
      }
    }
    const keep = new Set(d.reals.map((r) => r.key));
    for (const r of a.reals) if (!keep.has(r.key)) remove.push({ op: "delete-real", service: spec, real: r });
  }
  for (const a of actual.services)
    if (!want.has(a.key) && opts.owned?.(a.key))
      delServices.push({ op: "delete-service", service: specOf(a) });

  return [...addServices, ...editServices, ...raise, ...neutral, ...lower, ...remove, ...delServices];
}

/** Applies a change list to a table value (what a backend does to the kernel); for tests and fake backends. */
export function applyChanges(table: Table, changes: readonly TableChange[]): Table {
  const services = new Map<string, TableService>(table.services.map((s) => [s.key, s]));
  for (const c of changes) {
    const s = services.get(c.service.key);
    switch (c.op) {
      case "add-service":
        if (s) throw new Error(`service ${c.service.key} already exists`);
        services.set(c.service.key, { ...c.service, reals: [] });
        break;
      case "edit-service":
        if (!s) throw new Error(`service ${c.service.key} does not exist`);
        services.set(c.service.key, { ...c.service, reals: s.reals });
        break;
      case "delete-service":
        if (!s) throw new Error(`service ${c.service.key} does not exist`);
        services.delete(c.service.key);
        break;
      case "add-real":
        if (!s) throw new Error(`service ${c.service.key} does not exist`);
        if (s.reals.some((r) => r.key === c.real.key))
          throw new Error(`destination ${c.real.key} already exists`);
        services.set(s.key, { ...s, reals: [...s.reals, c.real] });
        break;
      case "edit-real":
      case "delete-real": {
        if (!s) throw new Error(`service ${c.service.key} does not exist`);
        const i = s.reals.findIndex((r) => r.key === c.real.key);
        if (i < 0) throw new Error(`destination ${c.real.key} does not exist`);
        const reals = [...s.reals];
        if (c.op === "edit-real") reals[i] = c.real;
        else reals.splice(i, 1);
        services.set(s.key, { ...s, reals });
        break;
      }
    }
  }
  return { services: [...services.values()] };
}

/** Destinations of a service that receive new connections (weight > 0). */
export function activePool(table: Table, serviceKey: string): TableReal[] {
  return table.services.find((s) => s.key === serviceKey)?.reals.filter((r) => r.weight > 0) ?? [];
}

/**
 * Changes for stopping the director: the services of virtuals with
 * cleanstop=yes are deleted (their destinations go with them, like ldirectord's
 * `-d` of each real followed by `-D`); cleanstop=no leaves the table serving.
 */
export function stopChanges(config: DirectorConfig, actual: Table): TableChange[] {
  const clean = new Set(config.virtuals.filter((v) => v.cleanStop).map((v) => v.key));
  const keep = { services: actual.services.filter((s) => !clean.has(s.key)) };
  return reconcile(keep, actual, { owned: (k) => clean.has(k) });
}
