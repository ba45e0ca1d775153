/**
 * The director-group half of `npm run bench:failover` (issue 15): the same
 * power-loss and planned-standby trials as the VIP-only group, on the full
 * director topology of the cluster e2e (test/e2e/cluster/lab.ts): the
 * haresources line `n1 IPaddr2::VIP/24/eth0 lvs::... ldirectord::ldirectord.cf`
 * converted to [VIP, lvs] + the warm ldirectord clone, two real HTTP servers
 * behind the directors in DR, `crm on`, keepalive 20 ms / deadtime 100 ms, and
 * a client opening a new HTTP connection to the VIP every 5 ms (timeout
 * 250 ms), as the VIP-only trials do.
 *
 * - power loss: n1's hbd and director SIGKILLed and its link down after a
 *   random wait of up to one keepalive; recovery = end of the first probe
 *   started after n1's link went down that a real answered, minus the kill
 *   time (n1's kernel table outlives its director: a probe started between
 *   the kill and the link-down can still be answered through n1); failed =
 *   probes that failed between the kill and that answer. n1 is then rebooted
 *   (VIP removed, link up, hbd restarted) and the group fails back.
 * - standby: `hbctl standby n1`; outage = longest time between two
 *   consecutive successful probes from 200 ms before the command until the
 *   first answer to a probe started once the VIP was seen on n2 (the VIP-only
 *   trial's end: n2's first answer); failed = failed probes from the command
 *   until the probes in flight 550 ms later are done. Then `hbctl online n1` (failback).
 */
import { ClusterLab, sleep, VIP } from "../test/e2e/cluster/lab.js";

const PROBE_EVERY_MS = 5;
const PROBE_TIMEOUT_MS = 250;
/** Heartbeat's start-up rule: a restarted node must have run this long before it is killed again. */
const DT_RULE_MS = 5500;

export interface DirectorTrial {
  readonly ms: number;
  readonly failedProbes: number;
}

export interface StandbyDirectorTrial extends DirectorTrial {
  readonly commandMs: number;
  /** How much of the gap the probe client itself stalled (started no probe though its timer was due). */
  readonly clientStallMs: number;
}

export interface DirectorBenchResult {
  readonly powerLoss: readonly DirectorTrial[];
  readonly standby: readonly StandbyDirectorTrial[];
}

/**
 * When the DC logged the VIP's start on `node` as done (rc 0) after `after` (epoch ms), from the
 * in-memory hbd logs: no `ip` process per poll (polling `ip addr` every 5 ms ran two processes per
 * poll, which on 2 cores competed with the directors and hbd during the very move it measured).
 */
