/**
 * HeartbeatNode: one cluster node composed from ports (transports, clock,
 * PRNG, logger) around the pure Membership state machine and the wire codec.
 * Deterministic: it owns no timer and reads no file; the real shell (main.ts)
 * calls `tick()` from its loop and hands received frames to `receive()`, and
 * tests drive the same object on a MemoryNetwork and a manual clock.
 *
 * What a Heartbeat 3.0.6 peer sees from it (reference heartbeat.md 3.6-3.14):
 * - `status` every keepalive on every medium (netstring frames on UDP and
 *   memory media, classic on serial), fields `t st dt protocol` then the
 *   control fields `src srcuuid seq hg ts ld ttl auth`; `st` goes init, up,
 *   then active after the reqnodes/repnodes step; one extra status whenever
 *   the local status changes; `dt` is deadtime + 2 s for the first 5 s;
 * - `repnodes dest=X nodelist="n1 n2 " delnodelist=" "` for every `reqnodes`;
 *   `reqnodes dest=<first live peer>` at comm-up, retried every second until
 *   `repnodes` arrives (skipped, like Heartbeat, once a peer without
 *   `protocol` has been heard: flow control off);
 * - `NS_ackmsg dest=X ackseq=S` for a peer's in-order sequenced messages with
 *   S % 10 equal to a random per-peer phase;
 * - retransmits of its last 500 sequenced messages on `NS_rexmit` (at most 50
 *   per request, none again within max_rexmit_delay - 10 ms, none the peer has
 *   ACKed), `NS_nak_rexmit` below the window; `NS_rexmit` requests of its own
 *   from membership's gap tracking;
 * - on shutdown `resource rsc_hold=none rtype=full isstable=0 info=shutdown`
 *   then `shutdone st=dead`, and nothing after that.
 * Every received frame is decoded, its signature checked, its control fields
 * read; failures are dropped and counted (bad auth, malformed, replay,
 * unknown node) and logged at most once per interval per kind.
 */
import { type Logger, silentLogger } from "../base/ports.js";
import type { Prng } from "../base/prng.js";
import {
  F,
  getString,
  isUnsequencedType,
  type Message,
  message,
  parseDecimal,
  parseHex,
  readControlFields,
  str,
  toHex,
  withControlFields,
} from "../comm/message.js";
import { type Clock, linkName, type ReceivedFrame, type Transport } from "../comm/transport.js";
import { decodeFrame, encodeFrame, frameVerdict } from "../comm/wire.js";
import type { FrameFormat } from "../comm/wire-types.js";
import type { AuthKeys, ClusterConfig } from "../config/model.js";
import type { CounterReport, LinkReport, MediumReport, NodeReport, StatusReport } from "../ipc/protocol.js";
import { advertisedDeadtimeMs } from "../membership/generation.js";
import { Membership } from "../membership/membership.js";
import type { IncomingHeartbeat, MembershipEvent, PeerMark } from "../membership/types.js";
import { ECHO_FIELD, type FrameFacts, Freshness, NONCE_FIELD, newNonce } from "./freshness.js";
import { FRESH_FIELD, NUM_PING_FIELD, NUM_PING_TYPE, YOU_ARE_DEAD_TYPE } from "./ipfail.js";
import { R1_TYPES } from "./r1.js";

/** The string fields of a message, by name (the first of each name). */
function stringFields(msg: Message): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of msg.fields) if (f.kind === "string" && !out.has(f.name)) out.set(f.name, f.value);
  return out;
}

/** The subset of pino's API the node uses (base/ports.ts Logger). */
export type NodeLogger = Logger;
export { silentLogger };

export interface NodePorts {
  /** Opened media; the node registers its frame handler on each in `start()`. */
  readonly transports: readonly Transport[];
  /** Monotonic milliseconds (liveness, timers). */
  readonly clock: Clock;
  /** Wall-clock milliseconds since the Unix epoch (the `ts` field). */
  readonly wallClockMs: () => number;
  /** Retransmit jitter and ACK phases. */
  readonly prng: Prng;
  readonly log?: NodeLogger;
  /** /proc/loadavg text for the `ld` field. */
  readonly loadavg?: () => string;
  /** Every membership event, after the node has acted on it (the resource manager's input). */
  readonly onEvent?: (e: MembershipEvent) => void;
  /** Around the events of one step ("begin", then onEvent for each, then "end"): decide after all. */
  readonly onEventBatch?: (phase: "begin" | "end") => void;
  /** The payload of every accepted `t=tandem-crm` message addressed to us (or to all), with its sender. */
  readonly onCrm?: (from: string, payload: string) => void;
  /** A message of Heartbeat's haresources resource protocol (r1.ts R1_TYPES) for us, as string fields. */
  readonly onLegacy?: (from: string, fields: ReadonlyMap<string, string>) => void;
  /** ipfail's `num_ping_nodes` for us (or all): the sender's ping node count (daemon/ipfail.ts). */
  readonly onNumPing?: (from: string, count: string | undefined, fresh: string | undefined) => void;
  /** ipfail's `you_are_dead` for us: the sender's ipfail reaches more ping nodes than we said we do. */
  readonly onYouAreDead?: (from: string) => void;
}

/** Message type and field of the resource manager's messages (sequenced, signed like every message). */
export const CRM_TYPE = "tandem-crm";
export const CRM_FIELD = "crm";
/**
 * Field every Tandem status message carries (value: the CRM protocol
 * version). A peer whose status lacks it is a Heartbeat node: Heartbeat
 * ignores fields it does not know, and never sends this one.
 */
export const TANDEM_FIELD = "tandem";
export const TANDEM_PROTOCOL = "1";
/** Largest CRM payload sent: Heartbeat's MAXMSG minus room for the control fields and signature. */
export const MAX_CRM_PAYLOAD = 250 * 1024;

