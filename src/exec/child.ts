/**
 * One child process in its own process group, with node:child_process: the
 * agent runner (process.ts) and the fence runner (fence.ts) use it. It replaced
 * execa there: execa's module graph (about 130 files) cost every hbd start
 * about 125 ms of CPU before its first heartbeat (issue 15), and none of its
 * features beyond a spawn were used.
 */
import { type ChildProcess, spawn } from "node:child_process";

/** How the child ended: its exit, or the spawn error's code (ENOENT, EACCES, ...). */
export type ChildEnd =
  | { readonly code: number | null; readonly signal: NodeJS.Signals | null }
  | { readonly error: string };

export interface ChildRun {
  readonly child: ChildProcess;
  /**
   * Resolves once the child exited and its stdout/stderr closed, or it could
   * not be spawned; never rejects. A background process the child left behind
   * may hold the pipes open: they are destroyed `streamGraceMs` after the exit.
   */
  readonly done: Promise<ChildEnd>;
}

export interface ChildOptions {
  /** The whole environment (nothing is inherited). */
  readonly env: Readonly<Record<string, string>>;
  /** Written to stdin, which is then closed; without it stdin is /dev/null. */
  readonly input?: string;
  readonly streamGraceMs: number;
}

/** Spawns `file` with `args` detached (its own process group), stdout and stderr piped. */
export function startChild(file: string, args: readonly string[], o: ChildOptions): ChildRun {
  const child = spawn(file, [...args], {
    env: { ...o.env },
    detached: true,
    stdio: [o.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
  });
  if (o.input !== undefined && child.stdin) {
    child.stdin.on("error", () => {}); // the child may exit without reading it (EPIPE)
    child.stdin.end(o.input);
  }
  const done = new Promise<ChildEnd>((resolve) => {
    let exit: ChildEnd | undefined;
    let grace: NodeJS.Timeout | undefined;
    child.once("error", (e: NodeJS.ErrnoException) => {
      if (child.pid === undefined) resolve({ error: e.code ?? "spawn failed" });
    });
    child.once("exit", (code, signal) => {
      exit = { code, signal };
      grace = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
      }, o.streamGraceMs);
    });
    child.once("close", () => {
      clearTimeout(grace);
      resolve(exit ?? { error: "spawn failed" });
    });
  });
  return { child, done };
}
