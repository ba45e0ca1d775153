// Goal: schedule() agrees with real Pacemaker 2.1.5 on every golden scenario.
// Method: parse each fixture CIB, schedule at the oracle's fixed clock, render `# oracle v1` and compare with the .expected text exactly.
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { test } from "node:test";
import { parseCib } from "../../../src/cib/index.js";
import { renderOracle, schedule } from "../../../src/policy/index.js";
import { fixturePath, readFixture } from "../../helpers.js";

/** shared/tools/oracle/oracle.sh fixes crm_simulate's clock here. */
const ORACLE_NOW = Date.parse("2024-01-01T00:00:00Z");

function run(dir: string, name: string, now = ORACLE_NOW, all = false): string {
  const parsed = parseCib(readFixture(dir, `${name}.xml`), `${name}.xml`);
  assert.ok(parsed.value, `${name}: ${parsed.diagnostics.map((d) => d.message).join("; ")}`);
  return renderOracle(schedule(parsed.value, now), parsed.value, { name, all });
}

const MIN_FIXTURES: Readonly<Record<string, number>> = { policy: 32, "policy-extra": 67, "policy-i17": 15 };

for (const dir of ["policy", "policy-extra", "policy-i17"]) {
  const names = readdirSync(fixturePath(dir))
    .filter((f) => f.endsWith(".xml"))
    .map((f) => f.slice(0, -4))
    .sort();
  test(`${dir}: fixtures present`, () => assert.ok(names.length >= (MIN_FIXTURES[dir] ?? 1)));
  for (const name of names)
    test(`${dir}/${name}`, () => assert.equal(run(dir, name), readFixture(dir, `${name}.expected`)));
  // NAME.all.expected: oracle.sh --all (probes and recurring monitors too), where they are the point.
  for (const name of names.filter((n) => existsSync(fixturePath(dir, `${n}.all.expected`))))
    test(`${dir}/${name} --all`, () =>
      assert.equal(run(dir, name, ORACLE_NOW, true), readFixture(dir, `${name}.all.expected`)));
}

test("policy-extra/y10 one second later: the failure has expired, vip stays on n1", () => {
  const name = "y10-failure-timeout-boundary";
  assert.equal(
    run("policy-extra", name, ORACLE_NOW + 1000),
    readFixture("policy-extra", `${name}.later.expected`),
  );
});
