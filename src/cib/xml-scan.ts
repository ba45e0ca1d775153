/**
 * A single-pass XML scanner for CIB files: text -> `XmlElement` tree with
 * 1-based line numbers, in one walk over the string (no intermediate token
 * objects, no regular expressions on the hot path). It accepts the XML that
 * libxml2 writes for a CIB: the declaration, comments, processing
 * instructions, CDATA, a DOCTYPE without an internal subset, elements,
 * single- or double-quoted attributes, the five predefined entities and
 * numeric character references. Anything else is a syntax error with the
 * line it was found on. Never throws. Pure.
 */
import type { XmlElement } from "./model.js";

/** Result of `scanXml`: the root element or a syntax error with its position. */
export type XmlScanResult =
  | { readonly ok: true; readonly root: XmlElement }
  | { readonly ok: false; readonly line: number; readonly message: string };

class XmlSyntaxError extends Error {
  constructor(
    readonly at: number,
    message: string,
  ) {
    super(message);
  }
}

const NAMED: Readonly<Record<string, string>> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

/** Replaces entity and character references (only called when the text has an `&`); throws on a bad one. */
export function decode(s: string, at: number): string {
  let out = "";
  let i = 0;
  for (;;) {
    const amp = s.indexOf("&", i);
    if (amp < 0) return out + s.slice(i);
    const semi = s.indexOf(";", amp);
    if (semi < 0) throw new XmlSyntaxError(at, "unterminated entity reference");
    const ref = s.slice(amp + 1, semi);
    let ch: string | undefined;
    if (ref.charCodeAt(0) === 35 /* # */) {
      const code = ref[1] === "x" ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
      if (Number.isFinite(code) && code > 0 && code <= 0x10ffff) ch = String.fromCodePoint(code);
    } else ch = NAMED[ref];
    if (ch === undefined) throw new XmlSyntaxError(at, `unknown entity "&${ref};"`);
    out += s.slice(i, amp) + ch;
    i = semi + 1;
  }
}

function isNameChar(c: number): boolean {
  // letters, digits, '-', '.', ':', '_' and anything non-ASCII
  return (
    (c >= 97 && c <= 122) ||
    (c >= 65 && c <= 90) ||
    (c >= 48 && c <= 57) ||
    c === 45 ||
    c === 46 ||
    c === 58 ||
    c === 95 ||
    c > 127
  );
}

const isSpace = (c: number): boolean => c === 32 || c === 10 || c === 9 || c === 13;

/** An element being read: the element itself (its text is set when it closes) and the text seen so far. */
interface Open {
  readonly el: {
    name: string;
    attrs: Record<string, string>;
    children: XmlElement[];
    line: number;
    text?: string;
  };
  text: string;
}

/** Names (elements, attributes) seen before, by a hash of their characters: one string per name, not one per use. */
const NAME_SLOTS = 1024;

/** A plain name's first character, as libxml2 writes names here: [A-Za-z_]. */
function isPlainNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}

/** A plain name's other characters: [A-Za-z0-9_.:-]. */
function isPlainNameChar(c: number): boolean {
  return isPlainNameStart(c) || (c >= 48 && c <= 58) || c === 46 || c === 45;
}

/** The end of the name starting at `p` (p itself when there is none). */
function nameEnd(text: string, p: number): number {
  if (!isPlainNameStart(text.charCodeAt(p))) return p;
  let q = p + 1;
  while (isPlainNameChar(text.charCodeAt(q))) q++;
  return q;
}

/**
 * The attributes of the start tag whose name ends at `p` and whose '>' is at
 * `gt` (no '<' between): ` name="value"` pairs, each after at least one
 * space, then optional spaces and an optional '/'. Returns the attributes and
 * whether the tag closes itself, or undefined for anything else (single
 * quotes, a repeated attribute, a bad entity...).
 */
function plainAttributes(
  text: string,
  p: number,
  gt: number,
  at: number,
): { attrs: Record<string, string>; empty: boolean } | undefined {
  const attrs: Record<string, string> = {};
  for (;;) {
    const ws = p;
    while (isSpace(text.charCodeAt(p))) p++;
    if (p === gt) return { attrs, empty: false };
    if (p + 1 === gt && text.charCodeAt(p) === 47 /* / */) return { attrs, empty: true };
    if (p === ws) return undefined;
    const ke = nameEnd(text, p);
    if (ke === p || text.charCodeAt(ke) !== 61 /* = */ || text.charCodeAt(ke + 1) !== 34 /* " */)
      return undefined;
    const key = text.slice(p, ke);
    const ve = text.indexOf('"', ke + 2);
    if (ve < 0 || ve > gt || Object.hasOwn(attrs, key)) return undefined;
    const v = text.slice(ke + 2, ve);
    if (v.includes("&")) {
      try {
        attrs[key] = decode(v, at);
      } catch {
        return undefined;
      }
    } else attrs[key] = v;
    p = ve + 1;
  }
}

