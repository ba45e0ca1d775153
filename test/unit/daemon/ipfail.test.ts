// Goal: ipfail natively (daemon/ipfail.ts, ipfail-shell.ts, node.ts num_ping_nodes): each node sends its ping
// node count to the peer in ipfail's sequenced num_ping_nodes message; the node reaching fewer than its peer
// goes standby after the hysteresis delay and comes back after 10 s of equal counts; equal loss moves
// nothing; no peer count moves nothing; the peer dying releases a give-up; crm on publishes pingd once the
// count is stable. Method: the agent over fake ports with a manual clock; the shell's config gate; two
// HeartbeatNodes over an in-memory link exchanging num_ping_nodes.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ClusterConfig } from "../../../src/config/model.js";
import { IpfailAgent, type IpfailOptions } from "../../../src/daemon/ipfail.js";
import { startIpfail } from "../../../src/daemon/ipfail-shell.js";

/** ha.cf's `respawn hacluster /usr/lib/heartbeat/ipfail`, as parsed. */
const IPFAIL_RESPAWN = {
  user: "hacluster",
  path: "/usr/lib/heartbeat/ipfail",
  args: [],
  at: { file: "ha.cf", line: 2 },
};

function agent(options: Partial<IpfailOptions> = {}) {
  let local = 2;
  const sent: number[] = [];
  const standby: boolean[] = [];
  const published: number[] = [];
  const balanced: string[] = [];
  const a = new IpfailAgent(
    {
      rule: true,
      publish: false,
      keepaliveMs: 1000,
      giveUpAfterMs: 2000,
      recoverAfterMs: 10_000,
      ...options,
    },
    {
      reachable: () => local,
      send: (n) => sent.push(n),
      balanced: (from) => balanced.push(from),
      standby: (on) => standby.push(on),
      publish: (n) => published.push(n),
      log: () => {},
    },
  );
  return {
    a,
    sent,
    balanced,
    standby,
    published,
    set: (n: number) => {
      local = n;
    },
  };
}

test("fewer ping nodes than the peer: standby after the delay, back after 10 s of equal counts", () => {
  const t = agent();
  t.a.onPeerCount("b", "2");
  t.a.tick(0);
  assert.deepEqual(t.sent, [2]);
  t.set(1);
  t.a.tick(1000);
  assert.deepEqual(t.sent, [2, 1], "a changed count is sent at once");
  t.a.tick(2500);
  assert.deepEqual(t.standby, [], "not before the hysteresis delay");
  t.a.tick(3000);
  assert.deepEqual(t.standby, [true]);
  t.a.tick(4000);
  assert.deepEqual(t.standby, [true], "given up once");
  t.set(2);
  t.a.tick(5000);
  t.a.tick(14_000);
  assert.deepEqual(t.standby, [true], "not back before 10 s");
  t.a.tick(15_000);
  assert.deepEqual(t.standby, [true, false]);
});

test("equal loss, a short dip, no peer count and a bad count move nothing", () => {
  const t = agent();
  t.a.onPeerCount("b", "0");
  t.set(0);
  for (let now = 0; now < 30_000; now += 500) t.a.tick(now);
  assert.deepEqual(t.standby, [], "both lost the same ping nodes");
  t.a.onPeerCount("b", "2");
  t.set(1);
  t.a.tick(31_000);
  t.set(2);
  t.a.tick(32_500);
  t.a.tick(40_000);
  assert.deepEqual(t.standby, [], "a dip shorter than the delay");
  const u = agent();
  u.set(0);
  for (let now = 0; now < 30_000; now += 500) u.a.tick(now);
  assert.deepEqual(u.standby, [], "no count from the peer");
  u.a.onPeerCount("b", "x1");
  assert.equal(u.a.peer, undefined);
});

test("the peer dying while holding: standby off at once; counts resent periodically", () => {
  const t = agent();
  t.a.onPeerCount("b", "3");
  t.set(1);
  t.a.tick(0);
  t.a.tick(2000);
  assert.deepEqual(t.standby, [true]);
  t.a.onPeerGone();
  assert.deepEqual(t.standby, [true, false]);
  assert.equal(t.a.holding, false);
  const before = t.sent.length;
  t.a.tick(12_000);
  assert.equal(t.sent.length, before + 1, "resent after 10 keepalives");
  t.a.onPeerUp();
  t.a.tick(12_100);
  assert.equal(t.sent.length, before + 2, "sent at once to a peer that came up");
});

