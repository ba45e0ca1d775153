/**
 * Checks Prometheus exposition text two ways: with Debian's `promtool check
 * metrics` (package prometheus; required under CI=true, else skipped with a
 * reason), and with a strict parser of our own that also returns the values
 * so tests can assert on them. The parser refuses what Prometheus' text
 * parser refuses (bad names, unescaped quotes, a sample before its TYPE, a
 * family split in two, duplicate series, histogram buckets out of order or
 * not cumulative, a missing +Inf bucket, _count differing from +Inf).
 */
import { spawnSync } from "node:child_process";

export interface Series {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"/;

function parseValue(text: string, line: number): number {
  if (text === "+Inf") return Number.POSITIVE_INFINITY;
  if (text === "-Inf") return Number.NEGATIVE_INFINITY;
  if (text === "NaN") return Number.NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text))
    throw new Error(`line ${line}: bad value ${text}`);
  return Number(text);
}

function parseLabels(text: string, line: number): Record<string, string> {
  const out: Record<string, string> = {};
  let rest = text;
  while (rest.length > 0) {
    const m = LABEL.exec(rest);
    if (!m) throw new Error(`line ${line}: bad label text ${rest}`);
    const [all, k = "", raw = ""] = m;
    if (k in out) throw new Error(`line ${line}: label ${k} twice`);
    out[k] = raw.replace(/\\(["\\n])/g, (_s, c: string) => (c === "n" ? "\n" : c));
    rest = rest.slice(all.length);
    if (rest.startsWith(",")) rest = rest.slice(1);
    else if (rest.length > 0) throw new Error(`line ${line}: expected , in labels`);
  }
  return out;
}

/** The family a sample name belongs to, given the declared TYPEs. */
function familyOf(name: string, types: Map<string, string>): string {
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    const base = name.slice(0, -suffix.length);
    if (name.endsWith(suffix) && types.get(base) === "histogram") return base;
  }
  return name;
}

function checkHistograms(series: readonly Series[], types: Map<string, string>): void {
  for (const [fam, type] of types) {
    if (type !== "histogram") continue;
    const groups = new Map<string, Series[]>();
    for (const s of series.filter((x) => x.name === `${fam}_bucket`)) {
      const { le: _le, ...rest } = s.labels;
      const key = JSON.stringify(Object.entries(rest).sort());
      groups.set(key, [...(groups.get(key) ?? []), s]);
    }
    for (const [key, buckets] of groups) {
      const les = buckets.map((b) => parseValue(b.labels.le ?? "", 0));
      for (let i = 1; i < les.length; i++) {
        if (!((les[i] as number) > (les[i - 1] as number))) throw new Error(`${fam}${key}: le not ascending`);
        if ((buckets[i] as Series).value < (buckets[i - 1] as Series).value)
          throw new Error(`${fam}${key}: buckets not cumulative`);
      }
      if (les.at(-1) !== Number.POSITIVE_INFINITY) throw new Error(`${fam}${key}: no +Inf bucket`);
      const count = series.find(
        (s) => s.name === `${fam}_count` && JSON.stringify(Object.entries(s.labels).sort()) === key,
      );
      if (count?.value !== buckets.at(-1)?.value) throw new Error(`${fam}${key}: _count differs from +Inf`);
    }
  }
}

/** Parses and checks exposition text strictly; throws with the line on the first problem. */
export function parseExposition(text: string): Series[] {
  if (text !== "" && !text.endsWith("\n")) throw new Error("text does not end with a newline");
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const done = new Set<string>();
  let current: string | undefined;
  const series: Series[] = [];
  const seen = new Set<string>();
  const sample = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)$`);
  text.split("\n").forEach((l, i) => {
    const line = i + 1;
    if (l === "") return;
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(l);
    if (meta) {
      const [, kind, name = "", rest = ""] = meta;
      if (!new RegExp(`^${NAME}$`).test(name)) throw new Error(`line ${line}: bad metric name ${name}`);
      if (
        done.has(name) ||
        (current !== undefined && current !== name && (types.has(name) || helps.has(name)))
      )
        throw new Error(`line ${line}: family ${name} split`);
      if (current !== name && current !== undefined) done.add(current);
      current = name;
      if (kind === "TYPE") {
        if (types.has(name)) throw new Error(`line ${line}: second TYPE for ${name}`);
        if (!["counter", "gauge", "histogram", "summary", "untyped"].includes(rest))
          throw new Error(`line ${line}: bad type ${rest}`);
        types.set(name, rest);
      } else helps.add(name);
      return;
    }
    if (l.startsWith("#")) return;
    const m = sample.exec(l);
    if (!m) throw new Error(`line ${line}: not a sample: ${l}`);
    const [, name = "", labelText = "", valueText = ""] = m;
    const fam = familyOf(name, types);
    if (!types.has(fam)) throw new Error(`line ${line}: ${name} before its TYPE`);
    if (fam !== current) throw new Error(`line ${line}: ${name} outside its family`);
    if (types.get(fam) === "counter" && !name.endsWith("_total"))
      throw new Error(`line ${line}: counter ${name} without _total`);
    const labels = parseLabels(labelText, line);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) throw new Error(`line ${line}: duplicate series ${key}`);
    seen.add(key);
    series.push({ name, labels, value: parseValue(valueText, line) });
  });
  checkHistograms(series, types);
  return series;
}

/** The value of the first series named `name` whose labels include `labels` (others may differ). */
export function sampleValue(
  series: readonly Series[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  return series.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    ?.value;
}

/** Why promtool cannot be used here, or undefined. Under CI=true a missing promtool is a failure, not a skip. */
export function promtoolMissing(): string | undefined {
  const r = spawnSync("promtool", ["--version"], { encoding: "utf8" });
  if (r.status === 0) return undefined;
  if (process.env.CI === "true")
    throw new Error("promtool is missing under CI=true: .ci/run installs Debian's prometheus package");
  return "promtool not installed (apt-get install prometheus)";
}

/** `promtool check metrics` on `text`: its exit code and complaints (lint problems included). */
export function promtoolCheck(text: string): { code: number; output: string } {
  const r = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8", timeout: 20_000 });
  return { code: r.status ?? -1, output: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}
