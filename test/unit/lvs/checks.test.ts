// Goal: every check type gives the right up/down answer within its timeout and checks never block one another. Method: a real HTTP server and TCP servers on 127.0.0.1 (a silent one that never answers), shell commands for external checks.
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttp, type Server } from "node:http";
import { createServer as createTcp, type Socket, type Server as TcpServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { externalCheckArgs } from "../../../src/lvs/checks/external.js";
import { closeKeptConnections, httpCheckUrl } from "../../../src/lvs/checks/http.js";
import { CheckRunner, type CheckSpec, runCheck } from "../../../src/lvs/checks/runner.js";

let http: Server;
let silent: TcpServer;
let httpPort = 0;
let silentPort = 0;
let closedPort = 0;
const held: Socket[] = [];
const tmp = mkdtempSync(join(tmpdir(), "tdl-checks-"));
const seenHosts: string[] = [];

function listen(s: Server | TcpServer): Promise<number> {
  return new Promise((r) => s.listen(0, "127.0.0.1", () => r((s.address() as { port: number }).port)));
}

before(async () => {
  http = createHttp((req, res) => {
    seenHosts.push(req.headers.host ?? "");
    if (req.url === "/ok") res.end("alive and well");
    else if (req.url === "/moved") res.writeHead(302, { location: "/ok" }).end();
    else if (req.url === "/slow") setTimeout(() => res.end("late"), 3000);
    else res.writeHead(404).end("nope");
  });
  httpPort = await listen(http);
  // accepts TCP connections but never says a word (a hung application)
  silent = createTcp((s) => held.push(s));
  silentPort = await listen(silent);
  const tmpSrv = createTcp();
  closedPort = await listen(tmpSrv);
  await new Promise((r) => tmpSrv.close(r));
});

after(() => {
  for (const s of held) s.destroy();
  http.closeAllConnections();
  http.close();
  silent.close();
  rmSync(tmp, { recursive: true, force: true });
});

const httpSpec = (over: Partial<Extract<CheckSpec, { kind: "http" }>>): CheckSpec => ({
  kind: "http",
  scheme: "http",
  host: "127.0.0.1",
  port: httpPort,
  request: "/ok",
  method: "GET",
  timeoutMs: 1000,
  ...over,
});

test("connect: up on a listening port, down on a closed one", async () => {
  assert.equal(
    (await runCheck({ kind: "connect", host: "127.0.0.1", port: httpPort, timeoutMs: 1000 })).ok,
    true,
  );
  const r = await runCheck({ kind: "connect", host: "127.0.0.1", port: closedPort, timeoutMs: 1000 });
  assert.equal(r.ok, false);
  assert.match(r.message, /ECONNREFUSED/);
});

test("connect: an outer abort (director stopping) ends the check at once", async () => {
  const ac = new AbortController();
  ac.abort();
  const r = await runCheck(
    { kind: "connect", host: "127.0.0.1", port: httpPort, timeoutMs: 1000 },
    ac.signal,
  );
  assert.equal(r.ok, false);
});

test("http: status, receive regex, HEAD, virtualhost, expected status, redirect", async () => {
  const table: [string, Partial<Extract<CheckSpec, { kind: "http" }>>, boolean, RegExp][] = [
    ["2xx and body match", { receive: "alive" }, true, /status 200/],
    ["body does not match", { receive: "^dead" }, false, /not matched/],
    ["404", { request: "/missing" }, false, /status 404/],
    ["404 expected", { request: "/missing", expectStatus: [404] }, true, /status 404/],
    ["HEAD", { method: "HEAD" }, true, /status 200/],
    ["redirect followed", { request: "/moved", receive: "well" }, true, /status 200/],
    ["path without slash", { request: "ok" }, true, /status 200/],
    ["refused", { port: closedPort }, false, /ECONNREFUSED/],
  ];
  for (const [name, over, ok, msg] of table) {
    const r = await runCheck(httpSpec(over));
    assert.equal(r.ok, ok, `${name}: ${r.message}`);
    assert.match(r.message, msg, name);
  }
  seenHosts.length = 0;
  await runCheck(httpSpec({ virtualhost: "www.example.com" }));
  assert.deepEqual(seenHosts, ["www.example.com"]);
});

test("http: a server that never answers fails at negotiatetimeout", async () => {
  const r = await runCheck(httpSpec({ port: silentPort, timeoutMs: 300 }));
  assert.equal(r.ok, false);
  assert.match(r.message, /timed out/);
  assert.ok(r.durationMs >= 250 && r.durationMs < 1500, `took ${r.durationMs} ms`);
});

test("http: URL building", () => {
  assert.equal(
    httpCheckUrl({ scheme: "https", host: "::1", port: 8443, request: "x", method: "GET" }).href,
    "https://[::1]:8443/x",
  );
  assert.equal(
    httpCheckUrl({ scheme: "http", host: "10.0.0.1", port: 80, request: "http://a.b/c", method: "GET" }).href,
    "http://a.b/c",
  );
});

test("external: ldirectord's argument convention, exit code, and the timeout kills it", async () => {
  const script = join(tmp, "chk.sh");
  writeFileSync(
    script,
    `#!/bin/sh\necho "$@" > "${tmp}/args"\n[ "$3" = 10.0.0.5 ] && exit 0\n[ "$3" = 10.0.0.9 ] && exec sleep 10\necho "bad real $3" >&2; exit 1\n`,
  );
  chmodSync(script, 0o755);
  const up = await runCheck({
    kind: "external",
    command: script,
    args: externalCheckArgs("10.0.0.1", 80, "10.0.0.5", 8080),
    timeoutMs: 2000,
  });
  assert.equal(up.ok, true);
  const { readFileSync } = await import("node:fs");
  assert.equal(readFileSync(join(tmp, "args"), "utf8").trim(), "10.0.0.1 80 10.0.0.5 8080");
  const down = await runCheck({
    kind: "external",
    command: script,
    args: externalCheckArgs("10.0.0.1", 80, "10.0.0.6", 80),
    timeoutMs: 2000,
  });
  assert.equal(down.ok, false);
  assert.match(down.message, /exit 1: bad real 10.0.0.6/);
  const hung = await runCheck({
    kind: "external",
    command: script,
    args: externalCheckArgs("10.0.0.1", 80, "10.0.0.9", 80),
    timeoutMs: 200,
  });
  assert.equal(hung.ok, false);
  assert.match(hung.message, /timed out/);
  assert.ok(hung.durationMs < 1500);
  const missing = await runCheck({ kind: "external", command: join(tmp, "nope"), args: [], timeoutMs: 500 });
  assert.equal(missing.ok, false);
  assert.match(missing.message, /ENOENT/);
});

test("ping: loopback answers, an invalid address does not (no packet leaves the host)", async () => {
  assert.equal((await runCheck({ kind: "ping", host: "127.0.0.1", count: 1, timeoutMs: 1000 })).ok, true);
  const r = await runCheck({ kind: "ping", host: "256.1.1.1", count: 2, timeoutMs: 500 });
  assert.equal(r.ok, false);
});

test("on and off", async () => {
  assert.equal((await runCheck({ kind: "on" })).ok, true);
  assert.equal((await runCheck({ kind: "off" })).ok, false);
});

test("a round runs checks concurrently: 20 hung servers cost one timeout, not twenty", async () => {
  const runner = new CheckRunner(64);
  const specs = new Map<string, CheckSpec>();
  for (let i = 0; i < 20; i++)
    specs.set(`hung${i}`, httpSpec({ port: silentPort, timeoutMs: 300, request: `/h${i}` }));
  specs.set("good", httpSpec({}));
  const t0 = Date.now();
  const res = await runner.round(specs);
  const took = Date.now() - t0;
  assert.equal(res.size, 21);
  assert.equal(res.get("good")?.ok, true);
  assert.equal([...res.values()].filter((r) => !r.ok).length, 20);
  assert.ok(took < 1500, `round took ${took} ms`);
  assert.ok((res.get("good")?.durationMs ?? 1e9) < 250, "the good check was not held up by the hung ones");
});

test("a round runs identical checks once and respects the concurrency bound", async () => {
  const runner = new CheckRunner(2);
  seenHosts.length = 0;
  const same = httpSpec({});
  const specs = new Map<string, CheckSpec>([
    ["a", same],
    ["b", same],
    ["c", httpSpec({ request: "/ok?x" })],
  ]);
  const res = await runner.round(specs);
  assert.equal(res.size, 3);
  assert.equal(seenHosts.length, 2);
  let max = 0;
  const many = new Map<string, CheckSpec>();
  for (let i = 0; i < 6; i++)
    many.set(`s${i}`, httpSpec({ port: silentPort, timeoutMs: 150, request: `/q${i}` }));
  const timer = setInterval(() => (max = Math.max(max, runner.load.running)), 10);
  const t0 = Date.now();
  await runner.round(many);
  clearInterval(timer);
  assert.ok(max <= 2 && max >= 1, `max in flight ${max}`);
  assert.ok(Date.now() - t0 >= 400, "6 checks at 2 at a time take 3 timeouts");
});

test("http keep-alive (reuse): one connection carries `reuse` checks; a failed check, or the server closing it, means a fresh one", async () => {
  let conns = 0;
  let fail = false;
  const srv = createHttp((req, res) => {
    if (fail) res.writeHead(500);
    res.end(req.url === "/ok" ? "alive" : "x");
  });
  srv.on("connection", () => conns++);
  const port = await listen(srv);
  try {
    const spec = httpSpec({ port, reuse: 3, receive: "alive" });
    for (let i = 0; i < 5; i++) assert.equal((await runCheck(spec)).ok, true);
    assert.equal(conns, 2, "5 checks at reuse 3: 2 connections");
    fail = true;
    assert.equal((await runCheck(spec)).ok, false);
    fail = false;
    assert.equal((await runCheck(spec)).ok, true);
    assert.equal(conns, 3, "the check after a failure opened a fresh connection");
    // the server drops idle connections: the next check still succeeds, on a fresh connection
    await runCheck(spec);
    const before = conns;
    srv.closeIdleConnections();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await runCheck(spec)).ok, true);
    assert.equal(conns, before + 1);
    // reuse 1 (or none): a new connection every check, as ldirectord
    const fresh = httpSpec({ port, receive: "alive" });
    const n = conns;
    for (let i = 0; i < 3; i++) assert.equal((await runCheck(fresh)).ok, true);
    assert.equal(conns, n + 3);
  } finally {
    closeKeptConnections();
    srv.closeAllConnections();
    srv.close();
  }
});

