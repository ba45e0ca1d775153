/**
 * cib.xml text -> `Cib` model, with validation. Heartbeat 2.1 documents are
 * first rewritten into the current schema (`legacy.ts`). Problems become
 * diagnostics naming the element path and id, e.g.
 * `/cib/configuration/resources/group[@id='g1']/primitive[@id='ip']: missing required attribute "type"`.
 * Never throws for bad input.
 */
import { DiagnosticSink, type Parsed, sortDiagnostics } from "../base/diag.js";
import { parseDurationMs } from "./duration.js";
import { isLegacyDocument, upgradeHeartbeat2 } from "./legacy.js";
import type {
  Cib,
  CibNode,
  Clone,
  ColocationConstraint,
  Configuration,
  Constraints,
  Expression,
  ExpressionOp,
  Extra,
  Group,
  LocationConstraint,
  LrmResource,
  LrmRscOp,
  NodeState,
  NvPair,
  NvSet,
  NvSetKind,
  OnFail,
  Op,
  OrderConstraint,
  OrderKind,
  Primitive,
  Resource,
  Rule,
  RuleItem,
  SectionExtra,
  XmlElement,
} from "./model.js";
import { EMPTY_CONFIGURATION } from "./model.js";
import { parseScore } from "./score.js";
import { lrmResourcesReader } from "./status-scan.js";
import { type SubtreeReader, scanXml } from "./xml-scan.js";

const CLASSES = ["ocf", "lsb", "heartbeat", "service", "systemd", "stonith", "upstart", "nagios"];
const EXPR_OPS: readonly ExpressionOp[] = ["lt", "gt", "lte", "gte", "eq", "ne", "defined", "not_defined"];
const ON_FAIL: readonly OnFail[] = ["ignore", "block", "stop", "restart", "standby", "fence", "demote"];
const ORDER_KINDS: readonly OrderKind[] = ["Mandatory", "Optional", "Serialize"];
const BOOL_RE = /^(true|false|on|off|yes|no|y|n|1|0)$/i;

/** Drops parse-only data (line numbers) from a kept element. */
function raw(el: XmlElement): XmlElement {
  return {
    name: el.name,
    attrs: { ...el.attrs },
    children: el.children.map(raw),
    ...(el.text !== undefined ? { text: el.text } : {}),
  };
}

function extraOf(attrs: Record<string, string>, children: XmlElement[]): Extra | undefined {
  const hasAttrs = Object.keys(attrs).length > 0;
  if (!hasAttrs && children.length === 0) return undefined;
  return { ...(hasAttrs ? { attrs } : {}), ...(children.length > 0 ? { children: children.map(raw) } : {}) };
}

const NOTHING = Object.freeze({});

/** Spreads `{ key: value }` only when value is defined (exactOptionalPropertyTypes). */
function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? NOTHING : { [key]: value }) as { [P in K]?: V };
}

/** A model object under construction: its optional fields are set one by one. */
type Building<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Sets `o[key]` only when value is defined. The readers of elements a large CIB has thousands of
 * (primitives, ops, nvpairs, status) build their objects with it: spreading `opt(...)` results
 * allocated an object per field and copied it, a good part of parsing a 5,000-resource CIB.
 */
function put<T, K extends keyof T>(o: Building<T>, key: K, value: T[K] | undefined): void {
  if (value !== undefined) o[key] = value;
}

/**
 * Reading state for one element: consumed attributes and unknown children are tracked for `extra`.
 * The element's path (for diagnostics) is built only when asked for: building it for every element
 * of a large status section was a good part of parsing.
 */
class Reader {
  /** The attributes read (an element has a few: an array is cheaper than a Set). */
  private readonly used: string[] = [];
  private pathText: string | undefined;
  /** Unknown children kept for `extra` (made on the first one: most elements have none). */
  private unknown: XmlElement[] | undefined;
  constructor(
    readonly el: XmlElement,
    private readonly parent: Reader | string,
    readonly ctx: Ctx,
  ) {}

  get path(): string {
    this.pathText ??= typeof this.parent === "string" ? this.parent : childPath(this.parent.path, this.el);
    return this.pathText;
  }

  get(name: string): string | undefined {
    const v = this.el.attrs[name];
    if (v !== undefined && !this.used.includes(name)) this.used.push(name);
    return v;
  }

  required(name: string): string {
    const v = this.get(name);
    if (v === undefined || v === "") {
      this.ctx.error(this.el, this.path, "cib.missing-attribute", `missing required attribute "${name}"`);
      return "";
    }
    return v;
  }

  score(name: string): number | undefined {
    const v = this.get(name);
    if (v === undefined) return undefined;
    const s = parseScore(v);
    if (s === undefined)
      this.ctx.error(this.el, this.path, "cib.invalid-score", `invalid score "${v}" in attribute "${name}"`);
    return s;
  }

  int(name: string, dflt: number): number {
    const v = this.get(name);
    if (v === undefined) return dflt;
    if (!/^-?\d+$/.test(v.trim())) {
      this.ctx.error(
        this.el,
        this.path,
        "cib.invalid-value",
        `attribute "${name}" must be an integer, not "${v}"`,
      );
      return dflt;
    }
    return Number(v);
  }

  optInt(name: string): number | undefined {
    return this.el.attrs[name] === undefined ? undefined : this.int(name, 0);
  }

  oneOf<T extends string>(name: string, allowed: readonly T[]): T | undefined {
    const v = this.get(name);
    if (v === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(v)) {
      this.ctx.error(
        this.el,
        this.path,
        "cib.invalid-value",
        `attribute "${name}" must be one of ${allowed.join(", ")}, not "${v}"`,
      );
      return undefined;
    }
    return v as T;
  }

