/**
 * `hbctl simulate` without commander: a user runs it on one CIB and waits for the answer,
 * so its start-up counts against crm_simulate's (issue 17). The plain forms are parsed
 * here — a CIB file, `--now`, `--scores`, `--all`, `--json`, the repeatable event options
 * and `--replay` / `--list-inputs` / `--state-dir` (also `--opt=value`) — so commander
 * (about 30 ms of CPU to load and build) is not loaded for them. Anything else (--help,
 * an unknown option, a missing value, a value starting with '-', a second file, `--`)
 * returns undefined and the full program parses it, with its own errors and help.
 */

/** hbd's state directory (pe-input files under pengine/). */
export const DEFAULT_STATE_DIR = "/var/lib/tandem";

/** The options runSimulate takes, as commander would give them. */
export interface SimulateOpts {
  nodeUp: string[];
  nodeDown: string[];
  nodeFail: string[];
  opFail: string[];
  now?: string;
  replay?: string;
  listInputs?: boolean;
  stateDir: string;
  scores?: boolean;
  all?: boolean;
  json?: boolean;
}

const FLAGS = {
  "--scores": "scores",
  "--all": "all",
  "--json": "json",
  "--list-inputs": "listInputs",
} as const;
const LISTS = {
  "--node-up": "nodeUp",
  "--node-down": "nodeDown",
  "--node-fail": "nodeFail",
  "--op-fail": "opFail",
} as const;
const VALUES = { "--now": "now", "--replay": "replay", "--state-dir": "stateDir" } as const;

const has = <T extends object>(o: T, k: string): k is Extract<keyof T, string> => Object.hasOwn(o, k);

export function parseFastSimulate(
  argv: readonly string[],
): { file: string | undefined; opts: SimulateOpts } | undefined {
  if (argv[0] !== "simulate") return undefined;
  const opts: SimulateOpts = {
    nodeUp: [],
    nodeDown: [],
    nodeFail: [],
    opFail: [],
    stateDir: DEFAULT_STATE_DIR,
  };
  let file: string | undefined;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i] ?? "";
    if (has(FLAGS, a)) {
      opts[FLAGS[a]] = true;
      continue;
    }
    if (!a.startsWith("-")) {
      if (file !== undefined || a === "") return undefined;
      file = a;
      continue;
    }
    const eq = a.indexOf("=");
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (!has(LISTS, name) && !has(VALUES, name)) return undefined;
    const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
    if (value === undefined || value === "" || value.startsWith("-")) return undefined;
    if (has(LISTS, name)) opts[LISTS[name]].push(value);
    else opts[VALUES[name as keyof typeof VALUES]] = value;
  }
  return { file, opts };
}
