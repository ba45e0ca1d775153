// Goal: keep the pure core pure and the dependency direction of docs/ARCHITECTURE.md.
// Method: scan the TypeScript sources for banned imports and calls, per folder.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";
import { repoRoot } from "../../helpers.js";

const src = join(repoRoot, "src");

function files(dir: string): string[] {
  let out: string[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const n of names) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) out = out.concat(files(p));
    else if (n.endsWith(".ts")) out.push(p);
  }
  return out;
}

/** Pure folders, and the adapter files allowed inside them. */
const PURE = ["config", "cib", "policy", "membership", "ipc", "comm", "monitor"];
const ADAPTERS = new Set([
  "config/read.ts",
  "comm/udp.ts",
  "comm/serial.ts",
  "comm/ping.ts",
  "comm/media.ts",
  "comm/capture.ts",
  "monitor/http.ts",
]);

const BANNED: { re: RegExp; what: string }[] = [
  { re: /from\s+"node:(fs|fs\/promises|net|dgram|child_process|timers|os)"/, what: "a system module" },
  { re: /from\s+"(serialport|execa|pino)"/, what: "an I/O package" },
  { re: /\bDate\.now\(/, what: "Date.now()" },
  { re: /\bnew Date\(\)/, what: "new Date() without an argument" },
  { re: /\bMath\.random\(/, what: "Math.random()" },
  { re: /(?<![.\w])set(Timeout|Interval|Immediate)\(/, what: "a timer" }, // ports.timers.setTimeout is the port
  { re: /\bprocess\.(exit|env|argv)\b/, what: "process state" },
  { re: /\bimport\(/, what: "a dynamic import()" },
];

test("pure folders use no I/O, clock, randomness or timers", () => {
  const problems: string[] = [];
  for (const folder of PURE) {
    for (const f of files(join(src, folder))) {
      const rel = relative(src, f);
      if (ADAPTERS.has(rel)) continue;
      const lines = readFileSync(f, "utf8").split("\n");
      lines.forEach((l, i) => {
        if (/^\s*(\/\/|\*)/.test(l)) return;
        for (const b of BANNED)
          if (b.re.test(l)) problems.push(`src/${rel}:${i + 1}: ${b.what}: ${l.trim()}`);
      });
    }
  }
  assert.deepEqual(problems, []);
});

/** folder -> folders it must never import */
const FORBIDDEN: Record<string, string[]> = {
  base: ["config", "cib", "comm", "membership", "policy", "exec", "lvs", "ipc", "sim", "daemon", "cli"],
  cib: ["config", "comm", "membership", "policy", "exec", "lvs", "ipc", "sim", "daemon", "cli"],
  comm: ["membership", "cib", "policy", "exec", "lvs", "sim", "daemon", "cli"],
  membership: ["comm", "cib", "policy", "exec", "lvs", "sim", "daemon", "cli"],
  config: ["comm", "membership", "policy", "exec", "lvs", "sim", "daemon", "cli"],
  policy: ["comm", "membership", "exec", "lvs", "sim", "daemon", "cli", "config"],
  exec: ["comm", "membership", "sim", "daemon", "cli"],
  cli: ["daemon"],
  monitor: ["config", "cib", "comm", "membership", "policy", "exec", "lvs", "ipc", "sim", "daemon", "cli"],
};

test("dependency direction between folders", () => {
  const problems: string[] = [];
  for (const [folder, banned] of Object.entries(FORBIDDEN)) {
    for (const f of files(join(src, folder))) {
      const text = readFileSync(f, "utf8");
      for (const m of text.matchAll(/from\s+"(\.\.?\/[^"]+)"/g)) {
        const target = relative(src, join(f, "..", m[1]!)).split("/")[0]!;
        if (banned.includes(target)) problems.push(`src/${relative(src, f)} imports ${target}: ${m[1]}`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

test("every adapter the purity check exempts exists", () => {
  const missing = [...ADAPTERS].filter((a) => {
    try {
      statSync(join(src, a));
      return false;
    } catch {
      return true;
    }
  });
  assert.deepEqual(missing, []);
});

/** The composed node (issue 14) and the files it is made of: no I/O, clock, randomness or timers of their own. */
const COMPOSED = "daemon/hbd.ts";

/** Relative imports of a file, resolved to src-relative .ts paths. */
function importsOf(rel: string): string[] {
  const text = readFileSync(join(src, rel), "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(/(?:from|import)\s+"(\.\.?\/[^"]+)"/g))
    out.push(relative(src, join(src, rel, "..", m[1]!.replace(/\.js$/, ".ts"))));
  return out;
}

test("the composed node and everything it imports are pure", () => {
  const seen = new Set<string>();
  const queue = [COMPOSED];
  while (queue.length > 0) {
    const f = queue.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    queue.push(...importsOf(f));
  }
  for (const must of ["daemon/node.ts", "daemon/controller.ts", "daemon/r1.ts", "daemon/ipfail.ts"])
    assert.ok(seen.has(must), `${COMPOSED} no longer reaches ${must}: update this test`);
  const problems: string[] = [];
  seen.delete("base/ports.ts"); // the port interfaces themselves (a setTimeout signature)
  for (const rel of [...seen].sort()) {
    readFileSync(join(src, rel), "utf8")
      .split("\n")
      .forEach((l, i) => {
        if (/^\s*(\/\/|\*)/.test(l)) return;
        for (const b of BANNED)
          if (b.re.test(l)) problems.push(`src/${rel}:${i + 1}: ${b.what}: ${l.trim()}`);
      });
  }
  assert.deepEqual(problems, []);
});
