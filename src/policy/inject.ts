/**
 * Simulation inputs as pure CIB -> CIB transformations (what `hbctl simulate
 * --node-up/--node-down/--node-fail/--op-fail` apply before scheduling), and
 * `applyTransition`, the CIB after a transition's actions all succeeded (what
 * crm_simulate -S writes with -O). Pure: inputs are never modified.
 */
import type { Cib, CibNode, LrmResource, LrmRscOp, NodeState, NvSet } from "../cib/model.js";
import { clusterOptions, nvMap, perOpFailCounts } from "../cib/query.js";
import { addScores, formatScore, INFINITY, parseScore } from "../cib/score.js";
import { scheduleSummary } from "./schedule.js";
import type { Transition } from "./types.js";

/** UUID placed in the transition keys of injected operations. */
export const INJECT_UUID = "00000000-0000-0000-0000-0000000000ff";

function findNode(cib: Cib, uname: string): CibNode | undefined {
  return cib.configuration.nodes.find((n) => n.uname === uname);
}

/** Returns the CIB with `uname`'s node_state replaced by `f(old)` (created, and the node configured, when missing). */
function withNodeState(cib: Cib, uname: string, f: (ns: NodeState) => NodeState): Cib {
  let node = findNode(cib, uname);
  let nodes = cib.configuration.nodes;
  if (node === undefined) {
    node = { id: uname, uname, type: "member", instanceAttributes: [], utilization: [] };
    nodes = [...nodes, node];
  }
  const id = node.id;
  const idx = cib.status.findIndex((s) => s.id === id || s.uname === uname);
  const old: NodeState = cib.status[idx] ?? { id, uname, transientAttributes: [], lrmResources: [] };
  const status = [...cib.status];
  if (idx >= 0) status[idx] = f(old);
  else status.push(f(old));
  return { ...cib, configuration: { ...cib.configuration, nodes }, status };
}

/** Node joins: in membership, daemon online, joined, expected up. */
export function nodeUp(cib: Cib, uname: string): Cib {
  return withNodeState(cib, uname, (ns) => ({
    ...ns,
    uname,
    inCcm: "true",
    crmd: "online",
    join: "member",
    expected: "member",
  }));
}

/** Clean shutdown: out of membership and expected down (its resources count as stopped). */
export function nodeDown(cib: Cib, uname: string): Cib {
  return withNodeState(cib, uname, (ns) => ({
    ...ns,
    uname,
    inCcm: "false",
    crmd: "offline",
    join: "down",
    expected: "down",
  }));
}

/** Crash: out of membership while expected up (unclean: fenced when fencing is configured). */
export function nodeFail(cib: Cib, uname: string): Cib {
  return withNodeState(cib, uname, (ns) => ({
    ...ns,
    uname,
    inCcm: "false",
    crmd: "offline",
    join: "down",
    expected: "member",
  }));
}

/** A parsed `--op-fail RSC_OP_INTERVAL@NODE=RC` argument. */
export interface OpFailSpec {
  readonly rsc: string;
  readonly op: string;
  readonly intervalMs: number;
  readonly node: string;
  readonly rc: number;
}

const OP_SPEC_RE =
  /^(.+)_(start|stop|monitor|promote|demote|migrate_to|migrate_from|notify|reload)_(\d+)@([^=]+)=(-?\d+)$/;

/** Parses `vip_monitor_10000@n1=7`; undefined when malformed. */
export function parseOpFailSpec(text: string): OpFailSpec | undefined {
  const m = OP_SPEC_RE.exec(text.trim());
  if (!m) return undefined;
  return { rsc: m[1] ?? "", op: m[2] ?? "", intervalMs: Number(m[3]), node: m[4] ?? "", rc: Number(m[5]) };
}

function maxCallId(cib: Cib): number {
  let max = 0;
  for (const ns of cib.status)
    for (const lr of ns.lrmResources) for (const op of lr.ops) max = Math.max(max, op.callId);
  return max;
}

type PrimitiveInfo = { class?: string; provider?: string; type?: string };

/** Agent class/provider/type of every primitive by id (what a new history entry records). */
function primitiveInfos(cib: Cib): Map<string, PrimitiveInfo> {
  const out = new Map<string, PrimitiveInfo>();
  for (const top of cib.configuration.resources) {
    const all =
      top.kind === "primitive"
        ? [top]
        : top.kind === "group"
          ? top.members
          : top.child.kind === "primitive"
            ? [top.child]
            : top.child.members;
    for (const p of all)
      if (!out.has(p.id))
        out.set(p.id, {
          class: p.class,
          ...(p.provider !== undefined ? { provider: p.provider } : {}),
          type: p.type,
        });
  }
  return out;
}

