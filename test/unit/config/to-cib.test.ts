// Goal: convertHaresources turns haresources lines into a valid CIB: group per line, correct IPaddr parameter mapping (not haresources2cib's swap), +100 node preference, stickiness from auto_failback. Method: exact model checks on the example line and each IP form, then a serialise/parse round trip through the validator.
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatDiagnostic } from "../../../src/base/diag.js";
import type { Primitive } from "../../../src/cib/model.js";
import { parseCib } from "../../../src/cib/parse.js";
import { clusterOptions, nvMap, primitives, resourceOptions } from "../../../src/cib/query.js";
import { serializeCib } from "../../../src/cib/serialize.js";
import { parseHaresources } from "../../../src/config/haresources.js";
import type { LegacyResource, ResourceGroup } from "../../../src/config/model.js";
import {
  convertHaresources,
  decodeIpArgument,
  HARESOURCES_LOCATION_SCORE,
  haresourcesGroupIds,
  STICKINESS_NO_FAILBACK,
  sanitizeId,
} from "../../../src/config/to-cib.js";
import { applyTransition, isStable, nodeFail, nodeUp, opFail } from "../../../src/policy/inject.js";
import { schedule } from "../../../src/policy/schedule.js";

const at = { file: "haresources", line: 1 };
const NODES = ["primarylb", "backuplb"];

function groupsOf(text: string): ResourceGroup[] {
  const p = parseHaresources(text, "haresources", { nodes: NODES });
  assert.deepEqual(p.diagnostics.map(formatDiagnostic), []);
  return [...p.value];
}

function params(p: Primitive | undefined): Record<string, string> {
  return nvMap(p?.instanceAttributes ?? []);
}

test("the example line: group with the VIP, ldirectord as a warm OCF clone beside it, +100 on primarylb", () => {
  const cib = convertHaresources(
    groupsOf("primarylb IPaddr::192.168.1.110/24/eth0 ldirectord::ldirectord.cf\n"),
    {
      autoFailback: "on",
      nodes: NODES,
    },
  );
  const [g, c] = cib.configuration.resources;
  assert.equal(g?.kind, "group");
  assert.equal(g?.id, "IPaddr_192.168.1.110_24_eth0");
  const members = g?.kind === "group" ? g.members : [];
  assert.deepEqual(
    members.map((m) => [m.id, m.class, m.provider, m.type]),
    [["IPaddr_192_168_1_110", "ocf", "heartbeat", "IPaddr"]],
  );
  // the director runs warm on every node (docs/ARCHITECTURE.md "Warm director"): a move is the VIP's
  assert.equal(c?.kind, "clone");
  assert.equal(c?.id, "ldirectord-clone");
  const d = c?.kind === "clone" && c.child.kind === "primitive" ? c.child : undefined;
  assert.deepEqual([d?.id, d?.class, d?.provider, d?.type], ["ldirectord", "ocf", "heartbeat", "ldirectord"]);
  // bits -> cidr_netmask, iface -> nic (haresources2cib wrote nic="24" cidr_netmask="eth0").
  assert.deepEqual(params(members[0]), { ip: "192.168.1.110", cidr_netmask: "24", nic: "eth0" });
  assert.deepEqual(params(d), { configfile: "ldirectord.cf", warm: "true" });
  assert.deepEqual(
    [...members, d].map((m) => m?.operations.map((o) => [o.name, o.intervalMs, o.timeoutMs])),
    [[["monitor", 10_000, 20_000]], [["monitor", 30_000, 60_000]]],
  );
  assert.deepEqual(cib.configuration.constraints.locations, [
    { id: "prefer-IPaddr_192.168.1.110_24_eth0", rsc: g?.id, node: "primarylb", score: 100, rules: [] },
  ]);
  // the VIP leaves a node only once the director runs where it goes (a failback), and goes only there
  assert.deepEqual(
    cib.configuration.constraints.orders.map((o) => [o.first, o.firstAction, o.then, o.thenAction, o.kind]),
    [["ldirectord-clone", "start", "IPaddr_192.168.1.110_24_eth0", "stop", "Optional"]],
  );
  assert.deepEqual(cib.configuration.constraints.colocations, [
    {
      id: "IPaddr_192.168.1.110_24_eth0-with-ldirectord-clone",
      rsc: g?.id,
      withRsc: "ldirectord-clone",
      score: 1_000_000,
    },
  ]);
  assert.deepEqual(
    cib.configuration.nodes.map((n) => [n.id, n.uname]),
    [
      ["primarylb", "primarylb"],
      ["backuplb", "backuplb"],
    ],
  );
  const o = clusterOptions(cib);
  assert.deepEqual([o.stonithEnabled, o.noQuorumPolicy, o.symmetricCluster], [false, "ignore", true]);
  assert.equal(resourceOptions(cib, "ldirectord").resourceStickiness, 0);
  // the policy starts the group on primarylb and a director on each node
  const back = parseCib(serializeCib(cib), "cib.xml");
  assert.deepEqual(back.diagnostics.filter((x) => x.severity === "error").map(formatDiagnostic), []);
  const starts = (t: ReturnType<typeof schedule>): string[] =>
    t.actions
      .filter((a) => a.op === "start")
      .map((a) => `${a.rsc} ${a.node}`)
      .sort();
  const up = nodeUp(nodeUp(cib, "primarylb"), "backuplb");
  assert.deepEqual(starts(schedule(up, 0)), [
    "IPaddr_192_168_1_110 primarylb",
    "ldirectord backuplb",
    "ldirectord primarylb",
  ]);
});

