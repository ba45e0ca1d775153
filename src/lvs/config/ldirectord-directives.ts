/** ldirectord.cf parsing, part 2: the directive table (name -> scope and handler), the quoting rules and the retired names. */

import { SYSLOG_FACILITIES } from "../../base/syslog.js";
import { isIPv4 } from "../../config/values.js";
import { CHECK_SERVICES, CHECK_TYPES, type CheckType, type LogTarget } from "../model.js";

import {
  alertStatus,
  type Ctx,
  emailList,
  err,
  type GlobalOnly,
  integer,
  nonEmpty,
  parseFallback,
  quoted,
  type Scope,
  type Shared,
  seconds,
  smtpHost,
  type VirtualDraft,
  yesNo,
} from "./ldirectord-values.js";

// ---------------------------------------------------------------- directives

export type Handler = (c: Ctx, t: Shared & Partial<VirtualDraft> & Partial<GlobalOnly>) => void;

export function set<K extends string>(key: K, f: (c: Ctx) => unknown): Handler {
  return (c, t) => {
    const v = f(c);
    if (v !== undefined) (t as Record<string, unknown>)[key] = v;
  };
}

export const DIRECTIVES: Record<string, { scope: Scope; handle: Handler }> = {
  // shared
  checktimeout: { scope: "both", handle: set("checkTimeoutMs", (c) => seconds(c)) },
  negotiatetimeout: { scope: "both", handle: set("negotiateTimeoutMs", (c) => seconds(c)) },
  checkinterval: { scope: "both", handle: set("checkIntervalMs", (c) => seconds(c)) },
  checkcount: {
    scope: "both",
    handle: (c, t) => {
      const n = integer(c, 1);
      if (n === undefined) return;
      t.checkCount = n;
      c.sink.warning(
        c.line,
        "ldcf.deprecated",
        "checkcount option is deprecated and slated for removal.  please see 'failurecount'",
      );
    },
  },
  failurecount: { scope: "both", handle: set("failureCount", (c) => integer(c, 1)) },
  fallback: { scope: "both", handle: set("fallback", parseFallback) },
  fallback6: { scope: "both", handle: set("fallback6", parseFallback) },
  fallbackcommand: { scope: "both", handle: set("fallbackCommand", nonEmpty) },
  quiescent: { scope: "both", handle: set("quiescent", yesNo) },
  emailalert: { scope: "both", handle: set("emailAlert", emailList) },
  emailalertfreq: { scope: "both", handle: set("emailAlertFreqMs", (c) => seconds(c, true)) },
  emailalertstatus: { scope: "both", handle: set("emailAlertStatus", alertStatus) },
  cleanstop: { scope: "both", handle: set("cleanStop", yesNo) },
  smtp: { scope: "both", handle: set("smtp", smtpHost) },
  retry: { scope: "both", handle: set("retry", (c) => integer(c, 0)) },
  delay_before_retry: { scope: "both", handle: set("delayBeforeRetryMs", (c) => seconds(c, true)) },
  inhibit_on_failure: { scope: "both", handle: set("inhibitOnFailure", yesNo) },
  quorum: { scope: "both", handle: set("quorum", (c) => integer(c, 1)) },
  hysteresis: { scope: "both", handle: set("hysteresis", (c) => integer(c, 0)) },
  // global only
  autoreload: { scope: "global", handle: set("autoreload", yesNo) },
  callback: { scope: "global", handle: set("callback", (c) => quoted(c, "/usr/local/sbin/ld-changed")) },
  logfile: {
    scope: "global",
    handle: set("logfile", (c): LogTarget | undefined => {
      const v = quoted(c, "/var/log/ldirectord.log");
      if (v === undefined) return undefined;
      if (v.startsWith("/")) return { kind: "file", path: v };
      if (SYSLOG_FACILITIES.has(v)) return { kind: "syslog", facility: v };
      return err(
        c,
        `logfile "${v}" is neither an absolute path nor a syslog facility (daemon, local0..local7, ...)`,
      );
    }),
  },
  execute: {
    scope: "global",
    handle: (c, t) => {
      if (nonEmpty(c) !== undefined) t.execute?.push(c.value);
    },
  },
  fork: { scope: "global", handle: set("fork", yesNo) },
  supervised: { scope: "global", handle: set("supervised", yesNo) },
  readdquiescent: { scope: "global", handle: set("readdQuiescent", yesNo) },
  emailalertfrom: {
    scope: "global",
    handle: set("emailAlertFrom", (c) =>
      /^[^\s@]+@[^\s@]+$/.test(c.value)
        ? c.value
        : err(c, `emailalertfrom: "${c.value}" is not an email address`),
    ),
  },
  maintenancedir: { scope: "global", handle: set("maintenanceDir", nonEmpty) },
  // virtual only
  request: {
    scope: "virtual",
    handle: set("request", (c) => mapDefined(quoted(c, "/index.html"), withSlash)),
  },
  receive: { scope: "virtual", handle: set("receive", (c) => quoted(c, "Test Page")) },
  login: { scope: "virtual", handle: set("login", (c) => quoted(c, "user")) },
  passwd: { scope: "virtual", handle: set("passwd", (c) => quoted(c, "secret")) },
  database: { scope: "virtual", handle: set("database", (c) => quoted(c, "dbname")) },
  secret: { scope: "virtual", handle: set("secret", (c) => quoted(c, "radius-secret")) },
  checkcommand: { scope: "virtual", handle: set("command", nonEmpty) },
  monitorfile: { scope: "virtual", handle: set("monitorFile", nonEmpty) },
  virtualhost: { scope: "virtual", handle: set("virtualHost", nonEmpty) },
  servicename: { scope: "virtual", handle: set("serviceName", nonEmpty) },
  comment: { scope: "virtual", handle: set("comment", nonEmpty) },
  checktype: {
    scope: "virtual",
    handle: (c, t) => {
      if (/^\d+$/.test(c.value) && Number(c.value) >= 1 && Number(c.value) <= 2147483647) {
        t.checkType = "combined";
        t.negotiateEvery = Number(c.value);
      } else if ((CHECK_TYPES as readonly string[]).includes(c.value)) {
        t.checkType = c.value as CheckType;
        t.negotiateEvery = 0;
      } else {
        err(
          c,
          `checktype must be "connect", "negotiate", "on", "off", "ping", "external", "external-perl" or a positive number, not "${c.value}"`,
        );
      }
    },
  },
  checkport: { scope: "virtual", handle: set("checkPort", (c) => integer(c, 1, 65535)) },
  scheduler: {
    scope: "virtual",
    handle: set("scheduler", (c) =>
      /^[a-z]+$/.test(c.value)
        ? c.value
        : err(c, `invalid scheduler "${c.value}", should be only lowercase letters (a-z)`),
    ),
  },
  persistent: { scope: "virtual", handle: set("persistenceSec", (c) => integer(c, 1)) },
  netmask: {
    scope: "virtual",
    handle: (c, t) => {
      if (t.family === 6) {
        if (/^\d+$/.test(c.value) && Number(c.value) >= 1 && Number(c.value) <= 128) t.netmask = c.value;
        else err(c, `invalid netmask "${c.value}": a prefix length between 1 and 128 is required`);
      } else if (isIPv4(c.value)) t.netmask = c.value;
      else err(c, `invalid netmask "${c.value}": dotted quad notation is required`);
    },
  },
  protocol: {
    scope: "virtual",
    handle: (c, t) => {
      if (t.endpoint?.kind === "fwmark") {
        if (c.value !== "fwm")
          err(c, `protocol must be fwm if the virtual service is a fwmark (a number), not "${c.value}"`);
      } else if (c.value === "tcp" || c.value === "udp") t.protocol = c.value;
      else
        err(c, `protocol must be tcp or udp if the virtual service is an address and port, not "${c.value}"`);
    },
  },
  ops: { scope: "virtual", handle: set("ops", yesNo) },
  service: {
    scope: "virtual",
    handle: set("service", (c) =>
      (CHECK_SERVICES as readonly string[]).includes(c.value)
        ? c.value
        : err(c, `service must be one of ${CHECK_SERVICES.join(", ")}, not "${c.value}"`),
    ),
  },
  httpmethod: {
    scope: "virtual",
    handle: set("httpMethod", (c) => {
      const u = c.value.toUpperCase();
      return u === "GET" || u === "HEAD" ? u : err(c, `httpmethod must be GET or HEAD, not "${c.value}"`);
    }),
  },
  schedflags: {
    scope: "virtual",
    handle: set("schedFlags", (c) =>
      /^[a-z0-9-]+(,[a-z0-9-]+)*$/.test(c.value)
        ? c.value
        : err(
            c,
            `invalid schedflags "${c.value}": expected a comma-separated list such as sh-port,sh-fallback`,
          ),
    ),
  },
};

/** Directives whose value must be double-quoted (quotes are kept off the value). */
export const MAY_QUOTE = new Set([
  "checkcommand",
  "fallbackcommand",
  "monitorfile",
  "virtualhost",
  "emailalert",
  "servicename",
  "comment",
  "request",
  "receive",
  "login",
  "passwd",
  "database",
  "secret",
  "callback",
  "logfile",
]);

export const RETIRED: Record<string, string> = {
  timeout: "timeout directive deprecated in favour of checktimeout and negotiatetimeout",
  connecttimeout: "connecttimeout directive deprecated in favour of negotiatetimeout",
};

export function mapDefined<T, U>(v: T | undefined, f: (v: T) => U): U | undefined {
  return v === undefined ? undefined : f(v);
}

/** ldirectord adds a leading "/" to a request; absolute URLs (http://...) are kept whole. */
export function withSlash(r: string): string {
  return r.startsWith("/") || /^[a-z][a-z0-9+.-]*:\/\//i.test(r) ? r : `/${r}`;
}
