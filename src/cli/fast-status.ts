/**
 * `hbctl status` without commander: the most frequent call (scripts, monitoring,
 * `watch`) parses its few options here, so commander (about 20 ms of CPU to
 * load) is not loaded for it. Only the plain forms are taken: `--json`,
 * `--socket PATH` and `--timeout MS` (also `--opt=value`); anything else
 * (--help, --watch, an unknown option, a missing value) returns undefined and
 * the full program parses it, with its own errors and help.
 */
import { DEFAULT_SOCKET, DEFAULT_TIMEOUT_MS } from "./client.js";

/** The options runStatus takes, as commander would give them. */
export interface FastStatusOptions {
  json?: boolean;
  socket: string;
  timeout: string;
  interval: string;
}

export function parseFastStatus(argv: readonly string[]): FastStatusOptions | undefined {
  if (argv[0] !== "status") return undefined;
  const opts: FastStatusOptions = {
    socket: DEFAULT_SOCKET,
    timeout: String(DEFAULT_TIMEOUT_MS),
    interval: "2",
  };
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i] ?? "";
    if (a === "--json") {
      opts.json = true;
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
  return opts;
}