export interface NodeOptions {
  readonly config: ClusterConfig;
  /** This node's name (lower-cased here). */
  readonly localNode: string;
  /** `hg` of this run (persisted by the shell). */
  readonly generation: number;
  /** 16 bytes, the `srcuuid` field. */
  readonly uuid: Uint8Array;
  /** Sequenced messages kept for retransmission. Default 500 (Heartbeat's). */
  readonly historySize?: number;
  /** Least interval between two log lines of one kind of dropped frame, ms. Default 10000. */
  readonly dropLogIntervalMs?: number;
  /** reqnodes retry interval, ms. Default 1000 (Heartbeat's). */
  readonly reqnodesRetryMs?: number;
  /** Version string for status reports. */
  readonly version?: string;
  /** Heartbeat's hopfudge (ttl = nodes + ping nodes + hopfudge). Default 1. */
  readonly hopfudge?: number;
  /** Membership stall compensation: gaps between inputs beyond this are not silence (off when absent). */
  readonly stallGapMs?: number;
  /**
   * Peers' high-water marks (generation, last seq) from the previous run
   * (peer-marks.ts): their frames at or below them are replays.
   */
  readonly peerMarks?: ReadonlyMap<string, PeerMark>;
}

/**
 * The shell's tick period: a quarter of keepalive and a twentieth of
 * deadtime, within 5..100 ms, so deaths are declared at most one tick late.
 */
export function tickPeriodMs(keepaliveMs: number, deadtimeMs: number): number {
  return Math.max(5, Math.min(100, Math.floor(Math.min(keepaliveMs / 4, deadtimeMs / 20))));
}

/** Heartbeat serves at most this many packets per NS_rexmit. */
export const MAX_REXMIT_PER_REQUEST = 50;
export const DEFAULT_HISTORY = 500;
const DEFAULT_LOADAVG = "0.00 0.00 0.00 1/1 1";

interface PeerInfo {
  readonly name: string;
  uuid?: Uint8Array;
  /** Highest generation accepted from it (NS_ messages below are stale). */
  generation?: number;
  /** Whether its last status carried `protocol` (it does ACK flow control). */
  protocol: boolean;
  /** ACK a sequenced message when seq % 10 equals this. */
  readonly ackPhase: number;
  /** Highest of our seqs it has ACKed (for this generation of ours: always). */
  ackedSeq?: number;
  /**
   * The generation in which it sent `shutdone`. Heartbeat keeps sending
   * `st=active` for about 2 s after it; those must not revive it.
   */
  leftInGeneration?: number | undefined;
  /** What its status messages say it runs: Tandem (TANDEM_FIELD) or Heartbeat; set per status. */
  kind?: "tandem" | "heartbeat";
  /** (hg, seq) of its newest num_ping_nodes delivered: a retransmitted older one is stale. */
  numPingMark?: { readonly hg: number; readonly seq: number };
}

/**
 * A sent sequenced message, kept for retransmission. Kept as the netstring frame it went out as
 * (with the keys that signed it), not as its Message: at keepalive 10 ms the last 500 messages
 * lived ~5 s, long enough for V8 to move them to the old generation, where ~2.4 KB of objects per
 * message (0.24 MB/s) piled up until a full collection: ~3.5 MB of hbd's RSS (issue 15). The
 * frame is held as a latin1 string (one byte per character, lossless): a single ~400-byte heap
 * object (a Uint8Array of its own is three objects and a malloc'd backing store, freed only by a
 * full collection too). A retransmit re-sends the same bytes when the keys are unchanged
 * (signing is deterministic: the bytes re-encoding would give) and decodes the frame back to the
 * message otherwise (keys reloaded, or a serial medium's classic format). A message no netstring
 * frame was made of (serial media only, or encoding failed) is kept as it is.
 */
type HistoryEntry =
  | { readonly frame: string; readonly keys: AuthKeys; lastSentAtMs: number }
  | { readonly msg: Message; lastSentAtMs: number };

/** The message a history frame was encoded from (its inner `auth` field is replaced when re-signed). */
function historyMessage(frame: Uint8Array): Message | undefined {
  const d = decodeFrame(frame);
  return d.ok ? d.msg : undefined;
}

type MutableCounters = { -readonly [K in keyof CounterReport]: number };

/** One cluster node's messaging and membership. */
export class HeartbeatNode {
  readonly localNode: string;
  readonly generation: number;
  private readonly config: ClusterConfig;
  private readonly ports: NodePorts;
  private readonly log: NodeLogger;
  private readonly membership: Membership;
  private readonly peers = new Map<string, PeerInfo>();
  private readonly history = new Map<number, HistoryEntry>();
  private readonly historySize: number;
  private readonly startMs: number;
  private readonly ttl: number;
  private readonly reqnodesRetryMs: number;
  private readonly dropLog: RateLimiter;
  private readonly version: string;
  private readonly uuid: Uint8Array;
  private readonly counters: MutableCounters = {
    badAuth: 0,
    malformed: 0,
    replays: 0,
    unproven: 0,
    unknownNode: 0,
    duplicates: 0,
    gapPackets: 0,
    packetsLost: 0,
    retransmitRequestsSent: 0,
    retransmitsServed: 0,
    lateHeartbeats: 0,
    framesSent: 0,
    framesReceived: 0,
    sendErrors: 0,
  };
  private keys: AuthKeys;
  private nextSeq = 1;
  private nextStatusAtMs = 0;
  private flowControl = true;
  /** Waiting for repnodes after comm-up: whom we asked and when. */
  private awaitingRepnodes: { peer: string; askedAtMs: number } | undefined;
  private state: "new" | "running" | "stopped" = "new";
  private readonly unsubscribe: (() => void)[] = [];
  /** Event-loop lag as measured by the shell, for status reports. */
  lag = { lagMs: 0, maxLagMs: 0 };
  /** Open media: those given at construction plus those added later. */
  private readonly transports: Transport[];
  /** Every configured link, open or not. */
  private readonly linkNames: string[];
  /** Nonce echo between Tandem peers (freshness.ts). */
  private readonly freshness: Freshness;

