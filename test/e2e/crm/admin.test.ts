// Goal: hbctl's administrative commands drive a real two-node cluster: resource move/clear/ban, stop/start (the VIP leaves and returns), cleanup after a monitor failure, cib apply replicated to the peer (and a bad file refused with file:line, nothing changed), node list, status --watch --count, hb_standby / hb_takeover local/foreign/all moving groups as Heartbeat would, and a non-root user refused with exit 4.
// Method: two namespaces (tdc-<pid>-*) on a veth pair, crm on with a cib.xml holding group g_vip (IPaddr2 10.250.0.100, home n1, monitor 1 s) and group g_dummy (Dummy, home n2); the VIP observed with `ip -n NS addr`, placement with `hbctl status --json`, the CIB with `hbctl cib show`.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { CibShowResult, StatusReport } from "../../../src/ipc/protocol.js";
import { repoRoot } from "../../helpers.js";
import { skipReason } from "../daemon/lab.js";
import { CrmLab } from "./lab.js";

const VIP = "10.250.0.100";
const hacf = (peer: string) =>
  `udpport 694\nucast eth0 ${peer}\nkeepalive 100ms\ndeadtime 2\nwarntime 1\ninitdead 4\nnode n1\nnode n2\ncrm on\n`;
const AUTHKEYS = "auth 1\n1 sha1 crm-admin-secret\n";
const CIB = `<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.9" crm_feature_set="3.16.1">
  <configuration>
    <crm_config>
      <cluster_property_set id="cib-bootstrap-options">
        <nvpair id="o-stonith" name="stonith-enabled" value="false"/>
        <nvpair id="o-quorum" name="no-quorum-policy" value="ignore"/>
      </cluster_property_set>
    </crm_config>
    <nodes>
      <node id="n1" uname="n1" type="member"/>
      <node id="n2" uname="n2" type="member"/>
    </nodes>
    <resources>
      <group id="g_vip">
        <primitive id="vip" class="ocf" provider="tandem" type="IPaddr2">
          <instance_attributes id="vip-ia">
            <nvpair id="vip-ip" name="ip" value="${VIP}"/>
            <nvpair id="vip-mask" name="cidr_netmask" value="24"/>
            <nvpair id="vip-nic" name="nic" value="eth0"/>
          </instance_attributes>
          <operations>
            <op id="vip-mon" name="monitor" interval="1s" timeout="20s"/>
          </operations>
        </primitive>
      </group>
      <group id="g_dummy">
        <primitive id="dummy" class="ocf" provider="tandem" type="Dummy">
          <operations>
            <op id="dummy-mon" name="monitor" interval="5s" timeout="20s"/>
          </operations>
        </primitive>
      </group>
    </resources>
    <constraints>
      <rsc_location id="home-vip" rsc="g_vip" node="n1" score="100"/>
      <rsc_location id="home-dummy" rsc="g_dummy" node="n2" score="100"/>
    </constraints>
    <rsc_defaults>
      <meta_attributes id="rsc-options">
        <nvpair id="rsc-stick" name="resource-stickiness" value="0"/>
      </meta_attributes>
    </rsc_defaults>
  </configuration>
  <status/>
</cib>
`;

