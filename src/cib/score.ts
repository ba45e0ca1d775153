/**
 * Pacemaker scores: integers saturating at ±INFINITY (1 000 000).
 * Parse with `parseScore`, combine with `addScores` (never plain `+`).
 */
import type { Score } from "./model.js";

/** Pacemaker's INFINITY (CRM_SCORE_INFINITY). */
export const INFINITY = 1_000_000;
export const MINUS_INFINITY = -INFINITY;

/** Clamps to [-INFINITY, +INFINITY] and truncates to an integer. */
export function clampScore(n: number): Score {
  if (Number.isNaN(n)) return 0;
  if (n >= INFINITY) return INFINITY;
  if (n <= -INFINITY) return -INFINITY;
  return Math.trunc(n);
}

/**
 * Parses `INFINITY`, `+INFINITY`, `-INFINITY` (any case) or an integer
 * (clamped to ±INFINITY). Returns undefined for anything else.
 */
export function parseScore(text: string): Score | undefined {
  const t = text.trim();
  const u = t.toUpperCase();
  if (u === "INFINITY" || u === "+INFINITY") return INFINITY;
  if (u === "-INFINITY") return -INFINITY;
  if (!/^[+-]?\d+$/.test(t)) return undefined;
  return clampScore(Number(t));
}

/** Renders a score the way Pacemaker writes it: `INFINITY`, `-INFINITY` or the integer. */
export function formatScore(s: Score): string {
  if (s >= INFINITY) return "INFINITY";
  if (s <= -INFINITY) return "-INFINITY";
  return String(Math.trunc(s));
}

/**
 * Pacemaker's score addition (pcmk__add_scores): -INFINITY wins over
 * everything (even +INFINITY), then +INFINITY; otherwise the clamped sum.
 */
export function addScores(a: Score, b: Score): Score {
  if (a <= -INFINITY || b <= -INFINITY) return -INFINITY;
  if (a >= INFINITY || b >= INFINITY) return INFINITY;
  return clampScore(a + b);
}

/** Sum of several scores with `addScores` semantics (0 for none). */
export function sumScores(scores: Iterable<Score>): Score {
  let total = 0;
  for (const s of scores) total = addScores(total, s);
  return total;
}
