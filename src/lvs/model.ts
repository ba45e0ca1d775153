/**
 * The director's typed model, shared by every part of src/lvs:
 *
 * - `DirectorConfig`: what ldirectord.cf (config.ts) or its YAML form
 *   (config-yaml.ts) says, with ldirectord 4.12's real defaults applied
 *   (quiescent is `no`, as in the code, not `yes` as in the manual), plus the
 *   keepalived-style extensions retry / delay_before_retry /
 *   inhibit_on_failure / quorum / hysteresis.
 * - `HealthState`: what the checks found (health.ts keeps it; pure).
 * - `Table`: a backend-neutral load-balancing table. `desiredTable()`
 *   (desired.ts) computes it from config + health; each backend reads its
 *   kernel state back into the same type; `reconcile()` (reconcile.ts) diffs
 *   the two into an ordered `TableChange[]` that the backend applies as one
 *   batch.
 *
 * Units are in the names: durations in milliseconds (`...Ms`), except IPVS
 * persistence which both backends take in seconds (`persistenceSec`).
 * Change this file only additively (new optional fields, new union members).
 */
import type { SourceRef } from "../config/model.js";

export type { SourceRef };

// ---------------------------------------------------------------- basics

/** IP version of a virtual service (`virtual` vs `virtual6`). */
export type AddressFamily = 4 | 6;

/** Virtual service protocol; `fwm` for firewall-mark services. */
export type Protocol = "tcp" | "udp" | "fwm";

/** Forwarding method: gate = direct routing (`-g`), masq = NAT (`-m`), ipip = tunnel (`-i`). */
export type ForwardingMethod = "gate" | "masq" | "ipip";
export const FORWARDING_METHODS: readonly ForwardingMethod[] = ["gate", "masq", "ipip"];

/**
 * Check type. `combined` is ldirectord's `checktype = N`: a connect check every
 * round and a negotiate check after every N successful connects
 * (`CheckSettings.negotiateEvery`).
 */
export type CheckType =
  | "negotiate"
  | "connect"
  | "ping"
  | "external"
  | "external-perl"
  | "on"
  | "off"
  | "combined";
export const CHECK_TYPES: readonly Exclude<CheckType, "combined">[] = [
  "connect",
  "negotiate",
  "ping",
  "external",
  "external-perl",
  "on",
  "off",
];

/** Protocol spoken by negotiate checks (ldirectord 4.12 `service =`). */
export const CHECK_SERVICES = [
  "dns",
  "ftp",
  "http",
  "https",
  "http_proxy",
  "imap",
  "imaps",
  "ldap",
  "ldaps",
  "mysql",
  "nntp",
  "none",
  "oracle",
  "pgsql",
  "pop",
  "pops",
  "radius",
  "simpletcp",
  "sip",
  "smtp",
  "submission",
] as const;
export type CheckService = (typeof CHECK_SERVICES)[number];

/** Well-known port of each service (ldirectord's port <-> service table). */
export const SERVICE_PORTS: Readonly<Partial<Record<CheckService, number>>> = {
  ftp: 21,
  smtp: 25,
  dns: 53,
  http: 80,
  pop: 110,
  nntp: 119,
  imap: 143,
  ldap: 389,
  https: 443,
  submission: 587,
  ldaps: 636,
  imaps: 993,
  pops: 995,
  oracle: 1521,
  radius: 1812,
  http_proxy: 3128,
  mysql: 3306,
  sip: 5060,
  pgsql: 5432,
};

export type HttpMethod = "GET" | "HEAD";

/** Daemon phases in which email alerts are sent (`emailalertstatus`). */
export type DaemonPhase = "starting" | "running" | "stopping" | "reloading";
export const DAEMON_PHASES: readonly DaemonPhase[] = ["starting", "running", "stopping", "reloading"];

// ---------------------------------------------------------------- configuration

/** The address side of a virtual service. */
export type VirtualEndpoint =
  | {
      readonly kind: "addr";
      readonly family: AddressFamily;
      /** As written in the file (an address or a host name). */
      readonly host: string;
      /** Numeric address (IPv6 without brackets). */
      readonly ip: string;
      readonly port: number;
    }
  | { readonly kind: "fwmark"; readonly family: AddressFamily; readonly mark: number };

/** One `real =` line (a range `a->b` gives one RealServer per address). */
export interface RealServer {
  /** As written (for a range: the expanded address). */
  readonly host: string;
  /** Numeric address. */
  readonly ip: string;
  /** 0 when omitted (fwmark services: the packet's own port). */
  readonly port: number;
  readonly method: ForwardingMethod;
  /** Default 1; 0 keeps the real in the table without new connections. */
  readonly weight: number;
  /** Per-real request/receive pair (overrides the virtual's). */
  readonly request?: string;
  readonly receive?: string;
  /** `u:N` (ipvsadm `-x`), 0 = off. */
  readonly upperThreshold: number;
  /** `l:N` (ipvsadm `-y`), 0 = off. */
  readonly lowerThreshold: number;
  readonly at: SourceRef;
}