test("crm on: the count is published at once, then only after it was stable for the delay", () => {
  const t = agent({ rule: false, publish: true });
  t.a.tick(0);
  assert.deepEqual(t.published, [2]);
  t.set(1);
  t.a.tick(500);
  t.set(2);
  t.a.tick(1000);
  t.a.tick(5000);
  assert.deepEqual(t.published, [2], "a flap is not published");
  t.set(0);
  t.a.tick(6000);
  t.a.tick(7999);
  assert.deepEqual(t.published, [2]);
  t.a.tick(8000);
  assert.deepEqual(t.published, [2, 0]);
  assert.deepEqual(t.standby, [], "no rule without respawn ipfail");
});

function config(over: Partial<ClusterConfig>): ClusterConfig {
  return {
    pacemaker: "off",
    respawn: [],
    pingNodes: [{ kind: "ping", name: "10.0.0.1", addresses: ["10.0.0.1"], at: { file: "ha.cf", line: 1 } }],
    timing: { keepaliveMs: 1000, deadpingMs: 3000 },
    ...over,
  } as unknown as ClusterConfig;
}

test("shell: the rule only with respawn ipfail in haresources mode; pingd in crm mode; nothing without ping", () => {
  const ports = {
    sendNumPing: () => true,
    standby: () => {},
    setAttribute: () => {},
    log: { info: () => {}, warn: () => {} },
  };
  const ipfail = IPFAIL_RESPAWN;
  assert.equal(startIpfail(config({}), ports), undefined, "no ipfail line, haresources: nothing moves");
  assert.ok(startIpfail(config({ respawn: [ipfail] } as Partial<ClusterConfig>), ports));
  assert.equal(
    startIpfail(config({ respawn: [ipfail], pingNodes: [] } as Partial<ClusterConfig>), ports),
    undefined,
  );
  const attrs: [string, string][] = [];
  const crm = startIpfail(config({ pacemaker: "on" }), {
    ...ports,
    setAttribute: (n, v) => attrs.push([n, v]),
  });
  assert.ok(crm);
  crm.onPing("10.0.0.1", true);
  crm.tick(0);
  assert.deepEqual(attrs, [["pingd", "1"]]);
  const named = startIpfail(config({ pacemaker: "on" }), {
    ...ports,
    pingdAttribute: "uplink",
    setAttribute: (n, v) => attrs.push([n, v]),
  });
  named?.onPing("10.0.0.1", true);
  named?.tick(0);
  assert.deepEqual(attrs.at(-1), ["uplink", "1"], "the name is configurable");
  let refuse = true;
  const tries: string[] = [];
  const noDc = startIpfail(config({ pacemaker: "on" }), {
    ...ports,
    setAttribute: (_n, v) => {
      tries.push(v);
      if (refuse) throw new Error("no DC elected yet");
    },
  });
  noDc?.onPing("10.0.0.1", true);
  noDc?.tick(0);
  noDc?.tick(100);
  refuse = false;
  noDc?.tick(200);
  noDc?.tick(300);
  assert.deepEqual(tries, ["1", "1", "1"], "retried each tick until a DC takes it, then not again");
});

test("wire: num_ping_nodes is a signed, sequenced message with ipfail's fields, read by the peer", async () => {
  const { TestCluster, timingHaCf } = await import("./harness.js");
  const { getString } = await import("../../../src/comm/message.js");
  const c = new TestCluster(["a", "b"], timingHaCf(["a", "b"], "bcast eth0\n"));
  const a = c.start("a");
  const b = c.start("b");
  c.runUntil(() => a.nodeStatus("b") === "active" && b.nodeStatus("a") === "active", 5000);
  assert.equal(a.sendNumPing(3), true);
  c.run(50);
  const sent = c.sent("a", "num_ping_nodes");
  assert.equal(sent.length, 1);
  const m = sent[0]!;
  assert.equal(m.ok, true, "signed");
  assert.ok(m.c.seq !== undefined, "sequenced (retransmitted on loss)");
  assert.equal(getString(m.msg, "num_ping"), "3");
  assert.equal(getString(m.msg, "from_id"), "ipfail");
  assert.equal(getString(m.msg, "to_id"), "ipfail");
  assert.deepEqual(c.numPings, [{ observer: "b", from: "a", count: "3" }]);
  assert.equal(getString(m.msg, "tfresh"), undefined, "no Tandem field unless given");
  assert.equal(a.sendNumPing(2, 1), true);
  c.run(50);
  assert.equal(getString(c.sent("a", "num_ping_nodes")[1]!.msg, "tfresh"), "1", "Tandem's fresh count");
  assert.deepEqual(c.numPings.at(-1), { observer: "b", from: "a", count: "2", fresh: "1" });
});

