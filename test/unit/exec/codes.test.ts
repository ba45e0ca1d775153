// Goal: exit codes are normalised as Pacemaker does (OCF pass-through, LSB status mapping, Heartbeat status words). Method: tables.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  exitReason,
  heartbeatStatusRunning,
  mapLsbAction,
  mapLsbStatus,
  mapOcfExit,
  normaliseOutcome,
  ocfRcName,
  scriptAction,
} from "../../../src/exec/codes.js";
import type { SpawnOutcome } from "../../../src/exec/types.js";

const out = (o: Partial<SpawnOutcome>): SpawnOutcome => ({
  exitCode: 0,
  signal: null,
  timedOut: false,
  durationMs: 5,
  stdout: "",
  stderr: "",
  ...o,
});

test("OCF codes pass through; unknown codes are generic errors", () => {
  for (const rc of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 190, 191]) assert.equal(mapOcfExit(rc), rc);
  for (const rc of [10, 42, 127, 255]) assert.equal(mapOcfExit(rc), 1);
  assert.equal(ocfRcName(7), "not running");
  assert.equal(ocfRcName(6), "not configured");
  assert.equal(ocfRcName(99), "unknown rc 99");
});

test("LSB status 0 -> 0, 1/2/3 -> 7, 4 and others -> 1; other actions keep 0..7", () => {
  const table: [number, number][] = [
    [0, 0],
    [1, 7],
    [2, 7],
    [3, 7],
    [4, 1],
    [5, 1],
    [150, 1],
  ];
  for (const [lsb, ocf] of table) assert.equal(mapLsbStatus(lsb), ocf, `status ${lsb}`);
  assert.equal(mapLsbAction(6), 6);
  assert.equal(mapLsbAction(7), 7);
  assert.equal(mapLsbAction(8), 1);
});

test("Heartbeat status words", () => {
  const table: [string, boolean][] = [
    ["INFO: Running OK", true],
    ["apache is running", true],
    ["RUNNING", true],
    ["status: OK", true],
    ["apache is not running", false],
    ["Not currently running", false],
    ["INFO: Resource is stopped", false],
    ["", false],
    ["ok", false],
  ];
  for (const [text, running] of table) assert.equal(heartbeatStatusRunning(text), running, text);
});

test("monitor becomes status outside OCF", () => {
  assert.equal(scriptAction("ocf", "monitor"), "monitor");
  assert.equal(scriptAction("lsb", "monitor"), "status");
  assert.equal(scriptAction("heartbeat", "monitor"), "status");
  assert.equal(scriptAction("heartbeat", "start"), "start");
});

test("exit reason: last ocf-exit-reason line, stderr first", () => {
  assert.equal(exitReason("x\nocf-exit-reason:from stdout\n", ""), "from stdout");
  assert.equal(exitReason("ocf-exit-reason:out", "ocf-exit-reason:a\nocf-exit-reason: b \n"), "b");
  assert.equal(exitReason("nothing", "here"), undefined);
});

test("normaliseOutcome per class", () => {
  assert.deepEqual(normaliseOutcome("ocf", "monitor", out({ exitCode: 7 })), {
    rc: 7,
    status: "done",
    reason: "not running",
  });
  assert.equal(normaliseOutcome("lsb", "monitor", out({ exitCode: 3 })).rc, 7);
  assert.equal(normaliseOutcome("lsb", "start", out({ exitCode: 3 })).rc, 3);
  // Heartbeat ignores the exit code of status and reads the words.
  assert.equal(normaliseOutcome("heartbeat", "monitor", out({ exitCode: 3, stdout: "Running OK" })).rc, 0);
  assert.equal(normaliseOutcome("heartbeat", "monitor", out({ exitCode: 0, stdout: "stopped" })).rc, 7);
  assert.equal(normaliseOutcome("heartbeat", "start", out({ exitCode: 2 })).rc, 1);
  const t = normaliseOutcome("ocf", "start", out({ exitCode: null, signal: "SIGKILL", timedOut: true }), 500);
  assert.deepEqual(t, { rc: 1, status: "timeout", reason: "timed out after 500 ms" });
  assert.equal(normaliseOutcome("ocf", "start", out({ exitCode: null, signal: "SIGSEGV" })).status, "error");
  assert.equal(normaliseOutcome("ocf", "start", out({ spawnError: "ENOENT", exitCode: null })).rc, 5);
  assert.equal(normaliseOutcome("ocf", "start", out({ spawnError: "EACCES", exitCode: null })).rc, 4);
  assert.equal(
    normaliseOutcome("ocf", "start", out({ exitCode: 6, stderr: "ocf-exit-reason:bad ip\n" })).reason,
    "bad ip",
  );
});
