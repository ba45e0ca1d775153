// Goal: control fields read back with their real types and Heartbeat's drop reasons, and are appended in Heartbeat's order. Method: table of small messages.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  bin,
  type Message,
  message,
  parseDecimal,
  parseHex,
  readControlFields,
  str,
  struct,
  withControlFields,
  withoutField,
} from "../../../src/comm/message.js";

const uuid = Uint8Array.from({ length: 16 }, (_, i) => i);
const names = (m: Message) => m.fields.map((f) => f.name).join(",");

test("control fields are parsed: hex seq/hg/ts/dt, decimal ttl/protocol, UUIDs", () => {
  const m = message(
    str("t", "status"),
    str("st", "up"),
    str("dt", "1770"),
    str("protocol", "1"),
    str("src", "node2"),
    bin("srcuuid", uuid),
    str("seq", "4a"),
    str("hg", "6b012922"),
    str("ts", "6b012923"),
    str("ld", "0.00 0.00 0.00 1/1 1"),
    str("ttl", "3"),
    str("auth", "1 ab"),
  );
  const r = readControlFields(m);
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.control, {
    t: "status",
    src: "node2",
    ld: "0.00 0.00 0.00 1/1 1",
    auth: "1 ab",
    st: "up",
    srcuuid: uuid,
    seq: 0x4a,
    hg: 0x6b012922,
    ts: 0x6b012923,
    dtMs: 6000,
    ttl: 3,
    protocol: 1,
  });
});

test("messages Heartbeat would drop are explained", () => {
  const base = message(str("t", "status"), str("src", "n1"), str("seq", "1"), str("ts", "5"));
  assert.deepEqual(readControlFields(base).problems, []);
  const problems = (m: Message) => readControlFields(m).problems.join(" | ");
  assert.match(problems(withoutField(base, "ts")), /no timestamp/);
  assert.match(problems(withoutField(base, "seq")), /no sequence number/);
  assert.match(problems(withoutField(base, "src")), /no sender/);
  assert.match(problems(withoutField(base, "t")), /no message type/);
  assert.match(problems(message(...base.fields.slice(0, 3), str("ts", "0"))), /ts is 0/);
  assert.match(problems(message(...base.fields.slice(0, 3), str("ts", "zz"))), /not a hex number/);
  assert.match(problems(message(...base.fields, bin("srcuuid", Uint8Array.of(1)))), /16-byte/);
  assert.match(problems(message(...base.fields, struct("dest", message()))), /dest should be a string/);
  assert.deepEqual(
    readControlFields(message(str("t", "NS_ackmsg"), str("src", "n1"), str("ts", "5"))).problems,
    [],
  );
});

test("control fields are appended in Heartbeat's order; NS_ types carry no seq or ld", () => {
  const c = {
    src: "n1",
    srcuuid: uuid,
    destuuid: uuid,
    seq: 31,
    hg: 0x6b012875,
    ts: 0x6b012874,
    ld: "l",
    ttl: 3,
  };
  const s = withControlFields(message(str("t", "status")), c);
  assert.equal(names(s), "t,destuuid,src,srcuuid,seq,hg,ts,ld,ttl");
  assert.equal(readControlFields(s).control.seq, 31);
  assert.equal(s.fields[4]!.value, "1f");
  const ack = withControlFields(message(str("t", "NS_ackmsg"), str("dest", "n2")), c);
  assert.equal(names(ack), "t,dest,destuuid,src,srcuuid,hg,ts,ttl");
});

test("parseHex accepts Heartbeat's %lx and refuses the rest", () => {
  assert.equal(parseHex("6b012875"), 0x6b012875);
  assert.equal(parseHex("A"), 10);
  for (const bad of ["", "0x1", "-1", "1 ", "g", "1".repeat(14)]) assert.equal(parseHex(bad), undefined, bad);
  assert.equal(parseDecimal("250"), 250);
  for (const bad of ["", "a", "-1", "1.5"]) assert.equal(parseDecimal(bad), undefined, bad);
});