  bool(name: string): boolean | undefined {
    const v = this.get(name);
    if (v === undefined) return undefined;
    if (!BOOL_RE.test(v)) {
      this.ctx.error(
        this.el,
        this.path,
        "cib.invalid-value",
        `attribute "${name}" must be a boolean, not "${v}"`,
      );
      return undefined;
    }
    return /^(true|on|yes|y|1)$/i.test(v);
  }

  duration(name: string): { text?: string; ms?: number } {
    const v = this.get(name);
    if (v === undefined) return {};
    const ms = parseDurationMs(v);
    if (ms === undefined)
      this.ctx.error(
        this.el,
        this.path,
        "cib.invalid-value",
        `attribute "${name}" is not a valid duration: "${v}"`,
      );
    return { text: v, ...opt("ms", ms) };
  }

  /** Registers the element's `id` in the configuration id namespace. */
  id(required: boolean): string | undefined {
    const id = required ? this.required("id") : this.get("id");
    if (id) this.ctx.registerId(id, this.el, this);
    return id || undefined;
  }

  child(el: XmlElement): Reader {
    return new Reader(el, this, this.ctx);
  }

  keep(el: XmlElement): void {
    if (this.unknown === undefined) this.unknown = [el];
    else this.unknown.push(el);
  }

  extra(): Extra | undefined {
    const all = this.el.attrs;
    let present = 0;
    for (const _ in all) present++;
    // every attribute read (when all were, `extra` has no attributes) and no unknown child: the common case
    if (this.unknown === undefined && present === this.used.length) return undefined;
    const attrs: Record<string, string> = {};
    for (const [k, v] of Object.entries(all)) if (!this.used.includes(k)) attrs[k] = v;
    return extraOf(attrs, this.unknown ?? []);
  }
}

function childPath(parent: string, el: XmlElement): string {
  const id = el.attrs.id;
  return `${parent}/${el.name}${id !== undefined ? `[@id='${id}']` : ""}`;
}

/** Parse-wide state: diagnostics and the id namespace. */
class Ctx {
  private readonly ids = new Map<string, string | { readonly path: string }>();
  private idsActive = true;
  constructor(
    readonly sink: DiagnosticSink,
    /** `<lrm_resources>` elements the scanner read straight from the text (status-scan.ts). */
    readonly lrmRead: ReadonlyMap<XmlElement, readonly LrmResource[]> = new Map(),
  ) {}

  error(el: XmlElement | number, path: string, code: string, message: string): void {
    this.sink.error(typeof el === "number" ? el : (el.line ?? 0), code, `${path}: ${message}`);
  }
  warning(el: XmlElement | number, path: string, code: string, message: string): void {
    this.sink.warning(typeof el === "number" ? el : (el.line ?? 0), code, `${path}: ${message}`);
  }
  /** Ids are unique across the configuration section only (status reuses them). */
  trackIds(on: boolean): void {
    this.idsActive = on;
  }
  /** `at`: the element's path, or its reader (the path is made only for a duplicate's message). */
  registerId(id: string, el: XmlElement, at: string | { readonly path: string }): void {
    if (!this.idsActive) return;
    const first = this.ids.get(id);
    const path = (a: string | { readonly path: string }): string => (typeof a === "string" ? a : a.path);
    if (first !== undefined)
      this.error(el, path(at), "cib.duplicate-id", `duplicate id "${id}" (first used by ${path(first)})`);
    else this.ids.set(id, at);
  }
}

// ---------------------------------------------------------------- sets and rules

function readNvPair(r: Reader): NvPair {
  const id = r.id(false);
  const name = r.required("name");
  const value = r.get("value");
  for (const c of r.el.children) r.keep(c);
  const nv: Building<NvPair> = id === undefined ? { name } : { id, name };
  put(nv, "value", value);
  put(nv, "extra", r.extra());
  return nv;
}

function readNvSet(r: Reader, kind: NvSetKind): NvSet {
  const idRef = r.get("id-ref");
  const id = r.id(idRef === undefined);
  const score = r.score("score");
  const nvpairs: NvPair[] = [];
  let rule: Rule | undefined;
  for (const c of r.el.children) {
    if (c.name === "nvpair") nvpairs.push(readNvPair(r.child(c)));
    else if (c.name === "rule" && rule === undefined) rule = readRule(r.child(c), false);
    else r.keep(c);
  }
  const set = { kind } as Building<NvSet>;
  put(set, "id", id);
  put(set, "idRef", idRef);
  put(set, "score", score);
  put(set, "rule", rule);
  set.nvpairs = nvpairs;
  put(set, "extra", r.extra());
  return set;
}

function readExpression(r: Reader): Expression {
  const id = r.id(false);
  const attribute = r.required("attribute");
  if (r.el.attrs.operation === undefined) r.required("operation");
  const operation: ExpressionOp = r.oneOf("operation", EXPR_OPS) ?? "eq";
  const value = r.get("value");
  if (
    value === undefined &&
    operation !== "defined" &&
    operation !== "not_defined" &&
    r.el.attrs.operation !== undefined
  )
    r.required("value");
  const type = r.get("type");
  const valueSource = r.get("value-source");
  for (const c of r.el.children) r.keep(c);
  return {
    kind: "expression",
    ...opt("id", id),
    attribute,
    operation,
    ...opt("value", value),
    ...opt("type", type),
    ...opt("valueSource", valueSource),
    ...opt("extra", r.extra()),
  };
}

const DATE_SPEC_FIELDS = new Set([
  "id",
  "years",
  "months",
  "monthdays",
  "hours",
  "minutes",
  "seconds",
  "yeardays",
  "weekdays",
  "weekyears",
  "weeks",
]);

