// Goal: HeartbeatNode speaks Heartbeat's protocol and tracks peers correctly, deterministically.
// Method: nodes on a MemoryNetwork with a manual clock; a tap endpoint decodes every frame; faults and forged frames injected.
import assert from "node:assert/strict";
import { test } from "node:test";
import { getString, message, str, withControlFields, withoutField } from "../../../src/comm/message.js";
import { decodeFrame, encodeFrame, verifyFrame } from "../../../src/comm/wire.js";
import { tickPeriodMs } from "../../../src/daemon/node.js";
import { haConfig, TestCluster, timingHaCf, typeOf, uuidOf } from "./harness.js";

const HACF = (nodes: string[]) => timingHaCf(nodes, "bcast eth0\n");

test("two nodes go init -> up -> active via reqnodes/repnodes and see each other active", () => {
  const c = new TestCluster(["a", "b"], HACF(["a", "b"]));
  const a = c.start("a");
  c.run(300);
  const b = c.start("b");
  c.runUntil(() => a.nodeStatus("b") === "active" && b.nodeStatus("a") === "active", 3000);
  assert.equal(a.localStatus, "active");
  assert.equal(b.localStatus, "active");
  // b's statuses: init first, then up, then active (after repnodes).
  const sts = c.sent("b", "status").map((t) => getString(t.msg, "st"));
  assert.deepEqual([...new Set(sts)], ["init", "up", "active"]);
  // b asked a for the node list; a answered with the full list.
  const req = c.sent("b", "reqnodes");
  assert.ok(req.length >= 1);
  assert.equal(req[0]?.c.dest, "a");
  const rep = c.sent("a", "repnodes").find((t) => t.c.dest === "b");
  assert.ok(rep, "a answered reqnodes");
  assert.equal(getString(rep.msg, "nodelist"), "a b ");
  assert.equal(getString(rep.msg, "delnodelist"), " ");
  assert.deepEqual(
    rep.msg.fields.map((f) => f.name),
    [
      "dest",
      "t",
      "nodelist",
      "delnodelist",
      "destuuid",
      "src",
      "srcuuid",
      "seq",
      "hg",
      "ts",
      "ld",
      "ttl",
      "auth",
    ],
  );
  // b went active only after a's repnodes.
  const firstActive = c.tapped.findIndex((t) => t.c.src === "b" && t.c.st === "active");
  assert.ok(c.tapped.indexOf(rep) < firstActive);
});

test("status frames carry Heartbeat's fields in its order, signed, with dt = deadtime + 2 s for the first 5 s", () => {
  const c = new TestCluster(["a", "b"], HACF(["a", "b"]));
  c.start("a");
  c.start("b");
  c.run(6000);
  const st = c.sent("a", "status");
  assert.ok(
    st.every((t) => t.ok),
    "every frame verifies with the cluster key",
  );
  assert.deepEqual(
    st[0]?.msg.fields.map((f) => f.name),
    // Heartbeat's fields in its order, plus `tandem` (how a peer tells a Tandem node from a Heartbeat one)
    // and this run's nonce (freshness.ts); `techo` once a peer's nonce is known.
    [
      "t",
      "st",
      "dt",
      "protocol",
      "tandem",
      "tnonce",
      "src",
      "srcuuid",
      "seq",
      "hg",
      "ts",
      "ld",
      "ttl",
      "auth",
    ],
  );
  assert.deepEqual(
    st
      .at(-1)
      ?.msg.fields.map((f) => f.name)
      .slice(4, 7),
    ["tandem", "tnonce", "techo"],
  );
  const nonceOf = (n: string) => getString(c.sent(n, "status")[0]!.msg, "tnonce");
  assert.match(nonceOf("a") ?? "", /^[0-9a-f]{16}$/);
  assert.equal(getString(st.at(-1)!.msg, "techo"), `b:${nonceOf("b")}`);
  assert.equal(st[0]?.c.dtMs, 3000);
  assert.equal(st.at(-1)?.c.dtMs, 1000);
  assert.equal(st[0]?.c.ttl, 3, "2 nodes + hopfudge 1");
  assert.equal(st[0]?.c.hg, 100);
  assert.equal(st[0]?.c.ts, Math.floor((1_800_000_000_000 + 10_000) / 1000));
  assert.deepEqual(st[0]?.c.srcuuid, uuidOf("a"));
  // Sequence numbers increase by one over all sequenced messages of a.
  const seqs = c.tapped.filter((t) => t.c.src === "a" && t.c.seq !== undefined).map((t) => t.c.seq ?? 0);
  assert.deepEqual(
    seqs,
    seqs.map((_, i) => i + 1),
  );
  // About one status per keepalive (100 ms) over 6 s, plus the extra ones on status changes.
  assert.ok(st.length >= 59 && st.length <= 64, `${st.length} status frames`);
});

