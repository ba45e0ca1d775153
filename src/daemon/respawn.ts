/**
 * ha.cf `respawn USER PROGRAM [ARGS...]`, supervised as Heartbeat 3.0.6 does
 * (heartbeat.c ManagedChildDied / start_a_child_client):
 * - started once hbd runs, as USER (its uid and primary gid), in its own
 *   process group, stdin /dev/null, with HA_* from ha.cf's `env` lines;
 * - restarted when it exits, unless it exits 100 ("do not respawn") or hbd is
 *   shutting down;
 * - rate limit: an exit less than 30 s after the start counts as a fast
 *   respawn, a longer run resets the count; after a fast exit the restart waits
 *   1 s; more than 10 fast respawns in a row: "respawning too fast", and it is
 *   not restarted again;
 * - at shutdown every child's process group gets SIGTERM, then SIGKILL after
 *   a grace period.
 * The restart decision (nextRespawn) is pure; the processes are reached
 * through a RespawnPort (realRespawnPort below).
 */
import { spawn } from "node:child_process";
import type { ClientSpec } from "../config/model.js";

/** A run shorter than this is a fast respawn (Heartbeat: 30 s). */
export const SHORT_RUN_MS = 30_000;
/** More fast respawns in a row than this and the client is given up (Heartbeat: 10). */
export const MAX_SHORT_RESPAWNS = 10;
/** Delay before restarting after a fast exit (Heartbeat's child sleeps 1 s). */
export const FAST_RESTART_DELAY_MS = 1000;
/** Exit code that asks not to be respawned. */
export const NO_RESPAWN_EXIT = 100;

export type RespawnDecision =
  | { readonly restart: true; readonly delayMs: number; readonly shortCount: number }
  | { readonly restart: false; readonly shortCount: number; readonly reason: string };

/** What to do when a supervised client exits (pure). */
export function nextRespawn(
  ranMs: number,
  exitCode: number | null,
  shortCount: number,
  shuttingDown: boolean,
): RespawnDecision {
  if (shuttingDown) return { restart: false, shortCount, reason: "shutting down" };
  if (exitCode === NO_RESPAWN_EXIT)
    return { restart: false, shortCount, reason: `exit code ${NO_RESPAWN_EXIT}: do not respawn` };
  const count = ranMs < SHORT_RUN_MS ? shortCount + 1 : 0;
  if (count > MAX_SHORT_RESPAWNS) return { restart: false, shortCount: 0, reason: "respawning too fast" };
  return { restart: true, delayMs: count > 0 ? FAST_RESTART_DELAY_MS : 0, shortCount: count };
}

/** A started child, as the supervisor sees it. */
export interface SupervisedProcess {
  readonly pid: number | undefined;
  onExit(cb: (code: number | null, signal: string | null) => void): void;
  /** Signals the child's whole process group. */
  kill(signal: "SIGTERM" | "SIGKILL"): void;
}

export interface RespawnPort {
  start(c: ClientSpec, env: Readonly<Record<string, string>>): SupervisedProcess;
  monotonic(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(h: unknown): void;
}

export interface RespawnLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** One supervised client's state, as `hbctl status` could show it. */
export interface ClientReport {
  readonly command: string;
  readonly user: string;
  readonly pid?: number;
  readonly restarts: number;
  readonly state: "running" | "waiting" | "stopped";
  readonly reason?: string;
}

interface Slot {
  readonly spec: ClientSpec;
  proc?: SupervisedProcess | undefined;
  startedAt: number;
  shortCount: number;
  restarts: number;
  timer?: unknown;
  stopped?: string;
  exited?: Promise<void>;
}

export class RespawnSupervisor {
  private readonly slots: Slot[];
  private shuttingDown = false;

  constructor(
    clients: readonly ClientSpec[],
    private readonly env: Readonly<Record<string, string>>,
    private readonly port: RespawnPort,
    private readonly log: RespawnLog,
  ) {
    this.slots = clients.map((spec) => ({ spec, startedAt: 0, shortCount: 0, restarts: 0 }));
  }

  /** Starts every client. */
  start(): void {
    for (const s of this.slots) this.launch(s);
  }

  private command(s: Slot): string {
    return [s.spec.path, ...s.spec.args].join(" ");
  }

