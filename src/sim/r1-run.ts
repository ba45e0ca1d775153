/**
 * Whole-cluster seeds in haresources mode (`crm off` with an haresources
 * file): a pair, as Heartbeat supports, 1-3 groups of ordered members, each
 * preferring one node, auto_failback on/off/legacy, admin hb_standby /
 * hb_takeover (all/foreign/local/failback) at random times, ping nodes with
 * ipfail, and the crm-mode fault model (loss, partitions, crashes with the
 * disk, agents failing or hanging, clock jumps).
 *
 * Two personas of the peer:
 * - heartbeat: each node's status goes out without Tandem's marks (the
 *   `tandem` field, the freshness nonce/echo) and its CRM messages as a type
 *   Heartbeat does not know, so each side sees a Heartbeat peer and Heartbeat's
 *   resource protocol (daemon/r1.ts) decides, the controller only carrying it
 *   out: the Tandem side of a mixed pair, against a peer that speaks R1 with
 *   the same engine;
 * - tandem: two Tandem nodes; the CRM decides on the converted CIB.
 *
 * Invariants: the crm mode's safety ones (invariants.ts: one-active after
 * the deadtime grace, group-order) after every step; after heal (r1-checks.ts):
 * each group on exactly one node, every member there; no node's resource
 * protocol holds a group it does not run or runs one it does not hold
 * (held-true); in tandem persona heal.ts's converged/status-true/placement/
 * idle too. Then the rules, scripted: a node is lost and comes back (failback
 * on/legacy: its home groups return to it; off: nothing moves back), one node
 * loses its ping nodes while the peer reaches them (it gives up every group),
 * and every ping node dies at once (nothing moves).
 */
import { Prng } from "../base/prng.js";
import type { Cib } from "../cib/model.js";
import { F, str, withoutField } from "../comm/message.js";
import type { Transport } from "../comm/transport.js";
import { decodeFrame, encodeFrame } from "../comm/wire.js";
import { loadHaD } from "../config/load.js";
import type { AutoFailback, ClusterConfig } from "../config/model.js";
import { convertHaresources, haresourcesGroupIds } from "../config/to-cib.js";
import { haresourcesCib } from "../daemon/crm-cib.js";
import { ECHO_FIELD, NONCE_FIELD } from "../daemon/freshness.js";
import type { Hbd } from "../daemon/hbd.js";
import { CRM_TYPE, TANDEM_FIELD } from "../daemon/node.js";
import type { AgentFaults } from "./agents.js";
import { crashOnNextWrite, jumpClock, killOneResource, shutdownHost } from "./faults.js";
import { healProblem } from "./heal.js";
import { cibShape, Invariants, type Violation } from "./invariants.js";
import type { MediumFaults } from "./network.js";
import { groupProblem, type R1Groups, SimPings } from "./r1-checks.js";
import { SimWorld } from "./world.js";

export type Persona = "heartbeat" | "tandem";

export interface R1Scenario {
  readonly nodes: readonly string[];
  readonly media: readonly string[];
  readonly keepaliveMs: number;
  readonly deadtimeMs: number;
  readonly deadpingMs: number;
  readonly autoFailback: AutoFailback;
  readonly persona: Persona;
  /** haresources lines: the home node and the resources, in order. */
  readonly lines: readonly { readonly node: string; readonly resources: readonly string[] }[];
  readonly pingNodes: readonly string[];
  readonly ipfail: boolean;
  readonly faults: Readonly<Record<string, MediumFaults>>;
  readonly agentFaults: AgentFaults;
  readonly actionEveryMs: number;
}

