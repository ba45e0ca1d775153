/**
 * The ports at the bottom of every layer: a clock, timers and a logger. The
 * pure core (membership, policy, the composed node) receives them; hbd passes
 * the real ones (daemon/main.ts), the simulator its own (sim/).
 */

/** Milliseconds; monotonic within one process is enough for every caller. */
export interface Clock {
  now(): number;
}

/** One-shot timers (real timers in hbd, the simulator's scheduler under test). */
export interface TimerPort {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The subset of pino's API the core uses (pino loggers satisfy it). */
export interface Logger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