test("warm director: a VIP-only move when the active node is lost, and the VIP follows a director that cannot run", () => {
  const cib = convertHaresources(
    groupsOf("primarylb IPaddr::192.168.1.110/24/eth0 ldirectord::ldirectord.cf\n"),
    {
      autoFailback: "on",
      nodes: NODES,
    },
  );
  const settle = (c: typeof cib, now: number): typeof cib => {
    let out = c;
    for (let i = 0; i < 10; i++) {
      const t = schedule(out, now);
      const stable = isStable(out, t);
      out = applyTransition(out, t);
      if (stable) return out;
    }
    assert.fail("no stable state in 10 transitions");
  };
  const real = (t: ReturnType<typeof schedule>): string[] =>
    t.actions
      .filter((a) => a.op === "start" || a.op === "stop")
      .map((a) => `${a.op} ${a.rsc} ${a.node}`)
      .sort();
  const running = settle(nodeUp(nodeUp(cib, "primarylb"), "backuplb"), 0);
  // power loss of primarylb: only the VIP starts on backuplb (its director already runs)
  assert.deepEqual(real(schedule(nodeFail(running, "primarylb"), 1000)), [
    "start IPaddr_192_168_1_110 backuplb",
  ]);
  // the director cannot run on primarylb (a failed start is fatal there): the VIP leaves with it
  const broken = opFail(
    running,
    { rsc: "ldirectord", op: "start", intervalMs: 0, node: "primarylb", rc: 1 },
    1000,
  );
  const moved = real(schedule(broken, 1000));
  assert.ok(moved.includes("start IPaddr_192_168_1_110 backuplb"), moved.join("; "));
  assert.ok(moved.includes("stop IPaddr_192_168_1_110 primarylb"), moved.join("; "));
  // failback to a node that just joined: the VIP leaves backuplb only once primarylb's director runs
  const alone = settle(nodeUp(cib, "backuplb"), 0);
  const back = schedule(nodeUp(alone, "primarylb"), 1000);
  const idOf = (op: string, rsc: string, node: string): number =>
    back.actions.find((a) => a.op === op && a.rsc === rsc && a.node === node)?.id ?? -1;
  const from = idOf("start", "ldirectord", "primarylb");
  const to = idOf("stop", "IPaddr_192_168_1_110", "backuplb");
  assert.ok(from >= 0 && to >= 0, real(back).join("; "));
  const reach = new Set([from]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const e of back.edges)
      if (reach.has(e.before) && !reach.has(e.after)) {
        reach.add(e.after);
        grew = true;
      }
  }
  assert.ok(reach.has(to), "the VIP stops on backuplb before primarylb's director runs");
});

test("a line of only the director gives the clone and no empty group; the classic 'lvs ldirectord' keeps lvs grouped", () => {
  const only = convertHaresources(groupsOf("primarylb ldirectord\n"), { autoFailback: "on", nodes: NODES });
  assert.deepEqual(
    only.configuration.resources.map((r) => [r.kind, r.id]),
    [["clone", "ldirectord_2-clone"]],
  );
  assert.deepEqual(only.configuration.constraints.locations, []);
  assert.deepEqual(only.configuration.constraints.colocations, []);
  const classic = convertHaresources(groupsOf("primarylb IPaddr::10.0.0.5/24/eth0 lvs ldirectord\n"), {
    autoFailback: "on",
    nodes: NODES,
  });
  assert.deepEqual(
    classic.configuration.resources.map((r) => [
      r.kind,
      r.id,
      r.kind === "group" ? r.members.map((m) => m.id) : [],
    ]),
    [
      ["group", "IPaddr_10.0.0.5_24_eth0", ["IPaddr_10_0_0_5", "lvs"]],
      ["clone", "ldirectord-clone", []],
    ],
  );
});

