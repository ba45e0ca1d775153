// Goal: ipfail natively (issue 12 part 1), Heartbeat's cable-pull acceptance test: two directors
// heartbeating over ucast on eth0 and over a serial cable (socat pty pair) that stays up, a ping node in a
// third namespace, `respawn hacluster /usr/lib/heartbeat/ipfail`, haresources mode (crm off) with the VIP
// and a script that exists only in CONFIG_DIR/resource.d, a client fetching the VIP over HTTP. Cutting the
// active node's eth0 moves the VIP to the peer within deadping + 1 s (plus the transition) and the client
// is answered again; restoring the link with auto_failback on brings it back; one lost ping reply moves
// nothing; the ping node unreachable for both moves nothing.
// Method: FailoverLab namespaces (tdi-<pid>-*): a (n1), b (n2) and the ping node p on client c's bridge;
// HTTP servers in a and b answer their node name on port 80 (the VIP lands on whichever holds it); eth0
// cut with `ip link set eth0 down`, a lost reply with a short nft drop of ICMP in a. The second test: the
// same with `crm on` and a cib.xml whose location rule reads the pingd attribute hbd publishes
// (`not_defined pingd or pingd lte 0` -> -INFINITY, as written for Pacemaker's ping agent).
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { FailoverLab, ProbeLog, probeClientScript } from "../../../bench/failover-lab.js";
import { skipReason } from "../daemon/lab.js";

const VIP = "10.250.0.100";
const PING = "10.250.0.9";
const AUTHKEYS = "auth 1\n1 sha1 ipfail-e2e-secret\n";
const NODE_IP = { n1: "10.250.0.1", n2: "10.250.0.2" } as const;
const ROLE = { n1: "a", n2: "b" } as const;
type Name = keyof typeof ROLE;
const DEADPING_MS = 2000;

const script = (state: string) =>
  `#!/bin/sh\ncase "$1" in\nstart) echo started > ${state} ;;\nstop) rm -f ${state} ;;\nstatus) if [ -e ${state} ]; then echo running; else echo stopped; fi ;;\nesac\nexit 0\n`;

const server = (name: string) =>
  `require("node:http").createServer((q, s) => s.end(${JSON.stringify(name)})).listen(80, "0.0.0.0");`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A CIB for crm on: the VIP prefers n1 (auto failback), banned where pingd is undefined or <= 0. */
const CIB = `<cib crm_feature_set="3.16.1" validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0">
  <configuration>
    <crm_config><cluster_property_set id="opts">
      <nvpair id="opts-stonith" name="stonith-enabled" value="false"/>
      <nvpair id="opts-quorum" name="no-quorum-policy" value="ignore"/>
    </cluster_property_set></crm_config>
    <nodes/>
    <resources>
      <primitive id="vip" class="ocf" provider="heartbeat" type="IPaddr2">
        <instance_attributes id="vip-ia">
          <nvpair id="vip-ia-ip" name="ip" value="${VIP}"/>
          <nvpair id="vip-ia-mask" name="cidr_netmask" value="24"/>
          <nvpair id="vip-ia-nic" name="nic" value="eth0"/>
        </instance_attributes>
        <operations><op id="vip-mon" name="monitor" interval="2s" timeout="20s"/></operations>
      </primitive>
    </resources>
    <constraints>
      <rsc_location id="prefer-n1" rsc="vip" node="n1" score="100"/>
      <rsc_location id="loc-connected" rsc="vip"><rule id="loc-connected-rule" score="-INFINITY" boolean-op="or"><expression id="loc-connected-e1" attribute="pingd" operation="not_defined"/><expression id="loc-connected-e2" attribute="pingd" operation="lte" value="0" type="number"/></rule></rsc_location>
    </constraints>
  </configuration>
  <status/>
</cib>
`;