test("shell: a standby ipfail left in the CIB before a restart is lifted at start (retried until a DC takes it)", () => {
  const ipfail = IPFAIL_RESPAWN;
  const calls: boolean[] = [];
  let refuse = true;
  const shell = startIpfail(config({ respawn: [ipfail] } as Partial<ClusterConfig>), {
    sendNumPing: () => true,
    standby: (on) => {
      calls.push(on);
      if (refuse) throw new Error("no DC elected yet");
    },
    setAttribute: () => {},
    heldAtStart: () => true,
    log: { info: () => {}, warn: () => {} },
  });
  shell?.tick(0);
  refuse = false;
  shell?.tick(100);
  shell?.tick(200);
  assert.deepEqual(calls, [false, false], "lifted once a DC answers, then left alone");
});

test("shell: a standby marked as ipfail's while the rule does not hold (an adopted copy) is lifted within a second", () => {
  const ipfail = IPFAIL_RESPAWN;
  const calls: boolean[] = [];
  let marked = false;
  const shell = startIpfail(config({ respawn: [ipfail] } as Partial<ClusterConfig>), {
    sendNumPing: () => true,
    standby: (on) => {
      calls.push(on);
      marked = on;
    },
    setAttribute: () => {},
    heldAtStart: () => marked,
    log: { info: () => {}, warn: () => {} },
  });
  shell?.tick(0);
  assert.deepEqual(calls, [], "no mark: nothing to lift");
  marked = true; // haresources simulator seed 64: the peer's copy of the CIB carried a give-up lifted here
  shell?.tick(500);
  shell?.tick(1500);
  assert.deepEqual(calls, [false], "lifted");
  assert.equal(marked, false);
  shell?.tick(2500);
  shell?.tick(3500);
  assert.deepEqual(calls, [false], "then left alone");
});

test("a Heartbeat peer's you_are_dead asks for standby again once given up (ipfail retries so), never before", () => {
  const t = agent();
  t.a.onPeerCount("b", "2");
  t.a.tick(0);
  t.a.onToldFewer("b");
  assert.deepEqual(t.standby, [], "not given up: the counts decide, not the peer's word");
  t.set(1);
  t.a.tick(1000);
  t.a.tick(3000);
  assert.deepEqual(t.standby, [true]);
  t.a.onToldFewer("b");
  t.a.onToldFewer("b");
  assert.deepEqual(t.standby, [true, true, true], "asked again on every you_are_dead while given up");
  const ruleOff = agent({ rule: false });
  ruleOff.a.onToldFewer("b");
  assert.deepEqual(ruleOff.standby, []);
});

test("a link to the peer dying sends the count at once (ipfail's link-dead trigger)", () => {
  const t = agent();
  t.a.tick(0);
  t.a.tick(5000);
  assert.deepEqual(t.sent, [2]);
  t.a.onLinkDead();
  t.a.tick(5100);
  assert.deepEqual(t.sent, [2, 2]);
});

test("a peer count equal to ours is reported as balanced (ipfail's auto_failback give-back), others are not", () => {
  const t = agent();
  t.a.tick(0);
  t.a.onPeerCount("b", "1");
  t.a.onPeerCount("b", "3");
  assert.deepEqual(t.balanced, []);
  t.a.onPeerCount("b", "2");
  assert.deepEqual(t.balanced, ["b"]);
  t.a.tick(100);
  assert.deepEqual(t.balanced, ["b"], "not again at once");
  t.a.tick(10_000);
  assert.deepEqual(t.balanced, ["b", "b"], "again after one resend interval while balanced");
  t.set(1);
  t.a.tick(20_000);
  assert.deepEqual(t.balanced, ["b", "b"], "not when the counts differ");
  const off = agent({ rule: false });
  off.a.onPeerCount("b", "2");
  assert.deepEqual(off.balanced, [], "only with the rule (respawn ipfail)");
});

