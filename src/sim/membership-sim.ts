/**
 * Membership stories on the whole-cluster world: N real composed nodes
 * (daemon/hbd.ts) with no resources, driven step by step, with what each
 * node's membership said (its structured log events) and what each node's
 * view was after every step recorded. Adds to the world what a membership
 * story needs: simulated ping nodes (answering or not, reported to each hbd as
 * its ping monitor does) and an attacker on the wire who replays frames that
 * were delivered and forges frames signed with a wrong key.
 */
import { Prng } from "../base/prng.js";
import type { InFlight } from "../comm/memory.js";
import { decodeFrame, encodeFrame } from "../comm/wire.js";
import { parseAuthkeys } from "../config/authkeys.js";
import type { Timing } from "../config/model.js";
import type { CounterReport } from "../ipc/protocol.js";
import { STARTUP_DEADTIME_BONUS_MS } from "../membership/generation.js";
import { CLEAN_MEDIUM, type MediumFaults } from "./network.js";
import { scenarioCib, scenarioConfigs } from "./scenario.js";
import { SimWorld } from "./world.js";

export interface MembershipSimOptions {
  readonly seed: number;
  readonly nodes: readonly string[];
  readonly timing: Timing;
  /** Default one medium, eth0. */
  readonly media?: readonly string[];
  readonly faults?: MediumFaults;
  /** Simulated ping nodes (ha.cf `ping`), answering until crashed. */
  readonly pingNodes?: readonly string[];
  readonly attack?: { readonly replaysPerSecond: number; readonly forgedPerSecond: number };
}

/** One membership event a node logged, stamped with simulated time. */
export interface SeenEvent {
  readonly observer: string;
  readonly atMs: number;
  readonly kind: string;
  readonly peer?: string;
  readonly status?: string;
  readonly cause?: string;
  readonly silentMs?: number;
  readonly intervalMs?: number;
  readonly generation?: number;
}

/** Counters of frames a node dropped. */
export type Dropped = "replays" | "badAuth" | "duplicates" | "unproven";

interface Captured {
  readonly medium: string;
  readonly frame: InFlight;
  readonly deliveredAtMs: number;
}

const WRONG_KEYS = (() => {
  const p = parseAuthkeys("auth 1\n1 sha1 not-the-cluster-secret\n", "forger-authkeys", 0o600);
  if (p.value === undefined) throw new Error("forger authkeys do not parse");
  return p.value;
})();

export class MembershipSim {
  readonly world: SimWorld;
  readonly seed: number;
  readonly tickMs: number;
  readonly seen: SeenEvent[] = [];
  readonly attackStats = { replaysDelivered: 0, forgedDelivered: 0 };
  private readonly changes: string[] = [];
  private readonly lastView = new Map<string, string>();
  private readonly pingUp = new Map<string, boolean>();
  private readonly captured: Captured[] = [];
  private readonly attackPrng: Prng;
  /** Counters of incarnations that ended (a restart starts them again at 0). */
  private readonly pastCounters = new Map<string, Record<Dropped, number>>();
  private nextPingAtMs = 0;
  private nextAttackAtMs = 0;

  constructor(private readonly options: MembershipSimOptions) {
    const { timing } = options;
    this.seed = options.seed;
    const media = options.media ?? ["eth0"];
    const scenario = {
      nodes: options.nodes,
      media,
      keepaliveMs: timing.keepaliveMs,
      deadtimeMs: timing.deadtimeMs,
      stonith: false,
      primitives: [],
      groupMembers: [],
      faults: {},
      agentFaults: { failProbability: 0, hangProbability: 0, durationMsMax: 5 },
      fenceFailProbability: 0,
      actionEveryMs: 0,
    };
    const extra = [
      `warntime ${timing.warntimeMs}ms`,
      `initdead ${timing.initdeadMs}ms`,
      `deadping ${timing.deadpingMs}ms`,
      ...(options.pingNodes ?? []).map((p) => `ping ${p}`),
    ];
    this.world = new SimWorld({
      seed: options.seed,
      nodes: options.nodes,
      media,
      configs: scenarioConfigs(scenario, extra),
      initialCib: scenarioCib(scenario),
      agentFaults: scenario.agentFaults,
      fenceFailProbability: 0,
    });
    this.tickMs = this.world.tickMs;
    this.attackPrng = new Prng(options.seed ^ 0x5eed);
    for (const p of options.pingNodes ?? []) this.pingUp.set(p, true);
    this.setFaults(options.faults ?? CLEAN_MEDIUM);
    this.world.log.observe = (node, obj) => this.record(node, obj);
    if (options.attack !== undefined) this.world.frameObserver = (m, f, d) => this.capture(m, f, d);
    for (const n of options.nodes) this.world.boot(n);
  }

