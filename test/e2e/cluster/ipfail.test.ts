// Goal: ipfail natively (issue 12 part 1), Heartbeat's cable-pull acceptance test: two directors
// heartbeating over ucast on eth0 and over a serial cable (socat pty pair) that stays up, a ping node in a
// third namespace, `respawn hacluster /usr/lib/heartbeat/ipfail`, haresources mode (crm off) with the VIP
// and a script that exists only in CONFIG_DIR/resource.d, a client fetching the VIP over HTTP. Cutting the
// active node's eth0 moves the VIP to the peer within deadping + 1 s (plus the transition) and the client
// is answered again; restoring the link with auto_failback on brings it back; one lost ping reply moves
// nothing; the ping node unreachable for both moves nothing.
// Method: ipfail-lab.ts (FailoverLab namespaces tdi-<pid>-*): a (n1), b (n2) and the ping node p on client
// c's bridge; HTTP servers in a and b answer their node name on port 80 (the VIP lands on whichever holds it); eth0
// cut with `ip link set eth0 down`, a lost reply with a short nft drop of ICMP in a. The second test: the
// same with `crm on` and a cib.xml whose location rule reads the pingd attribute hbd publishes
// (`not_defined pingd or pingd lte 0` -> -INFINITY, as written for Pacemaker's ping agent).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { skipReason } from "../daemon/lab.js";
import { type IpfailSetup, ipfailSetUp } from "./ipfail-lab.js";

const DEADPING_MS = 2000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type Setup = IpfailSetup;

/** The lab of ipfail-lab.ts; `hbctl verify` checked before hbd starts. */
const setUp = (crm: boolean): Promise<Setup> =>
  ipfailSetUp({ crm }, ({ lab, dirs }) => {
    const v = lab.hbctl(["verify", dirs.n1.etc, "--node", "n1", "--state-dir", dirs.n1.state]);
    if (crm) assert.match(v.out, /respawn-ipfail|node attribute pingd/, "crm on: verify says pingd decides");
    else assert.doesNotMatch(v.out + v.err, /ipfail/, "no ipfail warning: hbd applies the rule");
  });

/** Pulls n1's cable; returns how long until the VIP was on n2 (asserted within deadping + 1 s + slack). */
async function cablePull(t: Setup, label: string): Promise<number> {
  const { lab, client, on, tails } = t;
  const cut = Date.now();
  lab.exec("a", "ip", "link", "set", "eth0", "down");
  assert.ok(await lab.waitFor(() => on("n2"), 20_000, 50), `the VIP did not move\n${tails()}`);
  const moved = Date.now() - cut;
  assert.ok(
    await lab.waitFor(() => client.firstAnswer("n2", cut) !== undefined, 10_000, 50),
    "client not answered by n2",
  );
  const answered = (client.firstAnswer("n2", cut)?.end ?? Date.now()) - cut;
  process.stdout.write(
    `# ${label} cable pull: VIP on n2 after ${moved} ms, client answered by n2 after ${answered} ms (deadping ${DEADPING_MS} ms)\n`,
  );
  // The target is deadping + 1 s; 1.5 s more for the loaded 2-core CI machine (the figure is printed).
  assert.ok(moved <= DEADPING_MS + 1000 + 1500, `moved after ${moved} ms > deadping + 1 s (+1.5 s slack)`);
  return moved;
}

/** Restores n1's cable; auto_failback brings the VIP back (bounded). */
async function heal(t: Setup, label: string): Promise<void> {
  const { lab, client, holder, tails } = t;
  const healed = Date.now();
  lab.exec("a", "ip", "link", "set", "eth0", "up");
  assert.ok(await lab.waitFor(() => holder() === "n1", 40_000, 100), `not back on n1\n${tails()}`);
  process.stdout.write(`# ${label} link restored: back on n1 after ${Date.now() - healed} ms\n`);
  assert.ok(await lab.waitFor(() => client.firstAnswer("n1", Date.now() - 300) !== undefined, 10_000, 50));
}

test("ipfail: cable pull moves the VIP within deadping + 1 s; back with auto_failback; blips and shared loss move nothing", {
  skip: skipReason(),
  timeout: 180_000,
}, async () => {
  const t = await setUp(false);
  const { lab, state, holder, tails } = t;
  try {
    // One lost ping reply (ICMP dropped for 500 ms on n1): nothing moves.
    execFileSync("ip", ["netns", "exec", lab.ns("a"), "nft", "-f", "-"], {
      input:
        "table inet tdi_icmp {\n chain in { type filter hook input priority -10; policy accept; icmp type echo-reply drop; }\n}\n",
      timeout: 10_000,
    });
    await sleep(500);
    lab.exec("a", "nft", "delete", "table", "inet", "tdi_icmp");
    await sleep(DEADPING_MS + 3000);
    assert.equal(holder(), "n1", `a lost reply moved the VIP\n${tails()}`);

    // Cable pull: n1's eth0 down; the serial link keeps both alive; n1 reaches 0 ping nodes, n2 1.
    await cablePull(t, "haresources");
    assert.ok(existsSync(state.n2), "the resource.d script runs on n2");
    assert.match(lab.log("n1"), /ipfail: reaching 0 ping node\(s\), the peer 1/);
    assert.match(lab.log("n1"), /not a shared loss/, "given up on n2's fresh count, not after 2 x keepalive");

    // Link restored, auto_failback on: after 10 s of equal counts n1 takes the service back.
    const giveups = (lab.log("n1").match(/ipfail-giveup/g) ?? []).length;
    await heal(t, "haresources");

    // The ping node unreachable for both: equal loss, nothing moves.
    lab.exec("p", "ip", "link", "set", "eth0", "down");
    await sleep(DEADPING_MS + 6000);
    assert.equal(holder(), "n1", `shared loss moved the VIP\n${tails()}`);
    assert.equal((lab.log("n1").match(/ipfail-giveup/g) ?? []).length, giveups, "no give-up on shared loss");
    assert.equal((lab.log("n2").match(/ipfail-giveup/g) ?? []).length, 0, "n2 never gave up");
  } finally {
    t.stop();
  }
});

test("crm on: the pingd attribute drives a Pacemaker-style location rule: cable pull moves the VIP, heal brings it back", {
  skip: skipReason(),
  timeout: 180_000,
}, async () => {
  const t = await setUp(true);
  try {
    await cablePull(t, "crm");
    assert.match(t.lab.log("n1") + t.lab.log("n2"), /n1: pingd=0/);
    assert.match(
      t.lab.log("n1"),
      /publishing 0 at once/,
      "published on n2's fresh count, not after the dampening",
    );
    await heal(t, "crm");
  } finally {
    t.stop();
  }
});
