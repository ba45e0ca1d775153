// Goal: `hbctl resource exec` runs a real agent process and reports its OCF rc as text, JSON and exit status.
// Method: spawn the built CLI against the shipped Dummy agent with a state file in a temp dir.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { repoRoot } from "../../helpers.js";

const cli = join(repoRoot, "dist", "src", "cli", "main.js");
const tmp = mkdtempSync(join(tmpdir(), "tandem-rexec-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
const hbctl = (...args: string[]) => {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: repoRoot, encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

test("Dummy: monitor (7), start (0), monitor (0), stop (0), with its state file", () => {
  const state = join(tmp, "dummy.state");
  const p = ["-p", `state=${state}`];
  assert.equal(hbctl("resource", "exec", "ocf:tandem:Dummy", "monitor", ...p).code, 7);
  const start = hbctl("resource", "exec", "ocf:tandem:Dummy", "start", ...p);
  assert.equal(start.code, 0, start.out + start.err);
  assert.match(start.out, /^ocf:tandem:Dummy start \(Dummy\): rc=0 \(ok\) in [\d.]+ ms/);
  assert.ok(existsSync(state));
  const mon = hbctl("resource", "exec", "ocf:tandem:Dummy", "monitor", "--json", ...p);
  assert.equal(mon.code, 0);
  const j = JSON.parse(mon.out);
  assert.equal(j.rc, 0);
  assert.equal(j.agent.provider, "tandem");
  assert.equal(hbctl("resource", "exec", "ocf:tandem:Dummy", "stop", ...p).code, 0);
  assert.ok(!existsSync(state));
});

test("Heartbeat-style call with positional arguments", () => {
  const r = hbctl("resource", "exec", "heartbeat:Delay", "start", "-a", "0", "-a", "0");
  assert.equal(r.code, 0, r.out + r.err);
});

test("a missing agent and bad usage give reasons, not crashes", () => {
  const missing = hbctl("resource", "exec", "ocf:tandem:NoSuchAgent", "start");
  assert.equal(missing.code, 5);
  assert.match(missing.out, /rc=5 \(not installed\)/);
  const bad = hbctl("resource", "exec", "weird:x:y", "start");
  assert.equal(bad.code, 2);
  assert.match(bad.err, /unknown class "weird"/);
  const param = hbctl("resource", "exec", "ocf:tandem:Dummy", "start", "-p", "novalue");
  assert.equal(param.code, 2);
  assert.match(param.err, /--param "novalue": expected NAME=VALUE/);
});
