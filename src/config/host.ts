/**
 * Checks of a configuration against the host it runs on (pure over a
 * HostFacts port; read.ts readHost supplies the real one), so that
 * `hbctl verify` and `hbd --check` report what would otherwise show only when
 * hbd starts or a resource starts:
 * - every haresources resource is found where Heartbeat looks: the resource.d
 *   directories first, then /etc/init.d (error with file:line otherwise);
 * - `crm on` has a CIB: Tandem's state dir, else CONFIG_DIR/cib.xml, else
 *   Heartbeat 2.1's /var/lib/heartbeat/crm/cib.xml (error otherwise), and a
 *   CIB that would be imported parses;
 * - a CIB's `ocf:heartbeat:T` that resource-agents does not install runs
 *   Tandem's `ocf:tandem:T` (warning), or nothing (warning);
 * - a `watchdog DEV` that does not exist or cannot be opened (warning).
 */
import type { Diagnostic } from "../base/diag.js";
import type { Cib } from "../cib/model.js";
import { parseCib } from "../cib/parse.js";
import { primitives } from "../cib/query.js";
import type { FileInput } from "./load.js";
import type { ClusterConfig } from "./model.js";
import { supervisedClients } from "./respawn.js";
import { type AgentNaming, formatAgentName, haresourcesAgent } from "./to-cib.js";

/** Where `crm on` takes its CIB from, in order. */
export type CibOrigin = "state" | "config" | "heartbeat";

/** A place a CIB may be, and its content when it is the one used. */
export interface CibCandidate {
  readonly origin: CibOrigin;
  readonly path: string;
  readonly exists: boolean;
}

/** The parts of a configuration the host checks read. */
export type HostChecked = Pick<ClusterConfig, "groups" | "watchdog" | "lines" | "pacemaker"> &
  Partial<Pick<ClusterConfig, "respawn" | "apiauth">>;

/** What the host offers; every question goes through here. */
export interface HostFacts {
  /** Heartbeat resource directories in lookup order (CONFIG_DIR/resource.d, /etc/ha.d/resource.d). */
  readonly resourceDirs: readonly string[];
  /** Tandem's own agents (searched after resourceDirs for class heartbeat; provider "tandem"). */
  readonly shippedDir: string;
  /** LSB init scripts, searched after the resource directories. */
  readonly initDir: string;
  /** OCF_ROOT (agents of provider P in OCF_ROOT/resource.d/P). */
  readonly ocfRoot: string;
  /** Tandem's shipped agents (`ocf:tandem:*`). */
  readonly shipped: ReadonlySet<string>;
  /** Whether a file exists at path. */
  exists(path: string): boolean;
  /** Why the watchdog device cannot be used (missing, not writable), or undefined when it can. */
  watchdogProblem(device: string): string | undefined;
  /** CIB locations in the order hbd tries them (crm on). */
  readonly cibCandidates: readonly CibCandidate[];
  /** Reads a CIB file to validate it. */
  read(path: string): FileInput;
  /** Whether path is an executable regular file. */
  isExecutable(path: string): boolean;
  /** Whether a user of this name exists. */
  userExists(name: string): boolean;
}

/** The naming hbd uses in haresources mode on this host. */
export function hostNaming(host: HostFacts): AgentNaming {
  return {
    target: "tandem",
    shipped: host.shipped,
    inResourceD: (name) => host.resourceDirs.some((d) => host.exists(`${d}/${name}`)),
  };
}

/** Paths hbd tries for an agent, in order (as exec/env.ts candidatePaths with hbd's directories). */
export function lookupPaths(
  agent: { class: string; provider?: string | undefined; type: string },
  host: HostFacts,
): string[] {
  if (agent.class === "ocf") {
    if (agent.provider === "tandem") return [`${host.shippedDir}/${agent.type}`];
    return [`${host.ocfRoot}/resource.d/${agent.provider ?? "heartbeat"}/${agent.type}`];
  }
  if (agent.class === "lsb") return [`${host.initDir}/${agent.type}`];
  const dirs = [...host.resourceDirs, host.shippedDir, host.initDir];
  return dirs.map((d) => `${d}/${agent.type}`);
}

