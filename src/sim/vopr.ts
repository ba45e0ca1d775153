/**
 * One whole-cluster seed (TigerBeetle's VOPR, for hbd): the scenario and every
 * fault come from the seed; a safety phase runs random faults and admin
 * commands with the invariants checked after every step; a heal phase stops
 * the faults, boots every host, cleans resource failures up as an operator
 * would, and checks the after-heal conditions within a bound computed from
 * the timing. `runSeed(seed)` twice gives the same result.
 */
import { Prng } from "../base/prng.js";
import type { CommandResult } from "../ipc/protocol.js";
import { crashOnNextWrite, jumpClock, killOneResource, shutdownHost } from "./faults.js";
import { type AdminRecord, healProblem } from "./heal.js";
import { cibShape, Invariants, type Violation } from "./invariants.js";
import { randomScenario, type Scenario, scenarioCib, scenarioConfigs } from "./scenario.js";
import { SimWorld } from "./world.js";

export interface SeedOptions {
  readonly seed: number;
  /** Simulated length of the safety phase. Default 20 s. */
  readonly safetyMs?: number;
  readonly verbose?: boolean;
  /** Breaks the system on purpose (to prove the checker): see `SABOTAGE`. */
  readonly sabotage?: Sabotage;
  /** An extra invariant checked after every step (a test's own, e.g. membership's): a problem stops the run. */
  readonly invariant?: (world: SimWorld) => string | undefined;
}

/** The command line that runs one seed again, with its trace. */
export function reproduceLine(seed: number, safetyMs = 20_000, sabotage?: Sabotage): string {
  return `reproduce: npm run sim -- --seed ${seed}${safetyMs === 20_000 ? "" : ` --safety-ms ${safetyMs}`}${sabotage ? ` --sabotage ${sabotage}` : ""} --trace`;
}

/**
 * - lying-stop: an agent's stop says it stopped the resource but leaves it
 *   running (what a DC that starts a resource elsewhere without stopping it
 *   first looks like from the outside).
 * - unordered-group: the nodes run the group's members as unordered
 *   primitives while the checker knows the group (a DC that starts members
 *   out of order).
 */
export const SABOTAGES = ["lying-stop", "unordered-group"] as const;
export type Sabotage = (typeof SABOTAGES)[number];

export interface SeedResult {
  readonly seed: number;
  readonly ok: boolean;
  readonly violation?: Violation;
  readonly scenario: Scenario;
  readonly simulatedMs: number;
  readonly actions: number;
  readonly trace: readonly string[];
}

export async function runSeed(options: SeedOptions): Promise<SeedResult> {
  const root = new Prng(options.seed);
  const scenario = randomScenario(root.fork());
  const script = root.fork();
  const cib = scenarioCib(scenario);
  const world = new SimWorld({
    seed: options.seed,
    nodes: scenario.nodes,
    media: scenario.media,
    configs: scenarioConfigs(scenario),
    initialCib: options.sabotage === "unordered-group" ? scenarioCib(scenario, true) : cib,
    agentFaults: scenario.agentFaults,
    fenceFailProbability: scenario.fenceFailProbability,
    ...(options.verbose === undefined ? {} : { verbose: options.verbose }),
  });
  for (const m of scenario.media)
    world.setFaults(m, scenario.faults[m] as NonNullable<Scenario["faults"][string]>);
  if (options.sabotage === "lying-stop") for (const h of world.hosts.values()) h.agents.lyingStop = true;
  const dcWaitMs = Math.max(1000, 2 * scenario.keepaliveMs);
  const inv = new Invariants(
    world,
    cibShape(cib),
    2 * scenario.deadtimeMs + dcWaitMs + 8000,
    2 * scenario.deadtimeMs + dcWaitMs + 2000,
  );
  const admin: AdminRecord[] = [];
  const actions = new Actions(world, scenario, script, admin, dcWaitMs);
  const extra = options.invariant;
  const check = (): string | undefined => inv.step() ?? extra?.(world);

  for (const n of scenario.nodes) world.host(n).pendingBoot = true;
  for (const n of scenario.nodes)
    world.scheduler.after(script.intBetween(0, scenario.deadtimeMs), () => world.boot(n));
  const safetyMs = options.safetyMs ?? 20_000;
  let problem: string | undefined;
  while (problem === undefined && world.now < safetyMs) {
    problem = await world.runFor(script.intBetween(world.tickMs, scenario.actionEveryMs), check);
    if (problem === undefined) actions.random();
  }
  if (problem === undefined)
    problem = await heal(world, scenario, actions, check, () => inv.lastSplitBrainMs);
  const violation =
    inv.first ??
    (problem === undefined
      ? undefined
      : { name: problem.split(":")[0] ?? "?", atMs: world.now, detail: problem });
  return {
    seed: options.seed,
    ok: violation === undefined,
    ...(violation === undefined ? {} : { violation }),
    scenario,
    simulatedMs: world.now,
    actions: actions.count,
    trace: world.log.tail(),
  };
}

