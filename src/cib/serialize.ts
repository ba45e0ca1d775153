/**
 * `Cib` model -> cib.xml text in the current Pacemaker schema. Unknown
 * attributes and children kept in `extra` are re-emitted (unknown children
 * after the known ones), so parse -> serialise -> parse gives an equal model.
 */
import type {
  Cib,
  CibNode,
  Clone,
  ColocationConstraint,
  Extra,
  Group,
  LocationConstraint,
  LrmResource,
  LrmRscOp,
  NodeState,
  NvSet,
  Op,
  OrderConstraint,
  Primitive,
  Resource,
  Rule,
  RuleItem,
  XmlElement,
} from "./model.js";
import { formatScore } from "./score.js";
import { writeXml } from "./xml.js";

type Attrs = Record<string, string | number | boolean | undefined>;

/** Builds an element from defined attributes, known children and extras. */
function E(name: string, attrs: Attrs, children: XmlElement[] = [], extra?: Extra): XmlElement {
  const a: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) a[k] = String(v);
  for (const [k, v] of Object.entries(extra?.attrs ?? {})) if (!(k in a)) a[k] = v;
  return { name, attrs: a, children: [...children, ...(extra?.children ?? [])] };
}

const sc = (s: number | undefined): string | undefined => (s === undefined ? undefined : formatScore(s));

function nvSet(s: NvSet): XmlElement {
  return E(
    s.kind,
    { id: s.id, "id-ref": s.idRef, score: sc(s.score) },
    [
      ...(s.rule ? [rule(s.rule)] : []),
      ...s.nvpairs.map((nv) => E("nvpair", { id: nv.id, name: nv.name, value: nv.value }, [], nv.extra)),
    ],
    s.extra,
  );
}

function ruleItem(i: RuleItem): XmlElement {
  if (i.kind === "rule") return rule(i.rule);
  if (i.kind === "raw") return i.element;
  return E(
    "expression",
    {
      id: i.id,
      attribute: i.attribute,
      operation: i.operation,
      value: i.value,
      type: i.type,
      "value-source": i.valueSource,
    },
    [],
    i.extra,
  );
}

function rule(r: Rule): XmlElement {
  return E(
    "rule",
    {
      id: r.id,
      "id-ref": r.idRef,
      score: sc(r.score),
      "score-attribute": r.scoreAttribute,
      "boolean-op": r.booleanOp === "and" ? undefined : r.booleanOp,
      role: r.role,
    },
    r.items.map(ruleItem),
    r.extra,
  );
}

function op(o: Op): XmlElement {
  return E(
    "op",
    {
      id: o.id,
      name: o.name,
      interval: o.interval,
      timeout: o.timeout ?? (o.timeoutMs === undefined ? undefined : `${o.timeoutMs}ms`),
      "on-fail": o.onFail,
      role: o.role,
      "start-delay": o.startDelay,
      enabled: o.enabled,
    },
    [...o.instanceAttributes.map(nvSet), ...o.metaAttributes.map(nvSet)],
    o.extra,
  );
}

function primitive(p: Primitive): XmlElement {
  // An <operations> element kept in extra (unknown op-level content) merges with the known ops.
  const keptOps = p.extra?.children?.find((c) => c.name === "operations");
  const otherChildren = p.extra?.children?.filter((c) => c !== keptOps) ?? [];
  const ops = p.operations.map(op);
  const children = [
    ...p.instanceAttributes.map(nvSet),
    ...p.metaAttributes.map(nvSet),
    ...p.utilization.map(nvSet),
    ...(ops.length > 0 || keptOps
      ? [E("operations", {}, ops, keptOps ? { attrs: keptOps.attrs, children: keptOps.children } : undefined)]
      : []),
  ];
  return E("primitive", { id: p.id, class: p.class, provider: p.provider, type: p.type }, children, {
    ...(p.extra?.attrs ? { attrs: p.extra.attrs } : {}),
    children: otherChildren,
  });
}

function group(g: Group): XmlElement {
  return E(
    "group",
    { id: g.id },
    [...g.instanceAttributes.map(nvSet), ...g.metaAttributes.map(nvSet), ...g.members.map(primitive)],
    g.extra,
  );
}

function clone(c: Clone): XmlElement {
  const child = c.child.kind === "primitive" ? primitive(c.child) : group(c.child);
  return E(
    "clone",
    { id: c.id },
    [...c.instanceAttributes.map(nvSet), ...c.metaAttributes.map(nvSet), child],
    c.extra,
  );
}

function resource(r: Resource): XmlElement {
  return r.kind === "primitive" ? primitive(r) : r.kind === "group" ? group(r) : clone(r);
}

function location(l: LocationConstraint): XmlElement {
  return E(
    "rsc_location",
    {
      id: l.id,
      rsc: l.rsc,
      node: l.node,
      score: sc(l.score),
      role: l.role,
      "resource-discovery": l.resourceDiscovery,
    },
    l.rules.map(rule),
    l.extra,
  );
}

