// Goal: the pure health state machine follows ldirectord (failurecount, one success restores) plus
// keepalived's retry / delay_before_retry and quorum with hysteresis.
// Method: feed scripted check results and assert states and transitions step by step.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseLdirectordCf } from "../../../src/lvs/config/ldirectord.js";
import { applyCheckResult, initialHealth, setMaintenance } from "../../../src/lvs/health.js";
import type { DirectorConfig, HealthState, HealthTransition } from "../../../src/lvs/model.js";

const SVC = "tcp:10.0.0.1:80";
const [R1, R2, R3] = ["10.0.0.11:80", "10.0.0.12:80", "10.0.0.13:80"] as const;

function config(extra = "", global = ""): DirectorConfig {
  const r = parseLdirectordCf(
    `${global}virtual=10.0.0.1:80\n\treal=10.0.0.11:80 masq 3\n\treal=10.0.0.12:80 masq 1\n\treal=10.0.0.13:80 masq 1\n${extra}`,
    "t.cf",
  );
  assert.deepEqual(
    r.diagnostics.filter((d) => d.severity === "error"),
    [],
  );
  return r.value;
}

/** Runs results [real, ok] in order; returns the final state, all transitions and retry hints. */
function run(c: DirectorConfig, s: HealthState, steps: [string, boolean][]) {
  const transitions: HealthTransition[] = [];
  const retries: (number | undefined)[] = [];
  let t = 0;
  for (const [real, ok] of steps) {
    t += 1000;
    const step = applyCheckResult(s, c, SVC, real, { ok, at: t, message: ok ? "ok" : "refused" });
    s = step.state;
    transitions.push(...step.transitions);
    retries.push(step.retryInMs);
  }
  return { s, transitions, retries };
}
const up = (s: HealthState, real: string) => s.virtuals.get(SVC)?.reals.get(real)?.up;
const brief = (ts: readonly HealthTransition[]) =>
  ts.map((t) =>
    t.kind === "quorum"
      ? `quorum ${t.up ? "up" : "down"}`
      : t.kind === "real"
        ? `${t.real} ${t.up ? "up" : "down"}`
        : `${t.real} soft ${t.failures}/${t.of}`,
  );

test("initial state: unchecked reals are down, trusted reals up; checktype on/off", () => {
  const c = config();
  const s = initialHealth(c);
  assert.deepEqual([up(s, R1), up(s, R2), up(s, R3)], [false, false, false]);
  assert.equal(s.virtuals.get(SVC)?.quorumUp, false);
  assert.equal(s.virtuals.get(SVC)?.reals.get(R1)?.since, undefined);
  const t = initialHealth(c, { trusted: (svc, real) => svc === SVC && real === R2 });
  assert.deepEqual([up(t, R1), up(t, R2)], [false, true]);
  assert.equal(t.virtuals.get(SVC)?.quorumUp, true);
  const on = config("\tchecktype=on\n");
  const so = initialHealth(on);
  assert.equal(up(so, R1), true);
  assert.equal(run(on, so, [[R1, false]]).s, so, "results are ignored for checktype on");
  assert.equal(up(initialHealth(config("\tchecktype=off\n"), { trusted: () => true }), R1), false);
});

test("failurecount: soft failures, then down; one success brings the real back", () => {
  const c = config("\tfailurecount=3\n");
  const { s, transitions } = run(c, initialHealth(c, { trusted: () => true }), [
    [R1, false],
    [R1, false],
    [R1, true],
    [R1, false],
    [R1, false],
    [R1, false],
    [R1, false],
    [R1, true],
  ]);
  assert.deepEqual(brief(transitions), [
    `${R1} soft 1/3`,
    `${R1} soft 2/3`,
    `${R1} soft 1/3`,
    `${R1} soft 2/3`,
    `${R1} down`,
    `${R1} up`,
  ]);
  const h = s.virtuals.get(SVC)?.reals.get(R1);
  assert.deepEqual(
    [h?.up, h?.consecutiveFailures, h?.consecutiveSuccesses, h?.since, h?.lastResult?.message],
    [true, 0, 1, 8000, "ok"],
  );
});

