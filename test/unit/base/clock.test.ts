// Goal: hbd's monotonic clock reads like the epoch in ms, advances with real time and never goes back.
import assert from "node:assert/strict";
import { test } from "node:test";
import { monotonicNowMs } from "../../../src/base/clock.js";

test("monotonicNowMs is on the epoch's scale and never decreases", async () => {
  const a = monotonicNowMs();
  assert.ok(Math.abs(a - Date.now()) < 5_000, `${a} vs ${Date.now()}`);
  let prev = a;
  for (let i = 0; i < 10_000; i++) {
    const t = monotonicNowMs();
    assert.ok(t >= prev, `${t} < ${prev}`);
    prev = t;
  }
  await new Promise((r) => setTimeout(r, 50));
  const waited = monotonicNowMs() - a;
  assert.ok(waited >= 45 && waited < 5_000, `50 ms timer: clock advanced ${waited} ms`);
});
