/**
 * /etc/ha.d/ha.cf: Heartbeat 3.0.6's main configuration file, parsed with its
 * own tokenising rules (reference: heartbeat.md section 1).
 *
 * - `#` anywhere cuts the rest of the line; blank lines are skipped.
 * - Option directives split the rest of the line on whitespace AND commas and
 *   apply each token separately (`node a b` = two node lines; `keepalive 500 ms`
 *   feeds `ms` as a second, invalid keepalive value).
 * - Whole-line directives (stonith, stonith_host, apiauth, respawn, failfast,
 *   mcast, mcast6, ucast, ucast6, ping_group) take the rest of the line.
 * - bcast, serial and ping take one medium per token.
 * - Order matters: udpport and baud are read when a medium is created, so a
 *   medium uses the value in force at its line (as in Heartbeat); a later
 *   udpport/baud gets a warning naming the media it does not apply to.
 *
 * Pure: text in, typed value plus diagnostics out.
 */
import { DiagnosticSink, type Parsed } from "../base/diag.js";
import { type AlertSpec, parseAlertLine } from "./alert-spec.js";
import {
  type ApiAuth,
  type AutoFailback,
  type ClientSpec,
  type ClusterConfig,
  defaultInitdeadMs,
  HEARTBEAT_DEFAULTS,
  type InertDirective,
  type Medium,
  type PacemakerMode,
  type PingNode,
  type SourceRef,
  type StonithHost,
} from "./model.js";
import { checkClusterRules } from "./validate.js";
import {
  isIfaceName,
  isIPv4,
  isIPv6,
  isMulticastV4,
  LISTEN_SYNTAX,
  type ListenAddress,
  parseHbBool,
  parseHbTime,
  parseListenAddress,
  parseUint,
  SYSLOG_FACILITIES,
} from "./values.js";

/** Everything ha.cf determines: the cluster model less authkeys and haresources. */
export type HaCf = Omit<ClusterConfig, "style" | "auth" | "groups">;

export interface HaCfOptions {
  /** This node's name (uname -n or /etc/ha.d/nodeinfo); enables the "current node not in configuration" check. */
  readonly localNode?: string;
  /** Whether a haresources file is present (for the legacy auto_failback warning). */
  readonly haresourcesPresent?: boolean;
}

/** Heartbeat STONITH plugins with a Tandem fence agent (their parameters are a host list). */
export const STONITH_PLUGINS: Readonly<Record<string, StonithHost["agent"]>> = {
  ssh: "fence_ssh",
  "external/ssh": "fence_ssh",
  meatware: "fence_meatware",
  null: "fence_null",
};

export const MAX_LINE_BYTES = 5120;
export const MAX_NODES = 100;
export const MAX_MEDIA = 64;
export const MAX_NODE_NAME = 100;
export const BAUD_RATES: readonly number[] = [9600, 19200, 38400, 57600, 115200, 230400, 460800];

type Kind = "option" | "line" | "media-token" | "media-line";

interface Ctx {
  readonly sink: DiagnosticSink;
  readonly file: string;
  readonly s: State;
  line: number;
}

interface State {
  clusterName: string;
  nodes: string[];
  keepaliveMs?: number;
  deadtimeMs?: number;
  warntimeMs?: number;
  initdeadMs?: number;
  deadpingMs?: number;
  udpPort: number;
  baud: number;
  media: Medium[];
  pingNodes: PingNode[];
  autoFailback?: AutoFailback;
  pacemaker: PacemakerMode;
  autojoin: "none" | "other" | "any";
  respawn: ClientSpec[];
  alerts: AlertSpec[];
  failfast: ClientSpec[];
  apiauth: ApiAuth[];
  env: Record<string, string>;
  watchdog?: string;
  stonithHosts: StonithHost[];
  logfile?: string;
  debugfile?: string;
  logfacility?: string;
  metricsListen?: ListenAddress;
  debugLevel: number;
  logBadPackets: boolean;
  realtime: boolean;
  rtprio?: number;
  msgfmt: "classic" | "netstring";
  maxRexmitDelayMs: number;
  hbgenmethod: "file" | "time";
  uuidfrom: "file" | "nodename";
  inert: InertDirective[];
  /** Line of the last setting of each single-valued directive. */
  seen: Map<string, number>;
  /** Directives that had a value error (their cross-field checks are skipped to avoid noise). */
  failed: Set<string>;
  /** Lines of media that used udpport / baud. */
  udpMediaLines: number[];
  serialMediaLines: number[];
}

interface Directive {
  readonly kind: Kind;
  /** Option directives that accept several values per line (node, bcast, serial, ping). */
  readonly multi?: boolean;
  apply(ctx: Ctx, value: string, name: string): void;
}

