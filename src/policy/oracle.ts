/**
 * The `# oracle v1` text format (shared/scenarios/policy/README.md): the same
 * normalisation shared/tools/oracle/lib/normalize.py applies to crm_simulate's
 * output, so a transition can be compared line by line with real Pacemaker.
 */
import type { Cib } from "../cib/model.js";
import { formatScore } from "../cib/score.js";
import { isStable } from "./inject.js";
import { hasLoop, loopOrderPairs } from "./loops.js";
import type { Action, SummaryItem, Transition } from "./types.js";

/** Options of `renderOracle`. */
export interface OracleOptions {
  /** Append `score` lines (allocation scores). */
  readonly scores?: boolean;
  /** Also list probes and recurring monitors (`--all`). */
  readonly all?: boolean;
  /** Name on the header line (the scenario file name without `.xml`). */
  readonly name?: string;
  /** Precomputed `stable` answer (otherwise the scheduler is run again on the simulated result). */
  readonly stable?: boolean;
}

/** The label of an action in the oracle format; undefined for pseudo actions. */
export function actionLabel(a: Action, all = false): string | undefined {
  switch (a.op) {
    case "start":
    case "stop":
      return `${a.op} ${a.rsc} on ${a.node}`;
    case "fence":
      return `fence ${a.node} ${a.detail ?? "reboot"}`;
    case "probe":
      return all ? `probe ${a.rsc} on ${a.node}` : undefined;
    case "monitor":
      return all ? `monitor ${a.rsc} on ${a.node} interval=${a.intervalMs}` : undefined;
    default:
      return undefined;
  }
}

/** A `summary ...` line. */
export function summaryLine(s: SummaryItem): string {
  if (s.verb === "fence") return `summary fence ${s.node} ${s.how ?? "reboot"}`;
  const where = s.to !== undefined && s.to !== s.node ? `${s.node} -> ${s.to}` : s.node;
  return `summary ${s.verb} ${s.rsc} ${where}${s.blocked ? " blocked" : ""}`;
}

/**
 * Order lines: the transitive reduction of the graph restricted to the listed
 * actions (paths through unlisted and pseudo actions count), sorted as
 * normalize.py sorts them (by position of the later action, then the earlier);
 * for a graph with a loop, scripts/policy-oracle/normalize.py's rules (loops.ts).
 */
export function orderLines(
  t: Transition,
  labels: ReadonlyMap<number, string>,
  pos: ReadonlyMap<number, number>,
): string[] {
  const preds = new Map<number, number[]>();
  for (const e of t.edges) {
    const l = preds.get(e.after);
    if (l) l.push(e.before);
    else preds.set(e.after, [e.before]);
  }
  let n = 0;
  for (const e of t.edges) n = Math.max(n, e.before + 1, e.after + 1);
  for (const id of labels.keys()) n = Math.max(n, id + 1);
  const byPos = (e1: [number, number], e2: [number, number]): number =>
    (pos.get(e1[1]) ?? 0) - (pos.get(e2[1]) ?? 0) || (pos.get(e1[0]) ?? 0) - (pos.get(e2[0]) ?? 0);
  const line = ([a, b]: [number, number]): string => `order ${labels.get(a)} -> ${labels.get(b)}`;
  // a loop of orders (never run, as in Pacemaker): normalize.py's rules for loops
  if (hasLoop(preds, n)) return loopOrderPairs(n, preds, new Set(labels.keys())).sort(byPos).map(line);
  const memo = new Map<number, Set<number>>();
  /** The labelled ancestors of `id` (`stack`: the path walked, made on a miss: most calls hit the memo). */
  const anc = (id: number, path?: Set<number>): Set<number> => {
    const known = memo.get(id);
    if (known) return known;
    const res = new Set<number>();
    const stack = path ?? new Set<number>();
    stack.add(id);
    for (const p of preds.get(id) ?? []) {
      if (stack.has(p)) continue;
      if (labels.has(p)) res.add(p);
      for (const x of anc(p, stack)) res.add(x);
    }
    stack.delete(id);
    memo.set(id, res);
    return res;
  };
  const edges: [number, number][] = [];
  for (const b of labels.keys()) {
    const ab = anc(b);
    for (const x of ab) {
      let implied = false;
      for (const y of ab)
        if (y !== x && anc(y).has(x)) {
          implied = true;
          break;
        }
      if (!implied) edges.push([x, b]);
    }
  }
  return edges.sort(byPos).map(line);
}

/** Renders a transition in the `# oracle v1` format. */
export function renderOracle(t: Transition, cib: Cib, opts: OracleOptions = {}): string {
  const out: string[] = [opts.name ? `# oracle v1 ${opts.name}` : "# oracle v1"];
  for (const n of t.nodes) out.push(`node ${n.uname} ${n.status}`);
  for (const p of t.placements) {
    if (p.role === "Stopped") out.push(`rsc ${p.rsc} Stopped`);
    else {
      const flags = [
        p.unmanaged ? "unmanaged" : "",
        p.failed ? "failed" : "",
        p.blocked ? "blocked" : "",
      ].filter(Boolean);
      out.push(`rsc ${p.rsc} ${p.role} ${p.nodes.join(",")}${flags.length > 0 ? ` ${flags.join(" ")}` : ""}`);
    }
  }
  for (const s of t.summary) out.push(summaryLine(s));
  const labels = new Map<number, string>();
  const pos = new Map<number, number>();
  const seen = new Set<string>();
  for (const a of t.actions) {
    const label = actionLabel(a, opts.all);
    if (label === undefined || !a.runnable || seen.has(label)) continue;
    seen.add(label);
    labels.set(a.id, label);
    pos.set(a.id, pos.size);
    out.push(`action ${label}`);
  }
  // actions Pacemaker's graph lists but never runs: after the executed ones, sorted (normalize.py)
  const inert = t.inert ?? [];
  const inertIds = inert.map((_, i) => t.actions.length + i);
  const inertLabels = new Map<string, number>();
  inert.forEach((a, i) => {
    const label =
      a.op === "start" || a.op === "stop"
        ? `${a.op} ${a.rsc} on ${a.node}`
        : opts.all
          ? `monitor ${a.rsc} on ${a.node} interval=${a.intervalMs}`
          : undefined;
    if (label !== undefined && !seen.has(label)) inertLabels.set(label, inertIds[i] as number);
  });
  for (const label of [...inertLabels.keys()].sort()) {
    const id = inertLabels.get(label) as number;
    labels.set(id, label);
    pos.set(id, pos.size);
    out.push(`action ${label}`);
  }
  const inertEdges = inert.flatMap((a, i) => [
    ...a.after.map((b) => ({ before: inertIds[b] as number, after: inertIds[i] as number })),
    ...(a.afterActions ?? []).map((b) => ({ before: b, after: inertIds[i] as number })),
  ]);
  out.push(...orderLines({ ...t, edges: [...t.edges, ...inertEdges] }, labels, pos));
  out.push(`stable ${(opts.stable ?? isStable(cib, t)) ? "yes" : "no"}`);
  if (opts.scores) for (const s of t.scores) out.push(`score ${s.rsc} ${s.node} ${formatScore(s.score)}`);
  return `${out.join("\n")}\n`;
}
