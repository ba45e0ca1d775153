// Goal: the host checks and the honest naming of haresources resources, as pure logic: a name is looked up
// in the resource.d directories first, then init.d; Tandem's shipped agents are named ocf:tandem:*; the
// names real Pacemaker runs stay ocf:heartbeat / lsb; a CIB is taken from the first place that has one.
// Method: a fake HostFacts (a set of existing paths) and hand-written configurations.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Cib } from "../../../src/cib/model.js";
import {
  checkCrmCib,
  checkOcfFallback,
  checkResourceLookup,
  checkWatchdog,
  type HostChecked,
  type HostFacts,
  hostNaming,
  lookupPaths,
} from "../../../src/config/host.js";
import type { LegacyResource, ResourceGroup } from "../../../src/config/model.js";
import { formatAgentName, haresourcesAgent } from "../../../src/config/to-cib.js";

function host(paths: string[], extra: Partial<HostFacts> = {}): HostFacts {
  const have = new Set(paths);
  return {
    resourceDirs: ["/cfg/resource.d", "/etc/ha.d/resource.d"],
    shippedDir: "/tandem/resource.d",
    initDir: "/etc/init.d",
    ocfRoot: "/usr/lib/ocf",
    shipped: new Set(["IPaddr2", "ldirectord", "lvs"]),
    exists: (p) => have.has(p),
    watchdogProblem: (d) => (have.has(d) ? undefined : "no such device"),
    cibCandidates: [],
    read: (p) => ({ path: p }),
    isExecutable: (p) => have.has(p),
    userExists: (u) => u === "hacluster",
    ...extra,
  };
}

const at = { file: "/cfg/haresources", line: 3 };
const rsc = (type: string, ...args: string[]): LegacyResource => ({ type, args, at });
const config = (resources: LegacyResource[]): HostChecked => ({
  pacemaker: "off",
  groups: [{ key: "k", node: "n1", resources, at } as ResourceGroup],
});

test("naming for hbd: shipped known agents are ocf:tandem, resource.d scripts class heartbeat, init.d-only lsb", () => {
  const h = host(["/cfg/resource.d/mylvs", "/etc/init.d/apache2"]);
  const n = hostNaming(h);
  const name = (r: LegacyResource) => formatAgentName(haresourcesAgent(r, n));
  assert.equal(name(rsc("IPaddr2", "10.0.0.1/24/eth0")), "ocf:tandem:IPaddr2");
  assert.equal(name(rsc("ldirectord", "ldirectord.cf")), "ocf:tandem:ldirectord");
  assert.equal(name(rsc("Filesystem", "/dev/sda1", "/mnt", "ext4")), "ocf:heartbeat:Filesystem");
  assert.equal(name(rsc("mylvs")), "heartbeat:mylvs");
  assert.equal(name(rsc("apache2")), "lsb:apache2");
  assert.equal(name(rsc("lvs")), "ocf:tandem:lvs");
  assert.equal(name(rsc("mylvs", "a")), "heartbeat:mylvs");
});

test("naming for Pacemaker (no naming given): ocf:heartbeat for known agents, lsb for bare names", () => {
  const name = (r: LegacyResource) => formatAgentName(haresourcesAgent(r));
  assert.equal(name(rsc("IPaddr2", "10.0.0.1")), "ocf:heartbeat:IPaddr2");
  assert.equal(name(rsc("mylvs")), "lsb:mylvs");
  assert.equal(name(rsc("mylvs", "x")), "heartbeat:mylvs");
});

test("lookup order: CONFIG_DIR/resource.d, /etc/ha.d/resource.d, Tandem's, then /etc/init.d", () => {
  assert.deepEqual(lookupPaths({ class: "heartbeat", type: "x" }, host([])), [
    "/cfg/resource.d/x",
    "/etc/ha.d/resource.d/x",
    "/tandem/resource.d/x",
    "/etc/init.d/x",
  ]);
});

