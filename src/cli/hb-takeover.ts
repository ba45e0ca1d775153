#!/usr/bin/env node
/**
 * hb_takeover [all|foreign|local|failback]: Heartbeat's hb_takeover for old scripts,
 * a thin wrapper over `hbctl takeover KEYWORD` (see src/cli/commands/takeover.ts
 * runHeartbeatTool and docs/ADMIN.md). hbd's socket: $HBD_SOCKET, default
 * /run/tandem/hbd.sock.
 */
import { DEFAULT_SOCKET } from "./client.js";
import { runHeartbeatTool } from "./commands/takeover.js";
import { processIo } from "./io.js";

const io = processIo();
await runHeartbeatTool("hb_takeover", process.argv.slice(2), io, process.env.HBD_SOCKET || DEFAULT_SOCKET);
process.exitCode = io.code;