  get nowMs(): number {
    return this.world.now;
  }

  async runFor(ms: number): Promise<void> {
    const problem = await this.world.runFor(ms, () => {
      this.pingStep();
      this.attackStep();
      this.recordViews();
      return undefined;
    });
    // the check above finds nothing: a problem is the world's own (a livelock), and a story must not pass it
    if (problem !== undefined) throw new Error(problem);
  }

  setFaults(f: MediumFaults): void {
    for (const m of this.world.networks.keys()) this.world.setFaults(m, f);
  }

  crash(name: string): void {
    if (this.pingUp.has(name)) {
      this.pingUp.set(name, false);
      return;
    }
    this.keepCounters(name);
    this.world.crash(name);
  }

  restart(name: string): void {
    if (this.pingUp.has(name)) this.pingUp.set(name, true);
    else this.world.boot(name);
  }

  /** A clean shutdown as hbd does it with no resources: the goodbye, then exit. */
  shutdown(name: string): void {
    const hbd = this.world.host(name).hbd;
    if (hbd === undefined) return;
    hbd.beginShutdown();
    hbd.finishShutdown();
    this.keepCounters(name);
    this.world.host(name).stop("shut down");
  }

  partition(
    a: readonly string[],
    b: readonly string[],
    o: { oneWay?: boolean; media?: string[] } = {},
  ): void {
    this.world.partition(a, b, o.oneWay ?? false, o.media);
  }

  heal(): void {
    this.world.heal();
  }

  generation(name: string): number {
    return this.world.host(name).disk.generation;
  }

  counters(name: string): CounterReport {
    const hbd = this.world.host(name).hbd;
    if (hbd === undefined) throw new Error(`${name} is down`);
    return hbd.report(0).counters;
  }

  /** Replays (or forged frames) `name` dropped over all its incarnations. */
  dropped(name: string, what: Dropped): number {
    const hbd = this.world.host(name).hbd;
    return (
      (this.pastCounters.get(name)?.[what] ?? 0) + (hbd === undefined ? 0 : hbd.report(0).counters[what])
    );
  }

  /** How `observer` sees each other node (and ping node). */
  view(observer: string): Record<string, string> {
    const hbd = this.world.host(observer).hbd;
    if (hbd === undefined) throw new Error(`${observer} is down`);
    const out: Record<string, string> = {};
    for (const n of hbd.report(0).nodes) if (!n.local) out[n.name] = n.status;
    return out;
  }

  /** The status of `observer`'s link to `peer` on `medium`. */
  link(observer: string, peer: string, medium: string): string | undefined {
    const hbd = this.world.host(observer).hbd;
    const n = hbd?.report(0).nodes.find((x) => x.name === peer);
    return n?.links.find((l) => l.name === medium)?.status;
  }

  events(filter: (e: SeenEvent) => boolean = () => true): SeenEvent[] {
    return this.seen.filter(filter);
  }

  deaths(afterMs = 0): SeenEvent[] {
    return this.seen.filter((e) => e.kind === "node-status" && e.status === "dead" && e.atMs >= afterMs);
  }

  /** "atMs observer: peer status" for every change of a view, as recorded after each step. */
  viewChanges(): string[] {
    return [...this.changes];
  }

  expectStatus(observer: string, expected: Record<string, string>): void {
    const view = this.view(observer);
    for (const [peer, status] of Object.entries(expected))
      if (view[peer] !== status)
        this.fail(`${observer} sees ${JSON.stringify(view)}, expected ${peer} ${status}`);
  }

  /** Every live node sees every other live node active. */
  expectWhole(): void {
    const live = this.options.nodes.filter((n) => this.world.host(n).alive);
    for (const o of live)
      this.expectStatus(o, Object.fromEntries(live.filter((n) => n !== o).map((n) => [n, "active"])));
  }

  private fail(what: string): never {
    throw new Error(
      `at t=${this.nowMs} ms: ${what}\nlast view changes:\n${this.changes.slice(-10).join("\n")}\nseed=${this.seed}`,
    );
  }

  private record(node: string, obj: object): void {
    const o = obj as Record<string, unknown>;
    if (typeof o.event !== "string") return;
    const num = (k: string) => (typeof o[k] === "number" ? { [k]: o[k] as number } : {});
    const str = (k: string, from = k) => (typeof o[from] === "string" ? { [k]: o[from] as string } : {});
    this.seen.push({
      observer: node,
      atMs: this.nowMs,
      kind: o.event,
      ...str("peer"),
      ...str("status"),
      ...str("cause"),
      ...num("silentMs"),
      ...num("intervalMs"),
      ...num("generation"),
    });
  }