function primitiveInfo(cib: Cib, id: string): PrimitiveInfo {
  return primitiveInfos(cib).get(id) ?? {};
}

/** Adds (or replaces by id) ops in a node's history of `rsc`; `drop` removes ops first. */
function editHistory(
  ns: NodeState,
  cib: Cib,
  rsc: string,
  add: readonly LrmRscOp[],
  drop: (op: LrmRscOp) => boolean = () => false,
): NodeState {
  const i = ns.lrmResources.findIndex((r) => r.id === rsc);
  const old: LrmResource = ns.lrmResources[i] ?? { id: rsc, ...primitiveInfo(cib, rsc), ops: [] };
  const ids = new Set(add.map((o) => o.id));
  const ops = [...old.ops.filter((o) => !ids.has(o.id) && !drop(o)), ...add];
  const lrmResources = [...ns.lrmResources];
  if (i >= 0) lrmResources[i] = { ...old, ops };
  else lrmResources.push({ ...old, ops });
  return { ...ns, lrmResources };
}

function makeOp(
  rsc: string,
  op: string,
  intervalMs: number,
  rc: number,
  expected: number,
  callId: number,
  nowS: number,
  id?: string,
): LrmRscOp {
  return {
    id: id ?? (intervalMs > 0 ? `${rsc}_${op}_${intervalMs}` : `${rsc}_last_0`),
    operation: op,
    operationKey: `${rsc}_${op}_${intervalMs}`,
    callId,
    rcCode: rc,
    opStatus: 0,
    intervalMs,
    transitionKey: `${callId}:0:${expected}:${INJECT_UUID}`,
    transitionMagic: `0:${rc};${callId}:0:${expected}:${INJECT_UUID}`,
    lastRcChange: nowS,
    execTime: 0,
    queueTime: 0,
  };
}

/** Sets transient attributes of a node state (one set, created when missing). */
function setTransient(ns: NodeState, values: Readonly<Record<string, string>>): NodeState {
  const sets: NvSet[] =
    ns.transientAttributes.length > 0
      ? [...ns.transientAttributes]
      : [{ kind: "instance_attributes", id: `status-${ns.id}`, nvpairs: [] }];
  const first = sets[0] as NvSet;
  const pairs = first.nvpairs.filter((p) => !(p.name in values));
  for (const [name, value] of Object.entries(values))
    pairs.push({ id: `status-${ns.id}-${name}`, name, value });
  sets[0] = { ...first, nvpairs: pairs };
  return { ...ns, transientAttributes: sets };
}

/**
 * Records an operation result as the executor would: the op in the history
 * (plus `<rsc>_last_failure_0` when it failed) and, for a failure, the fail
 * count incremented (INFINITY for a failed start when start-failure-is-fatal,
 * as the controller does) and last-failure set to `now`.
 */
export function opFail(cib: Cib, spec: OpFailSpec, now: Date | number): Cib {
  const nowS = Math.floor((typeof now === "number" ? now : now.getTime()) / 1000);
  const probe = spec.op === "monitor" && spec.intervalMs === 0;
  const expected = probe ? 7 : 0;
  const failed = spec.rc !== expected && !(probe && spec.rc === 0);
  const call = maxCallId(cib) + 1;
  const ops = [makeOp(spec.rsc, spec.op, spec.intervalMs, spec.rc, expected, call, nowS)];
  if (failed)
    ops.push(
      makeOp(
        spec.rsc,
        spec.op,
        spec.intervalMs,
        spec.rc,
        expected,
        call + 1,
        nowS,
        `${spec.rsc}_last_failure_0`,
      ),
    );
  return withNodeState(cib, spec.node, (ns) => {
    let out = editHistory(ns, cib, spec.rsc, ops);
    if (!failed) return out;
    const suffix = perOpFailCounts(cib) ? `${spec.rsc}#${spec.op}_${spec.intervalMs}` : spec.rsc;
    const current = parseScore(nvMap(ns.transientAttributes)[`fail-count-${suffix}`] ?? "0") ?? 0;
    const fatal = spec.op === "start" && clusterOptions(cib).startFailureIsFatal;
    const count = fatal ? INFINITY : addScores(current, 1);
    out = setTransient(out, {
      [`fail-count-${suffix}`]: formatScore(count),
      [`last-failure-${suffix}`]: String(nowS),
    });
    return out;
  });
}

