// Goal: the membership guarantees hold on a simulated cluster of real composed nodes (daemon/hbd.ts):
// the real wire codec, signatures and membership, on the whole-cluster simulator's world.
// Method: scripted stories on MembershipSim (crash, loss, partitions, restarts, replay/forgery, ping nodes)
// with fixed seeds; node views are read from each hbd's status report, events from its structured log.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Timing } from "../../../src/config/model.js";
import { STARTUP_ADVERTISE_MS } from "../../../src/membership/generation.js";
import { MembershipSim } from "../../../src/sim/membership-sim.js";
import { CLEAN_MEDIUM, type MediumFaults } from "../../../src/sim/network.js";

const fast: Timing = { keepaliveMs: 50, deadtimeMs: 200, warntimeMs: 120, initdeadMs: 400, deadpingMs: 200 };
const lossy = (lossProbability: number): MediumFaults => ({
  ...CLEAN_MEDIUM,
  lossProbability,
  delayMsMin: 1,
  delayMsMax: 5,
});
const TEN_MINUTES = 10 * 60_000;
/** A node advertises deadtime + 2 s for its first 5 s (as Heartbeat does): stories start after that. */
const WARM = STARTUP_ADVERTISE_MS + 500;

test("keepalive 50 / deadtime 200: a crashed peer is dead within deadtime plus one tick, never before deadtime", async () => {
  for (let k = 0; k < 12; k++) {
    const sim = new MembershipSim({
      seed: 100 + k,
      nodes: ["n1", "n2", "n3"],
      timing: fast,
      media: ["eth0", "eth1"],
    });
    await sim.runFor(WARM + k * 7); // crash at every phase relative to keepalive and tick
    sim.expectWhole();
    const crashAt = sim.nowMs;
    sim.crash("n2");
    await sim.runFor(400);
    for (const observer of ["n1", "n3"]) {
      const dead = sim.deaths(crashAt + 1).filter((e) => e.observer === observer);
      assert.equal(dead.length, 1, `${observer} declares n2 dead once`);
      const sinceLast = dead[0]!.silentMs!;
      assert.ok(
        sinceLast > 200 && sinceLast <= 200 + sim.tickMs,
        `seed ${100 + k}: ${sinceLast} ms after last status`,
      );
      // The last status left n2 before the crash and took 1 ms: at most deadtime + tick + 1 after the crash.
      assert.ok(
        dead[0]!.atMs - crashAt <= 200 + sim.tickMs + 1,
        `${dead[0]!.atMs - crashAt} ms after the crash`,
      );
    }
  }
});

/*
 * 20 % loss. A peer is falsely declared dead when every status of one
 * deadtime window is lost: with keepalive K and deadtime D, the D/K - 1
 * statuses in between and, about half the time (delay jitter), the one at the
 * boundary. Per status sent, P(false death) ~ q^(D/K - 1) x (q + (1 - q) / 2),
 * q the probability that a status is lost on every medium.
 * - 50/200 on one medium (q = 0.2): ~0.0048 per status, ~58 false deaths per
 *   direction in 10 minutes (12 000 statuses): this is calibrated below;
 * - 50/600 on one medium (q = 0.2): ~1.2e-8, ~3e-4 per run;
 * - 50/350 on two media (q = 0.04): ~2.1e-9, ~5e-5 per run.
 * The "no false death at 20 % loss" is therefore tested with the last
 * two: a deadtime sized for the loss, or a redundant medium.
 */
async function lossyRun(
  seed: number,
  media: string[],
  deadtimeMs: number,
  ms: number,
): Promise<MembershipSim> {
  const timing = { ...fast, deadtimeMs, warntimeMs: deadtimeMs - 50, initdeadMs: 2 * deadtimeMs };
  const sim = new MembershipSim({ seed, nodes: ["n1", "n2"], timing, media });
  await sim.runFor(WARM);
  sim.setFaults(lossy(0.2));
  await sim.runFor(ms);
  return sim;
}

test("calibration: 20 % loss at 50/200 on one medium gives the false deaths the model predicts", async () => {
  const ms = TEN_MINUTES;
  const sim = await lossyRun(7, ["eth0"], 200, ms);
  const statuses = ms / fast.keepaliveMs; // per direction
  const falseDeaths = sim.deaths().length;
  const low = 2 * statuses * 0.2 ** 4; // every status up to and including the boundary lost
  const high = 2 * statuses * 0.2 ** 3; // the ones strictly inside the window lost
  assert.ok(falseDeaths > low, `${falseDeaths} deaths, at least ${low}`);
  assert.ok(falseDeaths < high, `${falseDeaths} deaths, at most ${high}`);
});

