/**
 * `hbctl verify [DIR] [--config FILE] [--node NAME] [--json]`: loads and
 * validates a configuration offline, reporting every problem as
 * `file:line: error|warning: reason`. Exit 0 clean, 1 warnings only, 2 errors.
 */
import { statSync } from "node:fs";
import type { Command } from "commander";
import { type Diagnostic, formatDiagnostic, sortDiagnostics } from "../../base/diag.js";
import { ExitCode } from "../../base/errors.js";
import type { Cib } from "../../cib/model.js";
import type { LoadResult } from "../../config/load.js";
import {
  DEFAULT_CONFIG_DIR,
  DEFAULT_STATE_DIR,
  describeFsError,
  HEARTBEAT_CIB,
  readHaD,
  readHost,
  readInput,
} from "../../config/read.js";
import type { CliIo } from "../io.js";
import { jsonDocument } from "../json.js";

interface VerifyOptions {
  config?: string;
  stateDir?: string;
  heartbeatCib?: string;
  node?: string;
  json?: boolean;
}

export function verifyExitCode(ds: readonly Diagnostic[]): number {
  if (ds.some((d) => d.severity === "error")) return ExitCode.errors;
  if (ds.some((d) => d.severity === "warning")) return ExitCode.warnings;
  return ExitCode.ok;
}

/** Validates a cib.xml (Pacemaker or Heartbeat-2 schema) offline. */
async function verifyCib(path: string): Promise<LoadResult> {
  const f = readInput(path);
  if (f.text === undefined) {
    return {
      diagnostics: [
        {
          file: path,
          line: 0,
          severity: "error",
          code: "load.missing",
          message: f.readError ?? "file not found",
        },
      ],
      inert: [],
      files: [path],
    };
  }
  const { parseCib } = await import("../../cib/parse.js");
  const r = parseCib(f.text, path);
  return { diagnostics: r.diagnostics, inert: [], files: [path], ...(r.value ? { cib: r.value } : {}) };
}

/** Whether `path` is a regular file; a file-system error other than ENOENT is reported and exits 2. */
function targetIsFile(path: string, io: CliIo): boolean | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false })?.isFile() === true;
  } catch (e) {
    io.err(`hbctl verify: cannot read ${describeFsError(path, e)}`);
    io.exit(ExitCode.errors);
    return undefined;
  }
}

export async function runVerify(target: string | undefined, opts: VerifyOptions, io: CliIo): Promise<void> {
  const path = target ?? DEFAULT_CONFIG_DIR;
  const isFile = opts.config ? false : targetIsFile(path, io);
  if (isFile === undefined) return;
  // loaded on use: the config loaders (zod, yaml) cost most of hbctl's start-up, and only verify needs them
  let result: LoadResult & { cib?: Cib };
  if (isFile) result = await verifyCib(path);
  else {
    const load = await import("../../config/load.js");
    result = opts.config
      ? (await import("../../config/load-yaml.js")).loadYaml(readInput(opts.config), opts.node)
      : load.loadHaD({
          ...readHaD(path, opts.node),
          host: readHost({
            configDir: path,
            ...(opts.stateDir === undefined ? {} : { stateDir: opts.stateDir }),
            ...(opts.heartbeatCib === undefined ? {} : { heartbeatCib: opts.heartbeatCib }),
          }),
        });
  }
  const diagnostics = sortDiagnostics(result.diagnostics);
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const warnings = diagnostics.filter((d) => d.severity === "warning").length;
  const code = verifyExitCode(diagnostics);
  if (opts.json) {
    io.out(
      jsonDocument({
        files: result.files,
        errors,
        warnings,
        diagnostics,
        inert: result.inert.map((i) => ({
          directive: i.directive,
          value: i.value,
          ...i.at,
          reason: i.reason,
        })),
        summary: result.config
          ? {
              style: result.config.style,
              cluster: result.config.clusterName,
              nodes: result.config.nodes,
              media: result.config.media.length,
              pingNodes: result.config.pingNodes.length,
              groups: result.config.groups.map((g) => ({
                key: g.key,
                node: g.node,
                resources: g.resources.length,
              })),
              crm: result.config.pacemaker !== "off",
              timing: result.config.timing,
            }
          : null,
      }),
    );
  } else {
    for (const d of diagnostics) io.out(formatDiagnostic(d));
    for (const i of result.inert) {
      io.out(`${i.at.file}:${i.at.line}: info: ${i.directive} accepted without effect: ${i.reason}`);
    }
    const c = result.config;
    const cib = result.cib;
    const what = cib
      ? `CIB epoch ${cib.adminEpoch}.${cib.epoch}.${cib.numUpdates}: ${cib.configuration.nodes.length} node(s), ${cib.configuration.resources.length} top-level resource(s)`
      : c
        ? `cluster "${c.clusterName}": ${c.nodes.length} node(s) (${c.nodes.join(", ")}), ${c.media.length} medi${c.media.length === 1 ? "um" : "a"}, ${c.pingNodes.length} ping node(s), ${c.pacemaker !== "off" ? "CRM mode" : `${c.groups.length} resource group(s)`}`
        : "configuration not usable";
    io.out(`${result.files.join(", ")}: ${errors} error(s), ${warnings} warning(s); ${what}`);
  }
  io.exit(code);
}

export function registerVerify(program: Command, io: CliIo): void {
  program
    .command("verify")
    .summary("check a configuration offline")
    .description(
      "Load and validate a configuration offline: ha.cf, authkeys and haresources from DIR (default /etc/ha.d), " +
        "a cib.xml (Pacemaker or Heartbeat-2 schema) when given a file, or a cluster.yaml with --config. Every problem is printed as FILE:LINE: error|warning: REASON; " +
        "directives accepted without effect are listed as info. The host is checked too: every haresources resource must be " +
        "found in DIR/resource.d, /etc/ha.d/resource.d or /etc/init.d (Heartbeat's order); with crm on, a CIB must exist " +
        `(STATE_DIR/crm/cib.xml, else DIR/cib.xml, else ${HEARTBEAT_CIB}); a watchdog device must exist.\n\n` +
        "Exit status: 0 clean, 1 warnings only, 2 errors.",
    )
    .argument("[dir|cib.xml]", "Heartbeat configuration directory, or a CIB file", DEFAULT_CONFIG_DIR)
    .option("-c, --config <file>", "validate this cluster.yaml instead of DIR")
    .option(
      "-n, --node <name>",
      "check as this node (default: DIR/nodeinfo if present; uname -n is not assumed)",
    )
    .option("--state-dir <dir>", "hbd's state directory, where its CIB lives", DEFAULT_STATE_DIR)
    .option("--heartbeat-cib <file>", "Heartbeat 2.1's CIB, imported when there is no other", HEARTBEAT_CIB)
    .option("--json", "print a JSON report")
    .addHelpText(
      "after",
      "\nExamples:\n  hbctl verify\n  hbctl verify examples/heartbeat-lvs-dr --node primarylb\n  hbctl verify /etc/ha.d --state-dir /var/lib/tandem\n  hbctl verify --config examples/yaml/cluster.yaml --json",
    )
    .action((dir: string | undefined, opts: VerifyOptions) => runVerify(dir, opts, io));
}