  private recordViews(): void {
    for (const [name, host] of this.world.hosts) {
      if (host.hbd === undefined) continue;
      for (const n of host.hbd.report(0).nodes) {
        if (n.local) continue;
        const key = `${name}\u0000${n.name}`;
        if (this.lastView.get(key) === n.status) continue;
        this.lastView.set(key, n.status);
        this.changes.push(`${this.nowMs} ${name}: ${n.name} ${n.status}`);
      }
    }
  }

  private keepCounters(name: string): void {
    const hbd = this.world.host(name).hbd;
    if (hbd === undefined) return;
    const c = hbd.report(0).counters;
    const past = this.pastCounters.get(name);
    const sum = (k: Dropped) => (past?.[k] ?? 0) + c[k];
    this.pastCounters.set(name, {
      replays: sum("replays"),
      badAuth: sum("badAuth"),
      duplicates: sum("duplicates"),
      unproven: sum("unproven"),
    });
  }

  /** Each live node's ping monitor: a reply from every answering ping node, once per keepalive. */
  private pingStep(): void {
    if (this.pingUp.size === 0 || this.nowMs < this.nextPingAtMs) return;
    this.nextPingAtMs = this.nowMs + this.options.timing.keepaliveMs;
    for (const host of this.world.hosts.values())
      for (const [p, up] of this.pingUp) if (up) host.hbd?.onPing(p, true);
  }

  private capture(medium: string, frame: InFlight, decision: "drop" | number[]): void {
    if (decision === "drop" || decision.length === 0) return;
    this.captured.push({ medium, frame, deliveredAtMs: frame.sentAtMs + Math.max(...decision) });
    if (this.captured.length > 400) this.captured.splice(0, 200);
  }

  /** Replays a frame delivered earlier, and forges one, at the attack's rates; no world randomness used. */
  private attackStep(): void {
    const a = this.options.attack;
    if (a === undefined || this.nowMs < this.nextAttackAtMs) return;
    this.nextAttackAtMs = this.nowMs + this.tickMs;
    const perStep = (rate: number) => Math.floor((rate * this.tickMs) / 1000 + this.attackPrng.float());
    const old = this.captured.filter((c) => c.deliveredAtMs < this.nowMs);
    if (old.length === 0) return;
    for (let i = perStep(a.replaysPerSecond); i > 0; i--) {
      const c = this.attackPrng.pick(old);
      if (this.inject(c, c.frame.data)) this.attackStats.replaysDelivered++;
    }
    for (let i = perStep(a.forgedPerSecond); i > 0; i--) {
      const c = this.attackPrng.pick(old);
      const d = decodeFrame(c.frame.data);
      if (!d.ok) continue;
      if (this.inject(c, encodeFrame(d.msg, WRONG_KEYS, d.format))) this.attackStats.forgedDelivered++;
    }
  }

  private inject(c: Captured, data: Uint8Array): boolean {
    const endpoint = this.world.hosts.get(c.frame.to)?.endpoint(c.medium);
    if (endpoint === undefined) return false;
    endpoint.receive(data.slice(), c.frame.from);
    return true;
  }
}

/**
 * Membership's safety invariant for random whole-cluster runs: no node sees a
 * peer alive once the peer has been down longer than the peer may have
 * advertised as its deadtime (plus the start-up bonus; initdead before the
 * observer's comm-up), a tick and the
 * longest delivery (2 keepalives bound it in the scenarios).
 */
export function phantomLife(world: SimWorld): string | undefined {
  for (const [name, host] of world.hosts) {
    if (host.hbd === undefined) continue;
    const report = host.hbd.report(0);
    const t = report.timing;
    // Before comm-up an observer waits initdead; a peer in its first 5 s advertises deadtime + 2 s.
    const silence = Math.max(t.initdeadMs, t.deadtimeMs + STARTUP_DEADTIME_BONUS_MS);
    const bound = silence + world.tickMs + 2 * t.keepaliveMs;
    for (const n of report.nodes) {
      const peer = world.hosts.get(n.name);
      // Never heard (a fresh observer's "init") is no life; nor is "dead".
      if (n.local || peer?.crashedAtMs === undefined || n.status === "dead" || n.lastHeardAgeMs === undefined)
        continue;
      const downMs = world.now - peer.crashedAtMs;
      if (downMs > bound) return `phantom-life: ${name} sees ${n.name} ${n.status}, down for ${downMs} ms`;
    }
  }
  return undefined;
}
