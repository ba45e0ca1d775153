#!/usr/bin/env node
/**
 * hb_standby [all|foreign|local|failback]: Heartbeat's hb_standby for old scripts,
 * a thin wrapper over `hbctl standby KEYWORD` (see src/cli/commands/takeover.ts
 * runHeartbeatTool and docs/ADMIN.md). hbd's socket: $HBD_SOCKET, default
 * /run/tandem/hbd.sock.
 */
import { DEFAULT_SOCKET } from "./client.js";
import { runHeartbeatTool } from "./commands/takeover.js";
import { processIo } from "./io.js";

const io = processIo();
await runHeartbeatTool("hb_standby", process.argv.slice(2), io, process.env.HBD_SOCKET || DEFAULT_SOCKET);
process.exitCode = io.code;
