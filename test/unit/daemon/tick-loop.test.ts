// Goal: hbd's tick loop (tick-loop.ts) wakes only when there is work (the node's next deadline, or
// the period for the layers above) and still serves every deadline on time: deaths within deadtime,
// a retransmit request at its due time after the frame that revealed the gap (the poke).
// Method: the loop on a manual clock with cancellable timers, alone with a scripted deadline, then
// driving real HeartbeatNodes on a MemoryNetwork (test/unit/daemon/harness.ts) as main.ts does.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { TimerPort } from "../../../src/base/ports.js";
import type { ManualScheduler } from "../../../src/comm/memory.js";
import { getString } from "../../../src/comm/message.js";
import { decodeFrame } from "../../../src/comm/wire.js";
import type { HeartbeatNode } from "../../../src/daemon/node.js";
import { tickPeriodMs } from "../../../src/daemon/node.js";
import { TickLoop, wakePeriodMs } from "../../../src/daemon/tick-loop.js";
import { TestCluster } from "./harness.js";

/** setTimeout/clearTimeout on the manual scheduler; counts the timers armed. */
function manualTimers(s: ManualScheduler): TimerPort & { armed: number } {
  const port = {
    armed: 0,
    setTimeout(fn: () => void, ms: number): unknown {
      port.armed++;
      const h = { cancelled: false };
      s.after(ms, () => {
        if (!h.cancelled) fn();
      });
      return h;
    },
    clearTimeout(h: unknown): void {
      (h as { cancelled: boolean }).cancelled = true;
    },
  };
  return port;
}

test("the period: the tick period from 10 ms up; below, twice it, at most keepalive", () => {
  assert.equal(wakePeriodMs(tickPeriodMs(1000, 3000), 1000), 100); // 1 s: unchanged (100 ms)
  assert.equal(wakePeriodMs(tickPeriodMs(100, 1000), 100), 25);
  assert.equal(wakePeriodMs(tickPeriodMs(10, 100), 10), 10); // 5 ms tick: one turn per keepalive
  assert.equal(wakePeriodMs(tickPeriodMs(20, 100), 20), 10);
  assert.equal(wakePeriodMs(tickPeriodMs(5, 100), 5), 5); // never above keepalive
  assert.equal(wakePeriodMs(tickPeriodMs(36, 400), 36), 18);
});

test("turns come at the deadline, at the latest one period apart; a poke re-arms only for an earlier deadline", () => {
  const clock = { t: 0, now: () => clock.t };
  const scheduler = {
    queue: [] as { at: number; fn: () => void; h: { cancelled: boolean } }[],
  };
  const timers: TimerPort = {
    setTimeout(fn, ms) {
      const h = { cancelled: false };
      scheduler.queue.push({ at: clock.t + ms, fn, h });
      return h;
    },
    clearTimeout(h) {
      (h as { cancelled: boolean }).cancelled = true;
    },
  };
  const runTo = (t: number) => {
    for (;;) {
      const live = scheduler.queue.filter((q) => !q.h.cancelled && q.at <= t).sort((a, b) => a.at - b.at);
      const next = live[0];
      if (next === undefined) break;
      scheduler.queue.splice(scheduler.queue.indexOf(next), 1);
      clock.t = next.at;
      next.fn();
    }
    clock.t = t;
  };
  let deadline = 30.2;
  /** A deadline the turn does not clear (work the node cannot finish). */
  let stuck = false;
  const turns: { at: number; lag: number }[] = [];
  const loop = new TickLoop(
    {
      periodMs: 100,
      nextDeadline: () => deadline,
      turn: (now, lag) => {
        turns.push({ at: now, lag });
        if (now >= deadline && !stuck) deadline = Number.POSITIVE_INFINITY; // the work due is done
      },
    },
    { clock, timers },
  );
  loop.start();
  assert.equal(loop.nextTurnAt, 31, "rounded up to the millisecond, never before the deadline");
  runTo(31);
  assert.deepEqual(turns, [{ at: 31, lag: 0 }]);
  runTo(400);
  assert.deepEqual(
    turns.map((x) => x.at),
    [31, 131, 231, 331],
    "no deadline: one turn per period",
  );
  // an input brings a deadline closer: the poke re-arms for it
  clock.t = 350;
  deadline = 357;
  loop.poke();
  assert.equal(loop.nextTurnAt, 357);
  // a later deadline does not move the armed turn
  deadline = 420;
  loop.poke();
  assert.equal(loop.nextTurnAt, 357);
  runTo(357);
  assert.equal(turns.at(-1)?.at, 357);
  // a late timer: the turn reports how late it is
  const armed = loop.nextTurnAt ?? 0;
  const late = scheduler.queue.find((q) => !q.h.cancelled);
  assert.ok(late);
  late.at = armed + 37;
  runTo(armed + 37);
  assert.deepEqual(turns.at(-1), { at: armed + 37, lag: 37 });
  // a deadline already past: served 1 ms later, not in a busy loop
  deadline = 0;
  stuck = true;
  loop.poke();
  const before = turns.length;
  runTo(clock.t + 10);
  assert.equal(turns.length - before, 10, "one turn per millisecond at most (the timer resolution)");
  loop.stop();
  const stopped = turns.length;
  runTo(clock.t + 1000);
  assert.equal(turns.length, stopped, "no turn after stop()");
  loop.poke();
  assert.equal(loop.nextTurnAt, undefined);
});

