/**
 * Error categories (see docs/ARCHITECTURE.md):
 * - assert(): a bug; crash.
 * - TandemError subclasses with a stable `name` and `exitCode`: operating conditions.
 * - Parsers do not throw for bad input: they return Diagnostics.
 */

/** Exit codes shared by hbctl and hbd, and imported by tests. */
export const ExitCode = {
  ok: 0,
  /** `hbctl verify`: warnings only. Other commands: a generic failure. */
  warnings: 1,
  /** `hbctl verify`: errors found. Other commands: a usage or input error. */
  errors: 2,
  usage: 2,
  /** Could not reach the daemon. */
  unavailable: 3,
  /** Not permitted (not root and not in the configured group). */
  permission: 4,
  /** Configuration error at daemon start, as Heartbeat's exit code 6. */
  config: 6,
  /** hbd: its state or run directory is unusable at start (full disk, not a directory, permissions). */
  startup: 7,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class TandemError extends Error {
  override readonly name: string = "TandemError";
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.warnings,
  ) {
    super(message);
  }
}

export class UsageError extends TandemError {
  override readonly name = "UsageError";
  constructor(message: string) {
    super(message, ExitCode.usage);
  }
}

export class AssertionError extends Error {
  override readonly name = "AssertionError";
}

export function assert(cond: unknown, message = "assertion failed"): asserts cond {
  if (!cond) throw new AssertionError(message);
}
