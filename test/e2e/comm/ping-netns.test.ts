// Goal: ping nodes see real ICMP reachability (ping, ping_group, ping6): up for an answering address, down for one that cannot answer.
// Method: a network namespace `tdp-<pid>` with only `lo` up (root); the monitor runs ping through `ip netns exec`,
// so no packet leaves the machine. 10.99.0.1 first has no route (ping exits), then a route into `lo` (silence).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, before, test } from "node:test";
import { openPingMonitor, type PingEvent } from "../../../src/comm/ping.js";
import type { Clock } from "../../../src/comm/transport.js";
import type { PingNode } from "../../../src/config/model.js";
import { sleep } from "../../contract/transport.js";

const ns = `tdp-${process.pid}`;
const clock: Clock = { now: () => performance.now() };
const at = { file: "test", line: 1 };
const ip = (...args: string[]) => execFileSync("ip", args, { stdio: "pipe" });
const opts = {
  intervalMs: 50,
  deadpingMs: 400,
  clock,
  prefix: ["ip", "netns", "exec", ns],
  restartDelayMs: 100,
};
const node = (kind: PingNode["kind"], name: string, addresses: string[]): PingNode => ({
  kind,
  name,
  addresses,
  at,
});

async function until(cond: () => boolean, ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > deadline) assert.fail(`condition not met within ${ms} ms`);
    await sleep(5);
  }
}

before(() => {
  ip("netns", "add", ns);
  ip("-n", ns, "link", "set", "lo", "up");
});
after(() => {
  ip("netns", "del", ns);
});

test("in the namespace: 127.0.0.1 goes up; an unroutable address goes down; a group with both stays up", async () => {
  const started = clock.now();
  const up = openPingMonitor(node("ping", "127.0.0.1", ["127.0.0.1"]), opts);
  const down = openPingMonitor(node("ping", "10.99.0.1", ["10.99.0.1"]), opts);
  const group = openPingMonitor(node("ping_group", "gw", ["10.99.0.1", "127.0.0.1"]), opts);
  const errors: string[] = [];
  down.onError((e) => errors.push(e.code));
  const events: PingEvent[] = [];
  down.onEvent((e) => events.push(e));
  try {
    await until(() => up.state === "up" && group.state === "up" && down.state === "down", 3000);
    const d = events.find((e) => e.type === "down");
    assert.ok(
      d && d.atMs - started >= 400 && d.atMs - started < 400 + 200,
      "down at deadping, within a tick",
    );
    assert.ok(errors.includes("unreachable"));
  } finally {
    await Promise.all([up.close(), down.close(), group.close()]);
  }
});

test("in the namespace: an address routed into lo never answers (ping keeps running) and goes down", async () => {
  ip("-n", ns, "route", "add", "10.99.0.0/24", "dev", "lo");
  const silent = openPingMonitor(node("ping", "10.99.0.1", ["10.99.0.1"]), opts);
  const errors: string[] = [];
  silent.onError((e) => errors.push(e.message));
  try {
    await until(() => silent.state === "down", 3000);
    assert.equal(silent.spawned, 1, "ping was not restarted");
    assert.deepEqual(errors, []);
  } finally {
    await silent.close();
  }
});

test("in the namespace: a ping6 node (::1) goes up; an unroutable IPv6 address goes down", async () => {
  const up = openPingMonitor(node("ping6", "::1", ["::1"]), opts);
  const down = openPingMonitor(node("ping6", "2001:db8::1", ["2001:db8::1"]), opts);
  try {
    await until(() => up.state === "up" && down.state === "down", 3000);
  } finally {
    await Promise.all([up.close(), down.close()]);
  }
});
