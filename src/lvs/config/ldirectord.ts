/**
 * ldirectord.cf parser (ldirectord 4.12 grammar and code defaults). Pure: text
 * in, `DirectorConfig` + diagnostics (file:line) out; host names are resolved
 * through a synchronous callback the caller fills beforehand (`hostNamesIn()`
 * lists the names to look up).
 *
 * Compatible with ldirectord:
 * - `name = value` globals at column 0; `virtual =` / `virtual6 =` opens a block
 *   of lines indented by at least 4 spaces (a tab counts as 4); the first line
 *   that is not indented (a blank line included) closes it.
 * - unknown directives, the retired `timeout` / `connecttimeout`, a duplicated
 *   virtual service and bad values are errors (ldirectord exits 2);
 * - request, receive, login, passwd, database, secret, callback and logfile
 *   must be double-quoted; checkcommand, fallbackcommand, monitorfile,
 *   virtualhost, emailalert, servicename and comment may be;
 * - defaults are the code's (quiescent=no, checkinterval 10, failurecount 1,
 *   scheduler wrr, ...), with the checktimeout/negotiatetimeout mutual
 *   defaulting rule; globals apply wherever they appear in the file.
 *
 * Deliberate differences: every problem is reported (ldirectord stops at the
 * first); `#` starts a comment only outside double quotes (ldirectord cuts
 * inside quotes too); numbers must be whole values ("10s" is an error, where
 * ldirectord reads 10) but times may have a fraction of a second (0.5); an
 * indented line after a blank line gets a message saying why.
 */

import { DiagnosticSink, type Parsed } from "../../base/diag.js";
import { SYSLOG_FACILITIES } from "../../base/syslog.js";
import { ipv4ToInt, isIPv4, isIPv6 } from "../../config/values.js";
import {
  type AddressFamily,
  CHECK_SERVICES,
  CHECK_TYPES,
  type CheckService,
  type CheckType,
  LDIRECTORD_DEFAULTS as D,
  DAEMON_PHASES,
  type DaemonPhase,
  type DirectorConfig,
  type FallbackServer,
  FORWARDING_METHODS,
  type ForwardingMethod,
  type GlobalSettings,
  type HttpMethod,
  type LogTarget,
  type Protocol,
  type RealServer,
  SERVICE_PORTS,
  serviceKey,
  type VirtualEndpoint,
  type VirtualService,
} from "../model.js";

export interface LdirectordParseOptions {
  /** Resolves a host name to an address of the family; undefined = unknown. Numeric addresses never reach it. */
  readonly resolveHost?: (name: string, family: AddressFamily) => string | undefined;
  /** Port names (like /etc/services); defaults to `WELL_KNOWN_PORTS`. */
  readonly servicePorts?: ReadonlyMap<string, number>;
  /** Host name for the ftp/sip login defaults (`ldirectord@HOSTNAME`). */
  readonly hostname?: string;
}

/** Port names accepted where ldirectord calls getservbyname (common /etc/services entries). */
export const WELL_KNOWN_PORTS: ReadonlyMap<string, number> = new Map([
  ["ftp", 21],
  ["ssh", 22],
  ["telnet", 23],
  ["smtp", 25],
  ["domain", 53],
  ["http", 80],
  ["www", 80],
  ["pop3", 110],
  ["nntp", 119],
  ["ntp", 123],
  ["imap", 143],
  ["imap2", 143],
  ["snmp", 161],
  ["ldap", 389],
  ["https", 443],
  ["submission", 587],
  ["ldaps", 636],
  ["imaps", 993],
  ["pop3s", 995],
  ["ms-sql-s", 1433],
  ["ncube-lm", 1521],
  ["radius", 1812],
  ["nfs", 2049],
  ["squid", 3128],
  ["mysql", 3306],
  ["sip", 5060],
  ["postgresql", 5432],
  ["http-alt", 8080],
  ["webcache", 8080],
]);

/** Services ldirectord can check on IPv6 virtuals, and check types. */
const V6_SERVICES = new Set<CheckService>(["dns", "http", "https", "nntp", "none", "simpletcp", "sip"]);
const V6_CHECKTYPES = new Set<CheckType>([
  "connect",
  "external",
  "external-perl",
  "negotiate",
  "off",
  "on",
  "combined",
]);

/** Largest `a->b` range expanded (ldirectord has no limit; this keeps a typo from eating memory). */
export const MAX_RANGE = 65536;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface FallbackSpec {
  readonly host: string;
  readonly port?: string;
  readonly method: ForwardingMethod;
  readonly at: { file: string; line: number };
}

