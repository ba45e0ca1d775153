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
// no top-level await: scripts/bundle-bins.mjs bundles this file as CommonJS (dist/src/bin/hb_standby.cjs)
void runHeartbeatTool("hb_standby", process.argv.slice(2), io, process.env.HBD_SOCKET || DEFAULT_SOCKET).then(
  () => {
    process.exitCode = io.code;
  },
);