test("http keep-alive: a server that stops answering on a kept connection fails the check at the timeout", async () => {
  let hang = false;
  const srv = createHttp((_req, res) => {
    if (!hang) res.end("alive");
  });
  const port = await listen(srv);
  try {
    const spec = httpSpec({ port, reuse: 10, timeoutMs: 300 });
    assert.equal((await runCheck(spec)).ok, true);
    hang = true;
    const r = await runCheck(spec);
    assert.equal(r.ok, false);
    assert.match(r.message, /timed out/);
  } finally {
    closeKeptConnections();
    srv.closeAllConnections();
    srv.close();
  }
});

test("http keep-alive: a kept connection closed as the request is sent is retried once on a fresh one", async () => {
  let conns = 0;
  // the first connection answers one request, then closes at the second (the server's keep-alive timeout racing the check)
  const srv = createTcp((s) => {
    const n = ++conns;
    let requests = 0;
    s.on("data", () => {
      if (n === 1 && ++requests === 2) return s.destroy();
      s.write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nalive");
    });
  });
  const port = await listen(srv);
  try {
    const spec = httpSpec({ port, reuse: 10, receive: "alive" });
    assert.equal((await runCheck(spec)).ok, true);
    const r = await runCheck(spec);
    assert.equal(r.ok, true, r.message);
    assert.equal(conns, 2);
  } finally {
    closeKeptConnections();
    srv.close();
  }
});
