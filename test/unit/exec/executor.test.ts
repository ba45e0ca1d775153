// Goal: the executor resolves agents, never runs more than the concurrency limit, and turns every problem into a result. Method: a fake ProcessPort.
import assert from "node:assert/strict";
import { test } from "node:test";
import { defaultExecConfig } from "../../../src/exec/env.js";
import { Executor } from "../../../src/exec/executor.js";
import type { ProcessPort, SpawnOutcome, SpawnRequest } from "../../../src/exec/types.js";

function fakePort(files: Record<string, "x" | "r">, behave: (r: SpawnRequest) => Promise<SpawnOutcome>) {
  const calls: SpawnRequest[] = [];
  const port: ProcessPort = {
    spawn: (r) => {
      calls.push(r);
      return behave(r);
    },
    isExecutable: async (p) => files[p] === "x",
    exists: async (p) => files[p] !== undefined,
  };
  return { port, calls };
}
const done = (exitCode: number, stdout = ""): SpawnOutcome => ({
  exitCode,
  signal: null,
  timedOut: false,
  durationMs: 1,
  stdout,
  stderr: "",
});
const cfg = { ...defaultExecConfig, resourceDirs: ["/rd1", "/rd2"], initDir: "/init" };

test("Heartbeat names: first executable in resource.d dirs, then init dir", async () => {
  const { port, calls } = fakePort({ "/rd1/a": "r", "/rd2/a": "x", "/init/a": "x" }, async () => done(0));
  const ex = new Executor(port, cfg);
  const r = await ex.exec({ rscId: "a", agent: { class: "heartbeat", type: "a", args: ["1"] }, op: "start" });
  assert.equal(r.rc, 0);
  assert.equal(calls[0]?.file, "/rd2/a");
  assert.deepEqual(calls[0]?.args, ["1", "start"]);
  const { port: p2, calls: c2 } = fakePort({ "/init/b": "x" }, async () => done(0, "b is running"));
  const r2 = await new Executor(p2, cfg).exec({
    rscId: "b",
    agent: { class: "heartbeat", type: "b" },
    op: "monitor",
  });
  assert.equal(c2[0]?.file, "/init/b");
  assert.equal(r2.rc, 0);
});

test("missing agent -> not installed; present but not executable -> insufficient privileges; bad name", async () => {
  const { port, calls } = fakePort({ "/rd1/ro": "r" }, async () => done(0));
  const ex = new Executor(port, cfg);
  const miss = await ex.exec({ rscId: "m", agent: { class: "heartbeat", type: "nope" }, op: "start" });
  assert.equal(miss.rc, 5);
  assert.match(miss.reason, /cannot locate resource script nope/);
  const ro = await ex.exec({ rscId: "m", agent: { class: "heartbeat", type: "ro" }, op: "start" });
  assert.equal(ro.rc, 4);
  const bad = await ex.exec({ rscId: "m", agent: { class: "ocf", type: "../../bin/sh" }, op: "start" });
  assert.equal(bad.rc, 5);
  assert.equal(calls.length, 0);
});

test("concurrency limit holds and every action completes", async () => {
  let running = 0;
  let peak = 0;
  const { port } = fakePort({ "/init/s": "x" }, async () => {
    running++;
    peak = Math.max(peak, running);
    await new Promise((r) => setTimeout(r, 5));
    running--;
    return done(0);
  });
  const ex = new Executor(port, { ...cfg, concurrency: 3 });
  const results = await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      ex.exec({ rscId: `r${i}`, agent: { class: "lsb", type: "s" }, op: "start" }),
    ),
  );
  assert.equal(peak, 3);
  assert.equal(results.length, 10);
  assert.ok(results.every((r) => r.rc === 0));
  assert.equal(ex.running, 0);
});

test("result carries raw code, tails and timeout", async () => {
  const { port, calls } = fakePort({ "/usr/lib/ocf/resource.d/heartbeat/X": "x" }, async () => ({
    exitCode: 6,
    signal: null,
    timedOut: false,
    durationMs: 12.5,
    stdout: "out",
    stderr: "ocf-exit-reason:ip is missing\n",
  }));
  const r = await new Executor(port, cfg).exec({
    rscId: "x",
    agent: { class: "ocf", type: "X" },
    op: "start",
    timeoutMs: 777,
  });
  assert.equal(calls[0]?.timeoutMs, 777);
  assert.equal(calls[0]?.killGraceMs, cfg.killGraceMs);
  assert.deepEqual(
    {
      rc: r.rc,
      rcName: r.rcName,
      exitCode: r.exitCode,
      ms: r.durationMs,
      out: r.stdoutTail,
      reason: r.reason,
    },
    { rc: 6, rcName: "not configured", exitCode: 6, ms: 12.5, out: "out", reason: "ip is missing" },
  );
});
