// Goal: our generation number only goes up (reference §3.8 hbgenmethod) and dt is advertised as Heartbeat does.
// Method: table of (previous, method, now) -> expected generation; dt before and after the 5 s start window.
import assert from "node:assert/strict";
import { test } from "node:test";
import { advertisedDeadtimeMs, nextGeneration } from "../../../src/membership/generation.js";

const T = 1_700_000_000_500; // ms; Unix seconds 1700000000

test("nextGeneration follows hbgenmethod file and time", () => {
  const cases: [number | undefined, "file" | "time", number, number][] = [
    [undefined, "file", T, 1_700_000_001], // "No Previous generation - starting at time+1"
    [41, "file", T, 42],
    [undefined, "time", T, 1_700_000_000],
    [1_600_000_000, "time", T, 1_700_000_000],
    [1_700_000_000, "time", T, 1_700_000_001], // clock did not move on: still strictly higher
    [1_800_000_000, "time", T, 1_800_000_001], // clock went backwards: still strictly higher
  ];
  for (const [previous, method, now, expected] of cases) {
    assert.equal(nextGeneration(previous, method, now), expected, `${previous} ${method}`);
  }
});

test("advertised deadtime is deadtime + 2 s for the first 5 s after start", () => {
  const timing = {
    keepaliveMs: 1000,
    deadtimeMs: 6000,
    warntimeMs: 3000,
    initdeadMs: 12000,
    deadpingMs: 6000,
  };
  assert.equal(advertisedDeadtimeMs(timing, 100, 100), 8000);
  assert.equal(advertisedDeadtimeMs(timing, 100, 5099), 8000);
  assert.equal(advertisedDeadtimeMs(timing, 100, 5100), 6000);
});