/** Settings that both the global section and a virtual block may set. */
interface Shared {
  checkTimeoutMs?: number;
  negotiateTimeoutMs?: number;
  checkIntervalMs?: number;
  checkCount?: number;
  failureCount?: number;
  fallback?: FallbackSpec;
  fallback6?: FallbackSpec;
  fallbackCommand?: string;
  quiescent?: boolean;
  emailAlert?: string[];
  emailAlertFreqMs?: number;
  emailAlertStatus?: DaemonPhase[];
  cleanStop?: boolean;
  smtp?: string;
  retry?: number;
  delayBeforeRetryMs?: number;
  inhibitOnFailure?: boolean;
  quorum?: number;
  hysteresis?: number;
}

interface GlobalOnly {
  autoreload?: boolean;
  callback?: string;
  logfile?: LogTarget;
  execute: string[];
  fork?: boolean;
  supervised?: boolean;
  readdQuiescent?: boolean;
  emailAlertFrom?: string;
  maintenanceDir?: string;
}

interface VirtualDraft extends Shared {
  line: number;
  family: AddressFamily;
  endpoint?: VirtualEndpoint;
  /** Port as written ("80", "http"), for the udp-for-dns rule. */
  portText?: string;
  protocol?: Protocol;
  scheduler?: string;
  persistenceSec?: number;
  netmask?: string;
  schedFlags?: string;
  ops?: boolean;
  checkType?: CheckType;
  negotiateEvery?: number;
  service?: CheckService;
  checkPort?: number;
  request?: string;
  receive?: string;
  httpMethod?: HttpMethod;
  virtualHost?: string;
  login?: string;
  passwd?: string;
  database?: string;
  secret?: string;
  command?: string;
  monitorFile?: string;
  serviceName?: string;
  comment?: string;
  reals: RealServer[];
  explicit: string[];
}

type Scope = "global" | "virtual" | "both";

interface Ctx {
  readonly sink: DiagnosticSink;
  readonly line: number;
  readonly name: string;
  /** Value with surrounding quotes removed. */
  readonly value: string;
  readonly quoted: boolean;
  readonly opts: Required<Pick<LdirectordParseOptions, "servicePorts">> & LdirectordParseOptions;
}

// ---------------------------------------------------------------- value helpers

function err(c: Ctx, message: string, code = "ldcf.invalid"): undefined {
  c.sink.error(c.line, code, message);
  return undefined;
}

function yesNo(c: Ctx): boolean | undefined {
  if (c.value === "yes") return true;
  if (c.value === "no") return false;
  return err(c, `${c.name} must be 'yes' or 'no', not "${c.value}"`);
}

function seconds(c: Ctx, allowZero = false): number | undefined {
  const m = /^(\d+(?:\.\d+)?)$/.exec(c.value);
  const n = m ? Number(m[1]) : Number.NaN;
  if (!Number.isFinite(n) || (allowZero ? n < 0 : n <= 0))
    return err(
      c,
      `${c.name} must be a ${allowZero ? "non-negative" : "positive"} number of seconds, not "${c.value}"`,
    );
  return Math.round(n * 1000);
}

function integer(c: Ctx, min: number, max = 2147483647): number | undefined {
  const n = /^\d{1,10}$/.test(c.value) ? Number(c.value) : Number.NaN;
  if (!(n >= min && n <= max)) {
    const what =
      min === 0 ? "a non-negative integer" : min === 1 ? "a positive integer" : `an integer >= ${min}`;
    return err(c, `${c.name} must be ${what}${max < 2147483647 ? ` up to ${max}` : ""}, not "${c.value}"`);
  }
  return n;
}

/** A value that must be written in double quotes, non-empty. */
function quoted(c: Ctx, example: string): string | undefined {
  if (!c.quoted)
    return err(c, `${c.name} must be a double-quoted string, e.g. ${c.name}="${example}"`, "ldcf.quote");
  if (c.value === "") return err(c, `${c.name} must not be empty`);
  return c.value;
}

function nonEmpty(c: Ctx): string | undefined {
  return c.value === "" ? err(c, `${c.name} needs a value`) : c.value;
}

function emailList(c: Ctx): string[] | undefined {
  const list = c.value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (list.length === 0) return err(c, `${c.name}: no email address specified`);
  const bad = list.find((a) => !/^[^\s@]+@[^\s@]+$/.test(a));
  if (bad !== undefined) return err(c, `${c.name}: "${bad}" is not an email address`);
  return list;
}

function alertStatus(c: Ctx): DaemonPhase[] | undefined {
  const words = c.value.split(/\s*,\s*/).filter((w) => w !== "");
  if (words.length === 0)
    return err(c, `${c.name} needs a value: all, none, or a list of ${DAEMON_PHASES.join(", ")}`);
  const out = new Set<DaemonPhase>();
  for (const w of words) {
    if (w === "none") continue;
    if (w === "all") for (const p of DAEMON_PHASES) out.add(p);
    else if ((DAEMON_PHASES as readonly string[]).includes(w)) out.add(w as DaemonPhase);
    else return err(c, `invalid email alert status "${w}": expected all, none, ${DAEMON_PHASES.join(", ")}`);
  }
  if (words.includes("none") && words.length > 1)
    return err(c, `invalid email alert status: "none" cannot be combined with other values`);
  return DAEMON_PHASES.filter((p) => out.has(p));
}

