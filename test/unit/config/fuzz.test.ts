// Goal: no config parser throws, whatever the bytes; every problem is a diagnostic with the file and a line in it.
// Method: fast-check properties over arbitrary text and valid files mutated with control characters
// (test/config-fuzz.ts), a bounded number of seeded runs per parser; `npm run bench:fuzz` runs longer.
// Plus the adversarial run's exact crash: an ha.cf line with a bare CR, U+2028 or U+2029.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { parseHaCf } from "../../../src/config/hacf.js";
import { checkParse, fuzzTargets, inputArb } from "../../config-fuzz.js";

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);

for (const target of fuzzTargets()) {
  test(`fuzz ${target.name}: never throws, every diagnostic has file and line`, () => {
    fc.assert(
      fc.property(inputArb(target), (text) => checkParse(target, text)),
      { numRuns: RUNS, seed: 13 },
    );
  });
}

for (const [label, c] of [
  ["bare CR", "\r"],
  ["U+2028", "\u2028"],
  ["U+2029", "\u2029"],
  ["NEL", "\u0085"],
] as const) {
  test(`ha.cf: a line with a ${label} inside is parsed (as whitespace, like Heartbeat) or refused with file:line, never a throw`, () => {
    const text = `node a b\nkeepalive 1${c}\ndeadtime${c}10\nucast eth0 10.0.0.1${c}x\n`;
    const r = parseHaCf(text, "ha.cf", { localNode: "a" });
    for (const d of r.diagnostics) assert.ok(d.line >= 0 && d.line <= 5, `${d.line}: ${d.message}`);
    assert.equal(r.value.nodes.join(","), "a,b");
  });
}

test("a directive named like an Object.prototype member is an unknown directive with a message, not a lookup of the prototype", () => {
  for (const target of fuzzTargets()) {
    for (const name of ["toString", "constructor", "__proto__", "hasOwnProperty"]) {
      for (const text of [name, `${name} x`, `${name}=x`, `${name}: x`]) checkParse(target, text);
    }
  }
});

test("YAML: an alias before its anchor, or an alias bomb, is a diagnostic, not a ReferenceError (found by bench:fuzz)", () => {
  const bomb = `a: &a [x, x, x, x, x, x, x, x, x]\n${Array.from(
    { length: 8 },
    (_, i) =>
      `${"bcdefghi"[i]}: &${"bcdefghi"[i]} [${Array(9)
        .fill(`*${i === 0 ? "a" : "bcdefghi"[i - 1]}`)
        .join(", ")}]`,
  ).join("\n")}\n`;
  for (const target of fuzzTargets().filter((t) => t.name.endsWith(".yaml"))) {
    for (const text of ["*\u0000", "*a", "x: *undefined\n", bomb]) checkParse(target, text);
  }
});
