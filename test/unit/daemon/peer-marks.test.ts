// Goal: peers' high-water marks survive a restart (issue 13 item 4) and a bad file or a failed write never crashes hbd.
// Method: a real temp state dir; the writer's clock is passed in.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  formatPeerMarks,
  PEER_MARKS_FILE,
  PeerMarksWriter,
  parsePeerMarks,
  readPeerMarks,
} from "../../../src/daemon/peer-marks.js";

const marks = (seq: number) =>
  new Map([
    ["b", { generation: 100, seq }],
    ["c", { generation: 1_800_000_000, seq: 7 }],
  ]);

test("peer marks: format and parse round-trip; torn or bad lines are skipped", () => {
  const text = formatPeerMarks(marks(42));
  assert.equal(text, "b 100 42\nc 1800000000 7\n");
  assert.deepEqual(parsePeerMarks(text), marks(42));
  assert.deepEqual(
    parsePeerMarks("b 100 42\nc 18000\nd x 1\ne -1 2\n"),
    new Map([["b", { generation: 100, seq: 42 }]]),
  );
});

test("peer marks: saved when changed, at most every interval unless forced; read back after a restart", () => {
  const dir = mkdtempSync(join(tmpdir(), "tandem-marks-"));
  try {
    assert.deepEqual(readPeerMarks(dir), { marks: new Map() }, "no file: no marks, no error");
    const errors: string[] = [];
    const w = new PeerMarksWriter(dir, 2000, (m) => errors.push(m));
    w.save(marks(1), 0);
    assert.deepEqual(readPeerMarks(dir).marks, marks(1));
    w.save(marks(2), 1000); // not due
    assert.deepEqual(readPeerMarks(dir).marks, marks(1));
    // not due: the marks are not even formatted (hbd calls save every tick)
    const unreadable = new Map([["n2", { generation: 1, seq: 1 }]]);
    unreadable[Symbol.iterator] = () => assert.fail("formatted before it was due");
    w.save(unreadable, 1999);
    w.save(marks(3), 1500, true); // forced: a peer died, or shutdown
    assert.deepEqual(readPeerMarks(dir).marks, marks(3));
    w.save(marks(4), 3600);
    assert.deepEqual(readPeerMarks(dir).marks, marks(4));
    assert.deepEqual(errors, []);
    writeFileSync(join(dir, PEER_MARKS_FILE), "garbage\n");
    assert.deepEqual(readPeerMarks(dir).marks, new Map());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("peer marks: a failed write or an unreadable file is reported, never thrown", () => {
  const dir = mkdtempSync(join(tmpdir(), "tandem-marks-"));
  try {
    const errors: string[] = [];
    const w = new PeerMarksWriter(
      dir,
      2000,
      (m) => errors.push(m),
      () => {
        throw new Error("ENOSPC: no space left on device");
      },
    );
    w.save(marks(1), 0, true);
    w.save(marks(2), 10); // failed recently: retried only at the next interval
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /cannot save .*hb_peer_marks: ENOSPC/);
    const asDir = join(dir, "state-is-a-file");
    writeFileSync(asDir, "x");
    const r = readPeerMarks(asDir);
    assert.deepEqual(r.marks, new Map());
    assert.match(r.error ?? "", /state-is-a-file\/hb_peer_marks: ENOTDIR/);
    assert.equal(readFileSync(asDir, "utf8"), "x");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
