/** hbctl's full command tree (main.ts loads it for every verb but `simulate`). */
import type { Command } from "commander";
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
import { newProgram } from "./root.js";

export function buildProgram(io: CliIo, version: string): Command {
  const program = newProgram(io, version);
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
