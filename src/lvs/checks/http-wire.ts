/**
 * The few bytes of HTTP/1.1 a negotiate check needs, without node:http: one
 * request written in a single buffer, and an incremental response reader
 * (status line, Content-Length / chunked / read-to-close bodies, Location).
 * node:http's client (agent, ClientRequest, IncomingMessage streams) cost
 * about a third of the director's CPU at 1,000 checks per second (profiled
 * with --cpu-prof); this costs a few string operations per check.
 *
 * Pure: bytes in, a parsed response (or "need more") out.
 */

/** One parsed response; `body` holds at most the reader's body limit. */
export interface WireResponse {
  readonly status: number;
  readonly location?: string | undefined;
  readonly body: string;
  /** The connection may carry another request (HTTP/1.1, no `Connection: close`, the body's end was framed). */
  readonly reusable: boolean;
}

/**
 * The request bytes. keepAlive false sends `Connection: close`, so the
 * response ends with the connection at the latest.
 */
export function httpRequestBytes(method: string, path: string, host: string, keepAlive = false): Buffer {
  if (/[\r\n]/.test(path) || /[\r\n]/.test(host)) throw new Error("CR or LF in the request path or Host");
  return Buffer.from(
    `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: hb-director\r\nAccept: */*\r\n${keepAlive ? "" : "Connection: close\r\n"}\r\n`,
    "latin1",
  );
}

/** The request target of a URL for the request line (path and query). */
export function requestTarget(url: URL): string {
  return `${url.pathname || "/"}${url.search}`;
}

type Framing = { kind: "none" } | { kind: "length"; left: number } | { kind: "chunked" } | { kind: "close" };

/**
 * Reads one response from the chunks of a connection. push() returns the
 * response once it is complete (or the body limit is reached); end() is called
 * at EOF and returns it when the framing allows an ending there; both throw on
 * malformed input.
 */
export class ResponseReader {
  private head = "";
  private status = 0;
  private location: string | undefined;
  private keepAlive = false;
  /** The body was cut at maxBody, or bytes followed it. */
  private truncated = false;
  private framing: Framing | undefined;
  private readonly body: Buffer[] = [];
  private bodySize = 0;
  /** Unparsed chunked-encoding bytes. */
  private pending: Buffer = Buffer.alloc(0);
  private chunkLeft = -1;

  constructor(
    private readonly headRequest: boolean,
    private readonly maxBody = 1 << 20,
  ) {}

  push(b: Buffer): WireResponse | undefined {
    if (this.framing === undefined) {
      this.head += b.toString("latin1");
      const end = this.head.indexOf("\r\n\r\n");
      if (end < 0) {
        if (this.head.length > 64 * 1024) throw new Error("response header too long");
        return undefined;
      }
      const rest = Buffer.from(this.head.slice(end + 4), "latin1");
      this.parseHead(this.head.slice(0, end));
      if (this.status >= 100 && this.status < 200) {
        // an interim response (100 Continue): the real one follows
        this.head = "";
        this.framing = undefined;
        return rest.length > 0 ? this.push(rest) : undefined;
      }
      return this.bodyBytes(rest);
    }
    return this.bodyBytes(b);
  }

  end(): WireResponse {
    if (this.framing === undefined) throw new Error("connection closed before the response header");
    if (this.framing.kind === "close") return this.done();
    throw new Error("connection closed in the middle of the response body");
  }

  private parseHead(text: string): void {
    const lines = text.split("\r\n");
    const m = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0] ?? "");
    if (!m) throw new Error(`not an HTTP response: ${JSON.stringify((lines[0] ?? "").slice(0, 40))}`);
    this.status = Number(m[2]);
    this.keepAlive = m[1] === "1";
    let length: number | undefined;
    let chunked = false;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i] as string;
      const colon = line.indexOf(":");
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === "content-length") {
        if (!/^\d+$/.test(value)) throw new Error(`bad Content-Length ${JSON.stringify(value)}`);
        length = Number(value);
      } else if (name === "transfer-encoding") chunked = /(^|,)\s*chunked\s*$/i.test(value);
      else if (name === "location") this.location = value;
      else if (name === "connection" && /(^|,)\s*close\s*(,|$)/i.test(value)) this.keepAlive = false;
    }
    const bodyless = this.headRequest || this.status === 204 || this.status === 304 || this.status < 200;
    this.framing = bodyless
      ? { kind: "none" }
      : chunked
        ? { kind: "chunked" }
        : length !== undefined
          ? { kind: "length", left: length }
          : { kind: "close" };
  }

  private bodyBytes(b: Buffer): WireResponse | undefined {
    const f = this.framing as Framing;
    switch (f.kind) {
      case "none":
        return this.done();
      case "close":
        this.keep(b);
        return this.bodySize >= this.maxBody ? this.done() : undefined;
      case "length": {
        const take = Math.min(f.left, b.length);
        if (take < b.length) this.truncated = true; // bytes after the body: not a connection to reuse
        this.keep(take === b.length ? b : b.subarray(0, take));
        f.left -= take;
        return f.left === 0 || this.bodySize >= this.maxBody ? this.done() : undefined;
      }
      case "chunked":
        return this.chunked(b);
    }
  }

  private chunked(b: Buffer): WireResponse | undefined {
    let buf = this.pending.length > 0 ? Buffer.concat([this.pending, b]) : b;
    for (;;) {
      if (this.chunkLeft < 0) {
        const eol = buf.indexOf("\r\n");
        if (eol < 0) break;
        const size = Number.parseInt(buf.subarray(0, eol).toString("latin1").split(";")[0] ?? "", 16);
        if (!Number.isFinite(size) || size < 0) throw new Error("bad chunk size");
        if (size === 0) return this.done(); // trailers are not needed
        this.chunkLeft = size;
        buf = buf.subarray(eol + 2);
      }
      if (buf.length < this.chunkLeft + 2) {
        const take = Math.min(this.chunkLeft, buf.length);
        this.keep(buf.subarray(0, take));
        this.chunkLeft -= take;
        buf = buf.subarray(take);
        if (this.chunkLeft === 0 && buf.length < 2) break; // wait for the CRLF after the chunk
        if (this.chunkLeft > 0) break;
      }
      this.keep(buf.subarray(0, this.chunkLeft));
      buf = buf.subarray(this.chunkLeft + 2);
      this.chunkLeft = -1;
      if (this.bodySize >= this.maxBody) return this.done();
    }
    this.pending = Buffer.from(buf);
    return undefined;
  }

  private keep(b: Buffer): void {
    if (this.bodySize >= this.maxBody) this.truncated = true;
    if (this.bodySize >= this.maxBody || b.length === 0) return;
    const room = this.maxBody - this.bodySize;
    const part = b.length > room ? b.subarray(0, room) : b;
    this.body.push(part);
    this.bodySize += part.length;
  }

  private done(): WireResponse {
    const body =
      this.body.length === 1
        ? (this.body[0] as Buffer).toString("utf8")
        : Buffer.concat(this.body).toString("utf8");
    const framed = this.framing?.kind !== "close" && this.bodySize < this.maxBody && !this.truncated;
    return { status: this.status, location: this.location, body, reusable: this.keepAlive && framed };
  }
}
