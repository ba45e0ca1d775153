// Goal: the whole-cluster simulator (src/sim/vopr.ts) runs the real composed node, replays a
// seed exactly, finds a broken system, and keeps the seeds that found bugs green.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runSeed } from "../../../src/sim/vopr.js";

test("a seed replays exactly: same violation or none, same trace", async () => {
  const a = await runSeed({ seed: 7, safetyMs: 10_000 });
  const b = await runSeed({ seed: 7, safetyMs: 10_000 });
  assert.equal(a.ok, b.ok);
  assert.deepEqual(a.violation, b.violation);
  assert.equal(a.simulatedMs, b.simulatedMs);
  assert.deepEqual(a.trace, b.trace);
  assert.ok(
    a.trace.some((l) => l.includes("boots")),
    "the trace records the run",
  );
});

test("proof of the checker: agents whose stop leaves the resource running are caught within 3 seeds", async () => {
  const found: string[] = [];
  for (let seed = 1; seed <= 3 && found.length === 0; seed++) {
    const r = await runSeed({ seed, safetyMs: 15_000, sabotage: "lying-stop" });
    if (r.violation !== undefined) found.push(`${seed}: ${r.violation.name}`);
  }
  assert.notDeepEqual(found, [], "the sabotaged system passed the invariants");
});

// Seeds that found bugs (each fixed in the commit that names it): they must stay green.
test("proof of the checker: a group whose members start unordered is caught (group-order) within 5 seeds", async () => {
  const found: string[] = [];
  for (let seed = 1; seed <= 5 && found.length === 0; seed++) {
    const r = await runSeed({ seed, safetyMs: 15_000, sabotage: "unordered-group" });
    if (r.violation?.name === "group-order") found.push(`${seed}: ${r.violation.detail}`);
  }
  assert.notDeepEqual(found, [], "members started out of order passed the invariants");
});

for (const [seed, bug] of [
  [1, "the DC acknowledged a node attribute (standby) it had not saved"],
  [14, "a new DC trusted an old record of a node it had never heard since it started (startup-fencing)"],
  [15, "a shutdown did not wait for a start the DC had asked for, and left it running"],
  [23, "two followers each waited for the other's DC claim (a late claim, then an abdication)"],
  [62, "an answer to an earlier sync request set a node back after the last update (idle: for good)"],
  [75, "a stale sync from the DC replaced the newer status of a node that had applied later updates"],
  [216, "the DC that abdicated kept the configuration changes made in its partition to itself"],
  [367, "ops sent while the receiver still counted the DC dead were lost: the transition waited"],
  [589, "R1's hold kicked a transition in the middle of a membership step (op to a node lost in it)"],
  [590, "a new DC kept a restarted node's old record (g1, g2 running) and started g3 alone on it"],
  [591, "a group member stopped on a node before the probe there of a later member (found running)"],
  [592, "the new DC sent an op to a node lost in the same membership step, before hearing of it"],
  [329, "a one-way partition: the DC started g1 on n3 while n3 heard n2 running it (no fencing)"],
  [358, "a new DC started p1 while a live node ran it (the old DC died before its update): join query"],
  [581, "a start sent again to a node that was down ran after its reboot (op bound to a generation)"],
  [672, "two DCs met; the staying DC moved p1 onto n2 while n3 ran it for the other DC (join on keepDc)"],
  [1174, "a one-way partition: n1 could not hear n2 and started p1 on n3, which heard n2 running it"],
  [
    1846,
    "n3 followed n2, which followed n1, for good (the DC's version message now reaches followers of others)",
  ],
  [2215, "g2 failed while the DC recovered g3; g3 was started on top of the dead g2 (abort on new input)"],
  [2232, "an acknowledged ban lost: the DC's sync went out during a partition and was never repaired"],
  [2362, "nodes at different configurations for good after heal (lost sync: the DC's version every 5 s)"],
  [3038, "a start planned while n2 counted down ran on n3 after n3 heard n2 (op lists the DC's down nodes)"],
  [5208, "a start still running on the new DC's node was not counted; the DC started the resource elsewhere"],
  [5423, "a node followed a DC that had abdicated to another, for good (it now follows whom that one names)"],
  [1003, "a new DC started g3 elsewhere while it ran on the DC itself (its own start not in its status)"],
  [388, "a start whose transition aborted before its recurring monitor ran was never monitored"],
  [16, "the checker compared dc-uuid and num_updates as configuration (a false converged)"],
  [19, "a dead node's promise continuations still ran agents (simulator)"],
  [50, "a dead incarnation's sends were checked (simulator)"],
  [85, "a new DC started a group's later members on top of a first one the old DC had just stopped"],
  [168, "the simulated operator cleaned a group up member by member (simulator)"],
  [
    4577,
    "g1 died while its monitor's rc 7 crossed the DC's start of g3: judged by the DC's belief (simulator)",
  ],
  [3061, "a group-order false alarm: a member died after the DC ordered the next (simulator)"],
  [8530, "a group-order false alarm: a member died after the DC ordered the next (simulator)"],
  [9937, "a rejoining node was still stopping g1 for its own DC when the DC's probe found g1 running (join)"],
  [
    5673,
    "five statuses lost in a row at 20 % loss: a false death by Heartbeat's rule counted as two DCs (simulator)",
  ],
  [6270, "a false death under loss counted as two DCs (simulator)"],
  [
    7663,
    "a lone node of three fenced and started g1 without quorum (no-quorum-policy ignore for three nodes)",
  ],
  [
    965,
    "a new DC's probe ran beside a start still running and saw g1 up mid-start; g2 started before g1 was up",
  ],
] as const) {
  test(`seed ${seed} stays green (${bug})`, async () => {
    const r = await runSeed({ seed });
    assert.equal(
      r.violation,
      undefined,
      `${r.violation?.name}: ${r.violation?.detail}\n${r.trace.slice(-40).join("\n")}`,
    );
  });
}
