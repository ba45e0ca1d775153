/**
 * `hbctl standby [NODE]` / `hbctl online [NODE]`: sets the node attribute
 * standby=on/off (default: the node hbd runs as). The DC applies it, bumps
 * the CIB epoch and replicates it; the policy then moves resources off a
 * standby node (and back when it is online again, if stickiness allows).
 * Only root and hbd's --group may use the socket: others get a clear refusal.
 */
import { createConnection } from "node:net";
import type { Command } from "commander";
import {
  type CommandResult,
  encodeLine,
  IPC_VERSION,
  type IpcResponse,
  LineSplitter,
  parseResponse,
} from "../../ipc/protocol.js";
import { connectError, DEFAULT_SOCKET, DEFAULT_TIMEOUT_MS, IpcClientError, parseTimeout } from "../client.js";
import type { CliIo } from "../io.js";

interface StandbyOptions {
  socket: string;
  timeout: string;
}

/** Sends one standby/online request and resolves with hbd's answer. Rejects with IpcClientError. */
export function requestStandby(
  method: "standby" | "online",
  node: string | undefined,
  path: string,
  timeoutMs: number,
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    const lines = new LineSplitter();
    let done = false;
    const finish = (err: IpcClientError | undefined, result?: CommandResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(result as CommandResult);
    };
    const timer = setTimeout(
      () => finish(new IpcClientError("timeout", `hbd did not answer on ${path} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.setEncoding("utf8");
    socket.on("connect", () =>
      socket.write(
        encodeLine({ v: IPC_VERSION, id: 1, method, ...(node === undefined ? {} : { params: { node } }) }),
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
        const res = r.value as unknown as IpcResponse<CommandResult>;
        if (!res.ok) return finish(new IpcClientError("protocol", `hbd refused: ${res.error.message}`));
        return finish(undefined, res.result);
      }
      if (lines.overflow) finish(new IpcClientError("protocol", `oversized answer on ${path}`));
    });
  });
}

export function registerStandby(program: Command, io: CliIo): void {
  for (const method of ["standby", "online"] as const) {
    program
      .command(method)
      .summary(method === "standby" ? "move every resource off a node" : "let a node run resources again")
      .description(
        (method === "standby"
          ? "Put NODE (default: this node) in standby: node attribute standby=on in the CIB, replicated to every node; the DC moves its resources elsewhere."
          : "Bring NODE (default: this node) out of standby: standby=off; with auto_failback on its preferred resources come back.") +
          "\n\nExit status: 0 accepted, 3 hbd is not running or did not answer, 4 permission denied on the socket.",
      )
      .argument("[node]", "the node (default: the node hbd runs as)")
      .option("--socket <path>", "hbd's control socket", DEFAULT_SOCKET)
      .option("--timeout <ms>", "give up after this many milliseconds", String(DEFAULT_TIMEOUT_MS))
      .action(async (node: string | undefined, opts: StandbyOptions) => {
        const r = await requestStandby(method, node, opts.socket, parseTimeout(opts.timeout));
        io.out(r.message);
      });
  }
}
