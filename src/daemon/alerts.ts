/**
 * Alerts (pure): Pacemaker's alert agent interface. The CIB's
 * `<configuration><alerts>` section (Pacemaker's format, kept verbatim by the
 * CIB parser) is read into alert entries; a cluster event becomes one agent
 * call per alert and recipient, with the CRM_alert_* environment Pacemaker
 * 2.1 passes (and the CRM_notify_* names it still sets for older agents), so
 * Pacemaker's sample agents (/usr/share/pacemaker/alerts) run unmodified.
 *
 * The controller reports raw inputs (AlertInput); AlertFilter turns them into
 * events as Pacemaker's controller would send them: probes with the expected
 * result and recurring monitors whose result did not change send nothing; a
 * DC change is an `attribute` alert for Pacemaker's built-in node attribute
 * `#is_dc`. The process side (spawn, timeout, logs) is alert-runner.ts.
 */
import { parseDurationMs } from "../cib/duration.js";
import type { Cib, XmlElement } from "../cib/model.js";
import type { ActionResult } from "../exec/types.js";
import { formatTimestamp } from "./alert-time.js";

/** What the controller reports (controller.ts calls ports.alert with these). */
export type AlertInput =
  | { readonly kind: "node"; readonly node: string; readonly state: "member" | "lost" }
  | { readonly kind: "op"; readonly node: string; readonly result: ActionResult }
  | {
      readonly kind: "fencing";
      readonly target: string;
      readonly action: string;
      /** The node that ran the fence agent. */
      readonly executioner: string;
      readonly ok: boolean;
      readonly reason: string;
    }
  /** The DC this node knows (called often; only a change to a known DC alerts). */
  | { readonly kind: "dc"; readonly node: string | undefined };

export type AlertKind = "node" | "resource" | "fencing" | "attribute";

/** One event, as Pacemaker's alert calls describe it. */
export type AlertEvent =
  | { readonly kind: "node"; readonly node: string; readonly state: "member" | "lost" }
  | {
      readonly kind: "resource";
      readonly node: string;
      readonly rsc: string;
      readonly task: string;
      readonly intervalMs: number;
      readonly rc: number;
      /** Pacemaker's execution status code (0 done, 2 timed out, 4 error, 7 not installed). */
      readonly status: number;
      readonly targetRc: number;
      readonly execMs: number;
    }
  | {
      readonly kind: "fencing";
      readonly node: string;
      readonly task: string;
      readonly rc: number;
      readonly desc: string;
    }
  | { readonly kind: "attribute"; readonly node: string; readonly name: string; readonly value: string };

export interface AlertRecipient {
  readonly id: string;
  /** Undefined: the alert has no recipient (the agent is called once, with CRM_alert_recipient empty). */
  readonly value: string | undefined;
  readonly timeoutMs: number;
  readonly timestampFormat: string;
  /** instance_attributes of the alert, overridden by the recipient's: extra environment variables. */
  readonly env: Readonly<Record<string, string>>;
}

export interface AlertEntry {
  readonly id: string;
  readonly path: string;
  readonly kinds: ReadonlySet<AlertKind>;
  /** With `attribute` selected: the attribute names wanted (undefined: all). */
  readonly attributes: ReadonlySet<string> | undefined;
  readonly recipients: readonly AlertRecipient[];
}

export const DEFAULT_ALERT_TIMEOUT_MS = 30_000;
export const DEFAULT_TIMESTAMP_FORMAT = "%H:%M:%S.%06N";
/** CRM_alert_version: the Pacemaker release whose alert interface this is (agents test it is set). */
export const ALERT_INTERFACE_VERSION = "2.1.5";
const DEFAULT_KINDS: ReadonlySet<AlertKind> = new Set(["node", "fencing", "resource"]);

// ---------------------------------------------------------------- configuration

function nvpairs(el: XmlElement | undefined, set: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (el === undefined) return out;
  for (const s of el.children.filter((c) => c.name === set))
    for (const p of s.children)
      if (p.name === "nvpair" && p.attrs.name !== undefined && p.attrs.value !== undefined)
        out[p.attrs.name] = p.attrs.value;
  return out;
}

function selection(alert: XmlElement): Pick<AlertEntry, "kinds" | "attributes"> {
  const select = alert.children.find((c) => c.name === "select");
  if (select === undefined) return { kinds: DEFAULT_KINDS, attributes: undefined };
  const kinds = new Set<AlertKind>();
  let attributes: Set<string> | undefined;
  for (const c of select.children) {
    if (c.name === "select_nodes") kinds.add("node");
    else if (c.name === "select_fencing") kinds.add("fencing");
    else if (c.name === "select_resources") kinds.add("resource");
    else if (c.name === "select_attributes") {
      kinds.add("attribute");
      const names = c.children.filter((a) => a.name === "attribute" && a.attrs.name !== undefined);
      if (names.length > 0) attributes = new Set(names.map((a) => a.attrs.name as string));
    }
  }
  return { kinds, attributes };
}

