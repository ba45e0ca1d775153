// Goal: parseCib/serializeCib read every policy scenario without diagnostics, round-trip to an equal model, keep unknown content, and report invalid CIBs with exact path-and-id messages. Method: fixtures from test/fixtures/policy and test/fixtures/cib, plus small inline documents.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { formatDiagnostic } from "../../../src/base/diag.js";
import type { Cib } from "../../../src/cib/model.js";
import { parseCib } from "../../../src/cib/parse.js";
import { INFINITY } from "../../../src/cib/score.js";
import { serializeCib } from "../../../src/cib/serialize.js";
import { fixturePath, readFixture } from "../../helpers.js";

const scenarios = readdirSync(fixturePath("policy"))
  .filter((f) => f.endsWith(".xml"))
  .sort();

function mustParse(xml: string, file = "test.xml"): Cib {
  const p = parseCib(xml, file);
  assert.deepEqual(p.diagnostics.map(formatDiagnostic), []);
  assert.ok(p.value);
  return p.value;
}

test("all 32 policy scenarios parse without diagnostics and round-trip", () => {
  assert.equal(scenarios.length, 32);
  for (const f of scenarios) {
    const cib = mustParse(readFixture("policy", f), f);
    const text = serializeCib(cib);
    const again = mustParse(text, `${f} (re-serialised)`);
    assert.deepEqual(again, cib, f);
    assert.equal(serializeCib(again), text, `${f}: serialisation is stable`);
    assert.ok(cib.configuration.resources.length > 0, f);
    assert.ok(cib.status.length > 0, f);
  }
});

test("scenario 18: rule with boolean-op or, not_defined and a typed lte", () => {
  const cib = mustParse(readFixture("policy", "18-pingd-connectivity-rule.xml"));
  const [loc] = cib.configuration.constraints.locations;
  assert.deepEqual(loc, {
    id: "loc-connected",
    rsc: "lvs-group",
    rules: [
      {
        id: "loc-connected-rule",
        score: -INFINITY,
        booleanOp: "or",
        items: [
          { kind: "expression", id: "loc-connected-e1", attribute: "pingd", operation: "not_defined" },
          {
            kind: "expression",
            id: "loc-connected-e2",
            attribute: "pingd",
            operation: "lte",
            value: "0",
            type: "number",
          },
        ],
      },
    ],
  });
  const n1 = cib.status[0];
  assert.equal(n1?.transientId, "1");
  assert.deepEqual(n1?.transientAttributes[0]?.nvpairs, [
    { id: "status-1-pingd", name: "pingd", value: "0" },
  ]);
});

test("scenario 23: clone, group members, colocation and order with defaults resolved", () => {
  const cib = mustParse(readFixture("policy", "23-clone-and-colocated-group.xml"));
  const [clone, group] = cib.configuration.resources;
  assert.equal(clone?.kind, "clone");
  assert.equal(clone?.kind === "clone" && clone.child.id, "ping");
  assert.deepEqual(
    group?.kind === "group" && group.members.map((m) => `${m.class}:${m.provider ?? ""}:${m.type}`),
    ["ocf:heartbeat:IPaddr", "lsb::lvs", "ocf:heartbeat:ldirectord"],
  );
  const vip = group?.kind === "group" ? group.members[0] : undefined;
  assert.deepEqual(vip?.operations[0], {
    id: "vip-monitor-10s",
    name: "monitor",
    interval: "10s",
    intervalMs: 10_000,
    timeout: "20s",
    timeoutMs: 20_000,
    instanceAttributes: [],
    metaAttributes: [],
  });
  assert.deepEqual(cib.configuration.constraints.colocations, [
    { id: "col-grp-ping", rsc: "lvs-group", withRsc: "ping-clone", score: INFINITY },
  ]);
  assert.deepEqual(cib.configuration.constraints.orders, [
    {
      id: "ord-ping-grp",
      first: "ping-clone",
      // biome-ignore lint/suspicious/noThenProperty: the model mirrors the XML attribute "then"
      then: "lvs-group",
      firstAction: "start",
      thenAction: "start",
      kind: "Mandatory",
      symmetrical: true,
    },
  ]);
  assert.equal(cib.haveQuorum, true);
  assert.equal(cib.dcUuid, "1");
  assert.equal(cib.epoch, 10);
});

