// Goal: standby and takeover work from either side of a mixed pair (issue 11): Heartbeat's own
// hb_standby / hb_takeover on the Heartbeat node, `hbctl takeover` and the installed hb_standby on the
// Tandem node, each moving the VIP as two Heartbeat nodes would, never onto both nodes.
// Method: InteropLab with node1 = real Heartbeat 3.0.6 (preferred for the VIP), node2 = hbd; a 50 ms
// sampler of both nodes' addresses; Heartbeat's tools run inside its mount namespace.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { after, test } from "node:test";
import { repoRoot } from "../../helpers.js";
import { closeAll, openMixed, vipHaresources } from "./mixed.js";

const timing = { keepaliveMs: 250, deadtimeMs: 1500, warntimeMs: 750, initdeadMs: 4000 };
after(closeAll);

const MOVE_MS = 15_000;

test("hb_standby / hb_takeover on the Heartbeat node and hbctl takeover / hb_standby on the Tandem node move the VIP", {
  timeout: 180_000,
}, async () => {
  const p = openMixed(
    ["heartbeat", "hbd"],
    { haresources: vipHaresources("node1"), autoFailback: "on" },
    timing,
  );
  p.startSampler();
  const l = p.lab;
  const logs = () => p.logs();
  await Promise.all([l.startHeartbeat("node1"), Promise.resolve(l.startHbd("node2"))]);
  assert.ok((await p.vipOn("node1", 10_000)) !== undefined, `VIP not on node1\n${logs()}`);
  // Heartbeat refuses a standby while the other side is in flux: wait for both to be stable.
  const stable = async () => {
    for (let i = 0; i < 100; i++) {
      const r = JSON.parse(l.hbctl("node2", "status", "--json").out || "{}");
      const cl = l.clStatus("node1", "rscstatus").out;
      if (r.legacy?.rscstatus !== "transition" && r.legacy?.peerStable && cl !== "transition") return;
      await new Promise((res) => setTimeout(res, 200));
    }
    assert.fail(`never stable\n${logs()}`);
  };
  await stable();

  // Heartbeat's hb_standby on the Heartbeat node: the Tandem node takes the VIP.
  let t = Date.now();
  const sb = l.inHeartbeat("node1", "/usr/share/heartbeat/hb_standby", []);
  assert.equal(sb.code, 0, sb.err);
  let at = await p.vipOn("node2", MOVE_MS);
  assert.ok(at !== undefined, `hb_standby on node1 did not move the VIP to node2\n${logs()}`);
  console.log(`# hb_standby on node1 (Heartbeat): VIP on node2 after ${at - t} ms`);
  await stable();
  assert.equal(l.clStatus("node1", "rscstatus").out, "none", "cl_status rscstatus on the Heartbeat node");
  const st = JSON.parse(l.hbctl("node2", "status", "--json").out);
  assert.equal(st.legacy.mode, "heartbeat-peer");
  assert.equal(st.legacy.rscstatus, "all");
  assert.equal(l.hbctl("node2", "cl", "rscstatus").out, "all", "hbctl cl rscstatus on the Tandem node");
  assert.match(l.hbctl("node2", "status").out, /Heartbeat peer: node1 runs Heartbeat/);

  // Heartbeat's hb_takeover on the Heartbeat node: back to node1.
  t = Date.now();
  assert.equal(l.inHeartbeat("node1", "/usr/share/heartbeat/hb_takeover", []).code, 0);
  at = await p.vipOn("node1", MOVE_MS);
  assert.ok(at !== undefined, `hb_takeover on node1 did not bring the VIP back\n${logs()}`);
  console.log(`# hb_takeover on node1 (Heartbeat): VIP on node1 after ${at - t} ms`);
  await stable();
  assert.equal(l.clStatus("node1", "rscstatus").out, "all");

  // hbctl takeover on the Tandem node.
  t = Date.now();
  const to = l.hbctl("node2", "takeover");
  assert.equal(to.code, 0, to.err);
  at = await p.vipOn("node2", MOVE_MS);
  assert.ok(at !== undefined, `hbctl takeover on node2 did not move the VIP\n${logs()}`);
  console.log(`# hbctl takeover on node2 (Tandem): VIP on node2 after ${at - t} ms`);
  await stable();

  // The installed hb_standby on the Tandem node.
  t = Date.now();
  const hbs = spawnSync(process.execPath, [join(repoRoot, "dist", "src", "cli", "hb-standby.js")], {
    encoding: "utf8",
    env: { ...process.env, HBD_SOCKET: l.hbdSocket("node2") },
    timeout: 10_000,
  });
  assert.equal(hbs.status, 0, `${hbs.stdout}${hbs.stderr}`);
  at = await p.vipOn("node1", MOVE_MS);
  assert.ok(at !== undefined, `hb_standby on node2 did not move the VIP to node1\n${logs()}`);
  console.log(`# hb_standby on node2 (Tandem): VIP on node1 after ${at - t} ms`);
  await stable();
  assert.equal(l.clStatus("node1", "rscstatus").out, "all");

  p.stopSampler();
  assert.equal(p.doubles.length, 0, `VIP on both nodes: ${JSON.stringify(p.doubles.slice(0, 5))}`);
  console.log(`# ${p.samples} samples, never on both`);
});