const at = (ctx: Ctx): SourceRef => ({ file: ctx.file, line: ctx.line });

function bad(ctx: Ctx, name: string, value: string, expected: string): void {
  ctx.sink.error(ctx.line, "hacf.bad-value", `${name}: invalid value "${value}": expected ${expected}`);
}

/** Warns when a single-valued directive is set again; the last value wins. */
function once(ctx: Ctx, name: string, fatal = false): boolean {
  const prev = ctx.s.seen.get(name);
  ctx.s.seen.set(name, ctx.line);
  if (prev === undefined) return true;
  if (fatal) {
    ctx.sink.error(
      ctx.line,
      "hacf.duplicate",
      `${name} may be given only once (first given on line ${prev})`,
    );
    return false;
  }
  ctx.sink.warning(
    ctx.line,
    "hacf.duplicate",
    `${name} is set again (first on line ${prev}); the last value wins`,
  );
  return true;
}

const TIME_EXPECTED = 'a time: seconds ("2", "0.5"), or a number with ms or us ("500ms"); "2s" is not valid';

function time(set: (s: State, ms: number) => void, opts: { positive?: boolean } = {}): Directive {
  return {
    kind: "option",
    apply(ctx, value, name) {
      const ms = parseHbTime(value);
      if (ms === undefined) return bad(ctx, name, value, TIME_EXPECTED);
      if (opts.positive && ms <= 0) {
        ctx.sink.error(ctx.line, "hacf.bad-value", `${name}: must be greater than 0 (got "${value}")`);
        return;
      }
      once(ctx, name);
      set(ctx.s, ms);
    },
  };
}

function bool(set: (s: State, v: boolean) => void): Directive {
  return {
    kind: "option",
    apply(ctx, value, name) {
      const v = parseHbBool(value);
      if (v === undefined) return bad(ctx, name, value, "a boolean (on/off, yes/no, true/false, y/n, 1/0)");
      once(ctx, name);
      set(ctx.s, v);
    },
  };
}

function uint(
  min: number,
  max: number,
  set: (s: State, v: number) => void,
  what = `an integer from ${min} to ${max}`,
): Directive {
  return {
    kind: "option",
    apply(ctx, value, name) {
      const v = parseUint(value);
      if (v === undefined || v < min || v > max) return bad(ctx, name, value, what);
      once(ctx, name);
      set(ctx.s, v);
    },
  };
}

function oneOf<T extends string>(words: readonly T[], set: (s: State, v: T) => void): Directive {
  return {
    kind: "option",
    apply(ctx, value, name) {
      const v = value.toLowerCase() as T;
      if (!words.includes(v)) return bad(ctx, name, value, `one of ${words.join(", ")}`);
      once(ctx, name);
      set(ctx.s, v);
    },
  };
}

function text(set: (s: State, v: string) => void): Directive {
  return {
    kind: "option",
    apply(ctx, value, name) {
      once(ctx, name);
      set(ctx.s, value);
    },
  };
}

/** A directive accepted for compatibility that Tandem does not act on. */
function inert(reason: string, check?: Directive, kind: Kind = "option"): Directive {
  return {
    kind: check?.kind ?? kind,
    apply(ctx, value, name) {
      const before = ctx.sink.items.length;
      check?.apply(ctx, value, name);
      if (ctx.sink.items.slice(before).some((d) => d.severity === "error")) return;
      ctx.s.inert.push({ directive: name, value, at: at(ctx), reason });
    },
  };
}

function clientSpec(ctx: Ctx, name: string, value: string): ClientSpec | undefined {
  const [user, path, ...args] = value.split(/\s+/).filter((t) => t !== "");
  if (user === undefined || path === undefined) {
    ctx.sink.error(ctx.line, "hacf.bad-value", `${name}: expected "${name} USER /absolute/path [args...]"`);
    return undefined;
  }
  if (!path.startsWith("/")) {
    ctx.sink.error(ctx.line, "hacf.bad-value", `${name}: program path "${path}" must be absolute`);
    return undefined;
  }
  return { user, path, args, at: at(ctx) };
}

function port(ctx: Ctx, name: string, value: string): number | undefined {
  const p = parseUint(value);
  if (p === undefined || p < 1 || p > 65535) {
    bad(ctx, name, value, "a port number from 1 to 65535");
    return undefined;
  }
  return p;
}

function addMedium(ctx: Ctx, m: Medium): void {
  if (ctx.s.media.length >= MAX_MEDIA) {
    ctx.sink.error(ctx.line, "hacf.limit", `too many media: at most ${MAX_MEDIA}`);
    return;
  }
  ctx.s.media.push(m);
}

