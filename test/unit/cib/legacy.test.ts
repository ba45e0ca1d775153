// Goal: Heartbeat 2.1 (crm-1.0.dtd) CIBs are read onto the current model exactly like their hand-written current-schema equivalent. Method: a haresources2cib-style fixture compared with its equivalent, plus small inline cases per mapping rule.
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatDiagnostic } from "../../../src/base/diag.js";
import { isLegacyDocument } from "../../../src/cib/legacy.js";
import type { Cib } from "../../../src/cib/model.js";
import { parseCib } from "../../../src/cib/parse.js";
import { clusterOptions, primitives, resourceOptions } from "../../../src/cib/query.js";
import { serializeCib } from "../../../src/cib/serialize.js";
import { parseXml } from "../../../src/cib/xml.js";
import { readFixture } from "../../helpers.js";

function parse(xml: string, file = "t.xml"): { cib: Cib; diags: string[] } {
  const p = parseCib(xml, file);
  assert.ok(p.value);
  return { cib: p.value, diags: p.diagnostics.map(formatDiagnostic) };
}

test("HB2 haresources2cib-style CIB parses to the same model as its current-schema equivalent", () => {
  const hb2 = parse(readFixture("cib", "hb2-haresources2cib.xml"), "hb2.xml");
  const cur = parse(readFixture("cib", "hb2-equivalent-current.xml"), "cur.xml");
  assert.deepEqual(hb2.diags, [
    "hb2.xml: info: Heartbeat 2 (crm-1.0.dtd) document: read and normalised to the current schema",
  ]);
  assert.deepEqual(cur.diags, []);
  const { validateWith, ...rest } = cur.cib;
  assert.equal(validateWith, "pacemaker-3.9");
  assert.equal(hb2.cib.validateWith, undefined);
  assert.deepEqual(hb2.cib, rest);
});

test("HB2 options and resource options are readable through the typed views", () => {
  const { cib } = parse(readFixture("cib", "hb2-haresources2cib.xml"));
  const o = clusterOptions(cib);
  assert.equal(o.stonithEnabled, false);
  assert.equal(o.noQuorumPolicy, "stop");
  assert.equal(o.clusterDelayMs, 300_000);
  assert.equal(o.defaultResourceStickiness, undefined, "moved to rsc_defaults");
  assert.equal(resourceOptions(cib, "lvs_2").resourceStickiness, 50);
  assert.equal(resourceOptions(cib, "ldirectord_3").resourceStickiness, 0);
  assert.equal(resourceOptions(cib, "ldirectord_3").resourceFailureStickiness, 0);
  assert.equal(resourceOptions(cib, "IPaddr_192_168_1_100").targetRole, "Started");
  assert.deepEqual(
    primitives(cib).map((p) => `${p.primitive.id}=${p.primitive.class}`),
    ["IPaddr_192_168_1_100=ocf", "lvs_2=lsb", "ldirectord_3=heartbeat", "pingd_child=ocf"],
  );
  assert.equal(cib.haveQuorum, true);
  assert.equal(cib.extra?.attrs?.generated, undefined);
  assert.equal(cib.status[0]?.lrmResources[0]?.ops[1]?.callId, 5);
  assert.equal(cib.status[0]?.lrmResources[0]?.ops[1]?.intervalMs, 5000);
});

test("the current-schema equivalent round-trips too", () => {
  const { cib } = parse(readFixture("cib", "hb2-equivalent-current.xml"));
  assert.deepEqual(parse(serializeCib(cib)).cib, cib);
});

test("a normalised HB2 CIB round-trips", () => {
  const { cib } = parse(readFixture("cib", "hb2-haresources2cib.xml"));
  const text = serializeCib(cib);
  assert.ok(!text.includes("<attributes>"));
  assert.ok(!text.includes(" from="));
  assert.deepEqual(parse(text).cib, cib);
});

test("legacy detection: no validate-with or a 0.x schema", () => {
  const root = (attrs: string) => {
    const r = parseXml(`<cib ${attrs}/>`);
    assert.ok(r.ok);
    return r.root;
  };
  assert.equal(isLegacyDocument(root("")), true);
  assert.equal(isLegacyDocument(root('validate-with="pacemaker-0.6"')), true);
  assert.equal(isLegacyDocument(root('validate-with="transitional-0.6"')), true);
  assert.equal(isLegacyDocument(root('validate-with="pacemaker-1.0"')), false);
  assert.equal(isLegacyDocument(root('validate-with="pacemaker-3.9"')), false);
});

const doc = (validate: string, crm: string, resources: string, constraints = "") =>
  `<cib ${validate}><configuration><crm_config><cluster_property_set id="o"><attributes>${crm}</attributes></cluster_property_set></crm_config>
   <nodes/><resources>${resources}</resources><constraints>${constraints}</constraints></configuration><status/></cib>`;

