/**
 * Actions of the graph that never run because an input of them never
 * completes: the actions on a loop of orders (A then B and B then A, also
 * through a group's chain or a symmetrical order's inverse) and everything
 * after them. Pacemaker 2.1.5 keeps such loops in its transition graph (it
 * breaks a loop only for migration load orderings) and its executor runs an
 * action once all its inputs are done, so crm_simulate's run leaves them
 * pending ("Transition failed: terminated") and the next run wants them
 * again. Tandem runs the graph the same way (`executionOrder`) and reports them
 * as inert actions (listed, never executed). Pure.
 */
import type { InertAction } from "./types.js";

/** The order the graph's actions run in, and those that never run. */
export interface Execution {
  /** Predecessors of each action (dead ones and self-loops left out). */
  readonly preds: number[][];
  /** Indexes of the actions that run, in the order they run. */
  readonly seq: number[];
  /** Indexes of those that never run: on a loop of orders or after one. */
  readonly stuck: number[];
  /** Position in `seq` per action index (undefined: never runs). */
  readonly newId: (number | undefined)[];
}

/**
 * Repeated passes over the graph's actions in `visit` order, running each one whose
 * predecessors are done, as crm_simulate executes a graph (Pacemaker lists each resource's
 * actions newest first: `visit` is in that order). Dead actions count as done.
 */
export function executionOrder(
  count: number,
  edges: readonly (readonly [number, number])[],
  dead: ReadonlySet<number>,
  visit: readonly number[],
): Execution {
  const preds: number[][] = Array.from({ length: count }, () => []);
  for (const [a, b] of edges) if (a !== b && !dead.has(a) && !dead.has(b)) (preds[b] as number[]).push(a);
  const done = Array.from({ length: count }, (_, i) => dead.has(i));
  const seq: number[] = [];
  for (let progress = true; progress && seq.length < count; ) {
    progress = false;
    for (const i of visit) {
      if (done[i] || !(preds[i] as number[]).every((x) => done[x])) continue;
      done[i] = true;
      seq.push(i);
      progress = true;
    }
  }
  const stuck = done.flatMap((d, i) => (d ? [] : [i]));
  const newId = new Array<number | undefined>(count);
  seq.forEach((old, i) => {
    newId[old] = i;
  });
  return { preds, seq, stuck, newId };
}

/** The parts of a graph action `stuckInert` reads. */
export interface StuckDraft {
  readonly op: string;
  readonly rsc?: string;
  readonly intervalMs: number;
  /** Node name (real actions). */
  readonly node?: string;
}

/**
 * Inert entries for the stuck actions `stuck` (indexes into `drafts`, which
 * `preds` describes), each waiting for the stuck actions before it (`after`,
 * counted from `base`, the number of inert entries already listed) and the
 * executed ones (`afterActions`, ids through `newId`); pseudo actions are
 * left out, paths through them kept.
 */
export function stuckInert(
  drafts: readonly StuckDraft[],
  preds: readonly (readonly number[])[],
  stuck: readonly number[],
  newId: readonly (number | undefined)[],
  base: number,
): InertAction[] {
  const real = stuck.filter((i) => {
    const op = drafts[i]?.op;
    return op === "start" || op === "stop" || op === "monitor";
  });
  const index = new Map(real.map((d, k) => [d, base + k]));
  return real.map((i) => {
    const d = drafts[i] as StuckDraft;
    const after = new Set<number>();
    const afterActions = new Set<number>();
    const seen = new Set<number>([i]);
    const todo = [...(preds[i] ?? [])];
    while (todo.length > 0) {
      const x = todo.pop() as number;
      if (seen.has(x)) continue;
      seen.add(x);
      const k = index.get(x);
      const executed = newId[x];
      if (k !== undefined) after.add(k);
      else if (executed !== undefined) afterActions.add(executed);
      else todo.push(...(preds[x] ?? [])); // a stuck pseudo action: look through it
    }
    const entry: InertAction = {
      op: d.op as InertAction["op"],
      rsc: d.rsc ?? "",
      node: d.node ?? "",
      intervalMs: d.intervalMs,
      after: [...after].sort((a, b) => a - b),
    };
    return afterActions.size > 0
      ? { ...entry, afterActions: [...afterActions].sort((a, b) => a - b) }
      : entry;
  });
}