  constructor(options: NodeOptions, ports: NodePorts) {
    this.config = options.config;
    this.ports = ports;
    this.log = ports.log ?? silentLogger;
    this.localNode = options.localNode.toLowerCase();
    this.generation = options.generation;
    this.keys = options.config.auth;
    this.historySize = options.historySize ?? DEFAULT_HISTORY;
    this.reqnodesRetryMs = options.reqnodesRetryMs ?? 1000;
    this.dropLog = new RateLimiter(options.dropLogIntervalMs ?? 10_000);
    this.version = options.version ?? "0.1.0";
    this.uuid = options.uuid;
    this.startMs = ports.clock.now();
    const cfg = options.config;
    this.ttl = cfg.nodes.length + cfg.pingNodes.length + (options.hopfudge ?? 1);
    this.transports = [...ports.transports];
    // Links come from the configuration too, so a medium that could not be opened yet (an interface
    // without carrier at boot) is tracked, and shown, as a dead link until addTransport() brings it.
    const media = [...new Set([...cfg.media.map(linkName), ...ports.transports.map((t) => t.link)])];
    this.linkNames = media;
    this.membership = new Membership({
      localNode: this.localNode,
      nodes: cfg.nodes,
      pingNodes: cfg.pingNodes.map((p) => p.name),
      media,
      timing: cfg.timing,
      maxRexmitDelayMs: cfg.maxRexmitDelayMs,
      activateOnCommUp: false,
      prng: ports.prng.fork(),
      startMs: this.startMs,
      ...(options.stallGapMs === undefined ? {} : { stallGapMs: options.stallGapMs }),
    });
    if (options.peerMarks !== undefined) this.membership.seedMarks(options.peerMarks);
    for (const name of cfg.nodes) {
      if (name === this.localNode || this.peers.has(name)) continue;
      this.peers.set(name, { name, protocol: true, ackPhase: ports.prng.intBetween(0, 9) });
    }
    this.freshness = new Freshness(this.localNode, newNonce(ports.prng));
    this.freshness.seed(options.peerMarks?.keys() ?? []);
  }

  // ------------------------------------------------------------ lifecycle

  /**
   * Adds a medium opened after construction (the shell retries media that
   * failed to open). Its frames are received from now on; heartbeats go out on
   * it from the next keepalive.
   */
  addTransport(t: Transport): void {
    if (this.transports.includes(t)) return;
    this.transports.push(t);
    if (this.state === "running") this.unsubscribe.push(t.onFrame((f) => this.receive(f)));
    this.log.info({ event: "medium-added", medium: t.id, link: t.link }, `medium ${t.id} is open`);
  }

  /** Peers' newest accepted generation and seq, to persist for the next run (peer-marks.ts). */
  peerMarks(): Map<string, PeerMark> {
    return this.membership.marks();
  }

  /** Registers the frame handlers and announces this node: status `init`, then `up`. */
  start(): void {
    if (this.state !== "new") return;
    this.state = "running";
    for (const t of this.transports) {
      this.unsubscribe.push(t.onFrame((f) => this.receive(f)));
    }
    const now = this.ports.clock.now();
    this.log.info(
      { event: "start", generation: this.generation, media: this.transports.map((t) => t.id) },
      `starting node ${this.localNode} generation ${this.generation}`,
    );
    this.sendStatus(now);
    this.handle(this.membership.localStarted(now));
    this.nextStatusAtMs = now + this.config.timing.keepaliveMs;
  }

  /**
   * Runs due work: membership timeouts (deaths, link deaths, comm-up,
   * retransmit requests), the periodic status, the reqnodes retry.
   */
  tick(): void {
    if (this.state !== "running") return;
    const now = this.ports.clock.now();
    this.handle(this.membership.tick(now));
    if (now >= this.nextStatusAtMs) {
      this.sendStatus(now);
      const k = this.config.timing.keepaliveMs;
      // After a stall, resume the rhythm from now instead of sending a burst.
      this.nextStatusAtMs = now - this.nextStatusAtMs >= k ? now + k : this.nextStatusAtMs + k;
    }
    const wait = this.awaitingRepnodes;
    if (wait !== undefined && now - wait.askedAtMs >= this.reqnodesRetryMs) this.askNodes(now);
  }

  /** The earliest monotonic time at which `tick` has something to do (never, unless running). */
  nextWakeMs(): number {
    if (this.state !== "running") return Number.POSITIVE_INFINITY;
    const retry =
      this.awaitingRepnodes === undefined
        ? Number.POSITIVE_INFINITY
        : this.awaitingRepnodes.askedAtMs + this.reqnodesRetryMs;
    return Math.min(this.membership.nextWakeMs(), this.nextStatusAtMs, retry);
  }

  /**
   * Leaves the cluster as Heartbeat does: `resource ... info=shutdown`, then
   * `shutdone st=dead` on every medium; no message after that. The caller
   * closes the transports (after a short delay, so the datagrams leave).
   */
  shutdown(): void {
    if (this.state !== "running") {
      this.state = "stopped";
      return;
    }
    const now = this.ports.clock.now();
    this.send(
      message(
        str(F.type, "resource"),
        str("rsc_hold", "none"),
        str("rtype", "full"),
        str("isstable", "0"),
        str("info", "shutdown"),
      ),
      now,
    );
    this.send(message(str(F.type, "shutdone"), str(F.status, "dead")), now);
    this.state = "stopped";
    this.handle(this.membership.localShutdown(now));
    for (const u of this.unsubscribe) u();
    this.log.info({ event: "shutdown" }, `node ${this.localNode} left the cluster (shutdone sent)`);
  }