test("peers ACK every 10th message (per-peer phase), with ackseq in hex and destuuid", () => {
  const c = new TestCluster(["a", "b"], HACF(["a", "b"]));
  c.start("a");
  c.start("b");
  c.run(5000);
  const acks = c.sent("b", "NS_ackmsg");
  assert.ok(acks.length >= 3, `${acks.length} acks`);
  const ackseqs = acks.map((t) => Number.parseInt(getString(t.msg, "ackseq") ?? "", 16));
  const phase = (ackseqs[0] ?? 0) % 10;
  assert.ok(ackseqs.every((s) => s % 10 === phase));
  assert.ok(
    ackseqs.every((s, i) => i === 0 || s > (ackseqs[i - 1] ?? 0)),
    "ackseq only increases",
  );
  assert.ok(acks.every((t) => t.c.dest === "a" && t.c.seq === undefined && t.c.destuuid !== undefined));
});

test("a crashed peer is declared dead within deadtime plus one tick; a clean shutdown at once", async () => {
  const c = new TestCluster(["a", "b", "c"], HACF(["a", "b", "c"]));
  const a = c.start("a");
  c.start("b");
  const cc = c.start("c");
  c.runUntil(() => a.nodeStatus("b") === "active" && a.nodeStatus("c") === "active", 3000);
  c.run(6000); // past the first 5 s: dt is the configured 1000 ms now
  await c.crash("b");
  c.runUntil(() => a.nodeStatus("b") === "dead", 3000);
  const lastStatusAt = c.sent("b", "status").at(-1)?.frame.receivedAtMs ?? 0;
  const death = c.events.find(
    (x) => x.observer === "a" && x.e.kind === "node-status" && x.e.status === "dead",
  );
  const after = (death?.e.atMs ?? 0) - lastStatusAt;
  assert.ok(after >= 1000 && after <= 1000 + c.tickMs + 1, `dead ${after} ms after the last status`);
  assert.equal(a.nodeStatus("c"), "active");
  const r = a.report();
  assert.equal(r.nodes.find((n) => n.name === "b")?.links[0]?.status, "dead");
  // Clean shutdown: resource info=shutdown, then shutdone st=dead; a sees c dead with no wait.
  cc.shutdown();
  c.run(10);
  const types = c
    .sent("c")
    .slice(-2)
    .map((t) => typeOf(t.msg));
  assert.deepEqual(types, ["resource", "shutdone"]);
  assert.equal(a.nodeStatus("c"), "dead");
  assert.ok(
    c.events.some(
      (x) => x.observer === "a" && x.e.kind === "node-status" && x.e.node === "c" && x.e.cause === "shutdown",
    ),
  );
  const sentBefore = c.sent("c").length;
  c.run(500);
  assert.equal(c.sent("c").length, sentBefore, "nothing is sent after shutdone");
});

