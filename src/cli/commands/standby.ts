/**
 * `hbctl standby [NODE | all|foreign|local|failback]` / `hbctl online [NODE]`.
 * With a node (default: the node hbd runs as) they set the node attribute
 * standby=on/off: the DC applies it, bumps the CIB epoch and replicates it;
 * the policy moves resources off a standby node (and back when it is online
 * again, if stickiness allows). With a keyword, `standby` is Heartbeat's
 * hb_standby run on this node (docs/ADMIN.md): the resource groups selected
 * (local = whose home is this node, foreign = the others, all, failback =
 * foreign) prefer another node. A keyword wins over a node of the same name.
 * Also the shared plumbing of the admin commands (--socket, --timeout, --json).
 */
import type { Command } from "commander";
import { type CommandResult, HB_WHICH, type HbWhich, type IpcMethod } from "../../ipc/protocol.js";
import { DEFAULT_SOCKET, DEFAULT_TIMEOUT_MS, parseTimeout, request } from "../client.js";
import type { CliIo } from "../io.js";
import { jsonDocument } from "../json.js";

/** Options every command that talks to hbd takes. */
export interface AdminOptions {
  socket: string;
  timeout: string;
  json?: boolean;
}

/** The exit status paragraph of a command that changes something. */
export const ADMIN_EXIT =
  "Exit status: 0 applied (by this node as the DC, or confirmed by the DC), 2 refused (unknown resource or node, invalid input; the reason is printed), 3 hbd is not running, did not answer, no DC is elected yet, or the DC did not confirm the change within 3 s (it was sent and may still be applied: check hbctl status), 4 permission denied (only root and hbd's --group may change anything).";

/** Adds --socket, --timeout and --json to a command. */
export function withAdminOptions(cmd: Command): Command {
  return cmd
    .option("--socket <path>", "hbd's control socket", DEFAULT_SOCKET)
    .option("--timeout <ms>", "give up after this many milliseconds", String(DEFAULT_TIMEOUT_MS))
    .option("--json", "print the answer as JSON");
}

/** Sends one change request and prints hbd's answer (text or JSON). Rejects with IpcClientError. */
export async function runAdmin(
  method: IpcMethod,
  params: Readonly<Record<string, string>> | undefined,
  opts: AdminOptions,
  io: CliIo,
): Promise<CommandResult> {
  const r = await request<CommandResult>(method, params, opts.socket, parseTimeout(opts.timeout));
  io.out(opts.json ? jsonDocument({ ok: true, message: r.message }) : r.message);
  return r;
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

/** `standby` params for an argument: a Heartbeat keyword, a node name, or nothing (this node). */
export function standbyParams(arg: string | undefined): Record<string, string> | undefined {
  if (arg === undefined) return undefined;
  return HB_WHICH.includes(arg as HbWhich) ? { which: arg } : { node: arg };
}

export function registerStandby(program: Command, io: CliIo): void {
  withAdminOptions(
    program
      .command("standby")
      .summary("move resources off a node (node attribute, or Heartbeat's hb_standby forms)")
      .description(
        "hbctl standby [NODE]: put NODE (default: this node) in standby: node attribute standby=on in the CIB, replicated to every node; the DC moves its resources elsewhere and the node runs nothing until `hbctl online`.\n\n" +
          "hbctl standby all|foreign|local|failback: Heartbeat's hb_standby, run on this node: the resource groups whose home node (haresources line, or highest positive location score) is this node (local), the others (foreign; failback is the same), or both (all) move to the other node, through cli-prefer-GROUP = INFINITY constraints on it. This node stays usable: if the other node fails they come back. Undo: `hbctl takeover` with the same keyword, or `hbctl resource clear GROUP`. A keyword wins over a node of the same name.\n\n" +
          ADMIN_EXIT,
      )
      .argument("[node|keyword]", "a node (default: the node hbd runs as), or all, foreign, local, failback"),
  )
    .addHelpText(
      "after",
      "\nExamples:\n  hbctl standby\n  hbctl standby n2\n  hbctl standby foreign\n  hbctl standby all --json",
    )
    .action(async (arg: string | undefined, opts: AdminOptions) => {
      await runAdmin("standby", standbyParams(arg), opts, io);
    });
  withAdminOptions(
    program
      .command("online")
      .summary("let a node run resources again")
      .description(
        "Bring NODE (default: this node) out of standby: node attribute standby=off; with auto_failback on its preferred resources come back. It does not remove the cli-prefer constraints of `standby all|foreign|local` (see `hbctl takeover`, `hbctl resource clear`).\n\n" +
          ADMIN_EXIT,
      )
      .argument("[node]", "the node (default: the node hbd runs as)"),
  ).action(async (node: string | undefined, opts: AdminOptions) => {
    await runAdmin("online", node === undefined ? undefined : { node }, opts, io);
  });
}
