/**
 * The executor's only process adapter: spawns agents (child.ts) in their own
 * process group, keeps a bounded tail of their output, and at timeout kills the
 * whole group (SIGTERM, then SIGKILL after the grace period). Also the real
 * TimerPort and file checks.
 */
import { constants } from "node:fs";
import { access, stat } from "../base/fs-async.js";
import { startChild } from "./child.js";
import { defaultExecConfig, type ExecConfig } from "./env.js";
import { Executor } from "./executor.js";
import type { ProcessPort, SpawnOutcome, SpawnRequest, TimerPort } from "./types.js";

/** How long to wait for stdout/stderr to close after the agent exited (background children may hold them). */
const streamGraceMs = 100;

/** Keeps the last `limit` bytes written to it. */
class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly limit: number) {}
  push(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
    while (this.size - (this.chunks[0]?.length ?? 0) >= this.limit && this.chunks.length > 1)
      this.size -= this.chunks.shift()!.length;
  }
  text(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - this.limit)).toString("utf8");
  }
}

function killGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false; // group already gone
  }
}

/** SIGTERM to the group, then SIGKILL once graceMs has passed with any member left; resolves when it is gone. */
async function terminateGroup(pid: number, graceMs: number): Promise<void> {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  if (!killGroup(pid, "SIGTERM")) return;
  const steps = Math.max(1, Math.ceil(graceMs / 20));
  for (let i = 0; i < steps; i++) {
    await sleep(20);
    if (!killGroup(pid, 0)) return;
  }
  killGroup(pid, "SIGKILL");
  for (let i = 0; i < 10 && killGroup(pid, 0); i++) await sleep(10); // zombies may linger
}

/**
 * Spawns one agent process in its own process group; resolves when it has
 * exited and its output is collected. Children the agent leaves running on
 * purpose (e.g. a background arping) are not killed after a normal exit; at a
 * timeout the whole group is.
 */
export async function spawnAgent(req: SpawnRequest): Promise<SpawnOutcome> {
  const stdout = new Tail(req.tailBytes);
  const stderr = new Tail(req.tailBytes);
  const t0 = process.hrtime.bigint();
  const elapsed = (): number => Number(process.hrtime.bigint() - t0) / 1e6;
  const { child: sub, done } = startChild(req.file, req.args, { env: req.env, streamGraceMs });
  sub.stdout?.on("data", (b: Buffer) => stdout.push(b));
  sub.stderr?.on("data", (b: Buffer) => stderr.push(b));
  let timedOut = false;
  let terminated: Promise<void> = Promise.resolve();
  let exit: { code: number | null; signal: string | null; ms: number } | undefined;
  const pid = sub.pid;
  const timer =
    pid === undefined
      ? undefined
      : setTimeout(() => {
          if (exit) return;
          timedOut = true;
          terminated = terminateGroup(pid, req.killGraceMs);
        }, req.timeoutMs);
  sub.on("exit", (code, signal) => {
    exit = { code, signal, ms: elapsed() };
  });
  const end = await done;
  clearTimeout(timer);
  await terminated;
  if (exit === undefined) {
    return {
      exitCode: null,
      signal: null,
      timedOut: false,
      durationMs: elapsed(),
      stdout: "",
      stderr: stderr.text(),
      spawnError: "error" in end ? end.error : "spawn failed",
    };
  }
  return {
    exitCode: exit.code,
    signal: exit.signal,
    timedOut,
    durationMs: exit.ms,
    stdout: stdout.text(),
    stderr: stderr.text(),
  };
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    const s = await stat(path);
    if (!s.isFile()) return false;
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** The real ProcessPort. */
export const realProcessPort: ProcessPort = { spawn: spawnAgent, isExecutable, exists };

/** The real TimerPort (unref'd timers do not keep the process alive on their own). */
export const realTimers: TimerPort = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** An executor on the real system; `config` overrides the Debian defaults. */
export function createExecutor(config: Partial<ExecConfig> = {}): Executor {
  return new Executor(realProcessPort, { ...defaultExecConfig, ...config });
}