test("forged, malformed, unknown-node and replayed frames are dropped, counted and change nothing", async () => {
  const c = new TestCluster(["a", "b"], HACF(["a", "b"]));
  const a = c.start("a");
  c.start("b");
  c.run(2000);
  assert.equal(a.nodeStatus("b"), "active");
  const old = c.sent("b", "status").at(-1);
  assert.ok(old);
  await c.crash("b");
  c.runUntil(() => a.nodeStatus("b") === "dead", 5000);
  const cfg = haConfig(HACF(["a", "b"]), "a");
  const wrongKey = haConfig(HACF(["a", "b"]), "a", "auth 1\n1 sha1 wrongsecret\n").auth;
  const status = (seq: number, hg: number, src = "b") =>
    withControlFields(message(str("t", "status"), str("st", "active"), str("protocol", "1")), {
      src,
      seq,
      hg,
      ts: 1_800_000_000,
      ttl: 3,
    });
  // A forged claim with the wrong key, a higher seq and the same generation.
  c.tap.send(encodeFrame(status(1000, 100), wrongKey));
  // Garbage, and a frame missing ts.
  c.tap.send(new TextEncoder().encode("###\ngarbage"));
  c.tap.send(encodeFrame(message(str("t", "status"), str("src", "b"), str("seq", "1")), cfg.auth));
  // A node that is not configured.
  c.tap.send(encodeFrame(status(1, 100, "mallory"), cfg.auth));
  // A replay of b's last real status (valid signature, old seq), and an older generation.
  c.tap.send(old.frame.data);
  c.tap.send(encodeFrame(status(5000, 99), cfg.auth));
  c.run(50);
  assert.equal(a.nodeStatus("b"), "dead", "nothing revived b");
  const k = a.report().counters;
  assert.equal(k.badAuth, 1);
  assert.equal(k.malformed, 2);
  assert.equal(k.unknownNode, 1);
  assert.equal(k.replays, 2);
});

test("replayed NS_ackmsg frames of the current generation are counted, not silently ignored", () => {
  const c = new TestCluster(["a", "b"], HACF(["a", "b"]));
  const a = c.start("a");
  c.start("b");
  c.run(5000);
  const acks = c.sent("b", "NS_ackmsg").filter((t) => t.c.dest === "a");
  assert.ok(acks.length >= 2, `${acks.length} acks`);
  const before = a.report().counters;
  // The oldest ack again (a replay), three times; the newest again (a copy from another medium).
  for (let i = 0; i < 3; i++) c.tap.send(acks[0]?.frame.data as Uint8Array);
  c.tap.send(acks.at(-1)?.frame.data as Uint8Array);
  c.run(10);
  const after = a.report().counters;
  assert.equal(after.replays - before.replays, 3, "each replayed ack is counted");
  assert.ok(after.duplicates - before.duplicates >= 1, "a copy of the newest ack is a duplicate");
  assert.equal(a.nodeStatus("b"), "active");
});

test("a lost packet is asked for with NS_rexmit and served from history", () => {
  const c = new TestCluster(["a", "b"], HACF(["a", "b"]));
  const a = c.start("a");
  const b = c.start("b");
  c.run(2000);
  // Drop a's next sequenced frame to b once.
  let dropped = false;
  c.net.setFault((f) => {
    if (!dropped && f.from === "a" && f.to === "b") {
      dropped = true;
      return "drop";
    }
    return [1];
  });
  c.run(2000);
  c.net.setFault(undefined);
  assert.ok(dropped);
  const req = c.sent("b", "NS_rexmit");
  assert.ok(req.length >= 1, "b asked for the missing packet");
  assert.equal(getString(req[0]!.msg, "firstseq"), getString(req[0]!.msg, "lastseq"));
  assert.ok(/^\d+$/.test(getString(req[0]!.msg, "firstseq") ?? ""), "firstseq is decimal");
  assert.ok(a.report().counters.retransmitsServed >= 1);
  const rb = b.report();
  assert.equal(rb.counters.packetsLost, 0);
  assert.equal(rb.counters.gapPackets, 1);
  assert.equal(b.nodeStatus("a"), "active");
});