function timeoutOf(meta: Record<string, string>, where: string, problems: string[]): number {
  const t = meta.timeout;
  if (t === undefined) return DEFAULT_ALERT_TIMEOUT_MS;
  const ms = parseDurationMs(t);
  if (ms === undefined || ms <= 0) {
    problems.push(`${where}: timeout "${t}" is not a duration (e.g. 30s); using 30s`);
    return DEFAULT_ALERT_TIMEOUT_MS;
  }
  return ms;
}

function recipientOf(
  el: XmlElement | undefined,
  alertId: string,
  base: { meta: Record<string, string>; env: Record<string, string> },
  problems: string[],
): AlertRecipient {
  const meta = { ...base.meta, ...nvpairs(el, "meta_attributes") };
  const id = el?.attrs.id ?? alertId;
  return {
    id,
    value: el?.attrs.value,
    timeoutMs: timeoutOf(meta, `alert ${alertId} recipient ${id}`, problems),
    timestampFormat: meta["timestamp-format"] ?? DEFAULT_TIMESTAMP_FORMAT,
    env: { ...base.env, ...nvpairs(el, "instance_attributes") },
  };
}

/** The `<alerts>` element of a CIB's configuration, if any. */
export function alertsElement(cib: Cib): XmlElement | undefined {
  return cib.configuration.sectionExtra?.configuration?.children?.find((c) => c.name === "alerts");
}

/**
 * The alerts configured in the CIB, and what is wrong with them (an alert
 * without an absolute path is skipped; meta `enabled=false` disables an alert
 * or a recipient, as in Pacemaker 2.1.6).
 */
export function alertsFromCib(cib: Cib): { alerts: AlertEntry[]; problems: string[] } {
  const problems: string[] = [];
  const alerts: AlertEntry[] = [];
  const seen = new Set<string>();
  for (const a of alertsElement(cib)?.children.filter((c) => c.name === "alert") ?? []) {
    const id = a.attrs.id ?? "";
    const path = a.attrs.path ?? "";
    if (id === "" || seen.has(id)) {
      problems.push(
        id === "" ? "an alert has no id: skipped" : `alert id ${id} is used twice: the second is skipped`,
      );
      continue;
    }
    seen.add(id);
    if (!path.startsWith("/")) {
      problems.push(`alert ${id}: path "${path}" is not an absolute path: skipped`);
      continue;
    }
    const meta = nvpairs(a, "meta_attributes");
    if (meta.enabled === "false") continue;
    const base = { meta, env: nvpairs(a, "instance_attributes") };
    const els = a.children.filter((c) => c.name === "recipient");
    const recipients = (els.length === 0 ? [undefined] : els)
      .filter((r) => nvpairs(r, "meta_attributes").enabled !== "false")
      .map((r) => recipientOf(r, id, base, problems));
    alerts.push({ id, path, ...selection(a), recipients });
  }
  return { alerts, problems };
}

// ---------------------------------------------------------------- inputs -> events

/** Pacemaker's services_ocf_exitcode_str (2.1). */
const OCF_DESC: Readonly<Record<number, string>> = {
  0: "ok",
  1: "error",
  2: "invalid parameter",
  3: "unimplemented feature",
  4: "insufficient privileges",
  5: "not installed",
  6: "not configured",
  7: "not running",
  8: "promoted",
  9: "promoted (failed)",
  190: "OCF_DEGRADED",
  191: "promoted (degraded)",
};

/** Pacemaker's pcmk_exec_status_str for the statuses Tandem's executor can end in. */
const EXEC_DESC: Readonly<Record<number, string>> = {
  0: "complete",
  2: "Timed Out",
  4: "Error",
  7: "Not installed",
};

/** A resource event's CRM_alert_desc: the rc's meaning when the action ran, else the execution status. */
export function resourceDesc(status: number, rc: number): string {
  if (status === 0) return OCF_DESC[rc] ?? "unknown";
  return EXEC_DESC[status] ?? "Error";
}

function execStatus(r: ActionResult): number {
  if (r.status === "done") return 0;
  if (r.status === "timeout") return 2;
  return r.rc === 5 ? 7 : 4;
}

/**
 * Turns what the controller reports into the events Pacemaker would alert
 * for. Keeps a little state: the last result of each recurring monitor (only
 * a change alerts; a start or stop of the resource forgets it) and the last
 * DC alerted.
 */
export class AlertFilter {
  private readonly recurring = new Map<string, string>();
  private lastDc: string | undefined;

  accept(input: AlertInput): AlertEvent | undefined {
    switch (input.kind) {
      case "node":
        return { kind: "node", node: input.node, state: input.state };
      case "fencing":
        return {
          kind: "fencing",
          node: input.target,
          task: input.action,
          rc: input.ok ? 0 : 1,
          desc: `Operation ${input.action} of ${input.target} by ${input.executioner} for hbd@${input.executioner}: ${
            input.ok ? "OK" : `Error occurred (${input.reason})`
          }`,
        };
      case "dc":
        if (input.node === undefined || input.node === this.lastDc) return undefined;
        this.lastDc = input.node;
        return { kind: "attribute", node: input.node, name: "#is_dc", value: "true" };
      case "op":
        return this.op(input.node, input.result);
    }
  }

