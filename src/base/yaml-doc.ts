/**
 * YAML documents with line numbers, shared by the configuration loaders that
 * accept YAML (cluster.yaml, director.yaml): syntax errors and zod schema
 * issues are reported at the line of the offending node or key. Pure.
 */
import { type Document, LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import type { DiagnosticSink } from "./diag.js";

export type YamlPath = readonly (string | number)[];

type Ranged = { range?: [number, number, number] };

export interface LocatedYaml {
  readonly doc: Document;
  /** Line of the node at `path`, or of the nearest parent that exists; 0 for the document itself. */
  lineAt(path: YamlPath): number;
  /** Line of `key` inside the mapping at `path` (for unknown keys). */
  keyLine(path: YamlPath, key: string): number;
  /** `a.b[2].c`, or "(top level)". */
  dotted(path: YamlPath): string;
}

/** Parses YAML (unique keys enforced); syntax errors go to `sink` with their line and give undefined. */
export function parseLocatedYaml(text: string, sink: DiagnosticSink): LocatedYaml | undefined {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: true, uniqueKeys: true });
  for (const e of doc.errors) {
    const line = e.linePos?.[0].line ?? 0;
    const first = (e.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "");
    sink.error(line, "yaml.syntax", `YAML syntax: ${first}`);
  }
  if (doc.errors.length > 0) return undefined;
  try {
    doc.toJS(); // an alias before its anchor (`*a`), or an alias bomb, throws only here
  } catch (e) {
    sink.error(1, "yaml.syntax", `YAML: ${(e as Error).message.split("\n")[0]?.trim() ?? "unreadable"}`);
    return undefined;
  }
  const lineAt = (path: YamlPath): number => {
    for (let n = path.length; n >= 1; n--) {
      const node = doc.getIn(path.slice(0, n), true) as Ranged | undefined;
      if (node && typeof node === "object" && node.range) return lc.linePos(node.range[0]).line;
    }
    return 0;
  };
  const keyLine = (path: YamlPath, key: string): number => {
    const map = doc.getIn(path, true) as { items?: { key: { value?: unknown } & Ranged }[] } | undefined;
    const pair = map?.items?.find((p) => p.key?.value === key);
    return pair?.key.range ? lc.linePos(pair.key.range[0]).line : lineAt(path);
  };
  const dotted = (path: YamlPath): string =>
    path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("") || "(top level)";
  return { doc, lineAt, keyLine, dotted };
}

/** Plain-words text for the common zod issues; `present` says whether the value was written at all. */
export function describeZodIssue(issue: z.core.$ZodIssue, present: boolean): string {
  switch (issue.code) {
    case "invalid_type":
      return present ? `expected ${issue.expected}` : `missing (expected ${issue.expected})`;
    case "invalid_value":
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "too_small":
      return issue.origin === "array"
        ? `needs at least ${issue.minimum} entr${issue.minimum === 1 ? "y" : "ies"}`
        : `must be at least ${issue.minimum}`;
    case "too_big":
      return `must be at most ${issue.maximum}`;
    case "invalid_union":
      return "does not match any accepted form";
    default:
      return issue.message;
  }
}

/**
 * Reports schema issues at their lines: unknown keys at the key, everything
 * else at the value, as `path: reason`. `message` may override the reason.
 */
export function reportZodIssues(
  issues: readonly z.core.$ZodIssue[],
  y: LocatedYaml,
  sink: DiagnosticSink,
  message: (issue: z.core.$ZodIssue, path: YamlPath) => string | undefined = () => undefined,
): void {
  for (const issue of issues) {
    const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
    if (issue.code === "unrecognized_keys") {
      for (const k of issue.keys) {
        sink.error(
          y.keyLine(path, k),
          "yaml.unknown-key",
          `${y.dotted([...path, k])}: unknown setting "${k}"`,
        );
      }
      continue;
    }
    const reason = message(issue, path) ?? describeZodIssue(issue, y.doc.hasIn(path));
    sink.error(y.lineAt(path), "yaml.invalid", `${y.dotted(path)}: ${reason}`);
  }
}
