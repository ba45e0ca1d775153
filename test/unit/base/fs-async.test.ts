// Goal: the promise wrappers over node:fs's callbacks resolve with what fs gives and reject with its errors.
import assert from "node:assert/strict";
import { constants, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { access, readdir, readFile, stat } from "../../../src/base/fs-async.js";

test("stat, access, readdir and readFile resolve and reject as node:fs does", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tdfs-"));
  try {
    writeFileSync(join(dir, "a.txt"), "hello\n", { mode: 0o644 });
    assert.equal((await stat(join(dir, "a.txt"))).size, 6);
    await access(join(dir, "a.txt"), constants.R_OK);
    await assert.rejects(access(join(dir, "a.txt"), constants.X_OK), { code: "EACCES" });
    assert.deepEqual(await readdir(dir), ["a.txt"]);
    assert.equal(await readFile(join(dir, "a.txt"), "utf8"), "hello\n");
    await assert.rejects(stat(join(dir, "missing")), { code: "ENOENT" });
    await assert.rejects(readFile(join(dir, "missing"), "utf8"), { code: "ENOENT" });
    await assert.rejects(readdir(join(dir, "missing")), { code: "ENOENT" });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