test("a retransmission is the frame first sent; after an authkeys reload it is the same message signed with the new keys", () => {
  // history.ts keeps sent frames, not messages (issue 15, RSS at keepalive 10 ms): a retransmit
  // must still be what re-encoding the message with the node's current keys gives.
  const c = new TestCluster(["a", "b"], HACF(["a", "b"]));
  const a = c.start("a");
  c.run(1000);
  const rexmit = (seq: number, keys = c.config("a").auth) => {
    const req = withControlFields(
      message(
        str("t", "NS_rexmit"),
        str("dest", "a"),
        str("firstseq", String(seq)),
        str("lastseq", String(seq)),
      ),
      { src: "b", hg: 7, ts: 1_800_000_000, ttl: 3 },
    );
    c.tap.send(encodeFrame(req, keys));
    c.run(10);
    return c.tapped.filter((t) => t.c.src === "a" && t.c.seq === seq);
  };
  const statuses = c.sent("a", "status");
  const first = statuses[1];
  assert.ok(first?.c.seq !== undefined);
  const copies = rexmit(first.c.seq);
  assert.equal(copies.length, 2, "the original and one retransmission");
  assert.equal(Buffer.compare(copies[1]?.frame.data as Uint8Array, first.frame.data), 0, "the same bytes");
  assert.equal(a.report().counters.retransmitsServed, 1);
  // keys reloaded (SIGHUP): a message sent before it goes out signed with the new keys
  const second = statuses[2];
  assert.ok(second?.c.seq !== undefined);
  const newKeys = haConfig(HACF(["a", "b"]), "a", "auth 2\n2 md5 reloaded-secret\n").auth;
  a.setAuthKeys(newKeys);
  const again = rexmit(second.c.seq, newKeys);
  assert.equal(again.length, 2);
  const d = decodeFrame(again[1]?.frame.data as Uint8Array);
  assert.ok(d.ok);
  assert.equal(verifyFrame(d, newKeys).verdict.verdict, "ok", "signed with the new keys");
  assert.equal(verifyFrame(d, newKeys).inner?.verdict, "ok", "the inner auth field too");
  assert.deepEqual(
    d.msg.fields.filter((f) => f.name !== "auth"),
    second.msg.fields.filter((f) => f.name !== "auth"),
    "the same message",
  );
  const expected = encodeFrame(withoutField(second.msg, "auth"), newKeys);
  assert.equal(Buffer.compare(again[1]?.frame.data as Uint8Array, expected), 0, "what re-encoding gives");
  assert.equal(a.report().counters.retransmitsServed, 2);
});

test("a retransmit request below the history window gets NS_nak_rexmit", () => {
  const c = new TestCluster(["a", "b"], HACF(["a", "b"]), { historySize: 5 });
  c.start("a");
  c.run(1000);
  const cfg = haConfig(HACF(["a", "b"]), "b");
  const rexmit = withControlFields(
    message(str("t", "NS_rexmit"), str("dest", "a"), str("firstseq", "1"), str("lastseq", "1")),
    { src: "b", hg: 7, ts: 1_800_000_000, ttl: 3 },
  );
  c.tap.send(encodeFrame(rexmit, cfg.auth));
  c.run(20);
  const nak = c.sent("a", "NS_nak_rexmit");
  assert.equal(nak.length, 1);
  assert.equal(nak[0]?.c.dest, "b");
  assert.equal(getString(nak[0]!.msg, "firstseq"), "1");
  assert.equal(getString(nak[0]!.msg, "info"), "seqno too low");
});

test("a peer without `protocol` turns flow control off: no protocol field, no ACKs, no reqnodes", () => {
  const c = new TestCluster(["a", "b"], HACF(["a", "b"]));
  const a = c.start("a");
  const cfg = haConfig(HACF(["a", "b"]), "b");
  for (let seq = 1; seq <= 25; seq++) {
    const msg = withControlFields(message(str("t", "status"), str("st", "active")), {
      src: "b",
      seq,
      hg: 5,
      ts: 1_800_000_000,
      ttl: 3,
    });
    c.tap.send(encodeFrame(msg, cfg.auth, "classic"));
    c.run(100);
  }
  assert.equal(a.nodeStatus("b"), "active");
  assert.equal(a.localStatus, "active");
  assert.equal(c.sent("a", "reqnodes").length, 0);
  assert.equal(c.sent("a", "NS_ackmsg").length, 0);
  assert.equal(getString(c.sent("a", "status").at(-1)!.msg, "protocol"), undefined);
});

