/**
 * `hbctl fence reboot|off NODE`: fence NODE now with its configured devices
 * (Pacemaker's `stonith_admin --reboot|--off`), run by the local hbd.
 *
 * `hbctl fence confirm NODE`: the operator's half of fence_meatware
 * (Heartbeat's meatclient). fence_meatware, asked to fence NODE, writes
 * FENCE_DIR/meatware.NODE and waits; this command, run on the same machine
 * after NODE was power-cycled by hand, writes FENCE_DIR/meatware.NODE.confirm,
 * and the fencing succeeds. FENCE_DIR is RUN_DIR/fence (the directory of
 * hbd's socket). Only root can write there.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Command } from "commander";
import { ExitCode, TandemError, UsageError } from "../../base/errors.js";
import { DEFAULT_SOCKET } from "../client.js";
import type { CliIo } from "../io.js";
import { jsonDocument } from "../json.js";
import { type AdminOptions, runAdmin } from "./standby.js";

interface ConfirmOptions {
  socket: string;
  fenceDir?: string;
  json?: boolean;
}

export interface ConfirmResult {
  readonly node: string;
  readonly confirmed: boolean;
  readonly request: string;
  readonly message: string;
}

/** Writes the confirmation of a waiting fence_meatware request; throws TandemError when none waits. */
export function confirmFence(node: string, fenceDir: string): ConfirmResult {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(node)) throw new UsageError(`invalid node name "${node}"`);
  const request = join(fenceDir, `meatware.${node}`);
  if (!existsSync(request))
    throw new TandemError(
      `no fencing of ${node} is waiting for confirmation here (no ${request}); run this on the node whose log asks for it`,
      ExitCode.warnings,
    );
  const tmp = `${request}.confirm.tmp`;
  try {
    writeFileSync(tmp, `${readFileSync(request, "utf8").trim()} confirmed ${new Date().toISOString()}\n`, {
      mode: 0o600,
    });
    renameSync(tmp, `${request}.confirm`);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new TandemError(
      `cannot confirm in ${fenceDir}: ${code ?? (e as Error).message}${code === "EACCES" ? " (run as root)" : ""}`,
      code === "EACCES" || code === "EPERM" ? ExitCode.permission : ExitCode.warnings,
    );
  }
  return {
    node,
    confirmed: true,
    request,
    message: `fencing of ${node} confirmed: the cluster may now take over its resources`,
  };
}

export function registerFence(program: Command, io: CliIo): void {
  const fence = program
    .command("fence")
    .summary("fencing: fence a node now, or confirm a manual (meatware) fencing")
    .description("Fencing commands. See docs/FENCING.md.");
  for (const action of ["reboot", "off"] as const)
    fence
      .command(action)
      .summary(`fence NODE now (${action}) with its configured fence devices`)
      .description(
        `Fence NODE now, as stonith_admin --${action} does: this node's hbd runs the stonith devices that can fence NODE (CIB order) with action=${action}. ` +
          "On success NODE counts as fenced: its resources are recovered elsewhere and its coming loss from the membership is not fenced again. " +
          "A node never fences itself: run this on another node. It waits for the agents (up to their timeouts; --timeout is 120 s here).\n\n" +
          "Exit status: 0 fenced, 2 refused (unknown node, this node, no device, every device failed: the reason is printed), 3 hbd not running or no answer, 4 permission denied.",
      )
      .argument("<node>", "the node to fence")
      .option("--socket <path>", "hbd's control socket", DEFAULT_SOCKET)
      .option("--timeout <ms>", "give up waiting after this many milliseconds", "120000")
      .option("--json", "print the answer as JSON")
      .addHelpText("after", `\nExample:\n  hbctl fence ${action} n2`)
      .action(async (node: string, opts: AdminOptions) => {
        await runAdmin("fence", { node, action }, opts, io);
      });
  fence
    .command("confirm")
    .summary("confirm that NODE was power-cycled by hand (fence_meatware)")
    .description(
      `Tell a waiting fence_meatware that NODE was power-cycled or cut off from every shared resource by hand, as Heartbeat's meatclient did. Run it on the node whose log asks for it (the DC).

WARNING: if NODE still runs, confirming lets its resources start elsewhere too; data on shared storage can be corrupted.

Exit status: 0 confirmed, 1 no fencing of NODE is waiting here, 2 usage error, 4 permission denied.`,
    )
    .argument("<node>", "the node that was fenced by hand")
    .option("--socket <path>", "hbd's control socket (its directory is the run dir)", DEFAULT_SOCKET)
    .option("--fence-dir <dir>", "directory of the requests (default: RUN_DIR/fence)")
    .option("--json", "print the result as JSON")
    .action((node: string, opts: ConfirmOptions) => {
      const dir = opts.fenceDir ?? join(dirname(opts.socket), "fence");
      const r = confirmFence(node.toLowerCase(), dir);
      io.out(opts.json ? jsonDocument(r, undefined) : r.message);
    });
}
