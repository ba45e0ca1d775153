/**
 * haresources-mode parts of the simulated world (r1-run.ts): simulated ping
 * nodes reported to each hbd as its ping monitor does (comm/ping.ts: a
 * reply every interval from each ping node it reaches, `down` after deadping
 * of silence), and the after-heal group checks:
 *
 * - one-node: each group runs whole (every member) on exactly one node, and
 *   no member runs anywhere else;
 * - held-true (heartbeat persona): a node's resource protocol holds (reports
 *   in `held`) exactly the groups the fake agents run there.
 */
import type { Prng } from "../base/prng.js";
import { PingReachability, pingIntervalMs } from "../comm/ping.js";
import type { Hbd } from "../daemon/hbd.js";
import type { SimWorld } from "./world.js";

export interface R1Groups {
  /** Each haresources group: its key (R1's name for it), home node and member primitives in order. */
  readonly list: readonly {
    readonly key: string;
    readonly home: string;
    readonly members: readonly string[];
  }[];
}

/** The first after-heal group problem, or undefined. */
export function groupProblem(world: SimWorld, groups: R1Groups, r1Decides: boolean): string | undefined {
  const hosts = [...world.hosts.values()].filter((h) => h.alive);
  for (const g of groups.list) {
    const whole = hosts.filter((h) => g.members.every((m) => h.agents.isRunning(m))).map((h) => h.name);
    const some = hosts.filter((h) => g.members.some((m) => h.agents.isRunning(m))).map((h) => h.name);
    if (whole.length !== 1 || some.length !== 1)
      return `one-node: group ${g.key} (${g.members.join(" ")}) runs whole on [${whole}], partly on [${some}]`;
  }
  if (!r1Decides) return undefined;
  for (const h of hosts) {
    const held = new Set(h.hbd?.r1.report().held ?? []);
    for (const g of groups.list) {
      const runs = g.members.every((m) => h.agents.isRunning(m));
      if (held.has(g.key) !== runs)
        return `held-true: ${h.name}'s resource protocol ${held.has(g.key) ? "holds" : "does not hold"} ${g.key}, which ${runs ? "runs" : "does not run"} there`;
    }
  }
  return undefined;
}

/** Ping nodes answering (or not) each host, reported to its hbd as the ping monitor would. */
export class SimPings {
  private readonly up = new Map<string, boolean>();
  /** host|ping node pairs that cannot reach each other. */
  private readonly cut = new Set<string>();
  private readonly monitors = new Map<
    string,
    { hbd: Hbd; nextAtMs: number; nodes: Map<string, PingReachability> }
  >();
  private readonly intervalMs: number;

  constructor(
    private readonly world: SimWorld,
    readonly nodes: readonly string[],
    keepaliveMs: number,
    private readonly deadpingMs: number,
  ) {
    for (const p of nodes) this.up.set(p, true);
    this.intervalMs = pingIntervalMs(keepaliveMs, deadpingMs);
  }

  reaches(host: string, p: string): boolean {
    return this.up.get(p) === true && !this.cut.has(`${host}|${p}`);
  }

  /** After every step: replies and deadping verdicts to each live hbd. */
  step(): void {
    if (this.nodes.length === 0) return;
    const now = this.world.now;
    for (const h of this.world.hosts.values()) {
      const hbd = h.hbd;
      if (hbd === undefined) {
        this.monitors.delete(h.name);
        continue;
      }
      let m = this.monitors.get(h.name);
      if (m === undefined || m.hbd !== hbd) {
        m = {
          hbd,
          nextAtMs: now,
          nodes: new Map(this.nodes.map((p) => [p, new PingReachability(p, this.deadpingMs, now)])),
        };
        this.monitors.set(h.name, m);
      }
      const send = now >= m.nextAtMs;
      if (send) m.nextAtMs = now + this.intervalMs;
      for (const [p, r] of m.nodes) {
        if (send && this.reaches(h.name, p)) {
          r.reply(p, now);
          hbd.onPing(p, true);
        } else if (r.tick(now) !== undefined) hbd.onPing(p, false);
        if (h.hbd !== hbd) break; // a crash during the call
      }
    }
  }

  /** A random ping fault: a ping node dies or returns, a host is cut from one or gets it back. */
  random(prng: Prng): void {
    const p = prng.pick(this.nodes);
    const roll = prng.intBetween(0, 3);
    if (roll === 0) this.up.set(p, !this.up.get(p));
    else {
      const h = prng.pick([...this.world.hosts.keys()]);
      const k = `${h}|${p}`;
      if (this.cut.has(k)) this.cut.delete(k);
      else this.cut.add(k);
    }
    this.world.log.event(
      `ping: ${[...this.up].map(([n, u]) => `${n} ${u ? "up" : "dead"}`).join(", ")}; cut ${[...this.cut].join(" ") || "none"}`,
    );
  }

  heal(): void {
    for (const p of this.nodes) this.up.set(p, true);
    this.cut.clear();
  }

  cutOff(host: string): void {
    for (const p of this.nodes) this.cut.add(`${host}|${p}`);
  }

  killAll(): void {
    for (const p of this.nodes) this.up.set(p, false);
  }
}