/** The heal phase; returns the first problem. */
async function heal(
  world: SimWorld,
  s: Scenario,
  actions: Actions,
  check: () => string | undefined,
  lastSplitBrainMs: () => number,
): Promise<string | undefined> {
  world.log.event("heal: faults stop");
  world.heal();
  for (const m of s.media)
    world.setFaults(m, {
      ...(s.faults[m] as NonNullable<Scenario["faults"][string]>),
      lossProbability: 0,
      duplicateProbability: 0,
      reorderProbability: 0,
    });
  world.fenceFailProbability = 0;
  for (const h of world.hosts.values()) {
    h.agents.faults = { ...h.agents.faults, failProbability: 0, hangProbability: 0 };
    h.disk.crashOnWrite = undefined;
    if (!h.alive && !h.pendingBoot) world.boot(h.name);
  }
  // Bounds from the timing: boot + initdead + DC wait + agent timeouts (5 s, remote ops 20 s) with room for retries.
  const formMs = 6 * s.deadtimeMs + 2000 + 45_000; // + an op whose answer was lost: its timeout (20 s) + margin
  const settleMs = 4 * s.deadtimeMs + 20_000;
  const formed = (): boolean => {
    const hosts = [...world.hosts.values()];
    if (hosts.some((h) => !h.alive)) return false;
    const dcs = hosts.filter((h) => h.hbd?.controller.dc === h.name);
    return (
      dcs.length === 1 &&
      hosts.every((h) => h.hbd?.controller.dc === dcs[0]?.name && !h.hbd?.controller.report().busy)
    );
  };
  const formEnd = world.now + formMs;
  while (!formed()) {
    // A SIGTERM in flight at heal time stops its host later: boot it again (every host runs after heal).
    for (const h of world.hosts.values()) if (!h.alive && !h.pendingBoot) world.boot(h.name);
    if (world.now >= formEnd) {
      const views = [...world.hosts.values()].map((h) =>
        h.alive
          ? `${h.name}: DC ${h.hbd?.controller.dc ?? "none"}${h.hbd?.controller.report().busy ? " busy" : ""}`
          : `${h.name}: down`,
      );
      return `converged: no single DC with every node up ${formMs} ms after heal (${views.join("; ")})`;
    }
    const p = await world.runFor(250, check);
    if (p !== undefined) return p;
  }
  if (actions.failuresShown()) actions.cleanupAll();
  const end = world.now + settleMs;
  let last: { name: string; detail: string } | undefined;
  while (world.now < end) {
    const p = await world.runFor(250, check);
    if (p !== undefined) return p;
    last = healProblem(world, actions.admin, lastSplitBrainMs());
    if (last === undefined) return undefined;
  }
  return last === undefined
    ? undefined
    : `${last.name}: ${last.detail} (${settleMs} ms after the cluster formed)`;
}

/** The random fault and admin actions of the safety phase. */
class Actions {
  count = 0;
  private readonly stopping = new WeakSet<object>();

  constructor(
    private readonly world: SimWorld,
    private readonly s: Scenario,
    private readonly prng: Prng,
    readonly admin: AdminRecord[],
    private readonly dcWaitMs: number,
  ) {}

  random(): void {
    this.count++;
    const { world, prng } = this;
    const hosts = [...world.hosts.values()];
    const alive = hosts.filter((h) => h.alive);
    const down = hosts.filter((h) => !h.alive && !h.pendingBoot);
    const roll = prng.intBetween(0, 99);
    if (roll < 12 && alive.length > 0) {
      world.crash(prng.pick(alive).name);
      return;
    }
    if (roll < 26 && down.length > 0) {
      world.boot(prng.pick(down).name);
      return;
    }
    if (roll < 40) {
      this.partition();
      return;
    }
    if (roll < 50) {
      world.log.event("heal the network");
      world.heal();
      return;
    }
    if (roll < 75 && alive.length > 0) {
      this.adminCommand(prng.pick(alive).name);
      return;
    }
    if (roll < 80 && alive.length > 0) {
      jumpClock(world, prng.pick(alive), prng);
      return;
    }
    if (roll < 85 && alive.length > 0) {
      crashOnNextWrite(world, prng.pick(alive), prng);
      return;
    }
    if (roll < 92 && alive.length > 0) {
      killOneResource(world, prng.pick(alive), prng);
      return;
    }
    if (alive.length > 0) void this.shutdown(prng.pick(alive).name);
  }

