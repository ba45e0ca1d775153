/**
 * `hbctl simulate CIB.xml [--node-up N] [--node-down N] [--node-fail N]
 * [--op-fail RSC_OP_INTERVAL@NODE=RC] [--now ISO] [--scores] [--all] [--json]`:
 * runs the policy engine offline on a CIB, after applying simulated events,
 * and prints the decision in the `# oracle v1` format (as crm_simulate would
 * decide it) or as JSON. `--replay N|latest|FILE` takes a policy input saved
 * by hbd (STATE_DIR/pengine/pe-input-N.xml) instead; `--list-inputs` lists
 * them. The clock is --now, else the file's execution-date, else now.
 */
import { readdirSync } from "node:fs";
import { basename, join } from "node:path";
import type { Command } from "commander";
import { formatDiagnostic } from "../../base/diag.js";
import { ExitCode, UsageError } from "../../base/errors.js";
import type { Cib } from "../../cib/model.js";
import { parseCib } from "../../cib/parse.js";
import { EXECUTION_DATE, executionDate, peInputName, peInputNumbers } from "../../cib/pe-input.js";
import { readInput } from "../../config/read.js";
import { compatNotes } from "../../policy/compat.js";
import { nodeDown, nodeFail, nodeUp, opFail, parseOpFailSpec } from "../../policy/inject.js";
import { renderOracle } from "../../policy/oracle.js";
import { schedule } from "../../policy/schedule.js";
import { DEFAULT_STATE_DIR, type SimulateOpts } from "../fast-simulate.js";
import type { CliIo } from "../io.js";
import { jsonDocument } from "../json.js";

function knownNode(cib: Cib, n: string, flag: string): string {
  if (!cib.configuration.nodes.some((x) => x.uname === n)) {
    const names = cib.configuration.nodes.map((x) => x.uname).join(", ");
    throw new UsageError(`${flag} ${n}: no such node in the CIB (nodes: ${names || "none"})`);
  }
  return n;
}

function savedInputs(stateDir: string): { dir: string; numbers: number[] } {
  const dir = join(stateDir, "pengine");
  try {
    return { dir, numbers: peInputNumbers(readdirSync(dir)) };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { dir, numbers: [] };
    throw new UsageError(`cannot read ${dir}: ${(e as Error).message}`);
  }
}

/** The file `--replay` names: a saved input's number, `latest`, or a path. */
function replayFile(which: string, stateDir: string): string {
  if (which !== "latest" && !/^\d{1,12}$/.test(which)) return which;
  const { dir, numbers } = savedInputs(stateDir);
  const n = which === "latest" ? numbers.at(-1) : Number(which);
  if (n === undefined) throw new UsageError(`no saved policy inputs in ${dir}`);
  if (!numbers.includes(n))
    throw new UsageError(
      `no saved policy input ${n} in ${dir} (saved: ${numbers.length === 0 ? "none" : `${numbers[0]}..${numbers.at(-1)}`})`,
    );
  return join(dir, peInputName(n));
}

/** `--list-inputs`: the saved inputs, oldest first, with their execution dates. */
function listInputs(stateDir: string, io: CliIo, json: boolean): void {
  const { dir, numbers } = savedInputs(stateDir);
  const rows = numbers.map((n) => {
    const file = join(dir, peInputName(n));
    const text = readInput(file).text;
    const cib = text === undefined ? undefined : parseCib(text, file).value;
    const at = cib === undefined ? undefined : executionDate(cib);
    return { n, file, ...(at === undefined ? {} : { executionDate: new Date(at).toISOString() }) };
  });
  if (json) io.out(jsonDocument({ dir, inputs: rows }));
  else if (rows.length === 0) io.out(`no saved policy inputs in ${dir}`);
  else io.out(rows.map((r) => `${r.n}\t${r.executionDate ?? "?"}\t${r.file}`).join("\n"));
  io.exit(ExitCode.ok);
}

