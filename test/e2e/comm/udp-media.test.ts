// Goal: every UDP heartbeat medium of ha.cf carries a real pair on its own: two hbd nodes form membership
// over it alone and a failover moves the VIP. IPv4 `bcast` and `mcast` on a veth pair; IPv6 (`ucast6`,
// `mcast6`) on an IPv6-only veth pair: ucast6 to the peer's global address, ucast6 to its link-local
// address (needs the interface as scope id), mcast6 to a link-scope group ff02::694 (bind() failed with
// EINVAL without a scope id: no heartbeat at all before). (ucast is what every other e2e uses.)
// Method: CrmLab namespaces (tdc-<pid>-*) joined by a veth pair (DaemonLab.pair: 10.250.0.1/.2; pair6:
// fd00:250::1/::2 and fe80::1/::2, nodad, no IPv4), haresources `n1 IPaddr2::VIP/24/eth0`; both nodes
// active in `hbctl cl nodestatus`, the medium counted in `hbctl status --json`; then n1's hbd SIGKILLed
// and n2 must hold the VIP within deadtime + 3 s (slack for the loaded 2-core CI machine).
import assert from "node:assert/strict";
import { test } from "node:test";
import type { StatusReport } from "../../../src/ipc/protocol.js";
import { CrmLab } from "../crm/lab.js";
import { skipReason } from "../daemon/lab.js";

const VIP = "10.250.0.100";
const AUTHKEYS = "auth 1\n1 sha1 ipv6-e2e-secret\n";
const DEADTIME_MS = 1000;

interface Case {
  readonly name: string;
  /** The ha.cf medium line of node i (1 or 2). */
  readonly medium: (i: 1 | 2) => string;
  /** The medium's kind as `hbctl status` names it. */
  readonly kind: "bcast" | "mcast" | "ucast6" | "mcast6";
}

const CASES: readonly Case[] = [
  { name: "bcast on IPv4", kind: "bcast", medium: () => "bcast eth0" },
  { name: "mcast on IPv4", kind: "mcast", medium: () => "mcast eth0 239.0.0.94 694 1 0" },
  { name: "ucast6 to the global address", kind: "ucast6", medium: (i) => `ucast6 eth0 fd00:250::${3 - i}` },
  { name: "ucast6 to the link-local address", kind: "ucast6", medium: (i) => `ucast6 eth0 fe80::${3 - i}` },
  {
    name: "mcast6 to the link-scope group ff02::694",
    kind: "mcast6",
    medium: () => "mcast6 eth0 ff02::694 694 1 0",
  },
];

const hacf = (medium: string) =>
  `udpport 694\n${medium}\nkeepalive 100ms\ndeadtime 1\nwarntime 500ms\ninitdead 3\nauto_failback on\nnode n1\nnode n2\ncrm off\n`;

for (const c of CASES) {
  test(`${c.name}: the pair forms membership over it alone and a failover moves the VIP`, {
    skip: skipReason(),
    timeout: 60_000,
  }, async (t) => {
    const lab = new CrmLab();
    try {
      if (c.kind.endsWith("6")) lab.pair6("a", "b");
      else lab.pair("a", "b");
      const haresources = `n1 IPaddr2::${VIP}/24/eth0\n`;
      const d1 = lab.configureCrm("n1", hacf(c.medium(1)), AUTHKEYS, haresources);
      const d2 = lab.configureCrm("n2", hacf(c.medium(2)), AUTHKEYS, haresources);
      lab.startHbd("a", "n1", d1);
      lab.startHbd("b", "n2", d2);
      const tails = () => `--- n1\n${lab.log("n1").slice(-3000)}\n--- n2\n${lab.log("n2").slice(-3000)}`;
      const nodestatus = (sock: string, peer: string) =>
        lab.hbctl(["cl", "nodestatus", peer, "--socket", sock]).out.trim();
      const formed = await lab.waitFor(
        () => nodestatus(d1.sock, "n2") === "active" && nodestatus(d2.sock, "n1") === "active",
        20_000,
        200,
      );
      assert.ok(formed, `no membership over ${c.kind}\n${tails()}`);
      const st = lab.hbctl(["status", "--json", "--socket", d2.sock]);
      assert.equal(st.code, 0, st.err);
      const media = (JSON.parse(st.out) as StatusReport).media;
      assert.equal(media.length, 1, JSON.stringify(media));
      assert.ok(media[0]?.id.startsWith(c.kind), JSON.stringify(media));
      assert.ok(
        (media[0]?.framesReceived ?? 0) > 0,
        `nothing received over ${c.kind}: ${JSON.stringify(media)}`,
      );
      assert.ok(
        await lab.waitFor(() => lab.hasAddress("a", VIP) && !lab.hasAddress("b", VIP), 20_000, 200),
        `the VIP did not start on n1\n${tails()}`,
      );
      // past the start-up rule (a node advertises deadtime + 2 s for its first 5 s)
      assert.ok(
        await lab.plainDeadtime(d2.sock, "n1", DEADTIME_MS),
        `n2 never applied n1's deadtime\n${tails()}`,
      );
      const killedAt = Date.now();
      lab.kill("n1", "SIGKILL");
      const moved = await lab.waitFor(() => lab.hasAddress("b", VIP), DEADTIME_MS + 10_000, 50);
      const ms = Date.now() - killedAt;
      assert.ok(moved, `n2 did not take the VIP\n${tails()}`);
      t.diagnostic(`${c.name}: n1 SIGKILLed, VIP on n2 after ${ms} ms (deadtime ${DEADTIME_MS} ms)`);
      assert.ok(ms <= DEADTIME_MS + 3000, `VIP on n2 only after ${ms} ms`);
      assert.equal(nodestatus(d2.sock, "n1"), "dead");
    } finally {
      lab.cleanup();
    }
  });
}
