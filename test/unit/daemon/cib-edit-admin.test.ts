// Goal: the administrative CIB edits produce exactly crm_resource's constraints and attributes, remove them again, clean up history and fail counts, replace the configuration above both versions, refuse invalid input, and map Heartbeat's standby/takeover keywords to the right groups and nodes.
// Method: pure calls on a converted two-group haresources CIB with a status section built by policy/inject (node up, ops, failures).
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Cib } from "../../../src/cib/model.js";
import { nvMap } from "../../../src/cib/query.js";
import { INFINITY, MINUS_INFINITY } from "../../../src/cib/score.js";
import { serializeCib } from "../../../src/cib/serialize.js";
import {
  banNode,
  cibCounts,
  cleanupHistory,
  clearCliConstraints,
  homeNode,
  planAdmin,
  preferNode,
  replaceConfiguration,
  selectHeartbeat,
} from "../../../src/daemon/cib-edit.js";
import { haresourcesCib } from "../../../src/daemon/crm-cib.js";
import { nodeUp, opFail } from "../../../src/policy/inject.js";
import { G1, G2, P1, P2, twoGroupsCib } from "./two-groups.js";

const NOW = 1_800_000_000_000;
const base = twoGroupsCib;
/** Both nodes online, P1 running on n1 (with a failed monitor on n2), P2 running on n2. */
const running = (): Cib => {
  let c = nodeUp(nodeUp(base(), "n1"), "n2");
  c = opFail(c, { rsc: P1, op: "start", intervalMs: 0, node: "n1", rc: 0 }, NOW);
  c = opFail(c, { rsc: P1, op: "monitor", intervalMs: 10_000, node: "n2", rc: 1 }, NOW);
  c = opFail(c, { rsc: P2, op: "start", intervalMs: 0, node: "n2", rc: 0 }, NOW);
  return c;
};
const ctx = { nodes: ["n1", "n2"] };
const cli = (c: Cib) =>
  c.configuration.constraints.locations
    .filter((l) => l.id.startsWith("cli-"))
    .map((l) => `${l.id} ${l.rsc} ${l.node} ${l.score}`);
const ok = (p: ReturnType<typeof planAdmin>): Cib => {
  if (!p.ok) assert.fail(p.reason);
  assert.ok(p.cib, p.message);
  return p.cib;
};

test("the group ids the tests rely on exist", () => {
  assert.deepEqual(
    base().configuration.resources.map((r) => r.id),
    [G1, G2],
  );
});

test("move/ban write crm_resource's constraints; a move lifts a ban on its target; clear removes both", () => {
  const moved = preferNode(base(), G1, "n2");
  assert.deepEqual(cli(moved), [`cli-prefer-${G1} ${G1} n2 ${INFINITY}`]);
  const again = preferNode(moved, G1, "n1");
  assert.deepEqual(cli(again), [`cli-prefer-${G1} ${G1} n1 ${INFINITY}`], "one cli-prefer per resource");
  const banned = banNode(banNode(base(), G1, "n1"), G1, "n2");
  assert.deepEqual(cli(banned), [
    `cli-ban-${G1}-on-n1 ${G1} n1 ${MINUS_INFINITY}`,
    `cli-ban-${G1}-on-n2 ${G1} n2 ${MINUS_INFINITY}`,
  ]);
  assert.deepEqual(cli(preferNode(banned, G1, "n2")), [
    `cli-ban-${G1}-on-n1 ${G1} n1 ${MINUS_INFINITY}`,
    `cli-prefer-${G1} ${G1} n2 ${INFINITY}`,
  ]);
  const other = banNode(banned, G2, "n1");
  const cleared = clearCliConstraints(preferNode(other, G1, "n2"), G1);
  assert.deepEqual(cleared.removed.sort(), [`cli-ban-${G1}-on-n1`, `cli-prefer-${G1}`].sort());
  assert.deepEqual(
    cli(cleared.cib),
    [`cli-ban-${G2}-on-n1 ${G2} n1 ${MINUS_INFINITY}`],
    "other resources keep theirs",
  );
  assert.equal(
    cleared.cib.configuration.constraints.locations.filter((l) => l.id.startsWith("prefer-")).length,
    2,
  );
  assert.match(
    serializeCib(moved),
    new RegExp(`<rsc_location id="cli-prefer-${G1}" rsc="${G1}" node="n2" score="INFINITY"/>`),
  );
});

