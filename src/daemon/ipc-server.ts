/**
 * hbd's control socket: a unix stream socket at RUN_DIR/hbd.sock speaking the
 * line protocol of src/ipc/protocol.ts. Permissions are the access control:
 * mode 0600 owned by hbd's user (root), or 0660 with the group given by
 * `hbd --group NAME`, so anyone else gets EACCES at connect. The socket is
 * created under umask 0177 so it is never reachable with wider permissions.
 *
 * Root's reserved slots (issue 13 item 8): a second socket, `<path>.root`
 * (ROOT_SOCKET_SUFFIX), always mode 0600 owned by hbd's user (root), with its
 * own small limit. Node.js cannot read a unix socket's peer credentials
 * (SO_PEERCRED) without a native module, so the kernel's permission check on
 * a second socket is what tells root apart: 32 clients of hbd's group holding
 * the main socket can never lock root's hbctl out. hbctl tries it first and
 * falls back to the main socket (client.ts).
 */
import { chmodSync, chownSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import {
  answerLater,
  BUSY_MESSAGE,
  type CibShowResult,
  type CommandResult,
  encodeLine,
  IPC_VERSION,
  type IpcMethod,
  IpcRefusal,
  type IpcResponse,
  LineSplitter,
  parseRequest,
  ROOT_SOCKET_SUFFIX,
  type StatusReport,
} from "../ipc/protocol.js";
import { type NodeLogger, silentLogger } from "./node.js";

export const SOCKET_NAME = "hbd.sock";

export interface IpcServerOptions {
  /** Socket path (RUN_DIR/hbd.sock). A stale socket file there is replaced. */
  readonly path: string;
  /** Group allowed to connect (mode 0660); without it mode 0600. */
  readonly gid?: number;
  readonly report: () => StatusReport;
  /** Every method but status (see dispatchCommand); without it those requests are answered with an error. Throw to refuse. */
  readonly command?: (
    method: Exclude<IpcMethod, "status">,
    params: Readonly<Record<string, string>>,
  ) => CommandResult | CibShowResult | Promise<CommandResult>;
  readonly log?: NodeLogger;
  /** Concurrent clients; the newest beyond it is answered "busy" (unavailable) and closed. Default 32. */
  readonly maxConnections?: number;
  /** Clients of the root-only socket `<path>.root` (mode 0600); 0: no such socket. Default 4. */
  readonly rootSlots?: number;
  /** A client idle this long is disconnected, ms. Default 30000. */
  readonly idleMs?: number;
  /** A request line must be complete this long after its first byte, ms (a trickling client is cut). Default 5000. */
  readonly requestMs?: number;
  /** Requests of one client being answered at once; beyond it (or while its answers are not read) it is not read. Default 4. */
  readonly maxInFlight?: number;
}

export const IPC_DEFAULTS = {
  maxConnections: 32,
  rootSlots: 4,
  idleMs: 30_000,
  requestMs: 5000,
  maxInFlight: 4,
} as const;

/** One listening socket and its clients. */
interface Pool {
  readonly server: Server;
  readonly path: string;
  readonly max: number;
  readonly clients: Set<Socket>;
}

/** Resolves a group name (or number) through /etc/group; undefined when unknown. */
export function resolveGroup(name: string, groupFile = "/etc/group"): number | undefined {
  if (/^\d+$/.test(name)) return Number(name);
  let text: string;
  try {
    text = readFileSync(groupFile, "utf8");
  } catch {
    return undefined;
  }
  for (const line of text.split("\n")) {
    const [n, , gid] = line.split(":");
    if (n === name && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  return undefined;
}

export class IpcServer {
  private readonly pools: Pool[] = [];
  /** Clients being told the socket is busy (closed within a second). */
  private readonly refusing = new Set<Socket>();

  private constructor(readonly path: string) {}

  /** The root-only socket's path, when there is one. */
  get rootPath(): string | undefined {
    return this.pools[1]?.path;
  }

  static async listen(opts: IpcServerOptions): Promise<IpcServer> {
    const ipc = new IpcServer(opts.path);
    try {
      await ipc.open(opts.path, opts.maxConnections ?? IPC_DEFAULTS.maxConnections, opts);
      const rootSlots = opts.rootSlots ?? IPC_DEFAULTS.rootSlots;
      if (rootSlots > 0) await ipc.open(opts.path + ROOT_SOCKET_SUFFIX, rootSlots, opts);
    } catch (e) {
      await ipc.close();
      throw e;
    }
    if (opts.gid !== undefined) {
      chownSync(opts.path, process.getuid?.() ?? 0, opts.gid);
      chmodSync(opts.path, 0o660);
    }
    return ipc;
  }

  /** Listens on `path`, mode 0600 (created under umask 0177, never wider meanwhile). */
  private async open(path: string, max: number, opts: IpcServerOptions): Promise<void> {
    const log = opts.log ?? silentLogger;
    rmSync(path, { force: true });
    const server = createServer();
    const pool: Pool = { server, path, max, clients: new Set() };
    server.on("connection", (s) => this.accept(s, pool, opts, log));
    server.on("error", (err) =>
      log.error({ event: "ipc-error", err: err.message }, `control socket ${path}: ${err.message}`),
    );
    const old = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(path, () => {
          server.off("error", reject);
          resolve();
        });
      });
    } finally {
      process.umask(old);
    }
    this.pools.push(pool);
    chmodSync(path, 0o600);
  }

  /** A new client: served, or told the socket is busy when the limit is reached (never a silent close). */
  private accept(socket: Socket, pool: Pool, opts: IpcServerOptions, log: NodeLogger): void {
    const max = pool.max;
    if (pool.clients.size >= max) {
      log.warn(
        { event: "ipc-busy", clients: pool.clients.size, socket: pool.path },
        `control socket ${pool.path}: ${max} clients connected; refused one`,
      );
      this.refusing.add(socket);
      socket.on("close", () => this.refusing.delete(socket));
      socket.on("error", () => socket.destroy());
      socket.end(
        encodeLine({
          v: IPC_VERSION,
          id: 0,
          ok: false,
          error: {
            code: "unavailable",
            message: `${BUSY_MESSAGE}: ${max} clients are connected (the limit); try again`,
          },
        }),
      );
      socket.setTimeout(1000, () => socket.destroy());
      return;
    }
    this.serve(socket, pool.clients, opts, log);
  }

  /**
   * One client. Requests are taken one per turn of the event loop (so a
   * pipelined flood never holds the loop, and heartbeats keep their turn), at
   * most maxInFlight at a time; while that many wait, or while the client does
   * not read its answers (socket buffer full), the socket is not read at all:
   * back-pressure bounds the work and the memory one client can cause.
   */
  private serve(socket: Socket, clients: Set<Socket>, opts: IpcServerOptions, log: NodeLogger): void {
    clients.add(socket);
    socket.setEncoding("utf8");
    socket.setTimeout(opts.idleMs ?? IPC_DEFAULTS.idleMs, () => socket.destroy());
    const requestMs = opts.requestMs ?? IPC_DEFAULTS.requestMs;
    const maxInFlight = opts.maxInFlight ?? IPC_DEFAULTS.maxInFlight;
    let partial: NodeJS.Timeout | undefined;
    const stopPartial = () => {
      if (partial !== undefined) clearTimeout(partial);
      partial = undefined;
    };
    socket.on("close", () => {
      clients.delete(socket);
      stopPartial();
    });
    socket.on("error", () => socket.destroy());
    const lines = new LineSplitter();
    const backlog: string[] = [];
    let inFlight = 0;
    let scheduled = false;
    // answers go out in request order, even when one waits for the DC
    let queue: Promise<void> = Promise.resolve();
    const answer = (line: string) => {
      inFlight++;
      const res = this.respond(line, opts);
      queue = queue.then(async () => {
        const r = await res;
        if (!socket.destroyed) socket.write(encodeLine(r));
        inFlight--;
        schedule();
      });
    };
    const pump = () => {
      scheduled = false;
      if (socket.destroyed || inFlight >= maxInFlight || socket.writableNeedDrain) return; // drain/answer resumes
      const line = backlog.shift();
      if (line === undefined) {
        socket.resume();
        return;
      }
      answer(line);
      schedule();
    };
    const schedule = () => {
      if (scheduled) return;
      scheduled = true;
      setImmediate(pump);
    };
    socket.on("drain", schedule);
    socket.on("data", (chunk: string) => {
      backlog.push(...lines.push(chunk));
      if (lines.overflow) {
        log.warn({ event: "ipc-overflow" }, "control socket client sent an oversized line; disconnected");
        socket.destroy();
        return;
      }
      // The deadline runs from the first byte of an unfinished request: trickling does not extend it.
      if (chunk.includes("\n")) stopPartial();
      if (!chunk.endsWith("\n") && partial === undefined)
        partial = setTimeout(() => {
          log.warn(
            { event: "ipc-slow" },
            `control socket client did not finish a request within ${requestMs} ms; disconnected`,
          );
          socket.destroy();
        }, requestMs);
      socket.pause();
      schedule();
    });
  }

  private respond(
    line: string,
    opts: IpcServerOptions,
  ): Promise<IpcResponse<StatusReport | CommandResult | CibShowResult>> {
    const req = parseRequest(line);
    return req.ok
      ? answerLater<StatusReport | CommandResult | CibShowResult>(req.value, (method, r) => {
          if (method === "status") return opts.report();
          if (opts.command === undefined)
            throw new IpcRefusal(`${method}: the resource manager is not running`, "unavailable");
          return opts.command(method, r.params ?? {});
        })
      : Promise.resolve({
          v: IPC_VERSION,
          id: 0,
          ok: false as const,
          error: { code: "bad-request" as const, message: req.reason },
        });
  }

  /** Stops listening, disconnects clients and removes the socket files. */
  async close(): Promise<void> {
    for (const c of this.refusing) c.destroy();
    for (const pool of this.pools.splice(0)) {
      for (const c of pool.clients) c.destroy();
      await new Promise<void>((resolve) => pool.server.close(() => resolve()));
      rmSync(pool.path, { force: true });
    }
  }
}

export { type AdminPort, dispatchCommand } from "./commands.js";