test("a poke keeps the armed timer when the deadline did not move a full millisecond earlier", () => {
  // hbd at keepalive 10 ms: the peer's status arrives a few ms before this node's own is due; the
  // deadline is the same next status, armed rounded up (30.2 -> 31). Re-arming for it cost a
  // clearTimeout + setTimeout per frame and, rounded to another millisecond, an empty wake-up.
  const clock = { t: 0, now: () => clock.t };
  const set: number[] = [];
  let cleared = 0;
  const timers: TimerPort = {
    setTimeout(_fn, ms) {
      set.push(ms);
      return {};
    },
    clearTimeout() {
      cleared++;
    },
  };
  let deadline = 30.2;
  const loop = new TickLoop(
    { periodMs: 100, nextDeadline: () => deadline, turn: () => {} },
    { clock, timers },
  );
  loop.start();
  assert.deepEqual(set, [31]);
  clock.t = 5.4;
  loop.poke(); // the same deadline: the armed turn is less than 1 ms after it
  deadline = 30.1;
  loop.poke(); // earlier, by less than the timer's resolution
  assert.deepEqual(set, [31], "no re-arm");
  assert.equal(cleared, 0);
  assert.equal(loop.nextTurnAt, 31);
  deadline = 30; // the armed turn would come a full millisecond after it: re-armed
  loop.poke();
  assert.equal(cleared, 1);
  assert.deepEqual(set, [31, 25]);
  assert.ok(Math.abs((loop.nextTurnAt ?? 0) - 30.4) < 1e-9, `armed for ${loop.nextTurnAt}`);
  loop.stop();
});

/** Drives each node of `c` with a TickLoop as main.ts does (node.tick per turn, pokes after frames). */
function driveWithLoops(c: TestCluster, names: readonly string[], keepaliveMs: number, deadtimeMs: number) {
  const timers = manualTimers(c.scheduler);
  const loops = new Map<string, TickLoop>();
  /** Called after the node handled a frame, before the poke. */
  const beforePoke = new Map<string, () => void>();
  const periodMs = wakePeriodMs(tickPeriodMs(keepaliveMs, deadtimeMs), keepaliveMs);
  for (const n of names) {
    const node = c.start(n);
    const loop = new TickLoop(
      { periodMs, nextDeadline: () => node.nextWakeMs(), turn: () => node.tick() },
      { clock: c.scheduler, timers },
    );
    c.transports.get(n)?.onFrame(() => {
      beforePoke.get(n)?.();
      loop.poke();
    });
    loops.set(n, loop);
    loop.start();
  }
  return { loops, timers, periodMs, beforePoke };
}

const hacf = (keepalive: string, deadtime: string, extra = "") =>
  `keepalive ${keepalive}\ndeadtime ${deadtime}\ninitdead ${deadtime}\nnode a\nnode b\ncrm off\nbcast eth0\n${extra}`;

