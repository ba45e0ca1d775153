// Goal: Membership turns heartbeats, ping answers and ticks into the node/link states and events of reference §3.8-3.10 and §6.
// Method: drive one instance by hand with explicit millisecond times and assert states, events and counters.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Prng } from "../../../src/base/prng.js";
import type { Timing } from "../../../src/config/model.js";
import {
  type IncomingHeartbeat,
  Membership,
  type MembershipEvent,
  type MembershipOptions,
  type PeerStatus,
} from "../../../src/membership/index.js";

const timing: Timing = {
  keepaliveMs: 50,
  deadtimeMs: 200,
  warntimeMs: 120,
  initdeadMs: 1000,
  deadpingMs: 300,
};

function make(extra: Partial<MembershipOptions> = {}): Membership {
  return new Membership({
    localNode: "n1",
    nodes: ["n1", "n2"],
    media: ["eth0", "eth1"],
    timing,
    startMs: 0,
    prng: new Prng(1),
    ...extra,
  });
}

/** A status from n2, generation 7, with an explicit sequence number. */
function status(
  at: number,
  seq: number,
  st: PeerStatus = "active",
  more: Partial<IncomingHeartbeat> = {},
): IncomingHeartbeat {
  return {
    from: "n2",
    medium: "eth0",
    generation: 7,
    seq,
    receivedAtMs: at,
    type: "status",
    status: st,
    ...more,
  } as IncomingHeartbeat;
}

const kinds = (events: readonly MembershipEvent[]) =>
  events.map((e) =>
    e.kind === "node-status"
      ? `node ${e.node} ${e.status} (${e.cause})`
      : e.kind === "link-status"
        ? `link ${e.node}:${e.medium} ${e.status}`
        : e.kind,
  );

test("a peer goes up then active, and is dead on the first tick more than deadtime after its last status", () => {
  const m = make();
  assert.deepEqual(kinds(m.onHeartbeat(status(10, 1, "up"))), [
    "link n2:eth0 up",
    "node n2 up (heard)",
    "comm-up",
  ]);
  assert.equal(m.localStatus, "init"); // the daemon has not started yet
  assert.deepEqual(kinds(m.localStarted(20)), ["local-status", "local-status"]); // up, then active: comm is up
  assert.equal(m.localStatus, "active");
  m.onHeartbeat(status(60, 2));
  assert.equal(m.nodeStatus("n2"), "active");
  assert.deepEqual(kinds(m.tick(260)), ["link n2:eth1 dead"]); // never heard on eth1
  assert.equal(m.nodeStatus("n2"), "active"); // exactly deadtime after the last status: not yet
  const died = m.tick(261);
  assert.deepEqual(kinds(died), ["node n2 dead (deadtime)", "link n2:eth0 dead"]);
  assert.equal(died[0]!.atMs, 261);
});

test("initdead applies until comm-up; then deadtime applies at once", () => {
  const m = make({ nodes: ["n1", "n2", "n3"] });
  m.onHeartbeat(status(10, 1));
  assert.equal(m.commUp, false);
  assert.deepEqual(kinds(m.tick(900)), []); // n2 silent 890 ms, n3 never heard: initdead (1000) applies
  assert.deepEqual(kinds(m.tick(1001)), [
    "link n2:eth1 dead",
    "node n3 dead (initdead)",
    "link n3:eth0 dead",
    "link n3:eth1 dead",
    "comm-up",
    "node n2 dead (deadtime)", // silent 991 ms > deadtime, checked again right after comm-up
    "link n2:eth0 dead",
  ]);
});

test("the peer's advertised deadtime (dt) replaces ours after its first status", () => {
  const m = make();
  m.onHeartbeat(status(0, 1, "active", { deadtimeMs: 500 } as Partial<IncomingHeartbeat>));
  m.tick(400);
  assert.equal(m.nodeStatus("n2"), "active");
  m.tick(501);
  assert.equal(m.nodeStatus("n2"), "dead");
});

test("a status later than warntime gives a late-heartbeat warning with the interval", () => {
  const m = make();
  m.onHeartbeat(status(0, 1));
  assert.deepEqual(kinds(m.onHeartbeat(status(50, 2))), []);
  const warning = m.onHeartbeat(status(190, 3)).find((e) => e.kind === "late-heartbeat");
  assert.ok(warning?.kind === "late-heartbeat");
  assert.equal(warning.intervalMs, 140);
  assert.equal(m.counters().lateHeartbeats, 1);
});