export function runSimulate(fileArg: string | undefined, opts: SimulateOpts, io: CliIo): void {
  if (opts.listInputs) {
    listInputs(opts.stateDir, io, opts.json === true);
    return;
  }
  if (fileArg !== undefined && opts.replay !== undefined)
    throw new UsageError("give either a CIB file or --replay, not both");
  const file = opts.replay !== undefined ? replayFile(opts.replay, opts.stateDir) : fileArg;
  if (file === undefined)
    throw new UsageError("a CIB file, --replay N|latest|FILE or --list-inputs is needed");
  let now = opts.now === undefined ? undefined : new Date(opts.now);
  if (now !== undefined && Number.isNaN(now.getTime()))
    throw new UsageError(`--now "${opts.now}": expected an ISO 8601 time, e.g. 2024-01-01T00:00:00Z`);
  const f = readInput(file);
  if (f.text === undefined) {
    io.err(`hbctl simulate: cannot read ${file}: ${f.readError ?? "file not found"}`);
    io.exit(ExitCode.usage);
    return;
  }
  const parsed = parseCib(f.text, file);
  // stonith-enabled without a fencing device: `verify` refuses it, but Pacemaker still decides
  // (nothing starts), so simulate shows that decision with the warning
  const diagnostics = parsed.diagnostics.map((d) =>
    d.code === "cib.no-stonith-device" ? { ...d, severity: "warning" as const } : d,
  );
  const errors = diagnostics.filter((d) => d.severity === "error");
  for (const d of diagnostics) io.err(formatDiagnostic(d));
  if (!parsed.value || errors.length > 0) {
    io.err("hbctl simulate: the CIB is not valid; nothing simulated");
    io.exit(ExitCode.errors);
    return;
  }
  let cib = parsed.value;
  if (now === undefined) {
    const at = executionDate(cib);
    now = at === undefined ? new Date() : new Date(at);
  }
  for (const n of opts.nodeUp) cib = nodeUp(cib, knownNode(cib, n, "--node-up"));
  for (const n of opts.nodeDown) cib = nodeDown(cib, knownNode(cib, n, "--node-down"));
  for (const n of opts.nodeFail) cib = nodeFail(cib, knownNode(cib, n, "--node-fail"));
  for (const s of opts.opFail) {
    const spec = parseOpFailSpec(s);
    if (!spec)
      throw new UsageError(`--op-fail "${s}": expected RSC_OP_INTERVAL@NODE=RC, e.g. vip_monitor_10000@n1=7`);
    knownNode(cib, spec.node, "--op-fail");
    cib = opFail(cib, spec, now);
  }
  // features Tandem's engine decides differently from Pacemaker's (issue 17 rows 11-14): said, never silent
  const differences = compatNotes(cib);
  for (const d of differences) io.err(`${file}: warning: differs from Pacemaker: ${d.message}`);
  const transition = schedule(cib, now);
  if (opts.json) {
    io.out(jsonDocument({ now: now.toISOString(), transition, differences }));
  } else {
    io.out(
      renderOracle(transition, cib, {
        name: basename(file).replace(/\.xml$/, ""),
        ...(opts.scores ? { scores: true } : {}),
        ...(opts.all ? { all: true } : {}),
      }),
    );
  }
  io.exit(ExitCode.ok);
}

export { DEFAULT_STATE_DIR };

const collect = (v: string, prev: string[]) => [...prev, v];

export function registerSimulate(program: Command, io: CliIo): void {
  program
    .command("simulate")
    .summary("run the policy engine offline on a CIB")
    .description(
      "Run the policy engine on a CIB file, after applying simulated events, and print its decision: node states, " +
        "where each resource will run, the transition summary, the actions in execution order and the order edges " +
        "between them (the `# oracle v1` format, comparable with crm_simulate). Nothing is changed.\n\n" +
        "Every transition hbd's DC runs saves its input as STATE_DIR/pengine/pe-input-N.xml (the newest " +
        "pe-input-series-max, default 400, are kept); --replay recomputes one exactly as the DC did.\n\n" +
        "Decides as Pacemaker 2.1.5's scheduler does; the known differences (allow-migrate, collocated/ordered=false " +
        "groups, globally-unique clones with clone-node-max > 1, some clone placements) are listed in " +
        "docs/POLICY-COMPAT.md, and a CIB using one gets a warning on stderr per use " +
        '("FILE: warning: differs from Pacemaker: ..."; in --json, the `differences` list). ' +
        "stonith-enabled=true without a fencing device is a warning here (Pacemaker starts nothing), an error in verify.\n\n" +
        "Exit status: 0 simulated, 2 the CIB or an option is invalid.",
    )
    .argument("[cib]", "cib.xml (Pacemaker or Heartbeat-2 schema)")
    .option("--node-up <node>", "bring a node online first (repeatable)", collect, [])
    .option("--node-down <node>", "take a node offline cleanly (repeatable)", collect, [])
    .option("--node-fail <node>", "make a node fail: offline and unclean (repeatable)", collect, [])
    .option(
      "--op-fail <spec>",
      "record a failed operation RSC_OP_INTERVAL@NODE=RC, e.g. vip_monitor_10000@n1=7 (repeatable)",
      collect,
      [],
    )
    .option(
      "--now <iso>",
      `the scheduler's clock, for failure-timeout (default: the file's ${EXECUTION_DATE}, else now)`,
    )
    .option(
      "--replay <which>",
      "replay a policy input saved by hbd: its number, `latest`, or a file (events above still apply)",
    )
    .option("--list-inputs", "list the policy inputs hbd saved (number, execution date, file)")
    .option("--state-dir <dir>", "hbd's state directory, for --replay and --list-inputs", DEFAULT_STATE_DIR)
    .option("--scores", "also print allocation scores")
    .option("--all", "also list probes and recurring monitors")
    .option("--json", "print the transition as JSON")
    .addHelpText(
      "after",
      "\nExamples:\n  hbctl simulate cib.xml --node-fail primarylb\n  hbctl simulate cib.xml --op-fail ip_monitor_10000@primarylb=7 --scores\n  hbctl simulate cib.xml --now 2024-01-01T00:00:00Z\n  hbctl simulate --list-inputs\n  hbctl simulate --replay latest --scores",
    )
    .action((file: string | undefined, opts: SimulateOpts) => runSimulate(file, opts, io));
}