/** `fallback = host[:port] [gate|masq|ipip]`: added with weight 1 when no real is up. */
export interface FallbackServer {
  readonly host: string;
  readonly ip: string;
  /** Defaults to the virtual's port. */
  readonly port: number;
  /** Defaults to gate. */
  readonly method: ForwardingMethod;
  readonly weight: number;
  readonly at: SourceRef;
}

/** Global `logfile`: a path (quoted, starting with /) or a syslog facility. */
export type LogTarget =
  | { readonly kind: "file"; readonly path: string }
  | { readonly kind: "syslog"; readonly facility: string };

/** Email alert settings of a virtual (global values unless overridden). */
export interface EmailAlertSettings {
  /** Recipients; empty = no mail. */
  readonly to: readonly string[];
  /** Repeat "inaccessible real server" mails every this many ms while down; 0 = never. */
  readonly freqMs: number;
  /** Phases in which mails go out (`all` = every phase, `none` = empty). */
  readonly status: readonly DaemonPhase[];
  /** SMTP relay; undefined = the system's mailer. */
  readonly smtp?: string;
  readonly from?: string;
}

/** Everything a checker needs for the reals of one virtual (effective values). */
export interface CheckSettings {
  readonly type: CheckType;
  /** `checktype = N`: negotiate after every N successful connects; 0 otherwise. */
  readonly negotiateEvery: number;
  readonly service: CheckService;
  /** Port the checks connect to; undefined = the real's port (or the service's when the real port is 0). */
  readonly checkPort?: number;
  /** Default "/" (a leading "/" is added if missing). */
  readonly request: string;
  /** A regular expression (Perl syntax in ldirectord); "" = any. */
  readonly receive: string;
  readonly httpMethod: HttpMethod;
  /** Host header / name for https; undefined = the real's address. */
  readonly virtualHost?: string;
  readonly login: string;
  readonly passwd: string;
  readonly database: string;
  readonly secret: string;
  /** external / external-perl: called as `cmd vip-or-fwmark vport rip rport`. Default /bin/true. */
  readonly command: string;
  readonly monitorFile?: string;
  /** Effective (after ldirectord's mutual-default rule): connect, ping, external. */
  readonly checkTimeoutMs: number;
  /** Effective: negotiate checks. */
  readonly negotiateTimeoutMs: number;
  /** Pause between rounds (per virtual only with fork=yes, else global). */
  readonly checkIntervalMs: number;
  /** Ping attempts per check (deprecated in ldirectord). */
  readonly checkCount: number;
  /** Consecutive failed checks before a real goes down; any success resets. */
  readonly failureCount: number;
  /** Extension (keepalived): immediate retries of a failed check before it counts as a failure. Default 0. */
  readonly retry: number;
  /** Extension (keepalived): wait between those retries. Default 1000 ms. */
  readonly delayBeforeRetryMs: number;
}

/** One `virtual =` block, with all defaults and global overrides resolved. */
export interface VirtualService {
  /** Identity, see `serviceKey()`. */
  readonly key: string;
  readonly endpoint: VirtualEndpoint;
  readonly protocol: Protocol;
  /** Default wrr; checked against the backend by `validateForBackend()`. */
  readonly scheduler: string;
  readonly persistenceSec?: number;
  /** Dotted quad (IPv4) or prefix length as a string (IPv6); only used with persistence. */
  readonly netmask?: string;
  /** ipvsadm `-b` flags, e.g. "sh-port,sh-fallback". */
  readonly schedFlags?: string;
  /** UDP one-packet scheduling (`-o`). */
  readonly ops: boolean;
  readonly check: CheckSettings;
  readonly reals: readonly RealServer[];
  readonly fallback?: FallbackServer;
  readonly fallbackCommand?: string;
  /** Down reals get weight 0 instead of being removed. Default false (ldirectord 4.12 code). */
  readonly quiescent: boolean;
  /** Extension (keepalived): same effect as quiescent; either one quiesces. */
  readonly inhibitOnFailure: boolean;
  /**
   * Extension (keepalived): minimum sum of weights of up reals for the reals
   * to be used; below it the fallback serves. Undefined = ldirectord's rule
   * (reals are used while at least one is up).
   */
  readonly quorum?: number;
  /** Extension (keepalived): quorum is gained at quorum+hysteresis and lost below quorum-hysteresis. Default 0. */
  readonly hysteresis: number;
  readonly cleanStop: boolean;
  readonly alerts: EmailAlertSettings;
  readonly serviceName?: string;
  readonly comment?: string;
  /** Directive names written inside the block (for round trips and messages). */
  readonly explicit: readonly string[];
  readonly at: SourceRef;
}

