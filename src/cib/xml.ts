/**
 * Minimal XML layer for the CIB: text -> `XmlElement` tree (fast-xml-parser,
 * order preserved, line numbers kept) and `XmlElement` tree -> indented text.
 * Comments, processing instructions and the declaration are dropped.
 */
import { XMLParser, XMLValidator } from "fast-xml-parser";
import type { XmlElement } from "./model.js";

/** Result of `parseXml`: the root element or a syntax error with its position. */
export type XmlParseResult =
  | { readonly ok: true; readonly root: XmlElement }
  | { readonly ok: false; readonly line: number; readonly message: string };

const ATTRS = ":@";
const TEXT = "#text";
const COMMENT = "#comment";

type OrderedNode = Record<string, unknown>;

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

function lineOf(starts: readonly number[], index: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] ?? 0) <= index) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

/** Parses XML text into a tree; never throws. */
export function parseXml(text: string): XmlParseResult {
  const valid = XMLValidator.validate(text);
  if (valid !== true) return { ok: false, line: valid.err.line, message: valid.err.msg };
  const parser = new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: "",
    parseAttributeValue: false,
    parseTagValue: false,
    trimValues: true,
    ignoreDeclaration: true,
    ignorePiTags: true,
    commentPropName: COMMENT,
    captureMetaData: true,
    // Needed for numeric character references (&#10; as libxml2 writes newlines in attributes).
    htmlEntities: true,
  });
  let nodes: OrderedNode[];
  try {
    nodes = parser.parse(text) as OrderedNode[];
  } catch (e) {
    return { ok: false, line: 0, message: e instanceof Error ? e.message : String(e) };
  }
  const meta = XMLParser.getMetaDataSymbol() as unknown as string;
  const starts = lineStarts(text);
  const convert = (node: OrderedNode): XmlElement | undefined => {
    const name = Object.keys(node).find((k) => k !== ATTRS);
    if (name === undefined || name === TEXT || name === COMMENT || name.startsWith("?")) return undefined;
    const rawAttrs = (node[ATTRS] ?? {}) as Record<string, unknown>;
    const attrs: Record<string, string> = {};
    for (const [k, v] of Object.entries(rawAttrs)) attrs[k] = String(v);
    const children: XmlElement[] = [];
    let text = "";
    for (const child of (node[name] ?? []) as OrderedNode[]) {
      if (TEXT in child) text += String(child[TEXT]);
      else {
        const c = convert(child);
        if (c) children.push(c);
      }
    }
    const m = (node as Record<string, { startIndex?: number } | undefined>)[meta];
    const line = m?.startIndex !== undefined ? lineOf(starts, m.startIndex) : undefined;
    return {
      name,
      attrs,
      children,
      ...(text !== "" ? { text } : {}),
      ...(line !== undefined ? { line } : {}),
    };
  };
  for (const node of nodes) {
    const el = convert(node);
    if (el) return { ok: true, root: el };
  }
  return { ok: false, line: 0, message: "no root element" };
}

function escapeAttr(v: string): string {
  return v
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/\n/g, "&#10;")
    .replace(/\r/g, "&#13;")
    .replace(/\t/g, "&#9;");
}

function escapeText(v: string): string {
  return v.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Serialises a tree with two-space indentation; empty elements are self-closed. */
export function writeXml(root: XmlElement): string {
  const out: string[] = [];
  const emit = (el: XmlElement, depth: number): void => {
    const pad = "  ".repeat(depth);
    const attrs = Object.entries(el.attrs)
      .map(([k, v]) => ` ${k}="${escapeAttr(v)}"`)
      .join("");
    if (el.children.length === 0 && el.text === undefined) {
      out.push(`${pad}<${el.name}${attrs}/>`);
    } else if (el.children.length === 0) {
      out.push(`${pad}<${el.name}${attrs}>${escapeText(el.text ?? "")}</${el.name}>`);
    } else {
      out.push(`${pad}<${el.name}${attrs}>`);
      if (el.text !== undefined) out.push(`${pad}  ${escapeText(el.text)}`);
      for (const c of el.children) emit(c, depth + 1);
      out.push(`${pad}</${el.name}>`);
    }
  };
  emit(root, 0);
  return `${out.join("\n")}\n`;
}