  private op(node: string, r: ActionResult): AlertEvent | undefined {
    const intervalMs = r.intervalMs;
    const status = execStatus(r);
    const targetRc = r.op === "monitor" && intervalMs === 0 ? 7 : 0;
    if (r.op === "monitor" && intervalMs === 0 && status === 0 && r.rc === targetRc) return undefined; // a probe as expected
    const prefix = `${node}\u0000${r.rscId}\u0000`;
    if (intervalMs > 0) {
      const key = `${prefix}${r.op}\u0000${intervalMs}`;
      const outcome = `${status}:${r.rc}`;
      if (this.recurring.get(key) === outcome) return undefined;
      this.recurring.set(key, outcome);
    } else if (r.op === "start" || r.op === "stop") {
      for (const k of this.recurring.keys()) if (k.startsWith(prefix)) this.recurring.delete(k);
    }
    return {
      kind: "resource",
      node,
      rsc: r.rscId,
      task: r.op,
      intervalMs,
      rc: r.rc,
      status,
      targetRc,
      execMs: Math.round(r.durationMs),
    };
  }
}

// ---------------------------------------------------------------- events -> agent calls

export interface AlertCall {
  readonly alertId: string;
  readonly recipientId: string;
  readonly recipient: string | undefined;
  readonly kind: AlertKind;
  readonly path: string;
  readonly timeoutMs: number;
  /** The variables to add to the agent's environment. */
  readonly env: Readonly<Record<string, string>>;
}

/** Keys Pacemaker also sets under their old CRM_notify_* names. */
const NOTIFY_TOO = new Set([
  "recipient",
  "node",
  "nodeid",
  "rsc",
  "task",
  "interval",
  "desc",
  "status",
  "target_rc",
  "rc",
  "kind",
  "version",
  "node_sequence",
  "timestamp",
]);

function eventKeys(e: AlertEvent, nodeId: (node: string) => string): Record<string, string> {
  switch (e.kind) {
    case "node":
      return { node: e.node, desc: e.state, nodeid: nodeId(e.node) };
    case "fencing":
      return { node: e.node, task: e.task, desc: e.desc, rc: String(e.rc) };
    case "attribute":
      return {
        node: e.node,
        nodeid: nodeId(e.node),
        attribute_name: e.name,
        attribute_value: e.value,
      };
    case "resource":
      return {
        node: e.node,
        rsc: e.rsc,
        task: e.task,
        interval: String(e.intervalMs),
        target_rc: String(e.targetRc),
        status: String(e.status),
        rc: String(e.rc),
        exec_time: String(e.execMs),
        desc: resourceDesc(e.status, e.rc),
      };
  }
}

function wanted(a: AlertEntry, e: AlertEvent): boolean {
  if (!a.kinds.has(e.kind)) return false;
  return e.kind !== "attribute" || a.attributes === undefined || a.attributes.has(e.name);
}

export interface CallContext {
  /** Microseconds since the epoch when the event was taken up. */
  readonly epochUs: number;
  /** The next CRM_alert_node_sequence (one per call, rising). */
  readonly nextSequence: () => number;
  /** CRM_alert_nodeid for a node name. */
  readonly nodeId: (node: string) => string;
  /** Time zone for CRM_alert_timestamp (undefined: the process's). */
  readonly timeZone?: string;
}

/** One call per (selected alert, recipient), each with its full alert environment. */
export function alertCalls(alerts: readonly AlertEntry[], e: AlertEvent, ctx: CallContext): AlertCall[] {
  const keys = { ...eventKeys(e, ctx.nodeId), kind: e.kind, version: ALERT_INTERFACE_VERSION };
  const calls: AlertCall[] = [];
  for (const a of alerts.filter((x) => wanted(x, e)))
    for (const r of a.recipients) {
      const all: Record<string, string> = {
        ...keys,
        recipient: r.value ?? "",
        node_sequence: String(ctx.nextSequence()),
        timestamp: formatTimestamp(r.timestampFormat, ctx.epochUs, ctx.timeZone),
        timestamp_epoch: String(Math.floor(ctx.epochUs / 1e6)),
        timestamp_usec: String(ctx.epochUs % 1e6).padStart(6, "0"),
      };
      const env: Record<string, string> = { ...r.env };
      for (const [k, v] of Object.entries(all)) {
        env[`CRM_alert_${k}`] = v;
        if (NOTIFY_TOO.has(k)) env[`CRM_notify_${k}`] = v;
      }
      calls.push({
        alertId: a.id,
        recipientId: r.id,
        recipient: r.value,
        kind: e.kind,
        path: a.path,
        timeoutMs: r.timeoutMs,
        env,
      });
    }
  return calls;
}
