// Goal: `hbctl wire decode` records and text tell an operator which packets verify and why the others do not. Method: vector captures against right, wrong and missing keys, plus hand-made broken packets.
import assert from "node:assert/strict";
import { test } from "node:test";
import { type CapturedPacket, readJsonlCapture } from "../../../src/comm/capture.js";
import { message, str } from "../../../src/comm/message.js";
import { encodeFrame } from "../../../src/comm/wire.js";
import { describePackets, formatReport, hints, summarize } from "../../../src/comm/wire-report.js";
import type { AuthKey, AuthKeys } from "../../../src/config/model.js";
import { readFixture } from "../../helpers.js";

const at = { file: "authkeys", line: 1 };
const keys = (...ks: [number, AuthKey["method"], string][]): AuthKeys => ({
  active: ks[0]![0],
  keys: ks.map(([index, method, secret]) => ({ index, method, secret, at })),
});
const RIGHT = keys([1, "sha1", "testsecret"]);
const packets = readJsonlCapture(readFixture("vectors", "real-node-and-classic-format-peer.jsonl")).packets;

test("a healthy capture: every record ok, typed fields, JSON-able, per-node summary", () => {
  const recs = describePackets(packets, RIGHT);
  assert.equal(recs.length, 117);
  assert.ok(recs.every((r) => r.verdict === "ok" && r.keyIndex === 1 && r.method === "sha1"));
  const first = recs[0]!;
  assert.equal(first.type, "status");
  assert.equal(first.node, "node1");
  assert.equal(first.format, "netstring");
  assert.equal(first.seq, 1);
  assert.deepEqual(
    first.fields.find((f) => f.name === "srcuuid"),
    {
      name: "srcuuid",
      type: "binary",
      value: "3a760340-c3a9-48e7-984b-03c5bd155510",
    },
  );
  assert.deepEqual(JSON.parse(JSON.stringify(recs)), recs);
  const sum = summarize(recs);
  assert.deepEqual(
    sum.map((s) => [s.node, s.packets, s.verdicts.ok, s.lastStatus]),
    [
      ["node1", 83, 83, "active"],
      ["node2", 34, 34, "active"],
    ],
  );
  assert.deepEqual(hints(recs), []);
  const text = formatReport(recs);
  assert.match(
    text,
    /^#1 \+0\.000s 10\.99\.0\.1:\d+ -> 10\.99\.0\.2:694 309B netstring status from node1 seq 1 {2}OK key 1 sha1$/m,
  );
  assert.match(text, /^117 packets: 117 ok, 0 bad signature, 0 unknown key, 0 malformed$/m);
  assert.ok(!text.includes("Hints:"));
});

test("a wrong secret: bad signature, naming the key and the node whose secret differs", () => {
  const recs = describePackets(packets, keys([1, "sha1", "wrong"]));
  assert.ok(recs.every((r) => r.verdict === "bad-signature" && r.keyIndex === 1));
  assert.match(recs[0]!.reason, /key 1 \(sha1\).*node1's secret for key 1 likely differs/);
  const hs = hints(recs);
  assert.equal(hs.length, 2);
  assert.match(hs[0]!, /83 of 83 packets from node1 .* fail authentication with key 1/);
  assert.match(formatReport(recs), /BAD SIGNATURE/);
});

test("a different method for the same key index is pointed out", () => {
  const recs = describePackets(packets.slice(0, 3), keys([1, "md5", "testsecret"]));
  assert.equal(recs[0]!.senderMethod, "sha1");
  assert.match(recs[0]!.reason, /looks like sha1 but key 1 here is md5/);
});

test("an unknown key index", () => {
  const recs = describePackets(packets.slice(0, 2), keys([2, "sha1", "testsecret"]));
  assert.deepEqual(
    recs.map((r) => [r.verdict, r.keyIndex]),
    [
      ["unknown-key", 1],
      ["unknown-key", 1],
    ],
  );
  assert.match(hints(recs).join("\n"), /signed with key 1, which your authkeys does not define/);
});

test("malformed packets, missing control fields, one-sided traffic and old peers are explained", () => {
  const k = keys([1, "sha1", "s"]);
  const pkt = (payload: Uint8Array, src = "10.0.0.2:5000"): CapturedPacket => ({
    timeMs: 1700000000000,
    timeBase: "epoch",
    src,
    dst: "10.0.0.1:694",
    payload,
  });
  const oldStatus = encodeFrame(
    message(str("t", "status"), str("st", "up"), str("src", "old"), str("seq", "1"), str("ts", "5")),
    k,
    "classic",
  );
  const noTs = encodeFrame(message(str("t", "status"), str("src", "old"), str("seq", "2")), k);
  const recs = describePackets(
    [pkt(oldStatus), pkt(noTs), pkt(new TextEncoder().encode("###\n5:junk"), "10.0.0.9:1")],
    k,
  );
  assert.deepEqual(
    recs.map((r) => r.verdict),
    ["ok", "ok", "malformed"],
  );
  assert.equal(recs[2]!.errorKind, "truncated");
  assert.match(recs[1]!.notes.join(), /no timestamp/);
  const text = formatReport(recs);
  assert.match(text, /^capture starts 2023-11-14T22:13:20\.000Z$/m);
  assert.match(text, /note: no timestamp/);
  assert.match(text, /MALFORMED: /);
  const hs = hints(recs).join("\n");
  assert.match(hs, /old .* sends status without a protocol field/);
  assert.match(hs, /1 packet from 10\.0\.0\.9:1 .* malformed/);
  assert.match(hs, /Only old sends packets that verify/);
  assert.deepEqual(hints([]), [hints([])[0]]);
  assert.match(hints([])[0]!, /No UDP packets/);
});
