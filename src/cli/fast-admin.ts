/**
 * `hbctl standby`, `hbctl online` and `hbctl takeover` without commander, as
 * fast-status.ts does for status: a planned move starts with one of them, so
 * its start-up is part of the move (issue 15 §3). Only the plain forms are
 * taken: at most one argument (a node or a Heartbeat keyword; takeover's must
 * be a keyword), `--json`, `--socket PATH`, `--timeout MS` (also
 * `--opt=value`). Anything else (--help, an unknown option, a missing value,
 * an argument starting with "-", a second argument, a wrong takeover keyword)
 * returns undefined and the full program parses it, with its own errors and help.
 */
import { HB_WHICH, type HbWhich, type IpcMethod } from "../ipc/protocol.js";
import { DEFAULT_SOCKET, DEFAULT_TIMEOUT_MS } from "./client.js";
import { runAdmin, standbyParams } from "./commands/standby.js";
import type { CliIo } from "./io.js";

/** What runAdmin takes for one call, as the commander actions build it. */
export interface FastAdmin {
  readonly method: Extract<IpcMethod, "standby" | "online" | "takeover">;
  readonly params: Readonly<Record<string, string>> | undefined;
  readonly opts: { socket: string; timeout: string; json?: boolean };
}

const isWhich = (s: string): s is HbWhich => HB_WHICH.includes(s as HbWhich);

export function parseFastAdmin(argv: readonly string[]): FastAdmin | undefined {
  const method = argv[0];
  if (method !== "standby" && method !== "online" && method !== "takeover") return undefined;
  const opts: FastAdmin["opts"] = { socket: DEFAULT_SOCKET, timeout: String(DEFAULT_TIMEOUT_MS) };
  let arg: string | undefined;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i] ?? "";
    if (a === "--json") {
      opts.json = true;
      continue;
    }
    if (!a.startsWith("-")) {
      if (arg !== undefined || a === "") return undefined; // a second argument: commander's error
      arg = a;
      continue;
    }
    const eq = a.indexOf("=");
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (name !== "--socket" && name !== "--timeout") return undefined;
    const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
    if (value === undefined || value === "" || value.startsWith("-")) return undefined;
    if (name === "--socket") opts.socket = value;
    else opts.timeout = value;
  }
  // the same params as the commander actions in commands/standby.ts and commands/takeover.ts
  if (method === "takeover") {
    const which = arg ?? "all";
    return isWhich(which) ? { method, params: { which }, opts } : undefined;
  }
  if (method === "standby") return { method, params: standbyParams(arg), opts };
  return { method, params: arg === undefined ? undefined : { node: arg }, opts };
}

/** Sends the request and prints hbd's answer, as the commander action does. Rejects with IpcClientError. */
export async function runFastAdmin(a: FastAdmin, io: CliIo): Promise<void> {
  await runAdmin(a.method, a.params, a.opts, io);
}
