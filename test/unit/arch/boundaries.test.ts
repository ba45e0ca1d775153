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
  "comm/transport-udp.ts",
  "comm/transport-serial.ts",
  "comm/transport-ping.ts",
  "monitor/http.ts",
]);

const BANNED: { re: RegExp; what: string }[] = [
  { re: /from\s+"node:(fs|fs\/promises|net|dgram|child_process|timers|os)"/, what: "a system module" },
  { re: /from\s+"(serialport|execa|pino)"/, what: "an I/O package" },
  { re: /\bDate\.now\(/, what: "Date.now()" },
  { re: /\bnew Date\(\)/, what: "new Date() without an argument" },
  { re: /\bMath\.random\(/, what: "Math.random()" },
  { re: /\bset(Timeout|Interval|Immediate)\(/, what: "a timer" },
  { re: /\bprocess\.(exit|env|argv)\b/, what: "process state" },
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