/**
 * The common case fast: a document of elements, double-quoted attributes, comments, processing
 * instructions and whitespace between elements (what libxml2 and cibadmin write), read with native
 * string searches and character-code tests, without a substring per tag: a large status section
 * costs a few interpreted steps per attribute (issue 17: at 5,000 primitives on 16 nodes, 28 MB,
 * the regular expression and `split` per tag took 760 ms of a 2.2 s `hbctl simulate`).
 * Anything else — text content, CDATA, a DOCTYPE, single quotes, a repeated attribute, a '<' or
 * '>' inside a value, and every error — returns undefined, and the general scanner reads the
 * document again, so both give the same tree (test/unit/cib/xml-scan.test.ts compares them) and
 * errors come from one place.
 */
export function scanPlain<T>(text: string, sub?: SubtreeReader<T>): XmlElement | undefined {
  type El = { name: string; attrs: Record<string, string>; children: XmlElement[]; line: number };
  const n = text.length;
  let line = 1;
  let nextNl = text.indexOf("\n");
  const stack: El[] = [];
  let top: El | undefined;
  let root: El | undefined;
  let i = 0;
  let lt = text.indexOf("<");
  for (;;) {
    const end = lt < 0 ? n : lt;
    // whitespace only between elements (text content goes to the general scanner)
    for (let k = i; k < end; k++) if (!isSpace(text.charCodeAt(k))) return undefined;
    if (lt < 0) break;
    const c = text.charCodeAt(lt + 1);
    if (c === 33 /* ! */) {
      if (!text.startsWith("!--", lt + 1)) return undefined;
      const e = text.indexOf("-->", lt + 4);
      if (e < 0) return undefined;
      i = e + 3;
      lt = text.indexOf("<", i);
      continue;
    }
    if (c === 63 /* ? */) {
      const e = text.indexOf("?>", lt + 2);
      if (e < 0) return undefined;
      i = e + 2;
      lt = text.indexOf("<", i);
      continue;
    }
    const gt = text.indexOf(">", lt);
    const next = text.indexOf("<", lt + 1);
    if (gt < 0 || (next >= 0 && next < gt)) return undefined;
    i = gt + 1;
    if (c === 47 /* / */) {
      if (top === undefined || gt - lt - 2 !== top.name.length || !text.startsWith(top.name, lt + 2))
        return undefined;
      stack.pop();
      top = stack[stack.length - 1];
      lt = next;
      continue;
    }
    const ne = nameEnd(text, lt + 1);
    if (ne === lt + 1) return undefined;
    const tag = plainAttributes(text, ne, gt, lt);
    if (tag === undefined) return undefined;
    while (nextNl >= 0 && nextNl < lt) {
      line++;
      nextNl = text.indexOf("\n", nextNl + 1);
    }
    const el: El = { name: text.slice(lt + 1, ne), attrs: tag.attrs, children: [], line };
    if (top !== undefined) top.children.push(el);
    else if (root === undefined) root = el;
    else return undefined;
    if (!tag.empty) {
      const got = sub !== undefined && atPath(stack, el, sub.path) ? sub.read(gt + 1) : undefined;
      if (got !== undefined) {
        sub?.found.set(el, got.value);
        i = got.end;
        lt = text.indexOf("<", i);
        continue;
      }
      stack.push(el);
      top = el;
    }
    lt = next;
  }
  return top === undefined ? root : undefined;
}

/**
 * A reader of the body of the elements at one path, straight from the text (status-scan.ts):
 * `read(from)`, from just after the start tag's '>', gives the body's value and the position after
 * the end tag, or undefined, and the element's tree is built as usual. An element read so has no
 * children in the tree; its value is in `found`.
 */
export interface SubtreeReader<T> {
  /** Element names from the root down to the element read (e.g. cib, status, ..., lrm_resources). */
  readonly path: readonly string[];
  read(from: number): { end: number; value: T } | undefined;
  readonly found: Map<XmlElement, T>;
}