/** A date_expression the policy engine cannot evaluate is an error, never a silent "false". */
function checkDateExpression(r: Reader): void {
  const op = r.el.attrs.operation ?? "in_range";
  const spec = r.el.children.find((c) => c.name === "date_spec");
  const unknownField = Object.keys(spec?.attrs ?? {}).find((k) => !DATE_SPEC_FIELDS.has(k));
  const why = !["lt", "gt", "in_range", "date_spec"].includes(op)
    ? `unknown operation "${op}"`
    : op === "date_spec" && spec === undefined
      ? 'operation="date_spec" without a <date_spec> element'
      : op === "date_spec" && unknownField !== undefined
        ? `date_spec field "${unknownField}" is not supported (e.g. moon)`
        : undefined;
  if (why !== undefined)
    r.ctx.error(r.el, r.path, "cib.unsupported-date-expression", `date_expression: ${why}`);
}

function readRule(r: Reader, inLocation: boolean): Rule {
  const idRef = r.get("id-ref");
  const id = r.id(idRef === undefined);
  const score = r.score("score");
  const scoreAttribute = r.get("score-attribute");
  const booleanOp = r.oneOf("boolean-op", ["and", "or"] as const) ?? "and";
  const role = r.get("role");
  const items: RuleItem[] = [];
  for (const c of r.el.children) {
    if (c.name === "expression") items.push(readExpression(r.child(c)));
    else if (c.name === "rule") items.push({ kind: "rule", rule: readRule(r.child(c), false) });
    else {
      if (c.name === "date_expression") checkDateExpression(r.child(c));
      items.push({ kind: "raw", element: raw(c) });
    }
  }
  if (inLocation && idRef === undefined && score === undefined && scoreAttribute === undefined)
    r.ctx.warning(
      r.el,
      r.path,
      "cib.rule-without-score",
      'rule has neither "score" nor "score-attribute" (counts as 0)',
    );
  return {
    ...opt("id", id),
    ...opt("idRef", idRef),
    ...opt("score", score),
    ...opt("scoreAttribute", scoreAttribute),
    booleanOp,
    ...opt("role", role),
    items,
    ...opt("extra", r.extra()),
  };
}

// ---------------------------------------------------------------- resources

function readOp(r: Reader): Op {
  const id = r.id(true);
  const name = r.required("name");
  if (r.el.attrs.interval === undefined) r.required("interval");
  const interval = r.duration("interval");
  const timeout = r.duration("timeout");
  const onFail = r.oneOf("on-fail", ON_FAIL);
  const role = r.get("role");
  const startDelay = r.get("start-delay");
  const enabled = r.bool("enabled");
  const instanceAttributes: NvSet[] = [];
  const metaAttributes: NvSet[] = [];
  for (const c of r.el.children) {
    if (c.name === "instance_attributes")
      instanceAttributes.push(readNvSet(r.child(c), "instance_attributes"));
    else if (c.name === "meta_attributes") metaAttributes.push(readNvSet(r.child(c), "meta_attributes"));
    else r.keep(c);
  }
  const op = (id === undefined ? { name } : { id, name }) as Building<Op>;
  put(op, "interval", interval.text);
  op.intervalMs = interval.ms ?? 0;
  put(op, "timeout", timeout.text);
  put(op, "timeoutMs", timeout.ms);
  put(op, "onFail", onFail);
  put(op, "role", role);
  put(op, "startDelay", startDelay);
  put(op, "enabled", enabled);
  op.instanceAttributes = instanceAttributes;
  op.metaAttributes = metaAttributes;
  put(op, "extra", r.extra());
  return op;
}

function readPrimitive(r: Reader): Primitive {
  const id = r.id(true) ?? "";
  const cls = r.required("class");
  const provider = r.get("provider");
  const type = r.required("type");
  if (cls !== "" && !CLASSES.includes(cls))
    r.ctx.error(
      r.el,
      r.path,
      "cib.unknown-class",
      `unknown resource class "${cls}" (expected one of ${CLASSES.join(", ")})`,
    );
  if (cls === "ocf" && !provider) r.required("provider");
  if (cls !== "ocf" && cls !== "" && provider !== undefined)
    r.ctx.error(
      r.el,
      r.path,
      "cib.invalid-attribute",
      `attribute "provider" is only allowed with class "ocf"`,
    );
  const instanceAttributes: NvSet[] = [];
  const metaAttributes: NvSet[] = [];
  const utilization: NvSet[] = [];
  const operations: Op[] = [];
  for (const c of r.el.children) {
    if (c.name === "instance_attributes")
      instanceAttributes.push(readNvSet(r.child(c), "instance_attributes"));
    else if (c.name === "meta_attributes") metaAttributes.push(readNvSet(r.child(c), "meta_attributes"));
    else if (c.name === "utilization") utilization.push(readNvSet(r.child(c), "utilization"));
    else if (c.name === "operations") {
      const ops = r.child(c);
      for (const o of c.children) {
        if (o.name === "op") operations.push(readOp(ops.child(o)));
        else ops.keep(o);
      }
      // Unknown content of <operations> is kept on the primitive as an <operations> element.
      const ex = ops.extra();
      if (ex) r.keep({ name: "operations", attrs: ex.attrs ?? {}, children: ex.children ?? [] });
    } else r.keep(c);
  }
  const prim = { kind: "primitive", id, class: cls } as Building<Primitive>;
  put(prim, "provider", provider);
  prim.type = type;
  prim.instanceAttributes = instanceAttributes;
  prim.metaAttributes = metaAttributes;
  prim.utilization = utilization;
  prim.operations = operations;
  put(prim, "extra", r.extra());
  return prim;
}

