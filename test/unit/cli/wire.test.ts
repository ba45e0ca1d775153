// Goal: `hbctl wire decode` as an operator uses it on real Heartbeat captures (JSONL and pcap), with the
// right key and with a wrong one. Method: spawn the built CLI and check exit codes and verdict lines.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fixturePath, readFixture, repoRoot } from "../../helpers.js";

const cli = join(repoRoot, "dist", "src", "cli", "main.js");
const tmp = mkdtempSync(join(tmpdir(), "tandem-wire-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

function keyFile(text: string): string {
  const p = join(tmp, `authkeys-${Math.abs(text.length * 31 + text.charCodeAt(text.length - 2))}`);
  writeFileSync(p, text, { mode: 0o600 });
  return p;
}
const good = keyFile("auth 1\n1 sha1 testsecret\n");
const wrong = keyFile("auth 1\n1 sha1 othersecret\n");

function hbctl(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: repoRoot, encoding: "utf8", input });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test("a real capture verifies with the right key (exit 0)", () => {
  const r = hbctl(["wire", "decode", "-k", good, fixturePath("vectors", "two-nodes-startup-ipaddr.jsonl")]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /190 packets: 190 ok, 0 bad signature, 0 unknown key, 0 malformed/);
  assert.match(
    r.out,
    /#1 \+0\.000s 10\.99\.0\.1:42226 -> 10\.99\.0\.2:694 309B netstring status from node1 seq 1 +OK key 1 sha1/,
  );
});

test("the wrong secret: every packet is a bad signature, with a hint (exit 1)", () => {
  const r = hbctl([
    "wire",
    "decode",
    "-k",
    wrong,
    "--no-fields",
    fixturePath("vectors", "two-nodes-startup-ipaddr.jsonl"),
  ]);
  assert.equal(r.code, 1);
  assert.match(r.out, /190 packets: 0 ok, 190 bad signature/);
  assert.match(r.out, /BAD SIGNATURE/);
});

test("classic-format peer and pcap input", () => {
  const a = hbctl([
    "wire",
    "decode",
    "-k",
    good,
    "--no-fields",
    fixturePath("vectors", "real-node-and-classic-format-peer.jsonl"),
  ]);
  assert.equal(a.code, 0, a.err);
  assert.match(a.out, /117 packets: 117 ok/);
  assert.match(a.out, / classic /);
  const p = hbctl(["wire", "decode", "-k", good, "--no-fields", fixturePath("vectors", "lo-ethernet.pcap")]);
  assert.equal(p.code, 0, p.err);
  assert.match(p.out, /packets: \d+ ok, 0 bad signature/);
});

test("standard input, JSON output", () => {
  const r = hbctl(
    ["wire", "decode", "-k", good, "--json", "-"],
    readFixture("vectors", "two-nodes-startup-ipaddr.jsonl"),
  );
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.equal(j.version, 1);
  assert.equal(j.packets.length, 190);
  assert.ok(j.packets.every((p: { verdict: string }) => p.verdict === "ok"));
});

test("unreadable input and garbage lines: clear messages, no crash", () => {
  const missing = hbctl(["wire", "decode", "-k", good, join(tmp, "nope.pcap")]);
  assert.equal(missing.code, 2);
  assert.match(missing.err, /cannot read .*nope\.pcap: ENOENT/);
  const junk = join(tmp, "junk.jsonl");
  writeFileSync(junk, 'not json\n{"t_ms":0,"src":"1.2.3.4:1","dst":"1.2.3.4:694","hex":"2323230a"}\n');
  const r = hbctl(["wire", "decode", "-k", good, junk]);
  assert.equal(r.code, 1);
  assert.match(r.err, /junk\.jsonl:1: skipped: /);
  assert.match(r.out, /MALFORMED/);
  const nokey = hbctl(["wire", "decode", fixturePath("vectors", "lo-ethernet.pcap")]);
  assert.equal(nokey.code, 2);
  assert.match(nokey.err, /required option '-k, --authkeys <file>' not specified/);
});
