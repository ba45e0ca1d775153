// Goal: operators see rc, meaning, duration, reason and output tails of an agent action. Method: render fixed results.
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatResultJson, formatResultText } from "../../../src/exec/format.js";
import type { ActionRequest, ActionResult } from "../../../src/exec/types.js";

const req: ActionRequest = {
  rscId: "vip",
  agent: { class: "ocf", type: "IPaddr2", provider: "tandem" },
  op: "start",
};
const base: ActionResult = {
  rscId: "vip",
  op: "start",
  intervalMs: 0,
  rc: 0,
  rcName: "ok",
  status: "done",
  exitCode: 0,
  signal: null,
  durationMs: 4.25,
  stdoutTail: "",
  stderrTail: "",
  reason: "ok",
};

test("success is one line", () => {
  assert.equal(formatResultText(req, base), "ocf:tandem:IPaddr2 start (vip): rc=0 (ok) in 4.3 ms\n");
});

test("failure shows reason, raw code, signal and tails", () => {
  const text = formatResultText(
    { ...req, agent: { class: "lsb", type: "x" }, op: "monitor" },
    {
      ...base,
      rc: 7,
      rcName: "not running",
      exitCode: 3,
      reason: "not running",
      stdoutTail: "x is stopped\n",
    },
  );
  assert.equal(
    text,
    "lsb:x monitor (vip): rc=7 (not running) in 4.3 ms\nraw exit code: 3\n--- stdout (tail)\nx is stopped\n",
  );
  const t = formatResultText(req, {
    ...base,
    rc: 1,
    rcName: "unknown error",
    status: "timeout",
    exitCode: null,
    signal: "SIGKILL",
    reason: "timed out after 20000 ms",
    stderrTail: "hung\n",
  });
  assert.match(
    t,
    /status: timeout\nreason: timed out after 20000 ms\nsignal: SIGKILL\n--- stderr \(tail\)\nhung\n$/,
  );
  assert.deepEqual(JSON.parse(formatResultJson(req, base)), { agent: req.agent, ...base });
});
