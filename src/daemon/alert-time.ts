/**
 * CRM_alert_timestamp (pure): the alert's `timestamp-format`, a date(1) /
 * strftime format plus Pacemaker's %N (fractions of a second: `%06N`
 * microseconds, `%3N` milliseconds, `%N` nanoseconds, as pcmk__time_format_hr
 * does). Covers the conversions of the C locale that do not depend on
 * locale data; an unknown one is copied as written. Limit: %Z comes from
 * Intl, which knows the abbreviations of the common zones (UTC, CET/CEST,
 * EST/EDT, ...) but not all (Asia/Kolkata's IST prints as +0530).
 */

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

interface Fields {
  readonly year: number;
  readonly month: number; // 1-12
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly weekday: number; // 0 = Sunday
  /** Minutes east of UTC. */
  readonly offsetMin: number;
  readonly zoneName: string;
}

function fieldsAt(ms: number, timeZone: string | undefined): Fields {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
    weekday: "short",
    timeZoneName: "short",
  }).formatToParts(new Date(ms));
  const get = (t: string): string => parts.find((p) => p.type === t)?.value ?? "";
  const num = (t: string): number => Number(get(t));
  const f = {
    year: num("year"),
    month: num("month"),
    day: num("day"),
    hour: num("hour") % 24,
    minute: num("minute"),
    second: num("second"),
    weekday: ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"].indexOf(get("weekday")),
  };
  const asUtc = Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second);
  const offsetMin = Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 60_000);
  return { ...f, offsetMin, zoneName: zoneName(ms, timeZone, get("timeZoneName"), offsetMin) };
}

/**
 * %Z: Intl's short name, which for some zones is "GMT+1" in one English
 * locale and "CET" in another; date(1) prints the tz database's
 * abbreviation, or the numeric offset ("+01") where it has none.
 */
function zoneName(ms: number, timeZone: string | undefined, us: string, offsetMin: number): string {
  if (!/^GMT[+-]/.test(us)) return us === "GMT" && offsetMin === 0 && timeZone === "UTC" ? "UTC" : us;
  const gb = new Intl.DateTimeFormat("en-GB", { timeZone, timeZoneName: "short" })
    .formatToParts(new Date(ms))
    .find((p) => p.type === "timeZoneName")?.value;
  if (gb !== undefined && !/^(GMT|UTC)[+-]/.test(gb)) return gb;
  const a = Math.abs(offsetMin);
  const mm = a % 60 === 0 ? "" : pad(a % 60, 2);
  return `${offsetMin < 0 ? "-" : "+"}${pad(Math.floor(a / 60), 2)}${mm}`;
}

const pad = (n: number, w: number, c = "0"): string => String(n).padStart(w, c);

function dayOfYear(f: Fields): number {
  return Math.round((Date.UTC(f.year, f.month - 1, f.day) - Date.UTC(f.year, 0, 1)) / 86_400_000) + 1;
}

function zone(f: Fields): string {
  const a = Math.abs(f.offsetMin);
  return `${f.offsetMin < 0 ? "-" : "+"}${pad(Math.floor(a / 60), 2)}${pad(a % 60, 2)}`;
}

function conversion(c: string, f: Fields, epochS: number): string | undefined {
  const h12 = f.hour % 12 === 0 ? 12 : f.hour % 12;
  const table: Record<string, () => string> = {
    a: () => (DAYS[f.weekday] ?? "").slice(0, 3),
    A: () => DAYS[f.weekday] ?? "",
    b: () => (MONTHS[f.month - 1] ?? "").slice(0, 3),
    h: () => (MONTHS[f.month - 1] ?? "").slice(0, 3),
    B: () => MONTHS[f.month - 1] ?? "",
    C: () => pad(Math.floor(f.year / 100), 2),
    d: () => pad(f.day, 2),
    D: () => `${pad(f.month, 2)}/${pad(f.day, 2)}/${pad(f.year % 100, 2)}`,
    e: () => pad(f.day, 2, " "),
    F: () => `${f.year}-${pad(f.month, 2)}-${pad(f.day, 2)}`,
    H: () => pad(f.hour, 2),
    I: () => pad(h12, 2),
    j: () => pad(dayOfYear(f), 3),
    k: () => pad(f.hour, 2, " "),
    l: () => pad(h12, 2, " "),
    m: () => pad(f.month, 2),
    M: () => pad(f.minute, 2),
    n: () => "\n",
    p: () => (f.hour < 12 ? "AM" : "PM"),
    P: () => (f.hour < 12 ? "am" : "pm"),
    r: () => `${pad(h12, 2)}:${pad(f.minute, 2)}:${pad(f.second, 2)} ${f.hour < 12 ? "AM" : "PM"}`,
    R: () => `${pad(f.hour, 2)}:${pad(f.minute, 2)}`,
    s: () => String(epochS),
    S: () => pad(f.second, 2),
    t: () => "\t",
    T: () => `${pad(f.hour, 2)}:${pad(f.minute, 2)}:${pad(f.second, 2)}`,
    u: () => String(f.weekday === 0 ? 7 : f.weekday),
    w: () => String(f.weekday),
    y: () => pad(f.year % 100, 2),
    Y: () => String(f.year),
    z: () => zone(f),
    Z: () => f.zoneName,
    "%": () => "%",
  };
  table.c = () => `${table.a?.()} ${table.b?.()} ${table.e?.()} ${table.T?.()} ${f.year}`;
  table.x = () => table.D?.() ?? "";
  table.X = () => table.T?.() ?? "";
  return table[c]?.();
}

/**
 * Formats `epochUs` (microseconds since the epoch) with `format` in
 * `timeZone` (undefined: the process's, as date(1) uses TZ).
 */
export function formatTimestamp(format: string, epochUs: number, timeZone?: string): string {
  const epochS = Math.floor(epochUs / 1e6);
  const usec = epochUs - epochS * 1e6;
  const f = fieldsAt(epochS * 1000, timeZone);
  let out = "";
  for (let i = 0; i < format.length; i++) {
    const ch = format[i] as string;
    if (ch !== "%" || i + 1 >= format.length) {
      out += ch;
      continue;
    }
    const m = /^(\d*)N/.exec(format.slice(i + 1));
    if (m !== null) {
      // %N: nanoseconds, 9 digits; %<w>N: the first w digits (a leading 0 in the width is a flag)
      const width = m[1] === "" ? 9 : Math.min(9, Math.max(1, Number(m[1])));
      out += pad(usec * 1000, 9).slice(0, width);
      i += m[0].length;
      continue;
    }
    const c = format[i + 1] as string;
    const v = conversion(c, f, epochS);
    out += v ?? `%${c}`;
    i++;
  }
  return out;
}
