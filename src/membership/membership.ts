/**
 * Who is alive: the node and link liveness of reference heartbeat.md §3.8–3.10
 * and §6, as a pure state machine.
 *
 * Contract:
 * - Time only comes in as arguments (`tick(nowMs)`, `receivedAtMs`, `atMs`), in
 *   monotonic milliseconds. Time never goes back: an earlier value is treated as
 *   the latest one seen.
 * - Every input first runs the timeouts up to its own time, then applies itself,
 *   so the view at time t depends only on inputs before t, whatever the tick rate.
 *   The caller ticks well below keepalive; death is declared on the first tick
 *   (or input) more than the dead interval after the last newest status.
 * - Every call returns the events it caused, in a deterministic order. The
 *   instance is not re-entrant and owns no timers.
 * - Dead interval: initdead for every node until comm-up; then, for a peer, the
 *   deadtime it advertised (`dt`), or ours until its first status; deadping for
 *   ping nodes. Only a newest `status` (not a gap fill, duplicate or other
 *   message type) refreshes a node; fresh packets and fresh duplicates refresh links.
 */
import { Prng, seedFromString } from "../base/prng.js";
import type { Timing } from "../config/model.js";
import { SequenceTracker, type SeqVerdict } from "./sequence.js";
import {
  LINK_TRANSITIONS,
  type LinkInput,
  type LinkState,
  LOCAL_TRANSITIONS,
  type LocalInput,
  NODE_TRANSITIONS,
  type NodeInput,
  type NodeState,
  PING_TRANSITIONS,
  type PingState,
} from "./transitions.js";
import {
  emptyCounters,
  type IncomingHeartbeat,
  type LinkView,
  type MembershipCounters,
  type MembershipEvent,
  type MembershipOptions,
  type MembershipView,
  type NodeCause,
  type NodeView,
  type PeerMark,
  type PingResult,
} from "./types.js";

interface LinkRecord {
  readonly medium: string;
  status: LinkState;
  lastHeardAtMs: number | undefined;
}

interface PeerRecord {
  readonly name: string;
  status: NodeState;
  lastStatusAtMs: number | undefined;
  deadtimeMs: number;
  readonly seq: SequenceTracker;
  readonly links: Map<string, LinkRecord>;
  readonly counters: MembershipCounters;
}

interface PingRecord {
  readonly name: string;
  status: PingState;
  lastReplyAtMs: number | undefined;
  readonly link: LinkRecord;
  readonly counters: MembershipCounters;
}

type Counter = keyof MembershipCounters;
type Events = MembershipEvent[];

export class Membership {
  readonly localNode: string;
  private readonly timing: Timing;
  private startMs: number;
  private readonly activateOnCommUp: boolean;
  private readonly expectLoopback: boolean;
  private readonly peers = new Map<string, PeerRecord>();
  private readonly pings = new Map<string, PingRecord>();
  private readonly totals = emptyCounters();
  private nowMs: number;
  private commUpValue = false;
  private localStatusValue: NodeState = "init";
  private localLastHeardAtMs: number | undefined;
  private localLossReported = false;

  /** Observation gaps compensated (see MembershipOptions.stallGapMs). */
  readonly stalls = { count: 0, lostMs: 0 };
  private readonly stallGapMs: number | undefined;

  constructor(options: MembershipOptions) {
    this.stallGapMs = options.stallGapMs;
    this.localNode = options.localNode;
    this.timing = options.timing;
    this.startMs = options.startMs;
    this.nowMs = options.startMs;
    this.activateOnCommUp = options.activateOnCommUp ?? true;
    this.expectLoopback = options.expectLoopback ?? false;
    const retransmit = {
      maxRexmitDelayMs: options.maxRexmitDelayMs ?? 250,
      attemptsMax: options.retransmitAttemptsMax ?? 10,
      prng: options.prng ?? new Prng(seedFromString(options.localNode)),
    };
    const duplicateWindowMs = options.duplicateWindowMs ?? 2 * this.timing.keepaliveMs;
    for (const name of options.nodes) {
      if (name === this.localNode || this.peers.has(name)) continue;
      const links = new Map(options.media.map((m) => [m, newLink(m)]));
      this.peers.set(name, {
        name,
        status: "init",
        lastStatusAtMs: undefined,
        deadtimeMs: this.timing.deadtimeMs,
        seq: new SequenceTracker(duplicateWindowMs, retransmit),
        links,
        counters: emptyCounters(),
      });
    }
    for (const name of options.pingNodes ?? []) {
      const link = newLink(name);
      this.pings.set(name, {
        name,
        status: "init",
        lastReplyAtMs: undefined,
        link,
        counters: emptyCounters(),
      });
    }
  }

