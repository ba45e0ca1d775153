// Goal: two real hbd nodes run a haresources VIP: it starts on its preferred node, moves to the other on power loss within deadtime + margin, comes back with auto_failback on, follows hbctl standby / online, survives a SIGKILL + restart of hbd without being moved or restarted, and a clean SIGTERM releases it before the peer takes it (never on both).
// Method: two namespaces joined by a veth pair (tdc-<pid>-*), haresources `n1 IPaddr2::10.250.0.100/24/eth0` with the repo's IPaddr2; the VIP observed with `ip -n NS addr`, state with `hbctl status --json`.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { StatusReport } from "../../../src/ipc/protocol.js";
import { skipReason } from "../daemon/lab.js";
import { CrmLab } from "./lab.js";

const VIP = "10.250.0.100";
const DEADTIME_MS = 2000;
const hacf = (peer: string) =>
  `udpport 694\nucast eth0 ${peer}\nkeepalive 100ms\ndeadtime 2\nwarntime 1\ninitdead 4\nauto_failback on\nnode n1\nnode n2\ncrm off\n`;
const AUTHKEYS = "auth 1\n1 sha1 crm-e2e-secret\n";
const HARESOURCES = `n1 IPaddr2::${VIP}/24/eth0\n`;

test("haresources VIP: placement, power-loss failover, auto_failback, standby/online, restart adoption", {
  skip: skipReason(),
  timeout: 90_000,
}, async (t) => {
  const lab = new CrmLab();
  try {
    lab.pair("a", "b");
    const d1 = lab.configureCrm("n1", hacf("10.250.0.2"), AUTHKEYS, HARESOURCES);
    const d2 = lab.configureCrm("n2", hacf("10.250.0.1"), AUTHKEYS, HARESOURCES);
    const status = (sock: string): StatusReport | undefined => {
      const r = lab.hbctl(["status", "--json", "--socket", sock]);
      return r.code === 0 ? (JSON.parse(r.out) as StatusReport) : undefined;
    };
    const logs = () => `--- n1\n${lab.log("n1").slice(-6000)}\n--- n2\n${lab.log("n2").slice(-6000)}`;
    const startedAt = Date.now();
    lab.startHbd("a", "n1", d1);
    lab.startHbd("b", "n2", d2);

    // 1. The VIP starts on its preferred node n1, and only there; both nodes agree on the DC and placement.
    const onN1 = await lab.waitFor(() => lab.hasAddress("a", VIP), 20_000, 100);
    if (!onN1) assert.fail(`VIP never came up on n1\n${logs()}`);
    const agreed = await lab.waitFor(
      () =>
        status(d2.sock)?.crm?.resources[0]?.running.join() === "n1" && status(d1.sock)?.crm?.dc !== undefined,
      10_000,
      200,
    );
    if (!agreed)
      assert.fail(`n2 does not see the VIP on n1\n${JSON.stringify(status(d2.sock)?.crm)}\n${logs()}`);
    assert.equal(lab.hasAddress("b", VIP), false, "VIP on both nodes");
    const c1 = status(d1.sock)?.crm;
    const c2 = status(d2.sock)?.crm;
    assert.equal(c1?.dc, c2?.dc, "the nodes disagree on the DC");
    const text = lab.hbctl(["status", "--socket", d1.sock]);
    assert.match(text.out, /Current DC: n[12]/);
    assert.match(text.out, /\* IPaddr2_10_250_0_100 \(ocf:tandem:IPaddr2\): Started n1/);

    // 2. Power loss of n1 (hbd SIGKILLed, link down): the VIP comes up on n2 within deadtime + margin.
    await new Promise((r) => setTimeout(r, Math.max(0, startedAt + 7000 - Date.now()))); // past dt = deadtime + 2 s
    assert.ok(await lab.plainDeadtime(d2.sock, "n1", DEADTIME_MS), "n2 never applied n1's plain deadtime");
    lab.kill("n1", "SIGKILL");
    lab.exec("a", "ip", "link", "set", "eth0", "down");
    const lostAt = Date.now();
    const moved = await lab.waitFor(() => lab.hasAddress("b", VIP), DEADTIME_MS + 5000, 10);
    const failoverMs = Date.now() - lostAt;
    if (!moved) assert.fail(`VIP did not move to n2\n${logs()}`);
    t.diagnostic(`failover: VIP on n2 ${failoverMs} ms after power loss of n1 (deadtime ${DEADTIME_MS} ms)`);
    assert.ok(failoverMs <= DEADTIME_MS + 1500, `failover took ${failoverMs} ms`);
    assert.equal(status(d2.sock)?.crm?.dc, "n2");

    // 3. n1 comes back (its VIP gone, as after a reboot): auto_failback on moves the VIP back to n1.
    await lab.exited("n1", 5000);
    lab.exec("a", "ip", "addr", "del", `${VIP}/24`, "dev", "eth0");
    lab.exec("a", "ip", "link", "set", "eth0", "up");
    lab.startHbd("a", "n1", d1);
    const back = await lab.waitFor(() => lab.hasAddress("a", VIP) && !lab.hasAddress("b", VIP), 20_000, 100);
    if (!back) assert.fail(`VIP did not fail back to n1\n${logs()}`);
    const settled = await lab.waitFor(
      () => status(d2.sock)?.crm?.resources[0]?.running.join() === "n1",
      5000,
    );
    assert.ok(settled, "n2's status does not show the VIP on n1");

    // 4. hbctl standby n1 (asked on n1) moves the VIP to n2; hbctl online n1 brings it back.
    const sb = lab.hbctl(["standby", "n1", "--socket", d1.sock]);
    assert.equal(sb.code, 0, sb.err);
    const toN2 = await lab.waitFor(() => lab.hasAddress("b", VIP) && !lab.hasAddress("a", VIP), 10_000, 50);
    if (!toN2) assert.fail(`standby n1 did not move the VIP\n${logs()}`);
    const standbyShown = await lab.waitFor(
      () => status(d1.sock)?.crm?.nodes.find((n) => n.name === "n1")?.standby === true,
      5000,
    );
    assert.ok(standbyShown, "n1's replicated CIB does not show standby");
    const on = lab.hbctl(["online", "n1", "--socket", d2.sock]);
    assert.equal(on.code, 0, on.err);
    const home = await lab.waitFor(() => lab.hasAddress("a", VIP) && !lab.hasAddress("b", VIP), 10_000, 50);
    if (!home) assert.fail(`online n1 did not bring the VIP back\n${logs()}`);
    const quiet = await lab.waitFor(() => {
      const crm = status(d2.sock)?.crm;
      return crm?.busy === false && crm.resources[0]?.running.join() === "n1";
    }, 10_000);
    assert.ok(quiet, "the DC did not settle after online");

    // 5. SIGKILL of hbd on the active node and an immediate restart: the VIP is adopted, never moved or restarted.
    await new Promise((r) => setTimeout(r, 300)); // drain hbd's output pipes (hbctl calls block the loop)
    const mark = lab.log("n2").length;
    lab.kill("n1", "SIGKILL");
    await lab.exited("n1", 5000);
    lab.startHbd("a", "n1", d1);
    let vipGaps = 0;
    let vipOnN2 = 0;
    const rejoined = await lab.waitFor(
      () => {
        if (!lab.hasAddress("a", VIP)) vipGaps++;
        if (lab.hasAddress("b", VIP)) vipOnN2++;
        const crm = status(d1.sock)?.crm;
        return crm?.dc === "n2" && crm.resources[0]?.running.join() === "n1" && !crm.busy;
      },
      15_000,
      50,
    );
    if (!rejoined) assert.fail(`restarted n1 did not rejoin\n${logs()}`);
    // hbd's output arrives asynchronously: wait (bounded) for the probe line instead of a fixed pause.
    const probeLine = /IPaddr2_10_250_0_100 monitor on n1: rc 0/;
    await lab.waitFor(() => probeLine.test(lab.log("n2").slice(mark)), 5_000, 100);
    const dcLog = lab.log("n2").slice(mark);
    assert.deepEqual([vipGaps, vipOnN2], [0, 0], "the VIP moved or disappeared during the restart");
    assert.doesNotMatch(dcLog, /IPaddr2_10_250_0_100 (start|stop) on/, "the VIP was restarted");
    assert.match(dcLog, probeLine, "n1 was not probed");

    // Unprivileged users cannot change anything.
    const refused = lab.hbctl(["standby", "n1", "--socket", d1.sock], true);
    assert.equal(refused.code, 4);
    assert.match(refused.err, /permission denied/);

    // 6. A clean stop (SIGTERM) of hbd on the active node: it stops the VIP before it says goodbye, so the
    // peer takes over and the VIP is never up on both nodes at once.
    let both = 0;
    let sampled = 0;
    lab.kill("n1", "SIGTERM");
    const movedOnStop = await lab.waitFor(
      () => {
        const onA = lab.hasAddress("a", VIP);
        const onB = lab.hasAddress("b", VIP);
        sampled++;
        if (onA && onB) both++;
        return !onA && onB;
      },
      15_000,
      20,
    );
    if (!movedOnStop) assert.fail(`the VIP did not move to n2 after SIGTERM on n1\n${logs()}`);
    assert.equal(await lab.exited("n1", 10_000), 0, "hbd did not exit cleanly");
    assert.equal(both, 0, `the VIP was up on both nodes in ${both} of ${sampled} samples`);
    assert.match(lab.log("n1"), /"event":"release"/);
    if (process.env.CRM_E2E_LOGS) t.diagnostic(logs());
  } finally {
    lab.cleanup();
  }
});
