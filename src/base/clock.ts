/**
 * hbd's monotonic clock: milliseconds on the epoch's scale at start-up, then
 * advancing with process.hrtime (never with wall clock steps). It was
 * `performance.timeOrigin + performance.now()`, the same figures; but the
 * global `performance` loads node's perf_hooks and eleven modules behind it,
 * ~0.7 MB of hbd's RSS (issue 15).
 */

const elapsedMs = (): number => {
  const t = process.hrtime();
  return t[0] * 1e3 + t[1] / 1e6;
};

const ORIGIN_MS = Date.now() - elapsedMs();

/** Monotonic milliseconds (the epoch's value when the process started, plus elapsed time). */
export function monotonicNowMs(): number {
  return ORIGIN_MS + elapsedMs();
}