/** One change to a node's state in `applyTransition`: an op recorded in a resource's history, or a fence. */
type Step =
  | {
      readonly kind: "op";
      readonly rsc: string;
      readonly rec: LrmRscOp;
      readonly drop?: (o: LrmRscOp) => boolean;
    }
  | { readonly kind: "fence" };

/** The steps of `t` per node, in action order (call ids numbered across the whole transition, in order). */
function stepsByNode(cib: Cib, t: Transition): Map<string, Step[]> {
  let call = maxCallId(cib);
  const nowS = Math.floor(t.now / 1000);
  const byNode = new Map<string, Step[]>();
  const push = (node: string, step: Step): void => {
    const list = byNode.get(node);
    if (list) list.push(step);
    else byNode.set(node, [step]);
  };
  for (const a of t.actions) {
    if (!a.runnable || a.node === undefined) continue;
    const rsc = a.rsc ?? "";
    if (a.op === "start" || a.op === "stop" || a.op === "probe" || a.op === "monitor") {
      const op = a.op === "probe" ? "monitor" : a.op;
      const rc = a.op === "probe" ? 7 : 0;
      const rec = makeOp(rsc, op, a.intervalMs, rc, rc, ++call, nowS);
      const drop =
        a.op === "stop"
          ? (o: LrmRscOp) => o.intervalMs > 0 && o.id === `${rsc}_${o.operation}_${o.intervalMs}`
          : undefined;
      push(a.node, drop ? { kind: "op", rsc, rec, drop } : { kind: "op", rsc, rec });
    } else if (a.op === "fence") push(a.node, { kind: "fence" });
  }
  return byNode;
}

/**
 * A node state after `steps`: each resource's history is looked up by id and
 * the node's list copied once (not once per action, which was quadratic in
 * the number of resources).
 */
function applySteps(ns: NodeState, steps: readonly Step[], info: (rsc: string) => LrmResource): NodeState {
  let state = ns;
  let list: LrmResource[] = [...ns.lrmResources];
  // set one by one (no [id, i] pair per resource); a repeated id: the last one, as new Map(pairs) has it
  let index = new Map<string, number>();
  for (let i = 0; i < list.length; i++) index.set((list[i] as LrmResource).id, i);
  for (const step of steps) {
    if (step.kind === "fence") {
      state = {
        ...state,
        inCcm: "false",
        crmd: "offline",
        join: "down",
        expected: "down",
        transientAttributes: [],
      };
      list = [];
      index = new Map();
      continue;
    }
    const i = index.get(step.rsc);
    const old = i === undefined ? info(step.rsc) : (list[i] as LrmResource);
    const ops = [...old.ops.filter((o) => o.id !== step.rec.id && !step.drop?.(o)), step.rec];
    if (i === undefined) {
      index.set(step.rsc, list.length);
      list.push({ ...old, ops });
    } else list[i] = { ...old, ops };
  }
  return { ...state, lrmResources: list };
}

/**
 * The CIB after every action of `t` succeeded: stops, starts, probes and
 * monitors recorded in the history (recurring monitors cancelled on stop),
 * fenced nodes down with their history and transient attributes cleared.
 * Failure records and fail counts stay, as in Pacemaker.
 */
export function applyTransition(cib: Cib, t: Transition): Cib {
  let infos: Map<string, PrimitiveInfo> | undefined;
  const info = (rsc: string): LrmResource => {
    infos ??= primitiveInfos(cib);
    return { id: rsc, ...infos.get(rsc), ops: [] };
  };
  let out = cib;
  for (const [node, steps] of stepsByNode(cib, t))
    out = withNodeState(out, node, (ns) => applySteps(ns, steps, info));
  return out;
}

/** Would the scheduler, run again on the simulated result, want more (non-blocked) changes? */
export function isStable(cib: Cib, t: Transition): boolean {
  const after = applyTransition(cib, t);
  // nothing to apply: the scheduler would decide `t` again (it is pure), so no second run
  // (`t` is the transition of `cib`; the second run was a third of `hbctl simulate` on a steady CIB)
  if (after === cib) return t.summary.every((s) => s.blocked);
  return scheduleSummary(after, t.now).every((s) => s.blocked);
}
