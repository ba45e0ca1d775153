// Goal: the simulated network loses, delays, duplicates, reorders and partitions as configured, deterministically.
// Method: send thousands of numbered packets through SimNetwork with given faults and measure what comes out.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Prng } from "../../../src/base/prng.js";
import { CLEAN_MEDIUM, type Envelope, type MediumFaults, SimNetwork } from "../../../src/sim/network.js";

function pump(
  net: SimNetwork<number>,
  count: number,
  from = "a",
  to = "b",
  medium = "eth0",
): Envelope<number>[] {
  const out: Envelope<number>[] = [];
  for (let i = 0; i < count; i++) {
    net.send(from, to, medium, i, i);
    out.push(...net.deliverDue(i));
  }
  out.push(...net.deliverDue(Number.MAX_SAFE_INTEGER));
  return out;
}

const faults = (f: Partial<MediumFaults>): MediumFaults => ({ ...CLEAN_MEDIUM, ...f });

test("loss and duplication happen at the configured rates", () => {
  const net = new SimNetwork<number>(
    new Prng(1),
    ["eth0"],
    faults({ lossProbability: 0.2, duplicateProbability: 0.1 }),
  );
  pump(net, 20000);
  assert.ok(Math.abs(net.stats.lost / 20000 - 0.2) < 0.015, `lost ${net.stats.lost}`);
  assert.ok(
    Math.abs(net.stats.duplicated / (20000 - net.stats.lost) - 0.1) < 0.015,
    `dup ${net.stats.duplicated}`,
  );
  assert.equal(net.stats.delivered, 20000 - net.stats.lost + net.stats.duplicated);
});

test("delays stay within bounds and deliveries come out in time order", () => {
  const net = new SimNetwork<number>(new Prng(2), ["eth0"], faults({ delayMsMin: 3, delayMsMax: 9 }));
  const out = pump(net, 2000);
  const delays = out.map((e) => e.deliverAtMs - e.sentAtMs);
  assert.equal(Math.min(...delays), 3);
  assert.equal(Math.max(...delays), 9);
  for (let i = 1; i < out.length; i++) assert.ok(out[i]!.deliverAtMs >= out[i - 1]!.deliverAtMs);
});

test("reordering lets later packets overtake; without it, same-delay packets keep their order", () => {
  const inversions = (out: Envelope<number>[]) =>
    out.filter((e, i) => i > 0 && e.payload < out[i - 1]!.payload).length;
  const reordering = new SimNetwork<number>(
    new Prng(3),
    ["eth0"],
    faults({ reorderProbability: 0.1, reorderDelayMsMax: 20 }),
  );
  assert.ok(inversions(pump(reordering, 2000)) > 50);
  assert.ok(reordering.stats.reordered > 150);
  const clean = new SimNetwork<number>(new Prng(3), ["eth0"]);
  for (let i = 0; i < 100; i++) clean.send("a", "b", "eth0", i, 0);
  assert.equal(inversions(clean.deliverDue(10)), 0);
});

test("partitions block symmetric or one-way, on all media or some, until healed", () => {
  const net = new SimNetwork<string>(new Prng(4), ["eth0", "eth1"]);
  net.partition(["a"], ["b", "c"]);
  assert.equal(net.isBlocked("a", "b", "eth0"), true);
  assert.equal(net.isBlocked("c", "a", "eth1"), true);
  assert.equal(net.isBlocked("b", "c", "eth0"), false);
  net.heal();
  net.partition(["a"], ["b"], { oneWay: true, media: ["eth1"] });
  assert.equal(net.isBlocked("a", "b", "eth1"), true);
  assert.equal(net.isBlocked("a", "b", "eth0"), false);
  assert.equal(net.isBlocked("b", "a", "eth1"), false);
  assert.equal(net.send("a", "b", "eth1", "x", 0), 0);
  assert.equal(net.stats.blocked, 1);
  net.heal();
  assert.equal(net.send("a", "b", "eth1", "x", 0), 1);
});

test("same seed, same deliveries; injected packets consume no randomness", () => {
  const lossy = faults({ lossProbability: 0.3, delayMsMin: 0, delayMsMax: 7, duplicateProbability: 0.2 });
  const run = (inject: boolean) => {
    const net = new SimNetwork<number>(new Prng(5), ["eth0"], lossy);
    const out: string[] = [];
    for (let i = 0; i < 500; i++) {
      net.send("a", "b", "eth0", i, i);
      if (inject && i % 7 === 0) net.inject("x", "b", "eth0", -1, i, i + 3);
      for (const e of net.deliverDue(i)) if (e.payload >= 0) out.push(`${e.payload}@${e.deliverAtMs}`);
    }
    return out;
  };
  assert.deepEqual(run(false), run(false));
  assert.deepEqual(run(true), run(false));
});
