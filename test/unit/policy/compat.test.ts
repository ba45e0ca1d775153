// Goal: a CIB using a feature Tandem's engine decides differently from Pacemaker (issue 17 rows 11-14)
// gets a warning from `hbctl simulate`, and the difference is exactly the documented one.
// Method: test/fixtures/policy-differs holds one CIB per row with real crm_simulate's output (.expected,
// from scripts/policy-oracle/oracle.sh) and Tandem's (.tandem); the golden scenarios get no warning.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parseCib } from "../../../src/cib/parse.js";
import { type CompatNote, compatNotes } from "../../../src/policy/compat.js";
import { fixturePath, readFixture, repoRoot } from "../../helpers.js";

const cli = join(repoRoot, "dist", "src", "cli", "main.js");
const NOW = "2024-01-01T00:00:00Z";
const cib = (text: string) => {
  const p = parseCib(text, "t.xml");
  assert.ok(p.value, p.diagnostics.map((d) => d.message).join("; "));
  return p.value;
};

const CASES: readonly [string, CompatNote["row"], RegExp][] = [
  ["d11-allow-migrate", 11, /vm has allow-migrate=true: Pacemaker would move it live/],
  ["d12-group-loose", 12, /group g has collocated=false and ordered=false/],
  ["d13-unique-clone", 13, /clone c is globally-unique with clone-node-max=2/],
];

test("rows 11-13: simulate warns, prints Tandem's decision, and it differs from Pacemaker's as documented", () => {
  for (const [name, row, re] of CASES) {
    const notes = compatNotes(cib(readFixture("policy-differs", `${name}.xml`)));
    assert.deepEqual(
      notes.map((n) => n.row),
      [row],
      name,
    );
    const r = spawnSync(
      process.execPath,
      [cli, "simulate", fixturePath("policy-differs", `${name}.xml`), "--now", NOW],
      {
        encoding: "utf8",
      },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /warning: differs from Pacemaker: /, name);
    assert.match(r.stderr, re, name);
    assert.equal(r.stdout, readFixture("policy-differs", `${name}.tandem`), name);
    assert.notEqual(
      r.stdout,
      readFixture("policy-differs", `${name}.expected`),
      `${name}: Pacemaker decides otherwise`,
    );
  }
  const json = spawnSync(
    process.execPath,
    [cli, "simulate", fixturePath("policy-differs", "d11-allow-migrate.xml"), "--json", "--now", NOW],
    { encoding: "utf8" },
  );
  assert.deepEqual(
    JSON.parse(json.stdout).differences.map((d: { row: number }) => d.row),
    [11],
  );
});

test("row 11 through rsc_defaults, row 12 with only ordered=false; true values warn nothing", () => {
  const base = readFixture("policy-differs", "d11-allow-migrate.xml");
  const viaDefaults = base
    .replace(
      '<nvpair id="vm-am" name="allow-migrate" value="true"/>',
      '<nvpair id="vm-x" name="priority" value="1"/>',
    )
    .replace(
      "</configuration>",
      '<rsc_defaults><meta_attributes id="rd"><nvpair id="rd-am" name="allow-migrate" value="yes"/></meta_attributes></rsc_defaults></configuration>',
    );
  assert.deepEqual(
    compatNotes(cib(viaDefaults)).map((n) => n.rsc),
    ["vm"],
  );
  assert.deepEqual(
    compatNotes(cib(base.replace('name="allow-migrate" value="true"', 'name="allow-migrate" value="false"'))),
    [],
  );
  const group = readFixture("policy-differs", "d12-group-loose.xml");
  const orderedOnly = compatNotes(
    cib(group.replace('name="collocated" value="false"', 'name="collocated" value="true"')),
  );
  assert.match(orderedOnly[0]?.message ?? "", /has ordered=false:/);
  assert.deepEqual(compatNotes(cib(group.replaceAll('value="false"', 'value="true"'))), []);
  const clone = readFixture("policy-differs", "d13-unique-clone.xml");
  assert.deepEqual(
    compatNotes(cib(clone.replace('name="clone-node-max" value="2"', 'name="clone-node-max" value="1"'))),
    [],
  );
});

test("row 14: a cloned group's finite colocation or surplus; not a cloned primitive's, nor a negative score on the clone", () => {
  const clone = readFixture("policy-differs", "d13-unique-clone.xml").replace(
    'name="globally-unique" value="true"',
    'name="globally-unique" value="false"',
  );
  assert.deepEqual(compatNotes(cib(clone)), []);
  const withVip = clone
    .replace(
      "</resources>",
      '<primitive id="vip" class="ocf" provider="heartbeat" type="IPaddr"/></resources>',
    )
    .replace(
      "<constraints>",
      '<constraints><rsc_colocation id="vip-with-c" rsc="vip" with-rsc="c" score="50"/><rsc_location id="c-not-n1" rsc="c" node="n1" score="-100"/>',
    );
  // a cloned primitive's finite colocation applies per instance as in Pacemaker (policy-i17/r14b*)
  assert.deepEqual(compatNotes(cib(withVip)), []);
  // a cloned group's is not checked against Pacemaker: warned
  const groupVip = withVip
    .replace('<primitive id="d"', '<group id="g"><primitive id="d"')
    .replace("</primitive></clone>", "</primitive></group></clone>");
  const notes = compatNotes(cib(groupVip));
  assert.equal(notes.length, 1);
  assert.equal(notes[0]?.row, 14);
  assert.match(notes[0]?.message ?? "", /clone c has a finite colocation \(vip-with-c\): /);
  // a negative score on the clone alone agrees with Pacemaker (policy-i17/r14c): no warning
  assert.deepEqual(compatNotes(cib(groupVip.replace(/<rsc_colocation id="vip-with-c"[^>]*\/>/, ""))), []);
  const mandatory = withVip
    .replace('score="50"', 'score="INFINITY"')
    .replace('score="-100"', 'score="-INFINITY"');
  assert.deepEqual(compatNotes(cib(mandatory)), []);
  // clone-max 1 and the instance running on both nodes: more active than clone-max
  const run = (n: number, call: number) =>
    `<lrm_resource id="d" class="ocf" provider="pacemaker" type="Dummy"><lrm_rsc_op id="d_last_0" operation="start" call-id="${call}" rc-code="0" op-status="0" interval="0" on_node="n${n}"/></lrm_resource>`;
  const surplus = clone
    .replace('name="clone-max" value="4"', 'name="clone-max" value="1"')
    .replace('<lrm id="1"><lrm_resources>', `<lrm id="1"><lrm_resources>${run(1, 5)}`)
    .replace('<lrm id="2"><lrm_resources>', `<lrm id="2"><lrm_resources>${run(2, 6)}`);
  // a cloned primitive's surplus is stopped as Pacemaker does (policy-i17/r14a*): no warning
  assert.deepEqual(compatNotes(cib(surplus)), []);
  // a cloned group's surplus is not checked against Pacemaker: still warned
  const groupSurplus = surplus
    .replace('<primitive id="d"', '<group id="g"><primitive id="d"')
    .replace("</primitive></clone>", "</primitive></group></clone>");
  assert.match(compatNotes(cib(groupSurplus))[0]?.message ?? "", /more active instances than clone-max=1/);
});

test("the golden scenarios (all decided as Pacemaker does) get no warning", () => {
  for (const dir of ["policy", "policy-extra", "policy-i17"])
    for (const f of readdirSync(fixturePath(dir)).filter((x) => x.endsWith(".xml")))
      assert.deepEqual(compatNotes(cib(readFixture(dir, f))), [], `${dir}/${f}`);
});
