// Goal: hbd's state files use Heartbeat's formats, are written atomically and never reuse a generation.
// Method: real files in a temp directory.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  bumpGeneration,
  claimPidFile,
  formatGeneration,
  nodeUuid,
  parseGeneration,
  releasePidFile,
} from "../../../src/daemon/state.js";

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "tdd-state-"));
}

test("hb_generation is 16 bytes: the number right-aligned in 15 columns and a newline", () => {
  assert.equal(formatGeneration(1795250522), "     1795250522\n");
  assert.equal(formatGeneration(7).length, 16);
  assert.equal(parseGeneration("     1795250522\n"), 1795250522);
  assert.equal(parseGeneration("garbage"), undefined);
});

test("the generation starts at time + 1, then goes up by one per start; no temp file is left", () => {
  const dir = tmp();
  try {
    const first = bumpGeneration(dir, "file", 1_700_000_000_500);
    assert.deepEqual(first, { generation: 1_700_000_001 });
    const second = bumpGeneration(dir, "file", 1_600_000_000_000);
    assert.deepEqual(second, { generation: 1_700_000_002, previous: 1_700_000_001 });
    assert.equal(readFileSync(join(dir, "hb_generation"), "latin1"), "     1700000002\n");
    assert.deepEqual(readdirSync(dir), ["hb_generation"]);
    // A file Heartbeat wrote is read the same way.
    writeFileSync(join(dir, "hb_generation"), formatGeneration(42));
    assert.equal(bumpGeneration(dir, "file", 0).generation, 43);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the node UUID is created once (16 raw bytes, mode 0600) and reused; uuidfrom nodename derives it", () => {
  const dir = tmp();
  try {
    const u1 = nodeUuid(dir, "file", "a");
    const u2 = nodeUuid(dir, "file", "a");
    assert.equal(u1.length, 16);
    assert.deepEqual(u1, u2);
    assert.equal(statSync(join(dir, "hb_uuid")).mode & 0o777, 0o600);
    const byName = nodeUuid(dir, "nodename", "node1");
    assert.equal(Buffer.from(byName).toString("latin1"), `node1${"\0".repeat(11)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the pid file refuses a second live hbd, replaces a stale one, and is removed only by its owner", () => {
  const dir = tmp();
  try {
    writeFileSync(join(dir, "hbd.pid"), "999999999\n"); // no such process
    assert.equal(claimPidFile(dir), undefined);
    assert.equal(readFileSync(join(dir, "hbd.pid"), "utf8"), `${process.pid}\n`);
    writeFileSync(join(dir, "hbd.pid"), "1\n"); // init is alive
    assert.equal(claimPidFile(dir), 1);
    releasePidFile(dir);
    assert.equal(readFileSync(join(dir, "hbd.pid"), "utf8"), "1\n", "not ours: kept");
    writeFileSync(join(dir, "hbd.pid"), `${process.pid}\n`);
    releasePidFile(dir);
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