  // ------------------------------------------------------------ inputs

  /**
   * A previous run's per-peer high-water marks (generation, last seq), from
   * the state dir: frames at or below them are dropped as replays. Call before
   * the first frame; unknown nodes are ignored.
   */
  seedMarks(marks: ReadonlyMap<string, PeerMark>): void {
    for (const [name, m] of marks) this.peers.get(name)?.seq.seed(m.generation, m.seq);
  }

  /** The per-peer high-water marks to persist (only peers heard from or seeded). */
  marks(): Map<string, PeerMark> {
    const out = new Map<string, PeerMark>();
    for (const p of this.peers.values()) {
      const generation = p.seq.generation;
      const seq = p.seq.lastSeq;
      if (generation !== undefined && seq !== undefined) out.set(p.name, { generation, seq });
    }
    return out;
  }

  /** Runs the timeouts (deaths, link deaths, comm-up, retransmit requests) up to `nowMs`. */
  tick(nowMs: number): MembershipEvent[] {
    const out: Events = [];
    this.advance(nowMs, out);
    return out;
  }

  /** One authenticated, decoded sequenced message (see IncomingHeartbeat). */
  onHeartbeat(msg: IncomingHeartbeat): MembershipEvent[] {
    const out: Events = [];
    this.advance(msg.receivedAtMs, out);
    const now = this.nowMs;
    if (msg.from === this.localNode) {
      this.localLastHeardAtMs = now;
      this.localLossReported = false;
      return out;
    }
    const peer = this.peers.get(msg.from);
    if (peer === undefined) {
      this.totals.unknownNodeFrames++;
      out.push({ kind: "unknown-node", atMs: now, node: msg.from });
      return out;
    }
    const wasDead = peer.status === "dead";
    const live = !wasDead && peer.lastStatusAtMs !== undefined;
    const verdict = peer.seq.classify(msg.generation, msg.seq, now, wasDead, live);
    switch (verdict.kind) {
      case "replay":
        this.count(peer.counters, "replaysDropped");
        // A held jump (a restart within deadtime, until confirmed) keeps a live peer from being declared
        // dead meanwhile; it revives no dead peer and changes no status.
        if (
          verdict.reason.startsWith("unconfirmed-") &&
          !wasDead &&
          msg.type === "status" &&
          peer.lastStatusAtMs !== undefined
        )
          peer.lastStatusAtMs = now;
        out.push({
          kind: "replay-dropped",
          atMs: now,
          node: peer.name,
          generation: msg.generation,
          seq: msg.seq,
          reason: verdict.reason,
        });
        return out;
      case "duplicate":
        this.count(peer.counters, "duplicates");
        this.refreshLink(peer, msg.medium, out);
        return out;
      case "gap-filled":
        this.count(peer.counters, "gapPacketsFilled");
        if (verdict.allFilled) out.push({ kind: "gaps-filled", atMs: now, node: peer.name });
        return out;
      case "fresh":
        this.onHeartbeatFresh(peer, msg, verdict, wasDead, out);
        return out;
    }
  }