function checkIface(ctx: Ctx, name: string, iface: string): boolean {
  if (isIfaceName(iface)) return true;
  bad(ctx, name, iface, "an interface name (1 to 15 characters, e.g. eth0)");
  return false;
}

const TANDEM_CRM = "Tandem runs its own resource manager inside hbd";
const TANDEM_LOGS = "hbd writes logfile, debugfile and logfacility itself (Heartbeat's line format)";

const DIRECTIVES: Readonly<Record<string, Directive>> = {
  keepalive: time((s, v) => (s.keepaliveMs = v), { positive: true }),
  deadtime: time((s, v) => (s.deadtimeMs = v), { positive: true }),
  warntime: time((s, v) => (s.warntimeMs = v), { positive: true }),
  initdead: time((s, v) => (s.initdeadMs = v), { positive: true }),
  deadping: time((s, v) => (s.deadpingMs = v), { positive: true }),
  udpport: {
    kind: "option",
    apply(ctx, value, name) {
      const p = port(ctx, name, value);
      if (p === undefined) return;
      once(ctx, name);
      ctx.s.udpPort = p;
      if (ctx.s.udpMediaLines.length > 0) {
        ctx.sink.warning(
          ctx.line,
          "hacf.order",
          `udpport must precede the media it applies to: the media on line(s) ${ctx.s.udpMediaLines.join(", ")} keep the earlier port; move udpport above them`,
        );
      }
    },
  },
  baud: {
    kind: "option",
    apply(ctx, value, name) {
      const b = parseUint(value);
      if (b === undefined || !BAUD_RATES.includes(b))
        return bad(ctx, name, value, `one of ${BAUD_RATES.join(", ")}`);
      if (!once(ctx, name, true)) return;
      ctx.s.baud = b;
      if (ctx.s.serialMediaLines.length > 0) {
        ctx.sink.warning(
          ctx.line,
          "hacf.order",
          `baud must precede the serial media it applies to: the serial link(s) on line(s) ${ctx.s.serialMediaLines.join(", ")} keep the earlier speed; move baud above them`,
        );
      }
    },
  },
  bcast: {
    kind: "media-token",
    multi: true,
    apply(ctx, value, name) {
      if (!checkIface(ctx, name, value)) return;
      addMedium(ctx, { kind: "bcast", iface: value, port: ctx.s.udpPort, at: at(ctx) });
      ctx.s.udpMediaLines.push(ctx.line);
    },
  },
  mcast: {
    kind: "media-line",
    apply(ctx, value, name) {
      const t = value.split(/\s+/);
      if (t.length !== 5) {
        ctx.sink.error(ctx.line, "hacf.bad-value", `${name}: expected "${name} IFACE GROUP PORT TTL LOOP"`);
        return;
      }
      const [iface, group, p, ttlText, loopText] = t as [string, string, string, string, string];
      if (!checkIface(ctx, name, iface)) return;
      const v6 = name === "mcast6";
      if (v6 ? !(isIPv6(group) && group.toLowerCase().startsWith("ff")) : !isMulticastV4(group)) {
        return bad(
          ctx,
          name,
          group,
          v6
            ? "an IPv6 multicast group (ff00::/8)"
            : "an IPv4 multicast group (224.0.0.0 to 239.255.255.255)",
        );
      }
      const portNum = port(ctx, name, p);
      if (portNum === undefined) return;
      const ttl = parseUint(ttlText);
      if (ttl === undefined || ttl > 4) {
        return bad(
          ctx,
          name,
          ttlText,
          `a ${v6 ? "hop count" : "TTL"} from 0 to 4 (Heartbeat refuses larger values)`,
        );
      }
      if (loopText !== "0" && loopText !== "1") return bad(ctx, name, loopText, "loop 0 or 1");
      addMedium(ctx, {
        kind: v6 ? "mcast6" : "mcast",
        iface,
        group,
        port: portNum,
        ttl,
        loop: loopText === "1" && !v6,
        at: at(ctx),
      });
    },
  },
  ucast: {
    kind: "media-line",
    apply(ctx, value, name) {
      const t = value.split(/\s+/);
      const [iface, peer, ...extra] = t;
      if (iface === undefined || peer === undefined || iface === "") {
        ctx.sink.error(ctx.line, "hacf.bad-value", `${name}: expected "${name} IFACE PEER_ADDRESS"`);
        return;
      }
      if (!checkIface(ctx, name, iface)) return;
      const v6 = name === "ucast6";
      if (v6 ? !isIPv6(peer) : !isIPv4(peer)) {
        // Heartbeat resolves host names too; a name makes failover depend on DNS.
        if (v6 || /^[\d.]+$/.test(peer) || !/^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(peer)) {
          return bad(ctx, name, peer, v6 ? "an IPv6 address" : "an IPv4 address");
        }
        ctx.sink.warning(
          ctx.line,
          "hacf.ucast-hostname",
          `${name}: peer "${peer}" is a host name; it is resolved once at start, so use an address to keep heartbeats independent of DNS`,
        );
      }
      if (extra.length > 0) {
        ctx.sink.warning(
          ctx.line,
          "hacf.ucast-extra",
          `${name} takes one peer per line; "${extra.join(" ")}" is ignored (as Heartbeat does): add a ${name} line per peer`,
        );
      }
      addMedium(ctx, { kind: v6 ? "ucast6" : "ucast", iface, peer, port: ctx.s.udpPort, at: at(ctx) });
      ctx.s.udpMediaLines.push(ctx.line);
    },
  },
  serial: {
    kind: "media-token",
    multi: true,
    apply(ctx, value, name) {
      if (!value.startsWith("/")) return bad(ctx, name, value, "an absolute device path such as /dev/ttyS0");
      addMedium(ctx, { kind: "serial", device: value, baud: ctx.s.baud, at: at(ctx) });
      ctx.s.serialMediaLines.push(ctx.line);
    },
  },
  ping: {
    kind: "media-token",
    multi: true,
    apply(ctx, value, name) {
      const v6 = name === "ping6";
      if (v6 ? !isIPv6(value) : !isIPv4(value))
        return bad(ctx, name, value, v6 ? "an IPv6 address" : "an IPv4 address");
      ctx.s.pingNodes.push({ kind: v6 ? "ping6" : "ping", name: value, addresses: [value], at: at(ctx) });
    },
  },
  ping_group: {
    kind: "media-line",
    apply(ctx, value, name) {
      const [group, ...addrs] = value.split(/\s+/);
      if (group === undefined || group === "" || addrs.length === 0) {
        ctx.sink.error(ctx.line, "hacf.bad-value", `${name}: expected "${name} NAME ADDRESS [ADDRESS...]"`);
        return;
      }
      const wrong = addrs.filter((a) => !isIPv4(a));
      if (wrong.length > 0) return bad(ctx, name, wrong.join(" "), "IPv4 addresses");
      ctx.s.pingNodes.push({ kind: "ping_group", name: group, addresses: addrs, at: at(ctx) });
    },
  },
  node: {
    kind: "option",
    multi: true,
    apply(ctx, value) {
      const n = value.toLowerCase();
      if (n.length > MAX_NODE_NAME) {
        ctx.sink.error(
          ctx.line,
          "hacf.limit",
          `node name "${value}" is longer than ${MAX_NODE_NAME} characters`,
        );
        return;
      }
      if (ctx.s.nodes.includes(n)) {
        ctx.sink.warning(ctx.line, "hacf.duplicate-node", `node "${n}" is listed more than once`);
        return;
      }
      if (ctx.s.nodes.length >= MAX_NODES) {
        ctx.sink.error(ctx.line, "hacf.limit", `too many nodes: at most ${MAX_NODES}`);
        return;
      }
      ctx.s.nodes.push(n);
    },
  },
  auto_failback: {
    kind: "option",
    apply(ctx, value, name) {
      const v = value.toLowerCase();
      const b = parseHbBool(v);
      const mode: AutoFailback | undefined =
        v === "legacy" ? "legacy" : b === undefined ? undefined : b ? "on" : "off";
      if (mode === undefined) return bad(ctx, name, value, "on, off or legacy");
      once(ctx, name);
      ctx.s.autoFailback = mode;
    },
  },
  nice_failback: {
    kind: "option",
    apply(ctx, value, name) {
      const b = parseHbBool(value);
      if (b === undefined) return bad(ctx, name, value, "a boolean");
      once(ctx, name);
      ctx.s.autoFailback = b ? "off" : "legacy";
      ctx.sink.warning(
        ctx.line,
        "hacf.obsolete",
        `nice_failback is obsolete: use "auto_failback ${b ? "off" : "on"}" (nice_failback ${value} means auto_failback ${b ? "off" : "legacy"})`,
      );
    },
  },
  alert: {
    kind: "line",
    apply(ctx, value, name) {
      const a = parseAlertLine(value, at(ctx));
      if (typeof a === "string") ctx.sink.error(ctx.line, "hacf.bad-value", `${name}: ${a}`);
      else ctx.s.alerts.push(a);
    },
  },
  respawn: {
    kind: "line",
    apply(ctx, value, name) {
      const c = clientSpec(ctx, name, value);
      if (c) ctx.s.respawn.push(c);
    },
  },
  failfast: {
    kind: "line",
    apply(ctx, value, name) {
      const c = clientSpec(ctx, name, value);
      if (c) ctx.s.failfast.push(c);
    },
  },
  apiauth: {
    kind: "line",
    apply(ctx, value, name) {
      const [client, ...rest] = value.split(/\s+/);
      const entry = { client: client ?? "", uids: [] as string[], gids: [] as string[], at: at(ctx) };
      for (const r of rest) {
        const m = /^(uid|gid)=(.+)$/.exec(r);
        if (!m) return bad(ctx, name, r, "uid=USER[,USER...] or gid=GROUP[,GROUP...]");
        (m[1] === "uid" ? entry.uids : entry.gids).push(...m[2]!.split(",").filter((x) => x !== ""));
      }
      if (!client || (entry.uids.length === 0 && entry.gids.length === 0)) {
        ctx.sink.error(
          ctx.line,
          "hacf.bad-value",
          `${name}: expected "${name} CLIENT uid=... and/or gid=..."`,
        );
        return;
      }
      const dup = ctx.s.apiauth.find((a) => a.client === client);
      if (dup) {
        ctx.sink.error(
          ctx.line,
          "hacf.duplicate",
          `${name}: client "${client}" is already defined on line ${dup.at.line}`,
        );
        return;
      }
      ctx.s.apiauth.push(entry);
      ctx.s.inert.push({
        directive: name,
        value,
        at: at(ctx),
        reason:
          "Tandem has no Heartbeat API socket; hbctl access is governed by root and the configured group",
      });
    },
  },
  pacemaker: {
    kind: "option",
    apply(ctx, value, name) {
      const v = value.toLowerCase();
      const b = parseHbBool(v);
      const words: PacemakerMode[] = ["respawn", "minimal", "manual", "ccm-only", "valgrind"];
      const mode: PacemakerMode | undefined = words.includes(v as PacemakerMode)
        ? (v as PacemakerMode)
        : b === undefined
          ? undefined
          : b
            ? "on"
            : "off";
      if (mode === undefined) return bad(ctx, name, value, `on, off, ${words.join(", ")}`);
      const prev = ctx.s.seen.get("pacemaker");
      if (prev !== undefined) {
        ctx.sink.error(
          ctx.line,
          "hacf.duplicate",
          `pacemaker/crm may be given only once (first given on line ${prev})`,
        );
        return;
      }
      ctx.s.seen.set("pacemaker", ctx.line);
      ctx.s.pacemaker = mode;
      if (mode === "ccm-only" || mode === "valgrind" || mode === "minimal" || mode === "manual") {
        ctx.sink.warning(
          ctx.line,
          "hacf.pacemaker-mode",
          `${name} ${v}: Tandem treats this as "on" (its resource manager is built in and cannot be started separately or under valgrind)`,
        );
      }
    },
  },
  crm_daemon_dir: inert(
    TANDEM_CRM + "; there are no separate Pacemaker daemons to find",
    text(() => {}),
  ),
  crmd_spawns_pengine: inert(
    TANDEM_CRM,
    bool(() => {}),
  ),
  autojoin: {
    kind: "option",
    apply(ctx, value, name) {
      oneOf(["none", "other", "any"] as const, (s, v) => (s.autojoin = v)).apply(ctx, value, name);
      if (ctx.s.autojoin !== "none" && ctx.s.seen.get(name) === ctx.line) {
        ctx.sink.warning(
          ctx.line,
          "hacf.autojoin",
          `autojoin ${ctx.s.autojoin}: Tandem admits only nodes listed with "node"; list every member explicitly`,
        );
      }
    },
  },
  uuidfrom: oneOf(["file", "nodename"] as const, (s, v) => (s.uuidfrom = v)),
  hbgenmethod: oneOf(["file", "time"] as const, (s, v) => (s.hbgenmethod = v)),
  logfile: text((s, v) => (s.logfile = v)),
  debugfile: text((s, v) => (s.debugfile = v)),
  logfacility: {
    kind: "option",
    apply(ctx, value, name) {
      if (!SYSLOG_FACILITIES.has(value.toLowerCase())) {
        return bad(ctx, name, value, "a syslog facility (daemon, local0..local7, ...) or none");
      }
      once(ctx, name);
      ctx.s.logfacility = value.toLowerCase();
    },
  },
  // Tandem's extension (Heartbeat refuses the line: "Illegal directive"): /metrics and the status page
  metrics_listen: {
    kind: "option",
    apply(ctx, value, name) {
      const a = parseListenAddress(value);
      if (a === undefined) return bad(ctx, name, value, LISTEN_SYNTAX);
      once(ctx, name);
      ctx.s.metricsListen = a;
    },
  },
  use_logd: inert(
    TANDEM_LOGS + "; there is no ha_logd",
    bool(() => {}),
  ),
  conn_logd_time: inert(
    TANDEM_LOGS + "; there is no ha_logd",
    time(() => {}),
  ),
  syslogmsgfmt: inert(
    TANDEM_LOGS,
    bool(() => {}),
  ),
  log_badpack: bool((s, v) => (s.logBadPackets = v)),
  debug: uint(0, 255, (s, v) => (s.debugLevel = v)),
  realtime: bool((s, v) => (s.realtime = v)),
  rtprio: uint(1, 99, (s, v) => (s.rtprio = v), "an integer from 1 to 99"),
  memreserve: inert(
    "hbd does not pre-allocate memory",
    uint(0, 1 << 30, () => {}, "a size in KiB"),
  ),
  watchdog: {
    kind: "option",
    apply(ctx, value, name) {
      if (!value.startsWith("/"))
        return bad(ctx, name, value, "an absolute device path such as /dev/watchdog");
      if (!once(ctx, name, true)) return;
      ctx.s.watchdog = value;
    },
  },
  stonith: inert(
    "a STONITH device configured from a file is not read: write it as stonith_host (ssh, external/ssh, meatware, null), or configure fence devices in a cib.xml",
    {
      kind: "line",
      apply(ctx, value, name) {
        if (value.split(/\s+/).length < 2) bad(ctx, name, value, '"stonith TYPE CONFIGFILE"');
      },
    },
  ),
  stonith_host: {
    kind: "line",
    apply(ctx, value, name) {
      const [from, plugin, ...hosts] = value.split(/\s+/).filter((t) => t !== "");
      if (from === undefined || plugin === undefined)
        return bad(ctx, name, value, '"stonith_host HOST|* TYPE PARAMS..."');
      const agent = STONITH_PLUGINS[plugin];
      if (agent === undefined) {
        ctx.sink.warning(
          ctx.line,
          "hacf.stonith-plugin",
          `stonith_host: Heartbeat plugin "${plugin}" has no Tandem fence agent (${Object.keys(STONITH_PLUGINS).join(", ")} do): this device is not used; with crm on, configure a fence agent in cib.xml`,
        );
        ctx.s.inert.push({
          directive: name,
          value,
          at: at(ctx),
          reason: `no fence agent for plugin ${plugin}`,
        });
        return;
      }
      ctx.s.stonithHosts.push({
        from: from.toLowerCase(),
        plugin,
        agent,
        hosts: hosts.map((h) => h.toLowerCase()),
        at: at(ctx),
      });
    },
  },
  coredumps: inert(
    "core dumps are governed by the service manager (LimitCORE), not by hbd",
    bool(() => {}),
  ),
  coreroot: inert(
    "core dumps are governed by the service manager, not by hbd",
    text(() => {}),
  ),
  msgfmt: oneOf(["classic", "netstring"] as const, (s, v) => (s.msgfmt = v)),
  compression: inert(
    "hbd never compresses its messages; it decodes only uncompressed fields",
    oneOf(["zlib", "bz2"] as const, () => {}),
  ),
  compression_threshold: inert(
    "hbd never compresses its messages",
    uint(1, 1 << 20, () => {}, "a size in KiB greater than 0"),
  ),
  traditional_compression: inert(
    "hbd never compresses its messages",
    bool(() => {}),
  ),
  max_rexmit_delay: uint(1, 3_600_000, (s, v) => (s.maxRexmitDelayMs = v), "a delay in ms greater than 0"),
  hopfudge: inert(
    "message forwarding over serial rings is not implemented (dead code in Heartbeat 3.0.6)",
    uint(0, 255, () => {}),
  ),
  cluster: text((s, v) => (s.clusterName = v)),
  quorum_server: inert(
    "there is no quorum server client; two-node clusters use ping nodes and fencing",
    text(() => {}),
  ),
  env: {
    kind: "line",
    apply(ctx, value, name) {
      const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(value);
      if (!m) return bad(ctx, name, value, "NAME=value");
      ctx.s.env[m[1]!] = m[2]!;
    },
  },
  use_apphbd: inert(
    "apphbd is not supported",
    bool(() => {}),
  ),
  normalpoll: inert(
    "hbd's event loop has no poll mode to choose",
    bool(() => {}),
  ),
  record_config_changes: inert(
    TANDEM_CRM + "; CIB changes are always recorded",
    bool(() => {}),
  ),
  record_pengine_inputs: inert(
    TANDEM_CRM + "; policy inputs are always saved (bounded)",
    bool(() => {}),
  ),
  enable_config_writes: inert(
    TANDEM_CRM,
    bool(() => {}),
  ),
};