  private launch(s: Slot): void {
    s.timer = undefined;
    if (this.shuttingDown) return;
    s.startedAt = this.port.monotonic();
    let proc: SupervisedProcess;
    try {
      proc = this.port.start(s.spec, this.env);
    } catch (e) {
      this.exitedWith(s, null, null, (e as Error).message);
      return;
    }
    s.proc = proc;
    this.log.info(
      { event: "respawn-start", command: this.command(s), user: s.spec.user, pid: proc.pid },
      `Executing "${this.command(s)}" as ${s.spec.user} (pid ${proc.pid ?? "?"})`,
    );
    s.exited = new Promise((resolve) =>
      proc.onExit((code, signal) => {
        this.exitedWith(s, code, signal);
        resolve();
      }),
    );
  }

  private exitedWith(s: Slot, code: number | null, signal: string | null, err?: string): void {
    s.proc = undefined;
    const ranMs = this.port.monotonic() - s.startedAt;
    const how = err ?? (signal !== null ? `killed by ${signal}` : `exit code ${code}`);
    const d = nextRespawn(ranMs, err === undefined ? code : null, s.shortCount, this.shuttingDown);
    s.shortCount = d.shortCount;
    const fields = { event: "respawn-exit", command: this.command(s), code, signal, ranMs };
    if (!d.restart) {
      if (!this.shuttingDown) {
        s.stopped = d.reason;
        this.log.error(fields, `Client "${this.command(s)}" ${how}: ${d.reason}; not restarted`);
      }
      return;
    }
    s.restarts++;
    this.log.warn(fields, `Client "${this.command(s)}" ${how}: respawning in ${d.delayMs} ms`);
    s.timer = this.port.setTimeout(() => this.launch(s), d.delayMs);
  }

  /** Stops every client (SIGTERM to its process group, SIGKILL after graceMs); resolves when all are gone. */
  async stop(graceMs = 5000): Promise<void> {
    this.shuttingDown = true;
    const waits: Promise<void>[] = [];
    for (const s of this.slots) {
      if (s.timer !== undefined) this.port.clearTimeout(s.timer);
      s.timer = undefined;
      const proc = s.proc;
      if (proc === undefined || s.exited === undefined) continue;
      proc.kill("SIGTERM");
      const kill = this.port.setTimeout(() => proc.kill("SIGKILL"), graceMs);
      waits.push(
        s.exited.then(() => {
          this.port.clearTimeout(kill);
          proc.kill("SIGKILL"); // what the client left behind in its process group
        }),
      );
    }
    await Promise.all(waits);
  }

  report(): ClientReport[] {
    return this.slots.map((s) => ({
      command: this.command(s),
      user: s.spec.user,
      ...(s.proc?.pid === undefined ? {} : { pid: s.proc.pid }),
      restarts: s.restarts,
      state: s.proc !== undefined ? "running" : s.timer !== undefined ? "waiting" : "stopped",
      ...(s.stopped === undefined ? {} : { reason: s.stopped }),
    }));
  }
}

/** The real port: spawns as the user's uid/gid (resolved by `ids`) in a new process group. */
export function realRespawnPort(
  ids: (user: string) => { uid: number; gid: number } | undefined,
  monotonic: () => number,
): RespawnPort {
  return {
    start(c, env) {
      const id = ids(c.user);
      if (id === undefined) throw new Error(`user "${c.user}" does not exist`);
      const child = spawn(c.path, [...c.args], {
        uid: id.uid,
        gid: id.gid,
        detached: true,
        stdio: "ignore",
        env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", ...env },
      });
      let exited = false;
      const cbs: ((code: number | null, signal: string | null) => void)[] = [];
      const done = (code: number | null, signal: string | null) => {
        if (exited) return;
        exited = true;
        for (const cb of cbs) cb(code, signal);
      };
      child.on("exit", (code, signal) => done(code, signal));
      child.on("error", (e) => done(null, (e as NodeJS.ErrnoException).code ?? "error"));
      return {
        pid: child.pid,
        onExit: (cb) => cbs.push(cb),
        kill(signal) {
          if (child.pid === undefined) return; // the group outlives its leader: signal it even after exit
          try {
            process.kill(-child.pid, signal);
          } catch {
            // the group is already gone
          }
        },
      };
    },
    monotonic,
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  };
}
