// Goal: recurring monitors run at once, then every interval after completion, never overlap, and stop when cancelled. Method: a manual timer port.
import assert from "node:assert/strict";
import { test } from "node:test";
import { MonitorScheduler, opKey } from "../../../src/exec/monitor.js";
import type { ActionRequest, ActionResult, TimerPort } from "../../../src/exec/types.js";
import { doneResult } from "../../helpers.js";

class ManualTimers implements TimerPort {
  now = 0;
  private next = 1;
  readonly pending = new Map<number, { at: number; fn: () => void }>();
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.pending.set(id, { at: this.now + ms, fn });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.pending.delete(h as number);
  }
  /** Advances time, firing due timers in order. */
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    for (;;) {
      const due = [...this.pending].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.pending.delete(due[0]);
      this.now = due[1].at;
      due[1].fn();
      await flush();
    }
    this.now = end;
  }
}
const flush = () => new Promise<void>((r) => setImmediate(r));

const result = (req: ActionRequest, rc: number): ActionResult => doneResult(req, rc, "", 0);

test("runs at once, then every interval; reports rc changes", async () => {
  const timers = new ManualTimers();
  const runsAt: number[] = [];
  const rcs = [0, 0, 7, 7, 0];
  const seen: [number, boolean][] = [];
  const s = new MonitorScheduler({
    timer: timers,
    run: async (req) => {
      runsAt.push(timers.now);
      return result(req, rcs[runsAt.length - 1] ?? 0);
    },
    onResult: (r, changed) => seen.push([r.rc, changed]),
  });
  const key = s.start({
    rscId: "vip",
    agent: { class: "ocf", type: "Dummy" },
    op: "monitor",
    intervalMs: 1000,
  });
  assert.equal(key, opKey("vip", "monitor", 1000));
  await flush();
  await timers.advance(4500);
  assert.deepEqual(runsAt, [0, 1000, 2000, 3000, 4000]);
  assert.deepEqual(seen, [
    [0, true],
    [0, false],
    [7, true],
    [7, false],
    [0, true],
  ]);
  assert.equal(s.cancel(key), true);
  await timers.advance(5000);
  assert.equal(runsAt.length, 5);
  assert.equal(timers.pending.size, 0);
});

test("a slow monitor is not overlapped: next run is interval after completion", async () => {
  const timers = new ManualTimers();
  const starts: number[] = [];
  let release: (() => void) | undefined;
  const s = new MonitorScheduler({
    timer: timers,
    run: async (req) => {
      starts.push(timers.now);
      await new Promise<void>((r) => {
        release = r;
      });
      return result(req, 0);
    },
    onResult: () => {},
  });
  s.start({ rscId: "a", agent: { class: "ocf", type: "Dummy" }, op: "monitor", intervalMs: 100 }, true);
  await timers.advance(100);
  assert.deepEqual(starts, [100]);
  await timers.advance(1000); // still running: nothing new
  assert.deepEqual(starts, [100]);
  release?.();
  await flush();
  await timers.advance(100);
  assert.deepEqual(starts, [100, 1200]);
});

test("cancelResource drops every op of a resource and in-flight results are not reported", async () => {
  const timers = new ManualTimers();
  let reported = 0;
  const s = new MonitorScheduler({
    timer: timers,
    run: async (req) => result(req, 0),
    onResult: () => reported++,
  });
  s.start({ rscId: "a", agent: { class: "ocf", type: "Dummy" }, op: "monitor", intervalMs: 10 });
  s.start({ rscId: "a", agent: { class: "ocf", type: "Dummy" }, op: "monitor", intervalMs: 20 });
  s.start({ rscId: "b", agent: { class: "ocf", type: "Dummy" }, op: "monitor", intervalMs: 10 });
  assert.equal(s.cancelResource("a"), 2);
  await flush();
  assert.equal(reported, 1);
  assert.deepEqual(s.keys, ["b_monitor_10"]);
  assert.throws(() => s.start({ rscId: "c", agent: { class: "ocf", type: "D" }, op: "monitor" }), RangeError);
  s.cancelAll();
  assert.deepEqual(s.keys, []);
});
