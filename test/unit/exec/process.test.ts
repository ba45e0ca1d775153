// Goal: the real process adapter runs agents of every class, bounds their output, and kills a runaway agent's whole process group at its timeout. Method: small sh scripts in a temp dir, run through createExecutor.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { createExecutor } from "../../../src/exec/process.js";
import { fixturePath } from "../../helpers.js";

const dir = mkdtempSync(join(tmpdir(), "tdx-exec-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function script(name: string, body: string): string {
  const p = join(dir, name);
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o755);
  return p;
}

/** True while pid is a live (non-zombie) process. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

const ex = createExecutor({
  ocfProviderDirs: { t: dir },
  resourceDirs: [dir],
  initDir: dir,
  killGraceMs: 200,
  tailBytes: 64,
  baseEnv: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", LSB_FIXTURE_DIR: dir },
});

test("OCF agent sees its parameters and its rc is returned", async () => {
  script("echoer", 'echo "$1 $OCF_RESOURCE_INSTANCE $OCF_RESKEY_msg $OCF_RESKEY_CRM_meta_timeout"; exit 7');
  const r = await ex.exec({
    rscId: "r1",
    agent: { class: "ocf", type: "echoer", provider: "t", params: { msg: "hi" } },
    op: "monitor",
    timeoutMs: 3000,
  });
  assert.equal(r.rc, 7);
  assert.equal(r.exitCode, 7);
  assert.equal(r.status, "done");
  assert.equal(r.stdoutTail, "monitor r1 hi 3000\n");
  assert.ok(r.durationMs > 0 && r.durationMs < 3000);
});

test("runaway agent is killed with its children at the timeout (SIGTERM ignored -> SIGKILL)", async () => {
  const childFile = join(dir, "child.pid");
  script("runaway", `trap '' TERM\nsleep 60 &\necho $! > ${childFile}\necho started\nsleep 60\n`);
  const t0 = Date.now();
  const r = await ex.exec({
    rscId: "r2",
    agent: { class: "ocf", type: "runaway", provider: "t" },
    op: "start",
    timeoutMs: 300,
  });
  const took = Date.now() - t0;
  assert.equal(r.status, "timeout");
  assert.equal(r.rc, 1);
  assert.equal(r.signal, "SIGKILL");
  assert.match(r.reason, /timed out after 300 ms/);
  assert.equal(r.stdoutTail, "started\n");
  assert.ok(took >= 300 && took < 3000, `took ${took} ms`);
  const child = Number(readFileSync(childFile, "utf8"));
  assert.equal(alive(child), false, "background child of the agent must be dead");
});

test("an agent that exits on SIGTERM is not waited for until the grace period", async () => {
  script("sleeper", "sleep 60");
  const r = await ex.exec({
    rscId: "r3",
    agent: { class: "ocf", type: "sleeper", provider: "t" },
    op: "start",
    timeoutMs: 100,
  });
  assert.equal(r.status, "timeout");
  assert.equal(r.signal, "SIGTERM");
});

test("output tail is bounded; a background child holding stdout does not hold the result", async () => {
  script(
    "chatty",
    'i=0; while [ $i -lt 200 ]; do echo "line $i"; i=$((i+1)); done; echo END >&2; sleep 5 & exit 0',
  );
  const t0 = Date.now();
  const r = await ex.exec({
    rscId: "r4",
    agent: { class: "ocf", type: "chatty", provider: "t" },
    op: "start",
  });
  assert.ok(Date.now() - t0 < 2000, "must not wait for the background sleep");
  assert.equal(r.rc, 0);
  assert.ok(r.stdoutTail.length <= 64);
  assert.ok(r.stdoutTail.endsWith("line 199\n"));
  assert.equal(r.stderrTail, "END\n");
});

test("Heartbeat class: args before the action, status judged by words", async () => {
  script(
    "hbres",
    'echo "$*"; case "$3" in status) [ -f "$1" ] && echo "Running OK" || echo "$2 is not running"; exit 0;; start) touch "$1";; stop) rm -f "$1";; esac',
  );
  const state = join(dir, "hb.state");
  const spec = { class: "heartbeat" as const, type: "hbres", args: [state, "svc"] };
  assert.equal((await ex.exec({ rscId: "h", agent: spec, op: "monitor" })).rc, 7);
  const s = await ex.exec({ rscId: "h", agent: spec, op: "start" });
  assert.equal(s.stdoutTail, `${state} svc start\n`);
  assert.equal((await ex.exec({ rscId: "h", agent: spec, op: "monitor" })).rc, 0);
  assert.equal((await ex.exec({ rscId: "h", agent: spec, op: "stop" })).rc, 0);
});

test("LSB init script fixture: start, status mapping, stop, idempotence", async () => {
  writeFileSync(join(dir, "lsb-fixture"), readFileSync(fixturePath("exec", "lsb-fixture")));
  chmodSync(join(dir, "lsb-fixture"), 0o755);
  const spec = { class: "lsb" as const, type: "lsb-fixture" };
  const rc = async (op: string) => (await ex.exec({ rscId: "l", agent: spec, op })).rc;
  assert.equal(await rc("monitor"), 7);
  assert.equal(await rc("start"), 0);
  assert.equal(await rc("start"), 0);
  assert.equal(await rc("monitor"), 0);
  // The daemon dies behind the script's back: status 1 (dead, pid file) maps to 7. (Its pid is replaced by
  // that of a process already reaped, since a killed orphan may linger as a zombie in a container.)
  process.kill(Number(readFileSync(join(dir, "lsb-fixture.pid"), "utf8")), "SIGKILL");
  writeFileSync(join(dir, "lsb-fixture.pid"), `${spawnSync("true").pid}\n`);
  const dead = await ex.exec({ rscId: "l", agent: spec, op: "monitor" });
  assert.deepEqual([dead.exitCode, dead.rc], [1, 7]);
  assert.equal(await rc("stop"), 0);
  assert.equal(await rc("stop"), 0);
  assert.equal(existsSync(join(dir, "lsb-fixture.pid")), false);
  assert.equal(await rc("bogus"), 2);
});

test("bad interpreter -> rc 5 with the spawn error as reason", async () => {
  const p = join(dir, "badint");
  writeFileSync(p, "#!/nonexistent/tdx-sh\nexit 0\n");
  chmodSync(p, 0o755);
  const r = await ex.exec({ rscId: "b", agent: { class: "lsb", type: "badint" }, op: "start" });
  assert.deepEqual([r.rc, r.status, r.reason], [5, "error", "cannot run agent: ENOENT"]);
});

test("not executable -> rc 4, missing -> rc 5", async () => {
  writeFileSync(join(dir, "plain"), "#!/bin/sh\nexit 0\n");
  const r = await ex.exec({ rscId: "p", agent: { class: "lsb", type: "plain" }, op: "start" });
  assert.equal(r.rc, 4);
  assert.equal((await ex.exec({ rscId: "p", agent: { class: "lsb", type: "absent" }, op: "start" })).rc, 5);
});
