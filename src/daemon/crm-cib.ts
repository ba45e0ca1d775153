/**
 * CIB helpers of the controller (pure): node attributes, the status of a node
 * entering or leaving membership, the agent and timeout of a primitive, and
 * the "where does each resource run now" view `hbctl status` shows.
 */
import { parseDurationMs } from "../cib/duration.js";
import type { Cib, CibNode, LrmRscOp, NvSet, Primitive } from "../cib/model.js";
import { isStandby, nodeStateOnline, nvMap, opDefaults, primitives } from "../cib/query.js";
import { serializeCib } from "../cib/serialize.js";
import { stonithAgentSpec } from "../exec/fence-devices.js";
import type { AgentSpec } from "../exec/types.js";
import type { CrmNodeReport, CrmResourceReport } from "../ipc/protocol.js";
import { nodeDown, nodeFail, nodeUp } from "../policy/inject.js";

/** Sets (or, with `value` undefined, removes) a permanent node attribute in configuration/nodes. */
export function setNodeAttribute(cib: Cib, uname: string, name: string, value: string | undefined): Cib {
  const nodes = [...cib.configuration.nodes];
  let i = nodes.findIndex((n) => n.uname === uname);
  if (i < 0) {
    nodes.push({ id: uname, uname, type: "member", instanceAttributes: [], utilization: [] });
    i = nodes.length - 1;
  }
  const node = nodes[i] as CibNode;
  const sets: NvSet[] =
    node.instanceAttributes.length > 0
      ? [...node.instanceAttributes]
      : [{ kind: "instance_attributes", id: `nodes-${node.id}`, nvpairs: [] }];
  const first = sets[0] as NvSet;
  const pairs = first.nvpairs.filter((p) => p.name !== name);
  if (value !== undefined) pairs.push({ id: `${first.id ?? `nodes-${node.id}`}-${name}`, name, value });
  sets[0] = { ...first, nvpairs: pairs };
  nodes[i] = { ...node, instanceAttributes: sets };
  return { ...cib, configuration: { ...cib.configuration, nodes } };
}

/**
 * The node's status: in membership or not, with its resource history cleared
 * (it is probed again when it returns). A node that left cleanly (`clean`:
 * it sent shutdone after stopping its resources) is recorded as down
 * (expected down); one lost from membership (deadtime) as failed (expected
 * member), which the policy engine treats as unclean, so it is fenced before
 * its resources start elsewhere when stonith-enabled and a fence device exist.
 * Without fencing an unclean node is just offline: its resources are assumed
 * stopped, which is what Heartbeat assumes too (see docs/FENCING.md).
 */
export function nodeMembership(cib: Cib, uname: string, online: boolean, clean = true): Cib {
  const next = online ? nodeUp(cib, uname) : clean ? nodeDown(cib, uname) : nodeFail(cib, uname);
  return clearHistory(next, uname);
}

/** A node fenced successfully, recorded as Pacemaker does (policy/inject applyTransition's "fence"). */
export function nodeFenced(cib: Cib, uname: string): Cib {
  const known = cib.status.some((s) => s.uname === uname);
  const base = known ? cib : nodeDown(cib, uname);
  return {
    ...base,
    status: base.status.map((s) =>
      s.uname === uname
        ? {
            ...s,
            inCcm: "false",
            crmd: "offline",
            join: "down",
            expected: "down",
            transientAttributes: [],
            lrmResources: [],
          }
        : s,
    ),
  };
}

/** Forgets a node's resource history (what Pacemaker does when a node leaves or rejoins). */
export function clearHistory(cib: Cib, uname: string): Cib {
  return {
    ...cib,
    status: cib.status.map((s) =>
      s.uname === uname ? { ...s, lrmResources: [], transientAttributes: [] } : s,
    ),
  };
}

/**
 * The agent for a primitive. `ocf:heartbeat:T` runs Tandem's own agent
 * (provider "tandem") when T is one of `shipped`: hbd passes the shipped
 * agents that resource-agents does not install (a fallback, warned about by
 * verify and at start), so an installed ocf:heartbeat:T is what runs. Heartbeat
 * class parameters named 1, 2, ... become the positional arguments.
 */
export function agentFor(p: Primitive, shipped: ReadonlySet<string> = new Set()): AgentSpec {
  if (p.class === "stonith") return stonithAgentSpec(p); // a fence device: the fence runner answers
  const params = nvMap(p.instanceAttributes);
  if (p.class === "ocf") {
    const provider =
      p.provider === "heartbeat" && shipped.has(p.type) ? "tandem" : (p.provider ?? "heartbeat");
    return { class: "ocf", provider, type: p.type, params };
  }
  if (p.class === "heartbeat") {
    const args = Object.keys(params)
      .filter((k) => /^\d+$/.test(k))
      .sort((a, b) => Number(a) - Number(b))
      .map((k) => params[k] ?? "");
    return { class: "heartbeat", type: p.type, args };
  }
  return { class: "lsb", type: p.type };
}

