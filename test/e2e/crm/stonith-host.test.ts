// Goal: a legacy ha.cf `stonith_host` line fences in haresources mode as Heartbeat R1 did: the lost node is
// fenced before its VIP starts on the survivor, and the survivor's saved policy input replays (hbctl simulate
// --replay) to exactly that decision: fence n1, then start the VIP on n2; `hbctl fence reboot|off` fences a peer
// on request and refuses to fence the node it runs on.
// Method: CrmLab namespaces (tdc-<pid>-*), haresources + `stonith_host * null n1 n2`; power loss = SIGKILL of
// n1's hbd + link down; the order read from n2's structured log; the replay run on n2's state dir.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { StatusReport } from "../../../src/ipc/protocol.js";
import { skipReason } from "../daemon/lab.js";
import { CrmLab } from "./lab.js";

const VIP = "10.250.0.100";
const hacf = (peer: string) =>
  `udpport 694\nucast eth0 ${peer}\nkeepalive 100ms\ndeadtime 1\nwarntime 500ms\ninitdead 2\nauto_failback on\nnode n1\nnode n2\ncrm off\nstonith_host * null n1 n2\n`;
const AUTHKEYS = "auth 1\n1 sha1 stonith-host-e2e\n";
const HARESOURCES = `n1 IPaddr2::${VIP}/24/eth0\n`;

test("stonith_host in ha.cf: the lost node is fenced before the VIP moves; the saved input replays to it", {
  skip: skipReason(),
  timeout: 60_000,
}, async () => {
  const lab = new CrmLab();
  try {
    lab.pair("a", "b");
    const d1 = lab.configureCrm("n1", hacf("10.250.0.2"), AUTHKEYS, HARESOURCES);
    const d2 = lab.configureCrm("n2", hacf("10.250.0.1"), AUTHKEYS, HARESOURCES);
    const logs = () => `--- n1\n${lab.log("n1").slice(-5000)}\n--- n2\n${lab.log("n2").slice(-5000)}`;
    lab.startHbd("a", "n1", d1);
    lab.startHbd("b", "n2", d2);
    if (!(await lab.waitFor(() => lab.hasAddress("a", VIP), 20_000, 100)))
      assert.fail(`no VIP on n1\n${logs()}`);
    // let n2 see it too (its status replicated), so the failover below starts from a settled pair
    const settled = await lab.waitFor(
      () => {
        const r = lab.hbctl(["status", "--json", "--socket", d2.sock]);
        return r.code === 0 && (JSON.parse(r.out) as StatusReport).crm?.resources[0]?.running.join() === "n1";
      },
      10_000,
      100,
    );
    assert.ok(settled, logs());

    lab.kill("n1", "SIGKILL");
    lab.exec("a", "ip", "link", "set", "eth0", "down");
    if (!(await lab.waitFor(() => lab.hasAddress("b", VIP), 15_000, 50)))
      assert.fail(`VIP never moved to n2\n${logs()}`);

    type Event = { event?: string; target?: string; rsc?: string; op?: string; node?: string };
    const events = (): Event[] =>
      lab
        .log("n2")
        .split("\n")
        .flatMap((l) => {
          try {
            return [JSON.parse(l) as Event];
          } catch {
            return [];
          }
        });
    const isStart = (e: Event) =>
      e.event === "op-result" && e.op === "start" && e.node === "n2" && e.rsc?.startsWith("IPaddr2") === true;
    // The address is up as soon as the agent added it; hbd logs the start's result when the agent has
    // exited, and writes its log asynchronously: wait (bounded) for that line (it failed once without).
    await lab.waitFor(() => events().some(isStart), 5000, 50);
    const lines = events();
    const fenced = lines.findIndex((e) => e.event === "fenced" && e.target === "n1");
    const started = lines.findIndex(isStart);
    assert.ok(fenced >= 0, `n1 was never fenced\n${logs()}`);
    assert.ok(
      started > fenced,
      `the VIP started on n2 (line ${started}) before n1 was fenced (line ${fenced})`,
    );

    const list = lab.hbctl(["simulate", "--list-inputs", "--state-dir", d2.state]);
    assert.equal(list.code, 0, list.err);
    // the newest input that fenced n1 replays to: fence n1, then start the VIP on n2
    const numbers = list.out
      .trim()
      .split("\n")
      .map((l) => Number(l.split("\t")[0]))
      .reverse();
    let replayed = "";
    for (const n of numbers) {
      const r = lab.hbctl(["simulate", "--replay", String(n), "--state-dir", d2.state]);
      assert.equal(r.code, 0, r.err);
      if (/^summary fence n1 reboot$/m.test(r.out)) {
        replayed = r.out;
        break;
      }
    }
    assert.match(replayed, /^summary fence n1 reboot$/m, `no saved input fences n1:\n${list.out}`);
    assert.match(replayed, /^summary start IPaddr2_\S+ n2$/m);

    // manual fencing (stonith_admin --reboot): of the peer works, of oneself is refused
    const manual = lab.hbctl(["fence", "reboot", "n1", "--json", "--socket", d2.sock]);
    assert.equal(manual.code, 0, manual.err);
    assert.match(JSON.parse(manual.out).message, /^n1 fenced \(reboot\)/);
    const self = lab.hbctl(["fence", "off", "n2", "--socket", d2.sock]);
    assert.equal(self.code, 2);
    assert.match(self.err, /never fences itself/);
  } finally {
    lab.cleanup();
  }
});
