// Goal: on the full director topology, SIGKILL + restart of hbd on the active director adopts the group (director keeps its pid, no start/stop, zero failed client requests), and power loss of the active director moves the group so the client is answered again by both real servers through the other director.
// Method: ClusterLab (two hbd directors with [IPaddr2 VIP, lvs, ldirectord/hb-director], two node:http real servers in DR, a client probing the VIP every 20 ms) in tdk-<pid>-* namespaces; state from `ip -n`, pid files and `hbctl status --json`, answers counted by server name.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { skipReason } from "../daemon/lab.js";
import { ClusterLab, sleep, tally } from "./lab.js";

let lab: ClusterLab;
let startedAt = 0;
/** hbd on n1 must be back before n2's deadtime runs out: a Node process restarts in ~1-2 s on a loaded machine. */
const DEADTIME_MS = 6000;

before(async () => {
  if (skipReason() !== undefined) return;
  lab = new ClusterLab({ autoFailback: "on", deadtime: String(DEADTIME_MS / 1000), initdead: "12" });
  startedAt = Date.now();
  lab.start();
  await lab.settle("n1", 45_000);
});

after(() => lab?.cleanup());

test("SIGKILL of hbd on the active director and a restart: the group is adopted, no client request fails", {
  skip: skipReason(),
  timeout: 60_000,
}, async (t) => {
  await sleep(300);
  const pid = lab.directorPid("n1");
  assert.ok(pid !== undefined);
  const mark = { n1: lab.log("n1").length, n2: lab.log("n2").length };
  const from = Date.now();
  lab.kill("n1", "SIGKILL");
  await lab.exited("n1", 5000);
  await sleep(500); // hbd is really gone for a while: keepalives stop, the director keeps forwarding
  lab.startNode("n1");
  startedAt = Date.now();
  let vipGaps = 0;
  let vipOnN2 = 0;
  const rejoined = await lab.waitFor(
    () => {
      if (!lab.vipOn("n1")) vipGaps++;
      if (lab.vipOn("n2")) vipOnN2++;
      return lab.settledOn("n1") && lab.status("n1")?.crm?.dc !== undefined;
    },
    30_000,
    100,
  );
  if (!rejoined) assert.fail(`restarted n1 did not rejoin\n${lab.tails()}`);
  await sleep(1500); // more client traffic after the rejoin, and the rest of hbd's output
  const to = Date.now() - 1100; // probes that completed (timeout 1 s) before now
  const counts = tally(lab, from, to);
  t.diagnostic(`answers during kill + restart: ${JSON.stringify(counts)}`);
  const ops = (lab.log("n1").slice(mark.n1) + lab.log("n2").slice(mark.n2))
    .split("\n")
    .filter(
      (l) =>
        /"event":"(op-result|transition|dc|node-status|monitor-failed)"/.test(l) &&
        !/"intervalMs":[1-9]/.test(l),
    )
    .join("\n");
  assert.equal(lab.directorPid("n1"), pid, `the director was restarted (pid changed)\n${ops}`);
  assert.deepEqual([vipGaps, vipOnN2], [0, 0], "the VIP moved or disappeared during the restart");
  const logs = lab.log("n1").slice(mark.n1) + lab.log("n2").slice(mark.n2);
  assert.doesNotMatch(logs, /\b(start|stop) on n[12]/, `a resource was started or stopped\n${lab.tails()}`);
  assert.match(logs, /ldirectord monitor on n1: rc 0/, "n1's director was not probed");
  assert.equal(counts["-"] ?? 0, 0, "client requests failed");
  assert.ok((counts.rs1 ?? 0) > 10 && (counts.rs2 ?? 0) > 10, JSON.stringify(counts));
});

test("power loss of the active director moves the group; the client is answered by both reals again", {
  skip: skipReason(),
  timeout: 60_000,
}, async (t) => {
  await sleep(Math.max(0, startedAt + DEADTIME_MS + 3000 - Date.now())); // past n1's start-up dt rule (deadtime + 2 s for 5 s)
  lab.powerLoss("n1");
  const lostAt = Date.now(); // hbd and director killed, link down
  const firstAfter = () => lab.client.probes.find((p) => p.answer !== "-" && p.start > lostAt);
  const back = await lab.waitFor(() => firstAfter() !== undefined, DEADTIME_MS + 20_000, 20);
  if (!back) assert.fail(`the VIP never answered again\n${lab.tails()}`);
  const first = firstAfter();
  const answeredMs = (first?.end ?? 0) - lostAt;
  const both = await lab.waitFor(() => lab.bothRealsAnswered(first?.end ?? lostAt), 10_000, 50);
  assert.ok(
    both,
    `not both reals answered after the failover: ${JSON.stringify(tally(lab, lostAt, Date.now()))}`,
  );
  await sleep(1200);
  const counts = tally(lab, lostAt, Date.now() - 1100);
  const failed = lab.client.failed(lostAt, first?.end ?? lostAt);
  t.diagnostic(
    `power loss → first answer through n2 after ${answeredMs} ms (deadtime ${DEADTIME_MS} ms); ${failed} failed probes; answers since: ${JSON.stringify(counts)}`,
  );
  assert.ok(lab.vipOn("n2"), "the VIP is not on n2");
  assert.ok(lab.directorPid("n2") !== undefined, "n2 runs no director");
  assert.equal(lab.status("n2")?.crm?.dc, "n2");
  assert.ok(
    await lab.waitFor(() => lab.groupOn("n2") === "n2", 10_000, 200),
    JSON.stringify(lab.status("n2")?.crm),
  );
  assert.ok(answeredMs < DEADTIME_MS + 8000, `failover took ${answeredMs} ms`);
});
