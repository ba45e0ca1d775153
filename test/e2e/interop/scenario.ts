/**
 * The interop story shared by the real/real control test and the real/hbd
 * test: two nodes (at least one real Heartbeat) come up and report each other
 * active; then each one's death (SIGKILL of all its processes plus its link
 * set down) is detected by the other within deadtime plus a margin; the
 * real node is stopped cleanly (`heartbeat -k`) at the end.
 */
import assert from "node:assert/strict";
import { type InteropLab, pollUntil, sleep } from "./lab.js";

/** Real Heartbeat checks deadlines every 250 ms (reference 3.10). */
export const HEARTBEAT_DEAD_POLL_MS = 250;
/** Slack for process spawn, status polling and a busy shared machine. */
export const MARGIN_MS = 500;
/** Extra time an `hbctl` poll may take (a Node.js start-up per call). */
export const HBCTL_SLACK_MS = 1000;
/**
 * A real node advertises dt = deadtime + 2000 ms during its first 5 s
 * (reference 3.10); it is only killed after this long, so the peer applies
 * the configured deadtime.
 */
export const HEARTBEAT_STARTUP_DT_MS = 5500;

/** One measured death detection. */
export interface Detection {
  observer: string;
  victim: string;
  ms: number;
}

async function startNode(lab: InteropLab, name: string, kind: "heartbeat" | "hbd"): Promise<number> {
  if (kind === "heartbeat") await lab.startHeartbeat(name);
  else lab.startHbd(name);
  return performance.now();
}

/** Waits until `a` and `b` report each other active; fails with both nodes' logs otherwise. */
export async function expectMutuallyActive(lab: InteropLab, a: string, b: string, timeoutMs: number) {
  for (const [observer, target] of [
    [a, b],
    [b, a],
  ] as const) {
    const r = await pollUntil(
      () => lab.nodeStatus(observer, target),
      (s) => s.out === "active" && s.code === 0,
      timeoutMs,
      50,
    );
    assert.ok(
      r.ok,
      `${observer} should report ${target} active, got ${JSON.stringify(r.value)}\n${lab.logTail(a)}\n${lab.logTail(b)}`,
    );
  }
}

/**
 * Kills `victim` (SIGKILL all its processes, then its eth0 down) and waits
 * until `observer` reports it dead (`cl_status` / `hbctl cl nodestatus`).
 * The detection time is the poll that first saw `dead` for a real observer
 * (cl_status answers in a few ms), and the `node-status dead` record of hbd's
 * pino log for an hbd observer (ms precision; an hbctl poll costs a Node.js
 * start-up, which is checked against a looser bound). Asserts the time is at
 * least deadtime - keepalive (no premature death) and at most deadtime plus
 * the observer's allowance.
 */
export async function expectDeathDetected(
  lab: InteropLab,
  observer: string,
  victim: string,
  allowanceMs: number,
): Promise<Detection> {
  const { keepaliveMs, deadtimeMs } = lab.timing;
  assert.ok(lab.pids(victim).length > 0, `${victim} is running before the kill`);
  const t0 = performance.now();
  const killedAt = lab.killNode(victim);
  lab.link(victim, false);
  const r = await pollUntil(
    () => lab.nodeStatus(observer, victim),
    (s) => s.out === "dead",
    deadtimeMs + allowanceMs + HBCTL_SLACK_MS + 2000,
    10,
  );
  const seenMs = Math.round(r.at - t0);
  const logs = `${lab.logTail(observer)}\n${lab.logTail(victim)}`;
  assert.ok(r.ok, `${observer} never reported ${victim} dead: ${JSON.stringify(r.value)}\n${logs}`);
  assert.equal(r.value.code, 1, "nodestatus exits 1 for a dead node");
  let ms = seenMs;
  if (lab.kind(observer) === "hbd") {
    const at = lab.hbdNodeStatusAt(observer, victim, "dead", killedAt);
    assert.ok(at !== undefined, `hbd on ${observer} logged no node-status dead for ${victim}\n${logs}`);
    ms = at - killedAt;
    assert.ok(
      seenMs <= deadtimeMs + allowanceMs + HBCTL_SLACK_MS,
      `hbctl on ${observer} reported ${victim} dead only after ${seenMs} ms`,
    );
  }
  assert.ok(
    ms >= deadtimeMs - keepaliveMs,
    `${observer} declared ${victim} dead after ${ms} ms, before deadtime ${deadtimeMs} - keepalive\n${logs}`,
  );
  assert.ok(
    ms <= deadtimeMs + allowanceMs,
    `${observer} took ${ms} ms to declare ${victim} dead (deadtime ${deadtimeMs} + ${allowanceMs} allowed)\n${logs}`,
  );
  assert.deepEqual(lab.pids(victim), [], `${victim} has no process left`);
  return { observer, victim, ms };
}

/** How long past deadtime an observer of this kind may take. */
export const allowance = (kind: "heartbeat" | "hbd") =>
  (kind === "heartbeat" ? HEARTBEAT_DEAD_POLL_MS : 0) + MARGIN_MS;

/**
 * The whole story for nodes `real` (always real Heartbeat) and `other`
 * (`otherKind`). Returns both detections.
 */
export async function interopStory(
  lab: InteropLab,
  real: string,
  other: string,
  otherKind: "heartbeat" | "hbd",
): Promise<Detection[]> {
  const up = lab.timing.initdeadMs + 10_000;
  const realStarted = await startNode(lab, real, "heartbeat");
  await startNode(lab, other, otherKind);
  await expectMutuallyActive(lab, real, other, up);

  // 1. the real node dies; `other` notices.
  await sleep(Math.max(0, realStarted + HEARTBEAT_STARTUP_DT_MS - performance.now()));
  const first = await expectDeathDetected(lab, other, real, allowance(otherKind));

  // The real node comes back (new generation) and both agree again.
  lab.link(real, true);
  await startNode(lab, real, "heartbeat");
  await expectMutuallyActive(lab, real, other, up);

  // 2. `other` dies; the real node notices.
  const second = await expectDeathDetected(lab, real, other, allowance("heartbeat"));

  // The real node stops cleanly.
  await lab.stopHeartbeat(real);
  assert.deepEqual(lab.pids(real), [], "heartbeat -k left no process");
  return [first, second];
}