/** Aliases: `crm` is 2.1's name for `pacemaker`; `udp` is the old name of `bcast`. */
const ALIASES: Readonly<Record<string, string>> = {
  crm: "pacemaker",
  udp: "bcast",
  mcast6: "mcast",
  ucast6: "ucast",
  ping6: "ping",
};

const UNSUPPORTED_MEDIA: Readonly<Record<string, string>> = {
  hbaping: "hbaping (Fibre Channel HBA ping) is not supported: it was never finished in Heartbeat either",
  rds: "the rds medium is not supported: use ucast, mcast or serial",
  tipc: "the tipc medium is not supported: use ucast, mcast or serial",
};

/** All directive names Heartbeat 3.0.6 knows, plus Tandem's metrics_listen (for docs and tests). */
export const KNOWN_DIRECTIVES: readonly string[] = [
  ...Object.keys(DIRECTIVES),
  ...Object.keys(ALIASES),
  ...Object.keys(UNSUPPORTED_MEDIA),
].sort();

function splitOptionValues(rest: string): string[] {
  return rest.split(/[\s,]+/).filter((t) => t !== "");
}

export function parseHaCf(text: string, file: string, opts: HaCfOptions = {}): Parsed<HaCf> {
  const sink = new DiagnosticSink(file);
  const s: State = {
    clusterName: HEARTBEAT_DEFAULTS.clusterName,
    nodes: [],
    udpPort: HEARTBEAT_DEFAULTS.udpPort,
    baud: HEARTBEAT_DEFAULTS.baud,
    media: [],
    pingNodes: [],
    pacemaker: "off",
    autojoin: HEARTBEAT_DEFAULTS.autojoin,
    respawn: [],
    alerts: [],
    failfast: [],
    apiauth: [],
    env: {},
    debugLevel: HEARTBEAT_DEFAULTS.debugLevel,
    logBadPackets: HEARTBEAT_DEFAULTS.logBadPackets,
    realtime: HEARTBEAT_DEFAULTS.realtime,
    msgfmt: HEARTBEAT_DEFAULTS.msgfmt,
    maxRexmitDelayMs: HEARTBEAT_DEFAULTS.maxRexmitDelayMs,
    hbgenmethod: HEARTBEAT_DEFAULTS.hbgenmethod,
    uuidfrom: HEARTBEAT_DEFAULTS.uuidfrom,
    inert: [],
    stonithHosts: [],
    seen: new Map(),
    failed: new Set(),
    udpMediaLines: [],
    serialMediaLines: [],
  };
  const ctx: Ctx = { sink, file, s, line: 0 };
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    ctx.line = i + 1;
    const raw = lines[i]!.replace(/\r$/, "");
    if (Buffer.byteLength(raw) > MAX_LINE_BYTES) {
      sink.error(ctx.line, "hacf.limit", `line is longer than ${MAX_LINE_BYTES} bytes`);
      continue;
    }
    const hash = raw.indexOf("#");
    const content = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
    if (content === "") continue;
    // Whitespace as Heartbeat's isspace() sees it includes a bare CR; `s` lets the
    // value hold the line terminators JS knows (CR, U+2028, U+2029) without failing the match.
    const m = /^(\S+)\s*(.*)$/s.exec(content);
    const written = m?.[1];
    if (written === undefined) continue;
    const rest = (m?.[2] ?? "").trim();
    const unsupported = ownValue(UNSUPPORTED_MEDIA, written);
    if (unsupported !== undefined) {
      sink.error(ctx.line, "hacf.unsupported", unsupported);
      continue;
    }
    if (written === "udp") {
      sink.warning(ctx.line, "hacf.renamed", "directive 'udp' is the old name of 'bcast'; write 'bcast'");
    }
    const key = ownValue(ALIASES, written) ?? written;
    const d = Object.hasOwn(DIRECTIVES, key) ? DIRECTIVES[key] : undefined;
    if (!d) {
      const lower = written.toLowerCase();
      const hint =
        Object.hasOwn(DIRECTIVES, lower) || Object.hasOwn(ALIASES, lower)
          ? ` (directive names are lower case: "${lower}")`
          : "";
      sink.error(ctx.line, "hacf.unknown-directive", `unknown directive "${written}"${hint}`);
      continue;
    }
    const name = written === "udp" ? "bcast" : written;
    if (rest === "") {
      sink.error(ctx.line, "hacf.missing-value", `${name}: missing value`);
      continue;
    }
    const errorsBefore = sink.items.filter((x) => x.severity === "error").length;
    if (d.kind === "line" || d.kind === "media-line") {
      d.apply(ctx, rest, name);
    } else {
      const values = splitOptionValues(rest);
      if (values.length > 1 && !d.multi) {
        sink.error(
          ctx.line,
          "hacf.one-value",
          `${name} takes one value, but this line has ${values.length} (${values.map((v) => `"${v}"`).join(", ")}): ha.cf splits values at spaces and commas${/^(ms|us|usec)$/.test(values[1]!) ? `, so write "${values[0]}${values[1]}"` : ""}`,
        );
      } else {
        for (const v of values) d.apply(ctx, v, name);
      }
    }
    if (sink.items.filter((x) => x.severity === "error").length > errorsBefore)
      s.failed.add(ownValue(ALIASES, name) ?? name);
  }
  return { value: finish(ctx, opts), diagnostics: sink.items };
}