test("alone at initdead, the node goes active without waiting for anyone", () => {
  const c = new TestCluster(["a", "b"], HACF(["a", "b"]));
  const a = c.start("a");
  c.run(1900);
  assert.equal(a.localStatus, "up");
  c.run(200);
  assert.equal(a.localStatus, "active");
  assert.equal(a.nodeStatus("b"), "dead");
  assert.equal(c.sent("a", "reqnodes").length, 0);
});

test("status report: local node first, ages, links and counters", () => {
  const c = new TestCluster(["a", "b"], HACF(["a", "b"]));
  const a = c.start("a");
  c.start("b");
  c.run(1000);
  const r = a.report(1234);
  assert.equal(r.pid, 1234);
  assert.deepEqual(
    r.nodes.map((n) => [n.name, n.local, n.status]),
    [
      ["a", true, "active"],
      ["b", false, "active"],
    ],
  );
  const b = r.nodes[1]!;
  assert.ok(b.lastHeardAgeMs !== undefined && b.lastHeardAgeMs <= 110);
  assert.deepEqual(
    b.links.map((l) => [l.name, l.status]),
    [["eth0", "up"]],
  );
  assert.equal(r.commUp, true);
  assert.ok(r.counters.framesSent > 0 && r.counters.framesReceived > 0);
});

test("the tick period stays well below keepalive and deadtime, within 5..100 ms", () => {
  assert.equal(tickPeriodMs(20, 100), 5);
  assert.equal(tickPeriodMs(100, 1000), 25);
  assert.equal(tickPeriodMs(1000, 6000), 100);
  assert.equal(tickPeriodMs(10, 50), 5);
});

test("ha.cf `cluster NAME` is the cluster name hbctl status reports", () => {
  const c = new TestCluster(["a", "b"], timingHaCf(["a", "b"], "bcast eth0\ncluster lvs-pair\n"));
  const a = c.start("a");
  assert.equal(a.report().cluster, "lvs-pair");
});

/** Plays recorded frames to the cluster at their recorded spacing; returns b's statuses as `a` saw them. */
function replay(c: TestCluster, frames: readonly { frame: { data: Uint8Array; receivedAtMs: number } }[]) {
  const seen = new Set<string>();
  let at = frames[0]?.frame.receivedAtMs ?? 0;
  for (const t of frames) {
    c.run(Math.max(0, t.frame.receivedAtMs - at));
    at = t.frame.receivedAtMs;
    c.tap.send(t.frame.data);
    c.run(c.tickMs);
    seen.add(c.node("a").nodeStatus("b") ?? "none");
  }
  return seen;
}

test("replay after a restart: a recording of a dead peer's frames does not revive it (issue 13 item 4)", async () => {
  const c = new TestCluster(["a", "b"], HACF(["a", "b"]));
  const a = c.start("a");
  c.start("b");
  c.runUntil(() => a.nodeStatus("b") === "active", 3000);
  const from = c.tapped.length;
  c.run(5000); // the recording: 5 s of b's authenticated frames
  const recording = c.tapped.slice(from).filter((t) => t.c.src === "b");
  assert.ok(recording.length >= 5, `${recording.length} frames recorded`);
  await c.crash("b");
  c.runUntil(() => a.nodeStatus("b") === "dead", 3000);
  const marks = a.peerMarks(); // what hbd persists in the state dir (peer-marks.ts)
  assert.equal(marks.get("b")?.generation, 100);
  // a restarts with the marks of its previous run: the recording is a replay, b stays dead.
  await c.crash("a");
  const a2 = c.start("a", 101, { peerMarks: marks });
  c.run(100);
  const seen = replay(c, recording);
  assert.ok(!seen.has("active") && !seen.has("up"), `b seen as ${[...seen].join(", ")}`);
  // Every recorded status is dropped as a replay (acks for a's previous run are ignored, as in item 6).
  const statuses = recording.filter((t) => t.c.t === "status").length;
  assert.equal(a2.report().counters.replays, statuses);
  c.runUntil(() => a2.localStatus === "active", 5000); // alone at initdead: a takes over
  assert.notEqual(a2.nodeStatus("b"), "active");
  // Without the marks (Heartbeat 3.0.6 keeps none and accepts the recording) the nonce echo alone still
  // keeps b dead: none of the recorded statuses echoes this run's nonce.
  await c.crash("a");
  const a3 = c.start("a", 102);
  c.run(100);
  assert.ok(!replay(c, recording).has("active"), "without marks the recording does not revive b");
  assert.ok(a3.report().counters.unproven >= statuses);
});