test("fast path: a Tandem peer's lower count is answered at once with ours and our fresh count; Heartbeat's is not", () => {
  const sent: [number, number | undefined][] = [];
  const standby: boolean[] = [];
  let local = 1;
  const a = new IpfailAgent(
    {
      rule: true,
      publish: false,
      keepaliveMs: 1000,
      giveUpAfterMs: 2000,
      recoverAfterMs: 10_000,
      freshWindowMs: 1500,
    },
    {
      reachable: () => local,
      send: (n, fresh) => sent.push([n, fresh]),
      fresh: (now, w) => (now - 900 < w ? local : 0),
      standby: (on) => standby.push(on),
      log: () => {},
    },
  );
  a.tick(0);
  assert.deepEqual(sent, [[1, 1]], "the fresh count rides along");
  a.onPeerCount("b", "0", undefined, 100);
  assert.equal(sent.length, 1, "Heartbeat's ipfail (no tfresh) gets no extra message");
  a.onPeerCount("b", "0", "0", 200);
  assert.deepEqual(sent.at(-1), [1, 1], "a Tandem peer reaching fewer is answered at once");
  a.onPeerCount("b", "1", "1", 300);
  assert.equal(sent.length, 2, "an equal count is not answered");
  // our count falls: a fresh count received before the fall proves nothing, one received after does
  local = 0;
  a.tick(1000);
  a.tick(1100);
  assert.deepEqual(standby, [], "the peer's fresh 1 came before our fall");
  a.onPeerCount("b", "1", "1", 1150);
  a.tick(1200);
  assert.deepEqual(standby, [true], "given up at once on the fresh count after our fall");
});

test("fast path: a count still waiting for its first reply (start) is no fall: the delay applies", () => {
  let local = 0;
  const standby: boolean[] = [];
  const a = new IpfailAgent(
    {
      rule: true,
      publish: false,
      keepaliveMs: 1000,
      giveUpAfterMs: 2000,
      recoverAfterMs: 10_000,
      freshWindowMs: 1500,
    },
    {
      reachable: () => local,
      send: () => {},
      fresh: () => local,
      standby: (on) => standby.push(on),
      log: () => {},
    },
  );
  a.tick(0);
  a.onPeerCount("b", "1", "1", 10);
  a.tick(100);
  assert.deepEqual(standby, [], "not at once");
  local = 1;
  a.tick(300);
  a.tick(5000);
  assert.deepEqual(standby, [], "the first reply came: equal counts");
});

test("crm on: a fall proven not shared by the peer's fresh count is published at once; Tandem peers are answered", () => {
  let local = 1;
  const published: number[] = [];
  const sent: number[] = [];
  const a = new IpfailAgent(
    {
      rule: false,
      publish: true,
      keepaliveMs: 1000,
      giveUpAfterMs: 2000,
      recoverAfterMs: 10_000,
      freshWindowMs: 1500,
    },
    {
      reachable: () => local,
      send: (n) => sent.push(n),
      fresh: () => local,
      publish: (n) => published.push(n),
      log: () => {},
    },
  );
  a.tick(0);
  assert.deepEqual(published, [1]);
  a.onPeerCount("b", "0", "0", 100);
  assert.deepEqual(sent, [1, 1], "a Tandem peer's lower count is answered in crm mode too");
  local = 0;
  a.tick(1000);
  assert.deepEqual(published, [1], "dampened without proof");
  a.onPeerCount("b", "1", "0", 1100);
  a.tick(1200);
  assert.deepEqual(published, [1], "the peer's replies are old too: maybe shared, dampened");
  a.onPeerCount("b", "1", "1", 1300);
  a.tick(1400);
  assert.deepEqual(published, [1, 0], "published at once on proof");
});

test("given up, ipfail asks again every resend interval (a Tandem peer sends no you_are_dead), never before nor after (haresources seeds 1372, 1437)", () => {
  let local = 2;
  const standby: boolean[] = [];
  const asked: number[] = [];
  let now = 0;
  const a = new IpfailAgent(
    { rule: true, publish: false, keepaliveMs: 1000, giveUpAfterMs: 2000, recoverAfterMs: 10_000 },
    {
      reachable: () => local,
      send: () => {},
      standby: (on) => standby.push(on),
      askAgain: () => asked.push(now),
      log: () => {},
    },
  );
  const tickTo = (end: number) => {
    for (; now <= end; now += 500) a.tick(now);
    now -= 500;
  };
  a.onPeerCount("b", "2");
  tickTo(20_000);
  assert.deepEqual(asked, [], "not given up: nothing asked");
  local = 1;
  tickTo(45_000);
  assert.deepEqual(standby, [true]);
  assert.deepEqual(asked, [32_000, 42_000], "every 10 s (10 x keepalive) after the give-up at 22 s");
  local = 2;
  tickTo(80_000);
  assert.deepEqual(standby, [true, false]);
  const after = asked.length;
  assert.ok(
    asked.every((t) => t < 46_000),
    `asked again once the counts were equal again, waiting out the recovery (seed 1884): ${asked}`,
  );
  local = 1;
  tickTo(90_000);
  a.onPeerGone();
  const gone = asked.length;
  tickTo(120_000);
  assert.equal(asked.length, gone, "not while the peer is gone");
  assert.ok(after >= 2);
});