function readGroup(r: Reader): Group {
  const id = r.id(true) ?? "";
  const members: Primitive[] = [];
  const metaAttributes: NvSet[] = [];
  const instanceAttributes: NvSet[] = [];
  for (const c of r.el.children) {
    if (c.name === "primitive") members.push(readPrimitive(r.child(c)));
    else if (c.name === "meta_attributes") metaAttributes.push(readNvSet(r.child(c), "meta_attributes"));
    else if (c.name === "instance_attributes")
      instanceAttributes.push(readNvSet(r.child(c), "instance_attributes"));
    else {
      if (c.name === "group" || c.name === "clone")
        r.ctx.error(
          c,
          childPath(r.path, c),
          "cib.invalid-nesting",
          `a group may contain only primitives, not "${c.name}"`,
        );
      r.keep(c);
    }
  }
  if (members.length === 0) r.ctx.error(r.el, r.path, "cib.empty-group", "group has no primitive");
  return { kind: "group", id, metaAttributes, instanceAttributes, members, ...opt("extra", r.extra()) };
}

function readClone(r: Reader): Clone | undefined {
  const id = r.id(true) ?? "";
  const metaAttributes: NvSet[] = [];
  const instanceAttributes: NvSet[] = [];
  let child: Primitive | Group | undefined;
  for (const c of r.el.children) {
    if ((c.name === "primitive" || c.name === "group") && child === undefined)
      child = c.name === "primitive" ? readPrimitive(r.child(c)) : readGroup(r.child(c));
    else if (c.name === "primitive" || c.name === "group") {
      r.ctx.error(
        c,
        childPath(r.path, c),
        "cib.invalid-nesting",
        "a clone may contain only one primitive or group",
      );
      r.keep(c);
    } else if (c.name === "meta_attributes") metaAttributes.push(readNvSet(r.child(c), "meta_attributes"));
    else if (c.name === "instance_attributes")
      instanceAttributes.push(readNvSet(r.child(c), "instance_attributes"));
    else r.keep(c);
  }
  if (child === undefined) {
    r.ctx.error(r.el, r.path, "cib.empty-clone", "clone has no primitive or group");
    return undefined;
  }
  return { kind: "clone", id, metaAttributes, instanceAttributes, child, ...opt("extra", r.extra()) };
}

// ---------------------------------------------------------------- constraints

function hasResourceSet(el: XmlElement): boolean {
  return el.children.some((c) => c.name === "resource_set");
}

function readLocation(r: Reader): LocationConstraint | undefined {
  const id = r.id(true) ?? "";
  const rsc = r.get("rsc");
  if (rsc === undefined) {
    const what = r.el.attrs["rsc-pattern"] !== undefined ? '"rsc-pattern"' : "resource sets";
    if (r.el.attrs["rsc-pattern"] !== undefined || hasResourceSet(r.el))
      return unsupportedConstraint(r, what);
    r.required("rsc");
  }
  const node = r.get("node");
  const score = r.score("score");
  const role = r.get("role");
  const resourceDiscovery = r.get("resource-discovery");
  const rules: Rule[] = [];
  for (const c of r.el.children) {
    if (c.name === "rule") rules.push(readRule(r.child(c), true));
    else r.keep(c);
  }
  if (rules.length === 0) {
    if (node === undefined) r.required("node");
    if (score === undefined && r.el.attrs.score === undefined) r.required("score");
  } else if (node !== undefined || r.el.attrs.score !== undefined) {
    r.ctx.error(r.el, r.path, "cib.invalid-location", 'use either "node" and "score" or rules, not both');
  }
  return {
    id,
    rsc: rsc ?? "",
    ...opt("node", node),
    ...opt("score", score),
    rules,
    ...opt("role", role),
    ...opt("resourceDiscovery", resourceDiscovery),
    ...opt("extra", r.extra()),
  };
}

/** Warns that a constraint form is kept (round trips) but ignored; gives undefined for the caller to return. */
function unsupportedConstraint(r: Reader, what: string): undefined {
  r.ctx.warning(r.el, r.path, "cib.unsupported", `${what} are not supported; constraint kept but ignored`);
  return undefined;
}

function readColocation(r: Reader): ColocationConstraint | undefined {
  const id = r.id(true) ?? "";
  if (hasResourceSet(r.el)) return unsupportedConstraint(r, "resource sets");
  const rsc = r.required("rsc");
  const withRsc = r.required("with-rsc");
  let score = r.score("score");
  if (r.el.attrs.score === undefined) {
    r.ctx.warning(r.el, r.path, "cib.missing-score", 'colocation without "score" counts as 0');
    score = 0;
  }
  const rscRole = r.get("rsc-role");
  const withRscRole = r.get("with-rsc-role");
  const nodeAttribute = r.get("node-attribute");
  for (const c of r.el.children) r.keep(c);
  return {
    id,
    rsc,
    withRsc,
    score: score ?? 0,
    ...opt("rscRole", rscRole),
    ...opt("withRscRole", withRscRole),
    ...opt("nodeAttribute", nodeAttribute),
    ...opt("extra", r.extra()),
  };
}

function readOrder(r: Reader): OrderConstraint | undefined {
  const id = r.id(true) ?? "";
  if (hasResourceSet(r.el)) return unsupportedConstraint(r, "resource sets");
  const first = r.required("first");
  const then = r.required("then");
  const firstAction = r.get("first-action") ?? "start";
  const thenAction = r.get("then-action") ?? firstAction;
  const explicitKind = r.oneOf("kind", ORDER_KINDS);
  const score = r.score("score");
  const kind: OrderKind = explicitKind ?? (score === 0 ? "Optional" : "Mandatory");
  // Pacemaker ignores symmetrical="true" on Serialize orders.
  const explicitSym = r.bool("symmetrical");
  const symmetrical = kind !== "Serialize" && (explicitSym ?? true);
  for (const c of r.el.children) r.keep(c);
  return {
    id,
    first,
    then,
    firstAction,
    thenAction,
    kind,
    symmetrical,
    ...opt("score", score),
    ...opt("extra", r.extra()),
  };
}

