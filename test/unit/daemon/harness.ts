/** A deterministic cluster of HeartbeatNodes on a MemoryNetwork and a ManualScheduler, plus a tap that sees every frame. */
import { Prng } from "../../../src/base/prng.js";
import { ManualScheduler, MemoryNetwork, type MemoryTransport } from "../../../src/comm/memory.js";
import { type ControlFields, getString, type Message, readControlFields } from "../../../src/comm/message.js";
import type { ReceivedFrame } from "../../../src/comm/transport.js";
import { decodeFrame, verifyFrame } from "../../../src/comm/wire.js";
import { loadHaD } from "../../../src/config/load.js";
import type { ClusterConfig } from "../../../src/config/model.js";
import { HeartbeatNode, type NodeOptions } from "../../../src/daemon/node.js";
import type { MembershipEvent } from "../../../src/membership/types.js";

export const AUTHKEYS = "auth 1\n1 sha1 testsecret\n";
export const EPOCH_MS = 1_800_000_000_000;

/** A ClusterConfig from ha.cf text, loaded the way hbd loads it. */
export function haConfig(hacf: string, local: string, authkeys = AUTHKEYS): ClusterConfig {
  const r = loadHaD({
    hacf: { path: "ha.cf", text: hacf },
    authkeys: { path: "authkeys", text: authkeys, mode: 0o600 },
    haresources: { path: "haresources" },
    localNode: local,
  });
  if (!r.config) throw new Error(`bad test config: ${JSON.stringify(r.diagnostics)}`);
  return r.config;
}

export function timingHaCf(nodes: readonly string[], extra = ""): string {
  return `keepalive 100ms\ndeadtime 1\nwarntime 500ms\ninitdead 2\n${nodes.map((n) => `node ${n}\n`).join("")}crm off\n${extra}`;
}

export interface Tapped {
  readonly frame: ReceivedFrame;
  readonly msg: Message;
  readonly c: ControlFields;
  readonly ok: boolean;
}

/** Decodes and verifies a frame the way a peer would. */
export function open(frame: ReceivedFrame, config: ClusterConfig): Tapped | undefined {
  const d = decodeFrame(frame.data);
  if (!d.ok) return undefined;
  return {
    frame,
    msg: d.msg,
    c: readControlFields(d.msg).control,
    ok: verifyFrame(d, config.auth).verdict.verdict === "ok",
  };
}

export class TestCluster {
  readonly scheduler = new ManualScheduler(10_000);
  readonly net = new MemoryNetwork({ scheduler: this.scheduler, latencyMs: 1 });
  readonly nodes = new Map<string, HeartbeatNode>();
  readonly transports = new Map<string, MemoryTransport>();
  readonly events: { observer: string; e: MembershipEvent }[] = [];
  /** ipfail num_ping_nodes counts each node received (NodePorts.onNumPing). */
  readonly numPings: {
    observer: string;
    from: string;
    count: string | undefined;
    fresh?: string | undefined;
  }[] = [];
  readonly tap: MemoryTransport;
  readonly tapped: Tapped[] = [];
  readonly tickMs = 5;

  constructor(
    readonly names: readonly string[],
    readonly hacf: string = timingHaCf(names),
    private readonly extra: Partial<NodeOptions> = {},
  ) {
    this.tap = this.net.attach("tap", { link: "eth0" });
    const cfg = haConfig(hacf, names[0]!);
    this.tap.onFrame((f) => {
      const t = open(f, cfg);
      if (t) this.tapped.push(t);
    });
  }

  config(name: string): ClusterConfig {
    return haConfig(this.hacf, name);
  }

  /** Creates and starts a node (generation given, default 100). */
  start(name: string, generation = 100, options: Partial<NodeOptions> = {}): HeartbeatNode {
    const t = this.net.attach(name, { link: "eth0" });
    // The tap is not a node: frames to it are only observed.
    const node = new HeartbeatNode(
      {
        config: this.config(name),
        localNode: name,
        generation,
        uuid: uuidOf(name),
        ...this.extra,
        ...options,
      },
      {
        transports: [t],
        clock: this.scheduler,
        wallClockMs: () => EPOCH_MS + this.scheduler.now(),
        prng: new Prng(name.length * 7919 + generation),
        onEvent: (e) => this.events.push({ observer: name, e }),
        onNumPing: (from, count, fresh) =>
          this.numPings.push({ observer: name, from, count, ...(fresh === undefined ? {} : { fresh }) }),
      },
    );
    this.nodes.set(name, node);
    this.transports.set(name, t);
    node.start();
    return node;
  }

  node(name: string): HeartbeatNode {
    const n = this.nodes.get(name);
    if (n === undefined) throw new Error(`no node ${name}`);
    return n;
  }

  /** A crash: the node stops ticking and its endpoint disappears. */
  async crash(name: string): Promise<void> {
    const t = this.transports.get(name);
    this.nodes.delete(name);
    this.transports.delete(name);
    await t?.close();
  }

  /** Advances time by `ms` in tick steps, ticking every live node. */
  run(ms: number): void {
    for (let t = 0; t < ms; t += this.tickMs) {
      this.scheduler.advance(this.tickMs);
      for (const n of this.nodes.values()) n.tick();
    }
  }

  /** Runs until `cond` holds or `maxMs` passes; returns the time it took. */
  runUntil(cond: () => boolean, maxMs: number): number {
    const start = this.scheduler.now();
    while (!cond()) {
      if (this.scheduler.now() - start > maxMs) throw new Error(`condition not met within ${maxMs} ms`);
      this.run(this.tickMs);
    }
    return this.scheduler.now() - start;
  }

  sent(from: string, type?: string): Tapped[] {
    return this.tapped.filter((t) => t.c.src === from && (type === undefined || t.c.t === type));
  }
}

export function uuidOf(name: string): Uint8Array {
  const u = new Uint8Array(16);
  u.set(Buffer.from(name).subarray(0, 16));
  u[15] = 0x42;
  return u;
}

export const typeOf = (m: Message): string | undefined => getString(m, "t");
