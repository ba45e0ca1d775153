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

/** What runCollect gives: the exit code (null: killed or not spawned), the output, the spawn error's code. */
export interface Collected {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** ENOENT, EACCES, ...: the program could not be run. */
  readonly spawnError?: string;
  readonly timedOut: boolean;
}

/**
 * Runs a short command (nft, ip, conntrack) with this process's environment
 * and collects its whole output; SIGKILLed after `timeoutMs`. Never rejects.
 */
export async function runCollect(
  file: string,
  args: readonly string[],
  o: { readonly input?: string; readonly timeoutMs: number },
): Promise<Collected> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined),
  );
  const { child, done } = startChild(file, args, {
    env,
    ...(o.input === undefined ? {} : { input: o.input }),
    streamGraceMs: 100,
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on("data", (b: Buffer) => out.push(b));
  child.stderr?.on("data", (b: Buffer) => err.push(b));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, o.timeoutMs);
  const end = await done;
  clearTimeout(timer);
  return {
    exitCode: "error" in end ? null : end.code,
    stdout: Buffer.concat(out).toString("utf8"),
    stderr: Buffer.concat(err).toString("utf8"),
    ...("error" in end ? { spawnError: end.error } : {}),
    timedOut,
  };
}
