// Goal: hbd's sd_notify logic sends what systemd's Type=notify and WatchdogSec expect, and nothing
// outside systemd. Method: the notifier with a recording send port and manual timers.
import assert from "node:assert/strict";
import { test } from "node:test";
import { type NotifySend, SdNotifier } from "../../../src/daemon/sd-notify.js";

function harness(env: Record<string, string>, pid = 42, fail?: string) {
  const sent: string[][] = [];
  const errors: string[] = [];
  const intervals: { fn: () => void; ms: number; cleared: boolean }[] = [];
  const send: NotifySend = (_socket, _pid, a, done) => {
    sent.push(a);
    done(fail);
  };
  const n = SdNotifier.fromEnv(env, pid, {
    send,
    timers: {
      setInterval: (fn, ms) => {
        const h = { fn, ms, cleared: false };
        intervals.push(h);
        return h;
      },
      clearInterval: (h) => {
        (h as { cleared: boolean }).cleared = true;
      },
    },
    onError: (m) => errors.push(m),
  });
  return { n, sent, errors, intervals };
}

test("no NOTIFY_SOCKET: no notifier", () => {
  assert.equal(harness({}).n, undefined);
  assert.equal(harness({ NOTIFY_SOCKET: "" }).n, undefined);
});

test("READY=1 with a status, STOPPING=1 at shutdown, no watchdog when WatchdogSec is unset", () => {
  const h = harness({ NOTIFY_SOCKET: "/run/systemd/notify" });
  assert.ok(h.n);
  assert.equal(h.n.watchdogPingMs, undefined);
  h.n.ready("heartbeating\nas n1");
  h.n.stopping("SIGTERM");
  assert.deepEqual(h.sent, [
    ["READY=1", "STATUS=heartbeating as n1"],
    ["STOPPING=1", "STATUS=SIGTERM"],
  ]);
  assert.equal(h.intervals.length, 0);
});

test("WATCHDOG_USEC: pings every half period after READY, stopped by STOPPING", () => {
  const h = harness({ NOTIFY_SOCKET: "@x", WATCHDOG_USEC: "20000000", WATCHDOG_PID: "42" });
  assert.equal(h.n?.watchdogPingMs, 10_000);
  h.n?.ready("up");
  assert.equal(h.intervals.length, 1);
  assert.equal(h.intervals[0]?.ms, 10_000);
  h.intervals[0]?.fn();
  h.intervals[0]?.fn();
  h.n?.stopping("bye");
  assert.equal(h.intervals[0]?.cleared, true);
  assert.deepEqual(
    h.sent.map((a) => a[0]),
    ["READY=1", "WATCHDOG=1", "WATCHDOG=1", "STOPPING=1"],
  );
});

test("WATCHDOG_PID naming another process: no pings (sd_watchdog_enabled)", () => {
  const h = harness({ NOTIFY_SOCKET: "@x", WATCHDOG_USEC: "1000000", WATCHDOG_PID: "7" });
  assert.equal(h.n?.watchdogPingMs, undefined);
  h.n?.ready("up");
  assert.equal(h.intervals.length, 0);
});

test("a failed send is reported, not thrown", () => {
  const h = harness({ NOTIFY_SOCKET: "@x" }, 42, "Failed to notify init system");
  h.n?.ready("up");
  assert.deepEqual(h.errors, ["sd_notify READY=1: Failed to notify init system"]);
});