  /** Replaces the keys (SIGHUP). Frames are signed with the new active key from now on. */
  setAuthKeys(keys: AuthKeys): void {
    this.keys = keys;
    this.log.info({ event: "authkeys-reloaded", active: keys.active }, "authkeys reloaded");
  }

  /** A ping node answered (or the monitor reports it down, which membership ignores). */
  onPing(node: string, up: boolean): void {
    if (this.state !== "running") return;
    this.handle(this.membership.onPingResult({ node, up, atMs: this.ports.clock.now() }));
  }

  // ------------------------------------------------------------ receiving

  /** One frame from a transport: decode, authenticate, read, then act. Never throws for bad input. */
  receive(frame: ReceivedFrame): void {
    if (this.state !== "running") return;
    this.counters.framesReceived++;
    const now = frame.receivedAtMs;
    const decoded = decodeFrame(frame.data);
    if (!decoded.ok) {
      this.drop("malformed", frame, decoded.error.reason);
      return;
    }
    const check = frameVerdict(decoded, this.keys);
    if (check.verdict !== "ok") {
      const why =
        check.verdict === "malformed"
          ? check.reason
          : check.verdict === "unknown-key"
            ? `unknown key index ${check.keyIndex}`
            : `bad ${check.method} signature (key ${check.keyIndex})`;
      this.drop("badAuth", frame, why);
      return;
    }
    const { control: c, problems } = readControlFields(decoded.msg);
    const t = c.t;
    const src = c.src?.toLowerCase();
    if (problems.length > 0 || t === undefined || src === undefined) {
      this.drop("malformed", frame, problems.join("; ") || "missing t or src");
      return;
    }
    if (src === this.localNode) return; // our own frame looped back (bcast, mcast loop)
    const peer = this.peers.get(src);
    if (peer === undefined) {
      this.drop("unknownNode", frame, `bad node [${src}] in message`);
      return;
    }
    const dest = c.dest?.toLowerCase();
    const forUs = dest === undefined || dest === this.localNode;
    if (isUnsequencedType(t)) {
      if (peer.generation !== undefined && (c.hg === undefined || c.hg < peer.generation)) {
        this.drop("replays", frame, `${t} from ${src} with generation ${c.hg} < ${peer.generation}`);
        return;
      }
      if (c.srcuuid !== undefined) peer.uuid = c.srcuuid;
      if (forUs) this.onUnsequenced(peer, t, decoded.msg, now, frame);
      return;
    }
    if (c.hg === undefined || c.seq === undefined) {
      this.drop("malformed", frame, `${t} without hg or seq`);
      return;
    }
    const refusedBefore = this.membership.refusedFrames();
    const leaving = peer.leftInGeneration !== undefined && c.hg <= peer.leftInGeneration;
    const incoming = this.incoming(leaving ? "" : t, c.st, c.dtMs, src, frame.link, c.hg, c.seq, now);
    const facts: FrameFacts = {
      status: t === "status",
      generation: c.hg,
      nonce: getString(decoded.msg, NONCE_FIELD),
      echo: getString(decoded.msg, ECHO_FIELD),
    };
    if (this.freshnessHeld(src, facts, incoming, now)) return;
    const events = this.membership.onHeartbeat(incoming);
    const accepted = this.membership.refusedFrames() === refusedBefore;
    if (accepted) {
      if (c.srcuuid !== undefined) peer.uuid = c.srcuuid;
      this.freshness.accepted(src, facts);
      if (peer.generation === undefined || c.hg > peer.generation) peer.generation = c.hg;
      if (t === "shutdone") peer.leftInGeneration = c.hg;
      else if (peer.leftInGeneration !== undefined && c.hg > peer.leftInGeneration)
        peer.leftInGeneration = undefined;
      // Before acting on comm-up: a peer without `protocol` means no reqnodes step.
      if (t === "status") {
        this.noteProtocol(peer, c.protocol !== undefined, now);
        // Before the membership events: who hears of this peer depends on what it runs.
        peer.kind = getString(decoded.msg, TANDEM_FIELD) === undefined ? "heartbeat" : "tandem";
      }
    }
    this.handle(events);
    if (!accepted) return;
    if (this.flowControl && peer.protocol && c.seq % 10 === peer.ackPhase) this.sendAck(peer, c.seq, now);
    if (!forUs) return;
    if (t === "reqnodes") this.sendRepnodes(peer, now);
    else if (t === "repnodes") this.onRepnodes(peer, now);
    else if (t === CRM_TYPE) {
      const payload = getString(decoded.msg, CRM_FIELD);
      if (payload !== undefined) this.ports.onCrm?.(src, payload);
    } else if (R1_TYPES.has(t)) this.ports.onLegacy?.(src, stringFields(decoded.msg));
    else if (t === NUM_PING_TYPE) {
      // A count lost and retransmitted arrives after newer ones: ipfail must not act on it (simulator
      // haresources seed 5: both nodes lost every ping node; a late "2" made one give its groups up).
      const mark = peer.numPingMark;
      if (mark !== undefined && (c.hg < mark.hg || (c.hg === mark.hg && c.seq < mark.seq))) return;
      peer.numPingMark = { hg: c.hg, seq: c.seq };
      this.ports.onNumPing?.(
        src,
        getString(decoded.msg, NUM_PING_FIELD),
        getString(decoded.msg, FRESH_FIELD),
      );
    } else if (t === YOU_ARE_DEAD_TYPE) this.ports.onYouAreDead?.(src);
  }