export function randomR1Scenario(prng: Prng): R1Scenario {
  const nodes = ["n1", "n2"];
  const media = ["eth0", "eth1"].slice(0, prng.intBetween(1, 2));
  const keepaliveMs = prng.pick([50, 100, 200]);
  const deadtimeMs = keepaliveMs * prng.intBetween(5, 10);
  const faults: Record<string, MediumFaults> = {};
  for (const m of media) {
    const delayMsMin = prng.intBetween(0, 3);
    faults[m] = {
      lossProbability: prng.pick([0, 0.01, 0.05, 0.2]),
      delayMsMin,
      delayMsMax: delayMsMin + prng.intBetween(0, Math.floor(keepaliveMs / 4)),
      duplicateProbability: prng.pick([0, 0.01, 0.05]),
      reorderProbability: prng.pick([0, 0.01, 0.05]),
      reorderDelayMsMax: prng.intBetween(1, keepaliveMs),
    };
  }
  const lines = Array.from({ length: prng.intBetween(1, 3) }, (_, i) => ({
    node: prng.pick(nodes),
    resources: Array.from({ length: prng.intBetween(1, 3) }, (_, j) => `r${i + 1}${"abc"[j]}`),
  }));
  const pingNodes = prng.chance(0.5) ? ["10.0.0.254", "10.0.1.254"].slice(0, prng.intBetween(1, 2)) : [];
  return {
    nodes,
    media,
    keepaliveMs,
    deadtimeMs,
    deadpingMs: deadtimeMs * prng.intBetween(1, 2),
    autoFailback: prng.pick(["on", "on", "off", "off", "legacy"] as const),
    persona: prng.chance(0.7) ? "heartbeat" : "tandem",
    lines,
    pingNodes,
    ipfail: pingNodes.length > 0,
    faults,
    agentFaults: {
      failProbability: prng.pick([0, 0, 0.02, 0.1]),
      hangProbability: prng.pick([0, 0, 0, 0.005]),
      durationMsMax: prng.pick([5, 50, 300]),
    },
    actionEveryMs: deadtimeMs * prng.intBetween(2, 6),
  };
}

/** Each node's configuration from ha.cf and haresources text, as hbd loads them. */
export function r1Configs(s: R1Scenario): Map<string, ClusterConfig> {
  const hacf = [
    `keepalive ${s.keepaliveMs}ms`,
    `deadtime ${s.deadtimeMs}ms`,
    `warntime ${Math.round(s.deadtimeMs * 0.75)}ms`,
    `initdead ${2 * s.deadtimeMs}ms`,
    `deadping ${s.deadpingMs}ms`,
    ...s.media.map((m) => `bcast ${m}`),
    ...s.nodes.map((n) => `node ${n}`),
    ...s.pingNodes.map((p) => `ping ${p}`),
    ...(s.ipfail ? ["respawn hacluster /usr/lib/heartbeat/ipfail"] : []),
    `auto_failback ${s.autoFailback}`,
    "crm off",
    "",
  ].join("\n");
  const haresources = `${s.lines.map((l) => `${l.node} ${l.resources.join(" ")}`).join("\n")}\n`;
  const out = new Map<string, ClusterConfig>();
  for (const n of s.nodes) {
    const r = loadHaD({
      hacf: { path: "ha.cf", text: hacf },
      authkeys: { path: "authkeys", text: "auth 1\n1 sha1 simulated-secret\n", mode: 0o600 },
      haresources: { path: "haresources", text: haresources },
      localNode: n,
    });
    if (r.config === undefined)
      throw new Error(`scenario ha.cf/haresources do not load: ${JSON.stringify(r.diagnostics)}`);
    out.set(n, r.config);
  }
  return out;
}

/**
 * A Heartbeat node's wire: its status without Tandem's marks, its CRM
 * messages as a type the peer ignores (kept, not dropped: they are sequenced,
 * and a gap would be asked for again for ever).
 */
