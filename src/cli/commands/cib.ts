/**
 * `hbctl cib show` (the CIB hbd holds: XML, or with --json its version and
 * counts) and `hbctl cib apply FILE` (FILE validated here first, as `hbctl
 * verify FILE` does, every problem printed as FILE:LINE and nothing sent;
 * then the DC replaces the configuration section, keeps the status, puts the
 * epoch above both the current one and FILE's, persists and replicates it).
 */
import type { Command } from "commander";
import { type Diagnostic, formatDiagnostic, sortDiagnostics } from "../../base/diag.js";
import { ExitCode } from "../../base/errors.js";
import { parseCib } from "../../cib/parse.js";
import { readInput } from "../../config/read.js";
import type { CibShowResult } from "../../ipc/protocol.js";
import { parseTimeout, request } from "../client.js";
import type { CliIo } from "../io.js";
import { jsonDocument } from "../json.js";
import { ADMIN_EXIT, type AdminOptions, runAdmin, withAdminOptions } from "./standby.js";

/** The --json form of `cib show`: versions and counts (no XML). */
export function cibShowJson(r: CibShowResult): object {
  const { xml: _xml, version, ...rest } = r;
  return { cibVersion: version, ...rest };
}

export async function runCibShow(opts: AdminOptions, io: CliIo): Promise<void> {
  const r = await request<CibShowResult>("cib-show", undefined, opts.socket, parseTimeout(opts.timeout));
  io.out(opts.json ? jsonDocument(cibShowJson(r)) : r.xml);
}

/** Validates a CIB file offline: its text, or the problems (file:line) that refuse it. */
export function checkCibFile(path: string): { xml?: string; problems: Diagnostic[]; warnings: Diagnostic[] } {
  const f = readInput(path);
  if (f.text === undefined) {
    const d: Diagnostic = {
      file: path,
      line: 0,
      severity: "error",
      code: "load.missing",
      message: f.readError ?? "file not found",
    };
    return { problems: [d], warnings: [] };
  }
  const ds = sortDiagnostics(parseCib(f.text, path).diagnostics);
  const problems = ds.filter((d) => d.severity === "error");
  const warnings = ds.filter((d) => d.severity === "warning");
  return problems.length > 0 ? { problems, warnings } : { xml: f.text, problems, warnings };
}

export async function runCibApply(file: string, opts: AdminOptions, io: CliIo): Promise<void> {
  const c = checkCibFile(file);
  if (c.xml === undefined) {
    if (opts.json) io.out(jsonDocument({ ok: false, file, problems: c.problems.map(formatDiagnostic) }));
    for (const d of [...c.problems, ...c.warnings]) io.err(formatDiagnostic(d));
    io.err(`hbctl: ${file}: ${c.problems.length} error(s); nothing changed`);
    io.exit(ExitCode.warnings);
    return;
  }
  for (const d of c.warnings) io.err(formatDiagnostic(d));
  await runAdmin("cib-apply", { xml: c.xml, file }, opts, io);
}

export function registerCib(program: Command, io: CliIo): void {
  const cib = program
    .command("cib")
    .summary("show or replace the CIB")
    .description("Show or replace the CIB.");
  withAdminOptions(
    cib
      .command("show")
      .summary("print the CIB hbd holds")
      .description(
        "Print this node's copy of the CIB (configuration and status) as XML; with --json its version (admin_epoch.epoch.num_updates), the DC and counts of nodes, resources, primitives and constraints.\n\n" +
          "Exit status: 0 answered, 3 hbd is not running or did not answer, 4 permission denied on the socket.",
      ),
  )
    .addHelpText("after", "\nExamples:\n  hbctl cib show > cib.xml\n  hbctl cib show --json | jq .cibVersion")
    .action((opts: AdminOptions) => runCibShow(opts, io));
  withAdminOptions(
    cib
      .command("apply")
      .summary("replace the configuration with a file's")
      .description(
        "Validate FILE (a cib.xml, Pacemaker or Heartbeat-2 schema) as `hbctl verify FILE` does; on errors print each as FILE:LINE: error: REASON, change nothing and exit 1. " +
          "Otherwise the DC replaces the configuration section with FILE's (the status section is kept), sets admin_epoch to the higher of both and the epoch one above the higher of the current and FILE's, persists it and replicates it to every node. " +
          "Refused in haresources mode (crm off), whose configuration comes from haresources.\n\n" +
          ADMIN_EXIT.replace("Exit status: 0", "Exit status: 1 FILE has errors (nothing changed), 0"),
      )
      .argument("<file>", "the new cib.xml"),
  )
    .addHelpText(
      "after",
      "\nExample:\n  hbctl cib show > /tmp/cib.xml && vi /tmp/cib.xml && hbctl cib apply /tmp/cib.xml",
    )
    .action((file: string, opts: AdminOptions) => runCibApply(file, opts, io));
}
