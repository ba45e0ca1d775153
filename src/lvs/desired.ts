/**
 * Pure `desiredTable(config, health)`: the load-balancing table the director
 * wants, and `validateForBackend()`, which turns what a backend cannot do into
 * configuration errors (never a silent substitute).
 *
 * Rules (ldirectord 4.12 plus the extensions):
 * - an up real serves with its configured weight while its virtual has quorum;
 * - a down real (or every real, when quorum is lost) is removed, or kept with
 *   weight 0 when quiescent / inhibit_on_failure (established flows go on);
 * - the fallback (weight 1) is in the table exactly when quorum is lost
 *   (by default: when no real is up);
 * - checktype off: the service exists with neither reals nor fallback;
 * - persistence and its netmask; the netmask is dropped when it is the
 *   host mask (the kernel does not report /32 or /128, so keeping it would
 *   make every read-back differ);
 * - address services: a gate/ipip real, or one written without a port, uses
 *   the virtual's port (what the kernel does).
 */
import type { Diagnostic } from "../base/diag.js";
import { configRealKey } from "./health.js";
import {
  type BackendCapabilities,
  type DirectorConfig,
  type HealthState,
  hostPort,
  type Table,
  type TableReal,
  type TableService,
  type TableServiceSpec,
  type VirtualService,
} from "./model.js";

/** Backend view of a virtual's service (no reals). */
export function serviceSpec(v: VirtualService): TableServiceSpec {
  const ep = v.endpoint;
  const hostMask = v.netmask === "255.255.255.255" || (ep.family === 6 && v.netmask === "128");
  return {
    key: v.key,
    protocol: v.protocol,
    family: ep.family,
    ...(ep.kind === "addr" ? { address: ep.ip, port: ep.port } : { port: 0, fwmark: ep.mark }),
    scheduler: v.scheduler,
    ...(v.persistenceSec === undefined ? {} : { persistenceSec: v.persistenceSec }),
    ...(v.persistenceSec === undefined || v.netmask === undefined || hostMask ? {} : { netmask: v.netmask }),
    ...(v.schedFlags === undefined ? {} : { schedFlags: v.schedFlags }),
    ops: v.ops && v.protocol === "udp",
  };
}

/** Port a destination really gets in the kernel table. */
function tablePort(v: VirtualService, port: number, method: string): number {
  const ep = v.endpoint;
  if (ep.kind === "addr" && (port === 0 || method !== "masq")) return ep.port;
  return port;
}

/** The table the configuration and the health state call for. */
export function desiredTable(config: DirectorConfig, health: HealthState): Table {
  return { services: config.virtuals.map((v) => desiredService(v, health)) };
}

function desiredService(v: VirtualService, health: HealthState): TableService {
  const spec = serviceSpec(v);
  if (v.check.type === "off") return { ...spec, reals: [] };
  const vh = health.virtuals.get(v.key);
  const quorumUp = vh?.quorumUp ?? v.check.type === "on";
  const quiesce = v.quiescent || v.inhibitOnFailure;
  const reals: TableReal[] = [];
  const keys = new Set<string>();
  for (const r of v.reals) {
    const up = v.check.type === "on" || (vh?.reals.get(configRealKey(r))?.up ?? false);
    const serving = up && quorumUp;
    if (!serving && !quiesce) continue;
    const port = tablePort(v, r.port, r.method);
    const key = hostPort(r.ip, port);
    if (keys.has(key)) continue;
    keys.add(key);
    reals.push({
      key,
      address: r.ip,
      port,
      method: r.method,
      weight: serving ? r.weight : 0,
      upperThreshold: r.upperThreshold,
      lowerThreshold: r.lowerThreshold,
      role: "real",
    });
  }
  const fb = v.fallback;
  if (fb && !quorumUp) {
    const port = tablePort(v, fb.port, fb.method);
    const key = hostPort(fb.ip, port);
    const i = reals.findIndex((r) => r.key === key);
    const entry: TableReal = {
      key,
      address: fb.ip,
      port,
      method: fb.method,
      weight: fb.weight,
      upperThreshold: 0,
      lowerThreshold: 0,
      role: "fallback",
    };
    // A fallback that is also a (quiesced) real replaces that entry; otherwise it
    // comes first, as ldirectord adds it before the reals at start-up.
    if (i >= 0) reals[i] = entry;
    else reals.unshift(entry);
  }
  return { ...spec, reals };
}

/**
 * Configuration errors for a backend: a scheduler, forwarding method,
 * protocol, persistence, thresholds, IPv6, schedflags or ops it cannot do.
 */
export function validateForBackend(config: DirectorConfig, caps: BackendCapabilities): Diagnostic[] {
  const out: Diagnostic[] = [];
  const error = (file: string, line: number, message: string): void => {
    out.push({ file, line, severity: "error", code: "lvs.backend", message });
  };
  const b = caps.name;
  for (const v of config.virtuals) {
    const { file, line } = v.at;
    const where = `virtual service ${v.key}`;
    if (!caps.schedulers.includes(v.scheduler))
      error(
        file,
        line,
        `${where}: scheduler "${v.scheduler}" is not supported by the ${b} backend (supported: ${caps.schedulers.join(", ")})`,
      );
    if (!caps.protocols.includes(v.protocol))
      error(file, line, `${where}: protocol ${v.protocol} is not supported by the ${b} backend`);
    if (v.endpoint.family === 6 && !caps.ipv6)
      error(file, line, `${where}: IPv6 is not supported by the ${b} backend`);
    if (v.persistenceSec !== undefined && !caps.persistence)
      error(file, line, `${where}: persistent is not supported by the ${b} backend`);
    if (v.ops && v.protocol === "udp" && !caps.ops)
      error(file, line, `${where}: ops is not supported by the ${b} backend`);
    for (const f of v.schedFlags?.split(",") ?? [])
      if (!caps.schedFlags.includes(f))
        error(
          file,
          line,
          `${where}: schedflags "${f}" is not supported by the ${b} backend${caps.schedFlags.length ? ` (supported: ${caps.schedFlags.join(", ")})` : ""}`,
        );
    const dests = [
      ...v.reals.map((r) => ({ ...r, what: "real server" })),
      ...(v.fallback
        ? [{ ...v.fallback, upperThreshold: 0, lowerThreshold: 0, what: "fallback server" }]
        : []),
    ];
    for (const r of dests) {
      if (!caps.methods.includes(r.method))
        error(
          r.at.file,
          r.at.line,
          `${r.what} ${r.ip}: forwarding method ${r.method} is not supported by the ${b} backend (supported: ${caps.methods.join(", ")})`,
        );
      if (!caps.thresholds && (r.upperThreshold > 0 || r.lowerThreshold > 0))
        error(
          r.at.file,
          r.at.line,
          `${r.what} ${r.ip}: connection thresholds (l:/u:) are not supported by the ${b} backend`,
        );
    }
  }
  return out;
}
