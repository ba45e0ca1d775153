/**
 * `hbctl standby [NODE]` / `hbctl online [NODE]`: sets the node attribute
 * standby=on/off (default: the node hbd runs as). The DC applies it, bumps
 * the CIB epoch and replicates it; the policy then moves resources off a
 * standby node (and back when it is online again, if stickiness allows).
 * Only root and hbd's --group may use the socket: others get a clear refusal.
 */
import type { Command } from "commander";
import type { CommandResult } from "../../ipc/protocol.js";
import { DEFAULT_SOCKET, DEFAULT_TIMEOUT_MS, parseTimeout, request } from "../client.js";
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
  return request<CommandResult>(method, node === undefined ? undefined : { node }, path, timeoutMs);
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
