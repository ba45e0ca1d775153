// Goal: hbd's random bytes come from the kernel, in the asked length, and differ between calls
// (a constant would give every node the same UUID and PRNG seed).
import assert from "node:assert/strict";
import { test } from "node:test";
import { urandomBytes, urandomSeed } from "../../../src/base/random.js";

test("urandomBytes returns the asked number of bytes, different each call", () => {
  for (const n of [0, 1, 4, 16, 4096]) assert.equal(urandomBytes(n).length, n);
  const a = Buffer.from(urandomBytes(32)).toString("hex");
  const b = Buffer.from(urandomBytes(32)).toString("hex");
  assert.notEqual(a, b);
  assert.notEqual(a, "0".repeat(64));
});

test("urandomSeed is an unsigned 32-bit integer and varies", () => {
  const seeds = new Set<number>();
  for (let i = 0; i < 8; i++) {
    const s = urandomSeed();
    assert.ok(Number.isInteger(s) && s >= 0 && s <= 0xffffffff, String(s));
    seeds.add(s);
  }
  assert.ok(seeds.size >= 7, `8 seeds gave ${seeds.size} distinct values`);
});
