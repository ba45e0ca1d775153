// Goal: isoTime prints exactly what Date#toISOString prints (JSON log records' `time`), without
// touching the local time zone (which loads ICU's data into hbd, issue 15).
import assert from "node:assert/strict";
import { test } from "node:test";
import { civilFromDays, isoTime } from "../../../src/base/iso-time.js";
import { Prng } from "../../../src/base/prng.js";

test("isoTime equals toISOString on the calendar's edges", () => {
  const edges = [
    0, -1, 1, 999, 1000, 86_399_999, 86_400_000, -86_400_000, 951_782_400_000 /* 2000-02-29 */,
    951_868_799_999, 4_107_542_400_000 /* 2100-03-01 */, 4_107_456_000_000,
    -2_203_891_200_000 /* 1900-03-01 */, 253_402_300_799_999 /* 9999-12-31T23:59:59.999 */,
    -62_167_219_200_000 /* 0000-01-01 */, 1_796_694_808_123, 1.5, -0.5,
  ];
  for (const ms of edges) assert.equal(isoTime(ms), new Date(ms).toISOString(), String(ms));
});

test("isoTime equals toISOString for random times from year 0 to 9999", () => {
  const prng = new Prng(20261208);
  for (let i = 0; i < 20_000; i++) {
    const ms = Math.floor((prng.float() * 2 - 1) * 1e14) + Math.floor(prng.float() * 1000);
    if (ms < -62_167_219_200_000 || ms > 253_402_300_799_999) continue;
    assert.equal(isoTime(ms), new Date(ms).toISOString(), String(ms));
  }
});

test("outside years 0-9999 and for bad times it gives what toISOString gives", () => {
  assert.equal(isoTime(253_402_300_800_000), new Date(253_402_300_800_000).toISOString());
  assert.equal(isoTime(-62_167_219_200_001), new Date(-62_167_219_200_001).toISOString());
  assert.throws(() => isoTime(Number.NaN), RangeError);
});

test("civilFromDays walks every day of 1968-2032 like Date does", () => {
  for (let d = -800; d < 23_000; d++) {
    const js = new Date(d * 86_400_000);
    assert.deepEqual(civilFromDays(d), {
      year: js.getUTCFullYear(),
      month: js.getUTCMonth() + 1,
      day: js.getUTCDate(),
    });
  }
});
