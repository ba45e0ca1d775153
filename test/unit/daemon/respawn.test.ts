// Goal: ha.cf `respawn` is supervised as Heartbeat does: restarted when it exits, not after exit 100 or at
// shutdown, 1 s delay after a fast exit, given up after more than 10 fast respawns in a row ("respawning too
// fast"), a 30 s run resets the count; run as USER in its own process group and stopped at shutdown; ipfail
// and Heartbeat API clients are not run, the API clients with a verify warning saying what Tandem does;
// ipfail warns only when hbd cannot apply its rule (no ping nodes; crm on).
// Method: the pure decision and the supervisor over a fake port with a manual clock; then the real port
// running a shell script as "nobody" (root only) that records its uid and is stopped by stop().
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import type { ClientSpec } from "../../../src/config/model.js";
import { passwdEntry } from "../../../src/config/read.js";
import { checkRespawn, classifyRespawn, supervisedClients } from "../../../src/config/respawn.js";
import {
  nextRespawn,
  type RespawnPort,
  RespawnSupervisor,
  realRespawnPort,
  type SupervisedProcess,
} from "../../../src/daemon/respawn.js";

const tmp = mkdtempSync(join(tmpdir(), "tandem-respawn-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
const at = { file: "ha.cf", line: 9 };
const spec = (path: string, user = "hacluster"): ClientSpec => ({ user, path, args: [], at });
const quiet = { info() {}, warn() {}, error() {} };

test("nextRespawn: Heartbeat's rule", () => {
  assert.deepEqual(nextRespawn(60_000, 1, 0, false), { restart: true, delayMs: 0, shortCount: 0 });
  assert.deepEqual(nextRespawn(500, 1, 0, false), { restart: true, delayMs: 1000, shortCount: 1 });
  assert.deepEqual(nextRespawn(500, 1, 10, false), {
    restart: false,
    shortCount: 0,
    reason: "respawning too fast",
  });
  assert.deepEqual(nextRespawn(31_000, 1, 10, false), { restart: true, delayMs: 0, shortCount: 0 });
  assert.equal(nextRespawn(500, 100, 0, false).restart, false);
  assert.equal(nextRespawn(500, 0, 0, true).restart, false);
});

/** A fake port: every start() gives a process the test ends by hand; time moves when the test says. */
function fakePort() {
  let now = 0;
  const timers: { at: number; fn: () => void; id: number }[] = [];
  const procs: { exit: (code: number | null) => void; killed: string[] }[] = [];
  let id = 0;
  const port: RespawnPort = {
    start() {
      let cb: (code: number | null, signal: string | null) => void = () => {};
      const p = { exit: (code: number | null) => cb(code, null), killed: [] as string[] };
      procs.push(p);
      const proc: SupervisedProcess = {
        pid: 1000 + procs.length,
        onExit: (f) => {
          cb = f;
        },
        kill: (s) => {
          p.killed.push(s);
          cb(null, s);
        },
      };
      return proc;
    },
    monotonic: () => now,
    setTimeout: (fn, ms) => {
      timers.push({ at: now + ms, fn, id: ++id });
      return id;
    },
    clearTimeout: (h) => {
      const i = timers.findIndex((t) => t.id === h);
      if (i >= 0) timers.splice(i, 1);
    },
  };
  const advance = (ms: number) => {
    now += ms;
    for (const t of timers.filter((x) => x.at <= now)) {
      timers.splice(timers.indexOf(t), 1);
      t.fn();
    }
  };
  return { port, procs, advance };
}

test("supervisor: restarts, gives up after more than 10 fast respawns, stops children at shutdown", async () => {
  const f = fakePort();
  const s = new RespawnSupervisor([spec("/usr/bin/x")], {}, f.port, quiet);
  s.start();
  assert.equal(f.procs.length, 1);
  f.advance(40_000);
  f.procs[0]!.exit(1); // a long run: restarted at once
  f.advance(0);
  assert.equal(f.procs.length, 2);
  for (let i = 0; i < 10; i++) {
    f.procs.at(-1)!.exit(1); // fast exits: restarted after 1 s each
    f.advance(999);
    assert.equal(f.procs.length, 2 + i, "restarted before the 1 s delay");
    f.advance(1);
    assert.equal(f.procs.length, 3 + i);
  }
  f.procs.at(-1)!.exit(1); // the 11th fast exit in a row
  f.advance(5000);
  assert.equal(f.procs.length, 12);
  assert.deepEqual(
    s.report().map((r) => [r.state, r.reason, r.restarts]),
    [["stopped", "respawning too fast", 11]],
  );

  const g = fakePort();
  const t = new RespawnSupervisor([spec("/a"), spec("/b")], {}, g.port, quiet);
  t.start();
  g.procs[0]!.exit(100); // do not respawn
  g.advance(5000);
  assert.equal(g.procs.length, 2);
  await t.stop();
  assert.deepEqual(g.procs[1]!.killed, ["SIGTERM", "SIGKILL"]); // SIGKILL: what is left in its group
  assert.equal(g.procs.length, 2, "restarted during shutdown");
});

test("ipfail and Heartbeat API clients are not supervised; API clients get a warning saying what Tandem does", () => {
  const ipfail = spec("/usr/lib/heartbeat/ipfail");
  const ccm = spec("/usr/lib/heartbeat/ccm");
  const mine = spec("/usr/local/bin/mydaemon");
  const viaApiauth = spec("/usr/local/bin/apiuser");
  const apiauth = [{ client: "apiuser", uids: ["hacluster"], gids: [], at }];
  assert.equal(classifyRespawn(ipfail).kind, "ipfail");
  assert.equal(classifyRespawn(ccm).kind, "api");
  assert.deepEqual(supervisedClients([ipfail, ccm, mine, viaApiauth], apiauth), [mine]);
  const ds = checkRespawn([ipfail, ccm, mine, viaApiauth], apiauth);
  assert.deepEqual(
    ds.map((d) => [d.line, d.severity, d.code]),
    [
      [9, "warning", "hacf.respawn-api-client"],
      [9, "warning", "hacf.respawn-api-client"],
    ],
  );
  assert.match(
    ds[0]!.message,
    /respawn \/usr\/lib\/heartbeat\/ccm: not started: .*instead, hbd computes membership itself/,
  );
});

test("ipfail: no warning when hbd applies its rule; a warning without ping nodes and with crm on", () => {
  const ipfail = spec("/usr/lib/heartbeat/ipfail");
  assert.deepEqual(checkRespawn([ipfail], [], { pingNodes: 2, crm: false }), []);
  const none = checkRespawn([ipfail], [], { pingNodes: 0, crm: false });
  assert.deepEqual(
    none.map((d) => [d.line, d.severity, d.code]),
    [[9, "warning", "hacf.respawn-ipfail"]],
  );
  assert.match(none[0]!.message, /no ping or ping_group lines/);
  const crm = checkRespawn([ipfail], [], { pingNodes: 1, crm: true });
  assert.match(crm[0]!.message, /node attribute pingd/);
});

test("real port: runs as the user, restarted after it exits, stopped (whole group) at shutdown", {
  skip: process.getuid?.() === 0 ? undefined : "needs root to change user",
}, async () => {
  const nobody = passwdEntry("nobody");
  assert.ok(nobody, "no user nobody");
  const out = join(tmp, "runs");
  const script = join(tmp, "client.sh");
  // each run appends its uid and HA_FOO; the first run exits at once, later ones sleep (a child keeps the group)
  writeFileSync(
    script,
    `#!/bin/sh\necho "$(id -u) $HA_FOO" >> ${out}\n[ "$(wc -l < ${out})" -lt 2 ] && exit 3\nsleep 60 &\nwait\n`,
    { mode: 0o755 },
  );
  const { chmodSync } = await import("node:fs");
  chmodSync(tmp, 0o777);
  const start = Date.now();
  const s = new RespawnSupervisor(
    [{ user: "nobody", path: script, args: [], at }],
    { HA_FOO: "bar" },
    realRespawnPort(
      (u) => passwdEntry(u),
      () => Date.now() - start,
    ),
    quiet,
  );
  s.start();
  for (let i = 0; i < 100 && !(existsSync(out) && readFileSync(out, "utf8").split("\n").length > 2); i++)
    await new Promise((r) => setTimeout(r, 50));
  const lines = readFileSync(out, "utf8").trim().split("\n");
  assert.deepEqual(lines, [`${nobody.uid} bar`, `${nobody.uid} bar`]);
  const [r] = s.report();
  assert.equal(r?.state, "running");
  assert.equal(r?.restarts, 1);
  const pid = r?.pid;
  assert.ok(pid !== undefined);
  await s.stop(2000);
  /** Live (not zombie: PID 1 of a container may not reap) members of the client's process group. */
  const groupAlive = () =>
    readdirSync("/proc")
      .filter((d) => /^\d+$/.test(d))
      .some((d) => {
        try {
          const stat = readFileSync(`/proc/${d}/stat`, "utf8");
          const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
          return f[0] !== "Z" && Number(f[2]) === pid;
        } catch {
          return false;
        }
      });
  for (let i = 0; i < 40 && groupAlive(); i++) await new Promise((r) => setTimeout(r, 25)); // reaping takes a moment
  const alive = groupAlive();
  assert.equal(alive, false, "the client's process group survived stop()");
});
