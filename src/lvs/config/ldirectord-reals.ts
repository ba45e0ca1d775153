/** ldirectord.cf parsing, part 3: `real =` lines (ranges, forwarding, weight, per-real request/receive) and the `virtual =` header. */

import { ipv4ToInt } from "../../config/values.js";
import {
  type AddressFamily,
  LDIRECTORD_DEFAULTS as D,
  FORWARDING_METHODS,
  type ForwardingMethod,
} from "../model.js";
import { withSlash } from "./ldirectord-directives.js";
import {
  type Ctx,
  err,
  isV6,
  MAX_RANGE,
  portOf,
  resolveAddr,
  type VirtualDraft,
} from "./ldirectord-values.js";

// ---------------------------------------------------------------- real servers

export const ADDR = String.raw`\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+`;
export const REAL_RE = new RegExp(`^(${ADDR})(?:->(${ADDR}))?(?::([0-9A-Za-z_-]+))?(?:\\s+(.*))?$`);

export function parseReal(c: Ctx, v: VirtualDraft): void {
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

export function parseVirtualHeader(c: Ctx, family: AddressFamily, v: VirtualDraft): boolean {
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
