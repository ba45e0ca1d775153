/**
 * Rule evaluation as Pacemaker 2.1.5 does it for location constraints:
 * `<rule boolean-op>` over `<expression>`s on node attributes (including the
 * built-ins `#uname`, `#id`, `#kind`, `#is_dc`), nested rules and simple
 * `<date_expression>`s. Pure.
 */
import type { Expression, Rule, RuleItem, Score, XmlElement } from "../cib/model.js";
import { INFINITY, parseScore } from "../cib/score.js";

/** Node attributes by name (values as written). */
export type Attributes = Readonly<Record<string, string>>;

/** Result of comparing two attribute values. */
type Cmp = "lt" | "gt" | "eq" | "ne" | "none";

function compareNumbers(l: number, r: number): Cmp {
  return l < r ? "lt" : l > r ? "gt" : "eq";
}

function compareVersions(l: string, r: string): Cmp {
  const a = l.split(".").map((x) => Number.parseInt(x, 10) || 0);
  const b = r.split(".").map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const c = compareNumbers(a[i] ?? 0, b[i] ?? 0);
    if (c !== "eq") return c;
  }
  return "eq";
}

const NUMBER_RE = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*$/;

/**
 * Compares an attribute value with the expression's value. Without `type`,
 * ordering operators compare numerically (Pacemaker picks integer/number),
 * eq/ne compare strings case-insensitively. When one side is not a number,
 * a numeric comparison falls back to the string comparison.
 */
export function compareValues(l: string, r: string, type: string | undefined, op: string): Cmp {
  const t = (type ?? (["lt", "lte", "gt", "gte"].includes(op) ? "number" : "string")).toLowerCase();
  if (t === "version") return compareVersions(l, r);
  if ((t === "number" || t === "integer") && NUMBER_RE.test(l) && NUMBER_RE.test(r)) {
    const conv = t === "integer" ? (s: string) => Math.trunc(Number(s)) : Number;
    return compareNumbers(conv(l), conv(r));
  }
  const a = l.toLowerCase();
  const b = r.toLowerCase();
  if (t === "string") return a === b ? "eq" : "ne";
  return a < b ? "lt" : a > b ? "gt" : "eq";
}

/** One `<expression>` against a node's attributes. */
export function evalExpression(e: Expression, attrs: Attributes): boolean {
  const value = Object.hasOwn(attrs, e.attribute) ? attrs[e.attribute] : undefined;
  if (e.operation === "defined") return value !== undefined;
  if (e.operation === "not_defined") return value === undefined;
  if (value === undefined || e.value === undefined) return e.operation === "ne";
  const c = compareValues(value, e.value, e.type, e.operation);
  switch (c) {
    case "lt":
      return ["lt", "lte", "ne"].includes(e.operation);
    case "gt":
      return ["gt", "gte", "ne"].includes(e.operation);
    case "eq":
      return ["eq", "lte", "gte"].includes(e.operation);
    case "ne":
      return e.operation === "ne";
    default:
      return false;
  }
}

/** One date_spec field ("1-5", "9", "-3" or "3-" style ranges, comma lists) against a value. */
function inSpec(spec: string, value: number): boolean {
  return spec.split(",").some((part) => {
    const m = /^\s*(\d*)\s*(-?)\s*(\d*)\s*$/.exec(part);
    if (m === null || (m[1] === "" && m[3] === "")) return false;
    const lo = m[1] === "" ? Number.NEGATIVE_INFINITY : Number(m[1]);
    const hi = m[2] === "" ? lo : m[3] === "" ? Number.POSITIVE_INFINITY : Number(m[3]);
    return value >= lo && value <= hi;
  });
}

/** ISO week-numbering year and week of a UTC date. */
function isoWeek(d: Date): { year: number; week: number } {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const y0 = Date.UTC(t.getUTCFullYear(), 0, 1);
  return { year: t.getUTCFullYear(), week: Math.ceil(((t.getTime() - y0) / 86400000 + 1) / 7) };
}

/**
 * `<date_spec>` (Pacemaker's pe_cron_range_satisfied): every given field must
 * match `now` (UTC, as crm_simulate -t ...Z evaluates it). Weekdays 1-7 = Monday-Sunday.
 */