/** Timeout of an operation: the op's own, else op_defaults' timeout, else undefined (the executor's default). */
export function opTimeoutMs(cib: Cib, p: Primitive, op: string, intervalMs: number): number | undefined {
  const own = p.operations.find((o) => o.name === op && o.intervalMs === intervalMs)?.timeoutMs;
  if (own !== undefined) return own;
  const d = opDefaults(cib).timeout;
  return d === undefined ? undefined : parseDurationMs(d);
}

/** The primitive with this id, wherever it sits. */
export function findPrimitive(cib: Cib, id: string): Primitive | undefined {
  return primitives(cib).find((i) => i.primitive.id === id)?.primitive;
}

const latest = (ops: readonly LrmRscOp[]): LrmRscOp | undefined =>
  ops
    .filter((o) => !o.id.endsWith("_last_failure_0"))
    .reduce<LrmRscOp | undefined>((m, o) => (m === undefined || o.callId > m.callId ? o : m), undefined);

/** Nodes as the status section sees them. */
export function nodeReports(cib: Cib, configured: readonly string[]): CrmNodeReport[] {
  const names = [...new Set([...configured, ...cib.configuration.nodes.map((n) => n.uname)])];
  return names.map((name) => {
    const ns = cib.status.find((s) => s.uname === name);
    return { name, online: ns !== undefined && nodeStateOnline(ns), standby: isStandby(cib, name) };
  });
}

/** Every primitive with the nodes its latest recorded operation says it runs on (or failed on); `shipped` as for agentFor. */
export function resourceReports(cib: Cib, shipped: ReadonlySet<string> = new Set()): CrmResourceReport[] {
  return primitives(cib).map(({ primitive: p, group }) => {
    const running: string[] = [];
    const failed: string[] = [];
    for (const ns of cib.status) {
      const lr = ns.lrmResources.find((r) => r.id === p.id);
      const op = lr === undefined ? undefined : latest(lr.ops);
      if (op === undefined || ns.uname === undefined) continue;
      const ok = op.rcCode === 0;
      if (op.operation === "stop" && ok) continue;
      if (op.operation === "monitor" && op.rcCode === 7) continue;
      if (ok && (op.operation === "start" || op.operation === "monitor")) running.push(ns.uname);
      else failed.push(ns.uname);
    }
    const name = (a: { class: string; provider?: string | undefined; type: string }) =>
      `${a.class}${a.provider === undefined ? "" : `:${a.provider}`}:${a.type}`;
    const written = name(p);
    const runs = p.class === "ocf" ? name(agentFor(p, shipped)) : written;
    const agent = { agent: runs, ...(runs === written ? {} : { cibAgent: written }) };
    return { id: p.id, ...(group === undefined ? {} : { group: group.id }), ...agent, running, failed };
  });
}

/**
 * haresources mode: the CIB is always the conversion of the haresources file,
 * but what the cluster decided since is kept from the stored copy: its node
 * attributes (standby), the administrators' cli-prefer / cli-ban constraints
 * (hbctl resource move/ban, standby/takeover all|foreign|local) of resources
 * that still exist, the target-role of top-level resources (hbctl resource
 * start/stop) and its version. When the conversion differs from the
 * stored configuration (haresources was edited), the epoch goes up so that
 * the edit wins against older copies on peers.
 */
export function haresourcesCib(converted: Cib, stored: Cib | undefined): Cib {
  if (stored === undefined) return converted;
  const nodes = converted.configuration.nodes.map((n) => {
    const old = stored.configuration.nodes.find((o) => o.uname === n.uname);
    return old === undefined ? n : { ...n, instanceAttributes: old.instanceAttributes };
  });
  const ids = new Set(converted.configuration.resources.map((r) => r.id));
  const cli = stored.configuration.constraints.locations.filter(
    (c) => c.id.startsWith("cli-") && ids.has(c.rsc),
  );
  const resources = converted.configuration.resources.map((r) => {
    const role = stored.configuration.resources.find(
      (o) => o.id === r.id && o.kind === r.kind,
    )?.metaAttributes;
    const value = role === undefined ? undefined : nvMap(role)["target-role"];
    if (value === undefined) return r;
    const set: NvSet = {
      kind: "meta_attributes",
      id: `${r.id}-meta_attributes`,
      nvpairs: [{ id: `${r.id}-meta_attributes-target-role`, name: "target-role", value }],
    };
    return { ...r, metaAttributes: [set, ...r.metaAttributes] };
  });
  const constraints = converted.configuration.constraints;
  const merged: Cib = {
    ...converted,
    adminEpoch: stored.adminEpoch,
    epoch: stored.epoch,
    numUpdates: 0,
    configuration: {
      ...converted.configuration,
      nodes,
      resources,
      constraints: { ...constraints, locations: [...constraints.locations, ...cli] },
    },
  };
  const body = ({ dcUuid: _dc, ...c }: Cib) =>
    serializeCib({ ...c, adminEpoch: 0, epoch: 0, numUpdates: 0, status: [] });
  return body(merged) === body(stored) ? merged : { ...merged, epoch: stored.epoch + 1 };
}
