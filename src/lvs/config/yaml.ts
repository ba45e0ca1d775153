/**
 * director.yaml: the YAML form of ldirectord.cf. Same directive names, same
 * model, same defaults and value checks (the items go through the ldirectord.cf
 * interpreter), with YAML types: booleans for yes/no, numbers, lists, and
 * reals/fallbacks either in ldirectord's one-line syntax or as mappings.
 * zod checks the shape (unknown keys are errors); every problem has its line.
 *
 * ```yaml
 * checktimeout: 3          # seconds; "500ms" and "2s" also accepted
 * checkinterval: 1
 * quiescent: false
 * virtuals:
 *   - virtual: 192.168.1.110:80      # or virtual6: "[2001:db8::10]:80", or virtual: 7 (fwmark)
 *     scheduler: wrr
 *     checktype: connect
 *     fallback: 127.0.0.1:80 gate
 *     real:
 *       - 192.168.1.21:80 gate 3
 *       - { address: 192.168.1.22, port: 80, method: gate, weight: 1 }
 * ```
 *
 * Pure: text in, model and diagnostics out.
 */

import { z } from "zod";
import { DiagnosticSink, type Parsed, sortDiagnostics } from "../../base/diag.js";
import { parseLocatedYaml, reportZodIssues, type YamlPath } from "../../base/yaml-doc.js";
import type { DirectorConfig } from "../model.js";
import {
  type ConfigItem,
  type DirectiveLine,
  interpretItems,
  type LdirectordParseOptions,
  type VirtualBlock,
} from "./ldirectord.js";

const bool = z.boolean();
const num = z.number();
const str = z.string();
const time = z.union([z.number(), z.string()]);
const strList = z.union([z.string(), z.array(z.string())]);
const method = z.enum(["gate", "masq", "ipip"]);
const server = z.union([
  z.string(),
  z.strictObject({ address: str, port: z.union([num, str]).optional(), method: method.optional() }),
]);
const real = z.union([
  z.string(),
  z.strictObject({
    address: str,
    port: z.union([num, str]).optional(),
    method,
    weight: num.optional(),
    request: str.optional(),
    receive: str.optional(),
    lower: num.optional(),
    upper: num.optional(),
  }),
]);

const shared = {
  checktimeout: time.optional(),
  negotiatetimeout: time.optional(),
  checkinterval: time.optional(),
  checkcount: num.optional(),
  failurecount: num.optional(),
  fallback: server.optional(),
  fallback6: server.optional(),
  fallbackcommand: str.optional(),
  quiescent: bool.optional(),
  emailalert: strList.optional(),
  emailalertfreq: time.optional(),
  emailalertstatus: strList.optional(),
  cleanstop: bool.optional(),
  smtp: str.optional(),
  retry: num.optional(),
  delay_before_retry: time.optional(),
  inhibit_on_failure: bool.optional(),
  quorum: num.optional(),
  hysteresis: num.optional(),
};

const virtual = z.strictObject({
  ...shared,
  virtual: z.union([str, num]).optional(),
  virtual6: z.union([str, num]).optional(),
  real: z.array(real).optional(),
  protocol: str.optional(),
  scheduler: str.optional(),
  persistent: num.optional(),
  netmask: z.union([str, num]).optional(),
  schedflags: strList.optional(),
  ops: bool.optional(),
  checktype: z.union([str, num]).optional(),
  service: str.optional(),
  checkport: num.optional(),
  request: str.optional(),
  receive: str.optional(),
  httpmethod: str.optional(),
  virtualhost: str.optional(),
  login: str.optional(),
  passwd: str.optional(),
  database: str.optional(),
  secret: str.optional(),
  checkcommand: str.optional(),
  monitorfile: str.optional(),
  servicename: str.optional(),
  comment: str.optional(),
});

const schema = z.strictObject({
  ...shared,
  autoreload: bool.optional(),
  callback: str.optional(),
  logfile: str.optional(),
  execute: strList.optional(),
  fork: bool.optional(),
  supervised: bool.optional(),
  readdquiescent: bool.optional(),
  emailalertfrom: str.optional(),
  maintenancedir: str.optional(),
  virtuals: z.array(virtual).default([]),
});

/** Keys whose value ldirectord.cf wants double-quoted (harmless for the others that may be quoted). */
const QUOTE = new Set(["request", "receive", "login", "passwd", "database", "secret", "callback", "logfile"]);
const TIMES = new Set([
  "checktimeout",
  "negotiatetimeout",
  "checkinterval",
  "emailalertfreq",
  "delay_before_retry",
]);

