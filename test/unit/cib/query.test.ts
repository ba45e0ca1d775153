// Goal: the read helpers (cluster options, effective meta, node attributes, status decoding) give Pacemaker's values and defaults. Method: policy scenario fixtures and small inline CIBs.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { Cib } from "../../../src/cib/model.js";
import { parseCib } from "../../../src/cib/parse.js";
import {
  clusterOptions,
  compareFeatureSets,
  effectiveMeta,
  findResource,
  isStandby,
  isTrue,
  nodeAttributes,
  nodeStateOnline,
  nvMap,
  parentsOf,
  parseFailAttributeName,
  parseTransitionKey,
  perOpFailCounts,
  primitives,
  resourceOptions,
  transitionKeyExpectedRc,
} from "../../../src/cib/query.js";
import { INFINITY } from "../../../src/cib/score.js";
import { readFixture } from "../../helpers.js";

function scenario(name: string): Cib {
  const p = parseCib(readFixture("policy", `${name}.xml`), name);
  assert.ok(p.value);
  return p.value;
}

test("clusterOptions: Pacemaker 2.1.5 defaults, then crm_config values", () => {
  const empty = parseCib(
    '<cib validate-with="pacemaker-3.9"><configuration><crm_config/><nodes/><resources/><constraints/></configuration></cib>',
  ).value as Cib;
  const d = clusterOptions(empty);
  assert.deepEqual(
    [
      d.symmetricCluster,
      d.stonithEnabled,
      d.noQuorumPolicy,
      d.startFailureIsFatal,
      d.maintenanceMode,
      d.clusterDelayMs,
    ],
    [true, true, "stop", true, false, 60_000],
  );
  const o16 = clusterOptions(scenario("16-opt-in-cluster"));
  assert.equal(o16.symmetricCluster, false);
  assert.equal(o16.stonithEnabled, false);
  assert.equal(clusterOptions(scenario("30-no-quorum-policy-freeze")).noQuorumPolicy, "freeze");
});

test("resourceOptions: own meta, then group meta, then rsc_defaults, then Pacemaker defaults", () => {
  const s15 = scenario("15-target-role-stopped");
  assert.equal(resourceOptions(s15, "vip").targetRole, "Stopped");
  assert.equal(resourceOptions(s15, "lvs-group").targetRole, "Stopped");
  assert.equal(resourceOptions(scenario("06-failback-sticky-infinity"), "lvs").resourceStickiness, INFINITY);
  assert.equal(resourceOptions(scenario("07-monitor-fail-threshold-1"), "vip").migrationThreshold, 1);
  const d = resourceOptions(scenario("01-group-fresh-start"), "vip");
  assert.deepEqual(
    [d.targetRole, d.isManaged, d.resourceStickiness, d.migrationThreshold, d.failureTimeoutMs, d.priority],
    ["Started", true, 0, INFINITY, 0, 0],
  );
  assert.equal(resourceOptions(scenario("19-unmanaged-resource"), "vip").isManaged, false);

  const xml = `<cib validate-with="pacemaker-3.9"><configuration><crm_config/><nodes/><resources>
    <group id="g"><meta_attributes id="gm"><nvpair id="gm1" name="resource-stickiness" value="5"/><nvpair id="gm2" name="failure-timeout" value="2min"/></meta_attributes>
      <primitive id="a" class="lsb" type="a"><meta_attributes id="am"><nvpair id="am1" name="resource-stickiness" value="7"/><nvpair id="am2" name="target-role" value="master"/></meta_attributes></primitive>
      <primitive id="b" class="lsb" type="b"/></group></resources><constraints/>
    <rsc_defaults><meta_attributes id="rd"><nvpair id="rd1" name="resource-stickiness" value="1"/><nvpair id="rd2" name="migration-threshold" value="3"/></meta_attributes></rsc_defaults>
    </configuration></cib>`;
  const cib = parseCib(xml).value as Cib;
  assert.deepEqual(effectiveMeta(cib, "a"), {
    "resource-stickiness": "7",
    "target-role": "master",
    "failure-timeout": "2min",
    "migration-threshold": "3",
  });
  const b = resourceOptions(cib, "b");
  assert.deepEqual([b.resourceStickiness, b.failureTimeoutMs, b.migrationThreshold], [5, 120_000, 3]);
  assert.equal(resourceOptions(cib, "a").targetRole, "Promoted");
  assert.deepEqual(
    parentsOf(cib, "b").map((r) => r.id),
    ["g"],
  );
  assert.equal(findResource(cib, "b")?.kind, "primitive");
  assert.deepEqual(
    primitives(cib).map((p) => [p.primitive.id, p.group?.id, p.top.id]),
    [
      ["a", "g", "g"],
      ["b", "g", "g"],
    ],
  );
});

test("clone members resolve through the clone", () => {
  const cib = scenario("23-clone-and-colocated-group");
  const [ping] = primitives(cib);
  assert.deepEqual([ping?.primitive.id, ping?.clone?.id, ping?.top.id], ["ping", "ping-clone", "ping-clone"]);
  assert.deepEqual(
    parentsOf(cib, "ping").map((r) => r.id),
    ["ping-clone"],
  );
});