  /**
   * Learns a newer status's nonce (a changed one is echoed at once) and holds a
   * frame that has not proven its freshness (freshness.ts). True when held.
   */
  private freshnessHeld(src: string, facts: FrameFacts, incoming: IncomingHeartbeat, now: number): boolean {
    const newer = this.membership.isNewer(src, facts.generation, incoming.seq);
    if (newer && this.freshness.learn(src, facts.generation, facts.nonce)) this.sendStatus(now);
    if (this.freshness.gate(src, facts) === "ok") return false;
    // An old status goes on to sequence tracking: a replay or a duplicate is counted as such there.
    if (!newer && facts.status) return false;
    this.counters.unproven++;
    this.handle(this.membership.onUnproven(incoming).events);
    return true;
  }

  /** Sends ipfail's `num_ping_nodes` (sequenced) with this node's ping node count (and fresh count) to every node. */
  sendNumPing(count: number, fresh?: number): boolean {
    if (this.state !== "running") return false;
    const fields = [
      str(F.type, NUM_PING_TYPE),
      str(NUM_PING_FIELD, String(count)),
      str("from_id", "ipfail"),
      str("to_id", "ipfail"),
      ...(fresh === undefined ? [] : [str(FRESH_FIELD, String(fresh))]),
    ];
    this.send({ fields }, this.ports.clock.now());
    return true;
  }

  /** `node`'s heartbeat generation as tracked (this node's own for the local name); undefined if unheard. */
  generationOf(node: string): number | undefined {
    const name = node.toLowerCase();
    return name === this.localNode ? this.generation : this.peers.get(name)?.generation;
  }

  /** What `node` runs, from its last status message; undefined before one arrived. */
  peerKind(node: string): "tandem" | "heartbeat" | undefined {
    return this.peers.get(node.toLowerCase())?.kind;
  }

  /** Sends a sequenced message of Heartbeat's resource protocol (r1.ts) to every node, or to `dest`. */
  sendLegacy(fields: readonly (readonly [string, string])[], dest?: string): boolean {
    if (this.state !== "running") return false;
    const peer = dest === undefined ? undefined : this.peers.get(dest.toLowerCase());
    this.send({ fields: fields.map(([k, v]) => str(k, v)) }, this.ports.clock.now(), peer);
    return true;
  }

  /**
   * Sends a resource manager message (sequenced, so it is retransmitted on
   * loss) to `dest`, or to every node. False when not running or too large.
   */
  sendCrm(payload: string, dest?: string): boolean {
    if (this.state !== "running" || Buffer.byteLength(payload) > MAX_CRM_PAYLOAD) return false;
    const peer = dest === undefined ? undefined : this.peers.get(dest);
    const fields = [str(F.type, CRM_TYPE)];
    if (dest !== undefined) fields.push(str(F.dest, dest));
    fields.push(str(CRM_FIELD, payload));
    this.send({ fields }, this.ports.clock.now(), peer);
    return true;
  }

  private incoming(
    t: string,
    st: string | undefined,
    dtMs: number | undefined,
    from: string,
    medium: string,
    generation: number,
    seq: number,
    receivedAtMs: number,
  ): IncomingHeartbeat {
    // Object literals, not spreads of a base: this runs for every frame received (issue 15).
    if (t === "shutdone") return { type: "shutdone", from, medium, generation, seq, receivedAtMs };
    if (t === "status" && (st === "init" || st === "up" || st === "active" || st === "dead")) {
      return dtMs === undefined
        ? { type: "status", status: st, from, medium, generation, seq, receivedAtMs }
        : { type: "status", status: st, deadtimeMs: dtMs, from, medium, generation, seq, receivedAtMs };
    }
    return { type: "other", from, medium, generation, seq, receivedAtMs };
  }

  /** Heartbeat's compatibility switch: a status without `protocol` turns flow control off for good. */
  private noteProtocol(peer: PeerInfo, hasProtocol: boolean, now: number): void {
    peer.protocol = hasProtocol;
    if (hasProtocol || !this.flowControl) return;
    this.flowControl = false;
    this.log.warn(
      { event: "flow-control-off", peer: peer.name },
      "flow control disabled due to different version heartbeat",
    );
    if (this.awaitingRepnodes !== undefined) this.activate(now);
  }

  private onUnsequenced(peer: PeerInfo, t: string, msg: Message, now: number, frame: ReceivedFrame): void {
    switch (t) {
      case "NS_ackmsg": {
        // An ack carries no seq of its own. One older than the newest ack of this generation is a
        // replay (counted and logged); the newest again is a copy from another medium (a duplicate);
        // one for a seq we never sent (a peer acking our previous run) is ignored.
        const ack = parseHex(getString(msg, "ackseq") ?? "");
        if (ack === undefined || ack >= this.nextSeq) return;
        if (peer.ackedSeq === undefined || ack > peer.ackedSeq) peer.ackedSeq = ack;
        else if (ack === peer.ackedSeq) this.counters.duplicates++;
        else
          this.drop(
            "replays",
            frame,
            `NS_ackmsg from ${peer.name} for seq ${ack}, older than its ack of ${peer.ackedSeq}`,
          );
        return;
      }
      case "NS_rexmit": {
        const first = parseDecimal(getString(msg, "firstseq") ?? "");
        const last = parseDecimal(getString(msg, "lastseq") ?? "");
        if (first !== undefined && last !== undefined) this.serveRetransmit(peer, first, last, now);
        return;
      }
      case "NS_nak_rexmit": {
        const seq = parseHex(getString(msg, "firstseq") ?? "");
        if (seq === undefined) return;
        this.log.warn(
          { event: "packet-lost", peer: peer.name, seq },
          `Irretrievably lost packet: node ${peer.name} seq ${seq}`,
        );
        this.handle(this.membership.onRetransmitRefused(peer.name, seq, now));
        return;
      }
      default:
        this.log.debug({ event: "ignored", peer: peer.name, type: t }, `ignored ${t} from ${peer.name}`);
    }
  }

