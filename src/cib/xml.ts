/**
 * Minimal XML layer for the CIB: text -> `XmlElement` tree (xml-scan.ts,
 * order preserved, line numbers kept) and `XmlElement` tree -> indented text.
 * Comments, processing instructions and the declaration are dropped.
 */
import type { XmlElement } from "./model.js";
import { scanXml } from "./xml-scan.js";

/** Result of `parseXml`: the root element or a syntax error with its position. */
export type XmlParseResult =
  | { readonly ok: true; readonly root: XmlElement }
  | { readonly ok: false; readonly line: number; readonly message: string };

/** Parses XML text into a tree; never throws. */
export function parseXml(text: string): XmlParseResult {
  return scanXml(text);
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
