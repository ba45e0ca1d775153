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
 * What a client may ask: `status` (the report), `standby` / `online`
 * (params.node, default the daemon's own node: set the node attribute
 * standby=on/off in the CIB; the DC applies and replicates it).
 */
export type IpcMethod = "status" | "standby" | "online";
export const IPC_METHODS: readonly IpcMethod[] = ["status", "standby", "online"];

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

export type IpcErrorCode = "version" | "bad-request" | "unknown-method" | "internal";

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
  /** class[:provider]:type */
  readonly agent: string;
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
    return err("internal", e instanceof Error ? e.message : String(e));
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
