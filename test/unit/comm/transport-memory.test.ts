// Goal: the in-memory network honours the Transport contract and its topology/fault controls.
// Method: the contract suite on a timer-driven scheduler, then stories on a ManualScheduler.
import assert from "node:assert/strict";
import { test } from "node:test";
import { type FaultHook, ManualScheduler, MemoryNetwork, type Scheduler } from "../../../src/comm/memory.js";
import { TransportError } from "../../../src/comm/transport.js";
import { inbox, opaqueFrame, transportContract } from "../../contract/transport.js";

const realTime: Scheduler = {
  now: () => performance.now(),
  after: (ms, task) => void setTimeout(task, ms),
};

transportContract({
  name: "memory",
  clock: realTime,
  minFrameBytes: 4,
  quietMs: 20,
  frame: opaqueFrame,
  addressOf: (t) => t.localAddress,
  fromOf: (sender) => sender.localAddress,
  async open() {
    const net = new MemoryNetwork({ scheduler: realTime, latencyMs: 1 });
    return { a: net.attach("a", { peer: "b" }), b: net.attach("b"), c: net.attach("c") };
  },
});

function setup(extra: { latencyMs?: number; maxInFlight?: number } = {}) {
  const s = new ManualScheduler(1000);
  const net = new MemoryNetwork({ scheduler: s, ...extra });
  const [a, b, c] = ["a", "b", "c"].map((n) => net.attach(n));
  return { s, net, a: a!, b: b!, c: c! };
}
const bytes = (...xs: number[]) => Uint8Array.from(xs);

test("without a peer, send reaches every other endpoint; nothing moves until the scheduler runs", () => {
  const { s, a, b, c } = setup();
  const [ib, ic, ia] = [inbox(b), inbox(c), inbox(a)];
  assert.equal(a.send(bytes(1)), "accepted");
  assert.equal(ib.frames.length + ic.frames.length, 0);
  s.runUntilIdle();
  assert.deepEqual([ia.frames.length, ib.frames.length, ic.frames.length], [0, 1, 1]);
  assert.equal(ib.frames[0]?.from, "a");
  assert.equal(ib.frames[0]?.receivedAtMs, 1000);
});

test("symmetric partition blocks both ways, one-way blocks one direction, heal restores", () => {
  const { s, net, a, b } = setup();
  const [ia, ib] = [inbox(a), inbox(b)];
  net.partition(["a"], ["b"]);
  a.send(bytes(1), "b");
  b.send(bytes(2), "a");
  s.runUntilIdle();
  assert.deepEqual([ia.frames.length, ib.frames.length], [0, 0]);
  net.heal();
  net.partition(["a"], ["b"], "one-way");
  assert.deepEqual([net.canReach("a", "b"), net.canReach("b", "a")], [false, true]);
  a.send(bytes(3), "b");
  b.send(bytes(4), "a");
  s.runUntilIdle();
  assert.deepEqual(
    ia.frames.map((f) => [...f.data]),
    [[4]],
  );
  assert.equal(ib.frames.length, 0);
  net.heal();
  a.send(bytes(5), "b");
  s.runUntilIdle();
  assert.deepEqual(
    ib.frames.map((f) => [...f.data]),
    [[5]],
  );
  assert.equal(net.stats().droppedPartition, 3);
});

test("disconnect and connect act on one pair only", () => {
  const { s, net, a, b, c } = setup();
  const [ib, ic] = [inbox(b), inbox(c)];
  net.disconnect("a", "b");
  a.send(bytes(1));
  s.runUntilIdle();
  assert.deepEqual([ib.frames.length, ic.frames.length], [0, 1]);
  net.connect("b", "a");
  a.send(bytes(2));
  s.runUntilIdle();
  assert.deepEqual([ib.frames.length, ic.frames.length], [1, 2]);
});