function readConstraints(r: Reader): Constraints {
  const locations: LocationConstraint[] = [];
  const colocations: ColocationConstraint[] = [];
  const orders: OrderConstraint[] = [];
  for (const c of r.el.children) {
    const cr = r.child(c);
    let ok = false;
    if (c.name === "rsc_location") {
      const l = readLocation(cr);
      if (l) locations.push(l);
      ok = l !== undefined;
    } else if (c.name === "rsc_colocation") {
      const l = readColocation(cr);
      if (l) colocations.push(l);
      ok = l !== undefined;
    } else if (c.name === "rsc_order") {
      const l = readOrder(cr);
      if (l) orders.push(l);
      ok = l !== undefined;
    } else {
      r.ctx.warning(
        c,
        cr.path,
        "cib.unsupported",
        `constraint type "${c.name}" is not supported; kept but ignored`,
      );
      if (c.attrs.id !== undefined) r.ctx.registerId(c.attrs.id, c, cr.path);
    }
    if (!ok) r.keep(c);
  }
  return { locations, colocations, orders, ...opt("extra", r.extra()) };
}

// ---------------------------------------------------------------- nodes, config

function readNode(r: Reader): CibNode {
  // Node ids are cluster-layer ids, not XML ids: they may equal a resource id.
  const id = r.required("id");
  const uname = r.required("uname");
  const type = r.get("type");
  const instanceAttributes: NvSet[] = [];
  const utilization: NvSet[] = [];
  for (const c of r.el.children) {
    if (c.name === "instance_attributes")
      instanceAttributes.push(readNvSet(r.child(c), "instance_attributes"));
    else if (c.name === "utilization") utilization.push(readNvSet(r.child(c), "utilization"));
    else r.keep(c);
  }
  return { id, uname, ...opt("type", type), instanceAttributes, utilization, ...opt("extra", r.extra()) };
}

function readSets(r: Reader, element: string, kind: NvSetKind): NvSet[] {
  const sets: NvSet[] = [];
  for (const c of r.el.children) {
    if (c.name === element) sets.push(readNvSet(r.child(c), kind));
    else r.keep(c);
  }
  return sets;
}

function readConfiguration(r: Reader): { config: Configuration; extra: SectionExtra } {
  let crmConfig: NvSet[] = [];
  const nodes: CibNode[] = [];
  const resources: Resource[] = [];
  let constraints: Constraints = { locations: [], colocations: [], orders: [] };
  let rscDefaults: NvSet[] = [];
  let opDefaults: NvSet[] = [];
  const sectionExtra: Record<string, Extra> = {};
  const note = (name: string, e: Extra | undefined): void => {
    if (e) sectionExtra[name] = e;
  };
  for (const c of r.el.children) {
    const cr = r.child(c);
    switch (c.name) {
      case "crm_config":
        crmConfig = readSets(cr, "cluster_property_set", "cluster_property_set");
        note(c.name, cr.extra());
        break;
      case "nodes":
        for (const n of c.children) {
          if (n.name === "node") nodes.push(readNode(cr.child(n)));
          else cr.keep(n);
        }
        note(c.name, cr.extra());
        break;
      case "resources":
        for (const n of c.children) {
          const nr = cr.child(n);
          if (n.name === "primitive") resources.push(readPrimitive(nr));
          else if (n.name === "group") resources.push(readGroup(nr));
          else if (n.name === "clone") {
            const cl = readClone(nr);
            if (cl) resources.push(cl);
            else cr.keep(n);
          } else {
            r.ctx.warning(
              n,
              nr.path,
              "cib.unsupported",
              `resource type "${n.name}" is not supported; kept but ignored`,
            );
            if (n.attrs.id !== undefined) r.ctx.registerId(n.attrs.id, n, nr.path);
            cr.keep(n);
          }
        }
        note(c.name, cr.extra());
        break;
      case "constraints":
        constraints = readConstraints(cr);
        break;
      case "rsc_defaults":
        rscDefaults = readSets(cr, "meta_attributes", "meta_attributes");
        note(c.name, cr.extra());
        break;
      case "op_defaults":
        opDefaults = readSets(cr, "meta_attributes", "meta_attributes");
        note(c.name, cr.extra());
        break;
      default:
        r.keep(c);
    }
  }
  note("configuration", r.extra());
  return {
    config: { crmConfig, nodes, resources, constraints, rscDefaults, opDefaults },
    extra: sectionExtra as SectionExtra,
  };
}

// ---------------------------------------------------------------- status

function readLrmRscOp(r: Reader): LrmRscOp {
  const id = r.required("id");
  const operation = r.required("operation");
  const operationKey = r.get("operation_key");
  const callId = r.int("call-id", -1);
  const rcCode = r.int("rc-code", 0);
  const opStatus = r.int("op-status", 0);
  const intervalText = r.get("interval");
  let intervalMs = 0;
  if (intervalText !== undefined) {
    // Status stores milliseconds; accept a duration too.
    const ms = /^\d+$/.test(intervalText) ? Number(intervalText) : parseDurationMs(intervalText);
    if (ms === undefined) r.int("interval", 0);
    else intervalMs = ms;
  }
  // set one by one (no spread of optional fields: this runs for every operation of a large status)
  const op: Building<LrmRscOp> = {
    id,
    operation,
    callId,
    rcCode,
    opStatus,
    intervalMs,
  };
  if (operationKey !== undefined) op.operationKey = operationKey;
  put(op, "transitionKey", r.get("transition-key"));
  put(op, "transitionMagic", r.get("transition-magic"));
  put(op, "lastRcChange", r.optInt("last-rc-change"));
  put(op, "lastRun", r.optInt("last-run"));
  put(op, "execTime", r.optInt("exec-time"));
  put(op, "queueTime", r.optInt("queue-time"));
  put(op, "opDigest", r.get("op-digest"));
  put(op, "exitReason", r.get("exit-reason"));
  put(op, "onNode", r.get("on_node"));
  put(op, "crmFeatureSet", r.get("crm_feature_set"));
  for (const c of r.el.children) r.keep(c);
  const extra = r.extra();
  if (extra !== undefined) op.extra = extra;
  return op;
}

