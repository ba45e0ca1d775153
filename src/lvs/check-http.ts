/**
 * The `negotiate` check for http and https: one request (GET or HEAD) to
 * rip:checkport with the Host header, up when the status is accepted (any 2xx
 * unless an expected status is given) and the receive regex matches the body.
 * Redirects are followed like LWP does for GET/HEAD; certificates are not verified.
 */
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { CheckOutcome } from "./checks.js";

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
}

const maxBody = 1 << 20;
const maxRedirects = 5;

/** The URL a spec asks for. */
export function httpCheckUrl(spec: HttpCheckSpec): URL {
  if (/^https?:\/\//i.test(spec.request)) return new URL(spec.request);
  const path = spec.request.startsWith("/") ? spec.request : `/${spec.request}`;
  const host = spec.host.includes(":") ? `[${spec.host}]` : spec.host;
  return new URL(`${spec.scheme}://${host}:${spec.port}${path}`);
}

function fetchOnce(
  url: URL,
  spec: HttpCheckSpec,
  signal: AbortSignal,
): Promise<{ status: number; location?: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = (url.protocol === "https:" ? httpsRequest : httpRequest)(
      url,
      {
        method: spec.method,
        agent: false,
        signal,
        rejectUnauthorized: false,
        headers: {
          host: spec.virtualhost ?? url.host,
          "user-agent": "hb-director",
          connection: "close",
        },
      },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (b: Buffer) => {
          if (size < maxBody) chunks.push(b);
          size += b.length;
        });
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            location: res.headers.location,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end();
  });
}

/** Runs the check; never throws. */
export async function checkHttp(spec: HttpCheckSpec, signal: AbortSignal): Promise<CheckOutcome> {
  let url: URL;
  let re: RegExp | undefined;
  try {
    url = httpCheckUrl(spec);
    re = spec.receive ? new RegExp(spec.receive) : undefined;
  } catch (e) {
    return { ok: false, message: `bad check: ${(e as Error).message}` };
  }
  try {
    for (let hop = 0; ; hop++) {
      const r = await fetchOnce(url, spec, signal);
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
