/**
 * Executor contracts: what an agent action request looks like, what comes back,
 * and the single port through which the pure executor reaches real processes.
 */

/** OCF exit codes (OCF RA API 1.0 plus the Pacemaker extensions). */
export const OcfRc = {
  ok: 0,
  errGeneric: 1,
  errArgs: 2,
  errUnimplemented: 3,
  errPerm: 4,
  errInstalled: 5,
  errConfigured: 6,
  notRunning: 7,
  runningPromoted: 8,
  failedPromoted: 9,
  degraded: 190,
  degradedPromoted: 191,
} as const;
export type OcfRc = (typeof OcfRc)[keyof typeof OcfRc];

/** Agent classes: OCF agents, LSB init scripts, Heartbeat-1 resource.d scripts. */
export type AgentClass = "ocf" | "lsb" | "heartbeat";

/** Which agent to run and with what parameters. */
export interface AgentSpec {
  readonly class: AgentClass;
  /** Agent name: the file name of the script (no slashes). */
  readonly type: string;
  /** OCF provider, e.g. "heartbeat" or "tandem"; ignored for other classes. */
  readonly provider?: string;
  /** OCF instance attributes, exported as OCF_RESKEY_<name>. */
  readonly params?: Readonly<Record<string, string>>;
  /** Heartbeat-class positional arguments (the haresources `::` fields), placed before the action. */
  readonly args?: readonly string[];
}

/** One agent action to run on this node. */
export interface ActionRequest {
  /** Resource id (OCF_RESOURCE_INSTANCE). */
  readonly rscId: string;
  readonly agent: AgentSpec;
  /** start, stop, monitor, meta-data, validate-all, ... (`monitor` becomes `status` for LSB/Heartbeat). */
  readonly op: string;
  /** Recurring interval in ms (0 or absent: one-shot). */
  readonly intervalMs?: number;
  /** Timeout in ms; the executor's default when absent. */
  readonly timeoutMs?: number;
  /** OCF_CHECK_LEVEL for monitors. */
  readonly checkLevel?: number;
  /** Extra meta attributes, exported as OCF_RESKEY_CRM_meta_<name>. */
  readonly meta?: Readonly<Record<string, string>>;
  /** Node name exported as OCF_RESKEY_CRM_meta_on_node. */
  readonly node?: string;
}

/** How the action ended, independent of rc. */
export type OpStatus = "done" | "timeout" | "error";

/** Result of one agent action, normalised to OCF. */
export interface ActionResult {
  readonly rscId: string;
  readonly op: string;
  readonly intervalMs: number;
  /** OCF-normalised return code. */
  readonly rc: number;
  /** Symbolic name of rc, e.g. "not running". */
  readonly rcName: string;
  readonly status: OpStatus;
  /** Raw exit code of the process (null when killed by a signal or never started). */
  readonly exitCode: number | null;
  /** Signal that ended the process, if any. */
  readonly signal: string | null;
  readonly durationMs: number;
  /** Last bytes of stdout / stderr (bounded by the executor's tail size). */
  readonly stdoutTail: string;
  readonly stderrTail: string;
  /** Short human reason (ocf-exit-reason, timeout, spawn error, or the rc meaning). */
  readonly reason: string;
}

/** A process to start, as the pure executor asks for it. */
export interface SpawnRequest {
  readonly file: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** Delay between SIGTERM and SIGKILL of the process group at timeout. */
  readonly killGraceMs: number;
  /** Bytes of stdout/stderr kept (the tail). */
  readonly tailBytes: number;
}

/** What happened to a spawned process. */
export interface SpawnOutcome {
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  readonly durationMs: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Set when the process could not be started (e.g. "ENOENT", "EACCES"). */
  readonly spawnError?: string;
}

/** The executor's only way to the operating system (implemented in process.ts). */
export interface ProcessPort {
  spawn(req: SpawnRequest): Promise<SpawnOutcome>;
  /** Whether path is a regular, executable file. */
  isExecutable(path: string): Promise<boolean>;
  /** Whether path exists at all (to tell "not installed" from "not executable"). */
  exists(path: string): Promise<boolean>;
}

/** Timer port used by the monitor scheduler (defined in base/ports.ts). */
export type { TimerPort } from "../base/ports.js";
