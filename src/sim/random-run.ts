/**
 * Randomized simulation (TigerBeetle's VOPR, in small): every parameter is
 * derived from one seed and logged first; a safety phase runs crashes,
 * restarts, partitions (symmetric and one-way, all or some media), loss,
 * delay, duplication, reordering and an attacker; a liveness phase then heals
 * everything and the cluster must become whole again.
 *
 * Invariants, checked after every tick:
 * - no phantom life: once a node has crashed, no live observer sees it up or
 *   active later than crash + longest network latency + the observer's dead
 *   interval for it + one tick;
 * - authentication: every forged frame is dropped before membership;
 * - whole again: after the liveness phase every live node sees every other
 *   one active, every link up, and itself active;
 * - plus any caller-supplied invariant.
 * A failure message ends with the line that reproduces it.
 */
import { Prng } from "../base/prng.js";
import type { Timing } from "../config/model.js";
import { SimCluster } from "./cluster.js";
import type { MediumFaults } from "./network.js";

export interface RandomRunOptions {
  readonly seed: number;
  /** Simulated duration of the safety phase (the liveness phase comes on top). */
  readonly safetyMs: number;
  /** Receives the parameter lines and, with `verbose`, every view change. */
  readonly log?: (line: string) => void;
  readonly verbose?: boolean;
  /** An extra invariant, called after every tick: return a problem or undefined. */
  readonly invariant?: (sim: SimCluster) => string | undefined;
  /** How the reproduce line names the command (default `node dist/bench/sim.js`). */
  readonly command?: string;
}

export interface RandomRunParameters {
  readonly nodes: readonly string[];
  readonly media: readonly string[];
  readonly timing: Timing;
  readonly tickMs: number;
  readonly faults: Readonly<Record<string, MediumFaults>>;
  readonly actionEveryMsMax: number;
  readonly replaysPerSecond: number;
  readonly forgedPerSecond: number;
}

export interface RandomRunResult {
  readonly seed: number;
  readonly ok: boolean;
  /** The first problem found, if any. */
  readonly failure?: string;
  readonly parameters: RandomRunParameters;
  readonly actions: number;
  readonly simulatedMs: number;
  readonly deathsDeclared: number;
  readonly attack: { replaysDelivered: number; forgedDelivered: number; authDropped: number };
  /** `reproduce: <command> --seed N --safety-ms M` */
  readonly reproduce: string;
}

/** Derives every parameter of a run from its seed. */
export function randomParameters(prng: Prng): RandomRunParameters {
  const nodes = Array.from({ length: prng.intBetween(2, 5) }, (_, i) => `n${i + 1}`);
  const media = ["eth0", "eth1", "serial0"].slice(0, prng.intBetween(1, 3));
  const keepaliveMs = prng.pick([20, 50, 100, 200]);
  const deadtimeMs = keepaliveMs * prng.intBetween(4, 10);
  const timing: Timing = {
    keepaliveMs,
    deadtimeMs,
    warntimeMs: Math.round(deadtimeMs * 0.75),
    initdeadMs: 2 * deadtimeMs,
    deadpingMs: deadtimeMs,
  };
  const faults: Record<string, MediumFaults> = {};
  for (const m of media) {
    const delayMsMin = prng.intBetween(0, 5);
    faults[m] = {
      lossProbability: prng.pick([0, 0.01, 0.05, 0.1, 0.2, 0.3]),
      delayMsMin,
      delayMsMax: delayMsMin + prng.intBetween(0, Math.floor(keepaliveMs / 2)),
      duplicateProbability: prng.pick([0, 0.01, 0.1]),
      reorderProbability: prng.pick([0, 0.01, 0.1]),
      reorderDelayMsMax: prng.intBetween(1, keepaliveMs),
    };
  }
  return {
    nodes,
    media,
    timing,
    tickMs: Math.max(1, Math.floor(keepaliveMs / prng.pick([2, 5, 10]))),
    faults,
    actionEveryMsMax: deadtimeMs * prng.intBetween(2, 8),
    replaysPerSecond: prng.pick([0, 1, 10]),
    forgedPerSecond: prng.pick([0, 1, 10]),
  };
}