function smtpHost(c: Ctx): string | undefined {
  return /^[0-9A-Za-z._+-]+(:\d{1,5})?$/.test(c.value)
    ? c.value
    : err(c, `invalid SMTP server address "${c.value}"`);
}

/** Resolves a port written as a number or a service name. */
function portOf(text: string, ports: ReadonlyMap<string, number>): number | undefined {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    return n <= 65535 ? n : undefined;
  }
  return ports.get(text);
}

/** IPv6 literal (the shared check is loose about ":::"). */
function isV6(s: string): boolean {
  return isIPv6(s) && !s.includes(":::");
}

/** Resolves a host (numeric address, [v6], or name) for a family. */
function resolveAddr(host: string, family: AddressFamily, opts: LdirectordParseOptions): string | undefined {
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  if (family === 4 && isIPv4(bare)) return bare;
  if (family === 6 && isV6(bare)) return bare.toLowerCase();
  if (/^\d+(\.\d+)*$/.test(bare) || bare.includes(":") || bare !== host) return undefined;
  const r = opts.resolveHost?.(bare, family);
  if (r !== undefined) return r;
  if (bare === "localhost") return family === 4 ? "127.0.0.1" : "::1";
  return undefined;
}

function parseFallback(c: Ctx): FallbackSpec | undefined {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::([0-9A-Za-z_-]+))?(?:\s+(\S+))?$/.exec(c.value);
  if (!m) return err(c, `invalid fallback server "${c.value}": expected host[:port] [gate|masq|ipip]`);
  const method = m[3] ?? "gate";
  if (!(FORWARDING_METHODS as readonly string[]).includes(method))
    return err(c, `forward method must be gate, masq or ipip, not "${method}"`);
  return {
    host: m[1] as string,
    ...(m[2] === undefined ? {} : { port: m[2] }),
    method: method as ForwardingMethod,
    at: { file: c.sink.file, line: c.line },
  };
}

// ---------------------------------------------------------------- directives

type Handler = (c: Ctx, t: Shared & Partial<VirtualDraft> & Partial<GlobalOnly>) => void;

function set<K extends string>(key: K, f: (c: Ctx) => unknown): Handler {
  return (c, t) => {
    const v = f(c);
    if (v !== undefined) (t as Record<string, unknown>)[key] = v;
  };
}

