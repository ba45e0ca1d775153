// Goal: ipfail's timing rule end to end in virtual time (issue 12's target: the cable pull moves the service
// within deadping + 1 s): two nodes' ipfail shells (daemon/ipfail-shell.ts, the agent and the pure rule), each
// fed by the real pure ping rule (comm/ping.ts PingReachability) at the real ping interval and check period
// (pingIntervalMs, pingTickMs), exchanging num_ping_nodes with a latency. Properties:
// - the cable pull (one node's replies stop, the ping node answers the other): the node gives up, proven by
//   the peer's fresh count, within deadping + one check period + one hbd tick + two message latencies of the
//   cut, whatever the ping phases; the peer never gives up;
// - shared loss (the ping node dies): nothing moves, for ping phases that make the two nodes detect the death
//   up to one ping interval apart, with message latency, at both bench timings;
// - one lost reply moves nothing; a Heartbeat peer (no tfresh) gets the old 2 x keepalive delay.
// Method: a 5 ms step loop; each node pings every interval from its own phase; the reply arrives in the same
// step when the ping node is alive and the node's path is up; messages are delivered after `latencyMs`.
import assert from "node:assert/strict";
import { test } from "node:test";
import { PingReachability, pingIntervalMs, pingTickMs } from "../../../src/comm/ping.js";
import type { ClusterConfig } from "../../../src/config/model.js";
import { type IpfailShell, startIpfail } from "../../../src/daemon/ipfail-shell.js";

const STEP = 5;
const PING = "10.0.0.1";
const ipfailLine = {
  user: "hacluster",
  path: "/usr/lib/heartbeat/ipfail",
  args: [],
  at: { file: "ha.cf", line: 2 },
};

interface Timing {
  readonly keepaliveMs: number;
  readonly deadpingMs: number;
  /** hbd's tick period at this timing (node.ts tickPeriodMs). */
  readonly hbdTickMs: number;
}
const SLOW: Timing = { keepaliveMs: 1000, deadpingMs: 3000, hbdTickMs: 100 };
const FAST: Timing = { keepaliveMs: 200, deadpingMs: 2000, hbdTickMs: 50 };

interface Scenario {
  readonly timing: Timing;
  /** Ping phases of the two nodes (ms into the interval). */
  readonly phase: readonly [number, number];
  /** Whether the ping node answers node i's echo sent at t. */
  readonly answers: (i: number, t: number) => boolean;
  readonly latencyMs: number;
  readonly endMs: number;
  /** B runs Heartbeat's ipfail: its messages carry no tfresh and it answers nothing. */
  readonly heartbeatPeer?: boolean;
}

interface Outcome {
  /** When each node gave up (standby on), if it did. */
  readonly gaveUp: [number | undefined, number | undefined];
  readonly log: string[];
}

function run(s: Scenario): Outcome {
  const { keepaliveMs, deadpingMs, hbdTickMs } = s.timing;
  const interval = pingIntervalMs(keepaliveMs, deadpingMs);
  const check = pingTickMs(interval, deadpingMs);
  const config = {
    pacemaker: "off",
    respawn: [ipfailLine],
    pingNodes: [{ kind: "ping", name: PING, addresses: [PING], at: { file: "ha.cf", line: 1 } }],
    timing: { keepaliveMs, deadpingMs },
  } as unknown as ClusterConfig;
  const queue: { at: number; to: number; count: number; fresh: number | undefined }[] = [];
  const gaveUp: [number | undefined, number | undefined] = [undefined, undefined];
  const log: string[] = [];
  let now = 0;
  const shells: IpfailShell[] = [0, 1].map((i) => {
    const shell = startIpfail(config, {
      sendNumPing: (count, fresh) => {
        const f = i === 1 && s.heartbeatPeer ? undefined : fresh;
        queue.push({ at: now + s.latencyMs, to: 1 - i, count, fresh: f });
        return true;
      },
      standby: (on) => {
        log.push(`${now} n${i + 1} standby ${on}`);
        if (on) gaveUp[i] ??= now;
      },
      setAttribute: () => {},
      log: {
        info: (_f, m) => log.push(`${now} n${i + 1} ${m}`),
        warn: (_f, m) => log.push(`${now} n${i + 1} ${m}`),
      },
    });
    assert.ok(shell);
    return shell;
  });
  const reach = [0, 1].map(() => new PingReachability(PING, deadpingMs, 0));
  for (now = 0; now <= s.endMs; now += STEP) {
    for (const [i, shell] of shells.entries()) {
      if ((now - (s.phase[i] as number)) % interval === 0 && s.answers(i, now)) {
        (reach[i] as PingReachability).reply(PING, now);
        shell.onPing(PING, true, now);
      }
      if (now % check === 0 && (reach[i] as PingReachability).tick(now)?.type === "down")
        shell.onPing(PING, false, now);
    }
    for (const m of queue.filter((q) => q.at <= now)) {
      queue.splice(queue.indexOf(m), 1);
      const peer = shells[m.to] as IpfailShell;
      if (m.to === 1 && s.heartbeatPeer) {
        peer.agent.onPeerCount(`n${2 - m.to}`, String(m.count), undefined, now); // ipfail reads only num_ping
        continue;
      }
      peer.agent.onPeerCount(
        `n${2 - m.to}`,
        String(m.count),
        m.fresh === undefined ? undefined : String(m.fresh),
        now,
      );
    }
    if (now % hbdTickMs === 0) for (const shell of shells) shell.tick(now);
  }
  return { gaveUp, log };
}