test("planAdmin: move/ban default to where the resource runs, act on a member's group, and refuse unknown ids and nodes", () => {
  const c = running();
  assert.deepEqual(cli(ok(planAdmin(c, { op: "move", rsc: P1 }, ctx))), [
    `cli-ban-${G1}-on-n1 ${G1} n1 ${MINUS_INFINITY}`,
  ]);
  assert.deepEqual(cli(ok(planAdmin(c, { op: "move", rsc: G1, node: "N2" }, ctx))), [
    `cli-prefer-${G1} ${G1} n2 ${INFINITY}`,
  ]);
  assert.deepEqual(cli(ok(planAdmin(c, { op: "ban", rsc: G2 }, ctx))), [
    `cli-ban-${G2}-on-n2 ${G2} n2 ${MINUS_INFINITY}`,
  ]);
  const unknown = planAdmin(c, { op: "move", rsc: "nope", node: "n2" }, ctx);
  assert.deepEqual(unknown, { ok: false, reason: "no resource nope in the CIB" });
  const badNode = planAdmin(c, { op: "ban", rsc: G1, node: "n9" }, ctx);
  assert.equal(badNode.ok, false);
  assert.match(badNode.ok ? "" : badNode.reason, /n9 is not a cluster node/);
  const stopped = planAdmin(base(), { op: "move", rsc: G1 }, ctx);
  assert.match(stopped.ok ? "" : stopped.reason, /runs on no node: name the node/);
  const nothing = planAdmin(c, { op: "clear", rsc: G1 }, ctx);
  assert.ok(nothing.ok && nothing.cib === undefined, "clear without constraints changes nothing");
  const cleared = ok(planAdmin(preferNode(c, G1, "n2"), { op: "clear", rsc: P1 }, ctx));
  assert.deepEqual(cli(cleared), [], "clear through a member clears its group");
});

test("start/stop set target-role on the named resource; cleanup forgets history and fail counts on one node or all", () => {
  const c = running();
  const stopped = ok(planAdmin(c, { op: "stop", rsc: G1 }, ctx));
  const g = stopped.configuration.resources.find((r) => r.id === G1);
  assert.equal(nvMap(g?.metaAttributes ?? [])["target-role"], "Stopped");
  const started = ok(planAdmin(stopped, { op: "start", rsc: G1 }, ctx));
  const g2 = started.configuration.resources.find((r) => r.id === G1);
  assert.equal(nvMap(g2?.metaAttributes ?? [])["target-role"], "Started");
  assert.equal(g2?.metaAttributes[0]?.nvpairs.length, 1, "no duplicate nvpair");

  const failAttrs = (x: Cib, node: string) =>
    Object.keys(nvMap(x.status.find((s) => s.uname === node)?.transientAttributes ?? [])).sort();
  assert.deepEqual(failAttrs(c, "n2"), [
    `fail-count-${P1}#monitor_10000`,
    `last-failure-${P1}#monitor_10000`,
  ]);
  const onN2 = cleanupHistory(c, [P1], "n2");
  assert.deepEqual(failAttrs(onN2.cib, "n2"), []);
  assert.equal(
    onN2.cib.status.find((s) => s.uname === "n2")?.lrmResources.some((r) => r.id === P1),
    false,
  );
  assert.equal(
    onN2.cib.status.find((s) => s.uname === "n1")?.lrmResources.some((r) => r.id === P1),
    true,
    "n1 untouched",
  );
  assert.equal(
    onN2.cib.status.find((s) => s.uname === "n2")?.lrmResources.some((r) => r.id === P2),
    true,
    "P2 untouched",
  );
  assert.equal(onN2.entries, 3);
  const everywhere = ok(planAdmin(c, { op: "cleanup", rsc: G1 }, ctx));
  assert.ok(everywhere.status.every((s) => !s.lrmResources.some((r) => r.id === P1)));
  const plan = planAdmin(c, { op: "cleanup", rsc: G1 }, ctx);
  assert.equal(plan.ok && plan.kind, "status");
});

