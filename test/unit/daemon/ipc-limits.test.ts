// Goal: no control-socket client can stall hbd or lock hbctl out: a flood of pipelined status requests
// whose answers are never read is not worked through (back-pressure) and does not hold the event loop;
// the 33rd client gets a clear "busy" answer (not EPIPE); a client trickling bytes is cut after the
// request timeout, freeing its slot.
// Method: a real IpcServer on a temp unix socket, raw net clients, requestStatus of hbctl's client; the
// event loop's lag is measured in this process (the server's) with a 10 ms interval. Timing bounds are loose.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { createConnection, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { IpcClientError, requestStatus } from "../../../src/cli/client.js";
import { IpcServer } from "../../../src/daemon/ipc-server.js";
import type { StatusReport } from "../../../src/ipc/protocol.js";

const tmp = mkdtempSync(join(tmpdir(), "tandem-ipc-limits-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;

function report(): StatusReport {
  return {
    version: "0.1.0",
    node: "a",
    cluster: "linux-ha",
    pid: 1,
    uptimeMs: 1,
    generation: 1,
    commUp: true,
    managedBy: "haresources",
    timing: { keepaliveMs: 100, deadtimeMs: 1000, warntimeMs: 500, initdeadMs: 2000 },
    nodes: Array.from({ length: 20 }, (_, i) => ({
      name: `node-with-a-long-name-${i}`,
      type: "normal" as const,
      status: "active" as const,
      local: i === 0,
      links: [{ name: "eth0", status: "up" as const }],
    })),
    media: [],
    counters: { badAuth: 0, malformed: 0 },
  } as unknown as StatusReport;
}

function connect(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createConnection(path, () => resolve(s));
    s.once("error", reject);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("20,000 pipelined status requests, answers unread: bounded work, the event loop keeps its turn", async () => {
  let reports = 0;
  const path = join(tmp, `s${++n}.sock`);
  const ipc = await IpcServer.listen({ path, report: () => (reports++, report()) });
  const flooder = await connect(path);
  flooder.pause(); // never reads its answers
  let maxLag = 0;
  let last = performance.now();
  const lag = setInterval(() => {
    const now = performance.now();
    maxLag = Math.max(maxLag, now - last - 10);
    last = now;
  }, 10);
  try {
    const line = `${JSON.stringify({ v: 1, id: 1, method: "status" })}\n`;
    flooder.write(line.repeat(20_000));
    await sleep(2000);
    assert.ok(reports < 5000, `${reports} status reports built for a client that reads none`);
    assert.ok(maxLag < 250, `event loop held for ${maxLag.toFixed(0)} ms`);
    // Another client is still answered promptly meanwhile.
    const t0 = performance.now();
    await requestStatus(path, 2000);
    assert.ok(performance.now() - t0 < 1000);
    // The flooder starts reading: answers flow again.
    const before = reports;
    flooder.resume();
    flooder.on("data", () => {});
    await sleep(500);
    assert.ok(reports > before, "answers resume once the client reads");
  } finally {
    clearInterval(lag);
    flooder.destroy();
    await ipc.close();
  }
});

test("beyond maxConnections the newest client is told the socket is busy (unavailable), not EPIPE", async () => {
  const path = join(tmp, `s${++n}.sock`);
  // Without root's socket: what every client of the main one sees.
  const ipc = await IpcServer.listen({ path, report, maxConnections: 4, rootSlots: 0 });
  const idle = await Promise.all([1, 2, 3, 4].map(() => connect(path)));
  try {
    await sleep(100);
    await assert.rejects(
      requestStatus(path, 2000),
      (e: unknown) =>
        e instanceof IpcClientError &&
        e.reason === "unavailable" &&
        /busy: 4 clients are connected/.test(e.message),
    );
    idle[0]?.destroy();
    await sleep(100);
    assert.equal((await requestStatus(path, 2000)).node, "a", "a freed slot serves again");
  } finally {
    for (const s of idle) s.destroy();
    await ipc.close();
  }
});

test("clients trickling one byte at a time are cut after the request timeout; hbctl gets in again", async () => {
  const path = join(tmp, `s${++n}.sock`);
  const ipc = await IpcServer.listen({ path, report, maxConnections: 3, requestMs: 500, rootSlots: 0 });
  const tricklers = await Promise.all([1, 2, 3].map(() => connect(path)));
  const closed = tricklers.map((s) => new Promise<void>((r) => s.once("close", () => r())));
  for (const s of tricklers) s.on("error", () => {});
  const text = JSON.stringify({ v: 1, id: 1, method: "status" });
  let i = 0;
  const drip = setInterval(() => {
    for (const s of tricklers) if (!s.destroyed) s.write(text[i % text.length] ?? "x");
    i++;
  }, 100);
  try {
    await sleep(150);
    await assert.rejects(requestStatus(path, 1000), /busy/);
    const cut = await Promise.race([Promise.all(closed).then(() => true), sleep(3000).then(() => false)]);
    assert.ok(cut, "trickling clients were not disconnected");
    assert.equal((await requestStatus(path, 2000)).node, "a");
  } finally {
    clearInterval(drip);
    for (const s of tricklers) s.destroy();
    await ipc.close();
  }
});

test("32 idle clients hold the main socket: hbctl as root still answers through root's own socket", async () => {
  const path = join(tmp, `s${++n}.sock`);
  const ipc = await IpcServer.listen({ path, report, gid: process.getgid?.() ?? 0 });
  const idle = await Promise.all(Array.from({ length: 32 }, () => connect(path)));
  const rootIdle: Socket[] = [];
  try {
    assert.equal(ipc.rootPath, `${path}.root`);
    assert.equal(statSync(path).mode & 0o777, 0o660, "the main socket is open to hbd's group");
    assert.equal(statSync(`${path}.root`).mode & 0o777, 0o600, "root's socket is root's only");
    await sleep(100);
    // A 33rd client of the main socket is refused...
    const raw = await connect(path);
    const answer = await new Promise<string>((r) => raw.once("data", (d) => r(String(d))));
    assert.match(answer, /busy: 32 clients are connected/);
    raw.destroy();
    // ... but hbctl (this process owns both sockets, as root owns hbd's) gets in through PATH.root.
    assert.equal((await requestStatus(path, 2000)).node, "a");
    // Root's slots taken too: hbctl falls back to the main socket, which is busy: the busy answer, exit 3.
    rootIdle.push(...(await Promise.all([1, 2, 3, 4].map(() => connect(`${path}.root`)))));
    await sleep(100);
    await assert.rejects(
      requestStatus(path, 2000),
      (e: unknown) => e instanceof IpcClientError && e.reason === "unavailable" && /busy: 32/.test(e.message),
    );
  } finally {
    for (const s of [...idle, ...rootIdle]) s.destroy();
    await ipc.close();
  }
  assert.throws(() => statSync(`${path}.root`), /ENOENT/, "close removes root's socket");
});