test("scenario 07: lrm_rsc_op history and per-op fail count are decoded", () => {
  const cib = mustParse(readFixture("policy", "07-monitor-fail-threshold-1.xml"));
  const n1 = cib.status.find((s) => s.uname === "n1");
  const ops = n1?.lrmResources.find((r) => r.id === "vip")?.ops ?? [];
  const mon = ops.find((o) => o.intervalMs === 10_000);
  assert.equal(mon?.operation, "monitor");
  assert.equal(mon?.rcCode, 7);
  assert.equal(typeof mon?.callId, "number");
  assert.match(mon?.transitionKey ?? "", /^\d+:\d+:0:/);
  const names = n1?.transientAttributes.flatMap((s) => s.nvpairs.map((nv) => nv.name));
  assert.ok(names?.includes("fail-count-vip#monitor_10000"), String(names));
});

test("unknown attributes and elements survive a round trip", () => {
  const xml = `<cib validate-with="pacemaker-3.9" epoch="1" num_updates="2" admin_epoch="0" cib-last-written="Mon Jan  1 00:00:00 2024" update-origin="n1">
  <configuration>
    <crm_config><cluster_property_set id="o"><nvpair id="o-1" name="x" value="a&amp;b &lt;c&gt; &quot;q&quot;"/><nvpair id="o-2" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
    <nodes><node id="1" uname="n1" description="rack A"><utilization id="u1"><nvpair id="u1-cpu" name="cpu" value="4"/></utilization></node></nodes>
    <resources>
      <primitive id="p" class="ocf" provider="heartbeat" type="Dummy" description="test">
        <operations><op id="p-mon" name="monitor" interval="10s" record-pending="true"><future id="f1"/></op><op_extra id="oe"/></operations>
        <oddity id="odd" x="1"><inner>text</inner></oddity>
      </primitive>
      <bundle id="b1"><docker image="x"/></bundle>
      <template id="t1" class="ocf" provider="heartbeat" type="Dummy"/>
    </resources>
    <constraints>
      <rsc_ticket id="tk" rsc="p" ticket="T"/>
      <rsc_colocation id="set-col" score="INFINITY"><resource_set id="rs1"><resource_ref id="p"/></resource_set></rsc_colocation>
      <rsc_location id="l" rsc="p"><rule id="r" score="10"><date_expression id="d" operation="in_range" start="2024-01-01"/><expression id="e" attribute="#uname" operation="eq" value="n1"/></rule></rsc_location>
    </constraints>
    <fencing-topology><fencing-level id="fl" target="n1" index="1" devices="f"/></fencing-topology>
    <acls/>
  </configuration>
  <status>
    <node_state id="1" uname="n1" in_ccm="true" crmd="online" join="member" expected="member" crm-debug-origin="x">
      <lrm id="1"><lrm_resources><lrm_resource id="p" class="ocf" provider="heartbeat" type="Dummy" container="c"><lrm_rsc_op id="p_last_0" operation="start" call-id="3" rc-code="0" op-status="0" interval="0" op-secure-digest="abc"/></lrm_resource></lrm_resources></lrm>
      <extra_state id="es"/>
    </node_state>
  </status>
  <unknown_section/>
</cib>`;
  const p = parseCib(xml, "u.xml");
  assert.deepEqual(p.diagnostics.map(formatDiagnostic), [
    `u.xml:10: warning: /cib/configuration/resources/bundle[@id='b1']: resource type "bundle" is not supported; kept but ignored`,
    `u.xml:11: warning: /cib/configuration/resources/template[@id='t1']: resource type "template" is not supported; kept but ignored`,
    `u.xml:14: warning: /cib/configuration/constraints/rsc_ticket[@id='tk']: constraint type "rsc_ticket" is not supported; kept but ignored`,
    `u.xml:15: warning: /cib/configuration/constraints/rsc_colocation[@id='set-col']: resource sets are not supported; constraint kept but ignored`,
  ]);
  const cib = p.value;
  assert.ok(cib);
  const out = serializeCib(cib);
  for (const needle of [
    'cib-last-written="Mon Jan  1 00:00:00 2024"',
    'update-origin="n1"',
    'value="a&amp;b &lt;c&gt; &quot;q&quot;"',
    'description="rack A"',
    '<nvpair id="u1-cpu" name="cpu" value="4"/>',
    'description="test"',
    'record-pending="true"',
    '<future id="f1"/>',
    '<op_extra id="oe"/>',
    "<inner>text</inner>",
    '<docker image="x"/>',
    '<template id="t1"',
    '<rsc_ticket id="tk" rsc="p" ticket="T"/>',
    '<resource_ref id="p"/>',
    '<date_expression id="d" operation="in_range" start="2024-01-01"/>',
    '<fencing-level id="fl" target="n1" index="1" devices="f"/>',
    "<acls/>",
    'crm-debug-origin="x"',
    'container="c"',
    'op-secure-digest="abc"',
    '<extra_state id="es"/>',
    "<unknown_section/>",
  ])
    assert.ok(out.includes(needle), `missing ${needle} in\n${out}`);
  const again = parseCib(out, "u2.xml");
  assert.deepEqual(again.value, cib);
  assert.equal(serializeCib(again.value as Cib), out);
});

