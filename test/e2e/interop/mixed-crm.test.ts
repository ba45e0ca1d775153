// Goal: a Heartbeat node in `crm on` mode next to a Tandem node (issue 11): membership works, and resources
// are refused with a clear error in the log and in `hbctl status` within 10 s: no hang, nothing started
// on two nodes (nothing is started: Tandem cannot share a CIB with a Heartbeat node).
// Method: InteropLab with `crm on` in both nodes' ha.cf, a cib.xml with the VIP in hbd's CONFIG_DIR.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { serializeCib } from "../../../src/cib/serialize.js";
import { parseHaresources } from "../../../src/config/haresources.js";
import { convertHaresources } from "../../../src/config/to-cib.js";
import { pollUntil, sleep } from "./lab.js";
import { closeAll, openMixed, vipHaresources } from "./mixed.js";

const timing = { keepaliveMs: 250, deadtimeMs: 1500, warntimeMs: 750, initdeadMs: 4000 };
after(closeAll);

test("a Heartbeat node in crm mode next to a Tandem node: membership, and a clear refusal of resources within 10 s", {
  timeout: 120_000,
}, async () => {
  const pair = openMixed(["heartbeat", "hbd"], { extraHaCf: "crm on", crmStandIns: true }, timing);
  const l = pair.lab;
  // Debian's pacemaker 2 has no Heartbeat-stack daemons: Heartbeat's crm mode gets idle stand-ins
  // (crmStandIns), so it runs as a crm-mode node would on the wire (membership, no haresources messages).
  const groups = parseHaresources(vipHaresources("node2"), "haresources", { nodes: ["node1", "node2"] });
  assert.ok(groups.value);
  const cib = convertHaresources(groups.value, { autoFailback: "on", nodes: ["node1", "node2"] });
  writeFileSync(join(l.nodeDir("node2"), "etc", "cib.xml"), serializeCib(cib));
  pair.startSampler();
  const logs = () => pair.logs();
  await l.startHeartbeat("node1");
  const started = Date.now();
  l.startHbd("node2");
  const seen = await pollUntil(
    () => l.hbctl("node2", "cl", "nodestatus", "node1").out,
    (s) => s === "active" || s === "up",
    15_000,
    200,
  );
  assert.ok(seen.ok, `node2 never saw node1: ${seen.value}\n${logs()}`);
  const refused = await pollUntil(
    () => JSON.parse(l.hbctl("node2", "status", "--json").out || "{}"),
    (r) => r.legacy?.mode === "refused",
    12_000,
    200,
  );
  assert.ok(refused.ok, `no refusal in hbctl status\n${logs()}`);
  const at = Date.now() - started;
  console.log(`# refusal shown ${at} ms after hbd started`);
  assert.ok(at <= 10_000 + 2000, `refusal after ${at} ms`);
  const text = l.hbctl("node2", "status");
  assert.equal(text.code, 0, "hbctl status answers (no hang)");
  assert.match(text.out, /ERROR: .*runs Heartbeat and this node runs crm on/);
  const logged = l.hbdEvents("node2").find((e) => e["event"] === "r1-refused");
  assert.ok(logged !== undefined, "the refusal is in hbd's log");
  await sleep(3000);
  pair.stopSampler();
  assert.deepEqual(pair.holders(), [], "nothing started");
  assert.equal(pair.doubles.length, 0);
  assert.equal(l.clStatus("node1", "nodestatus", "node2").code, 0, "Heartbeat sees node2 up/active");
});
