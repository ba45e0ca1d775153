/**
 * Actions of the graph that never run because an input of them never
 * completes: the actions on a loop of orders (A then B and B then A, also
 * through a group's chain or a symmetrical order's inverse) and everything
 * after them. Pacemaker 2.1.5 keeps such loops in its transition graph (it
 * breaks a loop only for migration load orderings) and its executor runs an
 * action once all its inputs are done, so crm_simulate's run leaves them
 * pending ("Transition failed: terminated") and the next run wants them
 * again. Tandem reports them as inert actions (listed, never executed). Pure.
 */
import type { InertAction } from "./types.js";

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
