// Goal: the failover benchmark's HTTP probe client reports its own stalls (issue 15: the planned-standby gap of the director group was blamed on the client in 6 of 10 trials), and ProbeLog tells how much of a gap they cover.
// Method: the real client script runs against a closed port while its own event loop is blocked for 80 ms; its output goes through ProbeLog; then a hand-written log checks longestGapAt and stalledMs.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { EventEmitter } from "node:events";
import { test } from "node:test";
import { CLIENT_RT_PRIO, ProbeLog, probeClientScript, STALL_MS } from "../../../bench/failover-lab.js";

test("the probe client logs a stall when its own event loop was blocked, and no probe starts in it", async () => {
  const script = `${probeClientScript({ host: "127.0.0.1", port: 9, everyMs: 5, timeoutMs: 50, maxRunMs: 600 })}
setTimeout(() => { const t = Date.now(); while (Date.now() - t < 80); }, 250);
setTimeout(() => process.stderr.write(require("node:child_process").execFileSync("chrt", ["-p", String(process.pid)]).toString()), 300);`;
  const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "pipe"] });
  const log = new ProbeLog(child);
  let err = "";
  child.stderr.on("data", (b: Buffer) => {
    err += b.toString();
  });
  await new Promise((r) => child.on("close", r));
  // as root it runs real-time; anyone else as it was started (the client must still run)
  if (process.getuid?.() === 0) {
    assert.match(err, /current scheduling policy: SCHED_RR\n/);
    assert.match(err, new RegExp(`current scheduling priority: ${CLIENT_RT_PRIO}\n`));
  } else assert.match(err, /current scheduling policy: SCHED_OTHER\n/);
  assert.ok(log.probes.length > 20, `${log.probes.length} probes`);
  assert.ok(
    log.probes.every((p) => p.answer === "-" && Number.isFinite(p.start)),
    "a closed port: every probe failed",
  );
  const long = log.stalls.filter(([a, b]) => b - a >= 80);
  assert.equal(long.length, 1, JSON.stringify(log.stalls));
  const [from, to] = long[0] ?? [0, 0];
  assert.equal(
    log.probes.filter((p) => p.start > from && p.start < to).length,
    0,
    "no probe started while it stalled",
  );
  // a loaded test machine may delay the timer elsewhere too: only delays beyond STALL_MS are logged
  for (const [a, b] of log.stalls) assert.ok(b - a > 5 + STALL_MS, `${b - a} ms`);
});

test("longestGapAt finds the gap between successes and stalledMs the client's share of it", () => {
  const out = new EventEmitter() as EventEmitter & { setEncoding(): void };
  out.setEncoding = () => undefined;
  const log = new ProbeLog({ stdout: out } as never);
  out.emit(
    "data",
    "1000 1002 rs1\n1005 1007 rs2\n1010 1260 -\n! 1020 1060\n1060 1100 rs1\n1105 1107 rs2\n! 2000 2100\n",
  );
  assert.equal(log.probes.length, 5);
  assert.deepEqual(log.stalls, [
    [1020, 1060],
    [2000, 2100],
  ]);
  assert.deepEqual(log.longestGapAt(900, 1200), { ms: 93, from: 1007, to: 1100 });
  assert.equal(log.longestGap(900, 1200), 93);
  assert.equal(log.stalledMs(1007, 1100), 40);
  assert.equal(log.stalledMs(1050, 2050), 60);
  assert.equal(log.stalledMs(1100, 1999), 0);
});