export function dateSpecMatches(spec: Attributes, nowMs: number): boolean {
  const d = new Date(nowMs);
  const yday = Math.floor((nowMs - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86400000) + 1;
  const iso = isoWeek(d);
  const fields: Record<string, number> = {
    years: d.getUTCFullYear(),
    months: d.getUTCMonth() + 1,
    monthdays: d.getUTCDate(),
    hours: d.getUTCHours(),
    minutes: d.getUTCMinutes(),
    seconds: d.getUTCSeconds(),
    yeardays: yday,
    weekdays: d.getUTCDay() || 7,
    weekyears: iso.year,
    weeks: iso.week,
  };
  for (const [name, value] of Object.entries(fields)) {
    const v = spec[name];
    if (v !== undefined && !inSpec(v, value)) return false;
  }
  return true;
}

/** `<duration>` added to `start` (years/months/weeks/days/hours/minutes/seconds). */
function addDuration(start: number, dur: Attributes): number {
  const d = new Date(start);
  const n = (k: string): number => Number(dur[k] ?? 0) || 0;
  d.setUTCFullYear(d.getUTCFullYear() + n("years"), d.getUTCMonth() + n("months"));
  return (
    d.getTime() +
    (((n("weeks") * 7 + n("days")) * 24 + n("hours")) * 60 + n("minutes")) * 60000 +
    n("seconds") * 1000
  );
}

/**
 * `<date_expression operation="lt|gt|in_range|date_spec" start end>` (with a
 * `<duration>` or `<date_spec>` child) against `now` (ms). The forms Tandem
 * cannot evaluate are refused when the CIB is read (cib.unsupported-date-expression).
 */
function evalDateExpression(el: XmlElement, nowMs: number): boolean {
  const attrs = el.attrs;
  const start = attrs.start !== undefined ? Date.parse(attrs.start) : Number.NaN;
  let end = attrs.end !== undefined ? Date.parse(attrs.end) : Number.NaN;
  const child = (name: string): Attributes | undefined => el.children.find((c) => c.name === name)?.attrs;
  switch (attrs.operation ?? "in_range") {
    case "gt":
      return !Number.isNaN(start) && nowMs > start;
    case "lt":
      return !Number.isNaN(end) && nowMs < end;
    case "date_spec": {
      const spec = child("date_spec");
      return spec !== undefined && dateSpecMatches(spec, nowMs);
    }
    case "in_range": {
      const dur = child("duration");
      if (Number.isNaN(end) && dur !== undefined && !Number.isNaN(start)) end = addDuration(start, dur);
      return (
        (Number.isNaN(start) || nowMs >= start) &&
        (Number.isNaN(end) || nowMs <= end) &&
        !(Number.isNaN(start) && Number.isNaN(end))
      );
    }
    default:
      return false;
  }
}

function evalItem(item: RuleItem, attrs: Attributes, nowMs: number): boolean {
  switch (item.kind) {
    case "expression":
      return evalExpression(item, attrs);
    case "rule":
      return evalRule(item.rule, attrs, nowMs);
    default:
      return item.element.name === "date_expression" ? evalDateExpression(item.element, nowMs) : false;
  }
}

/** Does the rule match a node? An empty rule matches (as in Pacemaker). */
export function evalRule(rule: Rule, attrs: Attributes, nowMs: number): boolean {
  if (rule.items.length === 0) return true;
  return rule.booleanOp === "or"
    ? rule.items.some((i) => evalItem(i, attrs, nowMs))
    : rule.items.every((i) => evalItem(i, attrs, nowMs));
}

/**
 * The score a matching rule contributes on a node: its `score`, or the node's
 * value of `score-attribute` (-INFINITY when the node lacks it, as Pacemaker).
 */
export function ruleScore(rule: Rule, attrs: Attributes): Score {
  if (rule.scoreAttribute !== undefined) {
    const v = attrs[rule.scoreAttribute];
    return v === undefined ? -INFINITY : (parseScore(v) ?? 0);
  }
  return rule.score ?? 0;
}