test("links are tracked per medium; duplicates refresh the link, not the node; stale copies are replays", () => {
  const m = make();
  m.onHeartbeat(status(0, 1));
  m.onHeartbeat(status(50, 2));
  assert.deepEqual(kinds(m.onHeartbeat(status(51, 2, "active", { medium: "eth1" }))), ["link n2:eth1 up"]);
  assert.equal(m.counters().duplicates, 1);
  m.onHeartbeat(status(100, 3, "active", { medium: "eth1" })); // from now on only eth1 carries packets
  m.tick(260);
  assert.equal(m.linkStatus("n2", "eth0"), "dead");
  assert.equal(m.linkStatus("n2", "eth1"), "up");
  assert.equal(m.nodeStatus("n2"), "active");
  m.onHeartbeat(status(290, 3, "active", { medium: "eth0" })); // a copy 190 ms after the original
  assert.equal(m.counters().replaysDropped, 1);
  assert.equal(m.linkStatus("n2", "eth0"), "dead");
});

test("replays never refresh a node: lower generation and old sequence are dropped and counted", () => {
  const m = make();
  m.onHeartbeat(status(0, 1));
  m.onHeartbeat(status(50, 2));
  const events = [
    ...m.onHeartbeat(status(200, 1)),
    ...m.onHeartbeat(status(210, 3, "active", { generation: 6 })),
  ];
  const reasons = events.flatMap((e) => (e.kind === "replay-dropped" ? [e.reason] : []));
  assert.deepEqual(reasons, ["old-sequence", "old-generation"]);
  m.tick(251);
  assert.equal(m.nodeStatus("n2"), "dead");
  assert.equal(m.counters().replaysDropped, 2);
  // A replayed old packet after death does not bring the node back (Heartbeat would accept it).
  m.onHeartbeat(status(400, 2));
  assert.equal(m.nodeStatus("n2"), "dead");
});

test("a same-generation status after death is a return after partition; a higher one a restart", () => {
  const m = make();
  m.onHeartbeat(status(0, 1));
  m.tick(201);
  const back = m.onHeartbeat(status(1000, 31));
  assert.deepEqual(
    kinds(back).filter((k) => k.startsWith("node")),
    ["node n2 active (returned-after-partition)"],
  );
  assert.equal(m.counters().gapPackets, 0); // the jump over the dead period is no gap
  // n2 is live: its new generation is held (sequence.ts) until three rising frames, then adopted.
  assert.deepEqual(kinds(m.onHeartbeat(status(1050, 1, "init", { generation: 8 }))), ["replay-dropped"]);
  m.onHeartbeat(status(1051, 2, "init", { generation: 8 }));
  const restarted = m.onHeartbeat(status(1052, 3, "init", { generation: 8 }));
  assert.deepEqual(
    kinds(restarted).filter((k) => k !== "gap-detected"),
    ["peer-restarted", "node n2 init (restart)"],
  );
  assert.equal(m.view().nodes[0]!.generation, 8);
  assert.equal(m.counters().restarts, 1);
});

test("gaps produce retransmit requests until filled; filled packets do not refresh liveness", () => {
  const m = make({ maxRexmitDelayMs: 100 });
  m.onHeartbeat(status(0, 1));
  const gap = m.onHeartbeat(status(150, 4)); // 2 and 3 lost
  assert.ok(kinds(gap).includes("gap-detected"));
  assert.equal(m.counters().gapPackets, 2);
  const requests: number[] = [];
  for (let t = 150; t <= 340; t += 10) {
    for (const e of m.tick(t)) if (e.kind === "retransmit-request") requests.push(e.seq);
  }
  assert.deepEqual([...new Set(requests)].sort(), [2, 3]);
  assert.ok(requests.length >= 4, `requests repeat every max_rexmit_delay: ${requests}`);
  const filled = [...m.onHeartbeat(status(345, 2)), ...m.onHeartbeat(status(346, 3))];
  assert.deepEqual(kinds(filled), ["gaps-filled"]);
  assert.equal(m.counters().gapPacketsFilled, 2);
  m.tick(351); // last newest status at 150: dead, although the retransmits arrived at 345
  assert.equal(m.nodeStatus("n2"), "dead");
});

