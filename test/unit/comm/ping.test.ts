// Goal: ping nodes go up when any address answers and down after deadping, from real ping output.
// Method: pure tables for the line parser and the up/down rule; real iputils ping of 127.0.0.1, and a
// fixture stand-in (never answers / exits at once) for the down cases so nothing leaves the machine.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  openPingMonitor,
  type PingEvent,
  PingReachability,
  parsePingLine,
  pingIntervalMs,
  pingTickMs,
} from "../../../src/comm/ping.js";
import type { Clock, TransportError } from "../../../src/comm/transport.js";
import type { PingNode } from "../../../src/config/model.js";
import { sleep } from "../../contract/transport.js";
import { fixturePath } from "../../helpers.js";

const clock: Clock = { now: () => performance.now() };
const at = { file: "test", line: 1 };
const fake = ["sh", fixturePath("comm", "fake-ping.sh")];

async function until(cond: () => boolean, ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > deadline) assert.fail(`condition not met within ${ms} ms`);
    await sleep(5);
  }
}

test("parsePingLine classifies iputils output", () => {
  assert.deepEqual(parsePingLine("64 bytes from 127.0.0.1: icmp_seq=3 ttl=64 time=0.031 ms"), {
    type: "reply",
    address: "127.0.0.1",
    seq: 3,
    rttMs: 0.031,
  });
  assert.deepEqual(
    parsePingLine("[1700000000.123456] 64 bytes from ::1: icmp_seq=1 ttl=64 time=1.5 ms (DUP!)"),
    {
      type: "reply",
      address: "::1",
      seq: 1,
      rttMs: 1.5,
    },
  );
  assert.deepEqual(parsePingLine("no answer yet for icmp_seq=12"), { type: "no-answer", seq: 12 });
  assert.deepEqual(parsePingLine("From 10.0.0.1 icmp_seq=2 Destination Host Unreachable"), {
    type: "icmp-error",
    from: "10.0.0.1",
    seq: 2,
    what: "Destination Host Unreachable",
  });
  assert.equal(parsePingLine("PING 127.0.0.1 (127.0.0.1) 56(84) bytes of data.").type, "other");
});

test("PingReachability: down after deadping without replies, up at the first reply, down again", () => {
  const r = new PingReachability("gw", 100, 1000);
  assert.equal(r.tick(1099), undefined);
  assert.deepEqual(r.tick(1100), { type: "down", node: "gw", lastReplyAtMs: undefined, atMs: 1100 });
  assert.equal(r.tick(1200), undefined, "down is reported once");
  assert.deepEqual(r.reply("10.0.0.1", 1210), { type: "up", node: "gw", address: "10.0.0.1", atMs: 1210 });
  assert.equal(r.reply("10.0.0.2", 1250), undefined, "up is reported once");
  assert.equal(r.tick(1349), undefined, "deadping counts from the last reply");
  assert.deepEqual(r.tick(1350), { type: "down", node: "gw", lastReplyAtMs: 1250, atMs: 1350 });
  assert.equal(r.current, "down");
});

test("ping 127.0.0.1: replies with timestamps, then up; nothing after close", async () => {
  const node: PingNode = { kind: "ping", name: "127.0.0.1", addresses: ["127.0.0.1"], at };
  const events: PingEvent[] = [];
  const before = clock.now();
  const m = openPingMonitor(node, { intervalMs: 50, deadpingMs: 2000, clock });
  m.onEvent((e) => events.push(e));
  try {
    await until(() => events.some((e) => e.type === "up"), 3000);
    const reply = events.find((e) => e.type === "reply");
    assert.ok(reply && reply.type === "reply");
    assert.equal(reply.address, "127.0.0.1");
    assert.ok(reply.rttMs >= 0 && reply.rttMs < 1000);
    assert.ok(reply.atMs >= before && reply.atMs <= clock.now());
    assert.equal(m.state, "up");
  } finally {
    await m.close();
  }
  const n = events.length;
  await sleep(120);
  assert.equal(events.length, n);
});

test("a group is up when any member answers, down when none does", async () => {
  const group = (addresses: string[]): PingNode => ({ kind: "ping_group", name: "routers", addresses, at });
  const opts = { intervalMs: 50, deadpingMs: 300, clock, prefix: fake, restartDelayMs: 50 };
  const mixed = openPingMonitor(group(["192.0.2.1", "127.0.0.1"]), opts);
  const silent = openPingMonitor(group(["192.0.2.1", "192.0.2.2"]), opts);
  const errors: TransportError[] = [];
  silent.onError((e) => errors.push(e));
  const events: PingEvent[] = [];
  silent.onEvent((e) => events.push(e));
  try {
    await until(() => mixed.state === "up", 3000);
    await until(() => silent.state === "down", 3000);
    const down = events.find((e) => e.type === "down");
    assert.ok(down && down.type === "down" && down.lastReplyAtMs === undefined);
    await until(() => silent.spawned >= 4, 3000);
    assert.ok(errors.some((e) => e.code === "unreachable" && /Network is unreachable/.test(e.message)));
    assert.equal(mixed.state, "up", "a silent member does not bring the group down");
  } finally {
    await Promise.all([mixed.close(), silent.close()]);
  }
});

test("pingIntervalMs: the keepalive, but at least 10 echoes per deadping; pingTickMs: 5..50 ms", () => {
  assert.equal(pingIntervalMs(1000, 3000), 300, "1 s / 3 s: 300 ms");
  assert.equal(pingIntervalMs(200, 2000), 200, "200 ms / 2 s: the keepalive");
  assert.equal(pingIntervalMs(20, 100), 10);
  assert.equal(pingIntervalMs(2000, 30_000), 2000);
  assert.equal(pingTickMs(300, 3000), 50);
  assert.equal(pingTickMs(20, 100), 10);
  assert.equal(pingTickMs(1, 10), 5);
});
