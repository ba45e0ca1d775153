/**
 * Heartbeat 2.0/2.1 (crm-1.0.dtd) -> current Pacemaker schema, as a rewrite of
 * the raw XML tree before the normal parser runs (reference: cib.md, "Heartbeat
 * 2.1.x differences"). Real Pacemaker 2.x cannot read these files; we can.
 *
 * What is mapped:
 * - `<attributes>` wrappers inside nvpair sets are removed (pairs move up);
 * - root `have_quorum`/`dc_uuid` -> `have-quorum`/`dc-uuid`; the Heartbeat-only
 *   root attributes `generated`, `ccm_transition`, `num_peers`, `ignore_dtd`,
 *   `cib_feature_revision` are dropped;
 * - crm_config option names `_` -> `-`; `stonith-enabled=false` is added when
 *   absent (Heartbeat 2's default; Pacemaker's is true); `default-resource-stickiness`,
 *   `default-resource-failure-stickiness`, `is-managed-default` move to
 *   rsc_defaults (`resource-stickiness`, `resource-failure-stickiness`,
 *   `is-managed`), `default-action-timeout` to op_defaults `timeout`, and
 *   `transition-idle-timeout` becomes `cluster-delay` unless that is set;
 * - node `type="normal"` -> `member`;
 * - `provider` is dropped from non-ocf primitives (haresources2cib wrote it on all);
 * - resource options written as XML attributes (`is_managed`,
 *   `resource_stickiness`, `restart_type`, `multiple_active`, group `ordered` /
 *   `collocated`, ...) or as instance attributes with a meta name
 *   (`target_role`, `clone_max`, ...) become meta_attributes with `-` names;
 * - op `on_fail`, `start_delay`, `disabled` -> `on-fail`, `start-delay`,
 *   `enabled`; a missing op `interval` becomes "0"; op `prereq` -> the primitive's meta `requires`;
 * - `rsc_colocation from/to` -> `rsc/with-rsc`; `rsc_order from/action/type/to/to_action`
 *   -> `first/then/first-action/then-action` (type "after", the default: `from`
 *   runs after `to`);
 * - status `lrm_rsc_op` `call_id`, `rc_code`, `op_status`, `transition_key`,
 *   `transition_magic`, `op_digest`, ... -> hyphenated names.
 * Everything else passes through unchanged.
 */
import type { XmlElement } from "./model.js";

type Mutable = {
  name: string;
  attrs: Record<string, string>;
  children: Mutable[];
  text?: string;
  line?: number;
};

/** A document is Heartbeat-2 style when it has no `validate-with` or claims a 0.x schema. */
export function isLegacyDocument(root: XmlElement): boolean {
  const v = root.attrs["validate-with"];
  return v === undefined || /^(pacemaker|transitional)-0\./.test(v);
}

const SET_ELEMENTS = new Set([
  "instance_attributes",
  "meta_attributes",
  "cluster_property_set",
  "utilization",
]);

/** Resource options that are meta attributes (underscore spelling; hyphen spelling also matched). */
const META_NAMES = new Set([
  "target_role",
  "is_managed",
  "resource_stickiness",
  "resource_failure_stickiness",
  "migration_threshold",
  "failure_timeout",
  "priority",
  "multiple_active",
  "restart_type",
  "allow_migrate",
  "clone_max",
  "clone_node_max",
  "globally_unique",
  "interleave",
  "notify",
  "ordered",
  "collocated",
  "master_max",
  "master_node_max",
  "requires",
]);

const RESOURCE_ATTR_KEEP = new Set(["id", "class", "provider", "type", "description"]);

const OP_STATUS_ATTRS = [
  "call_id",
  "rc_code",
  "op_status",
  "transition_key",
  "transition_magic",
  "op_digest",
  "op_restart_digest",
  "op_force_restart",
  "last_run",
  "last_rc_change",
  "exec_time",
  "queue_time",
  "exit_reason",
];

const DROPPED_ROOT_ATTRS = ["generated", "ccm_transition", "num_peers", "ignore_dtd", "cib_feature_revision"];

/** crm_config options that Pacemaker reads from rsc_defaults / op_defaults instead. */
const MOVED_OPTIONS: Readonly<Record<string, { section: "rsc_defaults" | "op_defaults"; name: string }>> = {
  "default-resource-stickiness": { section: "rsc_defaults", name: "resource-stickiness" },
  "default-resource-failure-stickiness": { section: "rsc_defaults", name: "resource-failure-stickiness" },
  "is-managed-default": { section: "rsc_defaults", name: "is-managed" },
  "default-action-timeout": { section: "op_defaults", name: "timeout" },
};

