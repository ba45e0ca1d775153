/**
 * The policy engine's output: a transition. Plain data (no classes), so it
 * can cross a process boundary, be logged, diffed and replayed.
 */
import type { Score } from "../cib/model.js";

/** Node state after the transition, as the oracle format names them. */
export type NodeStatus = "online" | "standby" | "offline" | "unclean" | "maintenance";

/** Why a primitive ends up where it does (for logs and `hbctl simulate`). */
export type PlacementReason =
  | "assigned" // highest score
  | "unmanaged" // is-managed=false or blocked: stays where it is
  | "blocked" // failed stop without fencing
  | "target-role" // target-role=Stopped
  | "no-node" // every node scored negative or unavailable
  | "start-blocked" // assigned but its start may not run (no quorum, unrunnable order, ...)
  | "startup-disabled" // stonith-enabled without any fencing device
  | "on-fail-stop"; // a failure with on-fail=stop

/** Where one primitive should run after the transition. */
export interface Placement {
  /** Primitive id (clone instances are merged under the primitive id). */
  readonly rsc: string;
  /** Started / Stopped. */
  readonly role: "Started" | "Stopped";
  /** Nodes after the transition (sorted; several for a clone). Empty when stopped. */
  readonly nodes: readonly string[];
  /** Nodes the engine chose (may differ from `nodes` when the start is blocked). */
  readonly assigned: readonly string[];
  readonly reason: PlacementReason;
  readonly unmanaged: boolean;
  readonly failed: boolean;
  readonly blocked: boolean;
}

/** Operations the transition can contain. */
export type ActionOp = "start" | "stop" | "monitor" | "probe" | "fence" | "pseudo";

/**
 * One action of the graph. `pseudo` actions (group/clone start/stop markers,
 * stops implied by fencing) carry no work: they only join order edges.
 */
export interface Action {
  /** Index in `Transition.actions`. */
  readonly id: number;
  readonly op: ActionOp;
  /** Primitive id for resource actions; for pseudo actions the resource or label. */
  readonly rsc?: string;
  /** Target node (uname) for real actions. */
  readonly node?: string;
  /** Recurring monitor interval in ms (0 for other ops). */
  readonly intervalMs: number;
  /** For fence actions: "reboot" or "off". For pseudo actions: what it stands for. */
  readonly detail?: string;
  /**
   * Always true in the graph `schedule` returns: an action that may not run
   * (no quorum, unrunnable order, stop blocked) is left out of the graph and
   * reported as a `blocked` summary item instead.
   */
  readonly runnable: boolean;
}

/**
 * An action Pacemaker's graph lists but that can never run, because an input
 * of it never completes (e.g. the start of a dependent blocked by an INFINITY
 * colocation still feeds its monitor; a group member after a running
 * unmanaged one waits for that one's implied start). Reported for fidelity
 * with crm_simulate only: nothing executes them.
 */
export interface InertAction {
  readonly op: "start" | "stop" | "monitor";
  readonly rsc: string;
  readonly node: string;
  readonly intervalMs: number;
  /** Indexes into `Transition.inert` of the inert actions it waits for. */
  readonly after: readonly number[];
  /** Ids in `Transition.actions` of the executed actions it waits for (a start stalled by an order). */
  readonly afterActions?: readonly number[];
}

/** `before` must complete before `after` starts (indexes into `actions`). */
export interface OrderEdge {
  readonly before: number;
  readonly after: number;
}

/** crm_simulate "Transition Summary" line. */
export interface SummaryItem {
  readonly verb: "start" | "stop" | "move" | "recover" | "restart" | "fence";
  /** Primitive id (absent for fence). */
  readonly rsc?: string;
  /** Current node (or the start node for `start`, the fenced node for `fence`). */
  readonly node: string;
  /** Destination for move/recover across nodes. */
  readonly to?: string;
  readonly blocked: boolean;
  /** Fence action ("reboot"/"off"). */
  readonly how?: string;
}

/** Node state after the transition. */
export interface NodeOutcome {
  readonly uname: string;
  readonly status: NodeStatus;
}

/** Allocation score of a primitive on a node at the moment it was placed. */
export interface ScoreEntry {
  readonly rsc: string;
  readonly node: string;
  readonly score: Score;
}

/** The result of `schedule()`. */
export interface Transition {
  /** The `now` the decision was taken at (ms since the epoch). */
  readonly now: number;
  readonly nodes: readonly NodeOutcome[];
  /** One per primitive, in CIB order. */
  readonly placements: readonly Placement[];
  readonly summary: readonly SummaryItem[];
  /** All actions, pseudo ones included, in execution order (a topological order of `edges`). */
  readonly actions: readonly Action[];
  readonly edges: readonly OrderEdge[];
  readonly scores: readonly ScoreEntry[];
  /** Human-readable notes (why something is blocked, ignored config, ...). */
  readonly notes: readonly string[];
  /**
   * When the decision changes with no event (Pacemaker's graph `recheck-by`):
   * the first moment, after `now`, a recorded failure expires by its
   * failure-timeout. Absent when none will.
   */
  readonly recheckAtMs?: number;
  /** Actions in Pacemaker's graph that can never run (see InertAction); absent when none. */
  readonly inert?: readonly InertAction[];
}
