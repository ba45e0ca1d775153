// Goal: a monitor failure of the director (hb-director killed behind the cluster's back) restarts it in place on the active node (the standby's warm director untouched), and the second failure (migration-threshold=2) bans it from n1 and moves the group [VIP, lvs] (colocated with the director clone) to the other node, where the client is answered by both reals.
// Method: ClusterLab in `crm on` with the haresources group converted to a cib.xml, every monitor at 1 s and rsc_defaults migration-threshold=2; the director killed with SIGKILL by the pid in its pid file; placement from `ip -n`, pid files and `hbctl status --json`.
import assert from "node:assert/strict";
import { test } from "node:test";
import { skipReason } from "../daemon/lab.js";
import { ClusterLab } from "./lab.js";

const MONITOR_MS = 1000;

test("director monitor failure: restart in place, then the group moves after migration-threshold", {
  skip: skipReason(),
  timeout: 120_000,
}, async (t) => {
  const lab = new ClusterLab({ monitorMs: MONITOR_MS, migrationThreshold: 2 });
  try {
    lab.start();
    await lab.settle("n1", 45_000);

    // 1. First failure: noticed by the recurring monitor, the director is restarted on n1.
    await lab.waitFor(() => lab.directorPid("n2") !== undefined, 15_000, 100);
    const first = lab.directorPid("n1");
    const warm = lab.directorPid("n2"); // the warm director on the standby: untouched by n1's failures
    assert.ok(first !== undefined && lab.killDirector("n1"), "could not kill the director");
    const killedAt = Date.now();
    const restarted = await lab.waitFor(
      () => {
        const pid = lab.directorPid("n1");
        return pid !== undefined && pid !== first;
      },
      MONITOR_MS + 15_000,
      50,
    );
    if (!restarted) assert.fail(`the director was not restarted on n1\n${lab.tails()}`);
    const restartMs = Date.now() - killedAt;
    assert.ok(lab.vipOn("n1") && !lab.vipOn("n2"), "the VIP moved on the first failure");
    assert.match(lab.log("n1") + lab.log("n2"), /"event":"monitor-failed"/);
    await lab.settle("n1", 20_000);
    assert.ok(warm !== undefined && lab.directorPid("n2") === warm, "n2's warm director was restarted");

    // 2. Second failure reaches migration-threshold=2: the director may not run on n1 any more, and the
    //    group [VIP, lvs] (colocated with the director clone) moves to n2, where the director already runs.
    assert.ok(lab.killDirector("n1"), "could not kill the restarted director");
    const movedAt = Date.now();
    await lab.settle("n2", MONITOR_MS + 30_000);
    const moveMs = Date.now() - movedAt;
    const crm = lab.status("n2")?.crm;
    t.diagnostic(
      `director killed: restarted in place after ${restartMs} ms; killed again: group serving from n2 after ${moveMs} ms (monitor ${MONITOR_MS} ms)`,
    );
    assert.deepEqual(
      crm?.resources.map((r) => [r.id, r.running.join()]),
      [
        ["IPaddr2_10_250_0_100", "n2"],
        ["lvs", "n2"],
        ["ldirectord", "n2"],
      ],
    );
  } finally {
    lab.cleanup();
  }
});
