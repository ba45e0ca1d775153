/** Syslog facility names (as Heartbeat's logfacility and ldirectord's logfile accept them). */
export const SYSLOG_FACILITIES: ReadonlySet<string> = new Set([
  "auth",
  "authpriv",
  "cron",
  "daemon",
  "ftp",
  "kern",
  "lpr",
  "mail",
  "news",
  "syslog",
  "user",
  "uucp",
  ...[0, 1, 2, 3, 4, 5, 6, 7].map((i) => `local${i}`),
]);