for (const [media, deadtimeMs] of [
  [["eth0"], 600],
  [["eth0", "eth1"], 350],
] as const) {
  test(`20 % loss on ${media.length} medium(s), keepalive 50 / deadtime ${deadtimeMs}: no false death in 10 simulated minutes`, async () => {
    const sim = await lossyRun(42, [...media], deadtimeMs, TEN_MINUTES);
    let sent = 0;
    let lost = 0;
    for (const net of sim.world.networks.values()) {
      const s = net.stats();
      sent += s.sent * 1; // one peer: every frame has one destination
      lost += s.droppedFault;
    }
    assert.ok(Math.abs(lost / sent - 0.2) < 0.01, `the loss really was 20 %: ${lost}/${sent}`);
    assert.deepEqual(
      sim.deaths().map((e) => `${e.atMs} ${e.observer}`),
      [],
    );
    sim.expectWhole();
    const c = sim.counters("n1");
    const lostEverywhere = (TEN_MINUTES / fast.keepaliveMs) * 0.2 ** media.length;
    assert.ok(
      c.gapPackets > lostEverywhere / 2 && c.retransmitRequestsSent > 0,
      `gaps seen: ${c.gapPackets}`,
    );
    assert.ok(c.packetsLost <= c.gapPackets, "every gap was filled or given up");
    // No attacker: the real node counts a retransmitted copy that arrives after its gap closed as a
    // replay (the old model's replaysDropped stayed 0); bounded, not zero.
    assert.ok(c.replays <= 5, `${c.replays} replays without an attacker`);
  });
}

test("every partition heals back to full membership: symmetric, one-way, one medium, isolate one", async () => {
  const sim = new MembershipSim({
    seed: 5,
    nodes: ["n1", "n2", "n3", "n4"],
    timing: fast,
    media: ["eth0", "eth1"],
  });
  const settle = () => sim.runFor(fast.deadtimeMs + 4 * fast.keepaliveMs);
  await sim.runFor(WARM);
  sim.expectWhole();

  sim.partition(["n1", "n2"], ["n3", "n4"]);
  await settle();
  sim.expectStatus("n1", { n2: "active", n3: "dead", n4: "dead" });
  sim.expectStatus("n4", { n1: "dead", n2: "dead", n3: "active" });
  sim.heal();
  await settle();
  sim.expectWhole();

  sim.partition(["n1"], ["n2", "n3", "n4"], { oneWay: true });
  await settle();
  sim.expectStatus("n2", { n1: "dead" });
  sim.expectStatus("n1", { n2: "active", n3: "active", n4: "active" });
  sim.heal();
  await settle();
  sim.expectWhole();

  sim.partition(["n1"], ["n2"], { media: ["eth0"] });
  await settle();
  sim.expectStatus("n1", { n2: "active" });
  assert.equal(sim.link("n1", "n2", "eth0"), "dead");
  assert.equal(sim.link("n1", "n2", "eth1"), "up");
  sim.heal();
  await settle();
  sim.expectWhole();

  sim.partition(["n3"], ["n1", "n2", "n4"]);
  await settle();
  sim.expectStatus("n3", { n1: "dead", n2: "dead", n4: "dead" });
  sim.heal();
  await settle();
  sim.expectWhole();

  const returns = sim.events((e) => e.kind === "node-status" && e.cause === "returned-after-partition");
  assert.ok(returns.length >= 8, `${returns.length} returns after partition`);
  assert.equal(sim.counters("n1").replays, 0);
});

test("a restarted peer comes back with a higher generation, even when it restarts within deadtime", async () => {
  const sim = new MembershipSim({ seed: 9, nodes: ["n1", "n2"], timing: fast });
  await sim.runFor(WARM);
  const t0 = sim.nowMs;
  const before = sim.generation("n2");
  sim.crash("n2");
  await sim.runFor(60); // shorter than deadtime: n1 never sees it dead
  sim.restart("n2");
  await sim.runFor(fast.initdeadMs + 4 * fast.keepaliveMs); // the real n2 is "up" until its comm-up
  assert.ok(sim.generation("n2") > before);
  sim.expectWhole();
  const n1 = sim.events((e) => e.observer === "n1" && e.atMs > t0);
  assert.ok(
    n1.some((e) => e.kind === "peer-restarted" && e.peer === "n2" && e.generation === sim.generation("n2")),
  );
  assert.ok(n1.some((e) => e.kind === "node-status" && e.cause === "restart"));
  assert.ok(!n1.some((e) => e.kind === "node-status" && e.status === "dead"));
});

test("a clean shutdown is seen at once, not after deadtime", async () => {
  const sim = new MembershipSim({ seed: 11, nodes: ["n1", "n2", "n3"], timing: fast });
  await sim.runFor(WARM);
  sim.shutdown("n3");
  await sim.runFor(5);
  sim.expectStatus("n1", { n3: "dead" });
  sim.expectStatus("n2", { n3: "dead" });
  const deaths = sim.deaths();
  assert.equal(deaths.length, 2);
  assert.ok(
    deaths.every((e) => e.cause === "shutdown"),
    JSON.stringify(deaths),
  );
});

