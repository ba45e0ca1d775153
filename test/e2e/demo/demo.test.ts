// Goal: `npm run demo` (dist/demo/demo.js) works both ways and leaves nothing behind (also after Ctrl-C): as root in namespaces (both real servers answer through the VIP, a standby and a power-loss failover to n2 happen), with --loopback (the Dummy group moves on standby and on kill -9), and as an unprivileged user (loopback chosen by itself, realtime degrades with a warning); --help and a bad option answer at once.
// Method: runs the compiled demo as a child (root; and through setpriv as uid 65534) with a marker in its environment, checks its output and exit code, then looks for any process carrying the marker or the run's paths, any namespace `tdemo-<pid>-*` and any temp dir `/tmp/tdemo-<pid>-*`.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { repoRoot } from "../../helpers.js";
import { skipReason } from "../daemon/lab.js";

const DEMO = join(repoRoot, "dist", "demo", "demo.js");

interface Run {
  readonly out: string;
  readonly code: number | null;
  readonly pid: number;
  readonly mark: string;
}

/** Runs the demo to completion (bounded), optionally as nobody; `interrupt` sends SIGINT once the output matches it. */
function runDemo(args: string[], asNobody = false, maxMs = 150_000, interrupt?: RegExp): Promise<Run> {
  const mark = `TDEMO_TEST_MARK=${randomBytes(6).toString("hex")}`;
  const cmd = asNobody
    ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, DEMO, ...args]
    : [process.execPath, DEMO, ...args];
  const [k, v] = mark.split("=") as [string, string];
  const child = spawn(cmd[0]!, cmd.slice(1), {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, [k]: v },
  });
  let out = "";
  let sent = false;
  child.stdout.on("data", (b: Buffer) => {
    out += b.toString();
    if (interrupt !== undefined && !sent && interrupt.test(out)) {
      sent = true;
      child.kill("SIGINT");
    }
  });
  child.stderr.on("data", (b: Buffer) => (out += b.toString()));
  return new Promise((resolve) => {
    const t = setTimeout(() => child.kill("SIGTERM"), maxMs);
    child.on("close", (code) => {
      clearTimeout(t);
      resolve({ out, code, pid: child.pid ?? -1, mark });
    });
  });
}

/** Processes still alive that carry the run's environment marker or one of `needles` in their command line. */
function leftovers(run: Run, needles: string[]): string[] {
  const found: string[] = [];
  for (const p of readdirSync("/proc")) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const cmdline = readFileSync(`/proc/${p}/cmdline`, "utf8").replaceAll("\0", " ");
      const environ = readFileSync(`/proc/${p}/environ`, "utf8");
      if (environ.split("\0").includes(run.mark) || needles.some((n) => cmdline.includes(n)))
        found.push(`${p}: ${cmdline}`);
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

function assertCleanedUp(run: Run): void {
  const netns = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout ?? "";
  assert.ok(!netns.includes(`tdemo-${run.pid}-`), `namespaces left behind:\n${netns}`);
  const dirs = readdirSync(tmpdir()).filter(
    (d) => d.startsWith(`tdemo-${run.pid}-`) || d.startsWith(`tdd-${run.pid}-`),
  );
  assert.deepEqual(dirs, [], "temp dirs left behind");
  const procs = leftovers(run, [`tdemo-${run.pid}-`, `tdd-${run.pid}-`]);
  assert.deepEqual(procs, [], "processes left behind");
}

const num = (out: string, re: RegExp): number => Number(re.exec(out)?.[1] ?? Number.NaN);

test("--help answers at once; an unknown option is a usage error (2)", async () => {
  const help = await runDemo(["--help"], false, 10_000);
  assert.equal(help.code, 0);
  assert.match(help.out, /--loopback/);
  assert.match(help.out, /--keep-going/);
  const bad = await runDemo(["--bogus"], false, 10_000);
  assert.equal(bad.code, 2, bad.out);
  assert.match(bad.out, /unknown option --bogus/);
});

test("Ctrl-C in the middle (SIGINT right after the cluster is up) still cleans everything up", {
  skip: skipReason(),
  timeout: 60_000,
}, async () => {
  const run = await runDemo(["--loopback"], false, 50_000, /cluster up/);
  assert.equal(run.code, 130, run.out);
  assert.match(run.out, /SIGINT: cleaning up/, run.out);
  assertCleanedUp(run);
});

test("root: namespaces, both real servers answer, standby and power loss move the VIP to n2, nothing left", {
  skip: skipReason(),
  timeout: 180_000,
}, async () => {
  const run = await runDemo([]);
  assert.equal(run.code, 0, run.out);
  assert.match(run.out, /Tandem demo \(root\)/, run.out);
  const rs1 = num(run.out, /client total: rs1 (\d+)/);
  const rs2 = num(run.out, /client total: rs1 \d+, rs2 (\d+)/);
  assert.ok(rs1 > 0 && rs2 > 0, `both real servers answered (rs1 ${rs1}, rs2 ${rs2})`);
  assert.match(run.out, /moved to n2: longest interruption \d+ ms/, run.out);
  assert.match(run.out, /back on n1: longest interruption \d+ ms/, run.out);
  assert.match(run.out, /failover to n2: longest interruption \d+ ms/, run.out);
  assert.match(run.out, /n2 declares n1 dead/, run.out);
  assert.match(run.out, /hbctl status {3}# asked on n2[\s\S]*OFFLINE: \[ n1 \]/, run.out);
  assertCleanedUp(run);
});

test("--loopback as root: the Dummy group moves on standby and on kill -9 of the active hbd, nothing left", {
  skip: skipReason(),
  timeout: 90_000,
}, async () => {
  const run = await runDemo(["--loopback"]);
  assert.equal(run.code, 0, run.out);
  assert.match(run.out, /group running on n2 \d+ ms after the command/, run.out);
  assert.match(run.out, /group running on n1 again/, run.out);
  assert.match(run.out, /failover: group running on n2 \d+ ms after the kill/, run.out);
  assert.match(run.out, /hbd as root: scheduling: nice -20/, run.out);
  assertCleanedUp(run);
});

test("as an unprivileged user: loopback by itself, realtime degrades with a warning, nothing left", {
  skip: skipReason(),
  timeout: 90_000,
}, async () => {
  const run = await runDemo([], true);
  assert.equal(run.code, 0, run.out);
  assert.match(run.out, /loopback, not root/, run.out);
  assert.match(run.out, /hbd as non-root: realtime on, but the priority could not be raised/, run.out);
  assert.match(run.out, /failover: group running on n2 \d+ ms after the kill/, run.out);
  assertCleanedUp(run);
});