function colocation(c: ColocationConstraint): XmlElement {
  return E(
    "rsc_colocation",
    {
      id: c.id,
      rsc: c.rsc,
      "with-rsc": c.withRsc,
      score: formatScore(c.score),
      "rsc-role": c.rscRole,
      "with-rsc-role": c.withRscRole,
      "node-attribute": c.nodeAttribute,
    },
    [],
    c.extra,
  );
}

function order(o: OrderConstraint): XmlElement {
  const implicitKind = o.score === 0 ? "Optional" : "Mandatory";
  return E(
    "rsc_order",
    {
      id: o.id,
      first: o.first,
      // biome-ignore lint/suspicious/noThenProperty: the XML attribute is called "then"
      then: o.then,
      "first-action": o.firstAction === "start" ? undefined : o.firstAction,
      "then-action": o.thenAction === o.firstAction ? undefined : o.thenAction,
      kind: o.kind === implicitKind ? undefined : o.kind,
      symmetrical: o.symmetrical === (o.kind !== "Serialize") ? undefined : o.symmetrical,
      score: sc(o.score),
    },
    [],
    o.extra,
  );
}

function node(n: CibNode): XmlElement {
  return E(
    "node",
    { id: n.id, uname: n.uname, type: n.type },
    [...n.instanceAttributes.map(nvSet), ...n.utilization.map(nvSet)],
    n.extra,
  );
}

function lrmRscOp(o: LrmRscOp): XmlElement {
  return E(
    "lrm_rsc_op",
    {
      id: o.id,
      operation_key: o.operationKey,
      operation: o.operation,
      crm_feature_set: o.crmFeatureSet,
      "transition-key": o.transitionKey,
      "transition-magic": o.transitionMagic,
      "exit-reason": o.exitReason,
      on_node: o.onNode,
      "call-id": o.callId === -1 ? undefined : o.callId,
      "rc-code": o.rcCode,
      "op-status": o.opStatus,
      interval: o.intervalMs,
      "last-run": o.lastRun,
      "last-rc-change": o.lastRcChange,
      "exec-time": o.execTime,
      "queue-time": o.queueTime,
      "op-digest": o.opDigest,
    },
    [],
    o.extra,
  );
}

function lrmResource(r: LrmResource): XmlElement {
  return E(
    "lrm_resource",
    { id: r.id, class: r.class, provider: r.provider, type: r.type },
    r.ops.map(lrmRscOp),
    r.extra,
  );
}

function nodeState(s: NodeState): XmlElement {
  const w = s.wrapperExtra;
  const children: XmlElement[] = [];
  if (s.transientId !== undefined || s.transientAttributes.length > 0 || w?.transient_attributes)
    children.push(
      E(
        "transient_attributes",
        { id: s.transientId },
        s.transientAttributes.map(nvSet),
        w?.transient_attributes,
      ),
    );
  if (s.lrmId !== undefined || s.lrmResources.length > 0 || w?.lrm || w?.lrm_resources)
    children.push(
      E(
        "lrm",
        { id: s.lrmId },
        [E("lrm_resources", {}, s.lrmResources.map(lrmResource), w?.lrm_resources)],
        w?.lrm,
      ),
    );
  return E(
    "node_state",
    { id: s.id, uname: s.uname, in_ccm: s.inCcm, crmd: s.crmd, join: s.join, expected: s.expected, ha: s.ha },
    children,
    s.extra,
  );
}

/** The model as an XML tree (root `<cib>`). */
export function cibToXml(cib: Cib): XmlElement {
  const c = cib.configuration;
  const x = c.sectionExtra ?? {};
  const k = c.constraints;
  const sections: XmlElement[] = [
    E("crm_config", {}, c.crmConfig.map(nvSet), x.crm_config),
    E("nodes", {}, c.nodes.map(node), x.nodes),
    E("resources", {}, c.resources.map(resource), x.resources),
    E(
      "constraints",
      {},
      [...k.locations.map(location), ...k.colocations.map(colocation), ...k.orders.map(order)],
      k.extra,
    ),
  ];
  if (c.rscDefaults.length > 0 || x.rsc_defaults)
    sections.push(E("rsc_defaults", {}, c.rscDefaults.map(nvSet), x.rsc_defaults));
  if (c.opDefaults.length > 0 || x.op_defaults)
    sections.push(E("op_defaults", {}, c.opDefaults.map(nvSet), x.op_defaults));
  return E(
    "cib",
    {
      crm_feature_set: cib.crmFeatureSet,
      "validate-with": cib.validateWith,
      epoch: cib.epoch,
      num_updates: cib.numUpdates,
      admin_epoch: cib.adminEpoch,
      "have-quorum": cib.haveQuorum === undefined ? undefined : cib.haveQuorum ? "1" : "0",
      "dc-uuid": cib.dcUuid,
    },
    [E("configuration", {}, sections, x.configuration), E("status", {}, cib.status.map(nodeState), x.status)],
    cib.extra,
  );
}

/** Serialises the model as cib.xml text (current schema, two-space indentation, trailing newline). */
export function serializeCib(cib: Cib): string {
  return writeXml(cibToXml(cib));
}