test("a refused retransmit is reported lost once", () => {
  const m = make();
  m.onHeartbeat(status(0, 1));
  m.onHeartbeat(status(50, 3));
  assert.deepEqual(kinds(m.onRetransmitRefused("n2", 2, 60)), ["packet-lost"]);
  assert.deepEqual(kinds(m.onRetransmitRefused("n2", 2, 61)), []);
  assert.equal(m.counters().packetsLost, 1);
});

test("shutdone marks the peer dead at once", () => {
  const m = make();
  m.onHeartbeat(status(0, 1));
  const events = m.onHeartbeat({
    from: "n2",
    medium: "eth0",
    generation: 7,
    seq: 2,
    receivedAtMs: 10,
    type: "shutdone",
  });
  assert.deepEqual(kinds(events), ["node n2 dead (shutdown)"]);
});

test("ping nodes: status ping on a reply, dead after deadping without one", () => {
  const m = make({ nodes: ["n1"], pingNodes: ["10.0.0.254"] });
  assert.equal(m.nodeStatus("10.0.0.254"), "init");
  const up = m.onPingResult({ node: "10.0.0.254", up: true, atMs: 5 });
  assert.deepEqual(kinds(up), ["link 10.0.0.254:10.0.0.254 up", "ping-status", "comm-up"]);
  assert.equal(m.nodeStatus("10.0.0.254"), "ping");
  m.onPingResult({ node: "10.0.0.254", up: false, atMs: 100 }); // failures do not kill; silence does
  m.tick(305);
  assert.equal(m.nodeStatus("10.0.0.254"), "ping");
  m.tick(306);
  assert.equal(m.nodeStatus("10.0.0.254"), "dead");
  assert.equal(m.linkStatus("10.0.0.254", "10.0.0.254"), "dead");
});

test("ping nodes: a link that keeps answering stays up (no flapping)", () => {
  const m = make({ nodes: ["n1"], pingNodes: ["10.0.0.254"] });
  const events: string[] = [];
  for (let t = 400; t <= 2000; t += 100) {
    events.push(...kinds(m.onPingResult({ node: "10.0.0.254", up: true, atMs: t })));
    events.push(...kinds(m.tick(t + 50)));
    assert.equal(m.linkStatus("10.0.0.254", "10.0.0.254"), "up", `at ${t + 50} ms`);
  }
  assert.equal(events.filter((e) => e.startsWith("link ")).length, 1, events.join("; "));
});

test("frames from unknown nodes are counted and ignored; our own loopback is watched when expected", () => {
  const m = make({ expectLoopback: true, media: ["eth0"] });
  assert.deepEqual(kinds(m.onHeartbeat(status(0, 1, "active", { from: "intruder" }))), ["unknown-node"]);
  m.onHeartbeat(status(1, 1));
  m.onHeartbeat(status(2, 1, "active", { from: "n1" }));
  m.onHeartbeat(status(150, 2));
  assert.deepEqual(kinds(m.tick(202)), []);
  assert.deepEqual(kinds(m.tick(203)), ["local-heartbeat-lost"]);
  assert.deepEqual(kinds(m.tick(300)), []); // reported once
  assert.equal(m.counters().unknownNodeFrames, 1);
});

test("local status: init, up when started, active at comm-up, dead at shutdown; activation can wait", () => {
  const m = make({ activateOnCommUp: false });
  m.localStarted(0);
  assert.equal(m.localStatus, "up");
  m.onHeartbeat(status(5, 1, "up"));
  assert.equal(m.commUp, true);
  assert.equal(m.localStatus, "up");
  m.localActivate(10);
  assert.equal(m.localStatus, "active");
  assert.deepEqual(kinds(m.localShutdown(20)), ["local-status"]);
  assert.equal(m.localStatus, "dead");
});

test("time never goes back, and nextWakeMs says when the next timeout can fire", () => {
  const m = make({ media: ["eth0"] });
  m.onHeartbeat(status(100, 1));
  assert.equal(m.nextWakeMs(), 301);
  m.tick(50); // earlier than the last input: treated as 100
  assert.equal(m.view().nowMs, 100);
  m.tick(300);
  assert.equal(m.nodeStatus("n2"), "active");
  m.tick(m.nextWakeMs());
  assert.equal(m.nodeStatus("n2"), "dead");
});

