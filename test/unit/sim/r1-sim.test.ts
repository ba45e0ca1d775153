// Goal: the haresources-mode simulator (src/sim/r1-run.ts) replays a seed exactly, finds a broken
// resource protocol, and keeps the seeds that found bugs in r1.ts / ipfail green.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runR1Seed } from "../../../src/sim/r1-run.js";

test("a haresources seed replays exactly", async () => {
  const a = await runR1Seed({ seed: 3, safetyMs: 10_000 });
  const b = await runR1Seed({ seed: 3, safetyMs: 10_000 });
  assert.equal(a.ok, b.ok);
  assert.deepEqual(a.violation, b.violation);
  assert.equal(a.simulatedMs, b.simulatedMs);
  assert.deepEqual(a.trace, b.trace);
});

test("proof of the checker: R1 that keeps the groups it says it gave up in a standby is caught within 3 seeds that pass unbroken", async () => {
  const found: string[] = [];
  for (const seed of [6, 7, 8]) {
    const clean = await runR1Seed({ seed });
    assert.equal(clean.violation, undefined, `seed ${seed} fails unbroken: ${clean.violation?.detail}`);
    const r = await runR1Seed({ seed, sabotage: "standby-keeps" });
    if (r.violation !== undefined) {
      found.push(`${seed}: ${r.violation.name}`);
      break;
    }
  }
  assert.notDeepEqual(found, [], "the sabotaged resource protocol passed the invariants");
});

// Seeds that found bugs (each fixed in the commit that names it): they must stay green.
for (const [seed, bug] of [
  [5, "R1: the peer's late isstable=0 (retransmitted) after its isstable=1 left it in flux for good"],
  [
    1,
    "R1: after a one-way partition healed both nodes ran every group for good (no give-up and renegotiation)",
  ],
  [
    15,
    "R1: a node that settled before its own status went active then said starting; the peer waited for good",
  ],
  [306, "R1: a node learned the peer runs Heartbeat after the peer's starting; both waited, then refused"],
  [
    361,
    "R1: both nodes held every group after a restart during a partition; both failbacks ignored each other",
  ],
  [28, "R1: the same split brain (both stable holding the same groups) after heal"],
  [122, "R1 (auto_failback legacy): a silent legacy peer was refused as 'crm on'; every resource stopped"],
  [124, "R1 (auto_failback legacy): the same false refusal"],
  [111, "R1: the peer restarted within the deadtime holding a group (taken in a standby); it ran nowhere"],
  [340, "ipfail gave up to a peer membership still counted dead; its controller standby was never lifted"],
  [
    64,
    "ipfail: an adopted copy of the CIB kept this node in a standby ipfail had lifted; peer dead, nothing ran",
  ],
  [365, "R1: both gave up a split brain at once and settled on each other's stale 'all': groups ran nowhere"],
  [
    79,
    "R1: a node giving up after a partition said 'none' while a hung stop still ran a group; the peer started it",
  ],
  [2, "ipfail: a late num_ping_nodes (retransmitted) made a node give its groups up on a shared loss"],
  [16, "R1: the taker's standby answer was lost for good; the requester cancelled, the taker waited an hour"],
  [116, "R1: the peer's isstable=1 was lost for good; this node saw it in flux for ever (no standby again)"],
  [206, "R1: the giver's standby 'done' was lost for good: its groups ran nowhere, both waited an hour"],
  [219, "R1: a standby answer lost for good after the peer's restart: the taker waited an hour in flux"],
  [247, "R1: the taker's standby 'done' was lost for good: the giver waited an hour in flux"],
  [234, "R1: the peer's starting, retransmitted after its resource message, read as a restart: both ran r1a"],
  [
    255,
    "R1: a member's stop failed mid-group in a standby; R1 said 'done' and the peer started the group too",
  ],
  [
    252,
    "R1 (legacy): both came up alone in a partition holding every group; nothing was asked when they met",
  ],
  [261, "R1 (legacy): the same split brain after heal (no resource messages in legacy: neither noticed)"],
  [189, "R1 (legacy): ip-requests sent while the peer did not know us yet were dropped: r1a ran nowhere"],
  [154, "R1: kept its groups after a failed stop on rejoining but asked nothing: refused as a silent peer"],
  [
    671,
    "R1: took every group when the peer shut down before our comm-up; at comm-up said 'starting' and ran them",
  ],
  [679, "R1: both gave a split brain up at once; one settled on the other's stale 'all': r3a ran nowhere"],
  [
    802,
    "R1: every R1 message of a lossy spell lost: the peer refused as silent (crm on) for as long as it lived",
  ],
  [836, "R1: an auto-failback sent as the peer crashed and restarted within the deadtime: never retried"],
  [974, "R1: both stuck on a failed stop after a partition kept every set, gave up and restarted for ever"],
  [
    1256,
    "R1: gave its groups up in a standby; the taker restarted within the deadtime: 'done' awaited for good",
  ],
  [1284, "R1: a node shutting down said 'none' while its stops ran; the booting peer took r1a beside them"],
  [
    1242,
    "R1: a give-up after a partition, held open by a hung start across the peer's death, ended an hour later",
  ],
  [
    1349,
    "R1: reported still in flux after heal in the 1001-1437 run; green already at c4472f4 (kept as a guard)",
  ],
  [
    1372,
    "ipfail: a give-up deferred as 'in flux' was never asked again (no you_are_dead from a Tandem peer)",
  ],
  [
    1369,
    "checker: a stop hung since before a one-way partition healed (the DC, no fencing, started r1a on n1) is not a split",
  ],
  [
    5863,
    "R1: the answer to a restarted node's 'starting' was lost for good; at RQSTDELAY it took r1a beside the holder",
  ],
  [
    6283,
    "controller: a shutdown waited for a start hung to its timeout before stopping the other groups (r2a on both)",
  ],
  [6408, "checker: a group's stop waits behind a member's start hung since before the heal (not a split)"],
  [
    6567,
    "checker: the DC's transitions wait for a start hung since before the partition (Pacemaker's do too)",
  ],
  [3204, "R1: a cleanup after a give-up cancelled by a failed stop completed the group on both nodes"],
  [
    3266,
    "ipfail: a lost 'standby=off' with the mark cleared held n2 in standby; it ran nothing when n1 died",
  ],
  [
    1521,
    "R1: an auto-failback's request overtaken by its sender's isstable=0 was ignored as in flux, never retried",
  ],
  [
    6939,
    "R1: the peer restarted within its deadtime while we were not yet active; our own group ran nowhere",
  ],
  [
    1884,
    "ipfail: asked for standby again with counts equal, waiting out the recovery: a restarted peer took all",
  ],
  [5057, "R1: both refused each other as silent peers after a lossy spell and waited in silence for good"],
  [1437, "ipfail: a give-up cancelled by the peer's restart was never asked again: the groups stayed put"],
  [
    8269,
    "R1: both stuck on one failed stop after a heal gave up again at every message: a storm, the run hung",
  ],
] as const) {
  test(`haresources seed ${seed} stays green (${bug})`, async () => {
    const r = await runR1Seed({ seed });
    assert.equal(
      r.violation,
      undefined,
      `${r.violation?.name}: ${r.violation?.detail}\n${r.trace.slice(-40).join("\n")}`,
    );
  });
}
