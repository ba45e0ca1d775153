/**
 * `hbctl convert haresources [--ha-cf FILE] [FILE] [-o OUT]`: writes a cib.xml
 * for a legacy haresources setup (a group per line, a location preference for
 * the named node, stickiness from ha.cf's auto_failback).
 */
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Command } from "commander";
import { type Diagnostic, formatDiagnostic } from "../../base/diag.js";
import { ExitCode } from "../../base/errors.js";
import { serializeCib } from "../../cib/serialize.js";
import { parseHaCf } from "../../config/hacf.js";
import { parseHaresources } from "../../config/haresources.js";
import type { AutoFailback, StonithHost } from "../../config/model.js";
import { readInput } from "../../config/read.js";
import { convertHaresources } from "../../config/to-cib.js";
import type { CliIo } from "../io.js";

interface ConvertOpts {
  haCf?: string;
  output?: string;
}

export function runConvertHaresources(file: string | undefined, opts: ConvertOpts, io: CliIo): void {
  const path = file ?? "/etc/ha.d/haresources";
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
  const hacfPath = opts.haCf ?? join(dirname(path), "ha.cf");
  const hacf = readInput(hacfPath);
  if (hacf.text !== undefined) {
    const r = parseHaCf(hacf.text, hacf.path, { haresourcesPresent: true });
    // only the problems that change the conversion matter here; `hbctl verify` reports the rest
    diagnostics.push(...r.diagnostics.filter((d) => d.severity === "error"));
    nodes = r.value.nodes;
    autoFailback = r.value.autoFailback;
    stonith = r.value.stonithHosts ?? [];
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
  const xml = serializeCib(convertHaresources(parsed.value, { autoFailback, nodes: allNodes, stonith }));
  if (opts.output) {
    writeFileSync(opts.output, xml, { mode: 0o600 });
    io.err(
      `hbctl convert: wrote ${opts.output} (${parsed.value.length} group(s), auto_failback ${autoFailback})`,
    );
  } else {
    io.out(xml);
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
        "and broadcast correctly (Heartbeat's haresources2cib.py swapped netmask and nic; Tandem does not).\n\n" +
        "Exit status: 0 converted, 1 converted with warnings, 2 not converted.",
    )
    .argument("[file]", "haresources file", "/etc/ha.d/haresources")
    .option(
      "--ha-cf <file>",
      "ha.cf with the node list and auto_failback (default: beside the haresources file)",
    )
    .option("-o, --output <file>", "write the CIB here (mode 600) instead of standard output")
    .addHelpText(
      "after",
      "\nExamples:\n  hbctl convert haresources > cib.xml\n  hbctl convert haresources examples/heartbeat-lvs-dr/haresources -o /tmp/cib.xml",
    )
    .action((file: string | undefined, opts: ConvertOpts) => runConvertHaresources(file, opts, io));
}
