// Goal: the membership guarantees hold on a simulated cluster running the real Membership code.
// Method: scripted stories on SimCluster (crash, loss, partitions, restarts, replay/forgery) with fixed seeds.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Timing } from "../../../src/config/model.js";
import { type MediumFaults, SimCluster } from "../../../src/sim/index.js";
import { CLEAN_MEDIUM } from "../../../src/sim/network.js";

const fast: Timing = { keepaliveMs: 50, deadtimeMs: 200, warntimeMs: 120, initdeadMs: 400, deadpingMs: 200 };
const lossy = (lossProbability: number): MediumFaults => ({
  ...CLEAN_MEDIUM,
  lossProbability,
  delayMsMin: 1,
  delayMsMax: 5,
});
const TEN_MINUTES = 10 * 60_000;

const deaths = (sim: SimCluster, afterMs = 0) =>
  sim.events((e) => e.event.kind === "node-status" && e.event.status === "dead" && e.event.atMs >= afterMs);

test("keepalive 50 / deadtime 200: a crashed peer is dead within deadtime plus one tick, never before deadtime", () => {
  for (let k = 0; k < 12; k++) {
    const sim = new SimCluster({
      seed: 100 + k,
      nodes: ["n1", "n2", "n3"],
      timing: fast,
      media: ["eth0", "eth1"],
    });
    sim.runFor(1000 + k * 7); // crash at every phase relative to keepalive and tick
    sim.expectWhole();
    const crashAt = sim.nowMs;
    sim.crash("n2");
    sim.runFor(400);
    for (const observer of ["n1", "n3"]) {
      const dead = deaths(sim).filter((e) => e.observer === observer && e.event.atMs > crashAt);
      assert.equal(dead.length, 1, `${observer} declares n2 dead once`);
      const lastHeard = sim
        .membership(observer)
        .view()
        .nodes.find((n) => n.name === "n2")!.lastHeardAtMs!;
      const sinceLast = dead[0]!.event.atMs - lastHeard;
      assert.ok(
        sinceLast > 200 && sinceLast <= 200 + sim.tickMs,
        `seed ${100 + k}: ${sinceLast} ms after last status`,
      );
      // The last status left n2 before the crash and took 1 ms: at most deadtime + tick + 1 after the crash.
      assert.ok(dead[0]!.event.atMs - crashAt <= 200 + sim.tickMs + 1);
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
 * - 50/200 on two media (q = 0.04): ~3.4e-5, ~0.8 per 2-node run: not safe;
 * - 50/600 on one medium (q = 0.2): ~1.2e-8, ~3e-4 per run;
 * - 50/350 on two media (q = 0.04): ~2.1e-9, ~5e-5 per run.
 * The "no false death at 20 % loss" is therefore tested with the last
 * two: a deadtime sized for the loss, or a redundant medium (ucast + serial).
 */
function tenLossyMinutes(seed: number, media: string[], deadtimeMs: number): SimCluster {
  const timing = { ...fast, deadtimeMs, warntimeMs: deadtimeMs - 50, initdeadMs: 2 * deadtimeMs };
  const sim = new SimCluster({ seed, nodes: ["n1", "n2"], timing, media, faults: lossy(0.2) });
  sim.runFor(TEN_MINUTES);
  return sim;
}

test("calibration: 20 % loss at 50/200 on one medium gives the false deaths the model predicts", () => {
  const sim = tenLossyMinutes(7, ["eth0"], 200);
  const statuses = TEN_MINUTES / fast.keepaliveMs; // per direction
  const perStatusLow = 0.2 ** 4; // every status up to and including the boundary lost
  const perStatusHigh = 0.2 ** 3; // the ones strictly inside the window lost
  const falseDeaths = deaths(sim).length;
  assert.ok(
    falseDeaths > 2 * statuses * perStatusLow,
    `${falseDeaths} deaths, at least ${2 * statuses * perStatusLow}`,
  );
  assert.ok(
    falseDeaths < 2 * statuses * perStatusHigh,
    `${falseDeaths} deaths, at most ${2 * statuses * perStatusHigh}`,
  );
});

for (const [media, deadtimeMs] of [
  [["eth0"], 600],
  [["eth0", "serial0"], 350],
] as const) {
  test(`20 % loss on ${media.length} medium(s), keepalive 50 / deadtime ${deadtimeMs}: no false death in 10 simulated minutes`, () => {
    const sim = tenLossyMinutes(42, [...media], deadtimeMs);
    assert.ok(
      Math.abs(sim.network.stats.lost / sim.network.stats.sent - 0.2) < 0.01,
      "the loss really was 20 %",
    );
    assert.deepEqual(
      deaths(sim).map((e) => `${e.event.atMs} ${e.observer}`),
      [],
    );
    sim.expectWhole();
    const c = sim.counters("n1");
    const lostEverywhere = (TEN_MINUTES / fast.keepaliveMs) * 0.2 ** media.length;
    assert.ok(c.gapPackets > lostEverywhere / 2 && c.retransmitRequests > 0, `gaps seen: ${c.gapPackets}`);
    assert.ok(c.gapPacketsFilled + c.packetsLost >= c.gapPackets - 5, "every gap was filled or given up");
    assert.equal(c.replaysDropped, 0);
  });
}

test("every partition heals back to full membership: symmetric, one-way, one medium, isolate one", () => {
  const sim = new SimCluster({
    seed: 5,
    nodes: ["n1", "n2", "n3", "n4"],
    timing: fast,
    media: ["eth0", "eth1"],
  });
  const settle = () => sim.runFor(fast.deadtimeMs + 4 * fast.keepaliveMs);
  sim.runFor(1000);
  sim.expectWhole();

  sim.partition(["n1", "n2"], ["n3", "n4"]);
  settle();
  sim.expectStatus("n1", { n2: "active", n3: "dead", n4: "dead" });
  sim.expectStatus("n4", { n1: "dead", n2: "dead", n3: "active" });
  sim.heal();
  settle();
  sim.expectWhole();

  sim.partition(["n1"], ["n2", "n3", "n4"], { oneWay: true });
  settle();
  sim.expectStatus("n2", { n1: "dead" });
  sim.expectStatus("n1", { n2: "active", n3: "active", n4: "active" });
  sim.heal();
  settle();
  sim.expectWhole();

  sim.partition(["n1"], ["n2"], { media: ["eth0"] });
  settle();
  sim.expectStatus("n1", { n2: "active" });
  assert.equal(sim.link("n1", "n2", "eth0"), "dead");
  assert.equal(sim.link("n1", "n2", "eth1"), "up");
  sim.heal();
  settle();
  sim.expectWhole();

  sim.partition(["n3"], ["n1", "n2", "n4"]);
  settle();
  sim.expectStatus("n3", { n1: "dead", n2: "dead", n4: "dead" });
  sim.heal();
  settle();
  sim.expectWhole();

  const returns = sim.events(
    (e) => e.event.kind === "node-status" && e.event.cause === "returned-after-partition",
  );
  assert.ok(returns.length >= 8, `${returns.length} returns after partition`);
  assert.equal(sim.counters("n1").replaysDropped, 0);
});

test("a restarted peer comes back with a higher generation, even when it restarts within deadtime", () => {
  const sim = new SimCluster({ seed: 9, nodes: ["n1", "n2"], timing: fast });
  sim.runFor(1000);
  const before = sim.generation("n2");
  sim.crash("n2");
  sim.runFor(60); // shorter than deadtime: n1 never sees it dead
  sim.restart("n2");
  sim.runFor(300);
  assert.ok(sim.generation("n2") > before);
  sim.expectWhole();
  const n1 = sim.events((e) => e.observer === "n1" && e.event.atMs > 1000).map((e) => e.event);
  assert.ok(n1.some((e) => e.kind === "peer-restarted" && e.previousGeneration === before));
  assert.ok(n1.some((e) => e.kind === "node-status" && e.cause === "restart"));
  assert.ok(!n1.some((e) => e.kind === "node-status" && e.status === "dead"));
});

test("a clean shutdown is seen at once, not after deadtime", () => {
  const sim = new SimCluster({ seed: 11, nodes: ["n1", "n2", "n3"], timing: fast });
  sim.runFor(1000);
  sim.shutdown("n3");
  sim.runFor(5);
  sim.expectStatus("n1", { n3: "dead" });
  sim.expectStatus("n2", { n3: "dead" });
  assert.ok(deaths(sim).every((e) => e.event.kind === "node-status" && e.event.cause === "shutdown"));
});

test("replayed and forged packets never change any node's view", () => {
  const story = (attack: boolean) => {
    const sim = new SimCluster({
      seed: 77,
      nodes: ["n1", "n2", "n3"],
      timing: fast,
      media: ["eth0", "eth1"],
      faults: lossy(0.1),
      ...(attack ? { attack: { replaysPerSecond: 40, forgedPerSecond: 40 } } : {}),
    });
    sim.runFor(2000);
    sim.crash("n3");
    sim.runFor(1500);
    sim.partition(["n1"], ["n2"], { oneWay: true });
    sim.runFor(1500);
    sim.heal();
    sim.restart("n3");
    sim.runFor(2000);
    sim.crash("n2");
    sim.runFor(3000);
    return sim;
  };
  // The view is compared at every tick: an input (even a dropped replay) lets membership notice a
  // timeout between two ticks, which moves that change earlier, never past the next tick.
  const atTicks = (sim: SimCluster) =>
    sim
      .viewChanges()
      .map((line) => {
        const [at, ...rest] = line.split(" ");
        return { at: Math.ceil(Number(at) / sim.tickMs) * sim.tickMs, text: rest.join(" ") };
      })
      .sort((a, b) => a.at - b.at || a.text.localeCompare(b.text))
      .map((c) => `${c.at} ${c.text}`);
  const clean = story(false);
  const attacked = story(true);
  assert.deepEqual(atTicks(attacked), atTicks(clean));
  // Counted from the events: a restarted node's counters start again at 0.
  const replays = (sim: SimCluster) => sim.events((e) => e.event.kind === "replay-dropped").length;
  assert.ok(attacked.attackStats.replaysDelivered > 300);
  assert.equal(replays(attacked) - replays(clean), attacked.attackStats.replaysDelivered);
  assert.ok(attacked.attackStats.forgedDelivered > 300);
  assert.equal(
    ["n1", "n2", "n3"].reduce((total, n) => total + attacked.authDropped(n), 0),
    attacked.attackStats.forgedDelivered,
  );
});

test("ping nodes: ping while they answer, dead after deadping, back when they answer again", () => {
  const sim = new SimCluster({ seed: 13, nodes: ["n1", "n2"], timing: fast, pingNodes: ["10.0.0.254"] });
  sim.runFor(500);
  sim.expectStatus("n1", { "10.0.0.254": "ping", n2: "active" });
  sim.crash("10.0.0.254");
  sim.runFor(fast.deadpingMs + fast.keepaliveMs + sim.tickMs);
  sim.expectStatus("n1", { "10.0.0.254": "dead", n2: "active" });
  assert.equal(sim.link("n1", "10.0.0.254", "10.0.0.254"), "dead");
  sim.restart("10.0.0.254");
  sim.runFor(fast.keepaliveMs + 10);
  sim.expectStatus("n2", { "10.0.0.254": "ping" });
});

test("a delay spike below deadtime gives late-heartbeat warnings, not a death", () => {
  const sim = new SimCluster({ seed: 17, nodes: ["n1", "n2"], timing: fast });
  sim.runFor(1000);
  sim.setFaults({ ...CLEAN_MEDIUM, delayMsMin: 140, delayMsMax: 140 });
  sim.runFor(500);
  sim.setFaults(CLEAN_MEDIUM);
  sim.runFor(500);
  const late = sim.events((e) => e.event.kind === "late-heartbeat").map((e) => e.event);
  assert.ok(late.length >= 2);
  for (const e of late) assert.ok(e.kind === "late-heartbeat" && e.intervalMs > 120 && e.intervalMs <= 200);
  assert.deepEqual(deaths(sim), []);
  sim.expectWhole();
});

test("a failed expectation names the time, the seed and the last view changes", () => {
  const sim = new SimCluster({ seed: 4242, nodes: ["n1", "n2"], timing: fast });
  sim.runFor(500);
  assert.throws(
    () => sim.expectStatus("n1", { n2: "dead" }),
    /at t=500 ms: n1 sees \{"n2":"active"\}[\s\S]*seed=4242/,
  );
});
