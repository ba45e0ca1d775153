/**
 * Where an agent lives and how it is called (pure): candidate paths per class,
 * argv and the environment each class expects.
 */
import { scriptAction } from "./codes.js";
import type { ActionRequest, AgentSpec } from "./types.js";

/** Executor configuration (all paths absolute). */
export interface ExecConfig {
  /** OCF_ROOT, normally /usr/lib/ocf. */
  readonly ocfRoot: string;
  /** Per-provider directory overrides, e.g. { tandem: "/usr/lib/tandem/resource.d" }. */
  readonly ocfProviderDirs: Readonly<Record<string, string>>;
  /** Heartbeat resource.d directories, searched in order before initDir. */
  readonly resourceDirs: readonly string[];
  /** LSB init script directory, normally /etc/init.d. */
  readonly initDir: string;
  /** Environment every agent inherits (PATH, LANG...). */
  readonly baseEnv: Readonly<Record<string, string>>;
  /** HA_* variables given to every agent (Heartbeat scripts and OCF shell functions read them). */
  readonly haEnv: Readonly<Record<string, string>>;
  readonly defaultTimeoutMs: number;
  readonly killGraceMs: number;
  readonly tailBytes: number;
  /** At most this many agent processes at once. */
  readonly concurrency: number;
}

/** Defaults matching a Debian Heartbeat/Pacemaker installation. */
export const defaultHaEnv: Readonly<Record<string, string>> = {
  HA_D: "/etc/ha.d",
  HA_DIR: "/etc/ha.d",
  HA_RCDIR: "/etc/ha.d/rc.d",
  HA_CF: "/etc/ha.d/ha.cf",
  HA_RESOURCEDIR: "/etc/ha.d/resource.d",
  HA_VARLIB: "/var/lib/heartbeat",
  HA_RSCTMP: "/run/resource-agents",
  HA_VARRUN: "/var/run",
  HA_BIN: "/usr/libexec/heartbeat",
  HA_LOGFACILITY: "daemon",
  HA_LOGFILE: "",
  HA_DEBUGLOG: "/dev/null",
  HA_debug: "0",
};

export const defaultExecConfig: ExecConfig = {
  ocfRoot: "/usr/lib/ocf",
  ocfProviderDirs: {},
  resourceDirs: ["/etc/ha.d/resource.d"],
  initDir: "/etc/init.d",
  baseEnv: { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", LANG: "C" },
  haEnv: defaultHaEnv,
  defaultTimeoutMs: 20_000,
  killGraceMs: 2_000,
  tailBytes: 4096,
  concurrency: 8,
};

/** A usable agent name: one path component, no leading dot. */
export function validAgentName(name: string): boolean {
  return /^[A-Za-z0-9_@+:,-][A-Za-z0-9_.@+:,-]*$/.test(name) && !name.includes("/");
}

/** Paths to try, in order, for an agent (the first executable regular file wins). */
export function candidatePaths(spec: AgentSpec, cfg: ExecConfig): string[] {
  switch (spec.class) {
    case "ocf": {
      const provider = spec.provider ?? "heartbeat";
      const dir = cfg.ocfProviderDirs[provider] ?? `${cfg.ocfRoot}/resource.d/${provider}`;
      return [`${dir}/${spec.type}`];
    }
    case "lsb":
      return [`${cfg.initDir}/${spec.type}`];
    case "heartbeat":
      return [...cfg.resourceDirs.map((d) => `${d}/${spec.type}`), `${cfg.initDir}/${spec.type}`];
  }
}

/** Environment variable names allow only [A-Za-z0-9_]; others are replaced by "_". */
function envName(s: string): string {
  return s.replace(/[^A-Za-z0-9_]/g, "_");
}

/** argv (after the script path) and environment for one action. */
export function buildInvocation(
  req: ActionRequest,
  cfg: ExecConfig,
): { args: string[]; env: Record<string, string>; timeoutMs: number } {
  const { agent } = req;
  const timeoutMs = req.timeoutMs ?? cfg.defaultTimeoutMs;
  const env: Record<string, string> = { ...cfg.baseEnv, ...cfg.haEnv };
  const action = scriptAction(agent.class, req.op);
  if (agent.class === "ocf") {
    Object.assign(env, {
      OCF_ROOT: cfg.ocfRoot,
      OCF_RA_VERSION_MAJOR: "1",
      OCF_RA_VERSION_MINOR: "0",
      OCF_RESOURCE_INSTANCE: req.rscId,
      OCF_RESOURCE_TYPE: agent.type,
      OCF_RESOURCE_PROVIDER: agent.provider ?? "heartbeat",
    });
    if (req.op === "monitor") env["OCF_CHECK_LEVEL"] = String(req.checkLevel ?? 0);
    for (const [k, v] of Object.entries(agent.params ?? {})) env[`OCF_RESKEY_${envName(k)}`] = v;
    const meta: Record<string, string> = {
      ...req.meta,
      timeout: String(timeoutMs),
      interval: String(req.intervalMs ?? 0),
      name: req.op,
    };
    if (req.node !== undefined) meta["on_node"] = req.node;
    for (const [k, v] of Object.entries(meta)) env[`OCF_RESKEY_CRM_meta_${envName(k)}`] = v;
    return { args: [action], env, timeoutMs };
  }
  if (agent.class === "lsb") return { args: [action], env, timeoutMs };
  return { args: [...(agent.args ?? []), action], env, timeoutMs };
}