export function heartbeatWire(config: ClusterConfig, t: Transport): Transport {
  const rewrite = (frame: Uint8Array): Uint8Array => {
    const d = decodeFrame(frame);
    if (!d.ok) return frame;
    const type = d.msg.fields.find((f) => f.name === F.type);
    if (type?.kind !== "string") return frame;
    let msg = d.msg;
    if (type.value === "status")
      for (const name of [TANDEM_FIELD, NONCE_FIELD, ECHO_FIELD]) msg = withoutField(msg, name);
    else if (type.value === CRM_TYPE)
      msg = { fields: msg.fields.map((f) => (f.name === F.type ? str(F.type, "t14r-not-heartbeat") : f)) };
    else return frame;
    return encodeFrame(withoutField(msg, F.auth), config.auth, d.format);
  };
  return new Proxy(t, {
    get(target, prop) {
      if (prop === "send") return (frame: Uint8Array, to?: string) => target.send(rewrite(frame), to);
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

export interface R1SeedOptions {
  readonly seed: number;
  readonly safetyMs?: number;
  readonly verbose?: boolean;
  /** Breaks the system on purpose (proves the checker): see R1Sabotage. */
  readonly sabotage?: R1Sabotage;
  /** Sees the world at the end of the run (a failing seed's state, in a debugging session). */
  readonly inspect?: (world: SimWorld) => void;
}

/**
 * - lying-stop: an agent's stop says it stopped the resource but leaves it running;
 * - standby-keeps: R1 going standby tells the peer it gave its groups up (`done`) but keeps them
 *   (goStandby does not drop them from what the controller may run).
 */
export type R1Sabotage = "lying-stop" | "standby-keeps";

/** Patches a node's R1 engine so that giving groups up in a standby keeps them. */
function sabotageStandby(hbd: Hbd): void {
  const r1 = hbd.r1 as unknown as { goStandby: (who: string, set: number) => void; target: Set<string> };
  const real = r1.goStandby.bind(r1);
  r1.goStandby = (who, set) => {
    const kept = new Set(r1.target);
    real(who, set);
    if (who === "me") for (const k of kept) r1.target.add(k);
  };
}

export interface R1SeedResult {
  readonly seed: number;
  readonly ok: boolean;
  readonly violation?: Violation;
  readonly scenario: R1Scenario;
  readonly simulatedMs: number;
  readonly actions: number;
  readonly trace: readonly string[];
}

export async function runR1Seed(options: R1SeedOptions): Promise<R1SeedResult> {
  const root = new Prng(options.seed);
  const s = randomR1Scenario(root.fork());
  const script = root.fork();
  const configs = r1Configs(s);
  const first = configs.get("n1") as ClusterConfig;
  const converted = convertHaresources(first.groups, { autoFailback: s.autoFailback, nodes: first.nodes });
  const world = new SimWorld({
    seed: options.seed,
    nodes: s.nodes,
    media: s.media,
    configs,
    initialCib: converted,
    agentFaults: s.agentFaults,
    fenceFailProbability: 0,
    startCib: (stored: Cib | undefined) => haresourcesCib(converted, stored),
    ...(s.persona === "heartbeat"
      ? { wrapTransport: (n: string, t: Transport) => heartbeatWire(configs.get(n) as ClusterConfig, t) }
      : {}),
    ...(options.verbose === undefined ? {} : { verbose: options.verbose }),
  });
  for (const m of s.media) world.setFaults(m, s.faults[m] as MediumFaults);
  if (options.sabotage === "lying-stop") for (const h of world.hosts.values()) h.agents.lyingStop = true;
  const shape = cibShape(converted);
  const ids = haresourcesGroupIds(first.groups);
  const groups: R1Groups = {
    list: first.groups.map((g) => {
      const grp = converted.configuration.resources.find(
        (r) => r.kind === "group" && r.id === ids.get(g.key),
      );
      const members = grp?.kind === "group" ? grp.members.map((m) => m.id) : [];
      return { key: g.key, home: g.node, members };
    }),
  };
  const dcWaitMs = Math.max(1000, 2 * s.keepaliveMs);
  const inv = new Invariants(
    world,
    shape,
    2 * s.deadtimeMs + dcWaitMs + 8000,
    // heartbeat persona: each controller is alone (its own DC); R1 decides
    s.persona === "heartbeat" ? Number.POSITIVE_INFINITY : 2 * s.deadtimeMs + dcWaitMs + 2000,
  );
  const pings = new SimPings(world, s.pingNodes, s.keepaliveMs, s.deadpingMs);
  const patched = new WeakSet<Hbd>();
  const check = (): string | undefined => {
    if (options.sabotage === "standby-keeps")
      for (const h of world.hosts.values())
        if (h.hbd !== undefined && !patched.has(h.hbd)) {
          patched.add(h.hbd);
          sabotageStandby(h.hbd);
        }
    pings.step();
    return inv.step();
  };
  const actions = new R1Actions(world, s, script, pings);
  for (const n of s.nodes) world.host(n).pendingBoot = true;
  for (const n of s.nodes) world.scheduler.after(script.intBetween(0, s.deadtimeMs), () => world.boot(n));
  const safetyMs = options.safetyMs ?? 20_000;
  let problem: string | undefined;
  while (problem === undefined && world.now < safetyMs) {
    problem = await world.runFor(script.intBetween(world.tickMs, s.actionEveryMs), check);
    if (problem === undefined) actions.random();
  }
  if (problem === undefined)
    problem = await r1Heal(world, s, groups, check, pings, script, () => inv.lastSplitBrainMs);
  options.inspect?.(world);
  const violation =
    inv.first ??
    (problem === undefined
      ? undefined
      : { name: problem.split(":")[0] ?? "?", atMs: world.now, detail: problem });
  return {
    seed: options.seed,
    ok: violation === undefined,
    ...(violation === undefined ? {} : { violation }),
    scenario: s,
    simulatedMs: world.now,
    actions: actions.count,
    trace: world.log.tail(),
  };
}

/** Runs until `done` says nothing is left (undefined), or `ms` passed: then its last answer, as `name: ...`. */
async function until(
  world: SimWorld,
  ms: number,
  check: () => string | undefined,
  done: () => string | undefined,
  what: string,
): Promise<string | undefined> {
  const end = world.now + ms;
  let last: string | undefined;
  while (world.now < end) {
    const p = await world.runFor(250, check);
    if (p !== undefined) return p;
    last = done();
    if (last === undefined) return undefined;
  }
  return `${last} (${ms} ms ${what})`;
}

/** Whether a node's resource protocol and controller are at rest (no transition, no R1 work). */
function settledOn(world: SimWorld, s: R1Scenario): string | undefined {
  for (const h of world.hosts.values()) {
    if (!h.alive) return `converged: ${h.name} is down`;
    const hbd = h.hbd;
    if (hbd === undefined) continue;
    if (hbd.controller.report().busy) return `idle: a transition is still running on ${h.name}`;
    const r = hbd.r1.report();
    if (s.persona === "heartbeat" && (r.mode !== "heartbeat-peer" || r.rscstatus === "transition"))
      return `converged: ${h.name}'s resource protocol is ${r.mode} ${r.state} ${r.rscstatus} (peer ${r.peerHolds ?? "?"}${r.peerStable ? " stable" : " in flux"}, standby ${r.standby})`;
  }
  return undefined;
}

/** Each group where it runs now: the one node running every member ("" if none or split). */
function placement(world: SimWorld, groups: R1Groups): Map<string, string> {
  const out = new Map<string, string>();
  for (const g of groups.list) {
    const on = [...world.hosts.values()].filter((h) => g.members.every((m) => h.agents.isRunning(m)));
    out.set(g.key, on.length === 1 ? (on[0]?.name ?? "") : "");
  }
  return out;
}

/** The after-heal phase: faults stop, both boot, everything settles; then the scripted rules. */
async function r1Heal(
  world: SimWorld,
  s: R1Scenario,
  groups: R1Groups,
  check: () => string | undefined,
  pings: SimPings,
  prng: Prng,
  lastSplitBrainMs: () => number,
): Promise<string | undefined> {
  world.log.event("heal: faults stop");
  world.heal();
  pings.heal();
  for (const m of s.media)
    world.setFaults(m, {
      ...(s.faults[m] as MediumFaults),
      lossProbability: 0,
      duplicateProbability: 0,
      reorderProbability: 0,
    });
  for (const h of world.hosts.values()) {
    h.agents.faults = { ...h.agents.faults, failProbability: 0, hangProbability: 0 };
    h.disk.crashOnWrite = undefined;
    if (!h.alive && !h.pendingBoot) world.boot(h.name);
  }
  // boot + initdead + negotiation + a hung op's timeout (60 s, op_defaults) + failback retries
  const settleMs = 8 * s.deadtimeMs + 2 * s.deadpingMs + 90_000;
  const cleanedAt = new Map<string, number>();
  const healed = (): string | undefined => {
    for (const h of world.hosts.values()) if (!h.alive && !h.pendingBoot) world.boot(h.name);
    const r = settledOn(world, s);
    if (r !== undefined) {
      // A stop that failed keeps its group held where it is until an operator cleans it up
      // (docs/MIGRATION.md); R1 may stay busy meanwhile, so do not wait for it to settle first.
      for (const h of world.hosts.values()) {
        const hbd = h.hbd;
        if (hbd === undefined || world.now - (cleanedAt.get(h.name) ?? -1e9) < 5000) continue;
        if (!hbd.controller.report().resources.some((x) => x.failed.includes(h.name))) continue;
        cleanedAt.set(h.name, world.now);
        operator(world, groups, "cleanup", h.name);
      }
      return r;
    }
    // an operator cleans up failed operations (hbctl resource cleanup on each node)
    for (const h of world.hosts.values()) {
      const hbd = h.hbd;
      if (hbd === undefined || world.now - (cleanedAt.get(h.name) ?? -1e9) < 5000) continue;
      // once after the faults (a fail count outlives the failed operation), then whenever one shows
      const failed = hbd.controller.report().resources.some((x) => x.failed.length > 0);
      if (cleanedAt.has(h.name) && !failed) continue;
      cleanedAt.set(h.name, world.now);
      operator(world, groups, "cleanup", h.name);
      return "idle: cleanup asked";
    }
    return wholeProblem(world, s, groups, lastSplitBrainMs());
  };
  const p1 = await until(world, settleMs, check, healed, "after heal");
  if (p1 !== undefined) return p1;

  // The failback rule: a node is lost, its peer takes every group; it comes back. An operator first
  // clears what the run left: failures (fail counts ban a node), and in tandem persona the
  // constraints hb_standby / hb_takeover leave (cli-prefer: the CRM keeps them, Heartbeat has none).
  for (const n of s.nodes) operator(world, groups, "cleanup", n);
  if (s.persona === "tandem") operator(world, groups, "clear", "n1");
  const p0 = await until(world, settleMs, check, healed, "after the operator's cleanup");
  if (p0 !== undefined) return p0;
  const lost = prng.pick(s.nodes);
  const other = s.nodes.find((n) => n !== lost) as string;
  world.log.event(`rule: ${lost} is lost`);
  world.crash(lost);
  const p2 = await until(
    world,
    2 * s.deadtimeMs + 20_000,
    check,
    () => {
      const at = placement(world, groups);
      const off = groups.list.filter((g) => at.get(g.key) !== other);
      return off.length === 0
        ? undefined
        : `takeover: ${other} does not run ${off.map((g) => g.key)} with ${lost} gone`;
    },
    `after ${lost} was lost`,
  );
  if (p2 !== undefined) return p2;
  world.log.event(`rule: ${lost} boots again`);
  world.boot(lost);
  const failback = s.autoFailback !== "off";
  const p3 = await until(
    world,
    settleMs,
    check,
    () => {
      const r = settledOn(world, s) ?? wholeProblem(world, s, groups, lastSplitBrainMs());
      if (r !== undefined) return r;
      const at = placement(world, groups);
      for (const g of groups.list) {
        const want = failback && g.home === lost ? lost : other;
        if (at.get(g.key) !== want)
          return `failback: ${g.key} (home ${g.home}) runs on ${at.get(g.key) || "no single node"}, auto_failback ${s.autoFailback} wants ${want} after ${lost} came back`;
      }
      return undefined;
    },
    `after ${lost} came back`,
  );
  if (p3 !== undefined) return p3;
  if (!s.ipfail) return undefined;

  // ipfail: one node loses every ping node while its peer reaches them: it gives up its groups.
  // Not with auto_failback legacy between R1 nodes: Heartbeat's standby needs nice_failback, and so
  // does ipfail (its hb_standby is refused; r1.ts requestStandby).
  const cut = prng.pick(s.nodes);
  if (s.persona === "heartbeat" && s.autoFailback === "legacy")
    return await sharedLoss(world, s, groups, check, pings);
  const keeps = s.nodes.find((n) => n !== cut) as string;
  world.log.event(`ipfail: ${cut} loses every ping node`);
  pings.cutOff(cut);
  const p4 = await until(
    world,
    2 * s.deadpingMs + 30_000,
    check,
    () => {
      const r = settledOn(world, s);
      if (r !== undefined) return r;
      const at = placement(world, groups);
      const left = groups.list.filter((g) => at.get(g.key) !== keeps);
      return left.length === 0
        ? undefined
        : `ipfail: ${cut} lost its ping nodes, ${keeps} reaches them, yet ${left.map((g) => `${g.key} on ${at.get(g.key) || "no single node"}`)}`;
    },
    `after ${cut} lost its ping nodes`,
  );
  if (p4 !== undefined) return p4;
  world.log.event(`ipfail: ${cut} reaches its ping nodes again`);
  pings.heal();
  const p5 = await until(
    world,
    settleMs,
    check,
    () => settledOn(world, s) ?? wholeProblem(world, s, groups, lastSplitBrainMs()),
    `after ${cut} reached its ping nodes again`,
  );
  if (p5 !== undefined) return p5;
  // Let ipfail's recovery (10 s of equal counts) and any failback happen before the shared loss.
  const p6 = await world.runFor(15_000, check);
  if (p6 !== undefined) return p6;
  const p7 = await until(
    world,
    settleMs,
    check,
    () => settledOn(world, s) ?? wholeProblem(world, s, groups, lastSplitBrainMs()),
    "after ipfail's recovery",
  );
  if (p7 !== undefined) return p7;

  return await sharedLoss(world, s, groups, check, pings);
}

/** Every ping node dies: a shared loss moves nothing. */
async function sharedLoss(
  world: SimWorld,
  s: R1Scenario,
  groups: R1Groups,
  check: () => string | undefined,
  pings: SimPings,
): Promise<string | undefined> {
  const before = placement(world, groups);
  let moved: string | undefined;
  const saved = world.observer;
  world.observer = {
    starting: (h, r) => {
      moved ??= `${r} starts on ${h}`;
      saved.starting(h, r);
    },
    stopping: (h, r) => {
      moved ??= `${r} stops on ${h}`;
      saved.stopping(h, r);
    },
  };
  world.log.event("ipfail: every ping node dies");
  pings.killAll();
  const p8 = await world.runFor(2 * s.deadpingMs + 15_000, check);
  world.observer = saved;
  if (p8 !== undefined) return p8;
  const after = placement(world, groups);
  if (moved !== undefined || [...before].some(([k, v]) => after.get(k) !== v))
    return `ipfail-shared: every ping node died for both nodes, yet ${moved ?? "a group moved"} (before ${[...before].map(([k, v]) => `${k}@${v}`)}, after ${[...after].map(([k, v]) => `${k}@${v}`)})`;
  return undefined;
}

/** `hbctl resource cleanup|clear` of every group on `on`. */
function operator(world: SimWorld, groups: R1Groups, op: "cleanup" | "clear", on: string): void {
  const hbd = world.host(on).hbd;
  if (hbd === undefined) return;
  world.log.event(`hbctl resource ${op} of every group on ${on}`);
  for (const g of groups.list)
    try {
      const p = hbd.command("resource", { op, rsc: g.key });
      if (p instanceof Promise) p.catch(() => {});
    } catch {
      // nothing to do
    }
}

/** The after-heal conditions: each group on one node whole; R1's books true; tandem persona: heal.ts's too. */
function wholeProblem(
  world: SimWorld,
  s: R1Scenario,
  groups: R1Groups,
  lastSplitBrainMs: number,
): string | undefined {
  const g = groupProblem(world, groups, s.persona === "heartbeat");
  if (g !== undefined) return g;
  if (s.persona === "tandem") {
    const h = healProblem(world, [], lastSplitBrainMs);
    if (h !== undefined) return `${h.name}: ${h.detail}`;
  }
  return undefined;
}

/** The random fault and admin actions of the safety phase. */
class R1Actions {
  count = 0;
  private readonly stopping = new WeakSet<object>();

  constructor(
    private readonly world: SimWorld,
    private readonly s: R1Scenario,
    private readonly prng: Prng,
    private readonly pings: SimPings,
  ) {}

  random(): void {
    this.count++;
    const { world, prng, s } = this;
    const hosts = [...world.hosts.values()];
    const alive = hosts.filter((h) => h.alive);
    const down = hosts.filter((h) => !h.alive && !h.pendingBoot);
    const roll = prng.intBetween(0, 99);
    if (roll < 10 && alive.length > 0) {
      world.crash(prng.pick(alive).name);
      return;
    }
    if (roll < 24 && down.length > 0) {
      world.boot(prng.pick(down).name);
      return;
    }
    if (roll < 34) {
      const [a, b] = prng.chance(0.5) ? ["n1", "n2"] : ["n2", "n1"];
      const oneWay = prng.chance(0.3);
      const media = prng.chance(0.3) ? [prng.pick(s.media)] : undefined;
      world.partition([a], [b], oneWay, media);
      world.log.event(`partition ${a} ${oneWay ? "->" : "<->"} ${b}${media ? ` on ${media[0]}` : ""}`);
      return;
    }
    if (roll < 44) {
      world.log.event("heal the network");
      world.heal();
      return;
    }
    if (roll < 66 && alive.length > 0) {
      this.adminCommand(prng.pick(alive).name);
      return;
    }
    if (roll < 74 && s.pingNodes.length > 0) {
      this.pings.random(prng);
      return;
    }
    if (roll < 78 && alive.length > 0) {
      jumpClock(world, prng.pick(alive), prng);
      return;
    }
    if (roll < 82 && alive.length > 0) {
      crashOnNextWrite(world, prng.pick(alive), prng);
      return;
    }
    if (roll < 90 && alive.length > 0) {
      killOneResource(world, prng.pick(alive), prng);
      return;
    }
    if (alive.length > 0) void this.shutdown(prng.pick(alive).name);
  }

  /** hb_standby / hb_takeover [all|foreign|local|failback] on a node, as the real commands send them. */
  private adminCommand(on: string): void {
    const { prng, world } = this;
    const method = prng.pick(["standby", "takeover"] as const);
    const which = prng.pick(["all", "foreign", "local", "failback"]);
    const text = `${method === "standby" ? "hb_standby" : "hb_takeover"} ${which}`;
    const hbd = world.host(on).hbd;
    if (hbd === undefined) return;
    const said = (m: string): void => world.log.event(`${text} on ${on}: ${m}`);
    try {
      const r = hbd.command(method, { which });
      if (r instanceof Promise)
        r.then(
          (x) => said(x.message),
          (e: Error) => said(`refused: ${e.message}`),
        );
      else said((r as { message: string }).message);
    } catch (e) {
      said(`refused: ${(e as Error).message}`);
    }
  }

  /** hbd's SIGTERM: stop local resources, say goodbye, exit. */
  private shutdown(name: string): Promise<void> {
    return shutdownHost(this.world, this.stopping, name);
  }
}