  private partition(): void {
    const { world, prng, s } = this;
    const shuffled = s.nodes
      .map((n) => ({ n, k: prng.float() }))
      .sort((a, b) => a.k - b.k)
      .map((x) => x.n);
    const cut = prng.intBetween(1, shuffled.length - 1);
    const a = shuffled.slice(0, cut);
    const b = shuffled.slice(cut);
    const oneWay = prng.chance(0.3);
    const media = prng.chance(0.3) ? [prng.pick(s.media)] : undefined;
    world.partition(a, b, oneWay, media);
    world.log.event(`partition ${a} ${oneWay ? "->" : "<->"} ${b}${media ? ` on ${media[0]}` : ""}`);
  }

  /**
   * Whether every node is up and every pair has heard each other long enough for a change to reach all.
   * A change acknowledged while a node was down can be lost when that node returns with a newer
   * configuration of its own (the highest version wins, as in Pacemaker): seed 30.
   */
  private whole(): boolean {
    const hosts = [...this.world.hosts.values()];
    if (hosts.some((h) => !h.alive)) return false;
    const live = hosts.map((h) => h.name);
    const need = 2 * this.s.deadtimeMs + this.dcWaitMs;
    for (let i = 0; i < live.length; i++)
      for (let j = i + 1; j < live.length; j++)
        if (this.world.heardForMs(live[i] as string, live[j] as string) < need) return false;
    return true;
  }

  private adminCommand(on: string): void {
    const { prng, s } = this;
    const node = prng.pick(s.nodes);
    const rsc = prng.pick(["grp", ...s.primitives]);
    const roll = prng.intBetween(0, 4);
    const [method, params, effects, text]: [string, Record<string, string>, [string, string][], string] =
      roll === 0
        ? ["standby", { node }, [[`standby:${node}`, "on"]], `standby ${node}`]
        : roll === 1
          ? ["online", { node }, [[`standby:${node}`, "off"]], `online ${node}`]
          : roll === 2
            ? [
                "resource",
                { op: "move", rsc, node },
                [
                  [`prefer:${rsc}`, node],
                  [`ban:${rsc}:${node}`, "none"],
                ],
                `move ${rsc} ${node}`,
              ]
            : roll === 3
              ? ["resource", { op: "ban", rsc, node }, [[`ban:${rsc}:${node}`, "yes"]], `ban ${rsc} ${node}`]
              : [
                  "resource",
                  { op: "clear", rsc },
                  [
                    [`prefer:${rsc}`, "none"],
                    ...s.nodes.map((n): [string, string] => [`ban:${rsc}:${n}`, "none"]),
                  ],
                  `clear ${rsc}`,
                ];
    const whole = this.whole();
    const recs = effects.map(([key, value]) => ({
      key,
      value,
      atMs: this.world.now,
      acked: false,
      whole,
      text,
    }));
    this.admin.push(...recs);
    const hbd = this.world.host(on).hbd;
    if (hbd === undefined) return;
    const acked = (r: CommandResult): void => {
      const ok = !/handed to the DC/.test(r.message);
      for (const rec of recs) rec.acked = ok;
      this.world.log.event(`hbctl ${text} on ${on}: ${r.message}`);
    };
    try {
      const r = hbd.command(method as "standby", params);
      if (r instanceof Promise)
        r.then(acked, (e: Error) => this.world.log.event(`hbctl ${text} on ${on}: refused: ${e.message}`));
      else acked(r as CommandResult);
    } catch (e) {
      this.world.log.event(`hbctl ${text} on ${on}: refused: ${(e as Error).message}`);
    }
  }

  /** hbd's SIGTERM: stop local resources, say goodbye, exit. */
  private shutdown(name: string): Promise<void> {
    return shutdownHost(this.world, this.stopping, name);
  }

  /** Whether the DC shows a failed operation (what makes an operator run cleanup). */
  failuresShown(): boolean {
    const dc = [...this.world.hosts.values()].find((h) => h.alive && h.hbd?.controller.dc === h.name);
    return dc?.hbd?.controller.report().resources.some((r) => r.failed.length > 0) ?? false;
  }

  /** `hbctl resource cleanup` of every resource, on the DC (what an operator does after the faults). */
  cleanupAll(): void {
    const hosts = [...this.world.hosts.values()].filter((h) => h.alive);
    const dc = hosts.find((h) => h.hbd?.controller.dc === h.name);
    if (dc?.hbd === undefined) return;
    // the group as a whole (its members at once), as an operator would: hbctl resource cleanup grp
    for (const rsc of ["grp", ...this.s.primitives, ...(this.s.stonith ? ["fence1"] : [])]) {
      try {
        const r = dc.hbd.command("resource", { op: "cleanup", rsc });
        if (r instanceof Promise) r.catch(() => {});
      } catch {
        // nothing to clean up
      }
    }
    this.world.log.event(`cleanup of every resource on ${dc.name}`);
  }
}
