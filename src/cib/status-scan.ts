/**
 * The operation history of a status section read straight from the text: the
 * body of an `<lrm_resources>` element -> `LrmResource[]`, without an
 * `XmlElement` per `<lrm_resource>` and `<lrm_rsc_op>` (issue 17: at 5,000
 * primitives on 16 nodes the status section is 85,000 operations, ~95 % of a
 * 28 MB CIB; the tree of it, its attribute records and the strings of their
 * names and short values were a third of `hbctl simulate`'s run and most of
 * its garbage collection).
 *
 * It reads the shapes parse.ts's fast status readers (readLrmResourceFast,
 * readLrmRscOpFast) accept from the tree scanPlain (xml-scan.ts) builds, and
 * builds the same objects, field for field and in the same order: elements
 * separated by whitespace only, double-quoted attributes each after a space,
 * `<lrm_resource>` with id/class/provider/type, self-closed `<lrm_rsc_op>`
 * with plain integers. Anything else (a comment, another element, an unknown
 * `<lrm_resource>` attribute, a repeated attribute, a duration as interval, a
 * '<' or '>' in a value, a bad entity...) returns undefined and the scanner
 * builds the element's tree as before, read by the general readers with their
 * diagnostics (test/unit/cib/status-scan.test.ts compares both). Pure.
 *
 * Cheap per attribute, because it runs ~850,000 times, mostly before V8 has
 * optimised it: the names are those of the previous element, in its order, so
 * each is checked with one native `startsWith` (any order is read, only more
 * slowly); a value equal to the previous one of the same attribute (an agent,
 * an operation name, a digest) is that same string, not a new one.
 */
import type { LrmResource, LrmRscOp } from "./model.js";
import { decode } from "./xml-scan.js";

/** A model object under construction (as parse.ts builds them). */
type Building<T> = { -readonly [K in keyof T]: T[K] };

/** `<lrm_rsc_op>`'s attributes the model has a field for; the index is the attribute's number below. */
const OP_ATTRS = [
  "id",
  "operation",
  "operation_key",
  "call-id",
  "rc-code",
  "op-status",
  "interval",
  "transition-key",
  "transition-magic",
  "last-rc-change",
  "last-run",
  "exec-time",
  "queue-time",
  "op-digest",
  "exit-reason",
  "on_node",
  "crm_feature_set",
] as const;
/** Integer attributes (`-?\d+`; interval `\d+`), by number. */
const OP_INT = OP_ATTRS.map((_, k) => (k >= 3 && k <= 6) || (k >= 9 && k <= 12));
/** String attributes whose value usually repeats the previous operation's (not ids and keys). */
const OP_REPEATS = OP_ATTRS.map((_, k) => k === 1 || k >= 13);
/** `<lrm_resource>`'s attributes. */
const RSC_ATTRS = ["id", "class", "provider", "type"] as const;

const isSpace = (c: number): boolean => c === 32 || c === 10 || c === 9 || c === 13;

/** [A-Za-z0-9_.:-] after a first [A-Za-z_] (xml-scan.ts's plain names): whether [p, end) is one. */
function isName(text: string, p: number, end: number): boolean {
  const c0 = text.charCodeAt(p);
  if (p === end || !((c0 >= 97 && c0 <= 122) || (c0 >= 65 && c0 <= 90) || c0 === 95)) return false;
  for (let q = p + 1; q < end; q++) {
    const c = text.charCodeAt(q);
    if (
      !(
        (c >= 97 && c <= 122) ||
        (c >= 65 && c <= 90) ||
        (c >= 48 && c <= 58) ||
        c === 95 ||
        c === 46 ||
        c === 45
      )
    )
      return false;
  }
  return true;
}

/** A `-?\d+` (`\d+` when not `signed`) integer's value as Number(text) gives it, NaN for anything else. */
function intAt(text: string, start: number, end: number, signed: boolean): number {
  let k = start;
  if (signed && text.charCodeAt(k) === 45) k++;
  if (k === end) return Number.NaN;
  let n = 0;
  for (let q = k; q < end; q++) {
    const d = text.charCodeAt(q) - 48;
    if (d < 0 || d > 9) return Number.NaN;
    n = n * 10 + d;
  }
  // beyond 2^53 the sum above may round differently from Number()
  if (end - k > 15) return Number(text.slice(start, end));
  return k > start ? -n : n;
}