test("replayed and forged packets never change any node's view", async () => {
  const story = async (attack: boolean) => {
    const sim = new MembershipSim({
      seed: 77,
      nodes: ["n1", "n2", "n3"],
      timing: fast,
      media: ["eth0", "eth1"],
      faults: lossy(0.1),
      ...(attack ? { attack: { replaysPerSecond: 40, forgedPerSecond: 40 } } : {}),
    });
    await sim.runFor(WARM);
    sim.crash("n3");
    await sim.runFor(1500);
    sim.partition(["n1"], ["n2"], { oneWay: true });
    await sim.runFor(1500);
    sim.heal();
    sim.restart("n3");
    await sim.runFor(2000);
    sim.crash("n2");
    await sim.runFor(3000);
    return sim;
  };
  const clean = await story(false);
  const attacked = await story(true);
  // Views are read after every step (tick), so the comparison is exact at tick granularity.
  assert.deepEqual(attacked.viewChanges(), clean.viewChanges());
  // A replay is dropped as a replay, a duplicate (a sequence number just seen) or unproven (held).
  const replays = (sim: MembershipSim) =>
    ["n1", "n2", "n3"].reduce(
      (t, n) => t + sim.dropped(n, "replays") + sim.dropped(n, "duplicates") + sim.dropped(n, "unproven"),
      0,
    );
  assert.ok(attacked.attackStats.replaysDelivered > 300, `${attacked.attackStats.replaysDelivered} replays`);
  // The real node drops most replays under a counter; the rest (about 40 % here, seed 77) leave no count
  // but, as checked above, no trace in any view either: measured (session 6), they are unsequenced frames
  // Heartbeat's wire gives no sequence number to (NS_rexmit 161, NS_ackmsg 56 of 522: a replayed rexmit
  // request costs a rate-limited retransmission, an ack is idempotent) and frames delivered to a crashed
  // host (28). The old model counted every one: not asserted.
  const counted = replays(attacked) - replays(clean);
  assert.ok(counted > attacked.attackStats.replaysDelivered / 2, `${counted} counted`);
  assert.ok(counted <= attacked.attackStats.replaysDelivered, `${counted} counted`);
  assert.ok(attacked.attackStats.forgedDelivered > 300, `${attacked.attackStats.forgedDelivered} forged`);
  const forged = ["n1", "n2", "n3"].reduce((t, n) => t + attacked.dropped(n, "badAuth"), 0);
  assert.equal(forged, attacked.attackStats.forgedDelivered);
});

test("ping nodes: ping while they answer, dead after deadping, back when they answer again", async () => {
  const sim = new MembershipSim({ seed: 13, nodes: ["n1", "n2"], timing: fast, pingNodes: ["10.0.0.254"] });
  await sim.runFor(WARM);
  sim.expectStatus("n1", { "10.0.0.254": "ping", n2: "active" });
  sim.crash("10.0.0.254");
  await sim.runFor(fast.deadpingMs + fast.keepaliveMs + sim.tickMs);
  sim.expectStatus("n1", { "10.0.0.254": "dead", n2: "active" });
  assert.equal(sim.link("n1", "10.0.0.254", "10.0.0.254"), "dead");
  sim.restart("10.0.0.254");
  await sim.runFor(fast.keepaliveMs + 10);
  sim.expectStatus("n2", { "10.0.0.254": "ping" });
});

test("a delay spike below deadtime gives late-heartbeat warnings, not a death", async () => {
  const sim = new MembershipSim({ seed: 17, nodes: ["n1", "n2"], timing: fast });
  await sim.runFor(WARM);
  sim.setFaults({ ...CLEAN_MEDIUM, delayMsMin: 140, delayMsMax: 140 });
  await sim.runFor(500);
  sim.setFaults(CLEAN_MEDIUM);
  await sim.runFor(500);
  const late = sim.events((e) => e.kind === "late-heartbeat");
  assert.ok(late.length >= 2, `${late.length} late heartbeats`);
  for (const e of late) assert.ok(e.intervalMs! > 120 && e.intervalMs! <= 200, `interval ${e.intervalMs}`);
  assert.deepEqual(sim.deaths(), []);
  sim.expectWhole();
});

test("a failed expectation names the time, the seed and the last view changes", async () => {
  const sim = new MembershipSim({ seed: 4242, nodes: ["n1", "n2"], timing: fast });
  await sim.runFor(500);
  assert.throws(
    () => sim.expectStatus("n1", { n2: "dead" }),
    /at t=500 ms: n1 sees \{"n2":"active"\}[\s\S]*last view changes:\n\d+ n1: n2 active[\s\S]*seed=4242/,
  );
});

test("a storm of tasks that never lets the simulated clock move is reported as a livelock, not a hang (haresources seed 8269 hung the run)", async () => {
  const sim = new MembershipSim({ seed: 1, nodes: ["n1", "n2"], timing: fast });
  await sim.runFor(1000);
  let storms = 0;
  const storm = (): void => {
    storms++;
    sim.world.scheduler.after(0, storm);
  };
  sim.world.scheduler.after(0, storm);
  await assert.rejects(sim.runFor(1000), /livelock/);
  assert.ok(storms > 50_000 && storms < 60_000, `${storms} tasks ran`);
});