/** Settings of the whole file (global directives at column 0). */
export interface GlobalSettings {
  /** Global checktimeout / negotiatetimeout as written (undefined = unset; see the defaulting rule). */
  readonly checkTimeoutMs?: number;
  readonly negotiateTimeoutMs?: number;
  /** Default 10 s. */
  readonly checkIntervalMs: number;
  /** Default 1. */
  readonly checkCount: number;
  /** Default 1. */
  readonly failureCount: number;
  readonly fallback?: {
    readonly host: string;
    readonly port?: string;
    readonly method: ForwardingMethod;
    readonly at: SourceRef;
  };
  readonly fallback6?: {
    readonly host: string;
    readonly port?: string;
    readonly method: ForwardingMethod;
    readonly at: SourceRef;
  };
  readonly fallbackCommand?: string;
  /** Default false. */
  readonly autoreload: boolean;
  readonly callback?: string;
  /** Default file /var/log/ldirectord.log. */
  readonly logfile: LogTarget;
  /** Whether the file set `logfile` (hb-director logs there only then; else to stderr). */
  readonly logfileSet?: boolean;
  readonly emailAlert: readonly string[];
  readonly emailAlertFrom?: string;
  readonly emailAlertFreqMs: number;
  readonly emailAlertStatus: readonly DaemonPhase[];
  readonly smtp?: string;
  /** Other configurations to start/stop/reload alongside. */
  readonly execute: readonly string[];
  readonly supervised: boolean;
  readonly fork: boolean;
  /** Default false (the 4.12 code; its manual says yes). */
  readonly quiescent: boolean;
  readonly readdQuiescent: boolean;
  /** Default true. */
  readonly cleanStop: boolean;
  readonly maintenanceDir?: string;
  /** Extensions (keepalived), defaults for every virtual. */
  readonly retry: number;
  readonly delayBeforeRetryMs: number;
  readonly inhibitOnFailure: boolean;
  readonly quorum?: number;
  readonly hysteresis: number;
}

/** A parsed director configuration. */
export interface DirectorConfig {
  /** File name as given to the parser. */
  readonly file: string;
  readonly global: GlobalSettings;
  readonly virtuals: readonly VirtualService[];
}

/** Built-in defaults of ldirectord 4.12 (code values) and of the extensions. */
export const LDIRECTORD_DEFAULTS = {
  checkTimeoutMs: 5000,
  negotiateTimeoutMs: 30000,
  checkIntervalMs: 10000,
  checkCount: 1,
  failureCount: 1,
  scheduler: "wrr",
  request: "/",
  receive: "",
  httpMethod: "GET" as HttpMethod,
  checkCommand: "/bin/true",
  logfile: "/var/log/ldirectord.log",
  quiescent: false,
  readdQuiescent: false,
  cleanStop: true,
  autoreload: false,
  fork: false,
  supervised: false,
  emailAlertFreqMs: 0,
  weight: 1,
  retry: 0,
  delayBeforeRetryMs: 1000,
  hysteresis: 0,
} as const;

// ---------------------------------------------------------------- health

/** One check's outcome, as the checker reports it. */
export interface CheckResult {
  readonly ok: boolean;
  /** When the check finished (ms, caller's clock). */
  readonly at: number;
  /** Short human text ("connect ok", "HTTP 503", "timeout after 5000 ms"). */
  readonly message: string;
  readonly durationMs?: number;
}

/** Health of one real of one virtual. */
export interface RealHealth {
  /** Used for traffic (before quorum/fallback logic). */
  readonly up: boolean;
  /** Failed checks in a row (after retries); reset by any success. */
  readonly consecutiveFailures: number;
  readonly consecutiveSuccesses: number;
  /** Retries already spent on the current failing check (extension). */
  readonly retriesUsed: number;
  readonly lastResult?: CheckResult;
  /** When `up` last changed (ms); undefined = never checked. */
  readonly since?: number;
  /** Forced down by a file in maintenancedir. */
  readonly maintenance: boolean;
}

/** Health of one virtual: its reals plus the quorum latch (hysteresis needs memory). */
export interface VirtualHealth {
  /** realKey() -> health. */
  readonly reals: ReadonlyMap<string, RealHealth>;
  /** Whether the reals (not the fallback) carry the traffic. */
  readonly quorumUp: boolean;
}

/** serviceKey() -> health. */
export interface HealthState {
  readonly virtuals: ReadonlyMap<string, VirtualHealth>;
}

// ---------------------------------------------------------------- table

