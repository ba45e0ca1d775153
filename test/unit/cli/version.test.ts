// Goal: every program reports the same version (package.json's) and --help/--version exit 0.
// Method: the compiled hbd, hbctl and hb-director run as child processes.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { repoRoot } from "../../helpers.js";

const pkgVersion = (JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string })
  .version;
const PROGRAMS = {
  hbd: join(repoRoot, "dist", "src", "bin", "hbd.cjs"),
  hbctl: join(repoRoot, "dist", "src", "cli", "main.js"),
  "hb-director": join(repoRoot, "dist", "src", "lvs", "main.js"),
};

function run(file: string, args: string[]) {
  const r = spawnSync(process.execPath, [file, ...args], { encoding: "utf8", timeout: 20_000 });
  return { out: r.stdout, err: r.stderr, code: r.status };
}

for (const [name, file] of Object.entries(PROGRAMS)) {
  test(`${name} --version prints package.json's version and exits 0`, () => {
    const r = run(file, ["--version"]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out.trim(), pkgVersion);
  });
  test(`${name} --help exits 0 and shows examples and exit codes`, () => {
    const r = run(file, ["--help"]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`^Usage: ${name} `));
    assert.match(r.out, /\nExamples:\n/);
    assert.match(r.out, /\nExit status[^\n]*:\n/);
  });
}

test("hb-director: an unknown option is a usage error (2)", () => {
  assert.equal(run(PROGRAMS["hb-director"], ["--no-such-option"]).code, 2);
});

test("offline --json documents start with the common header: version 1 (format) and tandem", () => {
  const hbctl = PROGRAMS.hbctl;
  const docs = [
    run(hbctl, ["verify", join(repoRoot, "examples", "heartbeat-lvs-dr"), "--json"]),
    run(hbctl, ["resource", "exec", "ocf:tandem:Dummy", "meta-data", "--json"]),
  ];
  for (const d of docs) {
    const j = JSON.parse(d.out) as Record<string, unknown>;
    assert.deepEqual(Object.keys(j).slice(0, 2), ["version", "tandem"], d.out.slice(0, 200));
    assert.equal(j.version, 1);
    assert.equal(j.tandem, pkgVersion);
  }
});