test("a name found nowhere is an error at its haresources line; found in resource.d or init.d is not", () => {
  const h = host(["/etc/ha.d/resource.d/inhad", "/etc/init.d/ininit"]);
  const ds = checkResourceLookup(
    config([rsc("inhad"), rsc("ininit"), rsc("nowhere", "a"), rsc("IPaddr2", "1.2.3.4")]),
    h,
  );
  assert.deepEqual(
    ds.map((d) => [d.file, d.line, d.severity, d.code]),
    [["/cfg/haresources", 3, "error", "haresources.not-found"]],
  );
  assert.match(
    ds[0]!.message,
    /"nowhere" is found nowhere: not in \/cfg\/resource\.d, \/etc\/ha\.d\/resource\.d, \/etc\/init\.d/,
  );
  const ocf = checkResourceLookup(config([rsc("Filesystem", "/dev/x")]), h);
  assert.match(ocf[0]?.message ?? "", /nor \/usr\/lib\/ocf\/resource\.d\/heartbeat\/Filesystem/);
});

test("crm on: the first existing CIB place is used; none is an error at the crm line", () => {
  const cands = (e: boolean[]) =>
    (["state", "config", "heartbeat"] as const).map((origin, i) => ({
      origin,
      path: `/${origin}/cib.xml`,
      exists: e[i]!,
    }));
  const crm: HostChecked = { pacemaker: "on", groups: [], lines: { pacemaker: 7 } };
  const none = checkCrmCib(crm, "/cfg/ha.cf", host([], { cibCandidates: cands([false, false, false]) }));
  assert.equal(none.diagnostics[0]?.line, 7);
  assert.equal(none.diagnostics[0]?.code, "crm.no-cib");
  assert.match(
    none.diagnostics[0]!.message,
    /looked in \/state\/cib\.xml, \/config\/cib\.xml, \/heartbeat\/cib\.xml/,
  );
  const state = checkCrmCib(crm, "/cfg/ha.cf", host([], { cibCandidates: cands([true, true, true]) }));
  assert.equal(state.found?.origin, "state");
  const text =
    '<cib admin_epoch="0" epoch="2" num_updates="0"><configuration><crm_config/><nodes/><resources/><constraints/></configuration><status/></cib>';
  const hb = checkCrmCib(
    crm,
    "/cfg/ha.cf",
    host([], { cibCandidates: cands([false, false, true]), read: (p) => ({ path: p, text }) }),
  );
  assert.equal(hb.found?.origin, "heartbeat");
  assert.equal(hb.cib?.epoch, 2);
  const bad = checkCrmCib(
    crm,
    "/cfg/ha.cf",
    host([], { cibCandidates: cands([false, true, false]), read: (p) => ({ path: p, text: "<nope" }) }),
  );
  assert.ok(bad.diagnostics.some((d) => d.severity === "error" && d.file === "/config/cib.xml"));
});

test("ocf:heartbeat:T not installed: Tandem's T with a warning, or a warning that it cannot start", () => {
  const prim = (id: string, type: string) => ({
    kind: "primitive",
    id,
    class: "ocf",
    provider: "heartbeat",
    type,
    instanceAttributes: [],
    metaAttributes: [],
    utilization: [],
    operations: [],
  });
  const cib = {
    configuration: { resources: [prim("a", "lvs"), prim("b", "Nope"), prim("c", "IPaddr2")] },
  } as unknown as Cib;
  const ds = checkOcfFallback(cib, "cib.xml", host(["/usr/lib/ocf/resource.d/heartbeat/IPaddr2"]));
  assert.deepEqual(
    ds.map((d) => [d.code, d.severity]),
    [
      ["crm.agent-fallback", "warning"],
      ["crm.agent-missing", "warning"],
    ],
  );
});

test("watchdog: a missing device is a warning at its line; a present one says nothing", () => {
  const c: HostChecked = { pacemaker: "off", groups: [], watchdog: "/dev/wd", lines: { watchdog: 4 } };
  const ds = checkWatchdog(c, "ha.cf", host([]));
  assert.deepEqual(
    ds.map((d) => [d.line, d.severity, d.code]),
    [[4, "warning", "hacf.watchdog-unusable"]],
  );
  assert.deepEqual(checkWatchdog(c, "ha.cf", host(["/dev/wd"])), []);
});
