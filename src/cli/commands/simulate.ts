/**
 * `hbctl simulate CIB.xml [--node-up N] [--node-down N] [--node-fail N]
 * [--op-fail RSC_OP_INTERVAL@NODE=RC] [--now ISO] [--scores] [--all] [--json]`:
 * runs the policy engine offline on a CIB, after applying simulated events,
 * and prints the decision in the `# oracle v1` format (as crm_simulate would
 * decide it) or as JSON.
 */
import { basename } from "node:path";
import type { Command } from "commander";
import { formatDiagnostic } from "../../base/diag.js";
import { ExitCode, UsageError } from "../../base/errors.js";
import type { Cib } from "../../cib/model.js";
import { parseCib } from "../../cib/parse.js";
import { readInput } from "../../config/read.js";
import { nodeDown, nodeFail, nodeUp, opFail, parseOpFailSpec } from "../../policy/inject.js";
import { renderOracle } from "../../policy/oracle.js";
import { schedule } from "../../policy/schedule.js";
import type { CliIo } from "../io.js";

interface SimulateOpts {
  nodeUp: string[];
  nodeDown: string[];
  nodeFail: string[];
  opFail: string[];
  now?: string;
  scores?: boolean;
  all?: boolean;
  json?: boolean;
}

function knownNode(cib: Cib, n: string, flag: string): string {
  if (!cib.configuration.nodes.some((x) => x.uname === n)) {
    const names = cib.configuration.nodes.map((x) => x.uname).join(", ");
    throw new UsageError(`${flag} ${n}: no such node in the CIB (nodes: ${names || "none"})`);
  }
  return n;
}

export function runSimulate(file: string, opts: SimulateOpts, io: CliIo): void {
  const now = opts.now === undefined ? new Date() : new Date(opts.now);
  if (Number.isNaN(now.getTime()))
    throw new UsageError(`--now "${opts.now}": expected an ISO 8601 time, e.g. 2024-01-01T00:00:00Z`);
  const f = readInput(file);
  if (f.text === undefined) {
    io.err(`hbctl simulate: cannot read ${file}: ${f.readError ?? "file not found"}`);
    io.exit(ExitCode.usage);
    return;
  }
  const parsed = parseCib(f.text, file);
  const errors = parsed.diagnostics.filter((d) => d.severity === "error");
  for (const d of parsed.diagnostics) io.err(formatDiagnostic(d));
  if (!parsed.value || errors.length > 0) {
    io.err("hbctl simulate: the CIB is not valid; nothing simulated");
    io.exit(ExitCode.errors);
    return;
  }
  let cib = parsed.value;
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
  const transition = schedule(cib, now);
  if (opts.json) {
    io.out(JSON.stringify({ version: 1, now: now.toISOString(), transition }, null, 2));
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

const collect = (v: string, prev: string[]) => [...prev, v];

export function registerSimulate(program: Command, io: CliIo): void {
  program
    .command("simulate")
    .summary("run the policy engine offline on a CIB")
    .description(
      "Run the policy engine on a CIB file, after applying simulated events, and print its decision: node states, " +
        "where each resource will run, the transition summary, the actions in execution order and the order edges " +
        "between them (the `# oracle v1` format, comparable with crm_simulate). Nothing is changed.\n\n" +
        "Exit status: 0 simulated, 2 the CIB or an option is invalid.",
    )
    .argument("<cib>", "cib.xml (Pacemaker or Heartbeat-2 schema)")
    .option("--node-up <node>", "bring a node online first (repeatable)", collect, [])
    .option("--node-down <node>", "take a node offline cleanly (repeatable)", collect, [])
    .option("--node-fail <node>", "make a node fail: offline and unclean (repeatable)", collect, [])
    .option(
      "--op-fail <spec>",
      "record a failed operation RSC_OP_INTERVAL@NODE=RC, e.g. vip_monitor_10000@n1=7 (repeatable)",
      collect,
      [],
    )
    .option("--now <iso>", "the scheduler's clock, for failure-timeout (default: now)")
    .option("--scores", "also print allocation scores")
    .option("--all", "also list probes and recurring monitors")
    .option("--json", "print the transition as JSON")
    .addHelpText(
      "after",
      "\nExamples:\n  hbctl simulate cib.xml --node-fail primarylb\n  hbctl simulate cib.xml --op-fail ip_monitor_10000@primarylb=7 --scores\n  hbctl simulate cib.xml --now 2024-01-01T00:00:00Z",
    )
    .action((file: string, opts: SimulateOpts) => runSimulate(file, opts, io));
}