  /**
   * A sequenced message that has not proven its freshness (daemon/freshness.ts:
   * a Tandem peer's status without our nonce's echo). Not tracked: a status
   * newer than every accepted frame only keeps an already live peer alive
   * (and its link up), as a held jump does; it never revives or changes one.
   * Returns the events and whether the frame was newer (its nonce may be learned).
   */
  onUnproven(msg: IncomingHeartbeat): { events: MembershipEvent[]; newer: boolean } {
    const out: Events = [];
    this.advance(msg.receivedAtMs, out);
    const peer = this.peers.get(msg.from);
    if (peer === undefined) return { events: out, newer: false };
    const newer = peer.seq.isNewer(msg.generation, msg.seq);
    if (newer && msg.type === "status" && peer.status !== "dead" && peer.lastStatusAtMs !== undefined) {
      peer.lastStatusAtMs = this.nowMs;
      this.refreshLink(peer, msg.medium, out);
    }
    return { events: out, newer };
  }

  /** Whether a frame from `node` is newer than every frame accepted from it (nothing changes). */
  isNewer(node: string, generation: number, seq: number): boolean {
    return this.peers.get(node)?.seq.isNewer(generation, seq) ?? false;
  }

  /** A newest packet: link, restart and gap bookkeeping, then (for status and shutdone) the node's state. */
  private onHeartbeatFresh(
    peer: PeerRecord,
    msg: IncomingHeartbeat,
    verdict: Extract<SeqVerdict, { kind: "fresh" }>,
    wasDead: boolean,
    out: Events,
  ): void {
    const now = this.nowMs;
    this.refreshLink(peer, msg.medium, out);
    if (verdict.restartedFrom !== undefined) {
      this.count(peer.counters, "restarts");
      const previousGeneration = verdict.restartedFrom;
      out.push({
        kind: "peer-restarted",
        atMs: now,
        node: peer.name,
        previousGeneration,
        generation: msg.generation,
      });
    }
    if (verdict.gap !== undefined) {
      const { firstSeq, lastSeq } = verdict.gap;
      this.count(peer.counters, "gapPackets", lastSeq - firstSeq + 1);
      out.push({ kind: "gap-detected", atMs: now, node: peer.name, firstSeq, lastSeq });
    }
    if (verdict.reset !== undefined) {
      out.push({
        kind: "gap-reset",
        atMs: now,
        node: peer.name,
        seq: msg.seq,
        skipped: verdict.reset.skipped,
      });
    }
    if (msg.type === "other") return;
    const cause: NodeCause =
      verdict.restartedFrom !== undefined
        ? "restart"
        : wasDead && peer.lastStatusAtMs !== undefined
          ? "returned-after-partition"
          : "heard";
    if (msg.type === "shutdone" || msg.status === "dead") {
      peer.lastStatusAtMs = now;
      this.applyNode(peer, "shutdown", "shutdown", out);
      peer.seq.forgetGaps();
      return;
    }
    if (!wasDead && peer.lastStatusAtMs !== undefined) this.checkLate(peer, now - peer.lastStatusAtMs, out);
    peer.lastStatusAtMs = now;
    if (msg.deadtimeMs !== undefined && Number.isFinite(msg.deadtimeMs) && msg.deadtimeMs > 0) {
      peer.deadtimeMs = msg.deadtimeMs;
    }
    const input: NodeInput =
      msg.status === "init" ? "heard-init" : msg.status === "up" ? "heard-up" : "heard-active";
    // A restart is adopted on a later frame than its first (sequence.ts JUMP_CONFIRM_FRAMES): pass through
    // init as the peer did, so the restart is seen even when that frame already says up or active.
    if (verdict.restartedFrom !== undefined && input !== "heard-init")
      this.applyNode(peer, "heard-init", cause, out);
    this.applyNode(peer, input, cause, out);
    if (this.checkCommUp(out)) this.expire(out);
  }

  /** A ping answer. `up: false` results are ignored: only silence for deadping kills a ping node. */
  onPingResult(result: PingResult): MembershipEvent[] {
    const out: Events = [];
    this.advance(result.atMs, out);
    const ping = this.pings.get(result.node);
    if (ping === undefined || !result.up) return out;
    ping.lastReplyAtMs = this.nowMs;
    ping.link.lastHeardAtMs = this.nowMs;
    this.applyLink(ping.name, ping.link, "packet", out);
    this.applyPing(ping, "reply", out);
    if (this.checkCommUp(out)) this.expire(out);
    return out;
  }

