/** The check each configured real gets: CheckSpec from the virtual's check settings and the real. */
import type { RealServer, VirtualService } from "../model.js";
import { SERVICE_PORTS } from "../model.js";
import { externalCheckArgs } from "./external.js";
import type { CheckSpec } from "./runner.js";

/** The port the checks of a real connect to. */
export function checkPortOf(v: VirtualService, r: RealServer): number {
  if (v.check.checkPort !== undefined) return v.check.checkPort;
  if (r.port !== 0) return r.port;
  return SERVICE_PORTS[v.check.service] ?? (v.endpoint.kind === "addr" ? v.endpoint.port : 0);
}

/**
 * The check to run for one real this round. `negotiate` speaks http/https;
 * `none` needs no I/O; other services fall back to a TCP connect (reported in
 * the message of the check's result).
 */
export function checkSpecFor(
  v: VirtualService,
  r: RealServer,
  negotiate = true,
  reuse: number | undefined = undefined,
): CheckSpec {
  const c = v.check;
  const port = checkPortOf(v, r);
  const connect: CheckSpec = { kind: "connect", host: r.ip, port, timeoutMs: c.checkTimeoutMs };
  switch (c.type) {
    case "on":
      return { kind: "on" };
    case "off":
      return { kind: "off" };
    case "connect":
      return v.protocol === "udp"
        ? { kind: "ping", host: r.ip, count: c.checkCount, timeoutMs: c.checkTimeoutMs }
        : connect;
    case "ping":
      return { kind: "ping", host: r.ip, count: c.checkCount, timeoutMs: c.checkTimeoutMs };
    case "external":
    case "external-perl": {
      const ep = v.endpoint;
      const vip = ep.kind === "fwmark" ? String(ep.mark) : ep.ip;
      const vport = ep.kind === "fwmark" ? 0 : ep.port;
      return {
        kind: "external",
        command: c.command,
        args: externalCheckArgs(vip, vport, r.ip, r.port),
        timeoutMs: c.checkTimeoutMs,
      };
    }
    case "combined":
    case "negotiate": {
      if (c.type === "combined" && !negotiate) return connect;
      if (c.service === "none") return { kind: "on" };
      if (c.service === "http" || c.service === "https")
        return {
          kind: "http",
          scheme: c.service,
          host: r.ip,
          port,
          request: r.request ?? c.request,
          method: c.httpMethod,
          virtualhost: c.virtualHost,
          receive: r.receive ?? c.receive,
          timeoutMs: c.negotiateTimeoutMs,
          ...(reuse !== undefined && reuse > 1 ? { reuse } : {}),
        };
      return { ...connect, timeoutMs: c.negotiateTimeoutMs };
    }
  }
}