test("retry / delay_before_retry: a failed check is retried before it counts", () => {
  const c = config("\tretry=2\n\tdelay_before_retry=0.5\n");
  const { s, transitions, retries } = run(c, initialHealth(c, { trusted: () => true }), [
    [R1, false],
    [R1, false],
    [R1, true],
    [R1, false],
    [R1, false],
    [R1, false],
  ]);
  assert.deepEqual(retries, [500, 500, undefined, 500, 500, undefined]);
  assert.deepEqual(brief(transitions), [`${R1} down`]);
  assert.equal(up(s, R1), false);
});

test("ldirectord quorum rule (no quorum set): the fallback serves exactly while no real is up", () => {
  const c = config();
  const { transitions } = run(c, initialHealth(c), [
    [R1, true],
    [R2, true],
    [R1, false],
    [R2, false],
    [R3, true],
  ]);
  assert.deepEqual(brief(transitions), [
    `${R1} up`,
    "quorum up",
    `${R2} up`,
    `${R1} down`,
    `${R2} down`,
    "quorum down",
    `${R3} up`,
    "quorum up",
  ]);
});

test("quorum with hysteresis: lost below quorum-hysteresis, regained at quorum+hysteresis", () => {
  // weights 3/1/1, quorum 4, hysteresis 1: lost below 3, regained at 5
  const c = config("\tquorum=4\n\thysteresis=1\n");
  const s0 = initialHealth(c, { trusted: () => true });
  assert.equal(s0.virtuals.get(SVC)?.quorumUp, true);
  const r = run(c, s0, [
    [R3, false], // 4
    [R2, false], // 3
    [R3, true], // 4
    [R2, true], // 5
    [R1, false], // 2 -> lost
    [R1, true], // 5 -> regained
    [R2, false], // 4
    [R3, false], // 3
    [R1, false], // 0
    [R1, true], // 3
    [R2, true], // 4
    [R3, true], // 5 -> regained
  ]);
  assert.deepEqual(
    brief(r.transitions).filter((t) => t.startsWith("quorum")),
    ["quorum down", "quorum up", "quorum down", "quorum up"],
  );
  assert.deepEqual(
    r.transitions.filter((t) => t.kind === "quorum").map((t) => t.at),
    [5000, 6000, 9000, 12000],
  );
});

test("a quorum above the total weight is clamped to it", () => {
  const c = config("\tquorum=50\n");
  const r = run(c, initialHealth(c), [
    [R1, true],
    [R2, true],
    [R3, true],
  ]);
  assert.deepEqual(brief(r.transitions).at(-1), "quorum up");
  assert.equal(brief(r.transitions).filter((t) => t.startsWith("quorum")).length, 1);
});

test("maintenance forces a real down; it returns only after maintenance ends and a check passes", () => {
  const c = config();
  let s = initialHealth(c, { trusted: () => true });
  const m = setMaintenance(s, c, SVC, R1, true, 100);
  assert.deepEqual(brief(m.transitions), [`${R1} down`]);
  s = m.state;
  assert.equal(up(s, R1), false);
  s = run(c, s, [[R1, true]]).s;
  assert.equal(up(s, R1), false);
  s = setMaintenance(s, c, SVC, R1, false, 200).state;
  assert.equal(up(s, R1), false);
  const back = run(c, s, [[R1, true]]);
  assert.deepEqual(brief(back.transitions), [`${R1} up`]);
  assert.equal(setMaintenance(s, c, SVC, "10.9.9.9:80", true, 1).state, s, "unknown reals are ignored");
});

test("reload keeps the state of unchanged reals; new reals start down; removed ones are dropped", () => {
  const c1 = config();
  const s1 = run(c1, initialHealth(c1), [
    [R1, true],
    [R2, true],
  ]).s;
  const c2 = parseLdirectordCf(
    "virtual=10.0.0.1:80\n\treal=10.0.0.11:80 masq 3\n\treal=10.0.0.14:80 masq 1\n\treal=10.0.0.12:80 masq 1\n",
    "t.cf",
  ).value;
  const s2 = initialHealth(c2, { previous: s1 });
  assert.deepEqual([...(s2.virtuals.get(SVC)?.reals.keys() ?? [])], [R1, "10.0.0.14:80", R2]);
  assert.equal(s2.virtuals.get(SVC)?.reals.get(R1), s1.virtuals.get(SVC)?.reals.get(R1));
  assert.equal(up(s2, "10.0.0.14:80"), false);
  assert.equal(s2.virtuals.get(SVC)?.quorumUp, true);
});