const INT_TEXT = /^-?\d+$/;
/** Set by `parseCib(..., { generalReaders: true })` for one call (tests compare both readers). */
let generalOnly = false;
const DIGITS = /^\d+$/;

/**
 * `readLrmRscOp` for the common case, in one pass over the attributes: every attribute a modelled
 * one or kept in `extra`, integers plain, no child element. A status section has thousands of
 * operations and `hbctl simulate` reads each once, before V8 optimises anything, so the general
 * reader's per-attribute bookkeeping was a good part of its run (issue 17). Anything unusual (a
 * missing id or operation, an integer with spaces, a duration as interval, a child) returns
 * undefined and the general reader reads the element, with its diagnostics. Same object, field
 * for field and in the same order (test/unit/cib/parse.test.ts compares both on every fixture).
 */
function readLrmRscOpFast(el: XmlElement): LrmRscOp | undefined {
  if (el.children.length > 0 || generalOnly) return undefined;
  let id: string | undefined;
  let operation: string | undefined;
  let operationKey: string | undefined;
  let callId = -1;
  let rcCode = 0;
  let opStatus = 0;
  let intervalMs = 0;
  let transitionKey: string | undefined;
  let transitionMagic: string | undefined;
  let lastRcChange: number | undefined;
  let lastRun: number | undefined;
  let execTime: number | undefined;
  let queueTime: number | undefined;
  let opDigest: string | undefined;
  let exitReason: string | undefined;
  let onNode: string | undefined;
  let crmFeatureSet: string | undefined;
  let unknown: Record<string, string> | undefined;
  const a = el.attrs;
  for (const k in a) {
    const v = a[k] as string;
    switch (k) {
      case "id":
        id = v;
        break;
      case "operation":
        operation = v;
        break;
      case "operation_key":
        operationKey = v;
        break;
      case "transition-key":
        transitionKey = v;
        break;
      case "transition-magic":
        transitionMagic = v;
        break;
      case "op-digest":
        opDigest = v;
        break;
      case "exit-reason":
        exitReason = v;
        break;
      case "on_node":
        onNode = v;
        break;
      case "crm_feature_set":
        crmFeatureSet = v;
        break;
      case "interval":
        if (!DIGITS.test(v)) return undefined;
        intervalMs = Number(v);
        break;
      default: {
        const int = k === "call-id" || k === "rc-code" || k === "op-status" || k === "last-rc-change";
        if (int || k === "last-run" || k === "exec-time" || k === "queue-time") {
          if (!INT_TEXT.test(v)) return undefined;
          const n = Number(v);
          if (k === "call-id") callId = n;
          else if (k === "rc-code") rcCode = n;
          else if (k === "op-status") opStatus = n;
          else if (k === "last-rc-change") lastRcChange = n;
          else if (k === "last-run") lastRun = n;
          else if (k === "exec-time") execTime = n;
          else queueTime = n;
        } else {
          unknown ??= {};
          unknown[k] = v;
        }
      }
    }
  }
  if (!id || !operation) return undefined;
  const op: Building<LrmRscOp> = { id, operation, callId, rcCode, opStatus, intervalMs };
  if (operationKey !== undefined) op.operationKey = operationKey;
  if (transitionKey !== undefined) op.transitionKey = transitionKey;
  if (transitionMagic !== undefined) op.transitionMagic = transitionMagic;
  if (lastRcChange !== undefined) op.lastRcChange = lastRcChange;
  if (lastRun !== undefined) op.lastRun = lastRun;
  if (execTime !== undefined) op.execTime = execTime;
  if (queueTime !== undefined) op.queueTime = queueTime;
  if (opDigest !== undefined) op.opDigest = opDigest;
  if (exitReason !== undefined) op.exitReason = exitReason;
  if (onNode !== undefined) op.onNode = onNode;
  if (crmFeatureSet !== undefined) op.crmFeatureSet = crmFeatureSet;
  if (unknown !== undefined) op.extra = { attrs: unknown };
  return op;
}

/** `readLrmResource` for an element whose attributes are the four modelled ones (see readLrmRscOpFast). */
function readLrmResourceFast(el: XmlElement, parent: Reader): LrmResource | undefined {
  if (generalOnly) return undefined;
  let id: string | undefined;
  let cls: string | undefined;
  let provider: string | undefined;
  let type: string | undefined;
  const a = el.attrs;
  for (const k in a) {
    const v = a[k] as string;
    if (k === "id") id = v;
    else if (k === "class") cls = v;
    else if (k === "provider") provider = v;
    else if (k === "type") type = v;
    else return undefined;
  }
  if (!id) return undefined;
  // decided before reading any operation: a general read after one would report its problems twice
  for (const c of el.children) if (c.name !== "lrm_rsc_op") return undefined;
  const ops: LrmRscOp[] = [];
  let reader: Reader | undefined;
  for (const c of el.children) {
    const op = readLrmRscOpFast(c);
    if (op !== undefined) ops.push(op);
    else {
      reader ??= parent.child(el);
      ops.push(readLrmRscOp(reader.child(c)));
    }
  }
  const res = { id } as Building<LrmResource>;
  put(res, "class", cls);
  put(res, "provider", provider);
  put(res, "type", type);
  res.ops = ops;
  return res;
}