test("hbctl administration on a real pair: resource verbs, cib show/apply, node list, watch, hb_standby/hb_takeover, refusal", {
  skip: skipReason(),
  timeout: 120_000,
}, async (t) => {
  const lab = new CrmLab();
  try {
    lab.pair("a", "b");
    const d1 = lab.configureCrm("n1", hacf("10.250.0.2"), AUTHKEYS, "");
    const d2 = lab.configureCrm("n2", hacf("10.250.0.1"), AUTHKEYS, "");
    for (const d of [d1, d2]) writeFileSync(join(d.etc, "cib.xml"), CIB);
    const sock = { n1: d1.sock, n2: d2.sock };
    const ctl = (node: "n1" | "n2", ...args: string[]) => lab.hbctl([...args, "--socket", sock[node]]);
    const must = (node: "n1" | "n2", ...args: string[]) => {
      const r = ctl(node, ...args);
      assert.equal(r.code, 0, `hbctl ${args.join(" ")} on ${node}: ${r.err}${r.out}`);
      return r;
    };
    const status = (node: "n1" | "n2"): StatusReport | undefined => {
      const r = ctl(node, "status", "--json");
      return r.code === 0 ? (JSON.parse(r.out) as StatusReport) : undefined;
    };
    const cibInfo = (node: "n1" | "n2"): CibShowResult =>
      JSON.parse(must(node, "cib", "show", "--json").out) as CibShowResult;
    const runsOn = (rsc: string, node: "n1" | "n2" = "n2") =>
      status(node)
        ?.crm?.resources.find((r) => r.id === rsc)
        ?.running.join(",") ?? "?";
    const logs = () => `--- n1\n${lab.log("n1").slice(-5000)}\n--- n2\n${lab.log("n2").slice(-5000)}`;
    /** VIP where expected (a = n1, b = n2, "" = nowhere), the Dummy too, and the DC idle. */
    const settled = async (vip: "a" | "b" | "", dummy: "n1" | "n2" | "", what: string) => {
      const okay = await lab.waitFor(
        () => {
          if (lab.hasAddress("a", VIP) !== (vip === "a") || lab.hasAddress("b", VIP) !== (vip === "b"))
            return false;
          const crm = status("n1")?.crm;
          return (
            crm?.busy === false && crm.resources.find((r) => r.id === "dummy")?.running.join(",") === dummy
          );
        },
        15_000,
        100,
      );
      if (!okay)
        assert.fail(
          `${what}: expected VIP on ${vip || "no node"}, dummy on ${dummy || "no node"}\n${JSON.stringify(status("n1")?.crm)}\n${logs()}`,
        );
    };
    const started = Date.now();
    lab.startHbd("a", "n1", d1);
    lab.startHbd("b", "n2", d2);
    await settled("a", "n2", "start");
    assert.equal(status("n2")?.crm?.dc, "n1");

    // resource move to the peer (asked on the non-DC), clear brings it home; ban without a node bans from where it runs.
    assert.match(must("n2", "resource", "move", "g_vip", "n2").out, /applied by the DC n1/);
    await settled("b", "n2", "move g_vip n2");
    must("n1", "resource", "clear", "g_vip");
    await settled("a", "n2", "clear g_vip");
    must("n1", "resource", "ban", "vip");
    await settled("b", "n2", "ban vip");
    assert.match(
      must("n1", "cib", "show").out,
      /<rsc_location id="cli-ban-g_vip-on-n1" rsc="g_vip" node="n1" score="-INFINITY"\/>/,
    );
    must("n2", "resource", "clear", "g_vip");
    await settled("a", "n2", "clear after ban");

    // stop / start: the VIP disappears everywhere and comes back.
    must("n1", "resource", "stop", "g_vip");
    await settled("", "n2", "stop g_vip");
    must("n2", "resource", "start", "g_vip");
    await settled("a", "n2", "start g_vip");

    // A monitor failure (the address removed behind the cluster's back) is restarted in place and counted;
    // cleanup erases the count and the history, and the resource is probed again (still running on n1).
    lab.exec("a", "ip", "addr", "del", `${VIP}/24`, "dev", "eth0");
    const counted = await lab.waitFor(() => /fail-count-vip/.test(ctl("n1", "cib", "show").out), 10_000, 200);
    if (!counted) assert.fail(`no fail count after the VIP was removed\n${logs()}`);
    await settled("a", "n2", "restart in place");
    const cleanup = must("n2", "resource", "cleanup", "vip");
    assert.match(cleanup.out, /cleaned up vip on every node/);
    const cleaned = await lab.waitFor(
      () => !/fail-count-vip/.test(ctl("n2", "cib", "show").out),
      10_000,
      200,
    );
    assert.ok(cleaned, "the fail count survived the cleanup");
    await settled("a", "n2", "after cleanup");
    // hbd's output arrives asynchronously: wait for the line (bounded) instead of a fixed pause.
    const probed = await lab.waitFor(() => /vip monitor on n1: rc 0/.test(lab.log("n1")), 5_000, 100);
    assert.ok(probed, `vip was not probed again\n${logs()}`);

    // cib apply: a modified CIB (Dummy stopped through the file) goes to every node with an epoch above both.
    const before = cibInfo("n1");
    const shown = must("n1", "cib", "show").out;
    const edited = shown
      .replace(/<status>[\s\S]*<\/status>|<status\/>/, "<status/>")
      .replace(
        '<group id="g_dummy">',
        '<group id="g_dummy"><meta_attributes id="gd-meta"><nvpair id="gd-role" name="target-role" value="Stopped"/></meta_attributes>',
      );
    const file = join(lab.tmp, "new-cib.xml");
    writeFileSync(file, edited);
    assert.match(must("n2", "cib", "apply", file).out, /configuration replaced/);
    await settled("a", "", "cib apply (dummy stopped)");
    const agreed = await lab.waitFor(() => cibInfo("n2").epoch === cibInfo("n1").epoch, 5000, 100);
    assert.ok(agreed, "the peer did not get the new CIB");
    const after = cibInfo("n2");
    assert.ok(after.epoch > before.epoch, `epoch ${before.epoch} -> ${after.epoch}`);
    assert.match(ctl("n2", "cib", "show").out, /name="target-role" value="Stopped"/);
    // A bad file: refused with file:line, nothing changed.
    const bad = join(lab.tmp, "bad-cib.xml");
    writeFileSync(bad, edited.replace('type="Dummy"', ""));
    const refused = ctl("n1", "cib", "apply", bad);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /bad-cib\.xml:\d+: error: /);
    assert.equal(cibInfo("n1").epoch, after.epoch, "a refused file changed the CIB");
    writeFileSync(file, shown.replace(/<status>[\s\S]*<\/status>|<status\/>/, "<status/>"));
    must("n1", "cib", "apply", file);
    await settled("a", "n2", "cib apply back");

    // node list and status --watch --count 2.
    const list = must("n2", "node", "list").out;
    assert.match(list, /^n1 +normal +active +online +no +DC$/m);
    assert.match(list, /^n2 \(local\) +normal +active +online +no$/m);
    const watch = must("n1", "status", "--watch", "--count", "2", "--interval", "0.2");
    assert.equal(watch.out.match(/^-+ \S+ \(frame \d\) -+$/gm)?.length, 2, watch.out);
    assert.equal(watch.out.match(/Current DC: n1/g)?.length, 2);

    // Heartbeat's commands, through the installed wrappers (HBD_SOCKET picks the node).
    const hb = (tool: "standby" | "takeover", node: "n1" | "n2", ...args: string[]) => {
      const r = spawnSync(
        process.execPath,
        [join(repoRoot, "dist", "src", "cli", `hb-${tool}.js`), ...args],
        {
          encoding: "utf8",
          timeout: 15_000,
          env: { ...process.env, HBD_SOCKET: sock[node] },
        },
      );
      assert.equal(r.status, 0, `hb_${tool} ${args.join(" ")} on ${node}: ${r.stderr}`);
      return r.stdout;
    };
    assert.match(hb("standby", "n1", "local"), /n1 going standby \[local\]: g_vip prefer n2/);
    await settled("b", "n2", "hb_standby local on n1");
    hb("takeover", "n1", "local");
    await settled("a", "n2", "hb_takeover local on n1");
    hb("takeover", "n1", "foreign");
    await settled("a", "n1", "hb_takeover foreign on n1");
    hb("standby", "n1");
    await settled("b", "n2", "hb_standby (all) on n1");
    hb("takeover", "n1", "all");
    await settled("a", "n1", "hb_takeover all on n1");
    const usage = spawnSync(
      process.execPath,
      [join(repoRoot, "dist", "src", "cli", "hb-takeover.js"), "sideways"],
      {
        encoding: "utf8",
      },
    );
    assert.equal(usage.status, 1);
    assert.match(usage.stderr, /usage: hb_takeover \[all\|foreign\|local\|failback\]/);

    // Unprivileged users are refused (exit 4) and nothing moves.
    const nobody = lab.hbctl(["resource", "stop", "g_vip", "--socket", d1.sock], true);
    assert.equal(nobody.code, 4, nobody.err);
    assert.match(nobody.err, /permission denied/);
    const nobodyHb = spawnSync(
      "setpriv",
      [
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        process.execPath,
        join(repoRoot, "dist", "src", "cli", "hb-standby.js"),
      ],
      { encoding: "utf8", timeout: 15_000, env: { ...process.env, HBD_SOCKET: d1.sock } },
    );
    assert.equal(nobodyHb.status, 4, nobodyHb.stderr);
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(lab.hasAddress("a", VIP), "the refused requests moved the VIP");
    assert.equal(runsOn("dummy"), "n1");
    t.diagnostic(`admin e2e: ${Date.now() - started} ms`);
  } finally {
    lab.cleanup();
  }
});
