/**
 * `hbctl convert haresources [--ha-cf FILE] [--for tandem|pacemaker] [FILE] [-o OUT]`:
 * writes a cib.xml for a legacy haresources setup (a group per line, a location
 * preference for the named node, stickiness from ha.cf's auto_failback), with
 * the agent names Tandem runs (default) or those real Pacemaker runs, and says
 * which it wrote.
 */

import { existsSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Command } from "commander";
import { type Diagnostic, formatDiagnostic } from "../../base/diag.js";
import { ExitCode } from "../../base/errors.js";
import type { Cib } from "../../cib/model.js";
import { primitives } from "../../cib/query.js";
import { serializeCib } from "../../cib/serialize.js";
import type { AlertSpec } from "../../config/alert-spec.js";
import { parseHaCf } from "../../config/hacf.js";
import { parseHaresources } from "../../config/haresources.js";
import type { AutoFailback, StonithHost } from "../../config/model.js";
import { readInput, resourceDirs, shippedAgents } from "../../config/read.js";
import { type AgentNaming, convertHaresources, formatAgentName } from "../../config/to-cib.js";
import type { CliIo } from "../io.js";

interface ConvertOpts {
  haCf?: string;
  output?: string;
  for: string;
}

/** The distinct class:provider:type names of a converted CIB's resources. */
function agentNames(cib: Cib): string[] {
  return [...new Set(primitives(cib).map(({ primitive: p }) => formatAgentName(p)))];
}

export function runConvertHaresources(file: string | undefined, opts: ConvertOpts, io: CliIo): void {
  const path = file ?? "/etc/ha.d/haresources";
  if (opts.for !== "tandem" && opts.for !== "pacemaker") {
    io.err(`hbctl convert: --for ${opts.for}: expected tandem or pacemaker`);
    io.exit(ExitCode.usage);
    return;
  }
  const dirs = resourceDirs(dirname(path));
  const agents: AgentNaming = {
    target: opts.for,
    shipped: shippedAgents(),
    inResourceD: (name) => dirs.some((d) => existsSync(join(d, name))),
  };
  const hr = readInput(path);
  if (hr.text === undefined) {
    io.err(`hbctl convert: cannot read ${path}: ${hr.readError ?? "file not found"}`);
    io.exit(ExitCode.usage);
    return;
  }
  const diagnostics: Diagnostic[] = [];
  let nodes: readonly string[] | undefined;
  let autoFailback: AutoFailback = "legacy";
  let stonith: readonly StonithHost[] = [];
  let alerts: readonly AlertSpec[] = [];
  const hacfPath = opts.haCf ?? join(dirname(path), "ha.cf");
  const hacf = readInput(hacfPath);
  if (hacf.text !== undefined) {
    const r = parseHaCf(hacf.text, hacf.path, { haresourcesPresent: true });
    // only the problems that change the conversion matter here; `hbctl verify` reports the rest
    diagnostics.push(...r.diagnostics.filter((d) => d.severity === "error"));
    nodes = r.value.nodes;
    autoFailback = r.value.autoFailback;
    stonith = r.value.stonithHosts ?? [];
    alerts = r.value.alerts ?? [];
  } else if (opts.haCf !== undefined) {
    io.err(`hbctl convert: cannot read ${hacfPath}: ${hacf.readError ?? "file not found"}`);
    io.exit(ExitCode.usage);
    return;
  } else {
    diagnostics.push({
      file: hacfPath,
      line: 0,
      severity: "warning",
      code: "convert.no-hacf",
      message:
        'no ha.cf beside haresources: nodes are taken from haresources and auto_failback is "legacy" (treated as on); pass --ha-cf',
    });
  }
  const parsed = parseHaresources(hr.text, hr.path, nodes ? { nodes } : {});
  diagnostics.push(...parsed.diagnostics);
  for (const d of diagnostics) io.err(formatDiagnostic(d));
  if (diagnostics.some((d) => d.severity === "error")) {
    io.err("hbctl convert: not converted: fix the errors above");
    io.exit(ExitCode.errors);
    return;
  }
  const allNodes = nodes ?? [...new Set(parsed.value.map((g) => g.node))];
  const cib = convertHaresources(parsed.value, { autoFailback, nodes: allNodes, stonith, agents, alerts });
  const xml = serializeCib(cib);
  const names = `agent names for ${opts.for === "tandem" ? "Tandem" : "Pacemaker"}: ${agentNames(cib).join(", ")}`;
  const other = opts.for === "tandem" ? "--for pacemaker writes the names real Pacemaker runs" : "";
  if (opts.output) {
    writeFileSync(opts.output, xml, { mode: 0o600 });
    io.err(
      `hbctl convert: wrote ${opts.output} (${parsed.value.length} group(s), auto_failback ${autoFailback}); ${names}${other ? `; ${other}` : ""}`,
    );
  } else {
    io.out(xml);
    io.err(`hbctl convert: ${names}${other ? `; ${other}` : ""}`);
  }
  io.exit(diagnostics.length > 0 ? ExitCode.warnings : ExitCode.ok);
}

export function registerConvert(program: Command, io: CliIo): void {
  const convert = program
    .command("convert")
    .summary("convert legacy configuration")
    .description("Convert legacy Heartbeat configuration.");
  convert
    .command("haresources")
    .summary("write a cib.xml for a haresources setup")
    .description(
      "Write a cib.xml equivalent to a Heartbeat haresources file: one group per line (resources in line order), " +
        "a +100 location preference for the line's node, and resource stickiness from ha.cf's auto_failback " +
        "(on or legacy: 0, resources fail back; off: 1000, they stay). IPaddr arguments map to ip, cidr_netmask, nic " +
        "and broadcast correctly (Heartbeat's haresources2cib.py swapped netmask and nic; Tandem does not). " +
        "The agent names are those Tandem runs, or with --for pacemaker those real Pacemaker runs; which were written is printed on standard error.\n\n" +
        "Exit status: 0 converted, 1 converted with warnings, 2 not converted.",
    )
    .argument("[file]", "haresources file", "/etc/ha.d/haresources")
    .option(
      "--ha-cf <file>",
      "ha.cf with the node list and auto_failback (default: beside the haresources file)",
    )
    .option("-o, --output <file>", "write the CIB here (mode 600) instead of standard output")
    .option(
      "--for <manager>",
      "agent names: tandem (what hbd runs: ocf:tandem:T for agents Tandem ships, heartbeat:NAME for resource.d scripts) or pacemaker (ocf:heartbeat:T, lsb:NAME, as real Pacemaker runs them)",
      "tandem",
    )
    .addHelpText(
      "after",
      "\nExamples:\n  hbctl convert haresources > cib.xml\n  hbctl convert haresources examples/heartbeat-lvs-dr/haresources -o /tmp/cib.xml\n  hbctl convert haresources --for pacemaker -o /tmp/cib-pacemaker.xml",
    )
    .action((file: string | undefined, opts: ConvertOpts) => runConvertHaresources(file, opts, io));
}
