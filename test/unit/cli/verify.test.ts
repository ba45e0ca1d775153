// Goal: `hbctl verify` as a user runs it: the shipped examples pass, a directory with three deliberate
// mistakes prints all three with their lines and exits 2, and --json is machine-readable.
// Method: spawn the built CLI (black box) and assert exit code and output.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fixturePath, repoRoot } from "../../helpers.js";

const cli = join(repoRoot, "dist", "src", "cli", "main.js");
const tmp = mkdtempSync(join(tmpdir(), "tandem-verify-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

function hbctl(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: repoRoot, encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Copies a fixture directory and gives authkeys the mode it needs (git keeps no modes). */
function copyDir(src: string, name: string, authMode = 0o600): string {
  const dst = join(tmp, name);
  cpSync(src, dst, { recursive: true });
  try {
    chmodSync(join(dst, "authkeys"), authMode);
  } catch {}
  return dst;
}

test("the heartbeat-lvs-dr example passes as shipped (exit 0)", () => {
  const r = hbctl("verify", "examples/heartbeat-lvs-dr", "--node", "primarylb");
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(
    r.out,
    /0 error\(s\), 0 warning\(s\); cluster "lvs-dr": 2 node\(s\) \(primarylb, backuplb\), 4 media/,
  );
});

test("the yaml example passes as shipped (exit 0)", () => {
  const r = hbctl("verify", "--config", "examples/yaml/cluster.yaml", "--node", "backuplb");
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /0 error\(s\), 0 warning\(s\)/);
});

test("three deliberate mistakes: all three reported with lines, exit 2", () => {
  const dir = copyDir(fixturePath("verify", "three-mistakes"), "three");
  const r = hbctl("verify", dir);
  assert.equal(r.code, 2);
  const lines = r.out.split("\n").filter((l) => / (error|warning): /.test(l));
  assert.deepEqual(lines, [
    `${dir}/authkeys:2: error: the secret of key 1 contains whitespace; Heartbeat would silently cut it at the first space, so nodes would use different keys and reject each other's packets; remove the space (a secret is one word)`,
    `${dir}/ha.cf:2: error: keepalive: invalid value "2s": expected a time: seconds ("2", "0.5"), or a number with ms or us ("500ms"); "2s" is not valid`,
    `${dir}/haresources:2: error: IPaddr argument "192.168.1.300/24/eth0": "192.168.1.300" is not a valid IPv4 address: "300" is above 255`,
  ]);
  assert.match(r.out, /3 error\(s\), 0 warning\(s\); configuration not usable/);
});

test("warnings only: exit 1", () => {
  const dir = copyDir(join(repoRoot, "examples", "heartbeat-lvs-dr"), "warn");
  writeFileSync(join(dir, "ha.cf"), "ucast eth0 10.0.0.2\nnode primarylb backuplb\nauto_failback on\n");
  const r = hbctl("verify", dir);
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /ha\.cf:1: warning: only one heartbeat medium and no ping nodes/);
});

test("authkeys readable by others is refused with the mode and the fix", () => {
  const dir = copyDir(join(repoRoot, "examples", "heartbeat-lvs-dr"), "mode", 0o644);
  const r = hbctl("verify", dir);
  assert.equal(r.code, 2);
  assert.match(r.out, /authkeys: error: .*0644.*chmod 600/);
});

test("inert directives are listed as accepted without effect", () => {
  const dir = copyDir(join(repoRoot, "examples", "heartbeat-lvs-dr"), "inert");
  writeFileSync(
    join(dir, "ha.cf"),
    "initdead 60\nucast eth0 10.0.0.2\nucast eth1 10.0.1.2\nnode primarylb backuplb\nmemreserve 6500\nauto_failback on\napiauth ipfail uid=hacluster\n",
  );
  const r = hbctl("verify", dir);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /ha\.cf:5: info: memreserve accepted without effect: /);
  assert.match(r.out, /ha\.cf:7: info: apiauth accepted without effect: /);
});

test("--json report", () => {
  const dir = copyDir(fixturePath("verify", "three-mistakes"), "json");
  const r = hbctl("verify", dir, "--json");
  assert.equal(r.code, 2);
  const j = JSON.parse(r.out);
  assert.equal(j.version, 1);
  assert.equal(j.errors, 3);
  assert.deepEqual(
    j.diagnostics.map((d: { file: string; line: number }) => [d.file.slice(dir.length + 1), d.line]),
    [
      ["authkeys", 2],
      ["ha.cf", 2],
      ["haresources", 2],
    ],
  );
  assert.equal(j.summary, null);
});

test("missing directory: clear errors, exit 2, no stack trace", () => {
  const r = hbctl("verify", join(tmp, "nope"));
  assert.equal(r.code, 2);
  assert.match(r.out, /ha\.cf: error: cannot read ha\.cf: file not found/);
  assert.doesNotMatch(r.out + r.err, /at .*\.js:\d+/);
});

test("unknown option: usage error, exit 2", () => {
  const r = hbctl("verify", "--frobnicate");
  assert.equal(r.code, 2);
  assert.match(r.err, /unknown option '--frobnicate'/);
});

test("--help documents the exit status", () => {
  const r = hbctl("verify", "--help");
  assert.equal(r.code, 0);
  assert.match(r.out, /Exit status: 0 clean, 1 warnings only, 2 errors\./);
});