test("cib apply replaces the configuration, keeps the status and puts the version above both; an invalid file is refused with file:line", () => {
  const current = { ...running(), adminEpoch: 0, epoch: 7, numUpdates: 5 };
  const next: Cib = { ...banNode(base(), G2, "n1"), adminEpoch: 0, epoch: 3, status: [] };
  const r = replaceConfiguration(current, next);
  assert.deepEqual([r.adminEpoch, r.epoch, r.numUpdates], [0, 7, 5], "the caller's bump makes it 0.8");
  assert.equal(r.status, current.status);
  assert.deepEqual(cli(r), [`cli-ban-${G2}-on-n1 ${G2} n1 ${MINUS_INFINITY}`]);
  const newer = replaceConfiguration(current, { ...next, adminEpoch: 2, epoch: 9 });
  assert.deepEqual([newer.adminEpoch, newer.epoch], [2, 9]);
  const plan = planAdmin(current, { op: "cib-apply", xml: serializeCib(next), file: "new.xml" }, ctx);
  assert.ok(plan.ok && plan.cib !== undefined);
  assert.match(plan.message, /now 0\.8/);
  const bad = serializeCib(next).replace(
    `<rsc_location id="cli-ban-${G2}-on-n1"`,
    `<rsc_location id="cli-ban-${G2}-on-n1" score="oops"`,
  );
  const refused = planAdmin(
    current,
    { op: "cib-apply", xml: `${bad.replace('score="-INFINITY"', "")}`, file: "new.xml" },
    ctx,
  );
  assert.equal(refused.ok, false);
  assert.match(refused.ok ? "" : refused.reason, /new\.xml:\d+: error: /);
  const broken = planAdmin(current, { op: "cib-apply", xml: "<cib><configuration>", file: "cut.xml" }, ctx);
  assert.match(broken.ok ? "" : broken.reason, /cut\.xml:\d+: error/);
});

test("Heartbeat keywords: home nodes, local/foreign selection, standby prefers the peer, takeover prefers this node", () => {
  const c = running();
  assert.equal(homeNode(c, G1), "n1");
  assert.equal(homeNode(preferNode(c, G1, "n2"), G1), "n1", "cli constraints do not change the home node");
  assert.deepEqual(selectHeartbeat(c, "n1", "local"), [G1]);
  assert.deepEqual(selectHeartbeat(c, "n1", "foreign"), [G2]);
  assert.deepEqual(selectHeartbeat(c, "n2", "all"), [G1, G2]);
  const plan = (
    op: "hb-standby" | "hb-takeover",
    which: "all" | "local" | "foreign" | "failback",
    node: string,
  ) => cli(ok(planAdmin(c, { op, which, node }, ctx)));
  assert.deepEqual(plan("hb-standby", "local", "n1"), [`cli-prefer-${G1} ${G1} n2 ${INFINITY}`]);
  assert.deepEqual(plan("hb-standby", "foreign", "n1"), [`cli-prefer-${G2} ${G2} n2 ${INFINITY}`]);
  assert.deepEqual(
    plan("hb-standby", "failback", "n2"),
    [`cli-prefer-${G1} ${G1} n1 ${INFINITY}`],
    "failback = foreign",
  );
  assert.deepEqual(plan("hb-standby", "all", "n2"), [
    `cli-prefer-${G1} ${G1} n1 ${INFINITY}`,
    `cli-prefer-${G2} ${G2} n1 ${INFINITY}`,
  ]);
  assert.deepEqual(plan("hb-takeover", "local", "n1"), [`cli-prefer-${G1} ${G1} n1 ${INFINITY}`]);
  assert.deepEqual(plan("hb-takeover", "foreign", "n1"), [`cli-prefer-${G2} ${G2} n1 ${INFINITY}`]);
  assert.deepEqual(
    plan("hb-takeover", "failback", "n1"),
    [`cli-prefer-${G1} ${G1} n1 ${INFINITY}`, `cli-prefer-${G2} ${G2} n1 ${INFINITY}`],
    "Heartbeat's quirk: failback = all",
  );
  const alone = nodeUp(base(), "n1");
  const refused = planAdmin(alone, { op: "hb-standby", which: "all", node: "n1" }, ctx);
  assert.match(refused.ok ? "" : refused.reason, /no other online node can take over/);
  const offline = planAdmin(alone, { op: "hb-takeover", which: "all", node: "n2" }, ctx);
  assert.match(offline.ok ? "" : offline.reason, /n2 cannot take over/);
});

test("haresources mode keeps the administrators' constraints and target-role over a restart; counts for cib show", () => {
  let stored = ok(planAdmin(running(), { op: "stop", rsc: G2 }, ctx));
  stored = { ...preferNode(banNode(stored, "gone", "n1"), G1, "n2"), epoch: 12 };
  const kept = haresourcesCib(base(), stored);
  assert.deepEqual(
    cli(kept),
    [`cli-prefer-${G1} ${G1} n2 ${INFINITY}`],
    "constraints of removed resources are dropped",
  );
  assert.equal(
    nvMap(kept.configuration.resources.find((r) => r.id === G2)?.metaAttributes ?? [])["target-role"],
    "Stopped",
  );
  assert.equal(kept.epoch, 13, "the dropped constraint is a change");
  assert.deepEqual(cibCounts(kept), { nodes: 2, resources: 2, primitives: 2, constraints: 3 });
});
