// Goal: the rolling migration as a user does it (issue 11, docs/MIGRATION.md), with a client fetching the
// VIP over HTTP every 20 ms: two Heartbeat nodes with the VIP on node1; node2 moves to Tandem (no client
// failure); hb_standby on node1 moves the VIP to the Tandem node; node1 moves to Tandem; `hbctl takeover`
// on node1. Prints the failed requests and the longest gap of each step; the VIP is never on both nodes.
// Method: InteropLab (same /etc/ha.d on both nodes for both daemons), HTTP servers, probe client, sampler.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { pollUntil, sleep } from "./lab.js";
import { closeAll, openMixed, vipHaresources } from "./mixed.js";

const timing = { keepaliveMs: 250, deadtimeMs: 1500, warntimeMs: 750, initdeadMs: 4000 };
after(closeAll);

test("rolling migration Heartbeat -> Tandem, one node at a time, the service stays up", {
  timeout: 240_000,
}, async () => {
  const p = openMixed(
    ["heartbeat", "heartbeat"],
    { haresources: vipHaresources("node1"), autoFailback: "on" },
    timing,
  );
  const l = p.lab;
  const logs = () => p.logs();
  p.startServers();
  p.startClient(20);
  p.startSampler();
  await Promise.all([l.startHeartbeat("node1"), l.startHeartbeat("node2")]);
  assert.ok((await p.vipOn("node1", 15_000)) !== undefined, `VIP not on node1\n${logs()}`);
  assert.ok((await p.answeredBy("node1", Date.now(), 5000)) !== undefined, "client not answered by node1");
  await sleep(3000);
  const steps: { step: string; failed: number; gapMs: number; ms: number }[] = [];
  const measure = async (step: string, act: () => Promise<void>) => {
    const from = Date.now();
    await act();
    await sleep(1500); // let the client's last probes of the step complete
    const to = Date.now();
    steps.push({ step, ...p.clientCost(from, to), ms: to - from });
  };
  const waitStable = async (node: string) => {
    for (let i = 0; i < 150; i++) {
      const r = JSON.parse(l.hbctl(node, "status", "--json").out || "{}");
      if (
        r.legacy !== undefined &&
        r.legacy.rscstatus !== "transition" &&
        r.legacy.peerStable !== false &&
        r.crm?.busy === false
      )
        return;
      await sleep(200);
    }
    assert.fail(`${node} never stable\n${logs()}`);
  };

  await measure("1. stop Heartbeat on node2, start hbd on node2 (same /etc/ha.d)", async () => {
    await l.stopHeartbeat("node2");
    l.setKind("node2", "hbd");
    l.startHbd("node2");
    await waitStable("node2");
    assert.deepEqual(p.holders(), ["node1"], `the VIP left node1\n${logs()}`);
    const st = JSON.parse(l.hbctl("node2", "status", "--json").out);
    assert.equal(st.legacy.mode, "heartbeat-peer", "node2 recognises node1 as a Heartbeat node");
  });
  await measure("2. hb_standby on node1: the VIP moves to the Tandem node", async () => {
    assert.equal(l.inHeartbeat("node1", "/usr/share/heartbeat/hb_standby", []).code, 0);
    assert.ok((await p.vipOn("node2", 15_000)) !== undefined, `VIP not on node2\n${logs()}`);
    await waitStable("node2");
  });
  await measure("3. stop Heartbeat on node1, start hbd on node1", async () => {
    await l.stopHeartbeat("node1");
    l.setKind("node1", "hbd");
    l.startHbd("node1");
    // auto_failback on: once both run Tandem the CRM may give node1 its group back by itself.
    for (let i = 0; i < 100; i++) {
      const r = JSON.parse(l.hbctl("node1", "status", "--json").out || "{}");
      if (r.legacy?.mode === "tandem-peer" && r.crm?.dc !== undefined && r.crm.busy === false) break;
      await sleep(200);
    }
  });
  await measure("4. hbctl takeover on node1", async () => {
    const r = l.hbctl("node1", "takeover");
    assert.equal(r.code, 0, `${r.out}${r.err}`);
    assert.ok((await p.vipOn("node1", 15_000)) !== undefined, `VIP not on node1\n${logs()}`);
  });
  assert.ok(
    (await p.answeredBy("node1", Date.now(), 5000)) !== undefined,
    "client not answered by node1 at the end",
  );
  // Both run Tandem now: rscstatus comes from what runs where (the VIP group prefers node1).
  const rsc = await pollUntil(
    () => `${l.hbctl("node1", "cl", "rscstatus").out}/${l.hbctl("node2", "cl", "rscstatus").out}`,
    (v) => v === "local/none",
    10_000,
    200,
  );
  assert.ok(rsc.ok, `hbctl cl rscstatus node1/node2: ${rsc.value}`);
  for (const s of steps)
    console.log(`# ${s.step}: ${s.failed} failed requests, longest gap ${s.gapMs} ms (${s.ms} ms)`);
  assert.equal(steps[0]?.failed, 0, "moving node2 to Tandem must not interrupt the service");
  p.stopSampler();
  assert.equal(p.doubles.length, 0, `VIP on both nodes: ${JSON.stringify(p.doubles.slice(0, 5))}`);
  console.log(`# ${p.samples} samples, never on both`);
});
