// Goal: a VIP removed by hand behind the cluster's back is noticed by its recurring monitor and restarted in place within interval + margin; with migration-threshold=2 the second failure moves it to the other node.
// Method: two namespaces joined by a veth pair, both hbd in `crm on` mode with a cib.xml written from the haresources conversion with a 2 s monitor and rsc_defaults migration-threshold=2; the VIP deleted with `ip -n NS addr del` and observed with `ip -n NS addr`.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { Cib, Primitive } from "../../../src/cib/model.js";
import { serializeCib } from "../../../src/cib/serialize.js";
import { shippedAgents } from "../../../src/config/read.js";
import { convertHaresources } from "../../../src/config/to-cib.js";
import type { StatusReport } from "../../../src/ipc/protocol.js";
import { skipReason } from "../daemon/lab.js";
import { CrmLab } from "./lab.js";

const VIP = "10.250.0.100";
const MONITOR_MS = 2000;
const hacf = (peer: string) =>
  `udpport 694\nucast eth0 ${peer}\nkeepalive 100ms\ndeadtime 2\nwarntime 1\ninitdead 4\nauto_failback on\nnode n1\nnode n2\ncrm on\n`;
const AUTHKEYS = "auth 1\n1 sha1 crm-e2e-secret\n";

/** The haresources VIP as a CIB, its monitor every MONITOR_MS, migration-threshold=2. */
function vipCib(): Cib {
  const at = { file: "haresources", line: 1 };
  const cib = convertHaresources(
    [
      {
        key: `IPaddr2::${VIP}/24/eth0`,
        node: "n1",
        at,
        resources: [{ type: "IPaddr2", args: [`${VIP}/24/eth0`], at }],
      },
    ],
    {
      autoFailback: "on",
      nodes: ["n1", "n2"],
      agents: { target: "tandem", shipped: shippedAgents(), inResourceD: () => false }, // Tandem's IPaddr2
    },
  );
  const fast = (p: Primitive): Primitive => ({
    ...p,
    operations: p.operations.map((o) =>
      o.name === "monitor" ? { ...o, id: `${p.id}-monitor-2s`, interval: "2s", intervalMs: MONITOR_MS } : o,
    ),
  });
  return {
    ...cib,
    configuration: {
      ...cib.configuration,
      resources: cib.configuration.resources.map((r) =>
        r.kind === "primitive" ? fast(r) : r.kind === "group" ? { ...r, members: r.members.map(fast) } : r,
      ),
      rscDefaults: [
        {
          kind: "meta_attributes",
          id: "rsc-options",
          nvpairs: [{ id: "rsc-options-migration-threshold", name: "migration-threshold", value: "2" }],
        },
      ],
    },
  };
}

test("recurring monitor: a VIP deleted by hand is restarted in place, then moved after migration-threshold", {
  skip: skipReason(),
  timeout: 60_000,
}, async (t) => {
  const lab = new CrmLab();
  try {
    lab.pair("a", "b");
    const xml = serializeCib(vipCib());
    const d1 = lab.configure("n1", hacf("10.250.0.2"), AUTHKEYS);
    const d2 = lab.configure("n2", hacf("10.250.0.1"), AUTHKEYS);
    for (const d of [d1, d2]) writeFileSync(join(d.etc, "cib.xml"), xml);
    const status = (sock: string): StatusReport | undefined => {
      const r = lab.hbctl(["status", "--json", "--socket", sock]);
      return r.code === 0 ? (JSON.parse(r.out) as StatusReport) : undefined;
    };
    const logs = () => `--- n1\n${lab.log("n1").slice(-6000)}\n--- n2\n${lab.log("n2").slice(-6000)}`;
    lab.startHbd("a", "n1", d1);
    lab.startHbd("b", "n2", d2);
    const up = await lab.waitFor(() => lab.hasAddress("a", VIP), 20_000, 100);
    if (!up) assert.fail(`VIP never came up on n1\n${logs()}`);
    const quiet = () => {
      const crm = status(d1.sock)?.crm;
      return crm?.busy === false && crm.resources[0]?.running.join() === "n1";
    };
    assert.ok(await lab.waitFor(quiet, 10_000, 200), `the cluster did not settle\n${logs()}`);

    // 1. First failure: the monitor notices within one interval and the VIP is restarted on n1.
    lab.exec("a", "ip", "addr", "del", `${VIP}/24`, "dev", "eth0");
    const deletedAt = Date.now();
    const back = await lab.waitFor(() => lab.hasAddress("a", VIP), MONITOR_MS + 3000, 20);
    const restartMs = Date.now() - deletedAt;
    if (!back) assert.fail(`the VIP was not restarted on n1\n${logs()}`);
    t.diagnostic(
      `restart in place: VIP back ${restartMs} ms after it was deleted (monitor ${MONITOR_MS} ms)`,
    );
    assert.equal(lab.hasAddress("b", VIP), false, "the VIP also came up on n2");
    // hbd's log is written asynchronously (pino, sync: false): the line may follow the restart by a moment
    const reported = await lab.waitFor(
      () => /"event":"monitor-failed"/.test(lab.log("n1") + lab.log("n2")),
      3000,
      50,
    );
    assert.ok(reported, `no monitor-failed in the logs\n${logs()}`);
    assert.ok(await lab.waitFor(quiet, 10_000, 200), `the cluster did not settle\n${logs()}`);

    // 2. Second failure reaches migration-threshold=2: the VIP moves to n2.
    lab.exec("a", "ip", "addr", "del", `${VIP}/24`, "dev", "eth0");
    const movedAt = Date.now();
    const moved = await lab.waitFor(() => lab.hasAddress("b", VIP), MONITOR_MS + 3000, 20);
    if (!moved) assert.fail(`the VIP did not move to n2\n${logs()}`);
    t.diagnostic(`move after migration-threshold: VIP on n2 ${Date.now() - movedAt} ms after it was deleted`);
    assert.equal(lab.hasAddress("a", VIP), false, "the VIP is back on n1 too");
    const shown = await lab.waitFor(
      () => status(d2.sock)?.crm?.resources[0]?.running.join() === "n2",
      5000,
      200,
    );
    assert.ok(shown, "n2's status does not show the VIP on n2");
    if (process.env.CRM_E2E_LOGS) t.diagnostic(logs());
  } finally {
    lab.cleanup();
  }
});