function readLrmResource(r: Reader): LrmResource {
  const id = r.required("id");
  const cls = r.get("class");
  const provider = r.get("provider");
  const type = r.get("type");
  const ops: LrmRscOp[] = [];
  for (const c of r.el.children) {
    if (c.name === "lrm_rsc_op") ops.push(readLrmRscOpFast(c) ?? readLrmRscOp(r.child(c)));
    else r.keep(c);
  }
  const res = { id } as Building<LrmResource>;
  put(res, "class", cls);
  put(res, "provider", provider);
  put(res, "type", type);
  res.ops = ops;
  put(res, "extra", r.extra());
  return res;
}

function readNodeState(r: Reader): NodeState {
  const id = r.required("id");
  const fields = {
    uname: r.get("uname"),
    inCcm: r.get("in_ccm"),
    crmd: r.get("crmd"),
    join: r.get("join"),
    expected: r.get("expected"),
    ha: r.get("ha"),
  };
  let transientId: string | undefined;
  let lrmId: string | undefined;
  const transientAttributes: NvSet[] = [];
  const lrmResources: LrmResource[] = [];
  const wrapperExtra: Record<string, Extra> = {};
  for (const c of r.el.children) {
    const cr = r.child(c);
    if (c.name === "transient_attributes") {
      transientId = cr.get("id");
      transientAttributes.push(...readSets(cr, "instance_attributes", "instance_attributes"));
      const e = cr.extra();
      if (e) wrapperExtra.transient_attributes = e;
    } else if (c.name === "lrm") {
      lrmId = cr.get("id");
      for (const l of c.children) {
        const lr = cr.child(l);
        if (l.name !== "lrm_resources") {
          cr.keep(l);
          continue;
        }
        const read = r.ctx.lrmRead.get(l);
        if (read !== undefined) for (const res of read) lrmResources.push(res);
        for (const res of l.children) {
          if (res.name === "lrm_resource")
            lrmResources.push(readLrmResourceFast(res, lr) ?? readLrmResource(lr.child(res)));
          else lr.keep(res);
        }
        const e = lr.extra();
        if (e) wrapperExtra.lrm_resources = e;
      }
      const e = cr.extra();
      if (e) wrapperExtra.lrm = e;
    } else r.keep(c);
  }
  const ns = { id } as Building<NodeState>;
  put(ns, "uname", fields.uname);
  put(ns, "inCcm", fields.inCcm);
  put(ns, "crmd", fields.crmd);
  put(ns, "join", fields.join);
  put(ns, "expected", fields.expected);
  put(ns, "ha", fields.ha);
  put(ns, "transientId", transientId);
  ns.transientAttributes = transientAttributes;
  put(ns, "lrmId", lrmId);
  ns.lrmResources = lrmResources;
  put(ns, "extra", r.extra());
  if (Object.keys(wrapperExtra).length > 0) ns.wrapperExtra = wrapperExtra;
  return ns;
}

// ---------------------------------------------------------------- references

function hasStonithDevice(resources: readonly Resource[]): boolean {
  return resources.some((r) =>
    r.kind === "primitive"
      ? r.class === "stonith"
      : r.kind === "group"
        ? r.members.some((m) => m.class === "stonith")
        : hasStonithDevice([r.child]),
  );
}

function checkReferences(cib: Cib, ctx: Ctx, lineOf: (path: string) => number): void {
  const err = (path: string, code: string, message: string): void =>
    ctx.error(lineOf(path), path, code, message);
  const warn = (path: string, code: string, message: string): void =>
    ctx.warning(lineOf(path), path, code, message);
  const rscIds = new Set<string>();
  const addRsc = (r: Resource): void => {
    rscIds.add(r.id);
    if (r.kind === "group") r.members.forEach(addRsc);
    else if (r.kind === "clone") addRsc(r.child);
  };
  cib.configuration.resources.forEach(addRsc);
  const unames = new Set<string>();
  const base = "/cib/configuration";
  for (const n of cib.configuration.nodes) {
    if (n.uname !== "" && unames.has(n.uname))
      err(`${base}/nodes/node[@id='${n.id}']`, "cib.duplicate-uname", `duplicate node uname "${n.uname}"`);
    unames.add(n.uname);
  }
  const stonith = cib.configuration.crmConfig
    .flatMap((set) => set.nvpairs)
    .find((nv) => nv.name === "stonith-enabled");
  const stonithOn = stonith?.value === undefined || /^(true|on|yes|y|1)$/i.test(stonith.value);
  if (stonithOn && rscIds.size > 0 && !hasStonithDevice(cib.configuration.resources))
    err(
      `${base}/crm_config`,
      "cib.no-stonith-device",
      "stonith-enabled is true but no stonith resource is defined, so Pacemaker starts no resource; set stonith-enabled=false or configure a fencing device",
    );
  const cpath = (el: string, id: string): string => `${base}/constraints/${el}[@id='${id}']`;
  const ref = (el: string, id: string, attr: string, target: string): void => {
    if (target !== "" && !rscIds.has(target))
      err(cpath(el, id), "cib.unknown-resource", `${attr} "${target}" is not a defined resource`);
  };
  for (const l of cib.configuration.constraints.locations) {
    ref("rsc_location", l.id, "rsc", l.rsc);
    if (l.node !== undefined && unames.size > 0 && !unames.has(l.node))
      warn(cpath("rsc_location", l.id), "cib.unknown-node", `node "${l.node}" is not a configured node`);
  }
  for (const c of cib.configuration.constraints.colocations) {
    ref("rsc_colocation", c.id, "rsc", c.rsc);
    ref("rsc_colocation", c.id, "with-rsc", c.withRsc);
    if (c.rsc !== "" && c.rsc === c.withRsc)
      err(
        cpath("rsc_colocation", c.id),
        "cib.self-reference",
        `resource "${c.rsc}" is colocated with itself`,
      );
  }
  for (const o of cib.configuration.constraints.orders) {
    ref("rsc_order", o.id, "first", o.first);
    ref("rsc_order", o.id, "then", o.then);
  }
}