test("frames already in flight arrive after a partition; reachability is decided at send time", () => {
  const { s, net, a, b } = setup({ latencyMs: 10 });
  const ib = inbox(b);
  a.send(bytes(1), "b");
  net.partition(["a"], ["b"]);
  s.advance(9);
  assert.equal(ib.frames.length, 0);
  s.advance(1);
  assert.equal(ib.frames.length, 1);
  assert.equal(ib.frames[0]?.receivedAtMs, 1010);
});

test("the fault hook drops, delays, duplicates and reorders", () => {
  const { s, net, a, b } = setup();
  const ib = inbox(b);
  const plan: Record<number, ReturnType<FaultHook>> = { 1: "drop", 2: [30], 3: [5, 5], 4: [] };
  const seen: number[] = [];
  net.setFault((f) => {
    seen.push(f.data[0] as number);
    return plan[f.data[0] as number] ?? [0];
  });
  for (const n of [1, 2, 3, 4, 5]) a.send(bytes(n), "b");
  s.advance(100);
  assert.deepEqual(seen, [1, 2, 3, 4, 5]);
  assert.deepEqual(
    ib.frames.map((f) => [f.data[0], f.receivedAtMs - 1000]),
    [
      [5, 0],
      [3, 5],
      [3, 5],
      [2, 30],
    ],
  );
  assert.equal(net.stats().droppedFault, 2);
  net.setFault(undefined);
  a.send(bytes(6), "b");
  s.runUntilIdle();
  assert.equal(ib.frames.at(-1)?.data[0], 6);
});

test("each receiver owns its copy of a duplicated frame", () => {
  const { s, net, a, b } = setup();
  const ib = inbox(b);
  net.setFault(() => [0, 0]);
  a.send(bytes(9), "b");
  s.runUntilIdle();
  assert.equal(ib.frames.length, 2);
  (ib.frames[0] as { data: Uint8Array }).data[0] = 0;
  assert.equal(ib.frames[1]?.data[0], 9);
});

test("closed endpoints receive nothing, free their address, and addresses are unique", async () => {
  const { s, net, a, b } = setup({ latencyMs: 5 });
  let got = 0;
  b.onFrame(() => got++);
  a.send(bytes(1), "b");
  await b.close();
  s.runUntilIdle();
  assert.equal(got, 0);
  assert.equal(net.stats().droppedClosed, 1);
  assert.throws(
    () => net.attach("a"),
    (e: unknown) => e instanceof TransportError && e.code === "address-in-use",
  );
  const b2 = net.attach("b");
  const ib2 = inbox(b2);
  a.send(bytes(2), "b");
  s.runUntilIdle();
  assert.equal(ib2.frames.length, 1);
  a.send(bytes(3), "nobody");
  s.runUntilIdle();
  assert.equal(net.stats().droppedNoRoute, 1);
});

test("bounded: the pre-handler queue drops the oldest, the network caps frames in flight", () => {
  const s = new ManualScheduler();
  const net = new MemoryNetwork({ scheduler: s, maxInFlight: 2 });
  const a = net.attach("a");
  const b = net.attach("b", { maxQueuedFrames: 2 });
  for (const n of [1, 2, 3]) a.send(bytes(n), "b");
  assert.equal(net.stats().droppedOverload, 1);
  s.runUntilIdle();
  for (const n of [4, 5, 6]) {
    a.send(bytes(n), "b");
    s.runUntilIdle();
  }
  assert.equal(b.stats().receiveDropped, 3);
  assert.deepEqual(
    inbox(b).frames.map((f) => f.data[0]),
    [5, 6],
  );
});

test("ManualScheduler runs tasks in time order, ties in scheduling order, including tasks they add", () => {
  const s = new ManualScheduler(0);
  const log: string[] = [];
  s.after(10, () => log.push("b"));
  s.after(5, () => {
    log.push("a");
    s.after(0, () => log.push("a2"));
  });
  s.after(10, () => log.push("c"));
  s.advance(7);
  assert.deepEqual(log, ["a", "a2"]);
  assert.equal(s.now(), 7);
  s.advance(3);
  assert.deepEqual(log, ["a", "a2", "b", "c"]);
  assert.equal(s.pending, 0);
});