interface Setup {
  readonly lab: FailoverLab;
  readonly client: ProbeLog;
  readonly state: Record<Name, string>;
  readonly on: (n: Name) => boolean;
  readonly holder: () => Name | "?";
  readonly tails: () => string;
  readonly stop: () => void;
}

/** The topology of the file comment, hbd started on both, the client probing the VIP. */
async function setUp(crm: boolean): Promise<Setup> {
  const lab = new FailoverLab("tdi");
  let socat: ChildProcess | undefined;
  const stop = () => {
    if (socat?.pid !== undefined && socat.exitCode === null) socat.kill("SIGKILL");
    lab.cleanup();
  };
  try {
    lab.bridged(["a", "b"], "c");
    lab.attach("p", `${PING}/24`);
    const tty = { n1: join(lab.tmp, "ttyA"), n2: join(lab.tmp, "ttyB") };
    socat = spawn("socat", [`pty,raw,echo=0,link=${tty.n1}`, `pty,raw,echo=0,link=${tty.n2}`], {
      stdio: "ignore",
    });
    assert.ok(
      await lab.waitFor(() => existsSync(tty.n1) && existsSync(tty.n2), 5000),
      "socat made no pty pair",
    );
    const state: Record<Name, string> = { n1: "", n2: "" };
    const dirs = (["n1", "n2"] as const).map((n) => {
      const peer: Name = n === "n1" ? "n2" : "n1";
      const hacf = `udpport 694\nucast eth0 ${NODE_IP[peer]}\nbaud 115200\nserial ${tty[n]}\nkeepalive 200ms\ndeadtime 2\nwarntime 1\ninitdead 3\ndeadping 2\nping ${PING}\nauto_failback on\nnode n1\nnode n2\ncrm ${crm ? "on" : "off"}\nrespawn hacluster /usr/lib/heartbeat/ipfail\n`;
      const d = lab.configureCrm(n, hacf, AUTHKEYS, crm ? "" : `n1 IPaddr2::${VIP}/24/eth0 web\n`);
      if (crm) writeFileSync(join(d.etc, "cib.xml"), CIB);
      mkdirSync(join(d.etc, "resource.d"), { recursive: true });
      state[n] = join(d.run, "web.state");
      writeFileSync(join(d.etc, "resource.d", "web"), script(state[n]));
      chmodSync(join(d.etc, "resource.d", "web"), 0o755);
      lab.spawnIn(ROLE[n], server(n));
      return [n, d] as const;
    });
    const v = lab.hbctl(["verify", dirs[0]![1].etc, "--node", "n1", "--state-dir", dirs[0]![1].state]);
    if (crm) assert.match(v.out, /respawn-ipfail|node attribute pingd/, "crm on: verify says pingd decides");
    else assert.doesNotMatch(v.out + v.err, /ipfail/, "no ipfail warning: hbd applies the rule");
    for (const [n, d] of dirs) lab.startHbd(ROLE[n], n, d);
    const client = new ProbeLog(
      lab.spawnIn(
        "c",
        probeClientScript({ host: VIP, port: 80, everyMs: 50, timeoutMs: 500, maxRunMs: 170_000 }),
      ),
    );
    const on = (n: Name) => lab.hasAddress(ROLE[n], VIP);
    const holder = () => (on("n1") && !on("n2") ? "n1" : on("n2") && !on("n1") ? "n2" : "?");
    const tails = () => `--- n1\n${lab.log("n1").slice(-4000)}\n--- n2\n${lab.log("n2").slice(-4000)}`;
    assert.ok(
      await lab.waitFor(() => holder() === "n1" && (crm || existsSync(state.n1)), 30_000, 100),
      `start\n${tails()}`,
    );
    assert.ok(await lab.waitFor(() => client.firstAnswer("n1", Date.now() - 500) !== undefined, 10_000, 50));
    return { lab, client, state, on, holder, tails, stop };
  } catch (e) {
    stop();
    throw e;
  }
}

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
    await heal(t, "crm");
  } finally {
    t.stop();
  }
});
