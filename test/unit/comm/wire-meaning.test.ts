// Goal: `hbctl wire decode` names every message of Heartbeat's resource protocol (and every type in the real
// 3.0.6 captures) with what it means.
// Method: the three real captures in fixtures/vectors decoded through describePackets; plus direct cases.
import assert from "node:assert/strict";
import { test } from "node:test";
import { readJsonlCapture } from "../../../src/comm/capture.js";
import { messageMeaning } from "../../../src/comm/wire-meaning.js";
import { describePackets } from "../../../src/comm/wire-report.js";
import { parseAuthkeys } from "../../../src/config/authkeys.js";
import { R1_TYPES } from "../../../src/daemon/r1.js";
import { readFixture } from "../../helpers.js";

const R1 = [...R1_TYPES, "shutdone"];

test("every message type in the real captures has a meaning, resource protocol included", () => {
  const keys = parseAuthkeys(readFixture("interop", "authkeys"), "authkeys").value;
  assert.ok(keys);
  const seen = new Set<string>();
  for (const name of [
    "two-nodes-startup-ipaddr.jsonl",
    "two-links-ping-standby-takeover.jsonl",
    "real-node-and-classic-format-peer.jsonl",
  ]) {
    const cap = readJsonlCapture(readFixture("vectors", name));
    for (const r of describePackets(cap.packets, keys)) {
      if (r.type === undefined) continue;
      seen.add(r.type);
      assert.ok(r.meaning !== undefined, `${name} #${r.index}: ${r.type} has no meaning`);
    }
  }
  for (const t of ["starting", "resource", "ask_resources", "hb_takeover", "ip-request-resp", "shutdone"])
    assert.ok(seen.has(t), `the captures hold ${t}`);
});

test("resource protocol messages say what they carry", () => {
  const get = (m: Record<string, string>) => (n: string) => m[n];
  assert.equal(
    messageMeaning("resource", get({ rsc_hold: "local", isstable: "1", info: "req_our_resources()" })),
    "haresources: the sender holds its own groups (local) (stable, req_our_resources())",
  );
  assert.match(
    messageMeaning("ask_resources", get({ rsc_hold: "foreign", info: "me" })) ?? "",
    /standby \[foreign\]: phase 1/,
  );
  assert.match(messageMeaning("ip-request", get({ ipaddr: "10.0.0.1" })) ?? "", /asks for group 10\.0\.0\.1/);
  assert.match(
    messageMeaning("ip-request-resp", get({ ipaddr: "g", dest: "n1", weown: "yes", ok: "OK" })) ?? "",
    /released it, take it/,
  );
  assert.match(messageMeaning("hb_takeover", get({ rsc_hold: "all" })) ?? "", /hb_standby/);
  for (const t of R1) assert.ok(messageMeaning(t, () => undefined) !== undefined, t);
  assert.equal(
    messageMeaning("no-such-type", () => undefined),
    undefined,
  );
});

test("num_ping_nodes: Heartbeat ipfail's count, and Tandem's fresh count when present", () => {
  const get = (m: Record<string, string>) => (n: string) => m[n];
  assert.equal(
    messageMeaning("num_ping_nodes", get({ num_ping: "1" })),
    "ipfail: the sender reaches 1 ping nodes",
  );
  assert.match(
    messageMeaning("num_ping_nodes", get({ num_ping: "2", tfresh: "1" })) ?? "",
    /\(1 answered it within half of deadping/,
  );
});
