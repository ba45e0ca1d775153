// Goal: the watchdog adapter writes at most one byte per interval while tickled, writes the magic "V" last on close, and refuses a FIFO nobody reads instead of hanging.
// Method: a regular file and a FIFO (mkfifo) in a temp dir stand in for /dev/watchdog (never the real device); the bytes written are read back.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { Watchdog } from "../../../src/daemon/watchdog.js";

const dir = mkdtempSync(join(tmpdir(), "tandem-wd-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("tickles are rate-limited to one per interval and close writes V last", () => {
  const path = join(dir, "wd");
  writeFileSync(path, "");
  const wd = Watchdog.open({ path, intervalMs: 100 });
  for (let t = 0; t <= 1000; t += 10) wd.tickle(t); // 101 calls over 1 s
  assert.equal(wd.tickles, 11);
  wd.close();
  wd.close(); // idempotent
  wd.tickle(5000); // after close: nothing
  assert.equal(readFileSync(path, "utf8"), `${".".repeat(11)}V`);
  assert.equal(wd.isOpen, false);
});

test("abandon stops tickling without the magic V (the watchdog fires)", () => {
  const path = join(dir, "wd2");
  writeFileSync(path, "");
  const wd = Watchdog.open({ path, intervalMs: 10 });
  wd.tickle(0);
  wd.abandon();
  wd.tickle(100);
  wd.close();
  assert.equal(readFileSync(path, "utf8"), ".");
});

test("a FIFO without a reader is refused (ENXIO), not waited on", () => {
  const fifo = join(dir, "fifo");
  execFileSync("mkfifo", [fifo]);
  assert.throws(() => Watchdog.open({ path: fifo, intervalMs: 100 }), /ENXIO/);
});
