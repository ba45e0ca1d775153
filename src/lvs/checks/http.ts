/**
 * The `negotiate` check for http and https: one request (GET or HEAD) to
 * rip:checkport with the Host header, up when the status is accepted (any 2xx
 * unless an expected status is given) and the receive regex matches the body.
 * Redirects are followed like LWP does for GET/HEAD; certificates are not verified.
 *
 * Connections (spec.reuse): a check's connection is kept open (HTTP/1.1
 * keep-alive) for up to `reuse` checks of the same real, so most checks cost
 * one request and no TCP handshake; a failed check always drops it (the next
 * check, and so every check that can bring a real back, opens a fresh
 * connection), and a request that finds a kept connection closed by the server
 * is sent once more on a fresh one. reuse 1 = a new connection every check
 * (ldirectord's and keepalived's way).
 */
import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { httpRequestBytes, ResponseReader, requestTarget, type WireResponse } from "./http-wire.js";
import type { CheckOutcome, CheckSignal } from "./runner.js";

/** What one http/https negotiate check needs. */
export interface HttpCheckSpec {
  readonly scheme: "http" | "https";
  readonly host: string;
  readonly port: number;
  /** Path (a leading "/" is added if missing) or an absolute http(s):// URL. */
  readonly request: string;
  readonly method: "GET" | "HEAD";
  /** Host header; defaults to host. */
  readonly virtualhost?: string | undefined;
  /** Regex the body must match; empty or absent = any body. */
  readonly receive?: string | undefined;
  /** Accepted status codes; absent = 200-299. */
  readonly expectStatus?: readonly number[] | undefined;
  /** Checks one connection may carry (default 1: a fresh connection per check). */
  readonly reuse?: number | undefined;
}

/** A connection kept open between checks of one spec. */
interface Kept {
  readonly socket: Socket;
  uses: number;
  /** The idle listeners (removed when a check takes the connection). */
  readonly onGone: () => void;
  readonly onIdleError: () => void;
}

/** Kept connections by spec identity (the director keeps one spec object per real), and all of them. */
const kept = new WeakMap<HttpCheckSpec, Kept>();
const allKept = new Set<Socket>();

/** Closes every kept connection (the director's stop). */
export function closeKeptConnections(): void {
  for (const s of allKept) s.destroy();
  allKept.clear();
}

/** Closes the kept connection of one spec (a real reloaded away or re-specified). */
export function closeKeptConnection(spec: HttpCheckSpec): void {
  dropKept(spec, kept.get(spec));
}

function dropKept(spec: HttpCheckSpec, k: Kept | undefined): void {
  if (!k) return;
  if (kept.get(spec) !== k) return;
  kept.delete(spec);
  allKept.delete(k.socket);
  k.socket.destroy();
}

const maxBody = 1 << 20;
const maxRedirects = 5;
/** Compiled receive regexes (a check runs every checkinterval with the same pattern). */
const patterns = new Map<string, RegExp>();
/** Parsed check URLs by spec identity (the director keeps one spec object per real). */
const urls = new WeakMap<HttpCheckSpec, URL>();

/** The URL a spec asks for. */
export function httpCheckUrl(spec: HttpCheckSpec): URL {
  if (/^https?:\/\//i.test(spec.request)) return new URL(spec.request);
  const path = spec.request.startsWith("/") ? spec.request : `/${spec.request}`;
  const host = spec.host.includes(":") ? `[${spec.host}]` : spec.host;
  return new URL(`${spec.scheme}://${host}:${spec.port}${path}`);
}

/** The port of a URL (its scheme's default when absent). */
function portOf(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
}

/** A new connection to the URL's host and port; "ready" once connected (TLS: handshake done). */
function open(url: URL): { socket: Socket; ready: string } {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (url.protocol === "https:")
    return {
      socket: tlsConnect({ host, port: portOf(url), rejectUnauthorized: false, servername: sniName(host) }),
      ready: "secureConnect",
    };
  return { socket: netConnect({ host, port: portOf(url) }), ready: "connect" };
}

/**
 * One request (raw socket, see http-wire.ts), on the kept connection `k` when
 * given, else on a new one. The response is complete at its framing's end
 * (Content-Length, last chunk) or at the connection's end. Resolves with the
 * response and the socket when the connection may carry another request
 * (the caller keeps or destroys it); rejects with `stale` set when a kept
 * connection was closed before any byte of the response arrived.
 */
function fetchOnce(
  url: URL,
  spec: HttpCheckSpec,
  signal: CheckSignal,
  k: Kept | undefined,
): Promise<{ response: WireResponse; socket?: Socket | undefined }> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error("aborted"));
    const keepAlive = (spec.reuse ?? 1) > 1;
    const req = httpRequestBytes(spec.method, requestTarget(url), spec.virtualhost ?? url.host, keepAlive);
    const reader = new ResponseReader(spec.method === "HEAD", maxBody);
    const fresh = k ? undefined : open(url);
    const s = k?.socket ?? (fresh as { socket: Socket }).socket;
    let got = false;
    let settled = false;
    const finish = (e: Error | undefined, r?: WireResponse): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener("abort", onAbort);
      s.removeListener("data", onData);
      s.removeListener("end", onEnd);
      s.removeListener("error", onError);
      s.removeListener("close", onClose);
      const keep = e === undefined && r?.reusable === true && keepAlive && !s.destroyed;
      if (!keep) s.destroy();
      if (e) reject(k && !got ? Object.assign(e, { stale: true }) : e);
      else resolve({ response: r as WireResponse, socket: keep ? s : undefined });
    };
    const onAbort = (): void => finish(new Error("aborted"));
    const onData = (b: Buffer): void => {
      got = true;
      try {
        const r = reader.push(b);
        if (r) finish(undefined, r);
      } catch (e) {
        finish(e as Error);
      }
    };
    const onEnd = (): void => {
      try {
        finish(undefined, { ...reader.end(), reusable: false });
      } catch (e) {
        finish(e as Error);
      }
    };
    const onError = (e: Error): void => finish(e);
    const onClose = (): void => finish(new Error("connection closed"));
    signal.addEventListener("abort", onAbort, { once: true });
    s.on("data", onData);
    s.on("end", onEnd);
    s.on("error", onError);
    s.on("close", onClose);
    if (fresh) s.once(fresh.ready, () => s.write(req));
    else {
      s.ref();
      s.write(req);
    }
  });
}

