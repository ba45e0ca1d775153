// Goal: per-peer sequence tracking follows reference §3.8/3.9 (gaps, restarts, replays, retransmit timing).
// Method: table-driven packet sequences into a SequenceTracker, checking each verdict and the schedule.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Prng } from "../../../src/base/prng.js";
import { SEQ_GAP_RESET, SequenceTracker, type SeqVerdict } from "../../../src/membership/sequence.js";

const tracker = (maxRexmitDelayMs = 250, attemptsMax = 3) =>
  new SequenceTracker(100, { maxRexmitDelayMs, attemptsMax, prng: new Prng(7) });

/** [generation, seq, atMs, expected verdict kind (+ detail)] */
type Step = [number, number, number, string];

function describe(v: SeqVerdict): string {
  switch (v.kind) {
    case "fresh":
      if (v.restartedFrom !== undefined)
        return `fresh restart ${v.restartedFrom}${v.gap ? ` gap ${v.gap.firstSeq}-${v.gap.lastSeq}` : ""}`;
      if (v.gap) return `fresh gap ${v.gap.firstSeq}-${v.gap.lastSeq}`;
      if (v.reset) return `fresh reset ${v.reset.skipped}`;
      return "fresh";
    case "gap-filled":
      return v.allFilled ? "filled all" : "filled";
    case "duplicate":
      return "duplicate";
    case "replay":
      return `replay ${v.reason}`;
  }
}

const cases: { name: string; steps: Step[] }[] = [
  {
    name: "in order, then the same packet via a second medium",
    steps: [
      [5, 1, 0, "fresh"],
      [5, 2, 50, "fresh"],
      [5, 2, 52, "duplicate"],
      [5, 1, 60, "duplicate"],
    ],
  },
  {
    name: "a copy older than the duplicate window is a replay",
    steps: [
      [5, 1, 0, "fresh"],
      [5, 2, 50, "fresh"],
      [5, 1, 101, "replay old-sequence"],
      [5, 2, 151, "replay old-sequence"],
    ],
  },
  {
    name: "a lower generation is a replay, a higher one a restart",
    steps: [
      [5, 10, 0, "fresh"],
      [4, 11, 10, "replay old-generation"],
      [6, 1, 20, "fresh restart 5"],
      [6, 2, 30, "fresh"],
      [5, 10, 40, "replay old-generation"],
      // Generation 5 going on after 6 was adopted is held: one frame does not refute a restart.
      [5, 12, 50, "replay unconfirmed-return"],
      [6, 3, 60, "fresh"],
    ],
  },
  {
    name: "a forged seq + 100,000 is held; the genuine stream goes on",
    steps: [
      [5, 10, 0, "fresh"],
      [5, 100_010, 10, "replay unconfirmed-jump"],
      [5, 11, 20, "fresh"],
      [5, 100_011, 30, "replay unconfirmed-jump"],
      [5, 12, 40, "fresh"],
    ],
  },
  {
    name: "numbers that are not non-negative safe integers are dropped",
    steps: [
      [5, 1, 0, "fresh"],
      [5, -1, 1, "replay invalid-number"],
      [5, 2.5, 2, "replay invalid-number"],
      [Number.NaN, 2, 3, "replay invalid-number"],
      [5, 2, 4, "fresh"],
    ],
  },
  {
    name: "a gap is recorded and filled out of order",
    steps: [
      [1, 1, 0, "fresh"],
      [1, 5, 10, "fresh gap 2-4"],
      [1, 3, 20, "filled"],
      [1, 3, 21, "duplicate"],
      [1, 2, 22, "filled"],
      [1, 4, 23, "filled all"],
      [1, 6, 24, "fresh"],
    ],
  },
  {
    name: "a gap larger than the reset limit restarts tracking",
    steps: [
      [1, 1, 0, "fresh"],
      [1, 2 + SEQ_GAP_RESET + 1, 10, "replay unconfirmed-jump"],
      [1, 2 + SEQ_GAP_RESET + 2, 11, "replay unconfirmed-jump"],
      [1, 2 + SEQ_GAP_RESET + 3, 12, `fresh reset ${SEQ_GAP_RESET + 3}`],
      [1, 100, 20, "replay old-sequence"],
    ],
  },
];

for (const c of cases) {
  test(`sequence: ${c.name}`, () => {
    const t = tracker();
    const got = c.steps.map(([g, s, at]) => describe(t.classify(g, s, at, false)));
    assert.deepEqual(
      got,
      c.steps.map((s) => s[3]),
    );
  });
}

test("sequence: a jump after the peer was declared dead is no gap, and old packets stay replays", () => {
  const t = tracker();
  t.classify(1, 1, 0, false);
  t.classify(1, 2, 50, false);
  assert.equal(describe(t.classify(1, 40, 5000, true)), "fresh");
  assert.equal(t.missingCount, 0);
  assert.equal(describe(t.classify(1, 2, 5001, false)), "replay old-sequence");
});