test("invalid CIB: every problem reported with file, line, element path and id", () => {
  const p = parseCib(readFixture("cib", "invalid.xml"), "invalid.xml");
  assert.deepEqual(p.diagnostics.map(formatDiagnostic), [
    `invalid.xml:1: error: /cib: attribute "epoch" must be an integer, not "x"`,
    `invalid.xml:10: error: /cib/configuration/nodes/node[@id='2']: duplicate node uname "n1"`,
    `invalid.xml:11: error: /cib/configuration/nodes/node[@id='3']: missing required attribute "uname"`,
    `invalid.xml:15: error: /cib/configuration/resources/group[@id='g1']/primitive[@id='ip']: missing required attribute "type"`,
    `invalid.xml:18: error: /cib/configuration/resources/group[@id='g1']/primitive[@id='web']/operations/op[@id='web-mon']: attribute "interval" is not a valid duration: "10x"`,
    `invalid.xml:18: error: /cib/configuration/resources/group[@id='g1']/primitive[@id='web']/operations/op[@id='web-mon']: attribute "on-fail" must be one of ignore, block, stop, restart, standby, fence, demote, not "explode"`,
    `invalid.xml:22: error: /cib/configuration/resources/primitive[@id='db']: missing required attribute "provider"`,
    `invalid.xml:23: error: /cib/configuration/resources/primitive[@id='odd']: unknown resource class "weird" (expected one of ocf, lsb, heartbeat, service, systemd, stonith, upstart, nagios)`,
    `invalid.xml:24: error: /cib/configuration/resources/primitive[@id='web']: duplicate id "web" (first used by /cib/configuration/resources/group[@id='g1']/primitive[@id='web'])`,
    `invalid.xml:25: error: /cib/configuration/resources/group[@id='empty']: group has no primitive`,
    `invalid.xml:26: error: /cib/configuration/resources/clone[@id='c1']: clone has no primitive or group`,
    `invalid.xml:26: error: /cib/configuration/resources/primitive[@id='lsbp']: attribute "provider" is only allowed with class "ocf"`,
    `invalid.xml:29: error: /cib/configuration/constraints/rsc_location[@id='l1']: rsc "nosuch" is not a defined resource`,
    `invalid.xml:30: error: /cib/configuration/constraints/rsc_location[@id='l2']: invalid score "lots" in attribute "score"`,
    `invalid.xml:30: warning: /cib/configuration/constraints/rsc_location[@id='l2']: node "n9" is not a configured node`,
    `invalid.xml:31: error: /cib/configuration/constraints/rsc_location[@id='l3']: missing required attribute "node"`,
    `invalid.xml:31: error: /cib/configuration/constraints/rsc_location[@id='l3']: missing required attribute "score"`,
    `invalid.xml:32: error: /cib/configuration/constraints/rsc_location[@id='l4']/rule[@id='l4-r']/expression[@id='l4-e']: attribute "operation" must be one of lt, gt, lte, gte, eq, ne, defined, not_defined, not "smaller"`,
    `invalid.xml:33: error: /cib/configuration/constraints/rsc_colocation[@id='c-1']: with-rsc "ghost" is not a defined resource`,
    `invalid.xml:34: error: /cib/configuration/constraints/rsc_colocation[@id='c-2']: resource "db" is colocated with itself`,
    `invalid.xml:35: error: /cib/configuration/constraints/rsc_order[@id='o1']: attribute "kind" must be one of Mandatory, Optional, Serialize, not "Sometimes"`,
    `invalid.xml:36: error: /cib/configuration/constraints/rsc_order[@id='o2']: first "missing" is not a defined resource`,
  ]);
  assert.ok(p.value, "a partial model is still returned");
});

