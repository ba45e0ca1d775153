#!/usr/bin/env node
// Usage: node scripts/policy-simulate-many.mjs NOW_ISO FILE.xml...
// Runs Tandem's policy engine (dist/, build first) on each CIB in one process
// and writes FILE.tandem next to it in the `# oracle v1` format (as `hbctl
// simulate --now NOW_ISO FILE` prints it), or FILE.tandem-error. Used by
// scripts/policy-random.py to compare thousands of CIBs with crm_simulate.
import { readFileSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import { parseCib } from "../dist/src/cib/index.js";
import { renderOracle, schedule } from "../dist/src/policy/index.js";

const [nowIso, ...files] = process.argv.slice(2);
const now = Date.parse(nowIso ?? "");
if (Number.isNaN(now) || files.length === 0) {
  console.error("usage: policy-simulate-many.mjs NOW_ISO FILE.xml...");
  process.exit(2);
}
for (const file of files) {
  try {
    const parsed = parseCib(readFileSync(file, "utf8"), file);
    const errors = parsed.diagnostics.filter((d) => d.severity === "error");
    if (!parsed.value || errors.length > 0) throw new Error(errors.map((d) => d.message).join("; "));
    const name = basename(file).replace(/\.xml$/, "");
    writeFileSync(`${file}.tandem`, renderOracle(schedule(parsed.value, now), parsed.value, { name }));
  } catch (e) {
    writeFileSync(`${file}.tandem-error`, String(e instanceof Error ? e.stack : e));
  }
}
