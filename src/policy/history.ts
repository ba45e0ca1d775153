/**
 * One resource's operation history on one node -> its state there, the way
 * Pacemaker 2.1.5's unpack_rsc_op reads it (role, failure and its on-fail,
 * bans, a start still pending). Pure.
 */
import type { LrmRscOp, OnFail, Primitive } from "../cib/model.js";
import { transitionKeyExpectedRc } from "../cib/query.js";

/** Severity order of on-fail handling (Pacemaker's enum action_fail_response). */
const ON_FAIL_RANK: Readonly<Record<OnFail | "none", number>> = {
  none: -1,
  ignore: 0,
  demote: 1,
  restart: 2,
  block: 4,
  stop: 5,
  standby: 6,
  fence: 7,
};

/** State of one resource on one node after replaying its history. */
export interface RscNodeState {
  role: "Stopped" | "Started";
  failed: boolean;
  onFail: OnFail | "none";
  /** Node must be banned for this resource (stop failure, hard error). */
  banNode: boolean;
  /** Every node must be banned (rc 6, not configured). */
  banAll: boolean;
  /** The last operation is a start still in flight (call-id -1 / op-status -1): Pacemaker schedules it again. */
  pendingStart: boolean;
}

/** The operations whose results tell a resource's state. */
const REPLAYED = new Set(["start", "stop", "monitor", "promote", "demote", "migrate_to", "migrate_from"]);

/** An operation's place in the history: by call-id, pending ones (call-id -1) last. */
function callOrder(op: LrmRscOp): number {
  return op.callId < 0 ? Number.MAX_SAFE_INTEGER : op.callId;
}

/** Already sorted by `callOrder` (as the executor records them, mostly): the stable sort would keep it so. */
function inCallOrder(ops: readonly LrmRscOp[]): boolean {
  for (let i = 1; i < ops.length; i++)
    if (callOrder(ops[i - 1] as LrmRscOp) > callOrder(ops[i] as LrmRscOp)) return false;
  return true;
}

/** The configured on-fail for an operation (op_defaults, then Pacemaker defaults). */
function onFailFor(
  p: Primitive,
  task: string,
  intervalMs: number,
  opDefaults: Record<string, string>,
  stonith: boolean,
): OnFail {
  const op = p.operations.find((o) => o.name === task && o.intervalMs === intervalMs);
  let v = (op?.onFail ?? opDefaults["on-fail"]) as OnFail | undefined;
  if (v === undefined) v = task === "stop" ? (stonith ? "fence" : "block") : "restart";
  if (v === "fence" && !stonith) v = task === "stop" ? "block" : "stop";
  return v;
}

/**
 * Replays a resource's history on one node (ops sorted by call-id), the way
 * Pacemaker's unpack_rsc_op does: the last start/stop/probe decides the role,
 * a result other than the expected one (from transition-key) is a failure
 * handled by the op's on-fail; later successful start/stop/probe clear
 * recoverable failures; failures older than failure-timeout are ignored.
 */
export function replayHistory(
  p: Primitive,
  ops: readonly LrmRscOp[],
  ctx: {
    nowMs: number;
    failureTimeoutMs: number;
    managed: boolean;
    stonith: boolean;
    opDefaults: Record<string, string>;
  },
): RscNodeState {
  const st: RscNodeState = {
    role: "Stopped",
    failed: false,
    onFail: "none",
    banNode: false,
    banAll: false,
    pendingStart: false,
  };
  const sorted = inCallOrder(ops) ? ops : [...ops].sort((a, b) => callOrder(a) - callOrder(b));
  const clearPast = (): void => {
    if (
      st.onFail === "restart" ||
      st.onFail === "ignore" ||
      st.onFail === "block" ||
      st.onFail === "demote"
    ) {
      st.onFail = "none";
      st.failed = false;
    }
  };
  for (const op of sorted) {
    const task = op.operation;
    if (!REPLAYED.has(task)) continue;
    if (op.opStatus === 1) continue; // cancelled
    if (op.callId < 0 || op.opStatus === -1) {
      // pending: a start (or stop) in flight leaves the resource active
      if (task === "start" || task === "stop" || task === "migrate_from") st.role = "Started";
      st.pendingStart = task === "start";
      continue;
    }
    st.pendingStart = false;
    const expected = transitionKeyExpectedRc(op.transitionKey) ?? -1;
    const isProbe = task === "monitor" && op.intervalMs === 0;
    // OCF_DEGRADED (190) and OCF_DEGRADED_PROMOTED (191) are successes of a monitor (2.1.5 remap_operation)
    const rc = op.rcCode === 190 ? 0 : op.rcCode === 191 ? 8 : op.rcCode;
    let ok: boolean;
    let stoppedResult = false;
    if (op.opStatus !== 0) ok = false;
    else if (rc === 7 && (isProbe || expected === 7 || !ctx.managed)) {
      ok = true;
      stoppedResult = true;
    } else if (rc === 0 && (expected === 0 || (isProbe && expected === 7))) ok = true;
    else if (rc === 8 && expected === 8) ok = true;
    else ok = false;
    if (ok) {
      if (stoppedResult) {
        st.role = "Stopped";
        clearPast();
      } else if (task === "start" || task === "migrate_from" || task === "promote" || task === "demote") {
        st.role = "Started";
        clearPast();
      } else if (task === "stop") {
        st.role = "Stopped";
        clearPast();
      } else if (task === "migrate_to") {
        st.role = "Stopped";
      } else st.role = "Started"; // monitor rc 0
      continue;
    }
    // a failure: expired ones are ignored
    const when = op.lastRcChange ?? op.lastRun;
    if (ctx.failureTimeoutMs > 0 && when !== undefined && ctx.nowMs > when * 1000 + ctx.failureTimeoutMs)
      continue;
    if (rc === 6) st.banAll = true;
    else if (rc === 2 || rc === 4 || rc === 5 || (rc === 3 && op.intervalMs === 0)) st.banNode = true;
    const of = onFailFor(p, task, op.intervalMs, ctx.opDefaults, ctx.stonith);
    if (ON_FAIL_RANK[of] > ON_FAIL_RANK[st.onFail]) st.onFail = of;
    if (task === "stop") st.banNode = true;
    if (isProbe && rc === 5) st.role = "Stopped";
    else st.role = "Started";
    st.failed = st.onFail !== "ignore";
  }
  if (st.onFail === "ignore") st.failed = false;
  return st;
}