/** YAML time ("500ms", "2s", 3) as ldirectord seconds text; anything else unchanged for the checker to report. */
function seconds(v: string | number): string {
  if (typeof v === "number") return String(v);
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s)$/.exec(v.trim());
  if (!m) return v;
  return m[2] === "ms" ? String(Number(m[1]) / 1000) : (m[1] as string);
}

type RealValue = z.infer<typeof real>;
type ServerValue = z.infer<typeof server>;

function realText(r: RealValue): string {
  if (typeof r === "string") return r;
  let s = r.port === undefined ? r.address : `${r.address}:${r.port}`;
  s += ` ${r.method}`;
  if (r.weight !== undefined) s += ` ${r.weight}`;
  if (r.request !== undefined || r.receive !== undefined) s += ` "${r.request ?? "/"}", "${r.receive ?? ""}"`;
  if (r.lower !== undefined) s += ` l:${r.lower}`;
  if (r.upper !== undefined) s += ` u:${r.upper}`;
  return s;
}

function serverText(f: ServerValue): string {
  if (typeof f === "string") return f;
  return `${f.port === undefined ? f.address : `${f.address}:${f.port}`}${f.method ? ` ${f.method}` : ""}`;
}

/** The ldirectord.cf value text for a YAML value of a directive. */
function rawValue(name: string, v: unknown): string {
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (TIMES.has(name) && (typeof v === "number" || typeof v === "string")) return seconds(v);
  if (name === "fallback" || name === "fallback6") return serverText(v as ServerValue);
  if (Array.isArray(v)) return v.join(", ");
  const s = String(v);
  return QUOTE.has(name) ? `"${s}"` : s;
}

type Path = YamlPath;

/** Parses director.yaml text into the same model as ldirectord.cf. */
export function parseDirectorYaml(
  text: string,
  file: string,
  options: LdirectordParseOptions = {},
): Parsed<DirectorConfig | undefined> {
  const sink = new DiagnosticSink(file);
  const located = parseLocatedYaml(text, sink);
  if (!located) return { value: undefined, diagnostics: sink.items };
  const { doc, lineAt, keyLine, dotted } = located;
  const parsed = schema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    reportZodIssues(parsed.error.issues, located, sink);
    return { value: undefined, diagnostics: sink.items };
  }

  const y = parsed.data as Record<string, unknown> & { virtuals: Record<string, unknown>[] };
  const items: ConfigItem[] = [];
  for (const [name, v] of Object.entries(y)) {
    if (name === "virtuals" || v === undefined) continue;
    if (name === "execute" && Array.isArray(v)) {
      v.forEach((x, i) => {
        items.push({ kind: "global", d: { line: lineAt([name, i]), name, raw: String(x) } });
      });
      continue;
    }
    items.push({ kind: "global", d: { line: keyLine([], name), name, raw: rawValue(name, v) } });
  }
  items.sort((a, b) => (a.kind === "global" ? a.d.line : 0) - (b.kind === "global" ? b.d.line : 0));
  y.virtuals.forEach((v, vi) => {
    const base: Path = ["virtuals", vi];
    const header = v.virtual ?? v.virtual6;
    if (header === undefined || (v.virtual !== undefined && v.virtual6 !== undefined)) {
      sink.error(lineAt(base), "yaml.invalid", `${dotted(base)}: give exactly one of virtual or virtual6`);
      return;
    }
    const body: DirectiveLine[] = [];
    for (const [name, val] of Object.entries(v)) {
      if (name === "virtual" || name === "virtual6" || val === undefined) continue;
      if (name === "real") {
        (val as RealValue[]).forEach((r, ri) => {
          body.push({
            line: lineAt([...base, "real", ri]),
            name: v.virtual6 !== undefined ? "real6" : "real",
            raw: realText(r),
          });
        });
        continue;
      }
      body.push({ line: keyLine(base, name), name, raw: rawValue(name, val) });
    }
    const block: VirtualBlock = {
      line: lineAt([...base, v.virtual !== undefined ? "virtual" : "virtual6"]),
      family: v.virtual6 !== undefined ? 6 : 4,
      header: String(header),
      body: body.sort((a, b) => a.line - b.line),
    };
    items.push({ kind: "virtual", v: block });
  });
  const r = interpretItems(items, sink, options);
  return { value: r.value, diagnostics: sortDiagnostics(r.diagnostics) };
}
