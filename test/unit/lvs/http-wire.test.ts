// Goal: the negotiate check's own HTTP/1.1 reader gives the status, body and reusability node:http would, for every framing, in any split of the bytes, and refuses what is not HTTP. Method: responses as bytes fed whole, byte by byte and in random splits.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  httpRequestBytes,
  ResponseReader,
  requestTarget,
  type WireResponse,
} from "../../../src/lvs/checks/http-wire.js";

/** Feeds `text` in pieces of the given sizes (cycled); returns the response, ending the stream if needed. */
function read(text: string, sizes: number[] = [1 << 20], head = false, maxBody?: number): WireResponse {
  const r = new ResponseReader(head, maxBody);
  const b = Buffer.from(text, "latin1");
  for (let at = 0, i = 0; at < b.length; i++) {
    const n = sizes[i % sizes.length] as number;
    const got = r.push(b.subarray(at, at + n));
    at += n;
    if (got) return got;
  }
  return r.end();
}

const splits = [[1 << 20], [1], [2, 3, 5, 7], [13]];

test("request bytes: Host, keep-alive or close, and no header injection", () => {
  assert.equal(
    httpRequestBytes("GET", "/health?x=1", "www.example.com").toString(),
    "GET /health?x=1 HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: hb-director\r\nAccept: */*\r\nConnection: close\r\n\r\n",
  );
  assert.doesNotMatch(httpRequestBytes("HEAD", "/", "h", true).toString(), /Connection/);
  assert.throws(() => httpRequestBytes("GET", "/\r\nX: y", "h"), /CR or LF/);
  assert.equal(requestTarget(new URL("http://a:81/p/q?r=s")), "/p/q?r=s");
  assert.equal(requestTarget(new URL("http://a")), "/");
});

test("Content-Length body, complete before the connection ends; reusable on HTTP/1.1", () => {
  for (const s of splits) {
    const r = read("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX: y\r\n\r\nhello", s);
    assert.deepEqual(r, { status: 200, location: undefined, body: "hello", reusable: true });
  }
  assert.equal(read("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok").reusable, false);
  assert.equal(read("HTTP/1.1 200 OK\r\nconnection: Close\r\nContent-Length: 2\r\n\r\nok").reusable, false);
  assert.equal(read("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA").reusable, false);
});

test("chunked body in any split, with extensions; the last chunk ends it", () => {
  const text =
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\n\r\n";
  for (const s of splits)
    assert.deepEqual(read(text, s), {
      status: 200,
      location: undefined,
      body: "hello world",
      reusable: true,
    });
  assert.throws(() => read("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"), /chunk size/);
});

test("a body without length ends with the connection and is not reusable", () => {
  for (const s of splits) {
    const r = read("HTTP/1.1 200 OK\r\nServer: x\r\n\r\nuntil the end", s);
    assert.equal(r.body, "until the end");
    assert.equal(r.reusable, false);
  }
});

test("HEAD, 204 and 304 have no body; a 100 Continue is skipped; Location is kept", () => {
  assert.equal(read("HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n", [1 << 20], true).body, "");
  assert.equal(read("HTTP/1.1 204 No Content\r\n\r\n").status, 204);
  assert.equal(read("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n").body, "");
  const r = read(
    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 302 Found\r\nLocation: /ok\r\nContent-Length: 0\r\n\r\n",
    [7],
  );
  assert.equal(r.status, 302);
  assert.equal(r.location, "/ok");
});

test("the body is cut at the limit (and the connection not reused)", () => {
  const r = read(`HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n${"x".repeat(100)}`, [10], false, 16);
  assert.equal(r.body, "x".repeat(16));
  assert.equal(r.reusable, false);
});

test("not HTTP, a bad Content-Length, a header that never ends, a body cut short: clear errors", () => {
  assert.throws(() => read("SSH-2.0-OpenSSH_9.6\r\n\r\n"), /not an HTTP response/);
  assert.throws(() => read("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"), /bad Content-Length/);
  assert.throws(() => read(`HTTP/1.1 200 OK\r\nX: ${"a".repeat(70_000)}`), /header too long/);
  assert.throws(
    () => read("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"),
    /middle of the response body/,
  );
  assert.throws(() => read("HTTP/1.1 200 OK\r\n"), /before the response header/);
});
