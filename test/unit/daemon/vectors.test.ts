// Goal: our node answers a real Heartbeat 3.0.6 peer the way the real node1 did (reference 3.11, 3.14).
// Method: replay node2's captured packets (two-nodes-startup-ipaddr.jsonl) into our node1 on a manual clock and check its replies.
import assert from "node:assert/strict";
import { test } from "node:test";
import { readJsonlCapture } from "../../../src/comm/capture.js";
import { getString } from "../../../src/comm/message.js";
import { decodeFrame } from "../../../src/comm/wire.js";
import { readFixture } from "../../helpers.js";
import { TestCluster } from "./harness.js";

const HACF =
  "keepalive 1\ndeadtime 6\ninitdead 12\nudpport 694\nucast eth0 10.99.0.2\nnode node1\nnode node2\ncrm off\n";
const NODE2_UUID = "97791d60864b49fcbdca7c73e15bdd97";

function replay() {
  const cap = readJsonlCapture(readFixture("vectors", "two-nodes-startup-ipaddr.jsonl"));
  const fromNode2 = cap.packets.filter((p) => p.src.startsWith("10.99.0.2:"));
  const c = new TestCluster(["node1", "node2"], HACF);
  const node1 = c.start("node1", 0x6b012875);
  const t0 = c.scheduler.now();
  for (const p of fromNode2) {
    const due = t0 + p.timeMs;
    if (c.scheduler.now() < due) c.run(due - c.scheduler.now());
    c.tap.send(p.payload);
  }
  c.run(100);
  return { c, node1, fromNode2 };
}

test("the captured node2 is accepted: every packet verifies, node2 goes active, then dead on shutdone", () => {
  const { c, node1, fromNode2 } = replay();
  assert.ok(fromNode2.length > 50);
  const k = node1.report().counters;
  assert.equal(k.badAuth + k.malformed + k.unknownNode + k.replays, 0);
  assert.equal(node1.localStatus, "active");
  const statuses = c.events.flatMap((x) => (x.e.kind === "node-status" && x.e.node === "node2" ? [x.e] : []));
  assert.deepEqual(
    statuses.map((e) => `${e.status}:${e.cause}`),
    ["up:heard", "active:heard", "dead:shutdown"],
  );
});

test("node1 answers node2's reqnodes with repnodes exactly as the real node1 did (fields, list, destuuid)", () => {
  const { c } = replay();
  const rep = c.sent("node1", "repnodes");
  assert.equal(rep.length, 1);
  const r = rep[0]!;
  assert.ok(r.ok);
  assert.equal(r.c.dest, "node2");
  assert.equal(getString(r.msg, "nodelist"), "node1 node2 ");
  assert.equal(Buffer.from(r.c.destuuid ?? []).toString("hex"), NODE2_UUID);
  // The real node1's repnodes (packet #28), for field order.
  const cap = readJsonlCapture(readFixture("vectors", "two-nodes-startup-ipaddr.jsonl"));
  const real = cap.packets
    .map((p) => decodeFrame(p.payload))
    .find((d) => d.ok && getString(d.msg, "t") === "repnodes" && getString(d.msg, "src") === "node1");
  assert.ok(real?.ok);
  assert.deepEqual(
    r.msg.fields.map((f) => f.name),
    real.msg.fields.map((f) => f.name),
  );
});

test("node1 asks node2 for the node list at comm-up and goes active only after node2's repnodes", () => {
  const { c } = replay();
  const req = c.sent("node1", "reqnodes");
  assert.ok(req.length >= 1);
  assert.equal(req[0]?.c.dest, "node2");
  const iReq = c.tapped.indexOf(req[0]!);
  const iActive = c.tapped.findIndex((t) => t.c.src === "node1" && t.c.st === "active");
  assert.ok(iReq >= 0 && iActive > iReq);
  const gap = c.tapped[iActive]!.frame.receivedAtMs - req[0]!.frame.receivedAtMs;
  // node2's repnodes (captured 0.1 s after the real node1's reqnodes) arrives about 0.1-0.5 s later here.
  assert.ok(gap > 0 && gap < 1000, `active ${gap} ms after reqnodes`);
});

test("node1 ACKs node2's sequenced messages with hex ackseq, and its status matches the real one's fields", () => {
  const { c } = replay();
  const acks = c.sent("node1", "NS_ackmsg");
  assert.ok(acks.length >= 2, `${acks.length} ACKs`);
  for (const a of acks) {
    assert.equal(a.c.dest, "node2");
    const s = Number.parseInt(getString(a.msg, "ackseq") ?? "x", 16);
    assert.ok(s >= 1 && s <= 0x40);
  }
  const cap = readJsonlCapture(readFixture("vectors", "two-nodes-startup-ipaddr.jsonl"));
  const realStatus = decodeFrame(cap.packets[0]!.payload);
  assert.ok(realStatus.ok);
  const ours = c.sent("node1", "status")[0]!;
  // The real node's fields in the same order, plus Tandem's marker after `protocol` (node.ts TANDEM_FIELD)
  // and this run's nonce (freshness.ts; Heartbeat ignores both).
  const real = realStatus.msg.fields.map((f) => f.name);
  real.splice(real.indexOf("protocol") + 1, 0, "tandem", "tnonce");
  assert.deepEqual(
    ours.msg.fields.map((f) => f.name),
    real,
  );
  assert.equal(ours.c.ttl, 3);
  assert.equal(ours.c.dtMs, 8000, "dt=1f40 during the first 5 s, as the real node");
});
