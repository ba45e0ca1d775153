/**
 * The hbd <-> hbctl protocol over the unix socket RUN_DIR/hbd.sock: one JSON
 * object per line (UTF-8, `\n`-terminated), a request from the client, a
 * response from the daemon carrying the same `id`. Versioned by `v`: a daemon
 * answers a request of another version with the error "version".
 *
 * Pure: types, encoding and validation only. The socket server lives in
 * src/daemon/ipc-server.ts, the client in src/cli/client.ts.
 */

export const IPC_VERSION = 1;
/** Longest line either side accepts, in bytes (a status report of a large cluster fits easily). */
export const IPC_MAX_LINE_BYTES = 1024 * 1024;

/**
 * What a client may ask: `status` (the report); `standby` / `online`
 * (params.node, default the daemon's own node: set the node attribute
 * standby=on/off in the CIB; `standby` with params.which instead is
 * Heartbeat's hb_standby all|foreign|local|failback for the daemon's node);
 * `takeover` (params.which: Heartbeat's hb_takeover); `resource` (params.op
 * move|ban|clear|cleanup|start|stop, params.rsc, optional params.node);
 * `cib-show` (the CIB: CibShowResult); `cib-apply` (params.xml, params.file:
 * replace the configuration). Every change is applied by the DC (see
 * AdminRequest) and answered with a CommandResult.
 */
export type IpcMethod =
  | "status"
  | "standby"
  | "online"
  | "takeover"
  | "resource"
  | "cib-show"
  | "cib-apply"
  | "fence";
export const IPC_METHODS: readonly IpcMethod[] = [
  "status",
  "standby",
  "online",
  "takeover",
  "resource",
  "cib-show",
  "cib-apply",
  "fence",
];

export interface IpcRequest {
  readonly v: number;
  readonly id: number;
  readonly method: IpcMethod;
  /** Method arguments (string values only). */
  readonly params?: Readonly<Record<string, string>>;
}

/** The answer to a request that changes something. */
export interface CommandResult {
  /** One sentence saying what was done (or handed to the DC). */
  readonly message: string;
}

/**
 * `refused`: the request was understood and refused (unknown resource or
 * node, invalid CIB, nothing can take over): an input error. `unavailable`:
 * it cannot be served now (no DC elected, no resource manager).
 */
export type IpcErrorCode =
  | "version"
  | "bad-request"
  | "unknown-method"
  | "internal"
  | "refused"
  | "unavailable";