/** Ping phases (multiples of STEP) so that one node sees its last reply up to one interval before the other. */
function phases(t: Timing): [number, number][] {
  const interval = pingIntervalMs(t.keepaliveMs, t.deadpingMs);
  const at = [0, 0.25, 0.5, 0.75]
    .map((f) => Math.floor((f * interval) / STEP) * STEP)
    .concat(interval - STEP);
  return at.flatMap((a) => at.map((b): [number, number] => [a, b]));
}

for (const timing of [SLOW, FAST]) {
  const at = `keepalive ${timing.keepaliveMs} ms / deadping ${timing.deadpingMs} ms`;
  const interval = pingIntervalMs(timing.keepaliveMs, timing.deadpingMs);
  const check = pingTickMs(interval, timing.deadpingMs);

  test(`cable pull at ${at}: n1 gives up on n2's fresh count within deadping + check + tick + 2 latencies`, () => {
    const latencyMs = 20;
    const bound = timing.deadpingMs + check + timing.hbdTickMs + 2 * latencyMs + 2 * STEP;
    let worst = 0;
    for (const phase of phases(timing))
      for (const cut of [20_000, 20_000 + Math.floor(interval / 3), 20_000 + interval - 7]) {
        const o = run({
          timing,
          phase,
          latencyMs,
          endMs: cut + timing.deadpingMs + 4000,
          answers: (i, t) => i === 1 || t < cut,
        });
        const gave = o.gaveUp[0];
        assert.ok(gave !== undefined, `n1 never gave up (phases ${phase}, cut ${cut})\n${o.log.join("\n")}`);
        assert.ok(
          gave - cut <= bound,
          `n1 gave up ${gave - cut} ms after the cut > ${bound} (phases ${phase})`,
        );
        assert.equal(o.gaveUp[1], undefined, "n2 never gives up");
        assert.ok(
          o.log.some((l) => /n1 .*not a shared loss/.test(l)),
          "proven by the fresh count",
        );
        worst = Math.max(worst, gave - cut);
      }
    process.stdout.write(
      `# ${at}: cable pull → give-up at most ${worst} ms after the cut (bound ${bound})\n`,
    );
  });

  test(`shared loss at ${at}: the two nodes detect it up to one ping interval apart, nothing moves`, () => {
    for (const latencyMs of [1, 20, Math.floor(timing.deadpingMs / 10)])
      for (const phase of phases(timing))
        for (const death of [20_000, 20_000 + Math.floor(interval / 2) + 3]) {
          const o = run({
            timing,
            phase,
            latencyMs,
            endMs: death + timing.deadpingMs + 15_000,
            answers: (_i, t) => t < death,
          });
          assert.deepEqual(
            o.gaveUp,
            [undefined, undefined],
            `shared loss moved (phases ${phase}, latency ${latencyMs})\n${o.log.join("\n")}`,
          );
        }
  });

  test(`one lost reply (and a burst of 4) at ${at} moves nothing`, () => {
    for (const lost of [1, 4]) {
      const o = run({
        timing,
        phase: [0, Math.floor(interval / 2 / STEP) * STEP],
        latencyMs: 5,
        endMs: 40_000,
        answers: (i, t) => !(i === 0 && t >= 20_000 && t < 20_000 + lost * interval),
      });
      assert.deepEqual(o.gaveUp, [undefined, undefined], `${lost} lost: ${o.log.join("\n")}`);
    }
  });
}

test("a Heartbeat peer (no tfresh): the cable pull gives up only after ipfail's 2 x keepalive", () => {
  const timing = SLOW;
  const cut = 20_000;
  const o = run({
    timing,
    phase: [0, 100],
    latencyMs: 5,
    endMs: 30_000,
    answers: (i, t) => i === 1 || t < cut,
    heartbeatPeer: true,
  });
  const gave = o.gaveUp[0];
  assert.ok(gave !== undefined, o.log.join("\n"));
  const interval = pingIntervalMs(timing.keepaliveMs, timing.deadpingMs);
  const earliest = timing.deadpingMs - interval + 2 * timing.keepaliveMs;
  assert.ok(gave - cut >= earliest, `gave up ${gave - cut} ms after the cut < ${earliest}`);
  assert.ok(!o.log.some((l) => /not a shared loss/.test(l)), "not the fast path");
});
