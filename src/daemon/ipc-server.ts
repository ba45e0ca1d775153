/**
 * hbd's control socket: a unix stream socket at RUN_DIR/hbd.sock speaking the
 * line protocol of src/ipc/protocol.ts. Permissions are the access control:
 * mode 0600 owned by hbd's user (root), or 0660 with the group given by
 * `hbd --group NAME`, so anyone else gets EACCES at connect. The socket is
 * created under umask 0177 so it is never reachable with wider permissions.
 */
import { chmodSync, chownSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import {
  answer,
  type CommandResult,
  encodeLine,
  IPC_VERSION,
  LineSplitter,
  parseRequest,
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
  /** Changes (standby, online); without it those requests are answered with an error. Throw to refuse. */
  readonly command?: (
    method: "standby" | "online",
    params: Readonly<Record<string, string>>,
  ) => CommandResult;
  readonly log?: NodeLogger;
  /** Concurrent clients; more are refused. Default 32. */
  readonly maxConnections?: number;
  /** A client idle this long is disconnected, ms. Default 30000. */
  readonly idleMs?: number;
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
  private readonly clients = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly path: string,
  ) {}

  static async listen(opts: IpcServerOptions): Promise<IpcServer> {
    const log = opts.log ?? silentLogger;
    rmSync(opts.path, { force: true });
    const server = createServer();
    const ipc = new IpcServer(server, opts.path);
    server.maxConnections = opts.maxConnections ?? 32;
    server.on("connection", (s) => ipc.serve(s, opts, log));
    server.on("error", (err) =>
      log.error({ event: "ipc-error", err: err.message }, `control socket: ${err.message}`),
    );
    const old = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(opts.path, () => {
          server.off("error", reject);
          resolve();
        });
      });
    } finally {
      process.umask(old);
    }
    if (opts.gid !== undefined) {
      chownSync(opts.path, process.getuid?.() ?? 0, opts.gid);
      chmodSync(opts.path, 0o660);
    } else {
      chmodSync(opts.path, 0o600);
    }
    return ipc;
  }

  private serve(socket: Socket, opts: IpcServerOptions, log: NodeLogger): void {
    this.clients.add(socket);
    socket.setEncoding("utf8");
    socket.setTimeout(opts.idleMs ?? 30_000, () => socket.destroy());
    socket.on("close", () => this.clients.delete(socket));
    socket.on("error", () => socket.destroy());
    const lines = new LineSplitter();
    socket.on("data", (chunk: string) => {
      for (const line of lines.push(chunk)) {
        const req = parseRequest(line);
        const res = req.ok
          ? answer<StatusReport | CommandResult>(req.value, (method, r) => {
              if (method === "status") return opts.report();
              if (opts.command === undefined)
                throw new Error(`${method}: the resource manager is not running`);
              return opts.command(method, r.params ?? {});
            })
          : {
              v: IPC_VERSION,
              id: 0,
              ok: false as const,
              error: { code: "bad-request" as const, message: req.reason },
            };
        socket.write(encodeLine(res));
      }
      if (lines.overflow) {
        log.warn({ event: "ipc-overflow" }, "control socket client sent an oversized line; disconnected");
        socket.destroy();
      }
    });
  }

  /** Stops listening, disconnects clients and removes the socket file. */
  async close(): Promise<void> {
    for (const c of this.clients) c.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.path, { force: true });
  }
}