test("not XML, wrong root, missing configuration", () => {
  const bad = parseCib("<cib><configuration></cib>", "a.xml");
  assert.equal(bad.value, undefined);
  assert.equal(bad.diagnostics.length, 1);
  assert.match(formatDiagnostic(bad.diagnostics[0] as never), /^a\.xml:1: error: not well-formed XML: /);
  const wrong = parseCib('<?xml version="1.0"?>\n<config/>', "b.xml");
  assert.equal(wrong.value, undefined);
  assert.deepEqual(wrong.diagnostics.map(formatDiagnostic), [
    "b.xml:2: error: root element is <config>, expected <cib>",
  ]);
  const empty = parseCib('<cib validate-with="pacemaker-3.9"/>', "c.xml");
  assert.deepEqual(empty.diagnostics.map(formatDiagnostic), [
    "c.xml:1: error: /cib: missing <configuration> section",
  ]);
});

test("order constraints: old score=0 means Optional, Serialize is never symmetrical, actions default", () => {
  const xml = (attrs: string): string =>
    `<cib validate-with="pacemaker-3.9"><configuration><crm_config><cluster_property_set id="opts"><nvpair id="opts-s" name="stonith-enabled" value="false"/></cluster_property_set></crm_config><nodes/><resources>
      <primitive id="a" class="lsb" type="a"/><primitive id="b" class="lsb" type="b"/></resources>
      <constraints><rsc_order id="o" first="a" then="b" ${attrs}/></constraints></configuration><status/></cib>`;
  const order = (attrs: string) => mustParse(xml(attrs)).configuration.constraints.orders[0];
  assert.deepEqual(
    [
      order(""),
      order('score="0"'),
      order('score="INFINITY"'),
      order('kind="Serialize" symmetrical="true"'),
    ].map((o) => [o?.kind, o?.symmetrical]),
    [
      ["Mandatory", true],
      ["Optional", true],
      ["Mandatory", true],
      ["Serialize", false],
    ],
  );
  const o = order('first-action="promote" symmetrical="false"');
  assert.deepEqual([o?.firstAction, o?.thenAction, o?.symmetrical], ["promote", "promote", false]);
  const round = mustParse(serializeCib(mustParse(xml('score="0"'))));
  assert.equal(round.configuration.constraints.orders[0]?.kind, "Optional");
});

