// Goal: the seeded PRNG is deterministic, in range, roughly uniform, and its forks are independent streams.
// Method: compare sequences across instances and seeds; bucket 20 000 draws; check bounds of each helper.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Prng, seedFromString } from "../../../src/base/prng.js";

const draws = (p: Prng, n: number) => Array.from({ length: n }, () => p.nextUint32());

test("same seed, same sequence; different seed, different sequence", () => {
  assert.deepEqual(draws(new Prng(42), 50), draws(new Prng(42), 50));
  assert.notDeepEqual(draws(new Prng(42), 50), draws(new Prng(43), 50));
  assert.notDeepEqual(draws(new Prng(0), 50), draws(new Prng(1), 50));
});

test("floats are in [0, 1) and spread evenly over 10 buckets", () => {
  const p = new Prng(7);
  const buckets = new Array<number>(10).fill(0);
  for (let i = 0; i < 20000; i++) {
    const f = p.float();
    assert.ok(f >= 0 && f < 1);
    buckets[Math.floor(f * 10)]!++;
  }
  for (const b of buckets) assert.ok(b > 1800 && b < 2200, `bucket ${b}`);
});

test("intBetween is inclusive, chance honours 0 and 1, pick covers the list", () => {
  const p = new Prng(3);
  const seen = new Set<number>();
  for (let i = 0; i < 1000; i++) {
    const v = p.intBetween(5, 8);
    assert.ok(v >= 5 && v <= 8);
    seen.add(v);
  }
  assert.deepEqual([...seen].sort(), [5, 6, 7, 8]);
  for (let i = 0; i < 100; i++) {
    assert.equal(p.chance(0), false);
    assert.equal(p.chance(1), true);
  }
  assert.deepEqual(
    new Set(Array.from({ length: 200 }, () => p.pick(["a", "b", "c"]))),
    new Set(["a", "b", "c"]),
  );
  assert.throws(() => p.pick([]), RangeError);
});

test("a fork is a separate stream: using it does not change the parent's sequence", () => {
  const a = new Prng(9);
  const b = new Prng(9);
  const fa = a.fork();
  b.fork();
  draws(fa, 100);
  assert.deepEqual(draws(a, 20), draws(b, 20));
  assert.equal(seedFromString("n1"), seedFromString("n1"));
  assert.notEqual(seedFromString("n1"), seedFromString("n2"));
});
