/**
 * The monitoring listener (the one adapter of src/monitor): a read-only HTTP
 * server for Prometheus and for people, shared by hbd and hb-director.
 *
 *   GET /metrics   the exposition text (prom.ts), Content-Type version=0.0.4
 *   GET /          the status page (plain HTML, refreshes itself, no script)
 *   HEAD           either, without a body
 *
 * Everything else: 404, or 405 for another method. No authentication and
 * nothing can be changed through it: bind it to loopback (the default of a
 * bare port) or a management address. The daemon must not suffer from it:
 * at most MAX_CONNECTIONS sockets, short header and request timeouts, no
 * request body read, and the page and text are built from a snapshot taken
 * when asked (the ports below), never kept up to date in the background.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { EXPOSITION_CONTENT_TYPE } from "./prom.js";

export interface MonitorPorts {
  /** The exposition text (called per scrape). */
  readonly metrics: () => string | Promise<string>;
  /** The status page, a whole HTML document (called per view). */
  readonly page: () => string | Promise<string>;
  /** A request that failed inside a port (a bug): logged, answered 500. */
  readonly onError?: (e: Error) => void;
}

export interface MonitorServer {
  /** The bound address (the port is known even when 0 was asked for). */
  readonly address: { readonly host: string; readonly port: number };
  close(): Promise<void>;
}

const MAX_CONNECTIONS = 32;
const TIMEOUT_MS = 5000;

/** Security headers of every answer: nothing may run, load or frame the page. */
const HEADERS = {
  "Cache-Control": "no-store",
  "X-Content-Type-Options": "nosniff",
  "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  "Referrer-Policy": "no-referrer",
} as const;

function answer(res: ServerResponse, status: number, type: string, body: string, head: boolean): void {
  const buf = Buffer.from(body, "utf8");
  res.writeHead(status, { ...HEADERS, "Content-Type": type, "Content-Length": buf.length });
  res.end(head ? undefined : buf);
}

async function handle(ports: MonitorPorts, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? "/").split("?")[0];
  const known = path === "/metrics" || path === "/";
  if (!known) {
    answer(res, 404, "text/plain; charset=utf-8", "not found: try /metrics or /\n", req.method === "HEAD");
    return;
  }
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("Allow", "GET, HEAD");
    answer(res, 405, "text/plain; charset=utf-8", "read-only: GET or HEAD\n", false);
    return;
  }
  try {
    if (path === "/metrics")
      answer(res, 200, EXPOSITION_CONTENT_TYPE, await ports.metrics(), req.method === "HEAD");
    else answer(res, 200, "text/html; charset=utf-8", await ports.page(), req.method === "HEAD");
  } catch (e) {
    ports.onError?.(e as Error);
    answer(res, 500, "text/plain; charset=utf-8", "internal error (see the daemon's log)\n", false);
  }
}

/** Listens on host:port; rejects with the listen error (EADDRINUSE, EADDRNOTAVAIL, EACCES). */
export async function startMonitorServer(
  at: { readonly host: string; readonly port: number },
  ports: MonitorPorts,
): Promise<MonitorServer> {
  const server: Server = createServer((req, res) => {
    req.resume(); // a body is never read
    void handle(ports, req, res);
  });
  server.maxConnections = MAX_CONNECTIONS;
  server.headersTimeout = TIMEOUT_MS;
  server.requestTimeout = TIMEOUT_MS;
  server.keepAliveTimeout = TIMEOUT_MS;
  server.setTimeout(TIMEOUT_MS, (socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: at.host, port: at.port, exclusive: true }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.unref(); // the daemon's own lifetime decides, not a scraper's connection
  const bound = server.address() as AddressInfo;
  return {
    address: { host: bound.address, port: bound.port },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
