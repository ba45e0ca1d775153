/**
 * Exit-code normalisation (pure): OCF codes pass through, LSB `status` codes are
 * mapped as Pacemaker maps them, Heartbeat-class `status` is judged by the words
 * it prints (Heartbeat's ResourceManager ignores the exit code).
 */
import { type AgentClass, OcfRc, type SpawnOutcome } from "./types.js";

const rcNames: Readonly<Record<number, string>> = {
  0: "ok",
  1: "unknown error",
  2: "invalid parameter",
  3: "unimplemented feature",
  4: "insufficient privileges",
  5: "not installed",
  6: "not configured",
  7: "not running",
  8: "running promoted",
  9: "failed promoted",
  190: "degraded",
  191: "degraded promoted",
};

/** Symbolic meaning of an OCF rc, e.g. 7 -> "not running". */
export function ocfRcName(rc: number): string {
  return rcNames[rc] ?? `unknown rc ${rc}`;
}

/** OCF agents: known codes pass through, anything else is a generic error. */
export function mapOcfExit(code: number): number {
  return rcNames[code] !== undefined ? code : OcfRc.errGeneric;
}

/** LSB `status`: 0 running; 1, 2, 3 not running; 4 and anything else an error. */
export function mapLsbStatus(code: number): number {
  if (code === 0) return OcfRc.ok;
  if (code >= 1 && code <= 3) return OcfRc.notRunning;
  return OcfRc.errGeneric;
}

/** LSB start/stop/restart...: 0..7 mean what they mean in OCF; anything else is a generic error. */
export function mapLsbAction(code: number): number {
  return code >= 0 && code <= 7 ? code : OcfRc.errGeneric;
}

/**
 * Heartbeat's status judgement: output saying "not ... running" means stopped;
 * otherwise "running" (any case) or "OK" means running; anything else stopped.
 * Like Heartbeat, a substring match: "BROKEN" contains "OK".
 */
export function heartbeatStatusRunning(output: string): boolean {
  if (/not\b.*running/i.test(output)) return false;
  return /running/i.test(output) || output.includes("OK");
}

/** The last `ocf-exit-reason:` line on stderr or stdout (stderr wins), trimmed. */
export function exitReason(stdout: string, stderr: string): string | undefined {
  for (const text of [stderr, stdout]) {
    const lines = text.split("\n").filter((l) => l.startsWith("ocf-exit-reason:"));
    const last = lines.at(-1);
    if (last !== undefined) return last.slice("ocf-exit-reason:".length).trim();
  }
  return undefined;
}

/** The action name the script receives: `monitor` is `status` outside OCF. */
export function scriptAction(cls: AgentClass, op: string): string {
  return cls !== "ocf" && op === "monitor" ? "status" : op;
}

/** Normalised rc and reason for a finished process. */
export function normaliseOutcome(
  cls: AgentClass,
  op: string,
  out: SpawnOutcome,
  timeoutMs?: number,
): { rc: number; status: "done" | "timeout" | "error"; reason: string } {
  if (out.spawnError !== undefined) {
    const rc = out.spawnError === "EACCES" ? OcfRc.errPerm : OcfRc.errInstalled;
    return { rc, status: "error", reason: `cannot run agent: ${out.spawnError}` };
  }
  if (out.timedOut) {
    return {
      rc: OcfRc.errGeneric,
      status: "timeout",
      reason: `timed out after ${timeoutMs ?? Math.round(out.durationMs)} ms`,
    };
  }
  if (out.exitCode === null) {
    return { rc: OcfRc.errGeneric, status: "error", reason: `killed by ${out.signal ?? "a signal"}` };
  }
  const action = scriptAction(cls, op);
  let rc: number;
  if (cls === "ocf") rc = mapOcfExit(out.exitCode);
  else if (cls === "lsb") rc = action === "status" ? mapLsbStatus(out.exitCode) : mapLsbAction(out.exitCode);
  else if (action === "status") rc = heartbeatStatusRunning(out.stdout) ? OcfRc.ok : OcfRc.notRunning;
  else rc = out.exitCode === 0 ? OcfRc.ok : OcfRc.errGeneric;
  const reason = exitReason(out.stdout, out.stderr) ?? ocfRcName(rc);
  return { rc, status: "done", reason };
}