  /** The peer answered NS_nak_rexmit for `seq`: stop asking for it. */
  onRetransmitRefused(node: string, seq: number, nowMs: number): MembershipEvent[] {
    const out: Events = [];
    this.advance(nowMs, out);
    const peer = this.peers.get(node);
    if (peer?.seq.abandon(seq)) {
      this.count(peer.counters, "packetsLost");
      out.push({ kind: "packet-lost", atMs: this.nowMs, node, seq });
    }
    return out;
  }

  /** The daemon's children are running: local status goes `up` (and `active` if comm is up). */
  localStarted(nowMs: number): MembershipEvent[] {
    const out: Events = [];
    this.advance(nowMs, out);
    this.applyLocal("started", out);
    if (this.commUpValue && this.activateOnCommUp) this.applyLocal("comm-up", out);
    return out;
  }

  /** Go `active` now (for a daemon built with `activateOnCommUp: false`, after repnodes). */
  localActivate(nowMs: number): MembershipEvent[] {
    const out: Events = [];
    this.advance(nowMs, out);
    this.applyLocal("comm-up", out);
    return out;
  }

  /** We are leaving: local status `dead` (the daemon then sends `shutdone`). */
  localShutdown(nowMs: number): MembershipEvent[] {
    const out: Events = [];
    this.advance(nowMs, out);
    this.applyLocal("shutdown", out);
    return out;
  }

  // ------------------------------------------------------------ queries

  get localStatus(): NodeState {
    return this.localStatusValue;
  }
  get commUp(): boolean {
    return this.commUpValue;
  }

  /** A peer's or ping node's status; undefined for an unknown name. */
  nodeStatus(node: string): NodeState | PingState | undefined {
    if (node === this.localNode) return this.localStatusValue;
    return this.peers.get(node)?.status ?? this.pings.get(node)?.status;
  }

  linkStatus(node: string, medium: string): LinkState | undefined {
    const ping = this.pings.get(node);
    if (ping !== undefined) return medium === ping.link.medium ? ping.link.status : undefined;
    return this.peers.get(node)?.links.get(medium)?.status;
  }

  counters(): Readonly<MembershipCounters> {
    return { ...this.totals };
  }

  /** Frames refused as duplicates or replays so far: a receiver compares it around onHeartbeat (no copy of the counters). */
  refusedFrames(): number {
    return this.totals.duplicates + this.totals.replaysDropped;
  }

  /** Earliest time at which `tick` may have something to do (for a daemon that sleeps). */
  nextWakeMs(): number {
    let next = Number.POSITIVE_INFINITY;
    const consider = (base: number | undefined, limit: number, dead: boolean) => {
      if (!dead) next = Math.min(next, (base ?? this.startMs) + limit + 1);
    };
    for (const peer of this.peers.values()) {
      const limit = this.deadIntervalMs(peer);
      consider(peer.lastStatusAtMs, limit, peer.status === "dead");
      for (const link of peer.links.values()) consider(link.lastHeardAtMs, limit, link.status === "dead");
      if (peer.status !== "dead") next = Math.min(next, peer.seq.nextDueMs() ?? next);
    }
    for (const ping of this.pings.values()) {
      consider(ping.lastReplyAtMs, this.pingIntervalMs(), ping.status === "dead");
    }
    return Math.max(next, this.nowMs);
  }