/** Whether `el`, opened below the elements of `stack`, is at `path`. */
function atPath(stack: readonly XmlElement[], el: XmlElement, path: readonly string[]): boolean {
  if (stack.length !== path.length - 1 || el.name !== path[stack.length]) return false;
  for (let k = stack.length - 1; k >= 0; k--) if ((stack[k] as XmlElement).name !== path[k]) return false;
  return true;
}

/** Scans `text` into a tree (the fast path reads `sub`'s elements with it: see SubtreeReader). */
export function scanXml<T>(text: string, sub?: SubtreeReader<T>): XmlScanResult {
  const plain = text.charCodeAt(0) === 0xfeff ? undefined : scanPlain(text, sub);
  if (plain !== undefined) return { ok: true, root: plain };
  sub?.found.clear(); // read from a tree the general scanner now builds again
  return scanGeneral(text);
}

/** The general scanner: every construct the module comment names, and the errors with their lines. */
export function scanGeneral(text: string): XmlScanResult {
  let line = 1;
  // the first newline not yet counted: lines are counted lazily, in order, and each newline is looked
  // for once (searching again from the last position on every call was quadratic on long lines)
  let nextNl = text.indexOf("\n");
  /** The line of `pos` (positions are asked for in increasing order). */
  const lineAt = (pos: number): number => {
    while (nextNl >= 0 && nextNl < pos) {
      line++;
      nextNl = text.indexOf("\n", nextNl + 1);
    }
    return line;
  };
  const fail = (at: number, message: string): XmlScanResult => ({ ok: false, line: lineAt(at), message });
  const stack: Open[] = [];
  let root: XmlElement | undefined;
  const n = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const close = (open: Open): XmlElement => {
    if (open.text !== "") {
      const t = open.text.trim();
      if (t !== "") open.el.text = t;
    }
    return open.el;
  };
  const attach = (el: XmlElement, at: number): void => {
    const parent = stack[stack.length - 1];
    if (parent) parent.el.children.push(el);
    else if (root === undefined) root = el;
    else throw new XmlSyntaxError(at, "more than one root element");
  };
  const names: (string | undefined)[] = new Array(NAME_SLOTS);
  let nameEnd = 0;
  /** The name at `start` (its end in `nameEnd`), reusing the string of an earlier equal name. */
  const readName = (start: number): string => {
    let j = start;
    let h = 0;
    for (let c = text.charCodeAt(j); j < n && isNameChar(c); c = text.charCodeAt(++j)) h = (h * 31 + c) | 0;
    if (j === start) throw new XmlSyntaxError(start, "expected a name");
    nameEnd = j;
    const slot = (h ^ (j - start)) & (NAME_SLOTS - 1);
    const known = names[slot];
    if (known !== undefined && known.length === j - start && text.startsWith(known, start)) return known;
    const name = text.slice(start, j);
    names[slot] = name;
    return name;
  };
  const skipTo = (marker: string, from: number, what: string): number => {
    const end = text.indexOf(marker, from);
    if (end < 0) throw new XmlSyntaxError(from, `unterminated ${what}`);
    return end + marker.length;
  };
  // the next '<' and '&' at or after a position, each searched for once (positions only grow):
  // attribute values are checked against them instead of being searched again
  let nextLt = -1;
  let nextAmp = -1;
  const ltFrom = (pos: number): number => {
    if (nextLt < pos && nextLt !== n) {
      const l = text.indexOf("<", pos);
      nextLt = l < 0 ? n : l;
    }
    return nextLt;
  };
  const ampFrom = (pos: number): number => {
    if (nextAmp < pos && nextAmp !== n) {
      const a = text.indexOf("&", pos);
      nextAmp = a < 0 ? n : a;
    }
    return nextAmp;
  };
  try {
    while (i < n) {
      const found = ltFrom(i);
      const lt = found === n ? -1 : found;
      const textEnd = lt < 0 ? n : lt;
      let k = i;
      while (k < textEnd && isSpace(text.charCodeAt(k))) k++;
      // whitespace between elements: nothing to keep (the common case, no string made)
      if (k < textEnd || (textEnd > i && (stack[stack.length - 1]?.text ?? "") !== "")) {
        const chunk = text.slice(i, textEnd);
        const top = stack[stack.length - 1];
        if (top) top.text += chunk.includes("&") ? decode(chunk, i) : chunk;
        else if (chunk.trim() !== "") throw new XmlSyntaxError(i, "text outside the root element");
      }
      if (lt < 0) break;
      i = lt + 1;
      const c = text.charCodeAt(i);
      if (c === 33 /* ! */) {
        if (text.startsWith("!--", i)) i = skipTo("-->", i + 3, "comment");
        else if (text.startsWith("![CDATA[", i)) {
          const end = text.indexOf("]]>", i + 8);
          if (end < 0) throw new XmlSyntaxError(lt, "unterminated CDATA section");
          const top = stack[stack.length - 1];
          if (!top) throw new XmlSyntaxError(lt, "CDATA outside the root element");
          top.text += text.slice(i + 8, end);
          i = end + 3;
        } else if (text.startsWith("!DOCTYPE", i)) {
          const end = text.indexOf(">", i);
          if (end < 0 || text.lastIndexOf("[", end) > i) throw new XmlSyntaxError(lt, "unsupported DOCTYPE");
          i = end + 1;
        } else throw new XmlSyntaxError(lt, "unexpected '<!'");
      } else if (c === 63 /* ? */) i = skipTo("?>", i + 1, "processing instruction");
      else if (c === 47 /* / */) {
        const name = readName(i + 1);
        let j = nameEnd;
        while (j < n && isSpace(text.charCodeAt(j))) j++;
        if (text.charCodeAt(j) !== 62) throw new XmlSyntaxError(lt, `expected '>' after </${name}`);
        const top = stack.pop();
        if (!top) throw new XmlSyntaxError(lt, `closing tag </${name}> without an opening tag`);
        if (top.el.name !== name)
          throw new XmlSyntaxError(
            lt,
            `closing tag </${name}> does not match <${top.el.name}> (line ${top.el.line})`,
          );
        attach(close(top), lt);
        i = j + 1;
      } else {
        const line = lineAt(lt);
        const el: Open = { el: { name: readName(i), attrs: {}, children: [], line }, text: "" };
        const attrs = el.el.attrs;
        let j = nameEnd;
        for (;;) {
          while (j < n && isSpace(text.charCodeAt(j))) j++;
          const d = text.charCodeAt(j);
          if (d === 62 /* > */) {
            stack.push(el);
            j++;
            break;
          }
          if (d === 47 /* / */ && text.charCodeAt(j + 1) === 62) {
            attach(close(el), lt);
            j += 2;
            break;
          }
          if (j >= n) throw new XmlSyntaxError(lt, `unterminated tag <${el.el.name}`);
          const key = readName(j);
          j = nameEnd;
          while (j < n && isSpace(text.charCodeAt(j))) j++;
          if (text.charCodeAt(j) !== 61 /* = */)
            throw new XmlSyntaxError(j, `attribute ${key} of <${el.el.name}> has no value`);
          j++;
          while (j < n && isSpace(text.charCodeAt(j))) j++;
          const q = text.charCodeAt(j);
          if (q !== 34 && q !== 39)
            throw new XmlSyntaxError(j, `attribute ${key} of <${el.el.name}> is not quoted`);
          const vEnd = text.indexOf(q === 34 ? '"' : "'", j + 1);
          if (vEnd < 0) throw new XmlSyntaxError(j, `unterminated value of attribute ${key}`);
          if (ltFrom(j + 1) < vEnd) throw new XmlSyntaxError(j, `'<' in the value of attribute ${key}`);
          const raw = text.slice(j + 1, vEnd);
          if (Object.hasOwn(attrs, key))
            throw new XmlSyntaxError(j, `attribute ${key} repeated in <${el.el.name}>`);
          attrs[key] = ampFrom(j + 1) < vEnd ? decode(raw, j) : raw;
          j = vEnd + 1;
          const after = text.charCodeAt(j);
          if (j < n && !isSpace(after) && after !== 62 && after !== 47)
            throw new XmlSyntaxError(j, `expected a space after attribute ${key}`);
        }
        i = j;
      }
    }
  } catch (e) {
    if (e instanceof XmlSyntaxError) return fail(e.at, e.message);
    throw e;
  }
  const open = stack[stack.length - 1];
  if (open) return fail(n, `element <${open.el.name}> (line ${open.el.line}) is not closed`);
  if (root === undefined) return fail(n, "no root element");
  return { ok: true, root };
}
