/**
 * The `external` check: runs `checkcommand VIP-or-fwmark VPORT RIP RPORT`
 * (ldirectord's argument convention); exit 0 = up. At the timeout the process
 * group is sent SIGTERM (then SIGKILL after a short grace).
 */
import { spawn } from "node:child_process";
import type { CheckOutcome } from "./runner.js";

/** ldirectord's argument list for an external check. */
export function externalCheckArgs(vip: string, vport: number, rip: string, rport: number): string[] {
  return [vip, String(vport), rip, String(rport)];
}

const killGraceMs = 500;

/** Runs the command; never throws. `command` may carry its own leading arguments separated by spaces. */
export function checkExternal(
  command: string,
  args: readonly string[],
  signal: AbortSignal,
): Promise<CheckOutcome> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve({ ok: false, message: "timed out" });
    const [file, ...pre] = command.trim().split(/\s+/);
    if (!file) return resolve({ ok: false, message: "no checkcommand" });
    const child = spawn(file, [...pre, ...args], { stdio: ["ignore", "ignore", "pipe"], detached: true });
    let err = "";
    child.stderr?.on("data", (b: Buffer) => {
      if (err.length < 400) err += b.toString("utf8");
    });
    let killTimer: NodeJS.Timeout | undefined;
    const kill = (sig: NodeJS.Signals): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, sig);
      } catch {
        // already gone
      }
    };
    const onAbort = (): void => {
      kill("SIGTERM");
      killTimer = setTimeout(() => kill("SIGKILL"), killGraceMs);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    const finish = (o: CheckOutcome): void => {
      signal.removeEventListener("abort", onAbort);
      if (killTimer) clearTimeout(killTimer);
      resolve(o);
    };
    child.once("error", (e: NodeJS.ErrnoException) =>
      finish({ ok: false, message: `cannot run ${file}: ${e.code ?? e.message}` }),
    );
    child.once("close", (code, sig) => {
      const tail = err.trim().split("\n").pop() ?? "";
      if (signal.aborted) return finish({ ok: false, message: "external check timed out" });
      if (code === 0) return finish({ ok: true, message: "exit 0" });
      finish({ ok: false, message: `${sig ? `signal ${sig}` : `exit ${code}`}${tail ? `: ${tail}` : ""}` });
    });
  });
}
