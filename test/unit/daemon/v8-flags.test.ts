// Goal: hbd's run-time V8 setting keeps the young generation at its initial size (issue 15 footprint: ~12 MB of RSS at keepalive 10 ms).
// Method: a real node process that imports the module hbd imports first, allocates short-lived garbage as a busy hbd does, and reports the new space's size; the same without the module grows.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { repoRoot } from "../../helpers.js";

const MODULE = pathToFileURL(join(repoRoot, "dist", "src", "daemon", "v8-flags.js")).href;

function newSpaceMb(withFlags: boolean): number {
  const script = `${withFlags ? `await import(${JSON.stringify(MODULE)});` : ""}
    const v8 = await import("node:v8");
    let keep = [];
    for (let i = 0; i < 2e6; i++) { keep.push({ i, s: "x" + i }); if (keep.length > 2000) keep = []; }
    const ns = v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space");
    console.log(ns.space_size / 1048576);`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return Number(r.stdout.trim());
}

test("v8-flags: the young generation stays at its initial size under steady allocation", () => {
  const grown = newSpaceMb(false);
  const kept = newSpaceMb(true);
  assert.ok(kept <= 2, `new space ${kept} MB with hbd's flags`);
  assert.ok(grown > kept, `without them it grows (${grown} MB): the check can tell`);
});

/**
 * How a hot function ends up compiled after applyTimingFlags(keepaliveMs) (and `extra` V8 flags set
 * after it): "turbofan", "baseline" (Sparkplug) or "interpreted".
 */
function tier(keepaliveMs: number, extra = ""): string {
  const script = `const { applyTimingFlags } = await import(${JSON.stringify(MODULE)});
    applyTimingFlags(${keepaliveMs});
    ${extra === "" ? "" : `(await import("node:v8")).setFlagsFromString(${JSON.stringify(extra)});`}
    function hot(x) { let s = 0; for (let i = 0; i < 100; i++) s += (x * i) % 7; return s; }
    let t = 0;
    for (let i = 0; i < 200000; i++) t += hot(i);
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline && (%GetOptimizationStatus(hot) & 64) === 0) for (let i = 0; i < 10000; i++) t += hot(i);
    for (let i = 0; i < 200000; i++) t += hot(i);
    // %GetOptimizationStatus bits (V8 11.3, Node 20): 64 kTurboFanned, 32768 kBaseline (Sparkplug code)
    const st = %GetOptimizationStatus(hot);
    console.log((st & 64) !== 0 ? "turbofan" : (st & 32768) !== 0 ? "baseline" : "interpreted", t > 0);`;
  const r = spawnSync(process.execPath, ["--allow-natives-syntax", "--input-type=module", "-e", script], {
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split(" ")[0] ?? "";
}

test("v8-flags: the interpreter only from keepalive 500 ms (RSS), TurboFan kept at fast timings (CPU)", () => {
  assert.equal(tier(1000), "interpreted", "keepalive 1 s: no compiled code");
  assert.equal(tier(10), "turbofan", "keepalive 10 ms: hot code is optimised (the check can tell)");
  assert.equal(tier(10, "--max-opt=1"), "baseline", "the check can tell Sparkplug's code too");
});
