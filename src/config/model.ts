/**
 * The one typed configuration model behind both styles: /etc/ha.d (ha.cf,
 * authkeys, haresources) and cluster.yaml. Loaders produce a ClusterConfig;
 * everything downstream (daemon, CIB conversion, verify) reads only this.
 *
 * Units are in the names: every duration is in milliseconds.
 */
import type { AlertSpec } from "./alert-spec.js";

import type { ListenAddress } from "./values.js";

/** Where a value came from, for messages that point the user at a line. */
export interface SourceRef {
  readonly file: string;
  readonly line: number;
}

// ---------------------------------------------------------------- media

export type Medium =
  | { readonly kind: "bcast"; readonly iface: string; readonly port: number; readonly at: SourceRef }
  | {
      readonly kind: "mcast" | "mcast6";
      readonly iface: string;
      readonly group: string;
      readonly port: number;
      /** 0..4 as Heartbeat accepts. */
      readonly ttl: number;
      readonly loop: boolean;
      readonly at: SourceRef;
    }
  | {
      readonly kind: "ucast" | "ucast6";
      readonly iface: string;
      readonly peer: string;
      readonly port: number;
      readonly at: SourceRef;
    }
  | { readonly kind: "serial"; readonly device: string; readonly baud: number; readonly at: SourceRef };

export type MediumKind = Medium["kind"];

/** A ping node: reachable when any address answers (one address for `ping`). */
export interface PingNode {
  readonly kind: "ping" | "ping6" | "ping_group";
  /** The address for ping/ping6; the group name for ping_group. */
  readonly name: string;
  readonly addresses: readonly string[];
  readonly at: SourceRef;
}

// ---------------------------------------------------------------- timing

export interface Timing {
  readonly keepaliveMs: number;
  readonly deadtimeMs: number;
  readonly warntimeMs: number;
  readonly initdeadMs: number;
  readonly deadpingMs: number;
}

// ---------------------------------------------------------------- auth

export type AuthMethod = "crc" | "md5" | "sha1" | "sha256";

export interface AuthKey {
  readonly index: number;
  readonly method: AuthMethod;
  /** Empty for crc. */
  readonly secret: string;
  readonly at: SourceRef;
}

export interface AuthKeys {
  /** Index of the key that signs outgoing packets. */
  readonly active: number;
  /** All defined keys by index (incoming packets may use any of them). */
  readonly keys: readonly AuthKey[];
}

// ---------------------------------------------------------------- resources

/** One entry of a haresources line: `Name` or `Name::arg1::arg2`. */
export interface LegacyResource {
  /** Script name, e.g. "IPaddr", "ldirectord". A bare IP is turned into IPaddr. */
  readonly type: string;
  /** Positional arguments (`::`-separated). */
  readonly args: readonly string[];
  /** For IPaddr / IPaddr2 / SendArp: the first argument decoded. */
  readonly ip?: IpSpec;
  readonly at: SourceRef;
}

/** Decoded IPaddr argument: `IP[/bits[/iface][/broadcast]]`. */
export interface IpSpec {
  readonly ip: string;
  readonly cidrNetmask?: number;
  readonly nic?: string;
  /** The `iface:label` suffix of IPaddr2 / SendArp. */
  readonly label?: string;
  readonly broadcast?: string;
}

/** One haresources line: a resource group preferring `node`. */
export interface ResourceGroup {
  /** The group key: the text of the first resource, as Heartbeat uses it. */
  readonly key: string;
  /** Preferred node, lower-cased. */
  readonly node: string;
  readonly resources: readonly LegacyResource[];
  readonly at: SourceRef;
}

// ---------------------------------------------------------------- the rest of ha.cf

export type AutoFailback = "on" | "off" | "legacy";

export interface ClientSpec {
  readonly user: string;
  readonly path: string;
  readonly args: readonly string[];
  readonly at: SourceRef;
}

export interface ApiAuth {
  readonly client: string;
  readonly uids: readonly string[];
  readonly gids: readonly string[];
  readonly at: SourceRef;
}

/** A directive we parse and validate but do not act on (reported by verify). */
export interface InertDirective {
  readonly directive: string;
  readonly value: string;
  readonly at: SourceRef;
  /** Why it has no effect in Tandem. */
  readonly reason: string;
}

/**
 * An ha.cf `stonith_host FROM TYPE PARAMS...` line whose Heartbeat plugin has
 * a Tandem fence agent (haresources mode turns it into a stonith primitive).
 */