test("view() reports nodes, links and per-node counters for status output", () => {
  const m = make({ pingNodes: ["gw"] });
  m.onHeartbeat(status(0, 1));
  m.onHeartbeat(status(10, 2, "active", { generation: 3 }));
  const v = m.view();
  assert.deepEqual(
    v.nodes.map((n) => [n.name, n.type, n.status, n.links.map((l) => `${l.medium}=${l.status}`).join(",")]),
    [
      ["n2", "normal", "active", "eth0=up,eth1=init"],
      ["gw", "ping", "init", "gw=init"],
    ],
  );
  assert.equal(v.nodes[0]!.counters.replaysDropped, 1);
  assert.equal(v.counters.replaysDropped, 1);
  assert.equal(v.nodes[0]!.deadIntervalMs, 1000); // comm not up yet: initdead
});

test("other sequenced messages keep links up and sequence tracking going, but do not keep the node alive", () => {
  const m = make({ media: ["eth0"] });
  m.onHeartbeat(status(0, 1));
  const other = (at: number, seq: number): IncomingHeartbeat => ({
    from: "n2",
    medium: "eth0",
    generation: 7,
    seq,
    receivedAtMs: at,
    type: "other",
  });
  m.onHeartbeat(other(100, 2));
  m.onHeartbeat(other(190, 3));
  m.tick(201);
  assert.equal(m.nodeStatus("n2"), "dead");
  assert.equal(m.linkStatus("n2", "eth0"), "up");
  assert.equal(m.view().nodes[0]!.lastSeq, 3);
  assert.deepEqual(kinds(m.onHeartbeat(other(210, 2))), ["replay-dropped"]);
});

/** n2 sends a status every 50 ms until `until`; we tick every 5 ms, except during [stallFrom, stallTo). */
function runWithStall(
  m: Membership,
  opts: { until: number; stallFrom: number; stallTo: number; end: number },
) {
  const events: string[] = [];
  let seq = 1;
  const queued: number[] = [];
  for (let t = 0; t <= opts.end; t += 5) {
    const stalled = t >= opts.stallFrom && t < opts.stallTo;
    if (t % 50 === 0 && t <= opts.until) queued.push(t);
    if (stalled) continue;
    events.push(...kinds(m.tick(t)));
    // frames queued in the socket during a stall are read after the timer fires, all at once
    for (const _ of queued.splice(0)) events.push(...kinds(m.onHeartbeat(status(t, seq++))));
  }
  return events;
}

test("stall compensation: our own 300 ms stall is not the peer's silence (no false death)", () => {
  const m = make({ media: ["eth0"], stallGapMs: 20 });
  m.localStarted(0);
  const events = runWithStall(m, { until: 1000, stallFrom: 400, stallTo: 700, end: 1000 });
  assert.ok(!events.some((e) => e.startsWith("node n2 dead")), events.join("; "));
  assert.ok(events.includes("stall"), events.join("; "));
  assert.equal(m.stalls.count, 1);
  assert.equal(m.nodeStatus("n2"), "active");
});

test("without stall compensation the same stall declares the live peer dead (Heartbeat's behaviour)", () => {
  const m = make({ media: ["eth0"] });
  m.localStarted(0);
  const events = runWithStall(m, { until: 1000, stallFrom: 400, stallTo: 700, end: 1000 });
  assert.ok(
    events.some((e) => e.startsWith("node n2 dead")),
    events.join("; "),
  );
});

test("stall compensation still declares a peer that really died, late by at most the stall", () => {
  const m = make({ media: ["eth0"], stallGapMs: 20 });
  m.localStarted(0);
  // n2's last status at 300; we stall from 400 to 700; dead by 300 + 200 + (300 - 20) + one tick
  const events = runWithStall(m, { until: 300, stallFrom: 400, stallTo: 700, end: 1200 });
  assert.ok(
    events.some((e) => e.startsWith("node n2 dead")),
    events.join("; "),
  );
  assert.equal(m.nodeStatus("n2"), "dead");
});
