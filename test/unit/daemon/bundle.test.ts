// Goal: the built hbd (dist/src/daemon/main.js) is scripts/bundle-bins.mjs's ES module bundle (issue 15 §5: a start reads a handful of files, not ~110), and the bundle still reaches its lazily loaded parts and the files it finds relative to itself.
// Method: read the built file's static imports; run `hbd --version` (package.json, read relative to import.meta.url) and `hbd --check` on the shipped example (configuration parsing, the agents directory relative to the bundle).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { VERSION } from "../../../src/base/version.js";
import { repoRoot } from "../../helpers.js";

const HBD = join(repoRoot, "dist", "src", "daemon", "main.js");

test("hbd is one bundle whose static imports are its chunks, Node's modules and packages", () => {
  const text = readFileSync(HBD, "utf8");
  assert.match(text, /^#!\/usr\/bin\/env node\n\/\/ tandem: bundled by scripts\/bundle-bins\.mjs\n/);
  const specifiers = staticImports(text);
  assert.ok(specifiers.includes("node:fs"), specifiers.join(", "));
  const local = specifiers.filter((s) => s.startsWith("."));
  assert.ok(local.length > 0 && local.length <= 8, `static local imports: ${local.join(", ")}`);
  for (const s of local) assert.match(s, /^\.\.\/chunks\/[\w-]+\.js$/);
  const chunks = readdirSync(join(repoRoot, "dist", "src", "chunks")).filter((f) => f.endsWith(".js"));
  for (const s of local) assert.ok(chunks.includes(s.slice("../chunks/".length)), s);
});

/**
 * The specifiers of the bundle's static imports: the statements at its top, after the banner
 * (the bundle is whitespace-minified: `import{a,b}from"x";`, several on one line).
 */
function staticImports(text: string): string[] {
  const out: string[] = [];
  const stmt = /\s*(?:import|export)\s*(?:[^;"'`]*?\bfrom\s*)?"([^"]+)";/y;
  stmt.lastIndex = text.indexOf("\n", text.indexOf("bundled by")) + 1;
  for (let m = stmt.exec(text); m !== null; m = stmt.exec(text)) out.push(m[1] ?? "");
  return out;
}

test("hbd does not load node:crypto (OpenSSL's start-up is ~2.7 MB of RSS: heartbeats are signed by comm/digest.ts)", () => {
  const files = [
    HBD,
    ...readdirSync(join(repoRoot, "dist", "src", "chunks"))
      .filter((f) => f.endsWith(".js"))
      .map((f) => join(repoRoot, "dist", "src", "chunks", f)),
  ];
  for (const f of files) {
    const text = readFileSync(f, "utf8");
    assert.doesNotMatch(text, /["'](?:node:)?crypto["']/, `${f} imports crypto`);
  }
  // and at run time: the modules an hbd --check (configuration, keys, digest) has loaded
  const r = spawnSync(
    process.execPath,
    [
      "--import",
      "data:text/javascript,process.on('exit',()=>{if(process.moduleLoadList.some(m=>/\\bcrypto\\b/.test(m)))process.exitCode=99})",
      HBD,
      "--check",
      "--config-dir",
      join(repoRoot, "examples", "heartbeat-lvs-dr"),
      "--node",
      "primarylb",
    ],
    { encoding: "utf8" },
  );
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
});

test("the bundled hbd reads package.json and the shipped configuration and agents relative to itself", () => {
  const v = spawnSync(process.execPath, [HBD, "--version"], { encoding: "utf8" });
  assert.equal(v.status, 0, v.stderr);
  assert.match(v.stdout, new RegExp(`\\b${VERSION.replaceAll(".", "\\.")}\\b`));
  assert.notEqual(VERSION, "unknown");
  const c = spawnSync(
    process.execPath,
    [HBD, "--check", "--config-dir", join(repoRoot, "examples", "heartbeat-lvs-dr"), "--node", "primarylb"],
    { encoding: "utf8" },
  );
  assert.equal(c.status, 0, `${c.stdout}\n${c.stderr}`);
});