/** Keeps a connection for the next check of `spec`: idle, unref'd, dropped when the server closes it. */
function keep(spec: HttpCheckSpec, socket: Socket, uses: number): void {
  const k: Kept = {
    socket,
    uses,
    onGone: () => dropKept(spec, k),
    onIdleError: () => dropKept(spec, k),
  };
  socket.unref();
  socket.on("end", k.onGone);
  socket.on("close", k.onGone);
  socket.on("error", k.onIdleError);
  kept.set(spec, k);
  allKept.add(socket);
}

/** Takes the kept connection of `spec` out of the cache for a check. */
function takeKept(spec: HttpCheckSpec): Kept | undefined {
  const k = kept.get(spec);
  if (!k) return undefined;
  kept.delete(spec);
  allKept.delete(k.socket);
  k.socket.removeListener("end", k.onGone);
  k.socket.removeListener("close", k.onGone);
  k.socket.removeListener("error", k.onIdleError);
  if (k.socket.destroyed) return undefined;
  return k;
}

/**
 * The request of one check: on the kept connection when there is one (again on
 * a fresh connection if the server had closed it meanwhile), then kept for the
 * next check while it has uses left.
 */
async function fetchKept(url: URL, spec: HttpCheckSpec, signal: CheckSignal): Promise<WireResponse> {
  const k = takeKept(spec);
  let r: { response: WireResponse; socket?: Socket | undefined };
  try {
    r = await fetchOnce(url, spec, signal, k);
  } catch (e) {
    if (!k || !(e as { stale?: boolean }).stale || signal.aborted) throw e;
    r = await fetchOnce(url, spec, signal, undefined);
    return finishKept(spec, r, 1);
  }
  return finishKept(spec, r, (k?.uses ?? 0) + 1);
}

function finishKept(
  spec: HttpCheckSpec,
  r: { response: WireResponse; socket?: Socket | undefined },
  uses: number,
): WireResponse {
  if (r.socket && uses < (spec.reuse ?? 1)) keep(spec, r.socket, uses);
  else r.socket?.destroy();
  return r.response;
}

/** SNI is sent for names only, never for an address. */
function sniName(host: string): string | undefined {
  return /^[\d.]+$/.test(host) || host.includes(":") ? undefined : host;
}

/** Runs the check; never throws. */
export async function checkHttp(spec: HttpCheckSpec, signal: CheckSignal): Promise<CheckOutcome> {
  let url: URL;
  let re: RegExp | undefined;
  try {
    url = urls.get(spec) ?? httpCheckUrl(spec);
    urls.set(spec, url);
    re = spec.receive ? patterns.get(spec.receive) : undefined;
    if (spec.receive && !re) {
      re = new RegExp(spec.receive);
      if (patterns.size > 10_000) patterns.clear();
      patterns.set(spec.receive, re);
    }
  } catch (e) {
    return { ok: false, message: `bad check: ${(e as Error).message}` };
  }
  const verdict = await negotiate(url, re, spec, signal);
  if (!verdict.ok) dropKept(spec, kept.get(spec)); // the next check starts on a fresh connection
  return verdict;
}

async function negotiate(
  url0: URL,
  re: RegExp | undefined,
  spec: HttpCheckSpec,
  signal: CheckSignal,
): Promise<CheckOutcome> {
  let url = url0;
  try {
    for (let hop = 0; ; hop++) {
      // redirects: a fresh connection per hop, none kept
      const r =
        hop === 0
          ? await fetchKept(url, spec, signal)
          : (await fetchOnce(url, spec, signal, undefined)).response;
      if (r.status >= 300 && r.status < 400 && r.location && hop < maxRedirects && !spec.expectStatus) {
        url = new URL(r.location, url);
        continue;
      }
      const statusOk = spec.expectStatus
        ? spec.expectStatus.includes(r.status)
        : r.status >= 200 && r.status < 300;
      if (!statusOk) return { ok: false, message: `status ${r.status}` };
      if (re && !re.test(r.body))
        return { ok: false, message: `status ${r.status}, receive /${spec.receive}/ not matched` };
      return { ok: true, message: `status ${r.status}` };
    }
  } catch (e) {
    if (signal.aborted) return { ok: false, message: "negotiate timed out" };
    const err = e as NodeJS.ErrnoException;
    return { ok: false, message: `request failed: ${err.code ?? err.message}` };
  }
}
