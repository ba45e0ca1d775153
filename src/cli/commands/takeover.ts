/**
 * `hbctl takeover [all|foreign|local|failback]`: Heartbeat's hb_takeover run
 * on this node (docs/ADMIN.md): the resource groups selected from this node's
 * point of view (local = whose home is this node, foreign = the others, all;
 * failback = all, Heartbeat's own behaviour) prefer this node, through
 * cli-prefer-GROUP = INFINITY constraints.
 */
import type { Command } from "commander";
import { TandemError, UsageError } from "../../base/errors.js";
import { type CommandResult, HB_WHICH, type HbWhich } from "../../ipc/protocol.js";
import { DEFAULT_TIMEOUT_MS, request } from "../client.js";
import type { CliIo } from "../io.js";
import { ADMIN_EXIT, type AdminOptions, runAdmin, withAdminOptions } from "./standby.js";

/** Checks a Heartbeat keyword (default all). */
export function parseWhich(arg: string | undefined): HbWhich {
  const w = arg ?? "all";
  if (!HB_WHICH.includes(w as HbWhich)) throw new UsageError(`${w}: expected one of ${HB_WHICH.join(", ")}`);
  return w as HbWhich;
}

export function registerTakeover(program: Command, io: CliIo): void {
  withAdminOptions(
    program
      .command("takeover")
      .summary("take resource groups over to this node (Heartbeat's hb_takeover)")
      .description(
        "Heartbeat's hb_takeover, run on this node: the resource groups whose home node (haresources line, or highest positive location score) is this node (local), the others (foreign), or all of them (all, the default) move here, through cli-prefer-GROUP = INFINITY constraints on this node. " +
          "failback means all, as in Heartbeat (its peer-side handler has no branch for failback and falls back to all). Refused when this node is offline or in standby. " +
          "Undo: `hbctl standby` with the same keyword, or `hbctl resource clear GROUP`.\n\n" +
          ADMIN_EXIT,
      )
      .argument("[which]", "all (default), foreign, local or failback"),
  )
    .addHelpText(
      "after",
      "\nExamples:\n  hbctl takeover\n  hbctl takeover local\n  hbctl takeover foreign --json",
    )
    .action(async (which: string | undefined, opts: AdminOptions) => {
      await runAdmin("takeover", { which: parseWhich(which) }, opts, io);
    });
}

/**
 * The installed `hb_standby` / `hb_takeover` commands for old scripts: the
 * argument forms and messages of Heartbeat's scripts (default all; a wrong
 * argument prints the usage and exits 1; hb_takeover refuses a second
 * argument), then the request to hbd at $HBD_SOCKET (default
 * /run/tandem/hbd.sock). Exit 0 when hbd accepted it; otherwise hbctl's
 * codes: 2 refused, 3 hbd not running / no DC, 4 permission denied.
 */
export async function runHeartbeatTool(
  tool: "hb_standby" | "hb_takeover",
  argv: readonly string[],
  io: CliIo,
  socket: string,
): Promise<void> {
  const usage = () => {
    io.err(`usage: ${tool} [all|foreign|local|failback]`);
    io.exit(1);
  };
  if (tool === "hb_takeover" && argv.length >= 2) {
    io.err(`${tool}: too many arguments`);
    return usage();
  }
  const arg = argv[0] ?? "all";
  if (!HB_WHICH.includes(arg as HbWhich)) {
    if (tool === "hb_takeover" && arg !== "--help") io.err(`${tool}: wrong resources(${arg}).`);
    return usage();
  }
  try {
    const r = await request<CommandResult>(
      tool === "hb_standby" ? "standby" : "takeover",
      { which: arg },
      socket,
      DEFAULT_TIMEOUT_MS,
    );
    io.out(r.message);
  } catch (e) {
    if (!(e instanceof TandemError)) throw e;
    io.err(`${tool}: ${e.message}`);
    io.exit(e.exitCode);
  }
}
