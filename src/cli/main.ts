#!/usr/bin/env node
/**
 * hbctl: Tandem's command-line tool. Offline verbs (verify, ...) read files;
 * the others talk to hbd through its socket. Output is text, or JSON with --json.
 */
import { type Command, CommanderError } from "commander";
import { ExitCode, TandemError } from "../base/errors.js";
import { type CliIo, processIo } from "./io.js";
import { newProgram } from "./root.js";

export const VERSION = "0.1.0";

/**
 * `hbctl simulate` alone: loading every other command's modules (IPC, daemon
 * client, agents, ...) costs more start-up time than simulating a small CIB.
 */
async function buildSimulateOnly(io: CliIo): Promise<Command> {
  const { registerSimulate: register } = await import("./commands/simulate.js");
  const program = newProgram(io, VERSION);
  register(program, io);
  return program;
}

export async function main(argv: readonly string[], io: CliIo): Promise<void> {
  const program =
    argv[0] === "simulate"
      ? await buildSimulateOnly(io)
      : (await import("./program.js")).buildProgram(io, VERSION);
  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) {
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