/** Set ids used for options moved into rsc_defaults / op_defaults (Pacemaker's own conventions). */
export const LEGACY_DEFAULT_SET_IDS = { rsc_defaults: "rsc-options", op_defaults: "op-options" } as const;

function clone(el: XmlElement): Mutable {
  return {
    name: el.name,
    attrs: { ...el.attrs },
    children: el.children.map(clone),
    ...(el.text !== undefined ? { text: el.text } : {}),
    ...(el.line !== undefined ? { line: el.line } : {}),
  };
}

function el(name: string, attrs: Record<string, string>, children: Mutable[] = []): Mutable {
  return { name, attrs, children };
}

const hyphen = (s: string): string => s.replace(/_/g, "-");

/** Removes `<attributes>` wrappers everywhere below `e`. */
function unwrapAttributes(e: Mutable): void {
  for (const c of e.children) unwrapAttributes(c);
  if (!SET_ELEMENTS.has(e.name)) return;
  e.children = e.children.flatMap((c) => (c.name === "attributes" ? c.children : [c]));
}

function child(e: Mutable, name: string): Mutable | undefined {
  return e.children.find((c) => c.name === name);
}

function ensureChild(parent: Mutable, name: string, attrs: Record<string, string> = {}): Mutable {
  let c = child(parent, name);
  if (!c) {
    c = el(name, attrs);
    parent.children.push(c);
  }
  return c;
}

/** Adds a meta nvpair to a resource unless the name is already set there. */
function addMeta(rsc: Mutable, name: string, value: string, nvId?: string): void {
  let meta = child(rsc, "meta_attributes");
  if (!meta) {
    meta = el("meta_attributes", { id: `${rsc.attrs.id ?? "rsc"}-meta_attributes` });
    // Keep meta sets before operations/children for readability.
    rsc.children.unshift(meta);
  }
  if (meta.children.some((c) => c.name === "nvpair" && c.attrs.name === name)) return;
  meta.children.push(el("nvpair", { id: nvId ?? `${meta.attrs.id ?? "meta"}-${name}`, name, value }));
}

function upgradeResource(r: Mutable): void {
  // haresources2cib wrote provider="heartbeat" on every primitive; Pacemaker allows it only with class ocf.
  if (r.name === "primitive" && r.attrs.class !== "ocf") delete r.attrs.provider;
  // Options written as XML attributes.
  for (const [k, v] of Object.entries({ ...r.attrs })) {
    if (RESOURCE_ATTR_KEEP.has(k)) continue;
    if (META_NAMES.has(k.replace(/-/g, "_"))) {
      delete r.attrs[k];
      addMeta(r, hyphen(k), v);
    }
  }
  // Meta options written as instance attributes.
  for (const ia of r.children.filter((c) => c.name === "instance_attributes")) {
    const moved = ia.children.filter(
      (c) => c.name === "nvpair" && META_NAMES.has((c.attrs.name ?? "").replace(/-/g, "_")),
    );
    ia.children = ia.children.filter((c) => !moved.includes(c));
    for (const nv of moved) addMeta(r, hyphen(nv.attrs.name ?? ""), nv.attrs.value ?? "", nv.attrs.id);
  }
  r.children = r.children.filter((c) => !(c.name === "instance_attributes" && c.children.length === 0));
  // Meta set names written with underscores.
  for (const ma of r.children.filter((c) => c.name === "meta_attributes"))
    for (const nv of ma.children)
      if (nv.name === "nvpair" && nv.attrs.name) nv.attrs.name = hyphen(nv.attrs.name);
  // Operations.
  for (const op of child(r, "operations")?.children ?? []) {
    if (op.name !== "op") continue;
    for (const k of ["on_fail", "start_delay"]) {
      const v = op.attrs[k];
      if (v === undefined) continue;
      delete op.attrs[k];
      op.attrs[hyphen(k)] = v;
    }
    op.attrs.interval ??= "0"; // optional in crm-1.0.dtd, required by Pacemaker's schema
    const disabled = op.attrs.disabled;
    if (disabled !== undefined) {
      delete op.attrs.disabled;
      op.attrs.enabled = /^(true|yes|on|1)$/i.test(disabled) ? "false" : "true";
    }
    const prereq = op.attrs.prereq;
    if (prereq !== undefined) {
      delete op.attrs.prereq;
      addMeta(r, "requires", prereq);
    }
  }
  for (const c of r.children)
    if (["primitive", "group", "clone", "master_slave"].includes(c.name)) upgradeResource(c);
}