  /** Everything `hbctl status` and `cl_status` show. */
  view(): MembershipView {
    const links = (ls: Iterable<LinkRecord>): LinkView[] =>
      [...ls].map((l) => ({
        medium: l.medium,
        status: l.status,
        ...(l.lastHeardAtMs === undefined ? {} : { lastHeardAtMs: l.lastHeardAtMs }),
      }));
    const nodes: NodeView[] = [];
    for (const p of this.peers.values()) {
      nodes.push({
        name: p.name,
        type: "normal",
        status: p.status,
        ...(p.seq.generation === undefined ? {} : { generation: p.seq.generation }),
        ...(p.seq.lastSeq === undefined ? {} : { lastSeq: p.seq.lastSeq }),
        ...(p.lastStatusAtMs === undefined ? {} : { lastHeardAtMs: p.lastStatusAtMs }),
        deadIntervalMs: this.deadIntervalMs(p),
        missingPackets: p.seq.missingCount,
        links: links(p.links.values()),
        counters: { ...p.counters },
      });
    }
    for (const p of this.pings.values()) {
      nodes.push({
        name: p.name,
        type: "ping",
        status: p.status,
        ...(p.lastReplyAtMs === undefined ? {} : { lastHeardAtMs: p.lastReplyAtMs }),
        deadIntervalMs: this.pingIntervalMs(),
        missingPackets: 0,
        links: links([p.link]),
        counters: { ...p.counters },
      });
    }
    return {
      nowMs: this.nowMs,
      localNode: this.localNode,
      localStatus: this.localStatusValue,
      commUp: this.commUpValue,
      nodes,
      counters: this.counters(),
    };
  }

  // ------------------------------------------------------------ internals

  private deadIntervalMs(peer: PeerRecord): number {
    return this.commUpValue ? peer.deadtimeMs : this.timing.initdeadMs;
  }

  private pingIntervalMs(): number {
    return this.commUpValue ? this.timing.deadpingMs : this.timing.initdeadMs;
  }

  private advance(nowMs: number, out: Events): void {
    const gap = this.stallGapMs;
    if (gap !== undefined && nowMs - this.nowMs > gap) this.compensateStall(nowMs - this.nowMs - gap, out);
    if (nowMs > this.nowMs) this.nowMs = nowMs;
    this.expire(out);
    // Comm-up shortens every dead interval from initdead to deadtime: check again at once.
    if (!this.commUpValue && this.checkCommUp(out)) this.expire(out);
    this.checkLoopback(this.nowMs, out);
  }

  /** See MembershipOptions.stallGapMs: the last `lostMs` were not observable, so they are not silence. */
  private compensateStall(lostMs: number, out: Events): void {
    const shift = (t: number | undefined) => (t === undefined ? undefined : t + lostMs);
    this.startMs += lostMs;
    for (const peer of this.peers.values()) {
      peer.lastStatusAtMs = shift(peer.lastStatusAtMs);
      for (const link of peer.links.values()) link.lastHeardAtMs = shift(link.lastHeardAtMs);
    }
    for (const ping of this.pings.values()) {
      ping.lastReplyAtMs = shift(ping.lastReplyAtMs);
      ping.link.lastHeardAtMs = shift(ping.link.lastHeardAtMs);
    }
    this.localLastHeardAtMs = shift(this.localLastHeardAtMs);
    this.stalls.count++;
    this.stalls.lostMs += lostMs;
    out.push({ kind: "stall", atMs: this.nowMs, lostMs: Math.round(lostMs) });
  }

  private expire(out: Events): void {
    const now = this.nowMs;
    for (const peer of this.peers.values()) {
      const limit = this.deadIntervalMs(peer);
      if (peer.status !== "dead" && now - (peer.lastStatusAtMs ?? this.startMs) > limit) {
        this.applyNode(peer, "silent", peer.lastStatusAtMs === undefined ? "initdead" : "deadtime", out);
        peer.seq.forgetGaps();
      }
      this.expireLinks(peer.name, peer.links.values(), limit, out);
      if (peer.status !== "dead") this.retransmits(peer, now, out);
    }
    for (const ping of this.pings.values()) {
      const limit = this.pingIntervalMs();
      if (ping.status !== "dead" && now - (ping.lastReplyAtMs ?? this.startMs) > limit) {
        this.applyPing(ping, "silent", out);
      }
      this.expireLinks(ping.name, [ping.link], limit, out);
    }
  }

