/**
 * hbctl's side of the control socket: one request, one response, a timeout,
 * and errors that say what to do (hbd not running, permission refused).
 */
import { createConnection } from "node:net";
import { ExitCode, TandemError } from "../base/errors.js";
import {
  BUSY_MESSAGE,
  encodeLine,
  IPC_VERSION,
  type IpcMethod,
  type IpcResponse,
  LineSplitter,
  parseResponse,
  ROOT_SOCKET_SUFFIX,
  type StatusReport,
} from "../ipc/protocol.js";

export const DEFAULT_SOCKET = "/run/tandem/hbd.sock";
export const DEFAULT_TIMEOUT_MS = 5000;

/** `refused`: hbd understood the request and refused it (exit 2); `unavailable`: it cannot serve it now (exit 3). */
export type ClientFailure = "not-running" | "permission" | "timeout" | "protocol" | "refused" | "unavailable";

export class IpcClientError extends TandemError {
  override readonly name = "IpcClientError";
  constructor(
    readonly reason: ClientFailure,
    message: string,
  ) {
    super(
      message,
      reason === "permission"
        ? ExitCode.permission
        : reason === "protocol"
          ? ExitCode.warnings
          : reason === "refused"
            ? ExitCode.usage
            : ExitCode.unavailable,
    );
  }
}

/** Turns a connect error into the message an operator needs. */
export function connectError(path: string, err: NodeJS.ErrnoException): IpcClientError {
  switch (err.code) {
    case "ENOENT":
    case "ENOTDIR":
      return new IpcClientError("not-running", `hbd is not running (no socket at ${path})`);
    case "ECONNREFUSED":
      return new IpcClientError(
        "not-running",
        `hbd is not running (stale socket at ${path}, nobody listening)`,
      );
    case "EACCES":
    case "EPERM":
      return new IpcClientError(
        "permission",
        `permission denied on hbd's control socket ${path}: only root, or members of the group hbd was started with (hbd --group NAME), may use it. Run hbctl as root (e.g. sudo hbctl ...), or start hbd with --group GROUP and add your user to that group.`,
      );
    default:
      return new IpcClientError(
        "not-running",
        `cannot connect to hbd at ${path}: ${err.code ?? err.message}`,
      );
  }
}

/** A failure before hbd read the request: trying the other socket cannot run it twice. */
function notRead(e: unknown): boolean {
  if (!(e instanceof IpcClientError)) return false;
  return (
    e.reason === "not-running" ||
    e.reason === "permission" ||
    (e.reason === "unavailable" && e.message.includes(BUSY_MESSAGE))
  );
}

/**
 * Sends one request to hbd and resolves with its result. Rejects with
 * IpcClientError. Tries hbd's root-only socket (`PATH.root`, root's reserved
 * slots) first: only root (hbd's user) can connect to it; anyone else, an
 * hbd without it, or all its slots taken, and the request goes to PATH.
 */
export async function request<R>(
  method: IpcMethod,
  params: Readonly<Record<string, string>> | undefined,
  path: string = DEFAULT_SOCKET,
  timeoutMs: number = DEFAULT_TIMEOUT_MS,
): Promise<R> {
  try {
    return await requestOn<R>(method, params, path + ROOT_SOCKET_SUFFIX, timeoutMs);
  } catch (e) {
    if (!notRead(e)) throw e;
  }
  return requestOn<R>(method, params, path, timeoutMs);
}

function requestOn<R>(
  method: IpcMethod,
  params: Readonly<Record<string, string>> | undefined,
  path: string,
  timeoutMs: number,
): Promise<R> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    const lines = new LineSplitter();
    let done = false;
    const finish = (err: IpcClientError | undefined, result?: R) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(result as R);
    };
    const timer = setTimeout(
      () => finish(new IpcClientError("timeout", `hbd did not answer on ${path} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.setEncoding("utf8");
    socket.on("connect", () =>
      socket.write(
        encodeLine({ v: IPC_VERSION, id: 1, method, ...(params === undefined ? {} : { params }) }),
      ),
    );
    socket.on("error", (err: NodeJS.ErrnoException) => finish(connectError(path, err)));
    socket.on("close", () =>
      finish(new IpcClientError("protocol", `hbd closed the connection on ${path} without answering`)),
    );
    socket.on("data", (chunk: string) => {
      for (const line of lines.push(chunk)) {
        const r = parseResponse(line);
        if (!r.ok) return finish(new IpcClientError("protocol", `unexpected answer on ${path}: ${r.reason}`));
        const res = r.value as unknown as IpcResponse<R>;
        if (!res.ok) {
          const code = res.error.code;
          const reason = code === "refused" || code === "unavailable" ? code : "protocol";
          return finish(new IpcClientError(reason, `hbd refused the request: ${res.error.message}`));
        }
        return finish(undefined, res.result);
      }
      if (lines.overflow) finish(new IpcClientError("protocol", `oversized answer on ${path}`));
    });
  });
}

/** Asks hbd for its status report. Rejects with IpcClientError. */
export function requestStatus(
  path: string = DEFAULT_SOCKET,
  timeoutMs: number = DEFAULT_TIMEOUT_MS,
): Promise<StatusReport> {
  return request<StatusReport>("status", undefined, path, timeoutMs);
}

/** Parses --timeout. */
export function parseTimeout(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new TandemError(`--timeout ${value}: expected milliseconds > 0`, ExitCode.usage);
  return n;
}