test("keepalive 10 ms: one turn per keepalive instead of two ticks, and a crash is still declared within deadtime + a period", async () => {
  const c = new TestCluster(["a", "b"], hacf("10ms", "100ms"));
  const { loops, periodMs } = driveWithLoops(c, ["a", "b"], 10, 100);
  assert.equal(periodMs, 10);
  const a = c.nodes.get("a") as HeartbeatNode;
  c.scheduler.advance(6000); // active, past the first 5 s (dt = deadtime + 2 s)
  assert.equal(a.nodeStatus("b"), "active");
  const turns0 = loops.get("a")?.turns ?? 0;
  const sent0 = c.sent("a", "status").length;
  c.scheduler.advance(2000);
  const turns = (loops.get("a")?.turns ?? 0) - turns0;
  assert.equal(c.sent("a", "status").length - sent0, 200, "a status every 10 ms");
  // the 5 ms setInterval took 400 turns in 2 s
  assert.ok(turns >= 200 && turns <= 210, `${turns} turns in 2 s`);
  // crash b: its loop stops with it
  loops.get("b")?.stop();
  const lastStatusAt = c.scheduler.now();
  await c.crash("b");
  c.scheduler.advance(500);
  const death = c.events.find(
    (x) => x.observer === "a" && x.e.kind === "node-status" && x.e.node === "b" && x.e.status === "dead",
  );
  assert.ok(death, "b declared dead");
  const after = (death.e.atMs ?? 0) - lastStatusAt;
  assert.ok(after >= 100 && after <= 100 + 2, `dead ${after} ms after b's last status`);
  for (const l of loops.values()) l.stop();
});

test("a frame that reveals a gap brings the retransmit request forward: the poke re-arms the timer for it", () => {
  // keepalive 1 s: turns 100 ms apart; max_rexmit_delay 50: the request is due 0..50 ms after the gap
  const c = new TestCluster(["a", "b"], hacf("1", "3", "max_rexmit_delay 50\n"));
  const { loops, beforePoke } = driveWithLoops(c, ["a", "b"], 1000, 3000);
  const b = c.nodes.get("b") as HeartbeatNode;
  const loopB = loops.get("b") as TickLoop;
  c.scheduler.advance(8000);
  assert.equal(b.nodeStatus("a"), "active");
  // what the poke saw: the node's deadline after a frame vs the turn armed before it
  const pokes: { at: number; due: number; armed: number }[] = [];
  beforePoke.set("b", () => {
    const armed = loopB.nextTurnAt ?? Number.NaN;
    const due = b.nextWakeMs();
    if (due < armed) pokes.push({ at: c.scheduler.now(), due, armed });
  });
  let dropped = false;
  c.net.setFault((f) => {
    // a's next status (sequenced: the one after it reveals the gap)
    const d = decodeFrame(f.data);
    if (!dropped && f.from === "a" && f.to === "b" && d.ok && getString(d.msg, "t") === "status") {
      dropped = true;
      return "drop";
    }
    return [1];
  });
  c.scheduler.advance(3000);
  c.net.setFault(undefined);
  assert.ok(dropped);
  const req = c.sent("b", "NS_rexmit")[0];
  assert.ok(
    req,
    `b asked for the lost packet ${JSON.stringify(b.report().counters)} ${JSON.stringify(pokes)}`,
  );
  const gap = pokes[0];
  assert.ok(gap, "a frame brought b's next deadline before its armed turn");
  assert.ok(
    gap.armed - gap.due >= 2,
    `the armed turn (${gap.armed}) was later than the request's due time (${gap.due})`,
  );
  const sentAt = req.frame.receivedAtMs - 1; // the tap hears it 1 ms (the network's latency) later
  assert.ok(
    sentAt >= gap.due && sentAt <= Math.ceil(gap.due),
    `request sent at ${sentAt}, due at ${gap.due} (the turn armed before the frame: ${gap.armed})`,
  );
  assert.equal(b.report().counters.packetsLost, 0);
  for (const l of loops.values()) l.stop();
});