  // ------------------------------------------------------------ protocol steps

  private sendStatus(now: number): void {
    const dt = advertisedDeadtimeMs(this.config.timing, this.startMs, now);
    const fields = [
      str(F.type, "status"),
      str(F.status, this.membership.localStatus),
      str(F.deadtime, toHex(dt)),
    ];
    if (this.flowControl) fields.push(str(F.protocol, "1"));
    fields.push(str(TANDEM_FIELD, TANDEM_PROTOCOL), str(NONCE_FIELD, this.freshness.nonce));
    const echo = this.freshness.echo();
    if (echo !== undefined) fields.push(str(ECHO_FIELD, echo));
    this.send({ fields }, now);
  }

  private sendAck(peer: PeerInfo, seq: number, now: number): void {
    this.send(
      message(str(F.type, "NS_ackmsg"), str(F.dest, peer.name), str("ackseq", toHex(seq))),
      now,
      peer,
    );
  }

  private sendRepnodes(peer: PeerInfo, now: number): void {
    // The complete list, requester included: Heartbeat removes nodes missing from it.
    const ordered = this.config.nodes.includes(this.localNode)
      ? this.config.nodes
      : [this.localNode, ...this.config.nodes];
    this.send(
      message(
        str(F.dest, peer.name),
        str(F.type, "repnodes"),
        str("nodelist", `${ordered.join(" ")} `),
        str("delnodelist", " "),
      ),
      now,
      peer,
    );
    this.log.info({ event: "repnodes", peer: peer.name }, `answered reqnodes from ${peer.name}`);
  }

  private onRepnodes(peer: PeerInfo, now: number): void {
    if (this.awaitingRepnodes === undefined) return;
    this.log.info({ event: "repnodes-received", peer: peer.name }, `node list received from ${peer.name}`);
    this.activate(now);
  }

  /** At comm-up (and every retry): ask the first live peer for the node list, or go active if none is live. */
  private askNodes(now: number): void {
    if (!this.flowControl) {
      this.activate(now);
      return;
    }
    // Heartbeat asks the first node that is not dead; one we have heard from (st=init included).
    const live = [...this.peers.values()].find(
      (p) => p.generation !== undefined && this.membership.nodeStatus(p.name) !== "dead",
    );
    if (live === undefined) {
      this.activate(now);
      return;
    }
    this.awaitingRepnodes = { peer: live.name, askedAtMs: now };
    this.send(message(str(F.type, "reqnodes"), str(F.dest, live.name)), now, live);
  }

  private activate(now: number): void {
    this.awaitingRepnodes = undefined;
    this.handle(this.membership.localActivate(now));
  }

  private serveRetransmit(peer: PeerInfo, first: number, last: number, now: number): void {
    const highest = this.nextSeq - 1;
    const quietMs = this.config.maxRexmitDelayMs - 10;
    let sent = 0;
    for (let s = first; s <= last && sent < MAX_REXMIT_PER_REQUEST; s++) {
      if (peer.ackedSeq !== undefined && s <= peer.ackedSeq) continue;
      if (s > highest) {
        this.log.debug(
          { event: "rexmit-ahead", peer: peer.name, seq: s },
          `retransmit of unsent seq ${s} requested`,
        );
        return;
      }
      const entry = this.history.get(s);
      if (entry === undefined) {
        sent++;
        this.send(
          message(
            str(F.type, "NS_nak_rexmit"),
            str(F.dest, peer.name),
            str("firstseq", toHex(s)),
            str("info", "seqno too low"),
          ),
          now,
          peer,
        );
        continue;
      }
      if (now - entry.lastSentAtMs < quietMs) continue;
      entry.lastSentAtMs = now;
      sent++;
      this.counters.retransmitsServed++;
      if ("msg" in entry) this.transmit(entry.msg);
      else {
        const frame = Buffer.from(entry.frame, "latin1");
        this.transmit(() => historyMessage(frame), entry.keys === this.keys ? frame : undefined);
      }
    }
  }

  // ------------------------------------------------------------ sending

  /** Adds the control fields (seq for sequenced types), remembers sequenced messages, transmits. */
  private send(payload: Message, now: number, to?: PeerInfo): void {
    const t = getString(payload, F.type) ?? "";
    const seq = isUnsequencedType(t) ? undefined : this.nextSeq++;
    const msg = withControlFields(payload, {
      src: this.localNode,
      srcuuid: this.uuid,
      ...(to?.uuid === undefined ? {} : { destuuid: to.uuid }),
      ...(seq === undefined ? {} : { seq }),
      hg: this.generation,
      ts: Math.floor(this.ports.wallClockMs() / 1000),
      ld: this.ports.loadavg?.() ?? DEFAULT_LOADAVG,
      ttl: this.ttl,
    });
    const frame = this.transmit(msg);
    if (seq !== undefined) {
      this.history.set(
        seq,
        frame === undefined
          ? { msg, lastSentAtMs: now }
          : {
              frame: Buffer.from(frame.buffer, frame.byteOffset, frame.length).toString("latin1"),
              keys: this.keys,
              lastSentAtMs: now,
            },
      );
      if (this.history.size > this.historySize) this.history.delete(seq - this.historySize);
    }
  }

