/**
 * cluster.yaml: the configuration style for new installations. It describes
 * the same model as ha.cf + authkeys + haresources (see examples/yaml/), is
 * validated with zod, and every problem is reported with its line. The
 * cross-field rules are the same as ha.cf's (validate.ts).
 *
 * Differences from ha.cf, on purpose: times may also be written with an `s`
 * suffix ("2s") or as YAML numbers (seconds); unknown keys are errors; the
 * secrets live in the same file, so the file must not be readable by group or
 * others (the authkeys rule).
 *
 * Pure: text in, model and diagnostics out.
 */

import { z } from "zod";
import { DiagnosticSink, type Parsed } from "../base/diag.js";
import { parseLocatedYaml, reportZodIssues } from "../base/yaml-doc.js";
import { ALERT_SELECTS, type AlertSelect } from "./alert-spec.js";
import { AUTH_METHODS, MAX_AUTH_INDEX } from "./authkeys.js";
import { BAUD_RATES } from "./hacf.js";
import { parseResourceWord } from "./haresources.js";
import {
  type AuthKey,
  type ClusterConfig,
  defaultInitdeadMs,
  HEARTBEAT_DEFAULTS,
  type LegacyResource,
  type Medium,
  type PingNode,
  type ResourceGroup,
} from "./model.js";
import { checkClusterRules } from "./validate.js";
import {
  isIfaceName,
  isIPv4,
  isIPv6,
  isMulticastV4,
  LISTEN_SYNTAX,
  parseHbTime,
  parseListenAddress,
} from "./values.js";

/** Heartbeat time syntax, plus `s` suffix and YAML numbers (seconds). */
export function parseYamlTime(v: number | string): number | undefined {
  if (typeof v === "number") return Number.isFinite(v) && v >= 0 ? Math.round(v * 1000) : undefined;
  const m = /^(\d+(?:\.\d*)?|\.\d+)\s*s$/.exec(v.trim());
  if (m) return Math.round(Number(m[1]) * 1000);
  return parseHbTime(v);
}

const time = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const ms = parseYamlTime(v);
  if (ms === undefined || ms <= 0) {
    ctx.addIssue({
      code: "custom",
      message: `invalid time "${v}": expected a positive duration such as 2, "1.5s", "500ms" or "800us"`,
    });
    return z.NEVER;
  }
  return ms;
});

const iface = z
  .string()
  .refine(isIfaceName, { message: "expected an interface name (1 to 15 characters, e.g. eth0)" });
const ipv4 = z.string().refine(isIPv4, { message: "expected an IPv4 address" });
const port = z.number().int().min(1).max(65535);

const medium = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("ucast"), iface, peer: ipv4, port: port.optional() }),
  z.strictObject({
    type: z.literal("ucast6"),
    iface,
    peer: z.string().refine(isIPv6, { message: "expected an IPv6 address" }),
    port: port.optional(),
  }),
  z.strictObject({ type: z.literal("bcast"), iface, port: port.optional() }),
  z.strictObject({
    type: z.literal("mcast"),
    iface,
    group: z
      .string()
      .refine(isMulticastV4, { message: "expected an IPv4 multicast group (224.0.0.0 to 239.255.255.255)" }),
    port,
    ttl: z.number().int().min(0).max(4).default(1),
    loop: z.boolean().default(false),
  }),
  z.strictObject({
    type: z.literal("serial"),
    device: z.string().startsWith("/", { message: "expected an absolute device path such as /dev/ttyS0" }),
    baud: z
      .number()
      .refine((b) => BAUD_RATES.includes(b), { message: `expected one of ${BAUD_RATES.join(", ")}` })
      .optional(),
  }),
]);

const pingNode = z.union([
  ipv4,
  z.strictObject({ group: z.string().min(1), addresses: z.array(ipv4).min(1) }),
]);

const resourceEntry = z.union([
  z.string().min(1),
  z.strictObject({ type: z.string().min(1), args: z.array(z.union([z.string(), z.number()])).default([]) }),
]);

