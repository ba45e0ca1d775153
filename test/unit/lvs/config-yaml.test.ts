// Goal: director.yaml describes the same model as ldirectord.cf, with YAML types and line numbers.
// Method: parse the YAML twin of the example ldirectord.cf and compare models; assert exact diagnostics.
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatDiagnostic } from "../../../src/base/diag.js";
import { parseLdirectordCf } from "../../../src/lvs/config/ldirectord.js";
import { parseDirectorYaml } from "../../../src/lvs/config/yaml.js";
import { readFixture } from "../../helpers.js";

const F = "director.yaml";

/** Drops source positions so models from the two syntaxes can be compared. */
function strip(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(strip);
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (k === "at" || k === "file") continue;
      out[k] = k === "explicit" ? [...(x as string[])].sort() : strip(x);
    }
    return out;
  }
  return v;
}

function diags(text: string): string[] {
  return parseDirectorYaml(text, F).diagnostics.map(formatDiagnostic);
}

test("the YAML twin of the example ldirectord.cf gives the same model", () => {
  const y = parseDirectorYaml(readFixture("lvs", "example-dr.yaml"), F);
  assert.deepEqual(y.diagnostics, []);
  const c = parseLdirectordCf(readFixture("lvs", "example-dr.cf"), "ldirectord.cf");
  assert.deepEqual(c.diagnostics, []);
  assert.deepEqual(strip(y.value), strip(c.value));
  assert.equal(y.value?.virtuals[0]?.reals[1]?.at.line, 11);
  assert.equal(y.value?.virtuals[0]?.at.line, 8);
});

test("YAML values: times with units, lists, booleans, real mappings, fwmark and virtual6", () => {
  const y = parseDirectorYaml(
    `checkinterval: 500ms
emailalert: [a@example.com, b@example.com]
emailalertstatus: [starting, running]
execute: [one.cf, two.cf]
quiescent: true
virtuals:
  - virtual: 7
    real:
      - { address: 10.0.0.2, method: masq, weight: 2, request: "/health", receive: "ok", lower: 1, upper: 9 }
      - 10.0.0.3->10.0.0.4 masq
  - virtual6: "[2001:db8::1]:80"
    checktype: 3
    persistent: 60
    netmask: 64
    real: ["[2001:db8::2]:80 gate"]
`,
    F,
  );
  assert.deepEqual(y.diagnostics.map(formatDiagnostic), []);
  const c = y.value!;
  assert.equal(c.global.checkIntervalMs, 500);
  assert.deepEqual(c.global.emailAlert, ["a@example.com", "b@example.com"]);
  assert.deepEqual(c.global.emailAlertStatus, ["starting", "running"]);
  assert.deepEqual(c.global.execute, ["one.cf", "two.cf"]);
  const [fw, six] = c.virtuals;
  assert.equal(fw?.key, "fwm:7");
  assert.equal(fw?.quiescent, true);
  assert.deepEqual(
    fw?.reals.map((r) => [
      r.ip,
      r.port,
      r.method,
      r.weight,
      r.request,
      r.receive,
      r.lowerThreshold,
      r.upperThreshold,
    ]),
    [
      ["10.0.0.2", 0, "masq", 2, "/health", "ok", 1, 9],
      ["10.0.0.3", 0, "masq", 1, undefined, undefined, 0, 0],
      ["10.0.0.4", 0, "masq", 1, undefined, undefined, 0, 0],
    ],
  );
  assert.equal(six?.key, "tcp:[2001:db8::1]:80");
  assert.deepEqual([six?.check.type, six?.check.negotiateEvery, six?.netmask], ["combined", 3, "64"]);
});

test("YAML errors carry their line: shape (zod), values (shared checks), syntax", () => {
  assert.deepEqual(diags("checkinterval: 1\nfrobnicate: 2\nvirtuals: []\n"), [
    `${F}:2: error: frobnicate: unknown setting "frobnicate"`,
  ]);
  assert.deepEqual(diags("quiescent: maybe\n"), [`${F}:1: error: quiescent: expected boolean`]);
  assert.deepEqual(
    diags("virtuals:\n  - virtual: 10.0.0.1:80\n    real:\n      - { address: 10.0.0.2, method: nat }\n"),
    [`${F}:4: error: virtuals[0].real[0]: does not match any accepted form`],
  );
  assert.deepEqual(
    diags("virtuals:\n  - virtual: 10.0.0.1:80\n    scheduler: WRR\n    real:\n      - 10.0.0.2 gate x\n"),
    [
      `${F}:3: error: invalid scheduler "WRR", should be only lowercase letters (a-z)`,
      `${F}:5: error: Invalid real server line, around "x"`,
    ],
  );
  assert.deepEqual(diags("checktimeout: 0\nvirtuals:\n  - scheduler: rr\n"), [
    `${F}:1: error: checktimeout must be a positive number of seconds, not "0"`,
    `${F}:3: error: virtuals[0]: give exactly one of virtual or virtual6`,
  ]);
  assert.deepEqual(diags("virtuals:\n  - virtual: 10.0.0.1:80\n  - virtual: 10.0.0.1:80\n"), [
    `${F}:3: error: duplicate virtual server tcp:10.0.0.1:80 (first defined at line 2)`,
  ]);
  assert.deepEqual(diags("a: [1\n"), [
    `${F}:2: error: YAML syntax: Flow sequence in block collection must be sufficiently indented and end with a ]`,
  ]);
});
