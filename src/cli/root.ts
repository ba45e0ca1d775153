/** The bare `hbctl` command (name, description, version, error handling), before any verb is registered. */
import { Command } from "commander";
import type { CliIo } from "./io.js";

export function newProgram(io: CliIo, version: string): Command {
  return new Command("hbctl")
    .description("Control and inspect a Tandem cluster (Heartbeat-compatible).")
    .version(version, "-V, --version")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
}