export function runRandomized(options: RandomRunOptions): RandomRunResult {
  const root = new Prng(options.seed);
  const params = randomParameters(root.fork());
  const script = root.fork();
  const log = options.log ?? (() => {});
  const command = options.command ?? "node dist/bench/sim.js";
  const reproduce = `reproduce: ${command} --seed ${options.seed} --safety-ms ${options.safetyMs}`;
  log(`SEED=${options.seed} ${JSON.stringify(params)}`);

  const sim = new SimCluster({
    seed: options.seed,
    nodes: params.nodes,
    media: params.media,
    timing: params.timing,
    tickMs: params.tickMs,
    attack: { replaysPerSecond: params.replaysPerSecond, forgedPerSecond: params.forgedPerSecond },
  });
  for (const m of params.media) sim.setFaults(params.faults[m]!, m);

  let failure: string | undefined;
  let actions = 0;
  const check = (): void => {
    failure ??= phantomLife(sim) ?? options.invariant?.(sim);
  };
  let nextActionMs = script.intBetween(params.timing.deadtimeMs, params.actionEveryMsMax);
  while (failure === undefined && sim.nowMs < options.safetyMs) {
    if (sim.nowMs >= nextActionMs) {
      const line = randomAction(sim, script);
      actions++;
      if (options.verbose) log(`${sim.nowMs} action: ${line}`);
      nextActionMs = sim.nowMs + script.intBetween(params.tickMs, params.actionEveryMsMax);
    }
    sim.runFor(params.tickMs);
    check();
  }

  // Liveness phase: a clean network, everyone running, no attacker.
  if (failure === undefined) {
    sim.heal();
    sim.setAttack(undefined);
    for (const m of params.media) sim.setFaults({ ...params.faults[m]!, lossProbability: 0 }, m);
    for (const n of params.nodes) if (!sim.isAlive(n)) sim.restart(n);
    const settleMs = params.timing.initdeadMs + 3 * params.timing.deadtimeMs + sim.network.maxLatencyMs();
    const end = sim.nowMs + settleMs;
    while (failure === undefined && sim.nowMs < end) {
      sim.runFor(params.tickMs);
      check();
    }
    const problems = sim.wholeProblems();
    if (failure === undefined && problems.length > 0)
      failure = `not whole after the liveness phase: ${problems.join("; ")}`;
  }
  let authDropped = 0;
  for (const n of params.nodes) authDropped += sim.authDropped(n);
  if (failure === undefined && authDropped !== sim.attackStats.forgedDelivered) {
    failure = `forged frames delivered ${sim.attackStats.forgedDelivered}, dropped by auth ${authDropped}`;
  }
  if (options.verbose) for (const line of sim.viewChanges()) log(line);
  if (failure !== undefined) log(`FAILED at t=${sim.nowMs} ms: ${failure}\n${reproduce}`);
  return {
    seed: options.seed,
    ok: failure === undefined,
    ...(failure === undefined ? {} : { failure }),
    parameters: params,
    actions,
    simulatedMs: sim.nowMs,
    deathsDeclared: sim.events((e) => e.event.kind === "node-status" && e.event.status === "dead").length,
    attack: {
      replaysDelivered: sim.attackStats.replaysDelivered,
      forgedDelivered: sim.attackStats.forgedDelivered,
      authDropped,
    },
    reproduce,
  };
}

/** One random fault action; returns its description. */
function randomAction(sim: SimCluster, prng: Prng): string {
  const nodes = sim.nodeNames;
  const alive = nodes.filter((n) => sim.isAlive(n));
  const crashed = nodes.filter((n) => !sim.isAlive(n));
  const roll = prng.intBetween(0, 9);
  if (roll < 2 && alive.length > 1) {
    const n = prng.pick(alive);
    sim.crash(n);
    return `crash ${n}`;
  }
  if (roll < 4 && crashed.length > 0) {
    const n = prng.pick(crashed);
    sim.restart(n);
    return `restart ${n}`;
  }
  if (roll < 7) {
    const shuffled = nodes.map((n) => ({ n, k: prng.float() })).sort((a, b) => a.k - b.k);
    const cut = prng.intBetween(1, nodes.length - 1);
    const a = shuffled.slice(0, cut).map((x) => x.n);
    const b = shuffled.slice(cut).map((x) => x.n);
    const oneWay = prng.chance(0.5);
    const media = prng.chance(0.3) ? [prng.pick(sim.media)] : undefined;
    sim.partition(a, b, { oneWay, ...(media === undefined ? {} : { media }) });
    return `partition ${a.join(",")} ${oneWay ? "->" : "<->"} ${b.join(",")}${media ? ` on ${media[0]}` : ""}`;
  }
  sim.heal();
  return "heal";
}

/** A crashed node that some live observer still sees alive after the deadline. */
function phantomLife(sim: SimCluster): string | undefined {
  const slackMs = sim.network.maxLatencyMs() + sim.tickMs;
  for (const target of sim.nodeNames) {
    const crashedAt = sim.crashedAtMs(target);
    if (crashedAt === undefined) continue;
    for (const observer of sim.nodeNames) {
      if (observer === target || !sim.isAlive(observer)) continue;
      const view = sim
        .membership(observer)
        .view()
        .nodes.find((v) => v.name === target);
      if (view === undefined || (view.status !== "up" && view.status !== "active")) continue;
      if (sim.nowMs > crashedAt + slackMs + view.deadIntervalMs) {
        return `${observer} still sees ${target} ${view.status} ${sim.nowMs - crashedAt} ms after its crash (dead interval ${view.deadIntervalMs} ms)`;
      }
    }
  }
  return undefined;
}
