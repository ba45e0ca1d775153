// Goal: score parsing, formatting and Pacemaker's saturating INFINITY arithmetic. Method: tables of inputs and expected values.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  addScores,
  clampScore,
  formatScore,
  INFINITY,
  parseScore,
  sumScores,
} from "../../../src/cib/score.js";

test("parseScore accepts INFINITY forms and integers, clamps, rejects the rest", () => {
  const table: [string, number | undefined][] = [
    ["INFINITY", 1_000_000],
    ["+INFINITY", 1_000_000],
    ["-INFINITY", -1_000_000],
    ["infinity", 1_000_000],
    [" 100 ", 100],
    ["-50", -50],
    ["+7", 7],
    ["0", 0],
    ["2000000", 1_000_000],
    ["-2000000", -1_000_000],
    ["1.5", undefined],
    ["", undefined],
    ["INF", undefined],
    ["10abc", undefined],
  ];
  for (const [text, want] of table) assert.equal(parseScore(text), want, text);
});

test("formatScore writes INFINITY names and integers", () => {
  assert.equal(formatScore(INFINITY), "INFINITY");
  assert.equal(formatScore(-INFINITY), "-INFINITY");
  assert.equal(formatScore(5_000_000), "INFINITY");
  assert.equal(formatScore(-42), "-42");
  assert.equal(formatScore(0), "0");
});

test("addScores: -INFINITY wins, then +INFINITY, else clamped sum", () => {
  const I = INFINITY;
  const table: [number, number, number][] = [
    [100, 50, 150],
    [-100, 50, -50],
    [I, 100, I],
    [100, I, I],
    [-I, 100, -I],
    [I, -I, -I],
    [-I, I, -I],
    [I, I, I],
    [-I, -I, -I],
    [999_999, 999_999, I],
    [-999_999, -999_999, -I],
    [999_999, -1, 999_998],
  ];
  for (const [a, b, want] of table) assert.equal(addScores(a, b), want, `${a} + ${b}`);
});

test("sumScores and clampScore", () => {
  assert.equal(sumScores([]), 0);
  assert.equal(sumScores([100, 200, -50]), 250);
  assert.equal(sumScores([INFINITY, 5, -INFINITY, 7]), -INFINITY);
  assert.equal(clampScore(12.9), 12);
  assert.equal(clampScore(Number.NaN), 0);
  assert.equal(clampScore(-3e9), -INFINITY);
});
