// Goal: the host probes of config/read.ts never throw: a state dir that is a file (ENOTDIR) or a path we may
// not look at counts as absent, so hbd reaches its own start-up checks (exit 7) instead of dying in a probe.
// Method: a temp dir where state/ is a regular file.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { readHost } from "../../../src/config/read.js";

test("readHost: CIB candidates under a file are absent, not an exception", () => {
  const dir = mkdtempSync(join(tmpdir(), "tandem-readhost-"));
  try {
    writeFileSync(join(dir, "state"), "not a directory");
    const host = readHost({
      configDir: dir,
      stateDir: join(dir, "state"),
      heartbeatCib: join(dir, "state", "crm", "cib.xml"),
    });
    assert.deepEqual(
      host.cibCandidates.map((c) => c.exists),
      [false, false, false],
    );
    assert.equal(host.exists(join(dir, "state", "x")), false);
    assert.match(host.watchdogProblem(join(dir, "state", "dev")) ?? "", /cannot be checked|no such/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