/** Thrown by a request handler to answer with `refused` or `unavailable` instead of `internal`. */
export class IpcRefusal extends Error {
  override readonly name = "IpcRefusal";
  constructor(
    message: string,
    readonly code: "refused" | "unavailable",
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------- administration

/** Heartbeat's hb_standby / hb_takeover argument. */
export type HbWhich = "all" | "foreign" | "local" | "failback";
export const HB_WHICH: readonly HbWhich[] = ["all", "foreign", "local", "failback"];

/**
 * A change to the cluster, applied by the DC (a non-DC checks it against its
 * copy of the CIB and hands it over in a `admin` CRM message):
 * - `move`: location `cli-prefer-RSC` INFINITY on `node`; without `node`,
 *   a ban from the node where RSC runs now (crm_resource --move);
 * - `ban`: `cli-ban-RSC-on-NODE` -INFINITY (default: where it runs);
 * - `clear`: removes RSC's cli-prefer / cli-ban constraints;
 * - `cleanup`: forgets RSC's operation history and fail counts (on `node` or everywhere);
 * - `start` / `stop`: meta target-role Started / Stopped;
 * - `attr`: a permanent node attribute (value null: removed);
 * - `cib-apply`: the configuration section replaced by `xml`'s;
 * - `hb-standby` / `hb-takeover`: Heartbeat's commands run on `node` (docs/ADMIN.md).
 */
export type AdminRequest =
  | { readonly op: "move" | "ban" | "cleanup"; readonly rsc: string; readonly node?: string }
  | { readonly op: "clear" | "start" | "stop"; readonly rsc: string }
  | { readonly op: "attr"; readonly node: string; readonly name: string; readonly value: string | null }
  | { readonly op: "cib-apply"; readonly xml: string; readonly file?: string }
  | { readonly op: "hb-standby" | "hb-takeover"; readonly which: HbWhich; readonly node: string };

/** Validates an AdminRequest received as JSON; undefined when it is not one. */
export function parseAdminRequest(v: unknown): AdminRequest | undefined {
  if (!isObject(v)) return undefined;
  const s = (k: string) => typeof v[k] === "string";
  const opt = (k: string) => v[k] === undefined || s(k);
  switch (v.op) {
    case "move":
    case "ban":
    case "cleanup":
      return s("rsc") && opt("node") ? (v as unknown as AdminRequest) : undefined;
    case "clear":
    case "start":
    case "stop":
      return s("rsc") ? (v as unknown as AdminRequest) : undefined;
    case "attr":
      return s("node") && s("name") && (v.value === null || s("value"))
        ? (v as unknown as AdminRequest)
        : undefined;
    case "cib-apply":
      return s("xml") && opt("file") ? (v as unknown as AdminRequest) : undefined;
    case "hb-standby":
    case "hb-takeover":
      return s("node") && HB_WHICH.includes(v.which as HbWhich) ? (v as unknown as AdminRequest) : undefined;
    default:
      return undefined;
  }
}

/** `cib-show`: the CIB as this node holds it. */
export interface CibShowResult {
  /** The whole CIB (status included) as XML. */
  readonly xml: string;
  /** "admin_epoch.epoch.num_updates". */
  readonly version: string;
  readonly adminEpoch: number;
  readonly epoch: number;
  readonly numUpdates: number;
  readonly dc?: string;
  readonly counts: {
    readonly nodes: number;
    readonly resources: number;
    readonly primitives: number;
    readonly constraints: number;
  };
}

export type IpcResponse<R = StatusReport> =
  | { readonly v: number; readonly id: number; readonly ok: true; readonly result: R }
  | {
      readonly v: number;
      readonly id: number;
      readonly ok: false;
      readonly error: { readonly code: IpcErrorCode; readonly message: string };
    };

// ---------------------------------------------------------------- status report

/** One heartbeat link (medium) towards one node. `lastHeardAgeMs` is absent when never heard. */
export interface LinkReport {
  readonly name: string;
  /** `init` (never heard), `up` or `dead`. */
  readonly status: "init" | "up" | "dead";
  readonly lastHeardAgeMs?: number;
}

export interface NodeReport {
  readonly name: string;
  readonly type: "normal" | "ping";
  /** init, up, active or dead for normal nodes; init, ping or dead for ping nodes. */
  readonly status: string;
  readonly local: boolean;
  readonly lastHeardAgeMs?: number;
  readonly generation?: number;
  /** The dead interval in force for this node (its advertised deadtime). */
  readonly deadIntervalMs?: number;
  readonly links: readonly LinkReport[];
}

/** Frames this node dropped before membership, and membership's own counters. */
export interface CounterReport {
  /** Bad signature or unknown key index. */
  readonly badAuth: number;
  /** Undecodable frames, or frames missing a field Heartbeat requires. */
  readonly malformed: number;
  /** Lower generation, or an old sequence number (membership), or a stale NS_ message. */
  readonly replays: number;
  /**
   * Frames held, not replays: a Tandem peer's not yet proven fresh (its status
   * does not echo our nonce yet), a live peer's new generation until confirmed.
   */
  readonly unproven: number;
  readonly unknownNode: number;
  readonly duplicates: number;
  readonly gapPackets: number;
  readonly packetsLost: number;
  readonly retransmitRequestsSent: number;
  readonly retransmitsServed: number;
  readonly lateHeartbeats: number;
  readonly framesSent: number;
  readonly framesReceived: number;
  readonly sendErrors: number;
}

export interface MediumReport {
  readonly id: string;
  readonly link: string;
  readonly framesSent: number;
  readonly framesReceived: number;
  readonly sendErrors: number;
}

/** A node as the cluster resource manager's status section sees it. */
export interface CrmNodeReport {
  readonly name: string;
  readonly online: boolean;
  readonly standby: boolean;
}

/** A primitive and where it runs now (from the latest recorded operation per node). */
export interface CrmResourceReport {
  readonly id: string;
  readonly group?: string;
  /** class[:provider]:type of the agent that runs */
  readonly agent: string;
  /** What the CIB says, when another agent runs (ocf:heartbeat:T not installed: Tandem's ocf:tandem:T). */
  readonly cibAgent?: string;
  readonly running: readonly string[];
  /** Nodes where its latest operation failed. */
  readonly failed: readonly string[];
}

/** The resource manager's part of the status report. */
export interface CrmReport {
  /** The designated controller, undefined while none is elected. */
  readonly dc?: string;
  /** "admin_epoch.epoch.num_updates" of this node's CIB copy. */
  readonly cibVersion: string;
  /** Transitions this node ran as DC. */
  readonly transitions: number;
  /** A transition is executing now. */
  readonly busy: boolean;
  readonly nodes: readonly CrmNodeReport[];
  readonly resources: readonly CrmResourceReport[];
}

/** Heartbeat's haresources resource protocol with a Heartbeat peer (daemon/r1.ts), for a mixed pair. */
export interface ResourceProtocolReport {
  /** alone / heartbeat-peer (R1 decides) / tandem-peer (the CRM decides) / refused (a peer R1 cannot share with). */
  readonly mode: "alone" | "heartbeat-peer" | "tandem-peer" | "refused";
  readonly peer?: string;
  /** What the Heartbeat peer last said it holds (its `resource` message), from its side: local = its own groups. */
  readonly peerHolds?: "none" | "local" | "foreign" | "all";
  readonly peerStable?: boolean;
  /** As Heartbeat's cl_status rscstatus would say for this node. */
  readonly rscstatus: "none" | "local" | "foreign" | "all" | "transition";
  readonly state: string;
  readonly standby: string;
  /** Group keys this node holds or is acquiring. */
  readonly held: readonly string[];
  /** Why this node runs no resource (a Heartbeat peer in crm mode, or this node in crm mode). */
  readonly refusal?: string;
}

export interface StatusReport {
  readonly version: string;
  readonly node: string;
  readonly cluster: string;
  readonly pid: number;
  readonly uptimeMs: number;
  readonly generation: number;
  readonly commUp: boolean;
  /** "haresources" or "pacemaker", as cl_status hbstatus -v says. */
  readonly managedBy: string;
  readonly timing: {
    readonly keepaliveMs: number;
    readonly deadtimeMs: number;
    readonly warntimeMs: number;
    readonly initdeadMs: number;
  };
  /** The local node first, then the peers in configuration order, then ping nodes. */
  readonly nodes: readonly NodeReport[];
  readonly media: readonly MediumReport[];
  readonly counters: CounterReport;
  readonly eventLoop: { readonly lagMs: number; readonly maxLagMs: number };
  /** Resource manager state (absent when hbd runs without it). */
  readonly crm?: CrmReport;
  /** Present when a Heartbeat peer is or was involved (mixed pair). */
  readonly legacy?: ResourceProtocolReport;
  /** ha.cf `watchdog DEV` (absent when none is configured): armed, or why hbd runs without it. */
  readonly watchdog?: { readonly device: string; readonly armed: boolean; readonly error?: string };
}

// ---------------------------------------------------------------- codec

export function encodeLine(value: IpcRequest | IpcResponse<unknown>): string {
  return `${JSON.stringify(value)}\n`;
}

export type LineResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: string };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function parseJson(line: string): LineResult<Record<string, unknown>> {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return { ok: false, reason: "not JSON" };
  }
  return isObject(v) ? { ok: true, value: v } : { ok: false, reason: "not a JSON object" };
}