test("a signed status at seq + 100,000 or at a generation far ahead does not lock out the genuine peer (issue 13 item 5)", () => {
  const c = new TestCluster(["a", "b"], HACF(["a", "b"]));
  const a = c.start("a");
  const b = c.start("b");
  c.runUntil(() => a.nodeStatus("b") === "active" && b.nodeStatus("a") === "active", 3000);
  const cfg = haConfig(HACF(["a", "b"]), "a");
  // The key holder also reads a's nonce on the wire and echoes it (freshness.ts cannot stop a key holder).
  const aNonce = getString(c.sent("a", "status")[0]!.msg, "tnonce") ?? "";
  const fields = [str("t", "status"), str("st", "active"), str("protocol", "1"), str("tandem", "1")];
  fields.push(str("tnonce", "0123456789abcdef"), str("techo", `a:${aNonce}`));
  const forged = (seq: number, hg: number) =>
    encodeFrame(
      withControlFields(message(...fields), {
        src: "b",
        seq,
        hg,
        ts: 1_800_000_000,
        ttl: 3,
      }),
      cfg.auth,
    );
  const last = c.sent("b", "status").at(-1)?.c.seq ?? 0;
  const before = a.report().counters;
  c.tap.send(forged(last + 100_000, 100));
  c.run(10);
  const k = a.report().counters;
  assert.deepEqual(
    [k.replays - before.replays, k.badAuth, k.malformed],
    [1, 0, 0],
    "the forged frame is held",
  );
  c.run(3000); // three deadtimes of the genuine stream after the forgeries
  assert.equal(a.nodeStatus("b"), "active");
  assert.ok(
    !c.events.some(
      (x) => x.observer === "a" && x.e.kind === "node-status" && x.e.node === "b" && x.e.status === "dead",
    ),
    "b was never declared dead",
  );
  assert.equal(a.report().nodes.find((n) => n.name === "b")?.generation, 100);
  // A signed status with a generation far in the future, echoing a's nonce (a key holder): held, and
  // three of them adopted then refuted by the genuine stream going on; b is never declared dead.
  c.tap.send(forged(1, 1_000_000_100));
  c.run(500);
  assert.equal(a.report().nodes.find((n) => n.name === "b")?.generation, 100, "one forged frame is held");
  for (const s of [2, 3, 4]) c.tap.send(forged(s, 1_000_000_100));
  c.run(10);
  assert.equal(a.report().nodes.find((n) => n.name === "b")?.generation, 1_000_000_100, "three are adopted");
  c.run(3000);
  assert.equal(a.report().nodes.find((n) => n.name === "b")?.generation, 100, "refuted: b's stream goes on");
  assert.equal(a.nodeStatus("b"), "active");
  assert.ok(
    !c.events.some(
      (x) => x.observer === "a" && x.e.kind === "node-status" && x.e.node === "b" && x.e.status === "dead",
    ),
    "b was never declared dead",
  );
});

