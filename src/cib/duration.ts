/**
 * Time values as Pacemaker accepts them in the CIB: ISO 8601 durations
 * (`PT10S`, `P1DT2H`) and the `crm_get_msec` forms (`10`, `10s`, `500ms`,
 * `1min`, `2h`, `100us`; a bare number is seconds). Results in milliseconds.
 */

const UNIT_MS: Readonly<Record<string, number>> = {
  "": 1000,
  s: 1000,
  sec: 1000,
  ms: 1,
  msec: 1,
  us: 0.001,
  usec: 0.001,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
};

const ISO_RE =
  /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** Parses an ISO 8601 duration (`P[nY][nM][nW][nD][T[nH][nM][nS]]`; a year is 365 days, a month 30). */
export function parseIsoDurationMs(text: string): number | undefined {
  const m = ISO_RE.exec(text.trim().toUpperCase());
  if (!m || text.trim().length <= 1 || /T$/i.test(text.trim())) return undefined;
  const [, y, mo, w, d, h, mi, s] = m.map((v) => (v === undefined ? 0 : Number(v)));
  const days = (y ?? 0) * 365 + (mo ?? 0) * 30 + (w ?? 0) * 7 + (d ?? 0);
  const seconds = ((days * 24 + (h ?? 0)) * 60 + (mi ?? 0)) * 60 + (s ?? 0);
  return Math.round(seconds * 1000);
}

/** Parses `crm_get_msec` forms: integer, optional spaces, optional unit (s sec ms msec us usec m min h hr; any case). */
export function parseMsecSpec(text: string): number | undefined {
  const m = /^\s*(\d+)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (!m) return undefined;
  const factor = UNIT_MS[(m[2] ?? "").toLowerCase()];
  if (factor === undefined) return undefined;
  return Math.floor(Number(m[1]) * factor);
}

/** Any duration Pacemaker accepts for intervals and timeouts, in ms; undefined when invalid. */
export function parseDurationMs(text: string): number | undefined {
  const t = text.trim();
  if (/^P/i.test(t)) return parseIsoDurationMs(t);
  return parseMsecSpec(t);
}

/** Renders ms compactly for CIB output: `10s`, `1min`, `500ms`. */
export function formatDurationMs(ms: number): string {
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}min`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