/**
 * Validates a request line. A request of another version is still returned
 * (with its id) so the server can answer "version".
 */
export function parseRequest(line: string): LineResult<IpcRequest> {
  const j = parseJson(line);
  if (!j.ok) return j;
  const { v, id, method } = j.value;
  if (typeof v !== "number" || !Number.isSafeInteger(v)) return { ok: false, reason: "no version v" };
  if (typeof id !== "number" || !Number.isSafeInteger(id)) return { ok: false, reason: "no numeric id" };
  if (typeof method !== "string") return { ok: false, reason: "no method" };
  const params = j.value.params;
  if (params === undefined) return { ok: true, value: { v, id, method: method as IpcMethod } };
  if (!isObject(params) || !Object.values(params).every((p) => typeof p === "string"))
    return { ok: false, reason: "params must be an object of strings" };
  return {
    ok: true,
    value: { v, id, method: method as IpcMethod, params: params as Record<string, string> },
  };
}

/** Validates a response line's envelope (the result's shape is the daemon's contract). */
export function parseResponse(line: string): LineResult<IpcResponse> {
  const j = parseJson(line);
  if (!j.ok) return j;
  const r = j.value;
  if (typeof r.v !== "number" || typeof r.id !== "number" || typeof r.ok !== "boolean")
    return { ok: false, reason: "not an hbd response" };
  if (r.ok ? !isObject(r.result) : !isObject(r.error) || typeof r.error.message !== "string")
    return { ok: false, reason: "not an hbd response" };
  return { ok: true, value: r as unknown as IpcResponse };
}

