// Goal: on a real failover, hbd runs Pacemaker's own alert_file.sh.sample (unmodified, from Debian's
// pacemaker-common) for the node joins, the VIP's start on each node, n1's loss, the VIP's start on n2 and the DC
// change, and the file it writes has exactly those records; a slow alert agent next to it is killed at its timeout
// (logged) and does not delay the failover.
// Method: two namespaces joined by a veth pair (CrmLab), haresources `n1 IPaddr2::VIP`, ha.cf `alert` lines (the
// haresources-mode way: they become the converted CIB's <alerts>): the sample with a recipient file and
// `select=nodes,fencing,resources,dc`, and a `sleep 5` agent with timeout=1s. Power loss = hbd SIGKILL + link down.
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { skipReason } from "../daemon/lab.js";
import { CrmLab } from "./lab.js";

const VIP = "10.250.0.100";
const RSC = "IPaddr2_10_250_0_100";
const SAMPLE = "/usr/share/pacemaker/alerts/alert_file.sh.sample";
const DEADTIME_MS = 2000;
const AUTHKEYS = "auth 1\n1 sha1 alerts-e2e-secret\n";

test("alerts: a real failover runs Pacemaker's alert_file.sh.sample; a slow agent is killed and blocks nothing", {
  skip: skipReason(),
  timeout: 90_000,
}, async (t) => {
  assert.ok(existsSync(SAMPLE), `${SAMPLE} is missing: install Debian's pacemaker-common`);
  const lab = new CrmLab();
  try {
    const record = join(lab.tmp, "cluster-alerts.log");
    const slow = join(lab.tmp, "slow-alert.sh");
    writeFileSync(slow, "#!/bin/sh\nsleep 5\n", { mode: 0o755 });
    const hacf = (peer: string) =>
      `udpport 694\nucast eth0 ${peer}\nkeepalive 100ms\ndeadtime 2\nwarntime 1\ninitdead 4\nauto_failback off\nnode n1\nnode n2\ncrm off\n` +
      `alert ${SAMPLE} ${record} select=nodes,fencing,resources,dc timestamp-format=%H:%M:%S.%06N\n` +
      `alert ${slow} timeout=1s\n`;
    lab.pair("a", "b");
    const d1 = lab.configureCrm("n1", hacf("10.250.0.2"), AUTHKEYS, `n1 IPaddr2::${VIP}/24/eth0\n`);
    const d2 = lab.configureCrm("n2", hacf("10.250.0.1"), AUTHKEYS, `n1 IPaddr2::${VIP}/24/eth0\n`);
    const logs = () => `--- n1\n${lab.log("n1").slice(-5000)}\n--- n2\n${lab.log("n2").slice(-5000)}`;
    const records = (): string[] =>
      existsSync(record)
        ? readFileSync(record, "utf8")
            .split("\n")
            .filter((l) => l !== "")
        : [];
    const bodies = () => records().map((l) => l.replace(/^\d\d:\d\d:\d\d\.\d{6}: /, ""));
    const startedAt = Date.now();
    lab.startHbd("a", "n1", d1);
    lab.startHbd("b", "n2", d2);

    // 1. Start: both nodes see each other join; the VIP starts on n1; the DC is announced on both nodes.
    const startRecord = `Resource operation 'start' for '${RSC}' on 'n1': ok`;
    const up = await lab.waitFor(
      () =>
        lab.hasAddress("a", VIP) &&
        bodies().includes(startRecord) &&
        bodies().filter((b) => b.startsWith("Attribute '#is_dc'")).length >= 2,
      20_000,
      100,
    );
    if (!up) assert.fail(`no VIP or no start records\n${records().join("\n")}\n${logs()}`);
    const atStart = bodies();
    assert.ok(atStart.includes("Node 'n2' is now 'member'"), atStart.join("\n"));
    assert.ok(atStart.includes("Node 'n1' is now 'member'"), atStart.join("\n"));
    const dc = /^Attribute '#is_dc' on node '(n[12])' was updated to 'true'$/.exec(
      atStart.find((b) => b.startsWith("Attribute '#is_dc'")) ?? "",
    )?.[1];
    assert.ok(dc, atStart.join("\n"));
    assert.equal(
      atStart.filter((b) => b === `Attribute '#is_dc' on node '${dc}' was updated to 'true'`).length,
      2,
      "each node alerts once for the DC it elected",
    );
    assert.ok(
      atStart.every((b) => !b.startsWith("Resource operation 'monitor' ")),
      "probes with the expected result send no alert",
    );

    // 2. Power loss of n1: n2 alerts n1's loss, its own start of the VIP and itself as the new DC (if it was not).
    await new Promise((r) => setTimeout(r, Math.max(0, startedAt + 7000 - Date.now()))); // past initdead
    assert.ok(await lab.plainDeadtime(d2.sock, "n1", DEADTIME_MS), "n2 never applied n1's plain deadtime");
    const before = records().length;
    lab.kill("n1", "SIGKILL");
    lab.exec("a", "ip", "link", "set", "eth0", "down");
    const lostAt = Date.now();
    const moved = await lab.waitFor(() => lab.hasAddress("b", VIP), DEADTIME_MS + 5000, 10);
    const failoverMs = Date.now() - lostAt;
    if (!moved) assert.fail(`VIP did not move to n2\n${logs()}`);
    t.diagnostic(`failover with a 5 s alert agent running on every event: VIP on n2 after ${failoverMs} ms`);
    assert.ok(failoverMs <= DEADTIME_MS + 1500, `failover took ${failoverMs} ms: alerts must not delay it`);
    const want = [
      "Node 'n1' is now 'lost'",
      `Resource operation 'start' for '${RSC}' on 'n2': ok`,
      ...(dc === "n2" ? [] : ["Attribute '#is_dc' on node 'n2' was updated to 'true'"]),
    ];
    const all = await lab.waitFor(() => want.every((w) => bodies().slice(before).includes(w)), 5000, 50);
    const after = bodies().slice(before);
    if (!all) assert.fail(`missing failover records: got\n${after.join("\n")}\n${logs()}`);
    const lostLine = records()
      .slice(before)
      .find((l) => l.endsWith("Node 'n1' is now 'lost'"));
    t.diagnostic(`failover records: ${after.join(" | ")}; node-lost record ${lostLine}`);
    t.diagnostic(`the whole file:\n${records().join("\n")}`);
    // every record of the failover comes from n2, in the order the events happened there
    assert.ok(after.indexOf(want[0] as string) < after.indexOf(want[1] as string), after.join("\n"));
    assert.ok(
      after.every((b) => !b.includes("on 'n1'")),
      `n1 is dead: no record may name an operation on it\n${after.join("\n")}`,
    );

    // 3. The slow agent was killed at its 1 s timeout, and that was logged.
    const killed = await lab.waitFor(
      () => /slow-alert\.sh|timed out after 1000 ms: killed/.test(lab.log("n2")),
      8000,
    );
    assert.ok(
      killed && /node alert via alert-2 to no recipient timed out after 1000 ms: killed/.test(lab.log("n2")),
      logs(),
    );
  } finally {
    lab.cleanup();
  }
});
