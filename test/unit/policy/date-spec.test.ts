// Goal: date_spec rules are evaluated (issue 17 row 10), and a date_expression Tandem cannot evaluate refuses the CIB.
// Method: dateSpecMatches on fixed UTC instants; parseCib on a CIB with a moon date_spec and an unknown operation.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseCib } from "../../../src/cib/index.js";
import { dateSpecMatches } from "../../../src/policy/rules.js";

const MON = Date.parse("2024-01-01T00:00:00Z"); // a Monday, ISO week 1 of 2024
const SAT_NOON = Date.parse("2024-01-06T12:30:15Z");

test("date_spec fields, ranges and lists (UTC)", () => {
  assert.equal(dateSpecMatches({ weekdays: "1-5" }, MON), true);
  assert.equal(dateSpecMatches({ weekdays: "1-5" }, SAT_NOON), false);
  assert.equal(dateSpecMatches({ weekdays: "6-7" }, SAT_NOON), true);
  assert.equal(dateSpecMatches({ hours: "9-16", weekdays: "6" }, SAT_NOON), true);
  assert.equal(dateSpecMatches({ hours: "0-8" }, SAT_NOON), false);
  assert.equal(dateSpecMatches({ minutes: "30", seconds: "15" }, SAT_NOON), true);
  assert.equal(dateSpecMatches({ monthdays: "1,6" }, SAT_NOON), true);
  assert.equal(dateSpecMatches({ yeardays: "6", months: "1", years: "2024" }, SAT_NOON), true);
  assert.equal(dateSpecMatches({ weeks: "1", weekyears: "2024" }, MON), true);
  assert.equal(dateSpecMatches({ years: "2025-" }, MON), false);
  assert.equal(dateSpecMatches({ years: "-2024" }, MON), true);
  assert.equal(dateSpecMatches({}, MON), true);
});

function cibWith(dateExpression: string): string {
  return `<cib><configuration><crm_config/><nodes><node id="1" uname="n1"/></nodes>
<resources><primitive id="A" class="ocf" provider="pacemaker" type="Dummy"/></resources>
<constraints>
<rsc_location id="l" rsc="A"><rule id="r" score="100">
${dateExpression}
</rule></rsc_location>
</constraints></configuration><status/></cib>`;
}

test("a date_expression that cannot be evaluated is an error with its line, never a silent false", () => {
  for (const [expr, re] of [
    ['<date_expression id="d" operation="date_spec"><date_spec id="s" moon="4"/></date_expression>', /moon/],
    ['<date_expression id="d" operation="sometimes"/>', /unknown operation "sometimes"/],
    ['<date_expression id="d" operation="date_spec"/>', /without a <date_spec>/],
  ] as const) {
    const r = parseCib(cibWith(expr), "c.xml");
    const e = r.diagnostics.find((d) => d.code === "cib.unsupported-date-expression");
    assert.ok(e, expr);
    assert.equal(e.severity, "error");
    assert.equal(e.line, 5);
    assert.match(e.message, re);
  }
  const fine = parseCib(
    cibWith(
      '<date_expression id="d" operation="date_spec"><date_spec id="s" weekdays="1-5"/></date_expression>',
    ),
    "c.xml",
  );
  assert.equal(fine.diagnostics.filter((d) => d.severity === "error").length, 0);
});
