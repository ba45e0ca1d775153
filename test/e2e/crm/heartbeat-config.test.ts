// Goal: a Heartbeat director's configuration runs unchanged: a haresources script that exists only in
// CONFIG_DIR/resource.d starts (Heartbeat looks there before /etc/init.d) and `hbctl status` names the
// agents that run (ocf:tandem:IPaddr2, heartbeat:mysvc); `crm on` with the CIB only where Heartbeat 2.1 kept
// it (its schema, as haresources2cib.py wrote it) imports it once, logs it and starts what it describes,
// with resource-agents' IPaddr2 for ocf:heartbeat:IPaddr2.
// Method: CrmLab namespaces (tdc-<pid>-*); only n1's hbd runs (n2 is configured and absent, so n1 takes
// the resources after initdead, as Heartbeat does); --heartbeat-cib points at a file in the lab's temp
// dir; the VIP observed with `ip -n`, the script's work through the file it writes.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { StatusReport } from "../../../src/ipc/protocol.js";
import { skipReason } from "../daemon/lab.js";
import { CrmLab } from "./lab.js";

const VIP = "10.250.0.100";
const AUTHKEYS = "auth 1\n1 sha1 hb-config-secret\n";
const hacf = (crm: string) =>
  `udpport 694\nucast eth0 10.250.0.2\nkeepalive 100ms\ndeadtime 1\nwarntime 500ms\ninitdead 2\nauto_failback on\nnode n1\nnode n2\ncrm ${crm}\n`;

/** A Heartbeat resource.d script: start/stop touch a state file, status says running or stopped. */
const script = (state: string) =>
  `#!/bin/sh\ncase "$1" in\nstart) echo started > ${state} ;;\nstop) rm -f ${state} ;;\nstatus) if [ -e ${state} ]; then echo running; else echo stopped; fi ;;\nesac\nexit 0\n`;

/** A Heartbeat 2.1 CIB (crm-1.0.dtd) in haresources2cib.py's shape: attributes blocks, underscore option names, #uname rule. */
const HB21_CIB = `<?xml version="1.0" ?>
<cib admin_epoch="0" epoch="1" num_updates="0" have_quorum="false" cib_feature_revision="1.3" generated="false" ccm_transition="1" num_peers="0" crm_feature_set="2.0" ignore_dtd="false">
 <configuration>
  <crm_config>
   <cluster_property_set id="cib-bootstrap-options">
    <attributes>
     <nvpair id="cib-bootstrap-options-symmetric-cluster" name="symmetric-cluster" value="true"/>
     <nvpair id="cib-bootstrap-options-no_quorum-policy" name="no_quorum_policy" value="ignore"/>
     <nvpair id="cib-bootstrap-options-default-resource-stickiness" name="default-resource-stickiness" value="0"/>
     <nvpair id="cib-bootstrap-options-stonith-enabled" name="stonith_enabled" value="false"/>
    </attributes>
   </cluster_property_set>
  </crm_config>
  <nodes/>
  <resources>
   <group id="group_1">
    <primitive class="ocf" id="IPaddr2_1" provider="heartbeat" type="IPaddr2">
     <operations>
      <op id="IPaddr2_1_mon" interval="5s" name="monitor" timeout="20s"/>
     </operations>
     <instance_attributes id="IPaddr2_1_inst_attr">
      <attributes>
       <nvpair id="IPaddr2_1_attr_0" name="ip" value="${VIP}"/>
       <nvpair id="IPaddr2_1_attr_1" name="cidr_netmask" value="24"/>
       <nvpair id="IPaddr2_1_attr_2" name="nic" value="eth0"/>
      </attributes>
     </instance_attributes>
    </primitive>
   </group>
  </resources>
  <constraints>
   <rsc_location id="rsc_location_group_1" rsc="group_1">
    <rule id="prefered_location_group_1" score="100">
     <expression attribute="#uname" id="prefered_location_group_1_expr" operation="eq" value="n1"/>
    </rule>
   </rsc_location>
  </constraints>
 </configuration>
 <status/>
</cib>
`;

function status(lab: CrmLab, sock: string): StatusReport | undefined {
  const r = lab.hbctl(["status", "--json", "--socket", sock]);
  return r.code === 0 ? (JSON.parse(r.out) as StatusReport) : undefined;
}

