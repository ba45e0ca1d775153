#!/usr/bin/env node
// Runs every compiled test file under dist/test with node:test.
// Node 20's `node --test DIR` or a quoted glob can silently find 0 files, so the
// files are listed here explicitly. A run that finds no test file fails.
// Usage: node scripts/run-tests.mjs [--e2e] [substring-filter...]
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const args = process.argv.slice(2);
const e2e = args.includes("--e2e");
const allowEmpty = args.includes("--allow-empty");
const filters = args.filter((a) => !a.startsWith("--"));

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith(".test.js")) out.push(p);
  }
  return out;
}

const testRoot = join(root, "dist", "test");
let files = walk(testRoot)
  .map((f) => relative(root, f))
  .sort();
files = files.filter((f) => (e2e ? f.includes("/e2e/") : !f.includes("/e2e/")));
if (filters.length > 0) files = files.filter((f) => filters.some((s) => f.includes(s)));
if (files.length === 0 && allowEmpty) {
  console.log("run-tests: no test files in this selection");
  process.exit(0);
}
if (files.length === 0) {
  console.error("run-tests: no test files found under dist/test (did the build run?)");
  process.exit(1);
}
const r = spawnSync(
  process.execPath,
  ["--test", `--test-reporter=${process.env.TEST_REPORTER ?? "tap"}`, ...files],
  {
    cwd: root,
    stdio: "inherit",
  },
);
process.exit(r.status ?? 1);