function upgradeConstraint(c: Mutable): void {
  const a = c.attrs;
  const rename = (from: string, to: string): void => {
    const v = a[from];
    if (v === undefined) return;
    delete a[from];
    if (a[to] === undefined) a[to] = v;
  };
  if (c.name === "rsc_colocation") {
    rename("from", "rsc");
    rename("to", "with-rsc");
    rename("from_role", "rsc-role");
    rename("to_role", "with-rsc-role");
  } else if (c.name === "rsc_order" && a.from !== undefined && a.to !== undefined) {
    const type = a.type ?? "after";
    const action = a.action ?? "start";
    const toAction = a.to_action ?? action;
    const [first, then, firstAction, thenAction] =
      type === "before" ? [a.from, a.to, action, toAction] : [a.to, a.from, toAction, action];
    for (const k of ["from", "to", "type", "action", "to_action"]) delete a[k];
    Object.assign(a, { first, then });
    if (firstAction !== "start") a["first-action"] = firstAction;
    if (thenAction !== firstAction) a["then-action"] = thenAction;
  }
}

function upgradeCrmConfig(conf: Mutable): void {
  const crm = ensureChild(conf, "crm_config");
  const names = new Set<string>();
  for (const set of crm.children)
    for (const nv of set.children)
      if (nv.name === "nvpair" && nv.attrs.name) names.add(hyphen(nv.attrs.name));
  if (!names.has("stonith-enabled")) {
    // Heartbeat 2's default was false; Pacemaker's is true (and then it starts nothing without a fencing device).
    let set = crm.children.find((c) => c.name === "cluster_property_set");
    if (!set) {
      set = el("cluster_property_set", { id: "cib-bootstrap-options" });
      crm.children.push(set);
    }
    const prefix = set.attrs.id ?? "cib-bootstrap-options";
    set.children.push(
      el("nvpair", { id: `${prefix}-stonith-enabled`, name: "stonith-enabled", value: "false" }),
    );
  }
  for (const set of crm.children) {
    if (set.name !== "cluster_property_set") continue;
    const keep: Mutable[] = [];
    for (const nv of set.children) {
      if (nv.name !== "nvpair" || nv.attrs.name === undefined) {
        keep.push(nv);
        continue;
      }
      const name = hyphen(nv.attrs.name);
      nv.attrs.name = name;
      const moved = MOVED_OPTIONS[name];
      if (moved) {
        const section = ensureChild(conf, moved.section);
        const meta = ensureChild(section, "meta_attributes", { id: LEGACY_DEFAULT_SET_IDS[moved.section] });
        if (!meta.children.some((c) => c.attrs.name === moved.name))
          meta.children.push(el("nvpair", { ...nv.attrs, name: moved.name }));
        continue;
      }
      if (name === "transition-idle-timeout" && !names.has("cluster-delay")) nv.attrs.name = "cluster-delay";
      keep.push(nv);
    }
    set.children = keep;
  }
}

/** Rewrites a Heartbeat 2 document tree into the current schema (input is not modified). */
export function upgradeHeartbeat2(root: XmlElement): XmlElement {
  const cib = clone(root);
  unwrapAttributes(cib);
  for (const [from, to] of [
    ["have_quorum", "have-quorum"],
    ["dc_uuid", "dc-uuid"],
  ] as const) {
    const v = cib.attrs[from];
    if (v === undefined) continue;
    delete cib.attrs[from];
    cib.attrs[to] ??= v;
  }
  for (const k of DROPPED_ROOT_ATTRS) delete cib.attrs[k];
  const conf = child(cib, "configuration");
  if (conf) {
    upgradeCrmConfig(conf);
    for (const n of child(conf, "nodes")?.children ?? [])
      if (n.attrs.type === "normal") n.attrs.type = "member";
    for (const r of child(conf, "resources")?.children ?? []) upgradeResource(r);
    for (const c of child(conf, "constraints")?.children ?? []) upgradeConstraint(c);
    // Place rsc_defaults/op_defaults after constraints, as Pacemaker writes them.
    conf.children.sort((a, b) => sectionRank(a.name) - sectionRank(b.name));
  }
  for (const ns of child(cib, "status")?.children ?? []) {
    for (const lrm of ns.children.filter((c) => c.name === "lrm"))
      for (const lrs of lrm.children)
        for (const res of lrs.children)
          for (const op of res.children) {
            if (op.name !== "lrm_rsc_op") continue;
            for (const k of OP_STATUS_ATTRS) {
              const v = op.attrs[k];
              if (v === undefined) continue;
              delete op.attrs[k];
              op.attrs[hyphen(k)] ??= v;
            }
          }
  }
  return cib;
}

function sectionRank(name: string): number {
  const order = ["crm_config", "nodes", "resources", "constraints", "rsc_defaults", "op_defaults"];
  const i = order.indexOf(name);
  return i < 0 ? order.length : i;
}