test("haresources: a script only in CONFIG_DIR/resource.d starts; status names the agents that run", {
  skip: skipReason(),
  timeout: 60_000,
}, async () => {
  const lab = new CrmLab();
  try {
    lab.pair("a", "b");
    const wd = `/dev/no-such-watchdog-${process.pid}`;
    // a respawn client: records "uid HA_FOO" per run and stays up; ipfail is not run (verify warns)
    const client = join(lab.tmp, "client.sh");
    const runs = join(lab.tmp, "client.runs");
    writeFileSync(client, `#!/bin/sh\necho "$(id -u) $HA_FOO" >> ${runs}\nexec sleep 600\n`, { mode: 0o755 });
    chmodSync(lab.tmp, 0o777);
    const extra = `watchdog ${wd}\nenv FOO=bar\nrespawn nobody ${client}\nrespawn hacluster /usr/lib/heartbeat/ipfail\n`;
    const d1 = lab.configureCrm(
      "n1",
      `${hacf("off")}${extra}`,
      AUTHKEYS,
      `n1 IPaddr2::${VIP}/24/eth0 mysvc\n`,
    );
    const state = join(lab.tmp, "mysvc.state");
    mkdirSync(join(d1.etc, "resource.d"));
    writeFileSync(join(d1.etc, "resource.d", "mysvc"), script(state), { mode: 0o755 });
    const v = lab.hbctl(["verify", d1.etc, "--node", "n1", "--state-dir", d1.state]);
    assert.equal(v.code, 1, v.out + v.err);
    assert.match(
      v.out,
      new RegExp(`ha.cf:11: warning: watchdog ${wd}: no such device; hbd runs without a watchdog`),
    );
    lab.startHbd("a", "n1", d1);
    const up = await lab.waitFor(() => lab.hasAddress("a", VIP) && existsSync(state), 20_000, 100);
    if (!up) assert.fail(`VIP or mysvc never started\n${lab.log("n1").slice(-6000)}`);
    const agents = await lab.waitFor(
      () => (status(lab, d1.sock)?.crm?.resources ?? []).every((r) => r.running.join() === "n1"),
      10_000,
      200,
    );
    const rs = status(lab, d1.sock)?.crm?.resources ?? [];
    assert.ok(agents, JSON.stringify(rs));
    // The respawn client runs as nobody with ha.cf's env; it is stopped when hbd stops.
    const nobody = spawnSync("id", ["-u", "nobody"], { encoding: "utf8" }).stdout.trim();
    assert.ok(await lab.waitFor(() => existsSync(runs), 10_000, 100), "the respawn client never ran");
    assert.equal(readFileSync(runs, "utf8"), `${nobody} bar\n`);
    const clientPid = () =>
      spawnSync("pgrep", ["-f", "^sleep 600$", "-u", nobody], { encoding: "utf8" }).stdout.trim();
    assert.notEqual(clientPid(), "", "the respawn client is not running");
    assert.doesNotMatch(lab.log("n1"), /Executing "\/usr\/lib\/heartbeat\/ipfail/);
    // The watchdog that cannot be opened: logged, shown by hbctl status, and hbd runs without it.
    assert.match(lab.log("n1"), /"event":"watchdog-failed"/);
    const text = lab.hbctl(["status", "--socket", d1.sock]).out;
    assert.match(text, new RegExp(`^Watchdog: ${wd} NOT in use \\(.*ENOENT.*\\); hbd runs without it$`, "m"));
    assert.match(text, /\* mysvc \(heartbeat:mysvc\): Started n1/);
    assert.deepEqual(
      rs.map((r) => [r.id, r.agent]),
      [
        ["IPaddr2_10_250_0_100", "ocf:tandem:IPaddr2"],
        ["mysvc", "heartbeat:mysvc"],
      ],
    );
    lab.kill("n1", "SIGTERM");
    assert.notEqual(await lab.exited("n1", 30_000), undefined, "hbd did not stop");
    assert.equal(clientPid(), "", "the respawn client outlived hbd");
  } finally {
    lab.cleanup();
  }
});

test("crm on with the CIB only at Heartbeat's place: imported once (logged), its resources start", {
  skip: skipReason(),
  timeout: 60_000,
}, async () => {
  const lab = new CrmLab();
  try {
    lab.pair("a", "b");
    const d1 = lab.configure("n1", hacf("on"), AUTHKEYS);
    const hbCib = join(lab.tmp, "heartbeat", "crm", "cib.xml");
    mkdirSync(join(lab.tmp, "heartbeat", "crm"), { recursive: true });
    writeFileSync(hbCib, HB21_CIB);
    const v = lab.hbctl([
      "verify",
      d1.etc,
      "--node",
      "n1",
      "--state-dir",
      d1.state,
      "--heartbeat-cib",
      hbCib,
    ]);
    assert.ok(v.code < 2, v.out + v.err);
    assert.ok(v.out.includes(hbCib), v.out);
    lab.startHbd("a", "n1", d1, ["--heartbeat-cib", hbCib]);
    const up = await lab.waitFor(() => lab.hasAddress("a", VIP), 25_000, 100);
    if (!up) assert.fail(`the VIP of Heartbeat's CIB never started\n${lab.log("n1").slice(-6000)}`);
    assert.match(
      lab.log("n1"),
      /"event":"cib-imported"[^\n]*CIB imported from [^\n]*heartbeat\/crm\/cib\.xml/,
    );
    assert.ok(
      existsSync(join(d1.state, "crm", "cib.xml")),
      "the imported CIB was not saved in the state dir",
    );
    const rs = status(lab, d1.sock)?.crm?.resources ?? [];
    assert.deepEqual(
      rs.map((r) => [r.id, r.agent, r.cibAgent]),
      [["IPaddr2_1", "ocf:heartbeat:IPaddr2", undefined]],
      "resource-agents' IPaddr2 runs for ocf:heartbeat:IPaddr2",
    );
    // Imported once: a restart takes the state dir's copy and does not import again.
    lab.kill("n1", "SIGTERM");
    assert.notEqual(await lab.exited("n1", 30_000), undefined, "hbd did not stop");
    lab.startHbd("a", "n1", d1, ["--heartbeat-cib", hbCib]);
    const again = await lab.waitFor(() => lab.hasAddress("a", VIP), 25_000, 100);
    if (!again) assert.fail(`VIP not back after restart\n${lab.log("n1").slice(-6000)}`);
    assert.match(lab.log("n1"), /"event":"cib"/); // startHbd keeps only this run's log
    assert.doesNotMatch(lab.log("n1"), /cib-imported/);
    assert.ok(readFileSync(join(d1.state, "crm", "cib.xml"), "utf8").includes("IPaddr2_1"));
  } finally {
    lab.cleanup();
  }
});
