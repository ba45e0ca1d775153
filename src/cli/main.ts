#!/usr/bin/env node
/**
 * hbctl: Tandem's command-line tool. Offline verbs (verify, ...) read files;
 * the others talk to hbd through its socket. Output is text, or JSON with --json.
 */
import { ExitCode, TandemError } from "../base/errors.js";
import { VERSION } from "../base/version.js";
import { parseFastAdmin, runFastAdmin } from "./fast-admin.js";
import { parseFastSimulate } from "./fast-simulate.js";
import { type CliIo, processIo } from "./io.js";

/** commander's usage/help/version exits (its module is loaded only for the full program). */
const isCommanderError = (e: unknown): e is { exitCode: number } =>
  e instanceof Error &&
  (e.name === "CommanderError" || e.name === "InvalidArgumentError") &&
  typeof (e as { exitCode?: unknown }).exitCode === "number";

export async function main(argv: readonly string[], io: CliIo): Promise<void> {
  // commander's own answer, without loading every command module to build the full program first
  if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) return io.out(VERSION);
  try {
    // loaded only for `status` (its client pulls in node:net, which `simulate` does not need)
    const fast = argv[0] === "status" ? (await import("./fast-status.js")).parseFastStatus(argv) : undefined;
    if (fast !== undefined) return await (await import("./commands/status.js")).runStatus(fast, io);
    const admin = parseFastAdmin(argv);
    if (admin !== undefined) return await runFastAdmin(admin, io);
    const sim = parseFastSimulate(argv);
    if (sim !== undefined)
      return (await import("./commands/simulate.js")).runSimulate(sim.file, sim.opts, io);
    const program = await (await import("./program.js")).buildProgram(io, argv);
    await program.parseAsync([...argv], { from: "user" });
  } catch (e) {
    if (isCommanderError(e)) {
      // help and version exit 0; usage errors were already printed by commander
      io.exit(e.exitCode === 0 ? ExitCode.ok : ExitCode.usage);
    } else if (e instanceof TandemError) {
      io.err(`hbctl: ${e.message}`);
      io.exit(e.exitCode);
    } else {
      io.err(`hbctl: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      io.exit(70);
    }
  }
}

const io = processIo();
await main(process.argv.slice(2), io);
process.exitCode = io.code;
