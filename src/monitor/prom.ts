/**
 * Prometheus' text exposition format 0.0.4 (what `promtool check metrics`
 * and every Prometheus server read): `# HELP`, `# TYPE`, then one line per
 * sample `name{label="value",...} value`. Pure: families in, text out.
 *
 * Rules kept here rather than trusted to callers: metric and label names are
 * checked ([a-zA-Z_:][a-zA-Z0-9_:]* / [a-zA-Z_][a-zA-Z0-9_]*, no `__` label
 * prefix), counters end in `_total`, label values and HELP text are escaped,
 * a family has each label set once, histograms carry cumulative `_bucket`
 * lines with `le` ending at `+Inf`, `_sum` and `_count`.
 */

export type MetricType = "counter" | "gauge" | "histogram";
export type Labels = Readonly<Record<string, string>>;

export interface Sample {
  readonly labels?: Labels;
  readonly value: number;
}

export interface HistogramSample {
  readonly labels?: Labels;
  readonly h: HistogramValue;
}

export interface HistogramValue {
  /** Upper bounds, ascending, +Inf excluded. */
  readonly bounds: readonly number[];
  /** Per-bound counts (not cumulative), plus one more for values above the last bound. */
  readonly counts: readonly number[];
  readonly sum: number;
  readonly count: number;
}

export type Family =
  | {
      readonly name: string;
      readonly help: string;
      readonly type: "counter" | "gauge";
      readonly samples: readonly Sample[];
    }
  | {
      readonly name: string;
      readonly help: string;
      readonly type: "histogram";
      readonly samples: readonly HistogramSample[];
    };

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** The Content-Type of the text format. */
export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "+Inf";
  if (v === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(v);
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function labelText(labels: Labels | undefined, extra?: readonly [string, string]): string {
  const pairs = Object.entries(labels ?? {});
  if (extra) pairs.push([extra[0], extra[1]]);
  if (pairs.length === 0) return "";
  return `{${pairs.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",")}}`;
}

/** Throws on a family the format forbids (a programming error in the caller, never input). */
function check(f: Family): void {
  if (!METRIC_NAME.test(f.name)) throw new Error(`metric name ${JSON.stringify(f.name)} is not valid`);
  if (f.type === "counter" && !f.name.endsWith("_total"))
    throw new Error(`counter ${f.name} must end in _total`);
  if (f.type !== "counter" && f.name.endsWith("_total"))
    throw new Error(`${f.type} ${f.name} must not end in _total`);
  if (f.type !== "histogram" && /_(count|sum|bucket)$/.test(f.name))
    throw new Error(`${f.type} ${f.name} must not end in _count, _sum or _bucket (histogram suffixes)`);
  const seen = new Set<string>();
  for (const s of f.samples) {
    const labels = s.labels ?? {};
    for (const k of Object.keys(labels)) {
      if (!LABEL_NAME.test(k) || k.startsWith("__"))
        throw new Error(`${f.name}: label name ${k} is not valid`);
      if (f.type === "histogram" && k === "le") throw new Error(`${f.name}: histogram label le is reserved`);
    }
    const key = JSON.stringify(Object.entries(labels).sort());
    if (seen.has(key)) throw new Error(`${f.name}: label set ${key} given twice`);
    seen.add(key);
  }
}

function histogramLines(name: string, s: HistogramSample): string[] {
  const { bounds, counts, sum, count } = s.h;
  const out: string[] = [];
  let cumulative = 0;
  bounds.forEach((b, i) => {
    cumulative += counts[i] ?? 0;
    out.push(`${name}_bucket${labelText(s.labels, ["le", formatValue(b)])} ${cumulative}`);
  });
  out.push(`${name}_bucket${labelText(s.labels, ["le", "+Inf"])} ${count}`);
  out.push(`${name}_sum${labelText(s.labels)} ${formatValue(sum)}`);
  out.push(`${name}_count${labelText(s.labels)} ${count}`);
  return out;
}

/** The exposition text of `families` (each name once; a family without samples is left out). */
export function renderExposition(families: readonly Family[]): string {
  const names = new Set<string>();
  const out: string[] = [];
  for (const f of families) {
    check(f);
    if (names.has(f.name)) throw new Error(`metric ${f.name} given twice`);
    names.add(f.name);
    if (f.samples.length === 0) continue;
    out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`);
    out.push(`# TYPE ${f.name} ${f.type}`);
    if (f.type === "histogram") for (const s of f.samples) out.push(...histogramLines(f.name, s));
    else for (const s of f.samples) out.push(`${f.name}${labelText(s.labels)} ${formatValue(s.value)}`);
  }
  return out.length === 0 ? "" : `${out.join("\n")}\n`;
}

/** A histogram being filled (observe), read as a HistogramValue. */
export class Histogram {
  private readonly counts: number[];
  private sumValue = 0;
  private n = 0;

  constructor(readonly bounds: readonly number[]) {
    for (let i = 1; i < bounds.length; i++)
      if (!((bounds[i] as number) > (bounds[i - 1] as number)))
        throw new Error("histogram bounds must ascend");
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(v: number): void {
    let i = this.bounds.findIndex((b) => v <= b);
    if (i < 0) i = this.bounds.length;
    this.counts[i] = (this.counts[i] ?? 0) + 1;
    this.sumValue += v;
    this.n++;
  }

  value(): HistogramValue {
    return { bounds: this.bounds, counts: [...this.counts], sum: this.sumValue, count: this.n };
  }
}

/** Seconds buckets for operations and transitions: 5 ms .. 2 min. */
export const DURATION_BUCKETS_S: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120,
];

/** A state set: one 0/1 sample per state, 1 for the current one (the Prometheus idiom for enums). */
export function stateSet(
  labels: Labels,
  label: string,
  states: readonly string[],
  current: string,
): Sample[] {
  const all = states.includes(current) ? states : [...states, current];
  return all.map((s) => ({ labels: { ...labels, [label]: s }, value: s === current ? 1 : 0 }));
}