test("replay of frames the peer sent while this node was down: a restarted node wants its nonce echoed (issue 13 item 4)", async () => {
  const c = new TestCluster(["a", "b"], HACF(["a", "b"]));
  const a = c.start("a");
  const b = c.start("b");
  c.runUntil(() => a.nodeStatus("b") === "active" && b.nodeStatus("a") === "active", 3000);
  c.run(1000);
  // a crashes (kill -9): its marks were last saved up to 2 s before, here 1 s before.
  const marks = a.peerMarks();
  c.run(1000);
  await c.crash("a");
  const from = c.tapped.length;
  c.run(5000); // the recording: b's frames after a's last saved marks, most sent while a was down
  const recording = c.tapped.slice(from).filter((t) => t.c.src === "b");
  assert.ok(recording.filter((t) => t.c.t === "status").length >= 10, `${recording.length} frames recorded`);
  await c.crash("b");
  const a2 = c.start("a", 101, { peerMarks: marks });
  c.run(100);
  const seen = replay(c, recording);
  assert.ok(!seen.has("active") && !seen.has("up"), `b seen as ${[...seen].join(", ")}`);
  assert.ok(a2.report().counters.unproven >= 10, `unproven ${a2.report().counters.unproven}`);
  c.runUntil(() => a2.localStatus === "active", 5000); // alone at initdead: a takes over
  assert.notEqual(a2.nodeStatus("b"), "active");
});

test("a peer restarted within deadtime proves its freshness at once and is never declared dead (issue 13 item 4)", async () => {
  const c = new TestCluster(["a", "b"], HACF(["a", "b"]));
  const a = c.start("a");
  c.start("b");
  c.runUntil(() => a.nodeStatus("b") === "active", 3000);
  c.run(500);
  await c.crash("b");
  c.run(300);
  const b2 = c.start("b", 101);
  c.runUntil(() => b2.nodeStatus("a") === "active" && a.report().nodes[1]?.generation === 101, 3000);
  c.runUntil(() => a.nodeStatus("b") === "active" && b2.localStatus === "active", 3000);
  assert.ok(
    !c.events.some((x) => x.observer === "a" && x.e.kind === "node-status" && x.e.status === "dead"),
    "b was never declared dead",
  );
  assert.ok(c.events.some((x) => x.observer === "a" && x.e.kind === "peer-restarted"));
  // b's statuses echo a's nonce once b heard a; a's echo b2's new nonce.
  const echo = (n: string) =>
    c
      .sent(n, "status")
      .at(-1)
      ?.msg.fields.find((f) => f.name === "techo");
  assert.ok(echo("b") !== undefined && echo("a") !== undefined);
  // Held: b2's statuses sent before it heard a (one keepalive of 100 ms), then two frames of its new
  // generation until confirmed (sequence.ts); none counted as a replay.
  assert.ok(a.report().counters.unproven <= 8, `unproven ${a.report().counters.unproven}`);
  assert.equal(a.report().counters.replays, 0);
});

test("a Heartbeat peer that comes back hears our status at once, before any NS_ackmsg (auto_failback legacy interop)", () => {
  // Heartbeat reaches comm-up on any packet from every node and, with auto_failback legacy, takes its
  // groups without an ip-request when it has seen no other node `active`: our status must come first.
  const c = new TestCluster(["a", "b"], HACF(["a", "b"]));
  const a = c.start("a");
  const cfg = haConfig(HACF(["a", "b"]), "b");
  const heartbeatStatus = (hg: number, seq: number, st: string) =>
    c.tap.send(
      encodeFrame(
        withControlFields(message(str("t", "status"), str("st", st), str("protocol", "1")), {
          src: "b",
          seq,
          hg,
          ts: 1_800_000_000 + seq,
          ttl: 3,
        }),
        cfg.auth,
        "classic",
      ),
    );
  for (let seq = 1; seq <= 10; seq++) {
    heartbeatStatus(5, seq, "active");
    c.run(100);
  }
  assert.equal(a.nodeStatus("b"), "active");
  c.run(1500); // b powered off: declared dead
  assert.equal(a.nodeStatus("b"), "dead");
  c.run(37); // off the keepalive beat: a regular status would not fall in the window below
  const before = c.tapped.length;
  heartbeatStatus(6, 1, "init");
  c.run(5);
  const answer = c.tapped.slice(before).filter((t) => t.c.src === "a");
  assert.equal(answer[0]?.c.t, "status", `a's first frames: ${answer.map((t) => t.c.t).join(", ")}`);
  assert.equal(getString(answer[0]!.msg, "st"), "active");
});