  private expireLinks(node: string, links: Iterable<LinkRecord>, limitMs: number, out: Events): void {
    for (const link of links) {
      if (link.status !== "dead" && this.nowMs - (link.lastHeardAtMs ?? this.startMs) > limitMs) {
        this.applyLink(node, link, "silent", out);
      }
    }
  }

  private retransmits(peer: PeerRecord, now: number, out: Events): void {
    for (const action of peer.seq.due(now)) {
      if (action.kind === "request") {
        this.count(peer.counters, "retransmitRequests");
        out.push({ kind: "retransmit-request", atMs: now, node: peer.name, seq: action.seq });
      } else {
        this.count(peer.counters, "packetsLost");
        out.push({ kind: "packet-lost", atMs: now, node: peer.name, seq: action.seq });
      }
    }
  }

  private checkLate(peer: PeerRecord, intervalMs: number, out: Events): void {
    const warn = this.timing.warntimeMs;
    if (warn > 0 && intervalMs > warn) {
      this.count(peer.counters, "lateHeartbeats");
      out.push({ kind: "late-heartbeat", atMs: this.nowMs, node: peer.name, intervalMs });
    }
  }

  /** Returns true when comm came up just now. */
  private checkCommUp(out: Events): boolean {
    if (this.commUpValue) return false;
    for (const p of this.peers.values())
      if (p.status === "init" && p.lastStatusAtMs === undefined) return false;
    for (const p of this.pings.values()) if (p.status === "init") return false;
    this.commUpValue = true;
    out.push({ kind: "comm-up", atMs: this.nowMs });
    if (this.activateOnCommUp) this.applyLocal("comm-up", out);
    return true;
  }

  private checkLoopback(now: number, out: Events): void {
    if (
      !this.expectLoopback ||
      !this.commUpValue ||
      this.localLossReported ||
      this.localStatusValue === "dead"
    ) {
      return;
    }
    const silentMs = now - (this.localLastHeardAtMs ?? this.startMs);
    if (silentMs > this.timing.deadtimeMs) {
      this.localLossReported = true;
      out.push({ kind: "local-heartbeat-lost", atMs: now, silentMs });
    }
  }

  private refreshLink(peer: PeerRecord, medium: string, out: Events): void {
    let link = peer.links.get(medium);
    if (link === undefined) {
      link = newLink(medium);
      peer.links.set(medium, link);
    }
    link.lastHeardAtMs = this.nowMs;
    this.applyLink(peer.name, link, "packet", out);
  }

  private applyNode(peer: PeerRecord, input: NodeInput, cause: NodeCause, out: Events): void {
    const previous = peer.status;
    const status = NODE_TRANSITIONS[input][previous];
    peer.status = status;
    if (status !== previous)
      out.push({ kind: "node-status", atMs: this.nowMs, node: peer.name, previous, status, cause });
  }

  private applyPing(ping: PingRecord, input: "reply" | "silent", out: Events): void {
    const previous = ping.status;
    const status = PING_TRANSITIONS[input][previous];
    ping.status = status;
    if (status !== previous)
      out.push({ kind: "ping-status", atMs: this.nowMs, node: ping.name, previous, status });
  }

  private applyLink(node: string, link: LinkRecord, input: LinkInput, out: Events): void {
    const previous = link.status;
    const status = LINK_TRANSITIONS[input][previous];
    link.status = status;
    if (status !== previous) {
      out.push({ kind: "link-status", atMs: this.nowMs, node, medium: link.medium, previous, status });
    }
  }

  private applyLocal(input: LocalInput, out: Events): void {
    const previous = this.localStatusValue;
    const status = LOCAL_TRANSITIONS[input][previous];
    this.localStatusValue = status;
    if (status !== previous) out.push({ kind: "local-status", atMs: this.nowMs, previous, status });
  }

  private count(own: MembershipCounters, key: Counter, by = 1): void {
    own[key] += by;
    this.totals[key] += by;
  }
}

function newLink(medium: string): LinkRecord {
  return { medium, status: "init", lastHeardAtMs: undefined };
}