const DIRECTIVES: Record<string, { scope: Scope; handle: Handler }> = {
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
const MAY_QUOTE = new Set([
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

const RETIRED: Record<string, string> = {
  timeout: "timeout directive deprecated in favour of checktimeout and negotiatetimeout",
  connecttimeout: "connecttimeout directive deprecated in favour of negotiatetimeout",
};

function mapDefined<T, U>(v: T | undefined, f: (v: T) => U): U | undefined {
  return v === undefined ? undefined : f(v);
}

/** ldirectord adds a leading "/" to a request; absolute URLs (http://...) are kept whole. */
function withSlash(r: string): string {
  return r.startsWith("/") || /^[a-z][a-z0-9+.-]*:\/\//i.test(r) ? r : `/${r}`;
}

// ---------------------------------------------------------------- lines

/** Removes a `#` comment that is outside double quotes, then trailing blanks. */
function stripComment(s: string): string {
  let inQ = false;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '"') inQ = !inQ;
    else if (s[i] === "#" && !inQ) return s.slice(0, i).trimEnd();
  }
  return s.trimEnd();
}

function unquote(raw: string): { value: string; quoted: boolean } {
  const m = /^"(.*)"$/.exec(raw);
  return m ? { value: m[1] as string, quoted: true } : { value: raw, quoted: false };
}

// ---------------------------------------------------------------- real servers

const ADDR = String.raw`\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+`;
const REAL_RE = new RegExp(`^(${ADDR})(?:->(${ADDR}))?(?::([0-9A-Za-z_-]+))?(?:\\s+(.*))?$`);

function parseReal(c: Ctx, v: VirtualDraft): void {
  const m = REAL_RE.exec(c.value);
  if (!m) {
    err(c, `invalid address for real server (wrong format): "${c.value}"`);
    return;
  }
  const [, h1 = "", h2, portText, rest = ""] = m;
  const at = { file: c.sink.file, line: c.line };
  const ip1 = resolveAddr(h1, v.family, c.opts);
  if (ip1 === undefined) {
    err(c, `invalid address (${h1}) for real server (could not resolve host)`, "ldcf.resolve");
    return;
  }
  let port = 0;
  if (portText !== undefined) {
    const p = portOf(portText, c.opts.servicePorts);
    if (p === undefined) {
      err(c, `invalid port (${portText}) for real server (could not resolve port)`, "ldcf.resolve");
      return;
    }
    port = p;
  }
  // forwarding method, weight, "request", "receive", l:N, u:N
  const mm = /^(\S+)(.*)$/.exec(rest.trim());
  const method = mm?.[1];
  if (method === undefined || !(FORWARDING_METHODS as readonly string[]).includes(method)) {
    err(c, `forward method must be gate, masq or ipip${method === undefined ? "" : `, not "${method}"`}`);
    return;
  }
  let tail = mm?.[2] ?? "";
  let weight: number = D.weight;
  const w = /^\s+(\d+)(?=\s|$)(.*)$/.exec(tail);
  if (w) {
    weight = Number(w[1]);
    if (weight > 2147483647) {
      err(c, `real server weight must be at most 2147483647, not ${w[1]}`);
      return;
    }
    tail = w[2] ?? "";
  }
  let request: string | undefined;
  let receive: string | undefined;
  const rr = /^\s+"([^"]*)"\s*(?:,\s*|\s)"([^"]*)"(.*)$/.exec(tail);
  if (rr) {
    request = withSlash(rr[1] ?? "");
    receive = rr[2] ?? "";
    tail = rr[3] ?? "";
  }
  let lower = 0;
  let upper = 0;
  for (;;) {
    const t = /^\s+([lu]):(\d+)(?=\s|$)(.*)$/.exec(tail);
    if (!t) break;
    if (t[1] === "l") lower = Number(t[2]);
    else upper = Number(t[2]);
    tail = t[3] ?? "";
  }
  if (tail.trim() !== "") {
    err(c, `Invalid real server line, around "${tail.trim()}"`);
    return;
  }
  if (upper > 0 && lower > upper) {
    err(c, `real server lower threshold l:${lower} is above its upper threshold u:${upper}`);
    return;
  }
  const base = {
    port,
    method: method as ForwardingMethod,
    weight,
    ...(request === undefined ? {} : { request }),
    ...(receive === undefined ? {} : { receive }),
    upperThreshold: upper,
    lowerThreshold: lower,
    at,
  };
  if (h2 === undefined) {
    v.reals.push({ host: h1, ip: ip1, ...base });
    return;
  }
  if (v.family === 6) {
    err(c, "Address range for IPv6 is not supported yet");
    return;
  }
  const ip2 = resolveAddr(h2, 4, c.opts);
  if (ip2 === undefined) {
    err(c, `invalid address (${h2}) for real server (could not resolve end host)`, "ldcf.resolve");
    return;
  }
  const a = ipv4ToInt(ip1);
  const b = ipv4ToInt(ip2);
  if (a > b) {
    err(c, `Invalid Range: ${ip1}-${ip2}: the first address must not be greater than the last`, "ldcf.range");
    return;
  }
  if (b - a + 1 > MAX_RANGE) {
    err(
      c,
      `range ${ip1}->${ip2} has ${b - a + 1} addresses; at most ${MAX_RANGE} are expanded`,
      "ldcf.range",
    );
    return;
  }
  for (let i = a; i <= b; i++) {
    const ip = [24, 16, 8, 0].map((s) => Math.floor(i / 2 ** s) % 256).join(".");
    v.reals.push({ host: ip, ip, ...base });
  }
}

// ---------------------------------------------------------------- virtual header

function parseVirtualHeader(c: Ctx, family: AddressFamily, v: VirtualDraft): boolean {
  const s = c.value;
  if (/^\d+$/.test(s)) {
    const mark = Number(s);
    if (mark < 1 || mark > 4294967295) return !!err(c, `invalid firewall mark ${s}: expected 1..4294967295`);
    v.endpoint = { kind: "fwmark", family, mark };
    return true;
  }
  let host: string | undefined;
  let portText: string | undefined;
  let ip: string | undefined;
  const v6 = /^\[([0-9A-Fa-f:.]+)\]:([0-9A-Za-z_-]+)$/.exec(s);
  if (v6) {
    if (family === 4)
      return !!err(c, `cannot specify an IPv6 address here. please use "virtual6" instead.`, "ldcf.invalid");
    if (!isV6(v6[1] as string)) return !!err(c, "invalid ipv6 address for virtual server");
    host = v6[1] as string;
    ip = host.toLowerCase();
    portText = v6[2] as string;
  } else {
    const hp = /^([0-9A-Za-z._+-]+):([0-9A-Za-z_-]+)$/.exec(s);
    if (!hp) {
      return !!err(
        c,
        `invalid address for virtual server "${s}": expected ip:port, host:port, ip:service, [ipv6]:port (virtual6) or a firewall mark`,
      );
    }
    host = hp[1] as string;
    portText = hp[2] as string;
    ip = resolveAddr(host, family, c.opts);
    if (ip === undefined)
      return !!err(
        c,
        `invalid address (${host}) for virtual server (could not resolve host)`,
        "ldcf.resolve",
      );
  }
  const port = portOf(portText, c.opts.servicePorts);
  if (port === undefined)
    return !!err(c, `invalid port (${portText}) for virtual server (could not resolve port)`, "ldcf.resolve");
  v.endpoint = { kind: "addr", family, host, ip, port };
  v.portText = portText;
  return true;
}

// ---------------------------------------------------------------- parse

/** One `name = value` line; `raw` is the text after `=` (trimmed), undefined for a bare name. */
export interface DirectiveLine {
  readonly line: number;
  readonly name: string;
  readonly raw?: string;
  /** The line follows a virtual block that a blank line closed (for a better message). */
  readonly afterBlank?: boolean;
}

/** A virtual block: its header (`virtual = <header>`) and its directives. */
export interface VirtualBlock {
  readonly line: number;
  readonly family: AddressFamily;
  readonly header: string;
  readonly body: readonly DirectiveLine[];
}

/** The file as a sequence of global directives and virtual blocks (what both syntaxes produce). */
export type ConfigItem =
  | { readonly kind: "global"; readonly d: DirectiveLine }
  | { readonly kind: "virtual"; readonly v: VirtualBlock };

/** Splits ldirectord.cf text into items, reporting layout errors (indentation, syntax). */
function tokenize(text: string, sink: DiagnosticSink): ConfigItem[] {
  const items: ConfigItem[] = [];
  const lines = text.split(/\r?\n/);
  let body: DirectiveLine[] | undefined;
  let afterBlank = false;
  const split = (line: number, s: string): DirectiveLine | undefined => {
    const m = /^([A-Za-z0-9_-]+)\s*(?:=\s*(.*))?$/.exec(s);
    if (!m) {
      sink.error(line, "ldcf.syntax", `cannot parse "${s}": expected name = value`);
      return undefined;
    }
    return { line, name: m[1] as string, ...(m[2] === undefined ? {} : { raw: m[2].trim() }) };
  };
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] as string;
    const line = i + 1;
    if (body) {
      if (/^\s*#/.test(raw)) continue;
      const expanded = stripComment(raw.replace(/\t/g, "    "));
      const m = /^ {4,}(\S.*)$/.exec(expanded);
      if (m) {
        const d = split(line, m[1] as string);
        if (d) body.push(d);
        continue;
      }
      afterBlank = expanded.trim() === "";
      body = undefined;
    }
    if (/^\s*(#|$)/.test(raw)) continue;
    const text1 = stripComment(raw);
    const vm = /^virtual(6)?\s*=\s*(.*)$/.exec(text1);
    if (vm) {
      body = [];
      items.push({ kind: "virtual", v: { line, family: vm[1] ? 6 : 4, header: (vm[2] ?? "").trim(), body } });
      afterBlank = false;
      continue;
    }
    if (/^\s/.test(text1)) {
      sink.error(
        line,
        "ldcf.indent",
        afterBlank
          ? "indented line outside a virtual block: a blank line ends a virtual block in ldirectord.cf"
          : "indented line outside a virtual block: global directives start at column 0",
      );
      continue;
    }
    const d = split(line, text1);
    if (d) items.push({ kind: "global", d: afterBlank ? { ...d, afterBlank } : d });
  }
  return items;
}

/** Parses ldirectord.cf text. The value is always returned; with errors it is partial and must not be applied. */
export function parseLdirectordCf(
  text: string,
  file: string,
  options: LdirectordParseOptions = {},
): Parsed<DirectorConfig> {
  const sink = new DiagnosticSink(file);
  const items = tokenize(text, sink);
  return interpretItems(items, sink, options);
}

/**
 * Gives items (from ldirectord.cf or the YAML form) their meaning: values,
 * scopes, defaults, resolution, cross-checks. Diagnostics go to `sink`.
 */
export function interpretItems(
  items: readonly ConfigItem[],
  sink: DiagnosticSink,
  options: LdirectordParseOptions = {},
): Parsed<DirectorConfig> {
  const file = sink.file;
  const opts = { servicePorts: WELL_KNOWN_PORTS, ...options };
  const g: Shared & GlobalOnly = { execute: [] };
  const drafts: VirtualDraft[] = [];

  const dispatch = (d: DirectiveLine, current: VirtualDraft | undefined): void => {
    const { line, name } = d;
    const inVirtual = current !== undefined;
    const bare = d.raw === undefined;
    const { value, quoted: q } = bare ? { value: "", quoted: false } : unquote(d.raw ?? "");
    const c: Ctx = { sink, line, name, value, quoted: q && MAY_QUOTE.has(name), opts };
    const cq: Ctx = q && !MAY_QUOTE.has(name) ? { ...c, value: d.raw ?? "" } : c;
    if (Object.hasOwn(RETIRED, name)) {
      sink.error(line, "ldcf.retired", RETIRED[name] as string);
      return;
    }
    if (name === "virtual" || name === "virtual6") {
      sink.error(line, "ldcf.scope", `"${name}" must start at column 0 (a virtual block cannot be nested)`);
      return;
    }
    const blankHint = d.afterBlank ? "; note that a blank line ends a virtual block" : "";
    if (name === "real" || name === "real6") {
      if (!current) {
        sink.error(
          line,
          "ldcf.scope",
          `"${name}" is only valid inside a virtual block (indent it by 4 spaces or a tab)${blankHint}`,
        );
        return;
      }
      if ((name === "real6") !== (current.family === 6)) {
        sink.error(
          line,
          "ldcf.invalid",
          `cannot specify "${name}" here.  please use "real${current.family === 6 ? "6" : ""}" instead`,
        );
        return;
      }
      current.explicit.push(name);
      parseReal(cq, current);
      return;
    }
    const spec = Object.hasOwn(DIRECTIVES, name) ? DIRECTIVES[name] : undefined;
    if (!spec) {
      sink.error(line, "ldcf.unknown", `unknown directive "${name}"`);
      return;
    }
    if (inVirtual && spec.scope === "global") {
      sink.error(
        line,
        "ldcf.scope",
        `"${name}" is a global directive: move it to column 0, outside the virtual block`,
      );
      return;
    }
    if (!inVirtual && spec.scope === "virtual") {
      sink.error(
        line,
        "ldcf.scope",
        `"${name}" is only valid inside a virtual block (indent it by 4 spaces or a tab)${blankHint}`,
      );
      return;
    }
    if (bare) {
      if (name === "supervised") {
        g.supervised = true;
        sink.warning(
          line,
          "ldcf.deprecated",
          "please update your config not to use a bare supervised directive",
        );
      } else sink.error(line, "ldcf.syntax", `${name} needs a value: write ${name} = ...`);
      return;
    }
    if (current) {
      if (
        (name === "fallback" || name === "fallback6") &&
        (name === "fallback6") !== (current.family === 6)
      ) {
        sink.error(
          line,
          "ldcf.invalid",
          `cannot specify "${name}" here.  please use "fallback${current.family === 6 ? "6" : ""}" instead`,
        );
        return;
      }
      current.explicit.push(name);
      spec.handle(cq, current);
    } else spec.handle(cq, g);
  };

  for (const item of items) {
    if (item.kind === "global") {
      dispatch(item.d, undefined);
      continue;
    }
    const { v } = item;
    const draft: VirtualDraft = { line: v.line, family: v.family, reals: [], explicit: [] };
    const c: Ctx = {
      sink,
      line: v.line,
      name: v.family === 6 ? "virtual6" : "virtual",
      value: v.header,
      quoted: false,
      opts,
    };
    parseVirtualHeader(c, v.family, draft);
    drafts.push(draft);
    for (const d of v.body) dispatch(d, draft);
  }

  const global = finishGlobal(g);
  const virtuals: VirtualService[] = [];
  const seen = new Map<string, number>();
  for (const d of drafts) {
    const v = finishVirtual(d, g, global, sink, opts);
    if (!v) continue;
    const first = seen.get(v.key);
    if (first !== undefined) {
      sink.error(
        d.line,
        "ldcf.duplicate",
        `duplicate virtual server ${v.key} (first defined at line ${first})`,
      );
      continue;
    }
    seen.set(v.key, d.line);
    virtuals.push(v);
  }
  if (!global.fork) {
    for (const d of drafts) {
      if (d.checkIntervalMs !== undefined && d.endpoint)
        sink.warning(
          d.line,
          "ldcf.ignored",
          `checkinterval in virtual service at line ${d.line} is ignored when fork=no (the global checkinterval applies)`,
        );
    }
  }
  return { value: { file, global, virtuals }, diagnostics: sink.items };
}

function finishGlobal(g: Shared & GlobalOnly): GlobalSettings {
  const opt = <K extends string, V>(k: K, v: V | undefined): { [P in K]?: V } =>
    (v === undefined ? {} : { [k]: v }) as { [P in K]?: V };
  return {
    ...opt("checkTimeoutMs", g.checkTimeoutMs),
    ...opt("negotiateTimeoutMs", g.negotiateTimeoutMs),
    checkIntervalMs: g.checkIntervalMs ?? D.checkIntervalMs,
    checkCount: g.checkCount ?? D.checkCount,
    failureCount: g.failureCount ?? D.failureCount,
    ...opt("fallback", g.fallback),
    ...opt("fallback6", g.fallback6),
    ...opt("fallbackCommand", g.fallbackCommand),
    autoreload: g.autoreload ?? D.autoreload,
    ...opt("callback", g.callback),
    logfile: g.logfile ?? { kind: "file", path: D.logfile },
    ...(g.logfile === undefined ? {} : { logfileSet: true }),
    emailAlert: g.emailAlert ?? [],
    ...opt("emailAlertFrom", g.emailAlertFrom),
    emailAlertFreqMs: g.emailAlertFreqMs ?? D.emailAlertFreqMs,
    emailAlertStatus: g.emailAlertStatus ?? [...DAEMON_PHASES],
    ...opt("smtp", g.smtp),
    execute: g.execute,
    supervised: g.supervised ?? D.supervised,
    fork: g.fork ?? D.fork,
    quiescent: g.quiescent ?? D.quiescent,
    readdQuiescent: g.readdQuiescent ?? D.readdQuiescent,
    cleanStop: g.cleanStop ?? D.cleanStop,
    ...opt("maintenanceDir", g.maintenanceDir),
    retry: g.retry ?? D.retry,
    delayBeforeRetryMs: g.delayBeforeRetryMs ?? D.delayBeforeRetryMs,
    inhibitOnFailure: g.inhibitOnFailure ?? false,
    ...opt("quorum", g.quorum),
    hysteresis: g.hysteresis ?? D.hysteresis,
  };
}

/** Service ldirectord infers from a virtual's port. */
export function serviceForPort(port: number): CheckService {
  for (const [s, p] of Object.entries(SERVICE_PORTS)) if (p === port) return s as CheckService;
  return "none";
}

function finishVirtual(
  d: VirtualDraft,
  g: Shared & GlobalOnly,
  global: GlobalSettings,
  sink: DiagnosticSink,
  opts: LdirectordParseOptions & { servicePorts: ReadonlyMap<string, number> },
): VirtualService | undefined {
  const ep = d.endpoint;
  if (!ep) return undefined;
  const protocol: Protocol =
    ep.kind === "fwmark"
      ? "fwm"
      : (d.protocol ?? (d.portText === "53" || d.portText === "domain" ? "udp" : "tcp"));
  const vport = ep.kind === "addr" ? ep.port : 0;
  const key = serviceKey({
    protocol,
    family: ep.family,
    ...(ep.kind === "addr" ? { address: ep.ip } : { fwmark: ep.mark }),
    port: vport,
  });
  if (ep.kind === "addr" && vport === 0 && d.persistenceSec === undefined)
    sink.error(
      d.line,
      "ldcf.invalid",
      `virtual service ${key}: port 0 is only valid together with persistent`,
    );

  // Timeout defaulting rule (ldirectord ld_setup).
  const checkTimeoutMs =
    d.checkTimeoutMs ?? d.negotiateTimeoutMs ?? g.checkTimeoutMs ?? g.negotiateTimeoutMs ?? D.checkTimeoutMs;
  const negotiateTimeoutMs =
    d.negotiateTimeoutMs ??
    d.checkTimeoutMs ??
    g.negotiateTimeoutMs ??
    g.checkTimeoutMs ??
    D.negotiateTimeoutMs;

  const explicitService = d.service !== undefined;
  const service: CheckService = d.service ?? (ep.kind === "fwmark" ? "none" : serviceForPort(vport));
  const hostLogin = `ldirectord@${opts.hostname ?? "localhost"}`;
  const login =
    d.login ??
    (explicitService && service === "ftp"
      ? "anonymous"
      : explicitService && service === "sip"
        ? hostLogin
        : "");
  const passwd = d.passwd ?? (explicitService && service === "ftp" ? hostLogin : "");
  const checkType = d.checkType ?? "negotiate";

  if (ep.family === 6) {
    if (!V6_CHECKTYPES.has(checkType))
      sink.error(
        d.line,
        "ldcf.ipv6",
        `virtual service ${key}: checktype ${checkType} is not supported for IPv6`,
      );
    if (!V6_SERVICES.has(service))
      sink.error(d.line, "ldcf.ipv6", `virtual service ${key}: service ${service} is not supported for IPv6`);
  }

  // Fallback: the virtual's own, else the global one of its family.
  const spec = ep.family === 6 ? (d.fallback6 ?? g.fallback6) : (d.fallback ?? g.fallback);
  let fallback: FallbackServer | undefined;
  if (spec) {
    const ip = resolveAddr(spec.host, ep.family, opts);
    const port = spec.port === undefined ? vport : portOf(spec.port, opts.servicePorts);
    if (ip === undefined)
      sink.error(
        spec.at.line,
        "ldcf.resolve",
        `invalid IPv${ep.family} address or could not resolve for fallback server: ${spec.host}`,
      );
    else if (port === undefined)
      sink.error(spec.at.line, "ldcf.resolve", `invalid port (${spec.port}) for fallback server`);
    else fallback = { host: spec.host, ip, port, method: spec.method, weight: 1, at: spec.at };
  }

  // Reals: no duplicates; DR and tunnel cannot map ports on address services.
  const reals: RealServer[] = [];
  const realSeen = new Set<string>();
  for (const r of d.reals) {
    const effPort = ep.kind === "addr" && (r.port === 0 || r.method !== "masq") ? vport : r.port;
    const k = `${r.ip}:${effPort}`;
    if (realSeen.has(k)) {
      sink.error(
        r.at.line,
        "ldcf.duplicate",
        `real server ${r.ip}:${effPort} is listed twice in virtual service ${key}`,
      );
      continue;
    }
    realSeen.add(k);
    if (ep.kind === "addr" && r.port !== 0 && r.port !== vport && r.method !== "masq")
      sink.warning(
        r.at.line,
        "ldcf.port-ignored",
        `real server ${r.ip}:${r.port}: ${r.method} cannot change the port, so the virtual's port ${vport} is used`,
      );
    reals.push(r);
  }
  if (d.netmask !== undefined && d.persistenceSec === undefined)
    sink.warning(d.line, "ldcf.ignored", `virtual service ${key}: netmask is ignored without persistent`);
  if (d.ops === true && protocol !== "udp")
    sink.warning(d.line, "ldcf.ignored", `virtual service ${key}: ops only applies to udp services`);
  if (d.checkPort !== undefined && checkType === "off")
    sink.info(d.line, "ldcf.ignored", `virtual service ${key}: checkport is unused with checktype off`);
  if ((d.httpMethod ?? "GET") === "HEAD" && (d.receive ?? "") !== "")
    sink.warning(
      d.line,
      "ldcf.head-receive",
      `virtual service ${key}: with httpmethod HEAD leave receive empty`,
    );

  const quorum = d.quorum ?? g.quorum;
  let hysteresis = d.hysteresis ?? g.hysteresis ?? D.hysteresis;
  if (quorum !== undefined && hysteresis >= quorum) {
    sink.warning(
      d.line,
      "ldcf.hysteresis",
      `virtual service ${key}: hysteresis ${hysteresis} must be below quorum ${quorum}; using ${quorum - 1}`,
    );
    hysteresis = quorum - 1;
  }
  const status = d.emailAlertStatus ?? global.emailAlertStatus;
  const smtp = d.smtp ?? global.smtp;
  const v: Mutable<VirtualService> = {
    key,
    endpoint: ep,
    protocol,
    scheduler: d.scheduler ?? D.scheduler,
    ops: d.ops ?? false,
    check: {
      type: checkType,
      negotiateEvery: d.negotiateEvery ?? 0,
      service,
      ...(d.checkPort === undefined ? {} : { checkPort: d.checkPort }),
      request: d.request ?? D.request,
      receive: d.receive ?? D.receive,
      httpMethod: d.httpMethod ?? D.httpMethod,
      ...(d.virtualHost === undefined ? {} : { virtualHost: d.virtualHost }),
      login,
      passwd,
      database: d.database ?? "",
      secret: d.secret ?? "",
      command: d.command ?? D.checkCommand,
      ...(d.monitorFile === undefined ? {} : { monitorFile: d.monitorFile }),
      checkTimeoutMs,
      negotiateTimeoutMs,
      checkIntervalMs: global.fork ? (d.checkIntervalMs ?? global.checkIntervalMs) : global.checkIntervalMs,
      checkCount: d.checkCount ?? global.checkCount,
      failureCount: d.failureCount ?? global.failureCount,
      retry: d.retry ?? global.retry,
      delayBeforeRetryMs: d.delayBeforeRetryMs ?? global.delayBeforeRetryMs,
    },
    reals,
    quiescent: d.quiescent ?? global.quiescent,
    inhibitOnFailure: d.inhibitOnFailure ?? global.inhibitOnFailure,
    hysteresis,
    cleanStop: d.cleanStop ?? global.cleanStop,
    alerts: {
      to: d.emailAlert ?? global.emailAlert,
      freqMs: d.emailAlertFreqMs ?? global.emailAlertFreqMs,
      status,
      ...(smtp === undefined ? {} : { smtp }),
      ...(global.emailAlertFrom === undefined ? {} : { from: global.emailAlertFrom }),
    },
    explicit: [...new Set(d.explicit)],
    at: { file: sink.file, line: d.line },
  };
  if (d.persistenceSec !== undefined) v.persistenceSec = d.persistenceSec;
  if (d.netmask !== undefined) v.netmask = d.netmask;
  if (d.schedFlags !== undefined) v.schedFlags = d.schedFlags;
  if (fallback) v.fallback = fallback;
  const fbc = d.fallbackCommand ?? g.fallbackCommand;
  if (fbc !== undefined) v.fallbackCommand = fbc;
  if (quorum !== undefined) v.quorum = quorum;
  if (d.serviceName !== undefined) v.serviceName = d.serviceName;
  if (d.comment !== undefined) v.comment = d.comment;
  return v;
}

/**
 * Host names (not numeric addresses) the file asks to resolve, with the
 * family wanted, so an I/O caller can look them up first and pass
 * `resolveHost`.
 */
export function hostNamesIn(text: string, file = "ldirectord.cf"): { name: string; family: AddressFamily }[] {
  const out = new Map<string, { name: string; family: AddressFamily }>();
  parseLdirectordCf(text, file, {
    resolveHost: (name, family) => {
      out.set(`${family}/${name}`, { name, family });
      return family === 4 ? "0.0.0.0" : "::";
    },
  });
  return [...out.values()];
}
