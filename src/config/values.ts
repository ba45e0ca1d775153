import { SYSLOG_FACILITIES as BASE_FACILITIES } from "../base/syslog.js";

/**
 * Value syntaxes shared by the config parsers. Each returns `undefined` for
 * invalid input; the caller turns that into a diagnostic with its line.
 */

/**
 * Heartbeat's time syntax (HeartbeatTimeSyntax), in milliseconds rounded to
 * the nearest ms: a plain number is seconds (`2`, `0.1`), `500ms` is
 * milliseconds, `1000us` / `1000usec` microseconds. `2s` is invalid, as in
 * Heartbeat. Whitespace between number and unit is allowed here, but the
 * ha.cf tokenizer splits on it, so in ha.cf `500 ms` is two values.
 */
export function parseHbTime(text: string): number | undefined {
  const m = /^(\d+(?:\.\d*)?|\.\d+)\s*(ms|us|usec)?$/.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  if (!Number.isFinite(n)) return undefined;
  switch (m[2]) {
    case "ms":
      return Math.round(n);
    case "us":
    case "usec":
      return Math.round(n / 1000);
    default:
      return Math.round(n * 1000);
  }
}

const TRUE_WORDS = new Set(["true", "on", "yes", "y", "1"]);
const FALSE_WORDS = new Set(["false", "off", "no", "n", "0"]);

/** Heartbeat's boolean syntax, case-insensitive. */
export function parseHbBool(text: string): boolean | undefined {
  const t = text.toLowerCase();
  if (TRUE_WORDS.has(t)) return true;
  if (FALSE_WORDS.has(t)) return false;
  return undefined;
}

/** A non-negative decimal integer without sign or exponent. */
export function parseUint(text: string): number | undefined {
  if (!/^\d{1,15}$/.test(text)) return undefined;
  return Number(text);
}

/** Dotted-quad IPv4 address with each octet 0..255 and no leading zeros beyond "0". */
export function isIPv4(text: string): boolean {
  const parts = text.split(".");
  if (parts.length !== 4) return false;
  return parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
}

export function ipv4ToInt(text: string): number {
  return text.split(".").reduce((acc, p) => acc * 256 + Number(p), 0);
}

/** IPv6 address (loose structural check: hex groups, one `::` at most, optional %scope). */
export function isIPv6(text: string): boolean {
  const [addr, scope, ...rest] = text.split("%");
  if (addr === undefined || rest.length > 0 || scope === "") return false;
  if (!/^[0-9a-fA-F:.]+$/.test(addr) || !addr.includes(":")) return false;
  const doubles = addr.split("::").length - 1;
  if (doubles > 1) return false;
  const groups = addr.split(":").filter((g) => g !== "");
  if (groups.some((g) => g.length > 4 && !isIPv4(g))) return false;
  return doubles === 1 ? groups.length < 8 : groups.length === 8;
}

export function isMulticastV4(text: string): boolean {
  if (!isIPv4(text)) return false;
  const first = Number(text.split(".")[0]);
  return first >= 224 && first <= 239;
}

/** Linux interface name: 1..15 characters, no slash, colon or whitespace (a `:label` is handled by callers). */
export function isIfaceName(text: string): boolean {
  return /^[A-Za-z0-9_.@-]{1,15}$/.test(text);
}

/** Syslog facilities Heartbeat's logfacility accepts, plus `none`. */
export const SYSLOG_FACILITIES: ReadonlySet<string> = new Set([...BASE_FACILITIES, "none"]);

export function formatMs(ms: number): string {
  return `${ms} ms`;
}

/** Where an HTTP listener binds (ha.cf `metrics_listen`, cluster.yaml `metrics_listen`, hb-director --metrics-listen). */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** What parseListenAddress accepts, for error messages. */
export const LISTEN_SYNTAX = "PORT (on 127.0.0.1), IPV4:PORT or [IPV6]:PORT, PORT 1..65535";

/**
 * `9664` (loopback only: 127.0.0.1), `192.0.2.10:9664`, `0.0.0.0:9664`,
 * `[::1]:9664`, `[::]:9664`. Host names are refused: what a name resolves to
 * can change, and a listener must not end up on a public address by surprise.
 */
export function parseListenAddress(text: string): ListenAddress | undefined {
  const m =
    /^(?:(\d{1,3}(?:\.\d{1,3}){3})|\[([0-9a-fA-F:.]+)\]):(\d{1,5})$/.exec(text) ??
    /^()()(\d{1,5})$/.exec(text);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (!(port >= 1 && port <= 65535) || !/^[1-9]/.test(m[3] ?? "")) return undefined;
  if (m[1]) return isIPv4(m[1]) ? { host: m[1], port } : undefined;
  if (m[2]) return isIPv6(m[2]) ? { host: m[2], port } : undefined;
  return { host: "127.0.0.1", port };
}

/** `host:port` as a URL authority (IPv6 in brackets). */
export function formatListenAddress(a: ListenAddress): string {
  return a.host.includes(":") ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