test("each IP argument form maps to ip / cidr_netmask / nic / broadcast / iflabel", () => {
  const cases: [string, Record<string, string>][] = [
    ["IPaddr::10.0.0.5", { ip: "10.0.0.5" }],
    ["10.0.0.5", { ip: "10.0.0.5" }],
    ["IPaddr::10.0.0.5/16", { ip: "10.0.0.5", cidr_netmask: "16" }],
    ["IPaddr::10.0.0.5/16/eth1", { ip: "10.0.0.5", cidr_netmask: "16", nic: "eth1" }],
    ["IPaddr::10.0.0.5/16/10.0.255.255", { ip: "10.0.0.5", cidr_netmask: "16", broadcast: "10.0.255.255" }],
    [
      "IPaddr::10.0.0.5/16/eth1/10.0.255.255",
      { ip: "10.0.0.5", cidr_netmask: "16", nic: "eth1", broadcast: "10.0.255.255" },
    ],
    ["IPaddr2::10.0.0.7/24/eth1:web", { ip: "10.0.0.7", cidr_netmask: "24", nic: "eth1", iflabel: "web" }],
  ];
  for (const [word, want] of cases) {
    const cib = convertHaresources(groupsOf(`primarylb ${word}\n`), { autoFailback: "on", nodes: NODES });
    const p = primitives(cib)[0]?.primitive;
    assert.deepEqual(params(p), want, word);
    assert.equal(p?.type, word.startsWith("IPaddr2") ? "IPaddr2" : "IPaddr", word);
    // The same answer without the config layer's decoding.
    const arg = word.includes("::") ? (word.split("::")[1] ?? "") : word;
    const r: LegacyResource = { type: p?.type ?? "", args: [arg], at };
    const cib2 = convertHaresources([{ key: word, node: "primarylb", resources: [r], at }], {
      autoFailback: "on",
      nodes: NODES,
    });
    assert.deepEqual(params(primitives(cib2)[0]?.primitive), want, `${word} (decodeIpArgument)`);
  }
  assert.deepEqual(decodeIpArgument("1.2.3.4/8/eth0:x/1.255.255.255"), {
    ip: "1.2.3.4",
    cidrNetmask: 8,
    nic: "eth0",
    label: "x",
    broadcast: "1.255.255.255",
  });
});

test("auto_failback: on and legacy give stickiness 0, off gives more than the location preference", () => {
  const groups = groupsOf("primarylb IPaddr::192.168.1.110/24/eth0 lvs ldirectord::ldirectord.cf\n");
  const stick = (af: "on" | "off" | "legacy") =>
    resourceOptions(convertHaresources(groups, { autoFailback: af, nodes: NODES }), "lvs").resourceStickiness;
  assert.equal(stick("on"), 0);
  assert.equal(stick("legacy"), 0);
  assert.equal(stick("off"), STICKINESS_NO_FAILBACK);
  assert.ok(STICKINESS_NO_FAILBACK > HARESOURCES_LOCATION_SCORE);
});

test("resource classes: known OCF wrappers, lsb without arguments, heartbeat class with positional arguments", () => {
  const cib = convertHaresources(
    groupsOf(
      "primarylb 10.0.0.1 Filesystem::/dev/sda1::/data::ext3 lvs drbddisk::r0::extra Delay::1::2::3::4 apache\nbackuplb httpd\n",
    ),
    { autoFailback: "off", nodes: NODES },
  );
  const got = primitives(cib).map((p) => [
    p.group?.id,
    p.primitive.id,
    p.primitive.class,
    params(p.primitive),
  ]);
  assert.deepEqual(got, [
    ["group_10.0.0.1", "IPaddr_10_0_0_1", "ocf", { ip: "10.0.0.1" }],
    ["group_10.0.0.1", "Filesystem", "ocf", { device: "/dev/sda1", directory: "/data", fstype: "ext3" }],
    ["group_10.0.0.1", "lvs", "lsb", {}],
    ["group_10.0.0.1", "drbddisk", "heartbeat", { "1": "r0", "2": "extra" }],
    ["group_10.0.0.1", "Delay", "heartbeat", { "1": "1", "2": "2", "3": "3", "4": "4" }],
    ["group_10.0.0.1", "apache", "ocf", {}],
    ["httpd", "httpd_2", "lsb", {}],
  ]);
  assert.deepEqual(
    cib.configuration.constraints.locations.map((l) => [l.rsc, l.node, l.score]),
    [
      ["group_10.0.0.1", "primarylb", 100],
      ["httpd", "backuplb", 100],
    ],
  );
});

