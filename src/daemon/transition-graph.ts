/**
 * From the policy engine's transition to what the DC's executor runs (pure):
 * the graph of actions with their agents and timeouts, the request a graph
 * action makes of an executor, a result made up for an action that did not run,
 * and when the DC must run the policy again without an event.
 */
import { parseDurationMs } from "../cib/duration.js";
import type { Cib } from "../cib/model.js";
import { clusterOptions } from "../cib/query.js";
import type { GraphAction, TransitionGraph } from "../exec/graph.js";
import type { ActionRequest, ActionResult, AgentSpec } from "../exec/types.js";
import type { Transition } from "../policy/types.js";
import { agentFor, findPrimitive, opTimeoutMs } from "./crm-cib.js";

/** The agent of a pseudo action (and of fencing, whose device the DC picks when it runs it). */
export const PSEUDO_AGENT: AgentSpec = { class: "ocf", provider: "tandem", type: "pseudo" };

/** A result for an action that did not run an agent (a pseudo action, a refusal, a timeout). */
export function synthetic(
  a: GraphAction,
  rc: number,
  status: ActionResult["status"],
  reason: string,
): ActionResult {
  return {
    rscId: a.rsc,
    op: a.op,
    intervalMs: a.intervalMs ?? 0,
    rc,
    rcName: rc === 0 ? "ok" : "unknown error",
    status,
    exitCode: null,
    signal: null,
    durationMs: 0,
    stdoutTail: "",
    stderrTail: "",
    reason,
  };
}

/**
 * The executable graph of transition `t` on `cib`: probes become monitors
 * expecting rc 7, resources' agents and operation timeouts are looked up;
 * what has no resource or node (and fencing) is a pseudo action. Edges between
 * actions that exist only.
 */
export function toGraph(t: Transition, cib: Cib, shipped: ReadonlySet<string>): TransitionGraph {
  const actions: GraphAction[] = [];
  for (const a of t.actions) {
    const id = String(a.id);
    const p = a.rsc === undefined ? undefined : findPrimitive(cib, a.rsc);
    if (a.op === "pseudo" || a.node === undefined || p === undefined || a.op === "fence") {
      actions.push({
        id,
        rsc: a.rsc ?? "",
        op: a.op === "fence" ? "fence" : "pseudo",
        node: a.node ?? "",
        agent:
          a.op === "fence" ? { ...PSEUDO_AGENT, params: { action: a.detail ?? "reboot" } } : PSEUDO_AGENT,
      });
      continue;
    }
    const op = a.op === "probe" ? "monitor" : a.op;
    const timeoutMs = opTimeoutMs(cib, p, op, a.intervalMs);
    actions.push({
      id,
      rsc: p.id,
      op,
      node: a.node,
      agent: agentFor(p, shipped),
      intervalMs: a.intervalMs,
      ...(a.op === "probe" ? { expectedRc: 7 } : {}),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
  }
  const ids = new Set(actions.map((a) => a.id));
  const edges = t.edges
    .map((e) => ({ before: String(e.before), after: String(e.after) }))
    .filter((e) => ids.has(e.before) && ids.has(e.after) && e.before !== e.after);
  return { actions, edges };
}

/** What a graph action asks of the executor on its node. */
export function actionRequest(a: GraphAction): ActionRequest {
  return {
    rscId: a.rsc,
    agent: a.agent,
    op: a.op,
    node: a.node,
    intervalMs: a.intervalMs ?? 0,
    ...(a.timeoutMs === undefined ? {} : { timeoutMs: a.timeoutMs }),
  };
}

/**
 * When the DC must run the policy again without an event: when a recorded
 * failure expires (failure-timeout), and every cluster-recheck-interval
 * (Pacemaker's default 15 min; 0 disables it).
 */
export function nextRecheck(cib: Cib, nowMs: number, t: Transition): number | undefined {
  const raw = clusterOptions(cib).raw["cluster-recheck-interval"];
  const interval = raw === undefined ? 15 * 60_000 : (parseDurationMs(raw) ?? 15 * 60_000);
  const expiry = t.recheckAtMs;
  const periodic = interval > 0 ? nowMs + interval : undefined;
  if (expiry === undefined) return periodic;
  return periodic === undefined ? expiry : Math.min(expiry, periodic);
}
