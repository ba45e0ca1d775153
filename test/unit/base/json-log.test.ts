// Goal: hbd's logger writes exactly pino's records (tests, log-sink.ts and users parse them), so dropping pino from hbd changes no byte.
// Method: the same calls through pino (still hb-director's logger) and json-log.ts, with the clock fixed, compared line by line.
import assert from "node:assert/strict";
import { test } from "node:test";
import { pino } from "pino";
import { jsonLogger, type LevelName } from "../../../src/base/json-log.js";

const T = Date.parse("2026-12-07T10:14:16.185Z");

type Call = [LevelName, object, string];
const CALLS: Call[] = [
  [
    "info",
    { event: "started", generation: 1765, tickMs: 5, pid: 42, socket: "/run/tandem/hbd.sock" },
    "hbd 0.1.0 running as n1",
  ],
  [
    "warn",
    { event: "event-loop-lag", lagMs: 30, warntimeMs: 50 },
    "event loop lag 30 ms approaches warntime 50 ms",
  ],
  ["debug", { event: "ignored", peer: "n2", type: "x" }, "ignored x from n2"],
  [
    "error",
    { event: "ipc-error", err: "EADDRINUSE" },
    'quotes " backslash \\ newline \n tab \t ctl \u0001 é ✓ 💡',
  ],
  [
    "info",
    { skipped: undefined, fn: () => 1, n: Number.NaN, inf: Number.POSITIVE_INFINITY, t: true, nil: null },
    "odd values",
  ],
  ["info", { list: ["a", 1, { b: [2] }], nested: { deep: { x: 'y"z' } }, media: [] }, "objects"],
  ["info", { 'odd key"': 1, ключ: "значение" }, "keys %s %d %% %j"],
  ["warn", { err: new TypeError("bad thing") }, "an Error in err"],
  ["info", {}, ""],
  ["info", { msg: "own msg field", level: 99, time: "x", node: "n9" }, "the message"],
];

function lines(make: (level: LevelName, out: string[]) => (c: Call) => void, level: LevelName): string[] {
  const out: string[] = [];
  const log = make(level, out);
  for (const c of CALLS) log(c);
  return out;
}

test("json-log writes pino's bytes for hbd's calls, at both levels hbd uses", () => {
  const realNow = Date.now;
  Date.now = () => T; // pino's isoTime reads Date.now
  try {
    for (const level of ["info", "debug"] as const) {
      const viaPino = lines((lvl, out) => {
        const p = pino(
          { base: { node: "n1" }, timestamp: pino.stdTimeFunctions.isoTime, level: lvl },
          { write: (s: string) => out.push(s) },
        );
        return ([l, f, m]) => p[l](f, m);
      }, level);
      const ours = lines((lvl, out) => {
        const j = jsonLogger(
          { base: { node: "n1" }, level: lvl, now: () => T },
          { write: (s) => out.push(s) },
        );
        return ([l, f, m]) => j[l](f, m);
      }, level);
      assert.equal(ours.length, level === "debug" ? CALLS.length : CALLS.length - 1);
      // the Error's stack differs between the two call sites; compare it apart
      const strip = (s: string) => s.replace(/"stack":"[^"]*(\\"[^"]*)*"/, '"stack":"…"');
      assert.deepEqual(ours.map(strip), viaPino.map(strip));
      assert.match(
        ours.find((s) => s.includes("TypeError")) ?? "",
        /"err":\{"type":"TypeError","message":"bad thing","stack":"TypeError: bad thing\\n/,
      );
    }
  } finally {
    Date.now = realNow;
  }
});
