/**
 * The fence runner (adapter): runs fence agents with the fence-agents calling
 * convention (`name=value` lines on stdin, exit 0 = success; see
 * exec/fence-devices.ts and docs/FENCING.md), each in its own process group
 * killed at its timeout (SIGTERM, then SIGKILL). Every stderr line of an agent
 * is handed to `onOutput` as it arrives (fence_meatware's request to the
 * operator must reach the log while it waits). It also answers start, stop
 * and monitor of stonith primitives: start checks the device (action
 * monitor) and marks it started here, stop forgets it, monitor is 7 (not
 * running) unless started, else the agent's monitor.
 */
import { constants } from "node:fs";
import { join } from "node:path";
import { monotonicNowMs } from "../base/clock.js";
import { access } from "../base/fs-async.js";
import { startChild } from "./child.js";
import { ocfRcName } from "./codes.js";
import type { FenceDevice } from "./fence-devices.js";
import { fenceStdin } from "./fence-devices.js";
import type { ActionRequest, ActionResult } from "./types.js";

/** How one agent run ended. */
export interface FenceOutcome {
  /** Exit 0 within the timeout. */
  readonly ok: boolean;
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  readonly durationMs: number;
  /** Last bytes of stdout (the list of `list`, the document of `metadata`). */
  readonly stdout: string;
  /** Last bytes of stderr. */
  readonly stderr: string;
  /** One line: why it failed, or "ok". */
  readonly reason: string;
}

export interface FenceRunnerOptions {
  /** Directories searched for the agent, first executable wins. */
  readonly agentDirs: readonly string[];
  /** Environment of the agents (PATH at least); nothing else is inherited. */
  readonly env: Readonly<Record<string, string>>;
  /** SIGTERM -> SIGKILL grace at timeout. Default 2000 ms. */
  readonly killGraceMs?: number;
  /** Default timeout of start/monitor of a device without one. Default 20000 ms. */
  readonly monitorTimeoutMs?: number;
  /** Each stderr line of an agent, as it arrives. */
  readonly onOutput?: (device: string, line: string) => void;
}

const TAIL = 4096;
const tail = (s: string): string => (s.length > TAIL ? s.slice(-TAIL) : s);

function killGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

export class FenceRunner {
  /** Devices started on this node (stonith primitive ids). */
  private readonly started = new Set<string>();

  constructor(private readonly options: FenceRunnerOptions) {}

  /** The agent's path, or undefined when no directory holds an executable of that name. */
  async locate(agent: string): Promise<string | undefined> {
    if (!/^[A-Za-z0-9_.+-]+$/.test(agent) || agent.startsWith(".")) return undefined;
    for (const dir of this.options.agentDirs) {
      const p = join(dir, agent);
      try {
        await access(p, constants.X_OK);
        return p;
      } catch {
        // next directory
      }
    }
    return undefined;
  }

  /** Runs `action` of `device` (against `target` for reboot/off/on); never rejects. */
  async run(
    device: FenceDevice,
    action: string,
    target: string | undefined,
    timeoutMs: number,
  ): Promise<FenceOutcome> {
    const t0 = monotonicNowMs();
    const file = await this.locate(device.agent);
    if (file === undefined)
      return {
        ok: false,
        exitCode: null,
        timedOut: false,
        durationMs: 0,
        stdout: "",
        stderr: "",
        reason: `fence agent ${device.agent} not found (searched ${this.options.agentDirs.join(", ")})`,
      };
    const { child: sub, done: ended } = startChild(file, [], {
      input: fenceStdin(action, target, device.params),
      env: { ...this.options.env },
      streamGraceMs: 100, // a background child may hold the pipes open: do not wait for it
    });
    let stdout = "";
    let stderr = "";
    let partial = "";
    sub.stdout?.on("data", (b: Buffer) => {
      stdout = tail(stdout + b.toString("utf8"));
    });
    sub.stderr?.on("data", (b: Buffer) => {
      const text = b.toString("utf8");
      stderr = tail(stderr + text);
      const lines = (partial + text).split("\n");
      partial = lines.pop() ?? "";
      for (const l of lines) if (l.trim() !== "") this.options.onOutput?.(device.id, l);
    });
    let timedOut = false;
    const grace = this.options.killGraceMs ?? 2000;
    const timers: NodeJS.Timeout[] = [];
    const pid = sub.pid;
    if (pid !== undefined)
      timers.push(
        setTimeout(() => {
          timedOut = true;
          if (killGroup(pid, "SIGTERM")) timers.push(setTimeout(() => killGroup(pid, "SIGKILL"), grace));
        }, timeoutMs),
      );
    let exitCode: number | null = null;
    let signal: string | null = null;
    sub.on("exit", (code, sig) => {
      exitCode = code;
      signal = sig;
    });
    const end = await ended;
    for (const t of timers) clearTimeout(t);
    if (partial.trim() !== "") this.options.onOutput?.(device.id, partial);
    const durationMs = monotonicNowMs() - t0;
    const spawnError = "error" in end ? end.error : undefined;
    const ok = !timedOut && exitCode === 0;
    const last = stderr.trim().split("\n").pop() ?? "";
    const reason = ok
      ? "ok"
      : spawnError !== undefined
        ? `cannot run ${file}: ${spawnError}`
        : timedOut
          ? `${device.agent} ${action} timed out after ${timeoutMs} ms`
          : `${device.agent} ${action} failed (${exitCode === null ? `signal ${signal}` : `exit ${exitCode}`})${last ? `: ${last}` : ""}`;
    return { ok, exitCode, timedOut, durationMs, stdout, stderr, reason };
  }

  /**
   * start/stop/monitor of a stonith primitive (AgentSpec provider
   * STONITH_PROVIDER, parameters in `params`), as an executor result.
   */
  async deviceOp(req: ActionRequest): Promise<ActionResult> {
    const device: FenceDevice = {
      id: req.rscId,
      agent: req.agent.type,
      params: req.agent.params ?? {},
      timeouts: {},
    };
    const base = { rscId: req.rscId, op: req.op, intervalMs: req.intervalMs ?? 0 };
    const done = (rc: number, reason: string, o?: FenceOutcome): ActionResult => ({
      ...base,
      rc,
      rcName: ocfRcName(rc),
      status: o?.timedOut ? "timeout" : "done",
      exitCode: o?.exitCode ?? null,
      signal: null,
      durationMs: o?.durationMs ?? 0,
      stdoutTail: o?.stdout ?? "",
      stderrTail: o?.stderr ?? "",
      reason,
    });
    const check = () =>
      this.run(device, "monitor", undefined, req.timeoutMs ?? this.options.monitorTimeoutMs ?? 20_000);
    switch (req.op) {
      case "start": {
        const o = await check();
        if (o.ok) this.started.add(req.rscId);
        return done(o.ok ? 0 : 1, o.reason, o);
      }
      case "stop":
        this.started.delete(req.rscId);
        return done(0, "device stopped");
      case "monitor":
      case "status": {
        if (!this.started.has(req.rscId)) return done(7, "device not started here");
        const o = await check();
        return done(o.ok ? 0 : 1, o.reason, o);
      }
      default:
        return done(3, `${req.op} is not an action of a fence device`);
    }
  }
}
