/**
 * Heartbeat's log line, for hbd's logfile/debugfile and syslog (pure):
 *
 *   Dec 07 02:13:00 n1 heartbeat: [1234]: info: Link n2:eth0 up.
 *
 * time (local, syslog style), node, `heartbeat: [pid]:`, the level as
 * Heartbeat spells it (debug, info, WARN, ERROR, CRIT), the message. Existing
 * greps and log watchers written for ha-log keep working. The fields of the
 * structured (pino) record that are not the message are dropped here; the
 * JSON form (--log-format json) keeps them.
 */

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** pino's numeric level -> Heartbeat's word. */
export function heartbeatLevel(level: number): string {
  if (level >= 60) return "CRIT";
  if (level >= 50) return "ERROR";
  if (level >= 40) return "WARN";
  if (level >= 30) return "info";
  return "debug";
}

/** pino's numeric level -> syslog severity (crit 2, err 3, warning 4, info 6, debug 7). */
export function syslogSeverity(level: number): number {
  if (level >= 60) return 2;
  if (level >= 50) return 3;
  if (level >= 40) return 4;
  if (level >= 30) return 6;
  return 7;
}

const FACILITY_CODES: Readonly<Record<string, number>> = {
  kern: 0,
  user: 1,
  mail: 2,
  daemon: 3,
  auth: 4,
  syslog: 5,
  lpr: 6,
  news: 7,
  uucp: 8,
  cron: 9,
  authpriv: 10,
  ftp: 11,
  ...Object.fromEntries([0, 1, 2, 3, 4, 5, 6, 7].map((i) => [`local${i}`, 16 + i])),
};

/** The syslog facility number of a name (as ha.cf's logfacility), or undefined. */
export function facilityCode(name: string): number | undefined {
  return FACILITY_CODES[name.toLowerCase()];
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

/** "Dec 07 02:13:00" in the local time of `d`. */
export function syslogTime(d: Date): string {
  return `${MONTHS[d.getMonth()]} ${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export interface LogRecord {
  readonly level: number;
  readonly msg: string;
  readonly time: Date;
}

/** Reads a pino JSON line; undefined when it is not one (the line is then written as it is). */
export function parsePinoLine(line: string): LogRecord | undefined {
  try {
    const o = JSON.parse(line) as { level?: unknown; msg?: unknown; time?: unknown };
    if (typeof o.level !== "number") return undefined;
    const t = typeof o.time === "string" || typeof o.time === "number" ? new Date(o.time) : undefined;
    return {
      level: o.level,
      msg: typeof o.msg === "string" ? o.msg : "",
      time: t !== undefined && !Number.isNaN(t.getTime()) ? t : new Date(0),
    };
  } catch {
    return undefined;
  }
}

/** The message part shared by the file line and the syslog line: "[pid]: info: text". */
export function heartbeatMessage(r: LogRecord, pid: number): string {
  return `[${pid}]: ${heartbeatLevel(r.level)}: ${r.msg.replace(/[\r\n]+/g, " ")}`;
}

/** One ha-log line (no newline); `program` is hb-director for the director's lines. */
export function heartbeatLine(r: LogRecord, node: string, pid: number, program = "heartbeat"): string {
  return `${syslogTime(r.time)} ${node} ${program}: ${heartbeatMessage(r, pid)}`;
}