test("character references decode to text and are re-encoded on output", () => {
  const xml = `<cib validate-with="pacemaker-3.9"><configuration><crm_config><cluster_property_set id="o">
    <nvpair id="a" name="x" value="line1&#10;line2&#9;&#x41; &apos;q&apos; é &amp;amp;"/></cluster_property_set></crm_config>
    <nodes/><resources/><constraints/></configuration></cib>`;
  const cib = mustParse(xml);
  assert.equal(cib.configuration.crmConfig[0]?.nvpairs[0]?.value, "line1\nline2\tA 'q' é &amp;");
  const out = serializeCib(cib);
  assert.ok(out.includes("value=\"line1&#10;line2&#9;A 'q' é &amp;amp;\""), out);
  assert.deepEqual(mustParse(out), cib);
});

// The fast status readers (readLrmRscOpFast, readLrmResourceFast) must build exactly what the general
// readers build, diagnostics included, or step aside: every fixture CIB, and status elements with the
// shapes the fast readers refuse (unknown attribute, a duration interval, spaces in an integer, a child,
// a missing id, a bad integer) mixed with plain ones.
test("fast status readers: the same model as the general readers on every fixture and on odd status shapes", () => {
  const texts: [string, string][] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = `${dir}/${e.name}`;
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".xml")) texts.push([p, readFileSync(p, "utf8")]);
    }
  };
  walk(fixturePath(".."));
  assert.ok(texts.length > 100, `${texts.length} fixtures`);
  const op = (attrs: string, body = ""): string =>
    `<lrm_rsc_op id="a_last_0" operation="start" call-id="3" rc-code="0" op-status="0" interval="0" ${attrs}${body === "" ? "/>" : `>${body}</lrm_rsc_op>`}`;
  const odd = [
    op('crm-debug-origin="x" last-rc-change="1704066600" exec-time="10" queue-time="0" last-run="5"'),
    op('op-digest="d" exit-reason="" on_node="n1" crm_feature_set="3.16.1" transition-magic="0:0;1:1:0:u"'),
    `<lrm_rsc_op id="a_monitor_10000" operation="monitor" interval="10s" call-id="4"/>`,
    `<lrm_rsc_op id="a_monitor_10000" operation="monitor" interval="10000" call-id=" 4 "/>`,
    `<lrm_rsc_op id="a_monitor_10000" operation="monitor" interval="10000" call-id="four"/>`,
    `<lrm_rsc_op operation="monitor" interval="10000"/>`,
    `<lrm_rsc_op id="x" interval="10000"/>`,
    op("", "<foo/>"),
  ];
  const status = (ops: string, rscAttrs = ""): string =>
    `<status><node_state id="1" uname="n1" in_ccm="true" crmd="online" join="member" expected="member"><lrm id="1"><lrm_resources><lrm_resource id="a" class="ocf" provider="pacemaker" type="Dummy"${rscAttrs}>${ops}</lrm_resource><lrm_resource id="a2" type="Dummy">${op("")}</lrm_resource></lrm_resources></lrm></node_state></status>`;
  const base =
    '<cib epoch="1" num_updates="0" admin_epoch="0"><configuration><crm_config/><nodes><node id="1" uname="n1"/></nodes><resources><primitive id="a" class="ocf" provider="pacemaker" type="Dummy"/><primitive id="a2" class="ocf" provider="pacemaker" type="Dummy"/></resources><constraints/></configuration>';
  for (const o of odd) {
    texts.push([o, `${base}${status(op("") + o)}</cib>`]);
    texts.push([`rsc attr + ${o}`, `${base}${status(o, ' extra="1"')}</cib>`]);
    texts.push([`rsc child + ${o}`, `${base}${status(`${o}<note/>`)}</cib>`]);
  }
  for (const [name, text] of texts) {
    const fast = parseCib(text, "f.xml");
    const general = parseCib(text, "f.xml", { generalReaders: true });
    assert.equal(JSON.stringify(fast), JSON.stringify(general), name);
  }
});
