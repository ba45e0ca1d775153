/**
 * Our own generation number (`hg`, reference heartbeat.md §3.8) and the
 * deadtime we advertise (`dt`, §3.10). Pure helpers: persisting the generation
 * (write, fsync, rename) is the daemon's job.
 */
import type { Timing } from "../config/model.js";

export type GenerationMethod = "file" | "time";

/**
 * The generation to use for this start.
 * - `file`: the stored value plus one; with no stored value, Unix seconds + 1
 *   (Heartbeat's "No Previous generation - starting at ...").
 * - `time`: Unix seconds at start. Unlike Heartbeat, if a previous value is known
 *   and not below that (a clock that went backwards), previous + 1 is used, so
 *   peers never see our generation go down and drop us as a replay.
 *
 * @param previous the generation of the last start, if known
 * @param nowMs wall-clock time (ms since the Unix epoch)
 */
export function nextGeneration(
  previous: number | undefined,
  method: GenerationMethod,
  nowMs: number,
): number {
  const seconds = Math.floor(nowMs / 1000);
  if (method === "file") return previous === undefined ? seconds + 1 : previous + 1;
  return previous !== undefined && previous >= seconds ? previous + 1 : seconds;
}

/** Heartbeat advertises deadtime + 2 s during the first 5 s after start. */
export const STARTUP_DEADTIME_BONUS_MS = 2000;
export const STARTUP_ADVERTISE_MS = 5000;

/** The `dt` value to put in a status message sent at `nowMs` by a node started at `startMs`. */
export function advertisedDeadtimeMs(timing: Timing, startMs: number, nowMs: number): number {
  return nowMs - startMs < STARTUP_ADVERTISE_MS
    ? timing.deadtimeMs + STARTUP_DEADTIME_BONUS_MS
    : timing.deadtimeMs;
}