test("sequence: retransmit requests come after 50..max ms, repeat every max ms, then give up", () => {
  const t = tracker(250, 3);
  t.classify(1, 1, 0, false);
  t.classify(1, 4, 1000, false); // 2 and 3 missing
  const firstDue = t.nextDueMs()!;
  assert.ok(firstDue >= 1050 && firstDue <= 1250, `first request at ${firstDue}`);
  assert.deepEqual(t.due(1049), []);
  const log: string[] = [];
  for (let now = 1000; now <= 3000; now += 10)
    for (const a of t.due(now)) log.push(`${now} ${a.kind} ${a.seq}`);
  const requests2 = log.filter((l) => l.endsWith("request 2")).map((l) => Number(l.split(" ")[0]));
  assert.equal(requests2.length, 3);
  assert.ok(requests2[1]! - requests2[0]! >= 250 && requests2[1]! - requests2[0]! < 260);
  assert.ok(log.some((l) => l.endsWith("give-up 2")));
  assert.ok(log.some((l) => l.endsWith("give-up 3")));
  assert.equal(t.missingCount, 0);
});

test("sequence: with max_rexmit_delay below 100 ms the first delay may start at 0", () => {
  const delays: number[] = [];
  for (let seed = 0; seed < 200; seed++) {
    const t = new SequenceTracker(100, { maxRexmitDelayMs: 60, attemptsMax: 1, prng: new Prng(seed) });
    t.classify(1, 1, 0, false);
    t.classify(1, 3, 0, false);
    delays.push(t.nextDueMs()!);
  }
  assert.ok(Math.min(...delays) < 50, `min ${Math.min(...delays)}`);
  assert.ok(Math.max(...delays) <= 60);
});

test("sequence: abandon and forgetGaps stop the requests", () => {
  const t = tracker();
  t.classify(1, 1, 0, false);
  t.classify(1, 4, 0, false);
  assert.equal(t.abandon(2), true);
  assert.equal(t.abandon(2), false);
  assert.equal(t.missingCount, 1);
  t.forgetGaps();
  assert.equal(t.nextDueMs(), undefined);
  assert.equal(describe(t.classify(1, 3, 10, false)), "replay old-sequence");
});

test("sequence: seeded high-water marks make a recording of the previous run a replay (issue 13 item 4)", () => {
  const t = tracker();
  t.seed(7, 500);
  const got = [
    t.classify(7, 480, 0, false),
    t.classify(7, 500, 10, false),
    t.classify(6, 900, 20, false),
    t.classify(7, 501, 30, false),
  ].map(describe);
  assert.deepEqual(got, ["replay old-sequence", "replay old-sequence", "replay old-generation", "fresh"]);
  // a seed after the first frame is ignored
  t.seed(1, 1);
  assert.equal(t.generation, 7);
  assert.equal(t.lastSeq, 501);
});

test("sequence: a live peer's new generation is held until 3 rising frames, then its held frames are asked for again", () => {
  const t = tracker();
  assert.equal(describe(t.classify(5, 10, 0, false, true)), "fresh");
  // One forged frame far in the future changes nothing: the genuine stream goes on.
  assert.equal(describe(t.classify(1_000_000_005, 1, 10, false, true)), "replay unconfirmed-generation");
  assert.equal(describe(t.classify(5, 11, 20, false, true)), "fresh");
  assert.equal(t.generation, 5);
  // A real restart: three frames of generation 6 with rising numbers; 1 and 2 are missing now.
  assert.equal(describe(t.classify(6, 1, 30, false, true)), "replay unconfirmed-generation");
  assert.equal(describe(t.classify(6, 2, 31, false, true)), "replay unconfirmed-generation");
  assert.equal(describe(t.classify(6, 3, 32, false, true)), "fresh restart 5 gap 1-2");
  assert.equal(t.missingCount, 2);
  // Not live (dead, or not heard yet): adopted at once.
  assert.equal(describe(t.classify(7, 1, 40, true, false)), "fresh restart 6");
});

test("sequence: a forged generation adopted anyway is refuted when the replaced stream goes on (3 frames)", () => {
  const t = tracker();
  t.classify(5, 10, 0, false, true);
  // Three forged rising frames (a key holder) are adopted...
  for (const s of [1, 2]) t.classify(1_000_000_005, s, 10 + s, false, true);
  assert.match(describe(t.classify(1_000_000_005, 3, 13, false, true)), /^fresh restart 5/);
  // ... the genuine generation 5 goes on: held twice (its statuses keep it alive), then tracking returns to it.
  assert.equal(describe(t.classify(5, 11, 20, false, true)), "replay unconfirmed-return");
  assert.equal(describe(t.classify(5, 12, 30, false, true)), "replay unconfirmed-return");
  assert.equal(describe(t.classify(5, 13, 40, false, true)), "fresh gap 11-12");
  assert.equal(t.generation, 5);
  // Old frames of generation 5 stay replays; the forged generation is now a new one, held again.
  assert.equal(describe(t.classify(5, 9, 50, false, true)), "replay old-sequence");
  assert.equal(describe(t.classify(1_000_000_005, 4, 60, false, true)), "replay unconfirmed-generation");
  assert.equal(describe(t.classify(5, 14, 70, false, true)), "fresh");
});
