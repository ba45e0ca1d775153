/**
 * The cable-pull half of `npm run bench:failover` (issue 12): Heartbeat's
 * director acceptance test on the topology of test/e2e/cluster/ipfail.test.ts
 * (test/e2e/cluster/ipfail-lab.ts): two directors heartbeating over ucast on
 * eth0 and over a serial cable that stays up, a ping node, `respawn hacluster
 * /usr/lib/heartbeat/ipfail`, haresources `n1 IPaddr2::VIP/24/eth0 web`
 * (auto_failback on), at two timings: keepalive 1 s / deadtime 3 s / deadping
 * 3 s (Heartbeat's default deadping = deadtime), the timing at which the issue
 * measured Heartbeat 3.0.6 + ipfail: 9.4 s median over 3 trials; and the e2e's
 * 200 ms / 2 s / 2 s. Heartbeat's ipfail gives up 2 x keepalive after the
 * counts differ (heartbeat.md 6.3); Tandem gives up as soon as the peer's fresh
 * count proves the loss is not shared (docs/ARCHITECTURE.md "ipfail timing"),
 * so expect deadping + about 0.1-0.3 s of messages, tick and transition.
 *
 * A trial: after a uniform random wait of up to one keepalive, n1's eth0 goes
 * down (the serial link keeps both nodes alive, so only ipfail's rule can move
 * the service). Recovery = end of the first probe n2 answered, minus the cut;
 * failed = probes that failed in between. Then the cable is put back: after
 * ipfail's 10 s of equal counts, auto_failback brings the VIP home, and the
 * next trial waits until n1 answers again for 2 s.
 */
import { ipfailSetUp } from "../test/e2e/cluster/ipfail-lab.js";

const PROBE_EVERY_MS = 5;
const PROBE_TIMEOUT_MS = 250;

/** One ha.cf timing of the cable-pull trials. */
export interface CableTiming {
  readonly keepalive: string;
  readonly deadtime: string;
  readonly warntime: string;
  readonly initdead: string;
  readonly deadping: string;
  readonly keepaliveMs: number;
  readonly deadpingMs: number;
}

export const CABLE_TIMINGS: readonly CableTiming[] = [
  {
    keepalive: "1",
    deadtime: "3",
    warntime: "2",
    initdead: "6",
    deadping: "3",
    keepaliveMs: 1000,
    deadpingMs: 3000,
  },
  {
    keepalive: "200ms",
    deadtime: "2",
    warntime: "1",
    initdead: "3",
    deadping: "2",
    keepaliveMs: 200,
    deadpingMs: 2000,
  },
];

export interface CableTrial {
  /** Cut → first probe answered by n2 (ms). */
  readonly ms: number;
  /** Cut → the VIP configured on n2 (ms, polled every 50 ms). */
  readonly vipMs: number;
  readonly failedProbes: number;
  readonly waitMs: number;
}

export interface CableBenchResult {
  readonly timing: CableTiming;
  readonly trials: readonly CableTrial[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `trials` cable pulls (each followed by the heal and failback) on one cluster. */
export async function cableTrials(
  timing: CableTiming,
  trials: number,
  say: (s: string) => void,
  /** crm on: the VIP's location rule reads the pingd attribute (ipfail-lab.ts CIB). */
  crm = false,
): Promise<CableBenchResult> {
  const t = await ipfailSetUp({
    crm,
    tag: "tdfc",
    ...timing,
    probeEveryMs: PROBE_EVERY_MS,
    probeTimeoutMs: PROBE_TIMEOUT_MS,
    maxRunMs: (trials * 60 + 120) * 1000,
  });
  const { lab, client, on, holder, tails } = t;
  const runs: CableTrial[] = [];
  try {
    // past the start-up rule (deadtime + 2 s for a node's first 5 s) before the first cut
    await sleep(Math.max(0, t.startedAt + 8000 - Date.now()));
    for (let i = 0; i < trials; i++) {
      if (!(await lab.waitFor(() => client.firstAnswer("n1", Date.now() - 2000) !== undefined, 60_000, 100)))
        throw new Error(`n1 does not answer before trial ${i + 1}\n${tails()}`);
      await sleep(2000);
      if (holder() !== "n1") throw new Error(`the VIP is not on n1 alone before trial ${i + 1}\n${tails()}`);
      const waitMs = Math.round(Math.random() * timing.keepaliveMs);
      await sleep(waitMs);
      const cut = Date.now();
      lab.exec("a", "ip", "link", "set", "eth0", "down");
      if (!(await lab.waitFor(() => on("n2"), 30_000, 50)))
        throw new Error(`the cable pull did not move the VIP\n${tails()}`);
      const vipMs = Date.now() - cut;
      if (!(await lab.waitFor(() => client.firstAnswer("n2", cut) !== undefined, 10_000, 5)))
        throw new Error(`n2 never answered the client\n${tails()}`);
      const first = client.firstAnswer("n2", cut);
      if (first === undefined) throw new Error("no answer");
      await sleep(PROBE_TIMEOUT_MS + 100);
      runs.push({ ms: first.end - cut, vipMs, failedProbes: client.failed(cut, first.end), waitMs });
      say(
        `  cable #${i + 1}: answered by n2 after ${runs.at(-1)?.ms} ms (VIP on n2 after ${vipMs} ms), ${runs.at(-1)?.failedProbes} failed probes (random wait ${waitMs} ms)`,
      );
      lab.exec("a", "ip", "link", "set", "eth0", "up");
      if (!(await lab.waitFor(() => holder() === "n1", 60_000, 100)))
        throw new Error(`the VIP did not come back to n1 after the cable was restored\n${tails()}`);
    }
  } finally {
    t.stop();
  }
  return { timing, trials: runs };
}