/** Builds the response for a request: answers version and method errors, else calls `handle`. */
export function answer<R = StatusReport>(
  req: IpcRequest,
  handle: (method: IpcMethod, req: IpcRequest) => R,
): IpcResponse<R> {
  const err = (code: IpcErrorCode, message: string): IpcResponse<R> => ({
    v: IPC_VERSION,
    id: req.id,
    ok: false,
    error: { code, message },
  });
  if (req.v !== IPC_VERSION)
    return err("version", `protocol version ${req.v} is not supported (hbd speaks ${IPC_VERSION})`);
  if (!IPC_METHODS.includes(req.method))
    return err("unknown-method", `unknown method ${JSON.stringify(req.method)}`);
  try {
    return { v: IPC_VERSION, id: req.id, ok: true, result: handle(req.method, req) };
  } catch (e) {
    return failure(req, e);
  }
}

/** The error response for a handler that threw (IpcRefusal keeps its code). */
function failure<R>(req: IpcRequest, e: unknown): IpcResponse<R> {
  const error =
    e instanceof IpcRefusal
      ? { code: e.code, message: e.message }
      : { code: "internal" as const, message: e instanceof Error ? e.message : String(e) };
  return { v: IPC_VERSION, id: req.id, ok: false, error };
}

/** `answer` for a handler that may answer later (a change handed to the DC waits for its verdict). */
export async function answerLater<R>(
  req: IpcRequest,
  handle: (method: IpcMethod, req: IpcRequest) => R | Promise<R>,
): Promise<IpcResponse<R>> {
  const checked = answer<null>(req, () => null);
  if (!checked.ok) return checked;
  try {
    return { v: IPC_VERSION, id: req.id, ok: true, result: await handle(req.method, req) };
  } catch (e) {
    return failure(req, e);
  }
}

/**
 * Splits a byte stream into lines. `push` returns the complete lines so far;
 * a line longer than `maxBytes` makes `overflow` true (the caller then closes
 * the connection): nothing is buffered without bound.
 */
export class LineSplitter {
  private buffer = "";
  overflow = false;

  constructor(private readonly maxBytes: number = IPC_MAX_LINE_BYTES) {}

  push(chunk: string): string[] {
    if (this.overflow) return [];
    this.buffer += chunk;
    const parts = this.buffer.split("\n");
    this.buffer = parts.pop() ?? "";
    if (this.buffer.length > this.maxBytes || parts.some((p) => p.length > this.maxBytes)) {
      this.overflow = true;
      this.buffer = "";
      return [];
    }
    return parts.filter((p) => p.trim() !== "");
  }
}

/**
 * hbd's root-only control socket is the main one's path plus this (mode 0600,
 * its own slots: root is never locked out by clients filling the main one).
 */
export const ROOT_SOCKET_SUFFIX = ".root";
/** Words of hbd's answer to a client beyond the limit (hbctl then tries the other socket). */
export const BUSY_MESSAGE = "hbd's control socket is busy";