export interface StonithHost {
  /** `*` or the node the line applies on (kept for reference; any node may run the device). */
  readonly from: string;
  /** The Heartbeat plugin name as written (ssh, external/ssh, meatware, null). */
  readonly plugin: string;
  /** The Tandem agent in resource.d/stonith. */
  readonly agent: "fence_ssh" | "fence_meatware" | "fence_null";
  /** The nodes it can fence (the plugin's host list). */
  readonly hosts: readonly string[];
  readonly at: SourceRef;
}

export type PacemakerMode = "off" | "on" | "respawn" | "minimal" | "manual" | "ccm-only" | "valgrind";

export interface ClusterConfig {
  /** "ha.d" when read from ha.cf and friends, "yaml" from cluster.yaml. */
  readonly style: "ha.d" | "yaml";
  readonly clusterName: string;
  /** Member node names, lower-cased, in file order. */
  readonly nodes: readonly string[];
  readonly timing: Timing;
  readonly udpPort: number;
  readonly baud: number;
  readonly media: readonly Medium[];
  readonly pingNodes: readonly PingNode[];
  readonly autoFailback: AutoFailback;
  /** `crm` / `pacemaker` directive: "off" means haresources mode. */
  readonly pacemaker: PacemakerMode;
  readonly autojoin: "none" | "other" | "any";
  readonly auth: AuthKeys;
  /** haresources groups (empty in CRM mode or when the file is absent). */
  readonly groups: readonly ResourceGroup[];
  readonly respawn: readonly ClientSpec[];
  readonly failfast: readonly ClientSpec[];
  readonly apiauth: readonly ApiAuth[];
  readonly env: Readonly<Record<string, string>>;
  readonly watchdog?: string;
  /** ha.cf line of each single-valued directive given (pacemaker, watchdog, ...); absent for cluster.yaml. */
  readonly lines?: Readonly<Record<string, number>>;
  /** ha.cf stonith_host devices Tandem can run (absent: none). */
  readonly stonithHosts?: readonly StonithHost[];
  readonly logfile?: string;
  readonly debugfile?: string;
  readonly logfacility?: string;
  /** Tandem extension: where hbd serves /metrics (Prometheus) and its status page; absent: no listener. */
  readonly metricsListen?: ListenAddress;
  readonly debugLevel: number;
  readonly logBadPackets: boolean;
  /**
   * Heartbeat's `realtime` (default on): hbd raises its priority so that CPU
   * contention does not delay heartbeats into false deaths (nice -20 on every
   * thread; not SCHED_FIFO, see daemon/main.ts).
   */
  readonly realtime: boolean;
  /** Heartbeat's SCHED_FIFO priority 1..99: validated, kept, without effect in hbd. */
  readonly rtprio?: number;
  readonly msgfmt: "classic" | "netstring";
  readonly maxRexmitDelayMs: number;
  readonly hbgenmethod: "file" | "time";
  readonly uuidfrom: "file" | "nodename";
  /** Accepted without effect: listed by `hbctl verify`, never silently dropped. */
  readonly inert: readonly InertDirective[];
  /** Tandem's ha.cf `alert` lines / cluster.yaml `alerts` (haresources mode: the converted CIB's <alerts>). */
  readonly alerts?: readonly AlertSpec[];
}

/** Heartbeat 3.0.6 defaults (`heartbeat -D`), adjusted only where documented. */
export const HEARTBEAT_DEFAULTS = {
  clusterName: "linux-ha",
  keepaliveMs: 1000,
  deadtimeMs: 30000,
  udpPort: 694,
  baud: 19200,
  autoFailback: "legacy" as AutoFailback,
  msgfmt: "classic" as const,
  maxRexmitDelayMs: 250,
  hbgenmethod: "file" as const,
  uuidfrom: "file" as const,
  autojoin: "none" as const,
  debugLevel: 0,
  logBadPackets: true,
  realtime: true,
  rtprio: 50,
} as const;

/** Heartbeat's initdead default: deadtime if > 10 s; 12 s if < 6 s; else 2 x deadtime. */
export function defaultInitdeadMs(deadtimeMs: number): number {
  if (deadtimeMs > 10000) return deadtimeMs;
  if (deadtimeMs < 6000) return 12000;
  return 2 * deadtimeMs;
}