/**
 * The attributes of one start tag, one at a time: `next()` moves to the next attribute (false at the
 * end of the tag or on anything unusual: see `ok`), then `name` is its number in `names` (-1 for
 * another name) and the value lies in [vs, ve).
 */
class Attrs {
  /** The attribute numbers of the previous tag of this kind, in order: the names expected. */
  private readonly expect: number[] = [];
  private p = 0;
  private gt = 0;
  private at = 0;
  /** The current attribute: its number, where its name starts and its value. */
  name = -1;
  ks = 0;
  ke = 0;
  vs = 0;
  ve = 0;
  /** False when the tag is not one this reader takes (checked after `next()` returns false). */
  ok = true;
  /** The tag closes itself. */
  empty = false;
  /** The tag has an '&' (its values are decoded). */
  amp = false;

  constructor(
    private readonly text: string,
    private readonly names: readonly string[],
  ) {}

  /** Starts on the tag whose name ends at `p` and whose '>' is at `gt`. */
  begin(p: number, gt: number, amp: boolean): void {
    this.p = p;
    this.gt = gt;
    this.at = 0;
    this.ok = true;
    this.empty = false;
    this.amp = amp;
  }

  next(): boolean {
    const t = this.text;
    let p = this.p;
    const ws = p;
    while (isSpace(t.charCodeAt(p))) p++;
    if (p === this.gt) return false;
    if (p + 1 === this.gt && t.charCodeAt(p) === 47 /* / */) {
      this.empty = true;
      return false;
    }
    if (p === ws) return this.fail();
    let k = this.expect[this.at] ?? -1;
    const name = k < 0 ? undefined : this.names[k];
    let ke = name === undefined ? -1 : p + name.length;
    if (
      name === undefined ||
      !t.startsWith(name, p) ||
      t.charCodeAt(ke) !== 61 ||
      t.charCodeAt(ke + 1) !== 34
    ) {
      ke = t.indexOf("=", p);
      if (ke < 0 || ke > this.gt || t.charCodeAt(ke + 1) !== 34 || !isName(t, p, ke)) return this.fail();
      k = this.lookup(p, ke);
      this.expect[this.at] = k;
    }
    const ve = t.indexOf('"', ke + 2);
    if (ve < 0 || ve > this.gt) return this.fail();
    this.at++;
    this.name = k;
    this.ks = p;
    this.ke = ke;
    this.vs = ke + 2;
    this.ve = ve;
    this.p = ve + 1;
    return true;
  }

  private fail(): boolean {
    this.ok = false;
    return false;
  }

  /** The number of the name in [p, ke), -1 when it is none of `names`. */
  private lookup(p: number, ke: number): number {
    for (let k = 0; k < this.names.length; k++) {
      const n = this.names[k] as string;
      if (n.length === ke - p && this.text.startsWith(n, p)) return k;
    }
    return -1;
  }

  /** The current value (decoded when the tag has an '&'), `last` when equal to it, undefined for a bad entity. */
  value(last?: string): string | undefined {
    const t = this.text;
    if (this.amp && t.indexOf("&", this.vs) < this.ve) {
      try {
        return decode(t.slice(this.vs, this.ve), this.vs);
      } catch {
        return undefined;
      }
    }
    if (last !== undefined && last.length === this.ve - this.vs && t.startsWith(last, this.vs)) return last;
    return t.slice(this.vs, this.ve);
  }
}

/**
 * The fields of the operation being read (one object for all: `seen` says which attributes this one
 * has, so nothing is cleared between operations).
 */
class OpFields {
  /** String values by attribute number (valid where `seen` has the bit). */
  readonly s: string[] = new Array<string>(OP_ATTRS.length).fill("");
  /** Integer values by attribute number (valid where `seen` has the bit). */
  readonly n: number[] = new Array<number>(OP_ATTRS.length).fill(0);
  /** The previous operation's values, by attribute number. */
  readonly last: (string | undefined)[] = new Array<string | undefined>(OP_ATTRS.length).fill(undefined);
  /** Bit k: attribute k was read. */
  seen = 0;
  unknown: Record<string, string> | undefined;

  clear(): void {
    this.seen = 0;
    this.unknown = undefined;
  }