test("sanitizeId produces XML ids", () => {
  assert.equal(sanitizeId("IPaddr::192.168.1.110/24/eth0"), "IPaddr_192.168.1.110_24_eth0");
  assert.equal(sanitizeId("10.0.0.5"), "rsc_10.0.0.5");
  assert.equal(sanitizeId("10.0.0.5", "group_"), "group_10.0.0.5");
  assert.equal(sanitizeId("::"), "rsc");
  assert.equal(sanitizeId("a b\tc"), "a_b_c");
});

test("converted CIBs serialise, validate cleanly and round-trip", () => {
  const groups = groupsOf(
    "primarylb IPaddr::192.168.1.110/24/eth0 ldirectord::ldirectord.cf\nbackuplb IPaddr2::10.0.0.7/24/eth1:web/10.0.0.255 MailTo::root@example.com::failover lvs\n",
  );
  for (const af of ["on", "off", "legacy"] as const) {
    const cib = convertHaresources(groups, { autoFailback: af, nodes: NODES });
    const text = serializeCib(cib);
    const back = parseCib(text, "cib.xml");
    assert.deepEqual(back.diagnostics.map(formatDiagnostic), [], text);
    assert.deepEqual(back.value, cib);
  }
});

test("ha.cf stonith_host devices become stonith primitives with stonith-enabled=true; a lost node is then fenced first", () => {
  const cib = convertHaresources(groupsOf("primarylb IPaddr::192.168.1.110/24/eth0\n"), {
    autoFailback: "on",
    nodes: NODES,
    stonith: [
      { from: "primarylb", plugin: "external/ssh", agent: "fence_ssh", hosts: ["backuplb"], at },
      { from: "backuplb", plugin: "meatware", agent: "fence_meatware", hosts: ["primarylb"], at },
    ],
  });
  assert.equal(clusterOptions(cib).stonithEnabled, true);
  const fences = primitives(cib)
    .map((i) => i.primitive)
    .filter((p) => p.class === "stonith");
  assert.deepEqual(
    fences.map((p) => [p.id, p.type, params(p).hostlist]),
    [
      ["fence_backuplb", "fence_ssh", "backuplb"],
      ["fence_primarylb", "fence_meatware", "primarylb"],
    ],
  );
  const back = parseCib(serializeCib(cib), "cib.xml");
  assert.deepEqual(back.diagnostics.filter((d) => d.severity === "error").map(formatDiagnostic), []);
  const up = nodeUp(nodeUp(cib, "primarylb"), "backuplb");
  const t = schedule(nodeFail(up, "primarylb"), 0);
  const fence = t.actions.find((a) => a.op === "fence");
  assert.equal(fence?.node, "primarylb");
  assert.equal(
    clusterOptions(convertHaresources([], { autoFailback: "on", nodes: NODES })).stonithEnabled,
    false,
  );
});

test("haresourcesGroupIds names each line's group as convertHaresources does (the mixed-pair resource protocol relies on it)", () => {
  const groups = groupsOf(
    "primarylb ldirectord::ldirectord.cf\nprimarylb 10.0.0.1/24/eth0 ldirectord::other.cf\nbackuplb 10.0.0.2/24/eth1 lvs\n",
  );
  const ids = haresourcesGroupIds(groups);
  const cib = convertHaresources(groups, { autoFailback: "on", nodes: NODES });
  const present = new Set(cib.configuration.resources.filter((r) => r.kind === "group").map((r) => r.id));
  // the director-only first line has no group; the others are where the map says
  assert.equal(present.has(ids.get(groups[0]?.key ?? "") ?? ""), false);
  for (const g of groups.slice(1))
    assert.ok(present.has(ids.get(g.key) ?? ""), `${g.key} -> ${ids.get(g.key)}`);
  assert.equal(new Set(ids.values()).size, 3, "one id per line");
});
