/** ldirectord.cf parsing, part 1: parse options, the drafts a block fills, and the value readers (yes/no, seconds, integers, quoted strings, addresses, fallback). */

import type { DiagnosticSink } from "../../base/diag.js";
import { isIPv4, isIPv6 } from "../../config/values.js";
import {
  type AddressFamily,
  type CheckService,
  type CheckType,
  DAEMON_PHASES,
  type DaemonPhase,
  FORWARDING_METHODS,
  type ForwardingMethod,
  type HttpMethod,
  type LogTarget,
  type Protocol,
  type RealServer,
  type VirtualEndpoint,
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
export const V6_SERVICES = new Set<CheckService>([
  "dns",
  "http",
  "https",
  "nntp",
  "none",
  "simpletcp",
  "sip",
]);
export const V6_CHECKTYPES = new Set<CheckType>([
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

export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export interface FallbackSpec {
  readonly host: string;
  readonly port?: string;
  readonly method: ForwardingMethod;
  readonly at: { file: string; line: number };
}

/** Settings that both the global section and a virtual block may set. */
export interface Shared {
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

export interface GlobalOnly {
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

export interface VirtualDraft extends Shared {
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

export type Scope = "global" | "virtual" | "both";

export interface Ctx {
  readonly sink: DiagnosticSink;
  readonly line: number;
  readonly name: string;
  /** Value with surrounding quotes removed. */
  readonly value: string;
  readonly quoted: boolean;
  readonly opts: Required<Pick<LdirectordParseOptions, "servicePorts">> & LdirectordParseOptions;
}

// ---------------------------------------------------------------- value helpers

export function err(c: Ctx, message: string, code = "ldcf.invalid"): undefined {
  c.sink.error(c.line, code, message);
  return undefined;
}

export function yesNo(c: Ctx): boolean | undefined {
  if (c.value === "yes") return true;
  if (c.value === "no") return false;
  return err(c, `${c.name} must be 'yes' or 'no', not "${c.value}"`);
}

export function seconds(c: Ctx, allowZero = false): number | undefined {
  const m = /^(\d+(?:\.\d+)?)$/.exec(c.value);
  const n = m ? Number(m[1]) : Number.NaN;
  if (!Number.isFinite(n) || (allowZero ? n < 0 : n <= 0))
    return err(
      c,
      `${c.name} must be a ${allowZero ? "non-negative" : "positive"} number of seconds, not "${c.value}"`,
    );
  return Math.round(n * 1000);
}

export function integer(c: Ctx, min: number, max = 2147483647): number | undefined {
  const n = /^\d{1,10}$/.test(c.value) ? Number(c.value) : Number.NaN;
  if (!(n >= min && n <= max)) {
    const what =
      min === 0 ? "a non-negative integer" : min === 1 ? "a positive integer" : `an integer >= ${min}`;
    return err(c, `${c.name} must be ${what}${max < 2147483647 ? ` up to ${max}` : ""}, not "${c.value}"`);
  }
  return n;
}

/** A value that must be written in double quotes, non-empty. */
export function quoted(c: Ctx, example: string): string | undefined {
  if (!c.quoted)
    return err(c, `${c.name} must be a double-quoted string, e.g. ${c.name}="${example}"`, "ldcf.quote");
  if (c.value === "") return err(c, `${c.name} must not be empty`);
  return c.value;
}

export function nonEmpty(c: Ctx): string | undefined {
  return c.value === "" ? err(c, `${c.name} needs a value`) : c.value;
}

export function emailList(c: Ctx): string[] | undefined {
  const list = c.value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (list.length === 0) return err(c, `${c.name}: no email address specified`);
  const bad = list.find((a) => !/^[^\s@]+@[^\s@]+$/.test(a));
  if (bad !== undefined) return err(c, `${c.name}: "${bad}" is not an email address`);
  return list;
}

export function alertStatus(c: Ctx): DaemonPhase[] | undefined {
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

export function smtpHost(c: Ctx): string | undefined {
  return /^[0-9A-Za-z._+-]+(:\d{1,5})?$/.test(c.value)
    ? c.value
    : err(c, `invalid SMTP server address "${c.value}"`);
}

/** Resolves a port written as a number or a service name. */
export function portOf(text: string, ports: ReadonlyMap<string, number>): number | undefined {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    return n <= 65535 ? n : undefined;
  }
  return ports.get(text);
}

/** IPv6 literal (the shared check is loose about ":::"). */
export function isV6(s: string): boolean {
  return isIPv6(s) && !s.includes(":::");
}

/** Resolves a host (numeric address, [v6], or name) for a family. */
export function resolveAddr(
  host: string,
  family: AddressFamily,
  opts: LdirectordParseOptions,
): string | undefined {
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  if (family === 4 && isIPv4(bare)) return bare;
  if (family === 6 && isV6(bare)) return bare.toLowerCase();
  if (/^\d+(\.\d+)*$/.test(bare) || bare.includes(":") || bare !== host) return undefined;
  const r = opts.resolveHost?.(bare, family);
  if (r !== undefined) return r;
  if (bare === "localhost") return family === 4 ? "127.0.0.1" : "::1";
  return undefined;
}

export function parseFallback(c: Ctx): FallbackSpec | undefined {
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