/** `rec[key]` for the record's own keys only: a directive named "toString" must not find Object.prototype's. */
function ownValue(rec: Readonly<Record<string, string>>, key: string): string | undefined {
  return Object.hasOwn(rec, key) ? rec[key] : undefined;
}

function lineOf(s: State, name: string): number {
  return s.seen.get(name) ?? 0;
}

/** Applies defaults and Heartbeat's fatal cross-field rules, plus the warnings Tandem adds. */
function finish(ctx: Ctx, opts: HaCfOptions): HaCf {
  const { s, sink } = ctx;
  for (const d of s.stonithHosts) {
    const strangers = d.hosts.filter((h) => !s.nodes.includes(h));
    if (strangers.length > 0 || d.hosts.length === 0)
      sink.warning(
        d.at.line,
        "hacf.stonith-hosts",
        d.hosts.length === 0
          ? `stonith_host ${d.plugin}: no host list, so this device may be asked to fence any node`
          : `stonith_host ${d.plugin}: ${strangers.join(", ")} ${strangers.length === 1 ? "is not a node" : "are not nodes"} of this cluster`,
      );
  }
  if (s.pacemaker !== "off")
    for (const a of s.alerts)
      sink.warning(
        a.at?.line ?? 0,
        "hacf.alert-crm",
        `alert ${a.path}: with crm on, hbd runs the CIB's <alerts> (this line is not used); configure the alert there (hbctl convert haresources shows the XML)`,
      );
  const keepaliveMs = s.keepaliveMs ?? HEARTBEAT_DEFAULTS.keepaliveMs;
  const deadtimeMs = s.deadtimeMs ?? HEARTBEAT_DEFAULTS.deadtimeMs;
  const warntimeMs = s.warntimeMs ?? Math.floor(deadtimeMs / 2);
  const initdeadMs = s.initdeadMs ?? defaultInitdeadMs(deadtimeMs);
  const deadpingMs = s.deadpingMs ?? deadtimeMs;

  const autoFailback = s.autoFailback ?? HEARTBEAT_DEFAULTS.autoFailback;
  checkClusterRules(
    {
      timing: { keepaliveMs, deadtimeMs, warntimeMs, initdeadMs, deadpingMs },
      explicit: new Set(s.seen.keys()),
      failed: s.failed,
      media: s.media,
      pingNodes: s.pingNodes,
      nodes: s.nodes,
      autojoin: s.autojoin,
      pacemaker: s.pacemaker,
      autoFailback,
    },
    sink,
    (name) => lineOf(s, name),
    { ...opts, style: "ha.d" },
  );

  return {
    clusterName: s.clusterName,
    nodes: s.nodes,
    timing: { keepaliveMs, deadtimeMs, warntimeMs, initdeadMs, deadpingMs },
    udpPort: s.udpPort,
    baud: s.baud,
    media: s.media,
    pingNodes: s.pingNodes,
    autoFailback,
    pacemaker: s.pacemaker,
    autojoin: s.autojoin,
    respawn: s.respawn,
    failfast: s.failfast,
    apiauth: s.apiauth,
    env: s.env,
    ...(s.watchdog === undefined ? {} : { watchdog: s.watchdog }),
    lines: Object.fromEntries(s.seen),
    ...(s.stonithHosts.length === 0 ? {} : { stonithHosts: s.stonithHosts }),
    ...(s.logfile === undefined ? {} : { logfile: s.logfile }),
    ...(s.debugfile === undefined ? {} : { debugfile: s.debugfile }),
    ...(s.logfacility === undefined ? {} : { logfacility: s.logfacility }),
    ...(s.metricsListen === undefined ? {} : { metricsListen: s.metricsListen }),
    debugLevel: s.debugLevel,
    logBadPackets: s.logBadPackets,
    realtime: s.realtime,
    ...(s.rtprio === undefined ? {} : { rtprio: s.rtprio }),
    msgfmt: s.msgfmt,
    maxRexmitDelayMs: s.maxRexmitDelayMs,
    hbgenmethod: s.hbgenmethod,
    uuidfrom: s.uuidfrom,
    inert: s.inert,
    ...(s.alerts.length === 0 ? {} : { alerts: s.alerts }),
  };
}