/** Every haresources resource must be found where Heartbeat looks (resource.d first, then init.d). */
export function checkResourceLookup(config: HostChecked, host: HostFacts): Diagnostic[] {
  const out: Diagnostic[] = [];
  const naming = hostNaming(host);
  for (const g of config.groups) {
    for (const r of g.resources) {
      const agent = haresourcesAgent(r, naming);
      if (agent.provider === "tandem") continue; // shipped with Tandem
      const paths = lookupPaths(agent, host);
      if (paths.some((p) => host.exists(p))) continue;
      const dirs = [...host.resourceDirs, host.initDir];
      out.push({
        file: r.at.file,
        line: r.at.line,
        severity: "error",
        code: "haresources.not-found",
        message: `resource script "${r.type}" is found nowhere: not in ${dirs.join(", ")}${agent.class === "ocf" ? ` nor ${paths[0]}` : ""}; put it (or a link to it) in ${dirs[0]}`,
      });
    }
  }
  return out;
}

/** The CIB `crm on` starts from, with the diagnostics of finding and parsing it. */
export function checkCrmCib(
  config: HostChecked,
  hacfPath: string,
  host: HostFacts,
): { diagnostics: Diagnostic[]; found?: CibCandidate; cib?: Cib } {
  const line = config.lines?.["pacemaker"] ?? 0;
  const found = host.cibCandidates.find((c) => c.exists);
  if (found === undefined) {
    const tried = host.cibCandidates.map((c) => c.path).join(", ");
    return {
      diagnostics: [
        {
          file: hacfPath,
          line,
          severity: "error",
          code: "crm.no-cib",
          message: `crm on, but there is no CIB (looked in ${tried}): write one with "hbctl convert haresources -o ${host.cibCandidates.find((c) => c.origin === "config")?.path ?? "CONFIG_DIR/cib.xml"}", or copy Heartbeat's cib.xml there`,
        },
      ],
    };
  }
  if (found.origin === "state") return { diagnostics: [], found }; // hbd's own copy: the CIB store checks its digest
  const f = host.read(found.path);
  if (f.text === undefined) {
    const message = f.readError ?? "cannot read the CIB";
    return {
      diagnostics: [{ file: found.path, line: 0, severity: "error", code: "crm.cib-unreadable", message }],
      found,
    };
  }
  const p = parseCib(f.text, found.path);
  const diagnostics = [...p.diagnostics];
  if (p.value !== undefined) diagnostics.push(...checkOcfFallback(p.value, found.path, host));
  return { diagnostics, found, ...(p.value === undefined ? {} : { cib: p.value }) };
}

/** `ocf:heartbeat:T` runs resource-agents' T; without it, Tandem's own T (warning) or nothing (warning). */
export function checkOcfFallback(cib: Cib, file: string, host: HostFacts): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const { primitive: p } of primitives(cib)) {
    if (p.class !== "ocf" || (p.provider ?? "heartbeat") !== "heartbeat") continue;
    const path = `${host.ocfRoot}/resource.d/heartbeat/${p.type}`;
    if (host.exists(path)) continue;
    const shipped = host.shipped.has(p.type);
    out.push({
      file,
      line: 0,
      severity: "warning",
      code: shipped ? "crm.agent-fallback" : "crm.agent-missing",
      message: shipped
        ? `resource ${p.id}: ${formatAgentName(p)} is not installed (${path}; package resource-agents): Tandem's ocf:tandem:${p.type} runs instead; write ocf:tandem:${p.type} to say so`
        : `resource ${p.id}: ${formatAgentName(p)} is not installed (${path}; package resource-agents): it cannot start`,
    });
  }
  return out;
}

/** A watchdog device that is missing or cannot be opened: hbd runs without it. */
export function checkWatchdog(config: HostChecked, hacfPath: string, host: HostFacts): Diagnostic[] {
  if (config.watchdog === undefined) return [];
  const problem = host.watchdogProblem(config.watchdog);
  if (problem === undefined) return [];
  return [
    {
      file: hacfPath,
      line: config.lines?.["watchdog"] ?? 0,
      severity: "warning",
      code: "hacf.watchdog-unusable",
      message: `watchdog ${config.watchdog}: ${problem}; hbd runs without a watchdog (load softdog, "modprobe softdog", for a software one)`,
    },
  ];
}

/** A supervised respawn program must exist and be executable, and its user must exist (fatal in Heartbeat). */
export function checkRespawnHost(config: HostChecked, host: HostFacts): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const c of supervisedClients(config.respawn ?? [], config.apiauth ?? [])) {
    const problems: string[] = [];
    if (!host.userExists(c.user)) problems.push(`user "${c.user}" does not exist`);
    if (!host.isExecutable(c.path)) problems.push(`${c.path} is not an executable file`);
    if (problems.length === 0) continue;
    out.push({
      file: c.at.file,
      line: c.at.line,
      severity: "error",
      code: "hacf.respawn-program",
      message: `respawn ${c.user} ${c.path}: ${problems.join(" and ")}`,
    });
  }
  return out;
}
