/**
 * hbctl's command tree, apart from main.ts so tools (scripts/man.mjs) can walk
 * it without running a command: the man page hbctl(8) is this tree's --help.
 */
import { Command } from "commander";
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
import type { CliIo } from "./io.js";

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