// ---------------------------------------------------------------- entry point

function lineFinder(root: XmlElement): (path: string) => number {
  // Reference problems are found after parsing, from paths: find the element's line by id (index built on first use).
  let lines: Map<string, number> | undefined;
  const build = (): Map<string, number> => {
    const m = new Map<string, number>();
    const walk = (el: XmlElement): void => {
      // Elements without an id are found by name ("crm_config#undefined"): the first one wins.
      const key = `${el.name}#${el.attrs.id}`;
      if (el.line !== undefined && !m.has(key)) m.set(key, el.line);
      el.children.forEach(walk);
    };
    walk(root);
    return m;
  };
  return (path) => {
    const m = /\/([\w-]+)(?:\[@id='([^']*)'\])?$/.exec(path);
    if (!m) return 0;
    lines ??= build();
    return lines.get(`${m[1]}#${m[2]}`) ?? 0;
  };
}

/**
 * Parses cib.xml text (current Pacemaker schema or Heartbeat 2.1 crm-1.0.dtd).
 * `value` is undefined only when the text is not XML or the root is not `<cib>`;
 * otherwise it is the model (possibly partial when there are errors).
 */
export function parseCib(
  xml: string,
  file = "cib.xml",
  opts: { readonly generalReaders?: boolean } = {},
): Parsed<Cib | undefined> {
  generalOnly = opts.generalReaders === true;
  try {
    return parseCibWith(xml, file);
  } finally {
    generalOnly = false;
  }
}

/** Where the operation histories are: status-scan.ts reads these elements' bodies from the text. */
const LRM_RESOURCES_PATH = ["cib", "status", "node_state", "lrm", "lrm_resources"];

function parseCibWith(xml: string, file: string): Parsed<Cib | undefined> {
  const sink = new DiagnosticSink(file);
  const sub: SubtreeReader<LrmResource[]> | undefined = generalOnly
    ? undefined
    : { path: LRM_RESOURCES_PATH, read: lrmResourcesReader(xml), found: new Map() };
  let parsed = scanXml(xml, sub);
  if (!parsed.ok) {
    sink.error(parsed.line, "cib.xml-syntax", `not well-formed XML: ${parsed.message}`);
    return { value: undefined, diagnostics: sink.items };
  }
  let root = parsed.root;
  if (root.name !== "cib") {
    sink.error(root.line ?? 0, "cib.not-a-cib", `root element is <${root.name}>, expected <cib>`);
    return { value: undefined, diagnostics: sink.items };
  }
  if (isLegacyDocument(root)) {
    // the upgrade rewrites the tree: read it whole (Heartbeat 2 documents are small)
    if (sub !== undefined && sub.found.size > 0) {
      parsed = scanXml(xml);
      if (parsed.ok) root = parsed.root;
      sub.found.clear();
    }
    root = upgradeHeartbeat2(root);
    sink.info(
      0,
      "cib.legacy-schema",
      "Heartbeat 2 (crm-1.0.dtd) document: read and normalised to the current schema",
    );
  }
  const ctx = new Ctx(sink, sub?.found);
  const r = new Reader(root, "/cib", ctx);
  let configuration: Configuration = EMPTY_CONFIGURATION;
  const sectionExtra: Record<string, Extra> = {};
  let status: NodeState[] = [];
  let sawConfiguration = false;
  const adminEpoch = r.int("admin_epoch", 0);
  const epoch = r.int("epoch", 0);
  const numUpdates = r.int("num_updates", 0);
  const validateWith = r.get("validate-with");
  const crmFeatureSet = r.get("crm_feature_set");
  const haveQuorum = r.bool("have-quorum");
  const dcUuid = r.get("dc-uuid");
  for (const c of root.children) {
    const cr = r.child(c);
    if (c.name === "configuration" && !sawConfiguration) {
      sawConfiguration = true;
      const got = readConfiguration(cr);
      configuration = got.config;
      Object.assign(sectionExtra, got.extra);
    } else if (c.name === "status") {
      ctx.trackIds(false);
      for (const n of c.children) {
        if (n.name === "node_state") status.push(readNodeState(cr.child(n)));
        else cr.keep(n);
      }
      const e = cr.extra();
      if (e) sectionExtra.status = e;
      ctx.trackIds(true);
    } else r.keep(c);
  }
  if (!sawConfiguration)
    sink.error(root.line ?? 0, "cib.missing-configuration", "/cib: missing <configuration> section");
  if (Object.keys(sectionExtra).length > 0) configuration = { ...configuration, sectionExtra };
  status = status.slice();
  const cib: Cib = {
    adminEpoch,
    epoch,
    numUpdates,
    ...opt("validateWith", validateWith),
    ...opt("crmFeatureSet", crmFeatureSet),
    ...opt("haveQuorum", haveQuorum),
    ...opt("dcUuid", dcUuid),
    ...opt("extra", r.extra()),
    configuration,
    status,
  };
  checkReferences(cib, ctx, lineFinder(root));
  return { value: cib, diagnostics: sortDiagnostics(sink.items) };
}