function vipStartedAt(lab: ClusterLab, node: string, after: number): number | undefined {
  for (const n of ["n1", "n2"])
    for (const l of lab.log(n).slice(-300_000).split("\n")) {
      if (!l.includes('"event":"op-result"') || !l.includes('"op":"start"') || !l.includes('"rc":0,'))
        continue;
      if (!l.includes(`"node":"${node}"`) || !/"rsc":"IPaddr2?_/.test(l)) continue;
      const t = Date.parse((/"time":"([^"]+)"/.exec(l) ?? [])[1] ?? "");
      if (t >= after) return t;
    }
  return undefined;
}

/** The resource manager's decisions and results in both logs (for a failure message). */
const decisions = (lab: ClusterLab): string =>
  ["n1", "n2"]
    .flatMap((n) => lab.log(n).split("\n"))
    .filter((l) => /"event":"(transition|op-result|node-status|dc|monitor-failed)"/.test(l))
    .filter((l) => !/"intervalMs":[1-9]/.test(l))
    .slice(-40)
    .join("\n");

async function settleN1(lab: ClusterLab, startedAt: number): Promise<void> {
  try {
    await lab.settle("n1", 60_000);
  } catch (e) {
    throw new Error(`${(e as Error).message.slice(0, 2000)}\n--- decisions\n${decisions(lab)}`);
  }
  const wait = startedAt + DT_RULE_MS - Date.now();
  if (wait > 0) await sleep(wait);
  await sleep(300);
}

async function powerLossTrial(lab: ClusterLab, keepaliveMs: number): Promise<DirectorTrial> {
  // n1 advertises deadtime + 2 s for its first 5 s: kill it only once n2 applies the plain 100 ms
  if (!(await lab.plainDeadtime(lab.node("n2").sock, "n1", 100)))
    throw new Error(`n2 never applied n1's plain deadtime\n${lab.tails()}`);
  lab.linkSwitch("a"); // started now, so the power cut below is one write to a running ip
  await sleep(Math.round(Math.random() * keepaliveMs));
  // n1's kernel table outlives its SIGKILLed director: only probes started once its link is down count
  const { lostAt, downAt } = await lab.powerCut("n1");
  const answered = () =>
    lab.client.probes.find((p) => p.start > downAt && p.answer !== "-" && p.answer !== "?");
  if (!(await lab.waitFor(() => answered() !== undefined, 15_000, 5)))
    throw new Error(`the VIP was not answered after the power loss\n${lab.tails()}`);
  const first = answered();
  if (first === undefined) throw new Error("no answer");
  await sleep(PROBE_TIMEOUT_MS + 100);
  const failedProbes = lab.client.probes.filter(
    (p) => p.answer === "-" && p.end > lostAt && p.start < first.end,
  ).length;
  // reboot n1: VIP gone, link up, hbd restarted; auto_failback on brings the group home
  await lab.exited("n1", 5000);
  try {
    lab.exec("a", "ip", "addr", "del", `${VIP}/24`, "dev", "eth0");
  } catch {
    // not there
  }
  lab.exec("a", "ip", "link", "set", "eth0", "up");
  const dump = process.env.TANDEM_BENCH_LOGS;
  if (dump !== undefined)
    (await import("node:fs")).appendFileSync(
      dump,
      `=== trial lostAt=${lostAt} downAt=${downAt} first=${JSON.stringify(first)}\n${lab
        .log("n2")
        .split("\n")
        .filter((l) => Date.parse((/"time":"([^"]+)"/.exec(l) ?? [])[1] ?? "") >= lostAt - 50)
        .join("\n")}\n`,
    );
  return { ms: first.end - lostAt, failedProbes };
}

async function standbyTrial(lab: ClusterLab): Promise<StandbyDirectorTrial> {
  const at = Date.now();
  const r = lab.ctl("n1", "standby", "n1");
  const commandMs = Date.now() - at;
  if (r.code !== 0) throw new Error(`hbctl standby failed: ${r.err}`);
  if (!(await lab.waitFor(() => vipStartedAt(lab, "n2", at) !== undefined, 15_000, 20)))
    throw new Error(`standby did not start the VIP on n2\n${lab.tails()}`);
  const movedAt = vipStartedAt(lab, "n2", at) ?? Date.now();
  if (!lab.vipOn("n2") || lab.vipOn("n1")) throw new Error(`the VIP is not on n2 alone\n${lab.tails()}`);
  await sleep(PROBE_TIMEOUT_MS + 300);
  const end = Date.now();
  // the gap is measured up to the first answer to a probe started once the VIP was on n2, as the VIP-only
  // trial measures it up to n2's first answer (a window reaching 550 ms further caught unrelated stalls of the
  // loaded machine); failed probes are counted over the whole window
  const first = lab.client.probes.find((p) => p.start >= movedAt && p.answer !== "-" && p.answer !== "?");
  const gap = lab.client.longestGapAt(at - 200, first?.end ?? end);
  const result = {
    ms: gap.ms,
    failedProbes: lab.client.failed(at, end),
    commandMs,
    clientStallMs: lab.client.stalledMs(gap.from, gap.to),
  };
  const dump = process.env.TANDEM_BENCH_LOGS;
  if (dump !== undefined) {
    // the probes around the move (slow or failed ones, and where the gap is) and both nodes' decisions
    const probes = lab.client.probes.filter((p) => p.end > at - 200 && p.start < end);
    const slow = probes.filter((p) => p.end - p.start > 20 || p.answer === "-");
    const oks = probes
      .filter((p) => p.answer !== "-" && p.end >= at - 200)
      .map((p) => p.end)
      .sort((x, y) => x - y);
    let gapAt = 1;
    for (let i = 2; i < oks.length; i++)
      if ((oks[i] ?? 0) - (oks[i - 1] ?? 0) > (oks[gapAt] ?? 0) - (oks[gapAt - 1] ?? 0)) gapAt = i;
    const gapFrom = (oks[gapAt - 1] ?? at) - at;
    const started = probes.filter(
      (p) => p.start - at > gapFrom && p.start - at < (oks[gapAt] ?? at) - at,
    ).length;
    const events = ["n1", "n2"]
      .flatMap((n) => lab.log(n).split("\n"))
      .filter(
        (l) =>
          /"event":"(transition|op-result|dc|node-status|stall|event-loop-lag)/.test(l) &&
          !/"intervalMs":[1-9]/.test(l),
      )
      .filter((l) => Date.parse((/"time":"([^"]+)"/.exec(l) ?? [])[1] ?? "") >= at - 50)
      .map((l) => ({ t: Date.parse((/"time":"([^"]+)"/.exec(l) ?? [])[1] ?? "") - at, l }))
      .sort((x, y) => x.t - y.t)
      .map(
        ({ t, l }) => `${t} ${(/"node":"(\w+)"/.exec(l) ?? [])[1]}: ${(/"msg":"([^"]+)"/.exec(l) ?? [])[1]}`,
      );
    (await import("node:fs")).appendFileSync(
      dump,
      `=== standby at=${at} command ${commandMs} ms gap ${result.ms} ms from ${gapFrom} to ${(oks[gapAt] ?? at) - at} (${started} probes started in it)\n${slow
        .map((p) => `probe start ${p.start - at} end ${p.end - at} (${p.end - p.start} ms) ${p.answer}`)
        .join("\n")}\n${events.join("\n")}\n`,
    );
  }
  const on = lab.ctl("n2", "online", "n1");
  if (on.code !== 0) throw new Error(`hbctl online failed: ${on.err}`);
  return result;
}

/** Runs `trials` power-loss and `trials` standby trials on the director group at 20 ms / 100 ms. */
export async function directorTrials(
  trials: number,
  only: ReadonlySet<string>,
  say: (s: string) => void,
): Promise<DirectorBenchResult> {
  const lab = new ClusterLab({
    autoFailback: "on",
    keepalive: "20ms",
    deadtime: "100ms",
    warntime: "60ms",
    initdead: "1",
    // the heartbeat-class ldirectord status of the lab parses the configuration (a Node start) at every
    // monitor: every 2 s on both nodes that loaded the machine during the trials; no trial needs a monitor
    monitorMs: 20_000,
    probeEveryMs: PROBE_EVERY_MS,
    probeTimeoutMs: PROBE_TIMEOUT_MS,
  });
  const powerLoss: DirectorTrial[] = [];
  const standby: StandbyDirectorTrial[] = [];
  try {
    lab.start();
    let startedAt = Date.now();
    // --only director runs both; with fast or standby beside it, just those
    const doLoss = only.has("fast") || !only.has("standby");
    const doStandby = only.has("standby") || !only.has("fast");
    for (let i = 0; doLoss && i < trials; i++) {
      await settleN1(lab, startedAt);
      powerLoss.push(await powerLossTrial(lab, 20));
      say(
        `  director fast #${i + 1}: ${powerLoss.at(-1)?.ms} ms, ${powerLoss.at(-1)?.failedProbes} failed probes`,
      );
      lab.startNode("n1");
      startedAt = Date.now();
    }
    for (let i = 0; doStandby && i < trials; i++) {
      await settleN1(lab, startedAt);
      standby.push(await standbyTrial(lab));
      say(
        `  director standby #${i + 1}: gap ${standby.at(-1)?.ms} ms (probe client stalled ${standby.at(-1)?.clientStallMs} ms of it), ${standby.at(-1)?.failedProbes} failed probes (hbctl ${standby.at(-1)?.commandMs} ms)`,
      );
    }
  } finally {
    lab.cleanup();
  }
  return { powerLoss, standby };
}
