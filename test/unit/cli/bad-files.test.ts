// Goal: bad input files never crash the commands that read them: an ha.cf line with a bare CR, U+2028
// or U+2029 (hbctl verify, hbd --check), file-system errors other than ENOENT (symlink loop, a path
// under a file, a directory, a FIFO) for hbctl verify and hb-director --check: a clear message naming
// the file, the documented exit code (verify 2, hbd --check 6, hb-director 2), no stack trace, no hang.
// Method: spawn the built commands (black box) on files made in a temp dir; every spawn has a timeout.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { repoRoot } from "../../helpers.js";

const HBCTL = join(repoRoot, "dist", "src", "cli", "main.js");
const HBD = join(repoRoot, "dist", "src", "bin", "hbd.cjs");
const DIRECTOR = join(repoRoot, "dist", "src", "lvs", "main.js");
const tmp = mkdtempSync(join(tmpdir(), "tandem-badfiles-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

function run(bin: string, ...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: repoRoot, encoding: "utf8", timeout: 20_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function noCrash(r: { out: string; err: string }): void {
  assert.doesNotMatch(r.out + r.err, /TypeError| {4}at |internal error|Error: E[A-Z]+:/, r.out + r.err);
}

function exampleDir(name: string): string {
  const d = join(tmp, name);
  cpSync(join(repoRoot, "examples", "heartbeat-lvs-dr"), d, { recursive: true });
  chmodSync(join(d, "authkeys"), 0o600);
  return d;
}

for (const [label, c] of [
  ["bare CR", "\r"],
  ["U+2028", "\u2028"],
  ["U+2029", "\u2029"],
] as const) {
  test(`ha.cf with a ${label} inside a line: hbctl verify and hbd --check report file:line, no TypeError`, () => {
    const d = exampleDir(`cr-${label.replace(/\W/g, "")}`);
    // A CR is whitespace to Heartbeat: "deadtime 1<CR>0" is two values, an error on line 1.
    writeFileSync(
      join(d, "ha.cf"),
      `deadtime 1${c}0\n${execFileSync("cat", [join(d, "ha.cf")], { encoding: "utf8" })}`,
    );
    const v = run(HBCTL, "verify", d, "--node", "primarylb");
    noCrash(v);
    assert.equal(v.code, 2, v.out + v.err);
    assert.match(v.out, new RegExp(`${d}/ha.cf:1: error: deadtime`));
    const h = run(HBD, "--check", "--config-dir", d, "--node", "primarylb");
    noCrash(h);
    assert.equal(h.code, 6, h.out + h.err);
    assert.match(h.err, new RegExp(`hbd: ${d}/ha.cf:1: error: deadtime`));
  });
}

test("hbctl verify: a symlink loop, a path under a file: a message naming the path and the cause, exit 2", () => {
  const loop = join(tmp, "loop");
  symlinkSync(loop, loop);
  const file = join(tmp, "plain");
  writeFileSync(file, "x\n");
  for (const [path, cause] of [
    [loop, /too many levels of symbolic links.*\(ELOOP\)/],
    [join(file, "ha.d"), /a component of the path is a file.*\(ENOTDIR\)/],
  ] as const) {
    const r = run(HBCTL, "verify", path);
    noCrash(r);
    assert.equal(r.code, 2, `${path}: ${r.out}${r.err}`);
    assert.match(r.err + r.out, new RegExp(path.replace(/[/.]/g, "\\$&")));
    assert.match(r.err + r.out, cause);
    const c = run(HBCTL, "verify", "--config", path);
    noCrash(c);
    assert.equal(c.code, 2, `--config ${path}: ${c.out}${c.err}`);
    assert.match(c.out, cause);
  }
});

test("hb-director --check: a FIFO does not hang; missing, directory, loop exit 2 naming the file", () => {
  const fifo = join(tmp, "director.fifo");
  execFileSync("mkfifo", [fifo]);
  const dir = join(tmp, "a-dir");
  mkdirSync(dir);
  const loop = join(tmp, "director-loop");
  symlinkSync(loop, loop);
  for (const [path, what] of [
    [fifo, /is a FIFO, not a regular file/],
    [join(tmp, "missing.cf"), /no such file or directory \(ENOENT\)/],
    [dir, /is a directory, not a regular file/],
    [loop, /too many levels of symbolic links/],
  ] as const) {
    const r = run(DIRECTOR, "--check", "-c", path);
    assert.notEqual(r.code, null, `${path}: timed out (hung)`);
    noCrash(r);
    assert.equal(r.code, 2, `${path}: ${r.out}${r.err}`);
    assert.match(r.err, new RegExp(`hb-director: .*${path.replace(/[/.]/g, "\\$&")}`));
    assert.match(r.err, what);
  }
});
