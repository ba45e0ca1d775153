// Goal: DC election (election.ts) on its own: the start-up wait for a claim, the lowest active name, a late claim asked for,
// two DCs meeting (the lower name stays), a follower pointed to another DC, and the membership helpers a DC uses.
// Method: one Election with recording ports and a manual monotonic clock.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Cib } from "../../../src/cib/model.js";
import { parseCib } from "../../../src/cib/parse.js";
import type { CrmMessage } from "../../../src/daemon/crm-messages.js";
import { aliveButDownForDc, downNodes, Election } from "../../../src/daemon/election.js";

class Rig {
  mono = 0;
  localActive = true;
  readonly active = new Set<string>();
  present = 0;
  readonly sent: string[] = [];
  readonly events: string[] = [];
  readonly election: Election;

  constructor(local = "n2") {
    this.election = new Election({
      localNode: local,
      log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
      monotonic: () => this.mono,
      send: (m: CrmMessage, dest: string) => this.sent.push(`${m.k} -> ${dest}`),
      dcWaitMs: 1000,
      localActive: () => this.localActive,
      isActive: (n) => this.active.has(n),
      activeNodes: () => this.active,
      hearsPeers: () => this.present > 0,
      becameDc: () => this.events.push("became DC"),
      keptDc: (o) => this.events.push(`kept DC against ${o}`),
      abdicated: () => this.events.push("abdicated"),
      kick: () => this.events.push("kick"),
    });
  }
}

test("a node alone elects itself at once; an inactive node never elects", () => {
  const rig = new Rig();
  rig.localActive = false;
  rig.election.elect();
  assert.equal(rig.election.dc, undefined);
  rig.localActive = true;
  rig.election.elect();
  assert.equal(rig.election.dc, "n2");
  assert.equal(rig.election.isDc, true);
  assert.deepEqual(rig.events, ["became DC"]);
});

test("a starting node that hears peers waits dcWaitMs for a claim, then takes the lowest active name", () => {
  const rig = new Rig("n2");
  rig.present = 1;
  rig.active.add("n3");
  rig.election.elect();
  assert.equal(rig.election.dc, undefined, "waits");
  rig.mono = 999;
  rig.election.electIfWaited(rig.mono);
  assert.equal(rig.election.dc, undefined);
  rig.mono = 1000;
  rig.election.electIfWaited(rig.mono);
  assert.equal(rig.election.dc, "n2", "lowest of n2, n3");
  assert.deepEqual(rig.events, ["became DC"]);
});

test("a claim during the start-up wait is followed and ends the wait", () => {
  const rig = new Rig("n2");
  rig.present = 1;
  rig.active.add("n3");
  rig.election.elect();
  rig.election.onSync("n3", "n3");
  assert.equal(rig.election.dc, "n3");
  rig.mono = 5000;
  rig.election.electIfWaited(rig.mono);
  rig.election.askIfClaimDue(rig.mono);
  assert.equal(rig.election.dc, "n3");
  assert.deepEqual(rig.sent, [], "nothing asked: the claim came");
  assert.deepEqual(rig.events, []);
});

test("the elected node that does not claim is asked every dcWaitMs while it is active", () => {
  const rig = new Rig("n2");
  rig.active.add("n1");
  rig.election.elect(true);
  assert.equal(rig.election.dc, "n1");
  assert.equal(rig.election.isDc, false);
  rig.mono = 999;
  rig.election.askIfClaimDue(rig.mono);
  assert.deepEqual(rig.sent, []);
  rig.mono = 1000;
  rig.election.askIfClaimDue(rig.mono);
  rig.mono = 2000;
  rig.election.askIfClaimDue(rig.mono);
  assert.deepEqual(rig.sent, ["sync-request -> n1", "sync-request -> n1"]);
  rig.election.onSync("n1", "n1"); // the claim
  rig.mono = 9000;
  rig.election.askIfClaimDue(rig.mono);
  assert.equal(rig.sent.length, 2, "no more asking once it claimed");
});

test("the DC leaving: none until the next election, which takes the lowest remaining name at once", () => {
  const rig = new Rig("n3");
  rig.active.add("n1");
  rig.active.add("n2");
  rig.present = 2;
  rig.election.onSync("n1", "n1");
  rig.election.lost("n2"); // not the DC: nothing changes
  assert.equal(rig.election.dc, "n1");
  rig.active.delete("n1");
  rig.election.lost("n1");
  assert.equal(rig.election.dc, undefined);
  rig.election.elect();
  assert.equal(rig.election.dc, "n2", "no start-up wait on the failover path");
});