const schema = z.strictObject({
  cluster: z.string().min(1).default(HEARTBEAT_DEFAULTS.clusterName),
  nodes: z.array(z.string().min(1).max(100)).min(1, { message: "list every cluster member under nodes" }),
  timing: z
    .strictObject({
      keepalive: time.optional(),
      deadtime: time.optional(),
      warntime: time.optional(),
      initdead: time.optional(),
      deadping: time.optional(),
    })
    .default({}),
  udpport: port.default(HEARTBEAT_DEFAULTS.udpPort),
  baud: z
    .number()
    .refine((b) => BAUD_RATES.includes(b), { message: `expected one of ${BAUD_RATES.join(", ")}` })
    .default(HEARTBEAT_DEFAULTS.baud),
  media: z.array(medium).default([]),
  ping_nodes: z.array(pingNode).default([]),
  auto_failback: z.enum(["on", "off"]).default("on"),
  crm: z.boolean().default(false),
  auth: z.strictObject({
    active: z.number().int().min(0).max(MAX_AUTH_INDEX),
    keys: z
      .array(
        z.strictObject({
          index: z.number().int().min(0).max(MAX_AUTH_INDEX),
          method: z.enum(AUTH_METHODS as [string, ...string[]]),
          secret: z.string().optional(),
        }),
      )
      .min(1),
  }),
  resources: z
    .array(
      z.strictObject({
        node: z.string().min(1),
        resources: z.array(resourceEntry).min(1),
      }),
    )
    .default([]),
  watchdog: z.string().startsWith("/").optional(),
  logfile: z.string().min(1).optional(),
  /** Tandem: where hbd serves /metrics and its status page ("9664", "127.0.0.1:9664", "[::1]:9664"). */
  metrics_listen: z
    .union([z.string(), z.number().int()])
    .transform((v, ctx) => {
      const a = parseListenAddress(String(v));
      if (a === undefined) ctx.addIssue({ code: "custom", message: `expected ${LISTEN_SYNTAX}` });
      return a;
    })
    .optional(),
  debug: z.number().int().min(0).max(255).default(0),
  log_badpack: z.boolean().default(true),
  realtime: z.boolean().default(HEARTBEAT_DEFAULTS.realtime),
  rtprio: z.number().int().min(1).max(99).optional(),
  max_rexmit_delay: z.number().int().min(1).default(HEARTBEAT_DEFAULTS.maxRexmitDelayMs),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).default({}),
  // alert agents, as ha.cf's `alert` lines (docs/ALERTS.md)
  alerts: z
    .array(
      z.strictObject({
        path: z.string().startsWith("/", { message: "the agent must be an absolute path" }),
        recipient: z.string().min(1).optional(),
        timeout: z
          .string()
          .regex(/^\d+(ms|msec|s|sec|m|min|h|hr)?$/, { message: "expected a duration such as 30s" })
          .optional(),
        timestamp_format: z.string().min(1).optional(),
        select: z
          .array(z.enum(ALERT_SELECTS as [AlertSelect, ...AlertSelect[]]))
          .min(1)
          .optional(),
        attributes: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).default({}),
      }),
    )
    .default([]),
});

export interface YamlOptions {
  /** Permission bits of the file (from stat); group/other-readable is refused since it holds secrets. */
  readonly mode?: number;
  readonly localNode?: string;
}