/** A virtual service as a backend sees it (no reals). */
export interface TableServiceSpec {
  /** serviceKey(): "tcp:10.0.0.1:80", "udp:[2001:db8::1]:53", "fwm:7", "fwm6:7". */
  readonly key: string;
  readonly protocol: Protocol;
  readonly family: AddressFamily;
  /** Numeric address; undefined for fwmark services. */
  readonly address?: string;
  /** 0 for fwmark services. */
  readonly port: number;
  readonly fwmark?: number;
  readonly scheduler: string;
  readonly persistenceSec?: number;
  /** Persistence netmask (dotted quad, or IPv6 prefix length); only with persistence. */
  readonly netmask?: string;
  readonly schedFlags?: string;
  readonly ops: boolean;
}

/** A destination (real or fallback server) of a service. */
export interface TableReal {
  /** realKey(): "10.0.0.2:80", "[2001:db8::2]:80". */
  readonly key: string;
  readonly address: string;
  readonly port: number;
  readonly method: ForwardingMethod;
  /** 0 = quiesced: established flows continue, no new ones. */
  readonly weight: number;
  readonly upperThreshold: number;
  readonly lowerThreshold: number;
  /** Why it is in the table; read-back tables say "unknown" unless the backend knows. */
  readonly role: "real" | "fallback" | "unknown";
}

export interface TableService extends TableServiceSpec {
  readonly reals: readonly TableReal[];
}

/** A whole load-balancing table (desired, or read back from a backend). */
export interface Table {
  readonly services: readonly TableService[];
}

/** One step of a reconcile batch. Changes name the service fully so a backend needs nothing else. */
export type TableChange =
  | { readonly op: "add-service"; readonly service: TableServiceSpec }
  | { readonly op: "edit-service"; readonly service: TableServiceSpec; readonly previous: TableServiceSpec }
  | { readonly op: "delete-service"; readonly service: TableServiceSpec }
  | { readonly op: "add-real"; readonly service: TableServiceSpec; readonly real: TableReal }
  | {
      readonly op: "edit-real";
      readonly service: TableServiceSpec;
      readonly real: TableReal;
      readonly previous: TableReal;
    }
  | { readonly op: "delete-real"; readonly service: TableServiceSpec; readonly real: TableReal };

/** What a backend can do; `validateForBackend()` turns gaps into config errors. */
export interface BackendCapabilities {
  readonly name: string;
  readonly schedulers: readonly string[];
  readonly methods: readonly ForwardingMethod[];
  readonly protocols: readonly Protocol[];
  readonly persistence: boolean;
  readonly thresholds: boolean;
  readonly ipv6: boolean;
  /** Accepted schedflags (`-b`) values; empty = none. */
  readonly schedFlags: readonly string[];
  readonly ops: boolean;
}

// ---------------------------------------------------------------- keys

/** Formats an address with its port, bracketing IPv6. */
export function hostPort(address: string, port: number): string {
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}

/** Identity of a virtual service: protocol + address:port, or the firewall mark. */
export function serviceKey(s: {
  readonly protocol: Protocol;
  readonly family: AddressFamily;
  readonly address?: string;
  readonly port: number;
  readonly fwmark?: number;
}): string {
  if (s.protocol === "fwm") return `${s.family === 6 ? "fwm6" : "fwm"}:${s.fwmark ?? 0}`;
  return `${s.protocol}:${hostPort(s.address ?? "", s.port)}`;
}

/** Identity of a destination within a service. */
export function realKey(r: {
  readonly address?: string;
  readonly ip?: string;
  readonly port: number;
}): string {
  return hostPort(r.address ?? r.ip ?? "", r.port);
}

// ---------------------------------------------------------------- events and backends

/** What changed in a health step (for logs, alerts, fallbackcommand, notify hooks). */
export type HealthTransition =
  /** A real went up or down. */
  | {
      readonly kind: "real";
      readonly service: string;
      readonly real: string;
      readonly up: boolean;
      readonly at: number;
      readonly message: string;
    }
  /** A failed check that did not (yet) take the real down: k of failurecount. */
  | {
      readonly kind: "soft-failure";
      readonly service: string;
      readonly real: string;
      readonly failures: number;
      readonly of: number;
      readonly at: number;
      readonly message: string;
    }
  /** The reals of a virtual gained (up) or lost quorum: the fallback leaves or serves. */
  | { readonly kind: "quorum"; readonly service: string; readonly up: boolean; readonly at: number };

/**
 * A table backend (ipvs, nft, fake). `read()` returns what the kernel holds
 * now; `apply()` carries out an ordered change list from `reconcile()` as one
 * batch (`desired` is passed too, for backends that rebuild whole maps).
 */
export interface TableBackend {
  readonly capabilities: BackendCapabilities;
  read(): Promise<Table>;
  apply(changes: readonly TableChange[], desired: Table): Promise<void>;
}
