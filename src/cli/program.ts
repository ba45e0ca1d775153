/**
 * hbctl's program: the command modules, loaded on demand (src/cli/main.ts
 * runs it; kept apart so tests and scripts/man.mjs, which renders hbctl(8)
 * from this tree's --help, can build it without running a command).
 */
import { Command } from "../base/commander.js";
import { VERSION } from "../base/version.js";
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

type Register = (program: Command, io: CliIo) => void;

/**
 * Every command module, in --help order, with the top-level command names it
 * registers (test/unit/cli/lazy.test.ts checks these against the modules).
 * A call naming one of them loads only that module: loading all of them
 * (zod, execa, the XML parser, the policy engine) was most of hbctl's start-up.
 */
export const COMMAND_MODULES: readonly (readonly [readonly string[], () => Promise<Register>])[] = [
  [["verify"], async () => (await import("./commands/verify.js")).registerVerify],
  [["wire"], async () => (await import("./commands/wire.js")).registerWire],
  [["convert"], async () => (await import("./commands/convert.js")).registerConvert],
  [["resource"], async () => (await import("./commands/resource.js")).registerResource],
  [["simulate"], async () => (await import("./commands/simulate.js")).registerSimulate],
  [["status"], async () => (await import("./commands/status.js")).registerStatus],
  [["cl"], async () => (await import("./commands/cl.js")).registerCl],
  [["lvs"], async () => (await import("./commands/lvs.js")).registerLvs],
  [["standby", "online"], async () => (await import("./commands/standby.js")).registerStandby],
  [["fence"], async () => (await import("./commands/fence.js")).registerFence],
  [["takeover"], async () => (await import("./commands/takeover.js")).registerTakeover],
  [["cib"], async () => (await import("./commands/cib.js")).registerCib],
  [["node"], async () => (await import("./commands/node.js")).registerNode],
];

/** The program with the command `argv` names (every command for --help, a bad name or none). */
export async function buildProgram(io: CliIo, argv: readonly string[] = []): Promise<Command> {
  const program = new Command("hbctl")
    .description("Control and inspect a Tandem cluster (Heartbeat-compatible).")
    .version(VERSION, "-V, --version")
    .addHelpText("after", HBCTL_HELP_AFTER)
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  const first = argv[0];
  const one = COMMAND_MODULES.find(([names]) => first !== undefined && names.includes(first));
  const load = one ? [one] : COMMAND_MODULES;
  const registers = await Promise.all(load.map(([, get]) => get()));
  for (const register of registers) register(program, io);
  return program;
}
