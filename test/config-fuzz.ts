/**
 * Config-parser fuzzing shared by test/unit/config/fuzz.test.ts (bounded, in
 * `npm test`) and bench/config-fuzz.ts (a longer run reporting cases/s).
 *
 * Every parser (ha.cf, authkeys, haresources, cluster.yaml, ldirectord.cf,
 * director.yaml, cib.xml) gets arbitrary text and valid files mutated with
 * control characters (bare CR, NUL, VT, FF, ESC, NEL, U+2028/U+2029, BOM) and
 * arbitrary bytes. The property: the parser returns, never throws; every
 * diagnostic names the file it was given and a line inside the text; a parse
 * that yields no value reports at least one error.
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import type { Diagnostic, Parsed } from "../src/base/diag.js";
import { parseCib } from "../src/cib/parse.js";
import { parseAuthkeys } from "../src/config/authkeys.js";
import { parseHaCf } from "../src/config/hacf.js";
import { parseHaresources } from "../src/config/haresources.js";
import { parseClusterYaml } from "../src/config/yaml.js";
import { parseLdirectordCf } from "../src/lvs/config/ldirectord.js";
import { parseDirectorYaml } from "../src/lvs/config/yaml.js";
import { readFixture, repoRoot } from "./helpers.js";

export interface FuzzTarget {
  readonly name: string;
  readonly file: string;
  /** Valid files of this kind, mutated by the generators. */
  readonly seeds: readonly string[];
  readonly parse: (text: string, file: string) => Parsed<unknown>;
}

function example(...parts: string[]): string {
  return readFileSync(join(repoRoot, "examples", ...parts), "utf8");
}

export function fuzzTargets(): FuzzTarget[] {
  return [
    {
      name: "ha.cf",
      file: "/etc/ha.d/ha.cf",
      seeds: [example("heartbeat-lvs-dr", "ha.cf")],
      parse: (t, f) => parseHaCf(t, f, { localNode: "primarylb" }),
    },
    {
      name: "authkeys",
      file: "/etc/ha.d/authkeys",
      seeds: [example("heartbeat-lvs-dr", "authkeys"), readFixture("config", "authkeys-rotation")],
      parse: (t, f) => parseAuthkeys(t, f, 0o600),
    },
    {
      name: "haresources",
      file: "/etc/ha.d/haresources",
      seeds: [example("heartbeat-lvs-dr", "haresources"), readFixture("config", "haresources-mixed")],
      parse: (t, f) => parseHaresources(t, f, { nodes: ["primarylb", "backuplb"] }),
    },
    {
      name: "cluster.yaml",
      file: "/etc/tandem/cluster.yaml",
      seeds: [example("yaml", "cluster.yaml")],
      parse: (t, f) => parseClusterYaml(t, f, { mode: 0o600, localNode: "primarylb" }),
    },
    {
      name: "ldirectord.cf",
      file: "/etc/ha.d/ldirectord.cf",
      seeds: [example("heartbeat-lvs-dr", "ldirectord.cf"), readFixture("lvs", "example-dr.cf")],
      parse: (t, f) => parseLdirectordCf(t, f, { resolveHost: () => undefined, hostname: "lb" }),
    },
    {
      name: "director.yaml",
      file: "/etc/tandem/director.yaml",
      seeds: [readFixture("lvs", "example-dr.yaml")],
      parse: (t, f) => parseDirectorYaml(t, f, { resolveHost: () => undefined, hostname: "lb" }),
    },
    {
      name: "cib.xml",
      file: "/var/lib/heartbeat/crm/cib.xml",
      seeds: [
        readFixture("cib", "hb2-haresources2cib.xml"),
        readFixture("cib", "hb2-equivalent-current.xml"),
      ],
      parse: (t, f) => parseCib(t, f),
    },
  ];
}

/** The characters an adversarial edit (or a Windows/Mac editor, or a paste) puts in a config line. */
export const CONTROL_CHARS = [
  "\r",
  "\0",
  "\v",
  "\f",
  "\x1b",
  "\x7f",
  "\u0085",
  "\u2028",
  "\u2029",
  "\ufeff",
  "\ufffd",
  "\t",
  "\n",
  "\r\n",
  "#",
  "\\",
  '"',
  "'",
  ":",
  "<",
  "&",
  "]]>",
  "\ud800",
] as const;

interface Edit {
  readonly at: number;
  readonly del: number;
  readonly insert: string;
}

const editArb: fc.Arbitrary<Edit> = fc.record({
  at: fc.nat(),
  del: fc.nat({ max: 4 }),
  insert: fc.oneof(
    fc.constantFrom(...CONTROL_CHARS),
    fc.string({ unit: "binary", maxLength: 8 }),
    fc.string({ maxLength: 8 }),
  ),
});

function applyEdits(text: string, edits: readonly Edit[]): string {
  let out = text;
  for (const e of edits) {
    const at = out.length === 0 ? 0 : e.at % (out.length + 1);
    out = out.slice(0, at) + e.insert + out.slice(at + e.del);
  }
  return out;
}

/** Text for one target: arbitrary strings, arbitrary bytes as UTF-8/Latin-1, or a valid file with edits. */
export function inputArb(target: FuzzTarget): fc.Arbitrary<string> {
  const lines = (s: string) => s.split("\n");
  return fc.oneof(
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 200 }) },
    {
      weight: 1,
      arbitrary: fc
        .uint8Array({ maxLength: 300 })
        .chain((b) => fc.constantFrom(Buffer.from(b).toString("utf8"), Buffer.from(b).toString("latin1"))),
    },
    {
      weight: 4,
      arbitrary: fc
        .tuple(fc.constantFrom(...target.seeds), fc.array(editArb, { minLength: 1, maxLength: 6 }))
        .map(([seed, edits]) => applyEdits(seed, edits)),
    },
    {
      weight: 2,
      // Whole lines of a valid file with one control character put in each line (the ha.cf CR crash).
      arbitrary: fc
        .tuple(fc.constantFrom(...target.seeds), fc.constantFrom(...CONTROL_CHARS), fc.nat())
        .map(([seed, c, k]) =>
          lines(seed)
            .map((l, i) =>
              (i + k) % 3 === 0 && l.length > 0
                ? `${l.slice(0, (k % l.length) + 1)}${c}${l.slice((k % l.length) + 1)}`
                : l,
            )
            .join("\n"),
        ),
    },
  );
}

/** Throws (for fast-check) unless the parse of `text` keeps the parser contract. */
export function checkParse(target: FuzzTarget, text: string): void {
  const r = target.parse(text, target.file);
  if (!Array.isArray(r.diagnostics)) throw new Error("no diagnostics array");
  const maxLine = text.split("\n").length;
  for (const d of r.diagnostics as Diagnostic[]) {
    if (d.file !== target.file) throw new Error(`diagnostic names ${d.file}, not ${target.file}`);
    if (!Number.isInteger(d.line) || d.line < 0 || d.line > maxLine)
      throw new Error(`diagnostic line ${d.line} outside 0..${maxLine}: ${d.message}`);
    if (typeof d.message !== "string" || d.message === "") throw new Error("empty diagnostic message");
  }
  if (r.value === undefined && !r.diagnostics.some((d) => d.severity === "error"))
    throw new Error("no value and no error");
}