test("HB2 2.0 underscore option names map; a current-schema document keeps them as Pacemaker 2 does (ignored)", () => {
  const crm = `<nvpair id="a" name="symmetric_cluster" value="false"/><nvpair id="b" name="no_quorum_policy" value="ignore"/>
    <nvpair id="c" name="transition_idle_timeout" value="2min"/><nvpair id="d" name="cluster-delay" value="30s"/>
    <nvpair id="e" name="default_resource_stickiness" value="INFINITY"/>`;
  const legacy = parse(doc("", crm, "")).cib;
  const o = clusterOptions(legacy);
  assert.equal(o.symmetricCluster, false);
  assert.equal(o.noQuorumPolicy, "ignore");
  assert.equal(o.clusterDelayMs, 30_000, "an explicit cluster-delay wins over transition_idle_timeout");
  assert.equal(o.raw["transition-idle-timeout"], "2min");
  assert.deepEqual(legacy.configuration.rscDefaults, [
    {
      kind: "meta_attributes",
      id: "rsc-options",
      nvpairs: [{ id: "e", name: "resource-stickiness", value: "INFINITY" }],
    },
  ]);
  // A current document has no <attributes> wrapper; with underscore names Pacemaker 2 ignores the options.
  const current = parse(
    `<cib validate-with="pacemaker-3.9"><configuration><crm_config><cluster_property_set id="o">${crm}</cluster_property_set></crm_config><nodes/><resources/><constraints/></configuration></cib>`,
  ).cib;
  const oc = clusterOptions(current);
  assert.equal(oc.symmetricCluster, true);
  assert.equal(oc.noQuorumPolicy, "stop");
  assert.equal(current.configuration.rscDefaults.length, 0);
});

test("HB2 op and constraint spellings map to the current ones", () => {
  const resources = `<primitive id="a" class="lsb" type="a" resource_failure_stickiness="-100">
      <operations><op id="a-mon" name="monitor" interval="10s" disabled="true" on_fail="stop" start_delay="5s"/></operations></primitive>
    <primitive id="b" class="lsb" type="b"/>`;
  const constraints = `<rsc_order id="o1" from="a" to="b"/>
    <rsc_order id="o2" from="a" action="promote" type="before" to="b"/>
    <rsc_colocation id="c1" from="a" to="b" score="-INFINITY" from_role="Started" to_role="Master"/>`;
  const { cib, diags } = parse(doc("", "", resources, constraints));
  assert.equal(diags.length, 1);
  const a = primitives(cib)[0]?.primitive;
  assert.deepEqual(
    [a?.operations[0]?.enabled, a?.operations[0]?.onFail, a?.operations[0]?.startDelay],
    [false, "stop", "5s"],
  );
  assert.equal(resourceOptions(cib, "a").resourceFailureStickiness, -100);
  const [o1, o2] = cib.configuration.constraints.orders;
  assert.deepEqual([o1?.first, o1?.then, o1?.firstAction, o1?.thenAction], ["b", "a", "start", "start"]);
  assert.deepEqual([o2?.first, o2?.then, o2?.firstAction, o2?.thenAction], ["a", "b", "promote", "promote"]);
  assert.deepEqual(cib.configuration.constraints.colocations[0], {
    id: "c1",
    rsc: "a",
    withRsc: "b",
    score: -1_000_000,
    rscRole: "Started",
    withRscRole: "Master",
  });
});

test("HB2 default stonith-enabled=false is made explicit; a current CIB without it and without a device is an error", () => {
  const legacy = parse(doc("", "", '<primitive id="a" class="lsb" type="a"/>'));
  assert.equal(clusterOptions(legacy.cib).stonithEnabled, false);
  assert.deepEqual(legacy.cib.configuration.crmConfig[0]?.nvpairs, [
    { id: "o-stonith-enabled", name: "stonith-enabled", value: "false" },
  ]);
  const current = parseCib(
    `<cib validate-with="pacemaker-3.9"><configuration><crm_config/><nodes/><resources><primitive id="a" class="lsb" type="a"/></resources><constraints/></configuration></cib>`,
    "c.xml",
  );
  assert.deepEqual(current.diagnostics.map(formatDiagnostic), [
    "c.xml:1: error: /cib/configuration/crm_config: stonith-enabled is true but no stonith resource is defined, so Pacemaker starts no resource; set stonith-enabled=false or configure a fencing device",
  ]);
  const withDevice = parseCib(
    `<cib validate-with="pacemaker-3.9"><configuration><crm_config/><nodes/><resources><primitive id="a" class="lsb" type="a"/>
     <primitive id="f" class="stonith" type="fence_ipmilan"/></resources><constraints/></configuration></cib>`,
  );
  assert.deepEqual(withDevice.diagnostics, []);
});