test("node attributes: permanent, transient overriding, built-ins; standby", () => {
  const s18 = scenario("18-pingd-connectivity-rule");
  assert.deepEqual(nodeAttributes(s18, "n1"), {
    pingd: "0",
    "#uname": "n1",
    "#id": "1",
    "#kind": "cluster",
    "#is_dc": "true",
  });
  assert.equal(nodeAttributes(s18, "n2")["#is_dc"], "false");
  const s04 = scenario("04-standby-moves-group");
  assert.equal(isStandby(s04, "n1"), true);
  assert.equal(isStandby(s04, "n2"), false);
});

test("node_state liveness", () => {
  const s13 = scenario("13-node-offline");
  const online = s13.status.map((s) => [s.uname, nodeStateOnline(s)]);
  assert.deepEqual(online, [
    ["n1", false],
    ["n2", true],
  ]);
  assert.equal(
    nodeStateOnline({
      id: "x",
      inCcm: "1704067200",
      crmd: "1704067200",
      join: "member",
      transientAttributes: [],
      lrmResources: [],
    }),
    true,
  );
});

test("fail-count names in both forms, transition keys, feature-set gate", () => {
  assert.deepEqual(parseFailAttributeName("fail-count-vip#monitor_10000"), {
    kind: "fail-count",
    rsc: "vip",
    op: "monitor",
    intervalMs: 10_000,
  });
  assert.deepEqual(parseFailAttributeName("last-failure-my_rsc#start_0"), {
    kind: "last-failure",
    rsc: "my_rsc",
    op: "start",
    intervalMs: 0,
  });
  assert.deepEqual(parseFailAttributeName("fail-count-vip"), { kind: "fail-count", rsc: "vip" });
  assert.equal(parseFailAttributeName("pingd"), undefined);
  assert.deepEqual(parseTransitionKey("11:1:7:00000000-0000-0000-0000-000000000000"), {
    action: 11,
    transition: 1,
    expectedRc: 7,
    uuid: "00000000-0000-0000-0000-000000000000",
  });
  assert.equal(parseTransitionKey("garbage"), undefined);
  assert.equal(perOpFailCounts(scenario("27-legacy-failcount-name")), false);
  assert.equal(perOpFailCounts(scenario("07-monitor-fail-threshold-1")), true);
  assert.ok(compareFeatureSets("3.0.12", "3.0.13") < 0);
  assert.ok(compareFeatureSets("3.16.1", "3.0.13") > 0);
  assert.equal(compareFeatureSets("3.0", "3.0.0"), 0);
});

test("nvMap: higher-scored sets first, first value wins, ruled sets skipped; isTrue", () => {
  const sets = [
    {
      kind: "meta_attributes" as const,
      id: "a",
      nvpairs: [
        { name: "x", value: "1" },
        { name: "y", value: "a" },
      ],
    },
    { kind: "meta_attributes" as const, id: "b", score: 10, nvpairs: [{ name: "x", value: "2" }] },
    {
      kind: "meta_attributes" as const,
      id: "c",
      score: 20,
      rule: { booleanOp: "and" as const, items: [] },
      nvpairs: [{ name: "x", value: "3" }],
    },
  ];
  assert.deepEqual(nvMap(sets), { x: "2", y: "a" });
  assert.deepEqual(nvMap(sets, true), { x: "3", y: "a" });
  assert.deepEqual(["true", "on", "YES", "y", "1", "false", "off", "0", undefined].map(isTrue), [
    true,
    true,
    true,
    true,
    true,
    false,
    false,
    false,
    false,
  ]);
});

test("transitionKeyExpectedRc reads the expected rc exactly as parseTransitionKey does", () => {
  const keys = [
    "11:1:0:00000000-0000-0000-0000-000000000000",
    "3:-1:7:uuid",
    "-3:2:-193:x",
    "1:2:3:",
    "1:2:3:a:b",
    "1:2:3",
    "1:2::x",
    "1::3:x",
    ":2:3:x",
    "a:2:3:x",
    "1:2:3x:x",
    "-:2:3:x",
    "1:2:3:line\nbreak",
    "1:2:3:line\u2028break",
    "1:2:3:cr\r",
    "1:2:-0:x",
    "1:2:007:x",
    "1:2:12345678901234567890:x",
    "1:2:-123456789012345678:x",
    "",
  ];
  for (const k of keys)
    assert.equal(transitionKeyExpectedRc(k), parseTransitionKey(k)?.expectedRc, JSON.stringify(k));
  assert.equal(transitionKeyExpectedRc(undefined), undefined);
  fc.assert(
    fc.property(fc.string({ unit: fc.constantFrom("1", "0", "-", ":", "a", "\n", "9") }), (k) => {
      assert.equal(transitionKeyExpectedRc(k), parseTransitionKey(k)?.expectedRc, JSON.stringify(k));
    }),
  );
});
