/**
 * Assembles a ClusterConfig from the /etc/ha.d files (cluster.yaml: load-yaml.ts,
 * kept apart so that hbd and hbctl load its parser, yaml + zod, only for one).
 * Pure: the caller supplies file contents (see read.ts for the adapter that
 * reads them from disk). Every problem of every file is collected; nothing
 * stops at the first error.
 */
import type { Diagnostic } from "../base/diag.js";
import { parseAuthkeys } from "./authkeys.js";
import { parseHaCf } from "./hacf.js";
import { parseHaresources } from "./haresources.js";
import {
  type CibCandidate,
  checkCrmCib,
  checkResourceLookup,
  checkRespawnHost,
  checkWatchdog,
  type HostChecked,
  type HostFacts,
} from "./host.js";
import type { ClusterConfig, InertDirective } from "./model.js";
import { checkRespawn } from "./respawn.js";

/** One input file: its path, and its text and permission bits when it exists. */
export interface FileInput {
  readonly path: string;
  readonly text?: string;
  readonly mode?: number;
  /** Why it could not be read, when it exists but is unreadable. */
  readonly readError?: string;
}

export interface HaDInputs {
  readonly hacf: FileInput;
  readonly authkeys: FileInput;
  readonly haresources: FileInput;
  /** First line of /etc/ha.d/nodeinfo, or the name given by the user. */
  readonly localNode?: string;
  /** The host to check the configuration against (resource scripts, CIB, watchdog); absent: not checked. */
  readonly host?: HostFacts;
}

export interface LoadResult {
  /** The config when there are no errors. */
  readonly config?: ClusterConfig;
  readonly diagnostics: Diagnostic[];
  readonly inert: readonly InertDirective[];
  readonly files: readonly string[];
  /** crm on, checked against a host: where the CIB comes from. */
  readonly cibSource?: CibCandidate;
}

/** The error of an input that could not be read. */
export function missing(f: FileInput, code: string, why: string): Diagnostic {
  return { file: f.path, line: 0, severity: "error", code, message: f.readError ?? why };
}

export function loadHaD(inp: HaDInputs): LoadResult {
  const diagnostics: Diagnostic[] = [];
  const files = [inp.hacf.path, inp.authkeys.path];
  const haresourcesPresent = inp.haresources.text !== undefined;
  if (haresourcesPresent) files.push(inp.haresources.path);

  let hacf: ReturnType<typeof parseHaCf>["value"] | undefined;
  if (inp.hacf.text === undefined) {
    diagnostics.push(missing(inp.hacf, "load.missing", "cannot read ha.cf: file not found"));
  } else {
    const r = parseHaCf(inp.hacf.text, inp.hacf.path, {
      haresourcesPresent,
      ...(inp.localNode === undefined ? {} : { localNode: inp.localNode }),
    });
    hacf = r.value;
    diagnostics.push(...r.diagnostics);
  }

  let auth: ReturnType<typeof parseAuthkeys>["value"];
  if (inp.authkeys.text === undefined) {
    diagnostics.push(
      missing(inp.authkeys, "load.missing", "cannot read authkeys: file not found (create it with mode 600)"),
    );
  } else {
    const r = parseAuthkeys(inp.authkeys.text, inp.authkeys.path, inp.authkeys.mode);
    auth = r.value;
    diagnostics.push(...r.diagnostics);
  }

  let groups: ReturnType<typeof parseHaresources>["value"] = [];
  const crm = hacf !== undefined && hacf.pacemaker !== "off";
  if (inp.haresources.readError !== undefined) {
    diagnostics.push(missing(inp.haresources, "load.unreadable", inp.haresources.readError));
  } else if (inp.haresources.text !== undefined) {
    if (crm) {
      diagnostics.push({
        file: inp.haresources.path,
        line: 0,
        severity: "warning",
        code: "load.haresources-ignored",
        message:
          'ha.cf turns the CRM on (crm/pacemaker), so this haresources file is ignored; convert it with "hbctl convert haresources"',
      });
    } else {
      const r = parseHaresources(
        inp.haresources.text,
        inp.haresources.path,
        hacf ? { nodes: hacf.nodes } : {},
      );
      groups = r.value;
      diagnostics.push(...r.diagnostics);
    }
  } else if (hacf && !crm) {
    diagnostics.push({
      file: inp.haresources.path,
      line: 0,
      severity: "warning",
      code: "load.no-resources",
      message: "no haresources file and the CRM is off: this cluster manages no resources",
    });
  }

  if (hacf)
    diagnostics.push(
      ...checkRespawn(hacf.respawn, hacf.apiauth, {
        pingNodes: hacf.pingNodes.length,
        crm: hacf.pacemaker !== "off",
      }),
    );
  let cibSource: CibCandidate | undefined;
  if (hacf && inp.host) {
    const checked = hostDiagnostics({ ...hacf, groups: crm ? [] : groups }, inp.hacf.path, inp.host);
    diagnostics.push(...checked.diagnostics);
    cibSource = checked.cibSource;
    if (cibSource !== undefined && cibSource.origin !== "state") files.push(cibSource.path);
  }
  const hasErrors = diagnostics.some((d) => d.severity === "error");
  const config: ClusterConfig | undefined =
    !hasErrors && hacf && auth ? { ...hacf, style: "ha.d", auth, groups: crm ? [] : groups } : undefined;
  return {
    ...(config ? { config } : {}),
    diagnostics,
    inert: hacf?.inert ?? [],
    files,
    ...(cibSource ? { cibSource } : {}),
  };
}

/** The checks against the host (host.ts): watchdog, and the CIB (crm on) or the resource scripts (haresources). */
function hostDiagnostics(
  config: HostChecked,
  hacfPath: string,
  host: HostFacts,
): { diagnostics: Diagnostic[]; cibSource?: CibCandidate } {
  const diagnostics = [...checkWatchdog(config, hacfPath, host), ...checkRespawnHost(config, host)];
  if (config.pacemaker === "off")
    return { diagnostics: [...diagnostics, ...checkResourceLookup(config, host)] };
  const cib = checkCrmCib(config, hacfPath, host);
  return {
    diagnostics: [...diagnostics, ...cib.diagnostics],
    ...(cib.found ? { cibSource: cib.found } : {}),
  };
}
