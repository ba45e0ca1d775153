// Goal: hbd as installed (dist/src/bin/hbd.cjs, package.json "bin", the Debian wrapper) is scripts/bundle-bins.mjs's
// CommonJS bundle: one file, no ES module loader, and none of the Node modules hbd does without (issue 15: RSS);
// dist/src/daemon/main.js is its ES module bundle (issue 15 §5: a start reads a handful of files, not ~110). Both
// still reach their lazily loaded parts and the files they find relative to themselves.
// Method: read the built files' static imports and requires; run `hbd --check` with a preload that lists the
// modules Node loaded; run `hbd --version` (package.json, read relative to the file) and `hbd --check` on the
// shipped example (configuration parsing, the agents directory relative to the bundle).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { VERSION } from "../../../src/base/version.js";
import { repoRoot } from "../../helpers.js";

const HBD_ESM = join(repoRoot, "dist", "src", "daemon", "main.js");
const HBD = join(repoRoot, "dist", "src", "bin", "hbd.cjs");
const EXAMPLE = [
  "--check",
  "--config-dir",
  join(repoRoot, "examples", "heartbeat-lvs-dr"),
  "--node",
  "primarylb",
];

/**
 * The specifiers of an ES module bundle's static imports: the statements at its top, after the banner
 * (the bundle is whitespace-minified: `import{a,b}from"x";`, several on one line).
 */
function staticImports(text: string): string[] {
  const out: string[] = [];
  const stmt = /\s*(?:import|export)\s*(?:[^;"'`]*?\bfrom\s*)?"([^"]+)";/y;
  stmt.lastIndex = text.indexOf("\n", text.indexOf("bundled by")) + 1;
  for (let m = stmt.exec(text); m !== null; m = stmt.exec(text)) out.push(m[1] ?? "");
  return out;
}

/** The modules Node had loaded when `hbd args` exited (a CommonJS preload: it starts no ES module loader). */
function loadedModules(
  hbd: string,
  args: string[],
): { status: number | null; modules: string[]; out: string } {
  const dir = mkdtempSync(join(tmpdir(), "tdbundle-"));
  try {
    const list = join(dir, "list.txt");
    const preload = join(dir, "preload.cjs");
    writeFileSync(
      preload,
      `process.on("exit", () => require("node:fs").writeFileSync(${JSON.stringify(list)}, process.moduleLoadList.join("\\n")));\n`,
    );
    const r = spawnSync(process.execPath, ["-r", preload, hbd, ...args], { encoding: "utf8" });
    const modules = readFileSync(list, "utf8").split("\n");
    return { status: r.status, modules, out: `${r.stdout}\n${r.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("the installed hbd is one CommonJS file that requires only Node's modules and packages", () => {
  const text = readFileSync(HBD, "utf8");
  assert.match(
    text,
    /^#!\/usr\/bin\/env node\n"use strict";\n\/\/ tandem: bundled by scripts\/bundle-bins\.mjs\n/,
  );
  assert.doesNotMatch(text, /^\s*import\s*[{*"]/m, "no ES module syntax");
  const required = [...text.matchAll(/\brequire\("([^"]+)"\)/g)].map((m) => m[1] ?? "");
  assert.ok(required.includes("node:dgram"), required.join(", "));
  for (const r of required) assert.match(r, /^(node:[\w/]+|[a-z@][\w@/.-]*)$/, `a relative require: ${r}`);
});

// Node modules hbd does without (issue 15, RSS, measured in a fresh node): the ES module loader (an ES module
// entry: ~2.9 MB), node:crypto (OpenSSL's start-up, ~2.7 MB: heartbeats are signed by comm/digest.ts),
// perf_hooks (behind the global `performance`, ~0.7 MB: base/clock.ts) and fs/promises (FileHandle, streams,
// readline, ~1 MB: base/fs-async.ts).
test("hbd starts no ES module loader and loads neither node:crypto, perf_hooks nor fs/promises", () => {
  for (const f of [HBD, HBD_ESM, ...chunkFiles()]) {
    const text = readFileSync(f, "utf8");
    assert.doesNotMatch(text, /["'](?:node:)?(?:crypto|perf_hooks|fs\/promises)["']/, `${f} imports one`);
    assert.doesNotMatch(text, /\bperformance\.(?:now|timeOrigin)\b/, `${f} uses the global performance`);
  }
  const r = loadedModules(HBD, EXAMPLE);
  assert.equal(r.status, 0, r.out);
  assert.ok(r.modules.includes("NativeModule dgram"), "the list is of this run's modules");
  const unwanted = r.modules.filter((m) =>
    /^NativeModule (?:crypto|perf_hooks|fs\/promises|internal\/fs\/promises|internal\/modules\/esm\/loader)$/.test(
      m,
    ),
  );
  assert.deepEqual(unwanted, []);
  // the check can see them: the ES module bundle starts the loader
  const esm = loadedModules(HBD_ESM, EXAMPLE);
  assert.equal(esm.status, 0, esm.out);
  assert.ok(esm.modules.includes("NativeModule internal/modules/esm/loader"));
});

const chunkFiles = (): string[] =>
  readdirSync(join(repoRoot, "dist", "src", "chunks"))
    .filter((f) => f.endsWith(".js"))
    .map((f) => join(repoRoot, "dist", "src", "chunks", f));

test("dist/src/daemon/main.js is one ES module bundle whose static imports are its chunks, Node's modules and packages", () => {
  const text = readFileSync(HBD_ESM, "utf8");
  assert.match(text, /^#!\/usr\/bin\/env node\n\/\/ tandem: bundled by scripts\/bundle-bins\.mjs\n/);
  const specifiers = staticImports(text);
  assert.ok(specifiers.includes("node:fs"), specifiers.join(", "));
  const local = specifiers.filter((s) => s.startsWith("."));
  assert.ok(local.length > 0 && local.length <= 8, `static local imports: ${local.join(", ")}`);
  for (const s of local) assert.match(s, /^\.\.\/chunks\/[\w-]+\.js$/);
  const chunks = chunkFiles().map((f) => f.slice(f.lastIndexOf("/") + 1));
  for (const s of local) assert.ok(chunks.includes(s.slice("../chunks/".length)), s);
});

for (const [label, hbd] of [
  ["hbd.cjs", HBD],
  ["main.js", HBD_ESM],
] as const) {
  test(`the bundled hbd (${label}) reads package.json and the shipped configuration and agents relative to itself`, () => {
    const v = spawnSync(process.execPath, [hbd, "--version"], { encoding: "utf8" });
    assert.equal(v.status, 0, v.stderr);
    assert.match(v.stdout, new RegExp(`\\b${VERSION.replaceAll(".", "\\.")}\\b`));
    assert.notEqual(VERSION, "unknown");
    const c = spawnSync(process.execPath, [hbd, ...EXAMPLE], { encoding: "utf8" });
    assert.equal(c.status, 0, `${c.stdout}\n${c.stderr}`);
  });
}
