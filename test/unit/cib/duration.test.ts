// Goal: Pacemaker duration forms (crm_get_msec units, ISO 8601) parse to milliseconds. Method: a table of inputs.
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatDurationMs, parseDurationMs } from "../../../src/cib/duration.js";

test("parseDurationMs: crm_get_msec forms and ISO 8601", () => {
  const table: [string, number | undefined][] = [
    ["0", 0],
    ["10", 10_000],
    ["10s", 10_000],
    ["10 s", 10_000],
    ["10sec", 10_000],
    ["500ms", 500],
    ["500msec", 500],
    ["1500us", 1],
    ["1min", 60_000],
    ["2m", 120_000],
    ["1h", 3_600_000],
    ["2hr", 7_200_000],
    ["10S", 10_000],
    ["PT10S", 10_000],
    ["PT1M30S", 90_000],
    ["PT0.5S", 500],
    ["P1D", 86_400_000],
    ["P1DT2H", 93_600_000],
    ["P1W", 604_800_000],
    ["pt5m", 300_000],
    ["", undefined],
    ["P", undefined],
    ["PT", undefined],
    ["10x", undefined],
    ["-5s", undefined],
    ["1.5s", undefined],
    ["abc", undefined],
  ];
  for (const [text, want] of table) assert.equal(parseDurationMs(text), want, JSON.stringify(text));
});

test("formatDurationMs picks the largest exact unit", () => {
  assert.equal(formatDurationMs(10_000), "10s");
  assert.equal(formatDurationMs(120_000), "2min");
  assert.equal(formatDurationMs(1500), "1500ms");
  assert.equal(formatDurationMs(0), "0s");
  for (const ms of [0, 500, 10_000, 90_000, 3_600_000])
    assert.equal(parseDurationMs(formatDurationMs(ms)), ms);
});
