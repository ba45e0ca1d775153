// Goal: hb-director's --check-reuse takes a whole number >= 1 and refuses anything else with a clear message and exit 2. Method: the real hb-director with --check (nothing is started).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../../../src/lvs/main.js", import.meta.url));

test("--check-reuse: 1 and 10 pass --check; 0, -1, 2.5, abc are usage errors (exit 2) naming the option", () => {
  const dir = mkdtempSync(join(tmpdir(), "tdl-cli-"));
  try {
    const cf = join(dir, "ldirectord.cf");
    writeFileSync(cf, "checkinterval=1\nvirtual=10.0.0.1:80\n\treal=10.0.0.2:80 masq\n\tservice=http\n");
    const run = (v: string) =>
      spawnSync(process.execPath, [MAIN, "-c", cf, "--backend", "nft", "--check", "--check-reuse", v], {
        encoding: "utf8",
      });
    for (const ok of ["1", "10"]) assert.equal(run(ok).status, 0, `${ok}: ${run(ok).stderr}`);
    for (const bad of ["0", "-1", "2.5", "abc"]) {
      const r = run(bad);
      assert.equal(r.status, 2, bad);
      assert.match(r.stderr, /--check-reuse/, bad);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