test("two DCs that meet: the higher name abdicates, the lower keeps DC", () => {
  const high = new Rig("n2");
  high.election.elect();
  high.election.onSync("n1", "n1");
  assert.equal(high.election.dc, "n1");
  assert.deepEqual(high.events, ["became DC", "abdicated"]);
  const low = new Rig("n1");
  low.election.elect();
  low.election.onSync("n2", "n2");
  assert.equal(low.election.dc, "n1");
  assert.deepEqual(low.events, ["became DC", "kept DC against n2"]);
});

test("a follower pointed elsewhere by its DC follows that one, or elects again when it cannot", () => {
  const rig = new Rig("n3");
  rig.active.add("n1");
  rig.active.add("n2");
  rig.election.onSync("n1", "n1");
  rig.election.onSync("n1", "n2"); // n1 follows n2 now
  assert.equal(rig.election.dc, "n2");
  rig.mono = 1000;
  rig.election.askIfClaimDue(rig.mono);
  assert.deepEqual(rig.sent, ["sync-request -> n2"], "n2's claim is expected");
  rig.election.onSync("n2", null); // n2 follows nobody: it is not the DC; elect again
  assert.equal(rig.election.dc, "n1", "lowest active");
  assert.deepEqual(rig.events, ["kick"]);
  rig.election.onSync("n2", "n1"); // not our DC: a sync from it does not move us
  assert.equal(rig.election.dc, "n1");
});

test("notDc: the node we follow asked us for the DC's claim, so it is not the DC", () => {
  const rig = new Rig("n2");
  rig.active.add("n1");
  rig.election.elect(true);
  assert.equal(rig.election.dc, "n1");
  rig.active.delete("n1");
  rig.election.notDc("n1");
  assert.equal(rig.election.dc, "n2");
  assert.deepEqual(rig.events, ["became DC", "kick"]);
});

test("fromOtherDc: our DC's message is ours; another's makes us ask its claim at most once a second; as DC the lower name stays", () => {
  const rig = new Rig("n3");
  rig.active.add("n1");
  rig.active.add("n2");
  rig.election.onSync("n1", "n1");
  assert.equal(rig.election.fromOtherDc("n1"), false);
  assert.equal(rig.election.fromOtherDc("n2"), true);
  rig.mono = 999;
  assert.equal(rig.election.fromOtherDc("n2"), true);
  rig.mono = 1000;
  rig.election.fromOtherDc("n2");
  assert.deepEqual(rig.sent, ["sync-request -> n2", "sync-request -> n2"]);

  const dc = new Rig("n2");
  dc.election.elect();
  assert.equal(dc.election.fromOtherDc("n3"), true);
  assert.equal(dc.election.dc, "n2");
  assert.equal(dc.election.fromOtherDc("n1"), true);
  assert.equal(dc.election.dc, "n1");
  assert.deepEqual(dc.events, ["became DC", "kept DC against n3", "abdicated"]);
  assert.deepEqual(dc.sent, ["sync-request -> n1"], "asks the DC it now follows for its CIB");
});

test("downNodes and aliveButDownForDc", () => {
  assert.deepEqual(downNodes(["n1", "n2", "n3"], "n1", new Set(["n3"])), ["n2"]);
  const xml = `<cib admin_epoch="0" epoch="1" num_updates="0"><configuration><crm_config/><nodes/><resources/><constraints/></configuration><status>
<node_state id="n2" uname="n2" in_ccm="false" crmd="offline" join="down" expected="down"/>
<node_state id="n3" uname="n3" in_ccm="true" crmd="online" join="member" expected="member"/>
</status></cib>`;
  const cib = parseCib(xml).value as Cib;
  assert.equal(aliveButDownForDc(cib, ["n3", "n2"], "n1"), "n2");
  assert.equal(aliveButDownForDc(cib, ["n3", "n2"], "n2"), undefined, "the DC itself does not count");
  assert.equal(aliveButDownForDc(cib, ["n4"], "n1"), undefined, "no record: not known down");
});
