#!/usr/bin/env node
/**
 * hbctl: Tandem's command-line tool. Offline verbs (verify, ...) read files;
 * the others talk to hbd through its socket. Output is text, or JSON with --json.
 */
import { Command, CommanderError } from "commander";
import { ExitCode, TandemError } from "../base/errors.js";
import { VERSION } from "../base/version.js";
import { registerCib } from "./commands/cib.js";
import { registerCl } from "./commands/cl.js";
import { registerConvert } from "./commands/convert.js";
import { registerFence } from "./commands/fence.js";
import { registerLvs } from "./commands/lvs.js";
import { registerNode } from "./commands/node.js";
import { registerResource } from "./commands/resource.js";
import { registerSimulate } from "./commands/simulate.js";
import { registerStandby } from "./commands/standby.js";
import { registerStatus } from "./commands/status.js";
import { registerTakeover } from "./commands/takeover.js";
import { registerVerify } from "./commands/verify.js";
import { registerWire } from "./commands/wire.js";
import { type CliIo, processIo } from "./io.js";

export { VERSION };

/** Shown by --help and rendered into hbctl(8) by scripts/man.mjs. */
const HBCTL_HELP_AFTER = `
Examples:
  hbctl status                     the running hbd's view (nodes, links, resources)
  hbctl verify /etc/ha.d           check a configuration offline
  hbctl standby all                Heartbeat's hb_standby all
  hbctl lvs status                 the director's real servers and weights

Exit status (every command):
  0  success            1  failure / warnings       2  usage or input error
  3  hbd not reachable  4  not permitted (not root, not in hbd's --group)
Each command's --help lists its own.`;

export function buildProgram(io: CliIo): Command {
  const program = new Command("hbctl")
    .description("Control and inspect a Tandem cluster (Heartbeat-compatible).")
    .version(VERSION, "-V, --version")
    .addHelpText("after", HBCTL_HELP_AFTER)
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  registerVerify(program, io);
  registerWire(program, io);
  registerConvert(program, io);
  registerResource(program, io);
  registerSimulate(program, io);
  registerStatus(program, io);
  registerCl(program, io);
  registerLvs(program, io);
  registerStandby(program, io);
  registerFence(program, io);
  registerTakeover(program, io);
  registerCib(program, io);
  registerNode(program, io);
  return program;
}

export async function main(argv: readonly string[], io: CliIo): Promise<void> {
  const program = buildProgram(io);
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
