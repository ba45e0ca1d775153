/**
 * Transition graphs and their execution (pure over the runner it is given).
 * Actions run as soon as every action ordered before them has succeeded, with
 * as much parallelism as the edges allow; after the first failure nothing new
 * is dispatched, running actions finish, and every action is reported.
 */
import type { ActionRequest, ActionResult, AgentSpec } from "./types.js";

/** One action of a transition. */
export interface GraphAction {
  readonly id: string;
  readonly rsc: string;
  readonly op: string;
  readonly node: string;
  readonly agent: AgentSpec;
  readonly intervalMs?: number;
  readonly timeoutMs?: number;
  /** rc that counts as success (default 0; a probe may expect 7). */
  readonly expectedRc?: number;
  readonly meta?: Readonly<Record<string, string>>;
}

/** `before` must complete successfully before `after` starts. */
export interface GraphEdge {
  readonly before: string;
  readonly after: string;
}

export interface TransitionGraph {
  readonly actions: readonly GraphAction[];
  readonly edges: readonly GraphEdge[];
}

/** What became of each action. */
export type ActionOutcome =
  | { readonly id: string; readonly state: "succeeded" | "failed"; readonly result: ActionResult }
  | { readonly id: string; readonly state: "skipped"; readonly reason: string };

export interface TransitionResult {
  /** True when every action ran and succeeded. */
  readonly complete: boolean;
  /** One entry per action, in completion order (skipped ones last, in graph order). */
  readonly outcomes: readonly ActionOutcome[];
}

/** Problems that make a graph unusable (unknown ids, duplicates); cycles are reported as skipped actions. */
export function checkGraph(graph: TransitionGraph): string[] {
  const errors: string[] = [];
  const ids = new Set<string>();
  for (const a of graph.actions) {
    if (ids.has(a.id)) errors.push(`duplicate action id "${a.id}"`);
    ids.add(a.id);
  }
  for (const e of graph.edges) {
    for (const end of [e.before, e.after])
      if (!ids.has(end)) errors.push(`edge refers to unknown action "${end}"`);
    if (e.before === e.after) errors.push(`action "${e.before}" ordered before itself`);
  }
  return errors;
}

/** The request the executor needs for a graph action. */
export function toRequest(a: GraphAction): ActionRequest {
  return {
    rscId: a.rsc,
    agent: a.agent,
    op: a.op,
    node: a.node,
    ...(a.intervalMs !== undefined ? { intervalMs: a.intervalMs } : {}),
    ...(a.timeoutMs !== undefined ? { timeoutMs: a.timeoutMs } : {}),
    ...(a.meta !== undefined ? { meta: a.meta } : {}),
  };
}

/**
 * Runs a transition. `runner` executes one action (normally
 * `(a) => executor.exec(toRequest(a))`); it should not reject, but a rejection
 * counts as a failure of that action. Throws RangeError for a malformed graph.
 */
export async function runTransition(
  graph: TransitionGraph,
  runner: (action: GraphAction) => Promise<ActionResult>,
): Promise<TransitionResult> {
  const errors = checkGraph(graph);
  if (errors.length > 0) throw new RangeError(`bad transition graph: ${errors.join("; ")}`);
  const waitingOn = new Map<string, number>(graph.actions.map((a) => [a.id, 0]));
  const successors = new Map<string, string[]>(graph.actions.map((a) => [a.id, []]));
  for (const e of graph.edges) {
    waitingOn.set(e.after, (waitingOn.get(e.after) ?? 0) + 1);
    successors.get(e.before)?.push(e.after);
  }
  const byId = new Map(graph.actions.map((a) => [a.id, a]));
  const outcomes: ActionOutcome[] = [];
  const started = new Set<string>();
  let failed = false;
  let inFlight = 0;

  return new Promise<TransitionResult>((resolve) => {
    const finish = (): void => {
      const skipReason = failed ? "not dispatched after an earlier failure" : "ordering cycle";
      for (const a of graph.actions)
        if (!started.has(a.id)) outcomes.push({ id: a.id, state: "skipped", reason: skipReason });
      resolve({ complete: !failed && outcomes.every((o) => o.state === "succeeded"), outcomes });
    };
    const dispatch = (): void => {
      if (!failed) {
        for (const a of graph.actions) {
          if (started.has(a.id) || waitingOn.get(a.id) !== 0) continue;
          started.add(a.id);
          inFlight++;
          void execute(a);
        }
      }
      if (inFlight === 0) finish();
    };
    const execute = async (a: GraphAction): Promise<void> => {
      let result: ActionResult;
      try {
        result = await runner(a);
      } catch (err) {
        result = rejected(a, err);
      }
      inFlight--;
      const ok = result.rc === (a.expectedRc ?? 0) && result.status === "done";
      outcomes.push({ id: a.id, state: ok ? "succeeded" : "failed", result });
      if (ok) for (const s of successors.get(a.id) ?? []) waitingOn.set(s, (waitingOn.get(s) ?? 1) - 1);
      else failed = true;
      dispatch();
    };
    if (byId.size === 0) finish();
    else dispatch();
  });
}

function rejected(a: GraphAction, err: unknown): ActionResult {
  return {
    rscId: a.rsc,
    op: a.op,
    intervalMs: a.intervalMs ?? 0,
    rc: 1,
    rcName: "unknown error",
    status: "error",
    exitCode: null,
    signal: null,
    durationMs: 0,
    stdoutTail: "",
    stderrTail: "",
    reason: `runner failed: ${err instanceof Error ? err.message : String(err)}`,
  };
}