  /**
   * Signs and sends one message on every medium, encoded once per frame format. `netstring`: the
   * frame already made of it with the current keys (a retransmit), sent as it is; `msg` may then be
   * a function, called only when a format still has to be encoded. Returns the netstring frame
   * sent, if any.
   */
  private transmit(
    msg: Message | (() => Message | undefined),
    netstring?: Uint8Array,
  ): Uint8Array | undefined {
    const encoded = new Map<FrameFormat, Uint8Array>();
    if (netstring !== undefined) encoded.set("netstring", netstring);
    for (const tr of this.transports) {
      const format: FrameFormat = tr.kind === "serial" ? "classic" : "netstring";
      let bytes = encoded.get(format);
      if (bytes === undefined) {
        try {
          const m = typeof msg === "function" ? msg() : msg;
          if (m === undefined) throw new Error("a retransmitted frame no longer decodes");
          bytes = encodeFrame(m, this.keys, format);
        } catch (e) {
          this.log.error({ event: "encode-failed", err: String(e) }, "cannot encode an outgoing message");
          return;
        }
        encoded.set(format, bytes);
      }
      const r = tr.send(bytes);
      if (r === "accepted") this.counters.framesSent++;
      else {
        this.counters.sendErrors++;
        if (this.dropLog.allow(`send ${tr.id}`, this.ports.clock.now()))
          this.log.warn(
            { event: "send-refused", link: tr.link, medium: tr.id, result: r },
            `send on ${tr.id}: ${r}`,
          );
      }
    }
    return encoded.get("netstring");
  }

  // ------------------------------------------------------------ events and drops

  private drop(
    kind: "malformed" | "badAuth" | "unknownNode" | "replays",
    frame: ReceivedFrame,
    reason: string,
  ): void {
    this.counters[kind]++;
    const key = `${kind} ${frame.from}`;
    const suppressed = this.dropLog.allow(key, frame.receivedAtMs);
    if (suppressed === false) return;
    this.log.warn(
      { event: "dropped", kind, link: frame.link, from: frame.from, reason, suppressed },
      `dropped ${kind === "badAuth" ? "unauthenticated" : kind === "unknownNode" ? "unknown-node" : kind} frame from ${frame.from} on ${frame.link}: ${reason}`,
    );
  }

  private handle(events: readonly MembershipEvent[]): void {
    if (events.length === 0) return;
    this.ports.onEventBatch?.("begin");
    try {
      for (const e of events) {
        this.act(e);
        this.ports.onEvent?.(e);
      }
    } finally {
      this.ports.onEventBatch?.("end");
    }
  }

  private act(e: MembershipEvent): void {
    const log = this.log;
    switch (e.kind) {
      case "node-status":
        if (e.status === "dead") {
          // How long it had been silent (what the deadtime was measured against; checked by two-nodes e2e).
          const at = this.membership.view().nodes.find((v) => v.name === e.node)?.lastHeardAtMs;
          const silentMs = at === undefined ? {} : { silentMs: Math.round(this.ports.clock.now() - at) };
          log.warn(
            { event: e.kind, peer: e.node, status: e.status, cause: e.cause, ...silentMs },
            `node ${e.node}: is dead`,
          );
        } else {
          log.info(
            { event: e.kind, peer: e.node, status: e.status, previous: e.previous, cause: e.cause },
            e.cause === "returned-after-partition"
              ? `Cluster node ${e.node} returning after partition`
              : `Status update for node ${e.node}: status ${e.status}`,
          );
          // A Heartbeat peer that (re)starts hears our status first, before an NS_ackmsg or repnodes:
          // it reaches comm-up on any packet, and with auto_failback legacy counts the nodes it has
          // seen `active` to decide it is alone and takes its groups without an ip-request (the final
          // CI's interop failure: our ack came first, Heartbeat took the VIP we still held). A Tandem
          // peer needs no such help (its freshness handshake echoes our status anyway).
          if (
            (e.previous === "dead" || e.previous === "init" || e.cause === "restart") &&
            this.state === "running" &&
            this.peers.get(e.node)?.kind === "heartbeat"
          )
            this.sendStatus(e.atMs);
        }
        return;
      case "ping-status":
        log.info({ event: e.kind, peer: e.node, status: e.status }, `ping node ${e.node}: ${e.status}`);
        return;
      case "link-status":
        log.info(
          { event: e.kind, peer: e.node, link: e.medium, status: e.status },
          `Link ${e.node}:${e.medium} ${e.status}.`,
        );
        return;
      case "stall":
        log.warn(
          { event: e.kind, lostMs: e.lostMs },
          `this node could not observe for ${e.lostMs} ms (event loop stalled): not counted as peers' silence`,
        );
        return;
      case "late-heartbeat":
        this.counters.lateHeartbeats++;
        log.warn(
          { event: e.kind, peer: e.node, intervalMs: Math.round(e.intervalMs) },
          `Late heartbeat: Node ${e.node}: interval ${Math.round(e.intervalMs)} ms`,
        );
        return;
      case "peer-restarted":
        log.info(
          { event: e.kind, peer: e.node, generation: e.generation },
          `Heartbeat restart on node ${e.node}`,
        );
        return;
      case "replay-dropped": {
        if (e.reason === "unconfirmed-generation" || e.reason === "unconfirmed-return") {
          this.counters.unproven++; // a live peer's restart, held until confirmed (sequence.ts): not an attack
          log.debug(
            { event: "held", peer: e.node, generation: e.generation, seq: e.seq, reason: e.reason },
            "held",
          );
          return;
        }
        this.counters.replays++;
        const suppressed = this.dropLog.allow(`replay ${e.node}`, e.atMs);
        if (suppressed !== false)
          log.warn(
            {
              event: e.kind,
              peer: e.node,
              generation: e.generation,
              seq: e.seq,
              reason: e.reason,
              suppressed,
            },
            `attempted replay attack [${e.node}]? [gen = ${e.generation}, seq = ${e.seq}: ${e.reason}]`,
          );
        return;
      }
      case "gap-detected":
        this.counters.gapPackets += e.lastSeq - e.firstSeq + 1;
        log.info(
          { event: e.kind, peer: e.node, firstSeq: e.firstSeq, lastSeq: e.lastSeq },
          `${e.lastSeq - e.firstSeq + 1} lost packet(s) for [${e.node}] [${e.firstSeq}:${e.lastSeq}]`,
        );
        return;
      case "gap-reset":
        log.warn(
          { event: e.kind, peer: e.node, skipped: e.skipped },
          `lost a lot of packets from ${e.node}!`,
        );
        return;
      case "retransmit-request": {
        const peer = this.peers.get(e.node);
        if (peer === undefined) return;
        this.counters.retransmitRequestsSent++;
        const s = String(e.seq);
        this.send(
          message(str(F.type, "NS_rexmit"), str(F.dest, e.node), str("firstseq", s), str("lastseq", s)),
          e.atMs,
          peer,
        );
        return;
      }
      case "packet-lost":
        this.counters.packetsLost++;
        log.warn({ event: e.kind, peer: e.node, seq: e.seq }, `packet ${e.seq} from ${e.node} lost`);
        return;
      case "gaps-filled":
        log.info({ event: e.kind, peer: e.node }, `No pkts missing from ${e.node}!`);
        return;
      case "comm-up":
        log.info({ event: e.kind }, "comm up: every node heard from or declared dead");
        this.askNodes(e.atMs);
        return;
      case "local-status":
        log.info({ event: e.kind, status: e.status, previous: e.previous }, `local status ${e.status}`);
        if (this.state === "running" && e.status !== "dead") this.sendStatus(e.atMs);
        return;
      case "local-heartbeat-lost":
        log.error({ event: e.kind, silentMs: e.silentMs }, "No local heartbeat");
        return;
      case "unknown-node":
        return; // counted and logged by drop() before membership sees it
    }
  }