export function parseClusterYaml(
  text: string,
  file: string,
  opts: YamlOptions = {},
): Parsed<ClusterConfig | undefined> {
  const sink = new DiagnosticSink(file);
  if (opts.mode !== undefined && (opts.mode & 0o044) !== 0) {
    const m = (opts.mode & 0o777).toString(8).padStart(4, "0");
    sink.error(
      0,
      "yaml.mode",
      `file mode ${m} lets group or others read the authentication secrets; run "chmod 600 ${file}"`,
    );
  }
  const located = parseLocatedYaml(text, sink);
  if (!located) return { value: undefined, diagnostics: sink.items };
  const { doc, lineAt } = located;
  const parsed = schema.safeParse(doc.toJS());
  if (!parsed.success) {
    reportZodIssues(parsed.error.issues, located, sink, (_issue, path) =>
      path[0] === "media" && path[path.length - 1] === "type"
        ? "unknown medium type: expected one of ucast, ucast6, bcast, mcast, serial"
        : undefined,
    );
    return { value: undefined, diagnostics: sink.items };
  }
  const y = parsed.data;

  const nodes = y.nodes.map((n) => n.toLowerCase());
  const media: Medium[] = y.media.map((m, i): Medium => {
    const at = { file, line: lineAt(["media", i]) };
    switch (m.type) {
      case "ucast":
      case "ucast6":
        return { kind: m.type, iface: m.iface, peer: m.peer, port: m.port ?? y.udpport, at };
      case "bcast":
        return { kind: "bcast", iface: m.iface, port: m.port ?? y.udpport, at };
      case "mcast":
        return { kind: "mcast", iface: m.iface, group: m.group, port: m.port, ttl: m.ttl, loop: m.loop, at };
      default:
        return { kind: "serial", device: m.device, baud: m.baud ?? y.baud, at };
    }
  });
  const pingNodes: PingNode[] = y.ping_nodes.map((p, i) => {
    const at = { file, line: lineAt(["ping_nodes", i]) };
    return typeof p === "string"
      ? { kind: "ping", name: p, addresses: [p], at }
      : { kind: "ping_group", name: p.group, addresses: p.addresses, at };
  });

  if (y.crm)
    for (const [i, a] of y.alerts.entries())
      sink.warning(
        lineAt(["alerts", i]),
        "yaml.alert-crm",
        `alerts[${i}] (${a.path}): with crm: true, hbd runs the CIB's <alerts> (this entry is not used); configure the alert there`,
      );
  const keys: AuthKey[] = [];
  y.auth.keys.forEach((k, i) => {
    const line = lineAt(["auth", "keys", i]);
    const secret = k.secret ?? "";
    if (keys.some((o) => o.index === k.index))
      sink.error(line, "yaml.auth", `auth.keys[${i}]: key index ${k.index} is defined twice`);
    if (k.method === "crc" && secret !== "")
      sink.error(line, "yaml.auth", `auth.keys[${i}]: method crc does not use a secret; remove it`);
    if (k.method !== "crc" && secret === "")
      sink.error(line, "yaml.auth", `auth.keys[${i}]: method ${k.method} needs a secret`);
    if (/\s/.test(secret)) {
      sink.error(
        line,
        "yaml.auth",
        `auth.keys[${i}]: the secret contains whitespace; Heartbeat peers would cut it at the first space and disagree, so remove the space`,
      );
    }
    keys.push({ index: k.index, method: k.method as AuthKey["method"], secret, at: { file, line } });
  });
  const active = keys.find((k) => k.index === y.auth.active);
  if (!active) {
    sink.error(
      lineAt(["auth", "active"]),
      "yaml.auth",
      `auth.active: key ${y.auth.active} is not defined under auth.keys`,
    );
  } else if (active.method === "crc") {
    sink.warning(
      lineAt(["auth", "active"]),
      "yaml.auth-weak",
      "auth.active: crc offers no security: anyone on the network can forge heartbeats; use sha256 (or sha1 with Heartbeat peers)",
    );
  }

  const groups: ResourceGroup[] = [];
  y.resources.forEach((g, gi) => {
    const node = g.node.toLowerCase();
    const line = lineAt(["resources", gi]);
    if (!nodes.includes(node)) {
      sink.error(
        lineAt(["resources", gi, "node"]),
        "yaml.resources",
        `resources[${gi}].node: "${g.node}" is not a configured node (${nodes.join(", ")})`,
      );
    }
    const resources: LegacyResource[] = g.resources.map((r, ri) => {
      const rl = lineAt(["resources", gi, "resources", ri]);
      const word = typeof r === "string" ? r : [r.type, ...r.args.map(String)].join("::");
      return parseResourceWord({ text: word, line: rl }, file, sink);
    });
    const key =
      typeof g.resources[0] === "string"
        ? g.resources[0]
        : resources[0]
          ? [resources[0].type, ...resources[0].args].join("::")
          : "";
    if (groups.some((o) => o.key === key))
      sink.error(
        line,
        "yaml.resources",
        `resources[${gi}]: a group whose first resource is "${key}" is already defined`,
      );
    groups.push({ key, node, resources, at: { file, line } });
  });

  const t = y.timing;
  const deadtimeMs = t.deadtime ?? HEARTBEAT_DEFAULTS.deadtimeMs;
  const timing = {
    keepaliveMs: t.keepalive ?? HEARTBEAT_DEFAULTS.keepaliveMs,
    deadtimeMs,
    warntimeMs: t.warntime ?? Math.floor(deadtimeMs / 2),
    initdeadMs: t.initdead ?? defaultInitdeadMs(deadtimeMs),
    deadpingMs: t.deadping ?? deadtimeMs,
  };
  const explicit = new Set<string>(Object.keys(t).filter((k) => t[k as keyof typeof t] !== undefined));
  explicit.add("auto_failback");
  const cfg: ClusterConfig = {
    style: "yaml",
    clusterName: y.cluster,
    nodes,
    timing,
    udpPort: y.udpport,
    baud: y.baud,
    media,
    pingNodes,
    autoFailback: y.auto_failback,
    pacemaker: y.crm ? "on" : "off",
    autojoin: "none",
    auth: { active: y.auth.active, keys },
    groups,
    respawn: [],
    failfast: [],
    apiauth: [],
    env: y.env,
    ...(y.watchdog === undefined ? {} : { watchdog: y.watchdog }),
    ...(y.logfile === undefined ? {} : { logfile: y.logfile }),
    ...(y.metrics_listen === undefined ? {} : { metricsListen: y.metrics_listen }),
    ...(y.alerts.length === 0
      ? {}
      : {
          alerts: y.alerts.map((a) => ({
            path: a.path,
            attributes: a.attributes,
            ...(a.recipient === undefined ? {} : { recipient: a.recipient }),
            ...(a.timeout === undefined ? {} : { timeout: a.timeout }),
            ...(a.timestamp_format === undefined ? {} : { timestampFormat: a.timestamp_format }),
            ...(a.select === undefined ? {} : { select: a.select }),
          })),
        }),
    debugLevel: y.debug,
    logBadPackets: y.log_badpack,
    realtime: y.realtime,
    ...(y.rtprio === undefined ? {} : { rtprio: y.rtprio }),
    msgfmt: "netstring",
    maxRexmitDelayMs: y.max_rexmit_delay,
    hbgenmethod: "file",
    uuidfrom: "file",
    inert: [],
  };
  checkClusterRules(
    { ...cfg, explicit, failed: new Set() },
    sink,
    (setting) =>
      setting in t
        ? lineAt(["timing", setting])
        : setting === "auto_failback"
          ? lineAt(["auto_failback"])
          : 0,
    {
      style: "yaml",
      ...(opts.localNode === undefined ? {} : { localNode: opts.localNode }),
      haresourcesPresent: groups.length > 0,
    },
  );
  return { value: cfg, diagnostics: sink.items };
}
