/**
 * `new Date(ms).toISOString()` by arithmetic. V8's toISOString computes the
 * local time zone's offset and name before it prints UTC (ToDateString), so
 * the first call loads ICU's time zone data: ~0.5 MB of hbd's RSS (issue 15;
 * seen with `perf record -e page-faults -d`), for the `time` of every JSON log
 * record. The date is the proleptic Gregorian calendar's, from days since
 * 1970-01-01 (the civil-from-days conversion: 400-year eras of 146,097 days,
 * years counted from March so that February's leap day ends a year).
 */

const DAY_MS = 86_400_000;

const pad2 = (n: number): string => (n < 10 ? `0${n}` : `${n}`);
const pad3 = (n: number): string => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);

/** Year, month (1-12) and day (1-31) of a day number (days since 1970-01-01, may be negative). */
export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719_468; // days since 0000-03-01
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097; // day of era, 0..146096
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100)); // day of the March-based year
  const mp = Math.floor((5 * doy + 2) / 153); // month from March, 0..11
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** The same text as `new Date(ms).toISOString()` (which it falls back to outside years 0-9999 or for a bad time). */
export function isoTime(ms: number): string {
  if (!Number.isFinite(ms)) return new Date(ms).toISOString(); // throws RangeError, as Date does
  const t = Math.trunc(ms) + 0; // TimeClip: toward zero, as Date does
  const days = Math.floor(t / DAY_MS);
  const { year, month, day } = civilFromDays(days);
  if (year < 0 || year > 9999) return new Date(ms).toISOString();
  let rem = t - days * DAY_MS;
  const h = Math.floor(rem / 3_600_000);
  rem -= h * 3_600_000;
  const m = Math.floor(rem / 60_000);
  rem -= m * 60_000;
  const s = Math.floor(rem / 1000);
  const y = year < 1000 ? `${year}`.padStart(4, "0") : `${year}`;
  return `${y}-${pad2(month)}-${pad2(day)}T${pad2(h)}:${pad2(m)}:${pad2(s)}.${pad3(rem - s * 1000)}Z`;
}