  // ------------------------------------------------------------ queries

  get localStatus(): string {
    return this.membership.localStatus;
  }

  /** The state of a peer or ping node (the local node's own status for itself). */
  nodeStatus(node: string): string | undefined {
    return this.membership.nodeStatus(node.toLowerCase());
  }

  /** What `hbctl status` and `hbctl cl` show, ages relative to now. */
  report(pid = 0): StatusReport {
    const now = this.ports.clock.now();
    const view = this.membership.view();
    const age = (at: number | undefined) =>
      at === undefined ? {} : { lastHeardAgeMs: Math.max(0, Math.round(now - at)) };
    const localLinks: LinkReport[] = [
      ...new Set([...this.linkNames, ...this.transports.map((t) => t.link)]),
    ].map((name) => ({
      name,
      status:
        this.state === "running" && this.transports.some((t) => t.link === name && !t.closed) ? "up" : "dead",
    }));
    const nodes: NodeReport[] = [
      {
        name: this.localNode,
        type: "normal",
        status: view.localStatus,
        local: true,
        generation: this.generation,
        links: localLinks,
      },
    ];
    const byName = new Map(view.nodes.map((n) => [n.name, n]));
    const order = [
      ...this.config.nodes.filter((n) => n !== this.localNode),
      ...this.config.pingNodes.map((p) => p.name),
    ];
    for (const name of order) {
      const n = byName.get(name);
      if (n === undefined) continue;
      nodes.push({
        name: n.name,
        type: n.type,
        status: n.status,
        local: false,
        ...age(n.lastHeardAtMs),
        ...(n.generation === undefined ? {} : { generation: n.generation }),
        deadIntervalMs: n.deadIntervalMs,
        links: n.links.map((l) => ({ name: l.medium, status: l.status, ...age(l.lastHeardAtMs) })),
      });
    }
    const media: MediumReport[] = this.transports.map((t) => {
      const s = t.stats();
      return {
        id: t.id,
        link: t.link,
        framesSent: s.framesSent,
        framesReceived: s.framesReceived,
        sendErrors: s.sendErrors + s.sendRefused,
      };
    });
    const m = view.counters;
    const t = this.config.timing;
    return {
      version: this.version,
      node: this.localNode,
      cluster: this.config.clusterName,
      pid,
      uptimeMs: Math.round(now - this.startMs),
      generation: this.generation,
      commUp: view.commUp,
      managedBy: this.config.pacemaker === "off" ? "haresources" : "pacemaker",
      timing: {
        keepaliveMs: t.keepaliveMs,
        deadtimeMs: t.deadtimeMs,
        warntimeMs: t.warntimeMs,
        initdeadMs: t.initdeadMs,
      },
      nodes,
      media,
      counters: {
        ...this.counters,
        unknownNode: this.counters.unknownNode + m.unknownNodeFrames,
        duplicates: m.duplicates + this.counters.duplicates, // ours: copies of an NS_ackmsg
        packetsLost: m.packetsLost,
      },
      eventLoop: { lagMs: Math.round(this.lag.lagMs), maxLagMs: Math.round(this.lag.maxLagMs) },
    };
  }
}

/**
 * Allows one log line per key per interval. `allow` returns false when
 * suppressed, else the number of lines suppressed since the last one.
 */
export class RateLimiter {
  private readonly last = new Map<string, { at: number; suppressed: number }>();
  constructor(private readonly intervalMs: number) {}

  allow(key: string, now: number): number | false {
    const entry = this.last.get(key);
    if (entry !== undefined && now - entry.at < this.intervalMs) {
      entry.suppressed++;
      return false;
    }
    if (this.last.size > 1000) this.last.clear(); // bounded: forged sources could vary the key
    this.last.set(key, { at: now, suppressed: 0 });
    return entry?.suppressed ?? 0;
  }
}