  has(k: number): boolean {
    return (this.seen & (1 << k)) !== 0;
  }

  /** The operation, built as parse.ts's readLrmRscOpFast builds it (same fields, same order). */
  build(id: string, operation: string): LrmRscOp {
    const { s, n } = this;
    const op: Building<LrmRscOp> = {
      id,
      operation,
      callId: this.has(3) ? (n[3] as number) : -1,
      rcCode: this.has(4) ? (n[4] as number) : 0,
      opStatus: this.has(5) ? (n[5] as number) : 0,
      intervalMs: this.has(6) ? (n[6] as number) : 0,
    };
    if (this.has(2)) op.operationKey = s[2] as string;
    if (this.has(7)) op.transitionKey = s[7] as string;
    if (this.has(8)) op.transitionMagic = s[8] as string;
    if (this.has(9)) op.lastRcChange = n[9] as number;
    if (this.has(10)) op.lastRun = n[10] as number;
    if (this.has(11)) op.execTime = n[11] as number;
    if (this.has(12)) op.queueTime = n[12] as number;
    if (this.has(13)) op.opDigest = s[13] as string;
    if (this.has(14)) op.exitReason = s[14] as string;
    if (this.has(15)) op.onNode = s[15] as string;
    if (this.has(16)) op.crmFeatureSet = s[16] as string;
    if (this.unknown !== undefined) op.extra = { attrs: this.unknown };
    return op;
  }
}

/** The reader of one document's `<lrm_resources>` bodies. */
class StatusScanner {
  private nextLt = -1;
  private nextAmp = -1;
  private readonly rscAttrs: Attrs;
  private readonly opAttrs: Attrs;
  private readonly op = new OpFields();
  /** The previous resource's class, provider and type. */
  private readonly lastRsc: (string | undefined)[] = [undefined, undefined, undefined, undefined];

  constructor(private readonly text: string) {
    this.rscAttrs = new Attrs(text, RSC_ATTRS);
    this.opAttrs = new Attrs(text, OP_ATTRS);
  }

  /** The next '<' at or after `pos` (text.length when none); positions asked for only grow. */
  private ltFrom(pos: number): number {
    if (this.nextLt < pos) {
      const l = this.text.indexOf("<", pos);
      this.nextLt = l < 0 ? this.text.length : l;
    }
    return this.nextLt;
  }

  private ampBefore(pos: number, end: number): boolean {
    if (this.nextAmp < pos) {
      const a = this.text.indexOf("&", pos);
      this.nextAmp = a < 0 ? this.text.length : a;
    }
    return this.nextAmp < end;
  }

  /** The next '<' after whitespace from `p`, -1 when anything else comes first. */
  private tagAfterSpace(p: number): number {
    const lt = this.ltFrom(p);
    for (let k = p; k < lt; k++) if (!isSpace(this.text.charCodeAt(k))) return -1;
    return lt < this.text.length ? lt : -1;
  }

  /**
   * The '>' of the start tag `<name` at `lt` (name followed by a space, '/' or '>', no '<' before
   * the '>'), -1 otherwise.
   */
  private startTag(lt: number, name: string): number {
    const t = this.text;
    const c = t.charCodeAt(lt + 1 + name.length);
    if (!t.startsWith(name, lt + 1) || !(isSpace(c) || c === 47 || c === 62)) return -1;
    const gt = t.indexOf(">", lt);
    return gt < 0 || this.ltFrom(lt + 1) < gt ? -1 : gt;
  }

  /** The body of `<lrm_resources>` from `from` (after its '>'), and the position after its end tag. */
  resources(from: number): { end: number; value: LrmResource[] } | undefined {
    const t = this.text;
    const out: LrmResource[] = [];
    let p = from;
    for (;;) {
      const lt = this.tagAfterSpace(p);
      if (lt < 0) return undefined;
      if (t.charCodeAt(lt + 1) === 47 /* / */)
        return t.startsWith("/lrm_resources>", lt + 1) ? { end: lt + 16, value: out } : undefined;
      const res = this.resource(lt);
      if (res === undefined) return undefined;
      out.push(res);
      p = this.end;
    }
  }

  /** Where the last element read ends. */
  private end = 0;

