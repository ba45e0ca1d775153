// Goal: the monitoring listener is read-only and safe to expose to a scraper: /metrics with
// Prometheus' content type, / as HTML, HEAD without a body, 405 for other methods, 404 elsewhere,
// a failing port answered 500 (and reported) without killing the server, headers that forbid scripts.
// Method: a real HTTP server on 127.0.0.1 (port chosen by the kernel) and real requests with fetch.
import assert from "node:assert/strict";
import { test } from "node:test";
import { startMonitorServer } from "../../../src/monitor/http.js";

test("routes, methods, content types, security headers, errors", async () => {
  const errors: string[] = [];
  let fail = false;
  const server = await startMonitorServer(
    { host: "127.0.0.1", port: 0 },
    {
      metrics: () => {
        if (fail) throw new Error("snapshot broke");
        return "# TYPE x gauge\nx 1\n";
      },
      page: async () => "<!DOCTYPE html><title>t</title>",
      onError: (e) => errors.push(e.message),
    },
  );
  const base = `http://127.0.0.1:${server.address.port}`;
  try {
    assert.ok(server.address.port > 0);
    const m = await fetch(`${base}/metrics`);
    assert.equal(m.status, 200);
    assert.equal(m.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    assert.equal(await m.text(), "# TYPE x gauge\nx 1\n");
    const p = await fetch(`${base}/?x=1`);
    assert.equal(p.status, 200);
    assert.match(p.headers.get("content-type") ?? "", /^text\/html/);
    assert.match(p.headers.get("content-security-policy") ?? "", /default-src 'none'/);
    assert.equal(p.headers.get("x-content-type-options"), "nosniff");
    const head = await fetch(`${base}/metrics`, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("content-length"), "19");
    assert.equal(await head.text(), "");
    const post = await fetch(`${base}/metrics`, { method: "POST", body: "x" });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get("allow"), "GET, HEAD");
    assert.equal((await fetch(`${base}/admin`)).status, 404);
    fail = true;
    const broken = await fetch(`${base}/metrics`);
    assert.equal(broken.status, 500);
    assert.deepEqual(errors, ["snapshot broke"]);
    fail = false;
    assert.equal((await fetch(`${base}/metrics`)).status, 200, "the server survives a failing port");
  } finally {
    await server.close();
  }
  await assert.rejects(fetch(`${base}/metrics`), "closed");
});

test("a taken address is a listen error, not a crash", async () => {
  const a = await startMonitorServer({ host: "127.0.0.1", port: 0 }, { metrics: () => "", page: () => "" });
  try {
    await assert.rejects(
      startMonitorServer({ host: "127.0.0.1", port: a.address.port }, { metrics: () => "", page: () => "" }),
      /EADDRINUSE/,
    );
  } finally {
    await a.close();
  }
});