  /** One `<lrm_resource>` at `lt` with its operations (its end in `this.end`). */
  private resource(lt: number): LrmResource | undefined {
    const t = this.text;
    const gt = this.startTag(lt, "lrm_resource");
    if (gt < 0) return undefined;
    const a = this.rscAttrs;
    a.begin(lt + 13, gt, this.ampBefore(lt, gt));
    const f: (string | undefined)[] = [undefined, undefined, undefined, undefined];
    while (a.next()) {
      if (a.name < 0 || f[a.name] !== undefined) return undefined;
      const v = a.value(this.lastRsc[a.name]);
      if (v === undefined) return undefined;
      f[a.name] = v;
    }
    const [id, cls, provider, type] = f;
    if (!a.ok || !id) return undefined;
    for (let k = 1; k < 4; k++) this.lastRsc[k] = f[k];
    const ops = this.ops;
    ops.length = 0;
    let p = gt + 1;
    if (!a.empty)
      for (;;) {
        const l = this.tagAfterSpace(p);
        if (l < 0) return undefined;
        if (t.charCodeAt(l + 1) === 47) {
          if (!t.startsWith("/lrm_resource>", l + 1)) return undefined;
          p = l + 15;
          break;
        }
        const op = this.readOp(l);
        if (op === undefined) return undefined;
        ops.push(op);
        p = this.end;
      }
    this.end = p;
    // a copy of exactly its length (an array grown by push keeps room for 17: 130 bytes per resource)
    const list = ops.slice();
    // the common shape in one literal (no property store added object by object); the same fields in the same order
    if (cls !== undefined && provider !== undefined && type !== undefined)
      return { id, class: cls, provider, type, ops: list };
    const res = { id } as Building<LrmResource>;
    if (cls !== undefined) res.class = cls;
    if (provider !== undefined) res.provider = provider;
    if (type !== undefined) res.type = type;
    res.ops = list;
    return res;
  }

  /** The operations of the resource being read. */
  private readonly ops: LrmRscOp[] = [];

  /** One self-closed `<lrm_rsc_op .../>` at `lt` (its end in `this.end`). */
  private readOp(lt: number): LrmRscOp | undefined {
    const gt = this.startTag(lt, "lrm_rsc_op");
    if (gt < 0) return undefined;
    const a = this.opAttrs;
    const f = this.op;
    f.clear();
    a.begin(lt + 11, gt, this.ampBefore(lt, gt));
    while (a.next()) if (!this.opAttr(a, f)) return undefined;
    const id = f.has(0) ? f.s[0] : undefined;
    const operation = f.has(1) ? f.s[1] : undefined;
    if (!a.ok || !a.empty || !id || !operation) return undefined;
    this.end = gt + 1;
    return f.build(id, operation);
  }

  /** Stores the current attribute of an operation; false to give up. */
  private opAttr(a: Attrs, f: OpFields): boolean {
    const k = a.name;
    if (k < 0) {
      // an attribute the model has no field for: kept in `extra`, as the tree readers keep it
      const key = this.text.slice(a.ks, a.ke);
      const v = a.value();
      f.unknown ??= {};
      if (v === undefined || key === "__proto__" || Object.hasOwn(f.unknown, key)) return false;
      f.unknown[key] = v;
      return true;
    }
    if ((f.seen & (1 << k)) !== 0) return false;
    f.seen |= 1 << k;
    if (OP_INT[k]) {
      if (a.amp && this.text.indexOf("&", a.vs) < a.ve) return false;
      const v = intAt(this.text, a.vs, a.ve, k !== 6);
      if (Number.isNaN(v)) return false;
      f.n[k] = v;
      return true;
    }
    const repeats = OP_REPEATS[k] === true;
    const v = a.value(repeats ? f.last[k] : undefined);
    if (v === undefined) return false;
    if (repeats) f.last[k] = v;
    f.s[k] = v;
    return true;
  }
}

/**
 * A reader of `<lrm_resources>` bodies for one document (scanPlain's SubtreeReader): `read(from)` is
 * the body from `from`, just after the start tag's '>', with the position after its end tag, or
 * undefined.
 */
export function lrmResourcesReader(
  text: string,
): (from: number) => { end: number; value: LrmResource[] } | undefined {
  const scanner = new StatusScanner(text);
  return (from) => scanner.resources(from);
}
