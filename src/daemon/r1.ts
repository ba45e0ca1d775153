/**
 * Heartbeat's haresources resource protocol ("R1", hb_resource.c and the
 * rc.d / ResourceManager scripts around it), spoken by a Tandem node to a
 * peer that is a Heartbeat node, so a mixed pair shares its haresources
 * groups: each group is held by one node at a time, with Heartbeat's own
 * decisions (docs/MIGRATION.md; reference heartbeat.md §4 and §5).
 *
 * Pure and deterministic like node.ts: messages come in through `onMessage`,
 * membership through `onLocalActive` / `onPeer`, time through `tick(now)`;
 * it acts through ports: `send` (a cluster message), and `hold` (the set of
 * group keys this node may hold; the controller starts and stops resources
 * to match and calls `done` once it has settled, which is R1's "the
 * ResourceManager child exited").
 *
 * Like Heartbeat, this node processes its own broadcasts too (`msgfromme`):
 * the standby protocol is a three-phase exchange in which each side reacts
 * to its own `ask_resources` as well as to the peer's.
 *
 * Modes. With no live peer, or a Tandem peer, R1 does not restrict the
 * controller (`hold(undefined)`): Tandem's CRM decides. With a live Heartbeat
 * peer, R1 decides and the controller only carries it out. A Heartbeat peer
 * that never speaks R1 (it runs `crm on`) gets nothing: this node holds no
 * group while it is alive and says why (`refusal`).
 *
 * Deliberate differences from Heartbeat (documented in docs/MIGRATION.md):
 * - Two starting nodes: Heartbeat waits RQSTDELAY (10 s) when both say
 *   `starting`; this node takes its own (local) groups as soon as the peer's
 *   `resource` message shows it holds none of them, which is safe because a
 *   Heartbeat node only takes foreign groups after a death, a shutdown or a
 *   standby exchange, and it sets its holding bits before it acts.
 * - At comm-up with the peer already dead this node is stable at once
 *   (Heartbeat stays in `starting` until a peer answers).
 * - Flux recovery (resendDue): a message lost for good does not leave a side
 *   waiting an hour (Heartbeat's standby timeout) or for ever; a cancelled
 *   standby request is followed by isstable=1, which ends the taking side.
 * - A stop that fails is never reported as a release (releaseFailed):
 *   Heartbeat reboots the node; this node keeps the groups and says so.
 * - auto_failback legacy: the node asks for its own groups again when a
 *   Heartbeat peer appears after its comm-up, and repeats an unanswered
 *   ip-request (Heartbeat asks once, at its own comm-up).
 */
import type { AutoFailback } from "../config/model.js";
import type { ResourceProtocolReport } from "../ipc/protocol.js";
import type { NodeLogger } from "./node.js";

/** Heartbeat's resource sets (HB_NO_RSC ...): bit 1 = local groups, bit 2 = foreign groups. */
export const NONE = 0;
export const LOCAL = 1;
export const FOREIGN = 2;
export const ALL = 3;
export type HoldMask = 0 | 1 | 2 | 3;
export const HOLD_NAMES = ["none", "local", "foreign", "all"] as const;
export type HoldName = (typeof HOLD_NAMES)[number];

export function encodeHold(name: string | undefined): HoldMask | undefined {
  const i = HOLD_NAMES.indexOf((name ?? "") as HoldName);
  return i < 0 ? undefined : (i as HoldMask);
}

/** A mask seen from the other side: their local groups are our foreign ones. */
export function swapHold(m: HoldMask): HoldMask {
  return (((m & LOCAL) << 1) | ((m & FOREIGN) >> 1)) as HoldMask;
}

/** Heartbeat's resourcestate (HB_R_*). */
export type ResourceState = "init" | "starting" | "bothstarting" | "rscrcvd" | "stable" | "shutdown";
/** Heartbeat's going_standby. */
type Standby = "not" | "me" | "other" | "done";

/** R1 message types (heartbeat.md §3.7). */
export const R1_TYPES = new Set([
  "starting",
  "resource",
  "ask_resources",
  "hb_takeover",
  "ip-request",
  "ip-request-resp",
]);

export interface R1Group {
  /** The group key (first resource of the haresources line). */
  readonly key: string;
  /** Preferred node, lower-cased. */
  readonly node: string;
}

export type Fields = readonly (readonly [string, string])[];

export interface R1Ports {
  /** Sends a message to the cluster (every node), or to `dest`. */
  readonly send: (fields: Fields, dest?: string) => void;
  /**
   * The groups (keys) this node may hold, or undefined for no restriction
   * (Tandem's CRM decides). `done` is called once the resources match.
   */
  readonly hold: (keys: ReadonlySet<string> | undefined, done: () => void) => void;
  /**
   * The group keys with a member still running here or failed here (a stop that failed leaves it
   * blocked and running), once the controller settled: a group given up that is still here was not
   * released. Default: none (every stop succeeds).
   */
  readonly stillHere?: () => ReadonlySet<string>;
  readonly log?: NodeLogger;
}

export interface R1Options {
  readonly localNode: string;
  readonly autoFailback: AutoFailback;
  readonly groups: readonly R1Group[];
  /** Heartbeat's RQSTDELAY: take our local groups when nobody became stable. Default 10 s. */
  readonly requestDelayMs?: number;
  /** auto_failback legacy: ask again for a group whose ip-request got no answer (doubling up to 60 s). Default 2 s. */
  readonly ipRequestRetryMs?: number;
  /** Heartbeat's STANDBY_INIT_TO_MS: no reply to a standby request. Default 10 s. */
  readonly standbyReplyMs?: number;
  /** A Heartbeat peer that says nothing of R1 this long after both are active runs `crm on`. Default 5 s. */
  readonly silentPeerMs?: number;
  /**
   * Waiting this long on the peer (it looks in flux, or a standby exchange is stuck) with no R1
   * message from it: repeat what it needs from us, or ask for its state. Default 10 s.
   */
  readonly resendMs?: number;
  /** This node runs `crm on` (a cib.xml): it cannot share resources with a Heartbeat peer at all. */
  readonly crmMode?: boolean;
}

export type PeerKind = "tandem" | "heartbeat";

/**
 * What this node holds, in Heartbeat's terms, from what actually runs here
 * (for cl_status rscstatus when the CRM decides): the local bit when every
 * group preferring this node is held, the foreign bit when every other group
 * is; a set with no group counts as not held.
 */
export function holdFromRunning(
  groups: readonly R1Group[],
  localNode: string,
  held: (key: string) => boolean,
): HoldMask {
  const local = groups.filter((g) => g.node === localNode.toLowerCase());
  const foreign = groups.filter((g) => g.node !== localNode.toLowerCase());
  const all = (gs: R1Group[]) => gs.length > 0 && gs.every((g) => held(g.key));
  return ((all(local) ? LOCAL : NONE) | (all(foreign) ? FOREIGN : NONE)) as HoldMask;
}

export type R1Report = ResourceProtocolReport;

type Mark = { readonly hg: number; readonly seq: number };

/** A peer message's (generation, seq), when it has them. */
function markOf(m: ReadonlyMap<string, string>): Mark | undefined {
  const hg = Number.parseInt(m.get("hg") ?? "", 16);
  const seq = Number.parseInt(m.get("seq") ?? "", 16);
  return Number.isNaN(hg) || Number.isNaN(seq) ? undefined : { hg, seq };
}

/** Whether `a` was sent after `b` (true when either is unknown). */
function newer(a: Mark | undefined, b: Mark | undefined): boolean {
  if (a === undefined || b === undefined) return true;
  return a.hg > b.hg || (a.hg === b.hg && a.seq > b.seq);
}

const nop = (): void => {};
const silent: NodeLogger = { debug: nop, info: nop, warn: nop, error: nop };

export class R1Engine {
  private readonly local: string;
  private readonly log: NodeLogger;
  private readonly requestDelayMs: number;
  private readonly standbyReplyMs: number;
  private readonly silentPeerMs: number;
  private readonly resendMs: number;
  private readonly ipRequestRetryMs: number;
  private readonly niceFailback: boolean;
  private readonly autoFailback: boolean;
  /** What this node holds (procinfo->i_hold_resources). */
  private iHold: HoldMask = NONE;
  private otherHolds: HoldMask = NONE;
  private otherStable = false;
  /** The peer's `resource isstable=0` that last made it unstable here (undefined: another cause). */
  private otherUnstableMark: Mark | undefined;
  private state: ResourceState = "init";
  private standby: Standby = "not";
  private standbyType: HoldMask = ALL;
  /** Our side of the standby exchange: `me` gives the groups up, `other` takes them. */
  private standbyRole: "me" | "other" = "me";
  /** (hg, seq) of the peer's `ask_resources info=me` that made us the taking side. */
  private peerRequestMark: { hg: number; seq: number } | undefined;
  /** We took groups in the last standby exchange and said `done`: answer a repeated `done` with ours. */
  private acquiredLast = false;
  /** auto_failback legacy: our ip-requests not answered yet: when to ask again, and how often we did. */
  private readonly legacyAsked = new Map<string, { at: number; tries: number }>();
  /** auto_failback legacy: groups we are giving to the peer (its ip-request), answered once stopped. */
  private readonly giving = new Set<string>();
  /** When to repeat what the peer waits for from us (flux recovery, see `resendDue`). */
  private resendAt: number | undefined;
  private standbyUntil: number | undefined;
  private takeoverAt: number | undefined;
  private needsFailback = false;
  private failbackRetryAt: number | undefined;
  private localActive = false;
  /** The other node, its kind and whether it is alive (not dead). */
  private peer: { name: string; kind: PeerKind | undefined; alive: boolean; spoke: boolean } | undefined;
  private peerActiveAt: number | undefined;
  private refusal: string | undefined;
  /** The refusal is checkSilentPeer's (lifted when the peer speaks), not crm mode's. */
  private silentRefusal = false;
  /** When a node refused its silent peer next says `starting` (the peer may have refused us too). */
  private refusedSpeakAt: number | undefined;
  /** Giving our groups up after a partition, until we negotiate again (rejoinAfterPartition). */
  private rejoining = false;
  /** A give-up after a partition was cancelled by a failed stop: redone once the failure is cleaned up. */
  private rejoinStuck = false;
  /**
   * Bumped by each give-up after a partition and by whatever supersedes one (the peer's death, being
   * alone): a give-up's completion from an earlier epoch is stale and does nothing.
   */
  private rejoinEpoch = 0;
  /** The legacy-mode silent peer already warned about. */
  private silentWarned: string | undefined;
  /** (hg, seq) of the peer's `done` we last acted on: a repeat of it, or an older one, is no news. */
  private peerDoneMark: { hg: number; seq: number } | undefined;
  /** (generation, seq) of the newest `resource` message from the peer: an older one is stale. */
  private peerResourceMark: { hg: number; seq: number } | undefined;
  /** Group keys the controller is told this node may hold. */
  private readonly target = new Set<string>();
  /** Resource work in flight (Heartbeat's ResourceMgmt_child_count). */
  private busy = 0;
  private readonly selfQueue: Map<string, string>[] = [];
  private now = 0;

  constructor(
    private readonly options: R1Options,
    private readonly ports: R1Ports,
  ) {
    this.local = options.localNode.toLowerCase();
    this.log = ports.log ?? silent;
    this.requestDelayMs = options.requestDelayMs ?? 10_000;
    this.standbyReplyMs = options.standbyReplyMs ?? 10_000;
    this.silentPeerMs = options.silentPeerMs ?? 5000;
    this.resendMs = options.resendMs ?? 10_000;
    this.ipRequestRetryMs = options.ipRequestRetryMs ?? 2000;
    this.niceFailback = options.autoFailback !== "legacy";
    this.autoFailback = options.autoFailback === "on";
  }

  // ------------------------------------------------------------ inputs

  /** Comm-up: this node became active (Heartbeat's comm_up_resource_action). */
  onLocalActive(now: number): void {
    this.now = now;
    if (this.localActive) return;
    this.localActive = true;
    if (!this.peerIsHeartbeat() || this.options.crmMode === true) {
      // Alone, or with a Tandem peer: the CRM decides; R1 only keeps its books.
      if (this.peer === undefined || !this.peer.alive) this.takeAllAlone("comm-up with no live peer");
      this.apply();
      this.drain();
      return;
    }
    if (this.state === "stable") {
      // The peer's answers came before our own status went active and we settled already: a
      // `starting` now would tell the peer we hold nothing, and it would wait for good for us to
      // say we are stable again (simulator haresources seed 15). Say what we hold instead; and take
      // our local groups if the peer, restarted meanwhile (within the deadtime: never seen dead), no
      // longer holds them (simulator haresources seed 6939: r1a ran nowhere for good).
      if (
        this.niceFailback &&
        this.peerIsHeartbeat() &&
        this.peer?.alive === true &&
        this.takeUnheldLocal()
      ) {
        this.drain();
        return;
      }
      this.sendHeld(true);
      this.drain();
      return;
    }
    this.startNegotiation();
    this.drain();
  }

  /** The local node stopped being active (shutdown or lost its own heartbeat). */
  onLocalInactive(now: number): void {
    this.now = now;
    this.localActive = false;
  }

  /**
   * A peer's membership status changed. `kind` is what its status messages
   * say it is (node.ts: a Tandem node marks its status), undefined when not
   * known yet.
   */
  onPeer(
    name: string,
    alive: boolean,
    kind: PeerKind | undefined,
    now: number,
    shutdown = false,
    /** The peer was dead and speaks again in the same generation (membership's returned-after-partition). */
    afterPartition = false,
  ): void {
    this.now = now;
    const n = name.toLowerCase();
    const before = this.peer;
    const wasHb = this.peerIsHeartbeat();
    if (before === undefined || before.name !== n || !before.alive || before.kind !== kind) {
      this.peer = {
        name: n,
        kind,
        alive,
        spoke: before?.name === n && before.alive && alive && before.spoke,
      };
    } else this.peer = { ...before, alive };
    if (!alive) {
      this.peerActiveAt = undefined;
      this.peerResourceMark = undefined;
      if (this.refusal !== undefined) {
        this.log.info({ event: "r1-refusal-cleared", peer: n }, `${n} left: resources are managed again`);
        this.refusal = undefined;
        this.silentRefusal = false;
      }
      if (wasHb || before?.kind === undefined) this.peerDied(n, shutdown);
      else this.takeAllAlone(`${n} left`);
      this.apply();
      this.drain();
      return;
    }
    if (this.peerIsHeartbeat() && !wasHb) {
      this.heartbeatPeerArrived();
      if (afterPartition) this.rejoinAfterPartition();
      else if (
        this.localActive &&
        this.state === "stable" &&
        this.refusal === undefined &&
        !this.niceFailback
      )
        this.reclaimLegacy();
      else if (this.localActive && this.state === "stable" && this.refusal === undefined)
        // We settled before we knew the peer runs Heartbeat (alone, or its kind came after its
        // `starting`, which was not ours to answer then): say what we hold, as the answer it waits
        // for (simulator haresources seed 306: both sides waited in silence, then refused each other).
        this.sendHeld(true);
    } else if (!this.peerIsHeartbeat() && wasHb) {
      this.refusal = undefined;
      this.silentRefusal = false;
      this.log.info({ event: "r1-peer-tandem", peer: n }, `${n} now runs Tandem: the CRM decides again`);
      this.apply();
    }
    this.drain();
  }

  /** The peer's membership status reached `active` (for the crm-mode detection). */
  onPeerActive(now: number): void {
    this.now = now;
    this.peerActiveAt ??= now;
  }

  /** An R1 message (t in R1_TYPES, or shutdone) from `from` (the local node for our own). */
  onMessage(from: string, fields: ReadonlyMap<string, string>, now: number): void {
    this.now = now;
    const f = from.toLowerCase();
    if (f !== this.local && this.peer?.name === f) {
      this.peer = { ...this.peer, spoke: true };
      this.resendAt = undefined; // the peer speaks: wait afresh (resendDue)
      if (this.silentRefusal && this.refusal !== undefined && this.peerIsHeartbeat())
        this.liftSilentRefusal(f);
    }
    this.dispatch(f, fields);
    this.drain();
  }

  /** Due work: RQSTDELAY, the standby reply timeout, a delayed failback, the silent-peer check. */
  tick(now: number): void {
    this.now = now;
    if (this.takeoverAt !== undefined && now >= this.takeoverAt && this.state !== "stable") {
      this.takeoverAt = undefined;
      if (this.niceFailback && this.localActive && this.state !== "shutdown" && this.refusal === undefined) {
        this.log.info({ event: "r1-rqstdelay" }, "nobody became stable in time: taking our local groups");
        this.reqOurResources(false);
        this.state = "stable";
        this.sendHeld(true);
      }
    }
    if (this.standby === "me" && this.standbyUntil !== undefined && now >= this.standbyUntil) {
      this.log.warn(
        { event: "r1-standby-cancelled" },
        "No reply to standby request.  Standby request cancelled.",
      );
      this.standby = "not";
      this.standbyUntil = undefined;
      this.otherStable = true;
      // Heartbeat cancels in silence; the peer may have answered `other` (its answer lost) and would
      // wait an hour for our `done`. Saying we are stable again ends its side too (onResource).
      this.sendHeld(this.state === "stable");
    }
    if (this.failbackRetryAt !== undefined && now >= this.failbackRetryAt) {
      this.failbackRetryAt = undefined;
      this.performAutoFailback();
    }
    this.checkSilentPeer();
    this.speakWhileRefused();
    this.resendDue();
    this.askLegacyAgain();
    this.drain();
  }

  /** hb_standby WHICH on this node (hbctl standby). Returns a refusal reason, or undefined when sent. */
  requestStandby(which: HoldMask): string | undefined {
    if (!this.peerIsHeartbeat()) return "no Heartbeat peer";
    if (!this.niceFailback)
      return "Standby mode only implemented when nice_failback on (auto_failback legacy)";
    if (this.refusal !== undefined) return this.refusal;
    // Heartbeat sends the request and then, processing its own copy, may ignore it as "in flux" while
    // the peer takes it and waits an hour for the rest (found by CI, interop/mixed-ipfail: ipfail asked
    // right after a failback; Heartbeat then ignored every later request for 3,600 s). Tandem does not
    // send a request it would ignore itself; the caller asks again (ipfail on its next you_are_dead).
    if (this.standby !== "not" || !this.otherStable || this.state !== "stable" || this.busy > 0) {
      this.log.warn(
        { event: "r1-standby-deferred", which: HOLD_NAMES[which] },
        `standby [${HOLD_NAMES[which]}] not requested: resources in flux; try again in a moment`,
      );
      return "resources are in flux (a takeover or standby is running); try again in a moment";
    }
    this.log.info({ event: "r1-standby", which: HOLD_NAMES[which] }, `Going standby [${HOLD_NAMES[which]}].`);
    this.broadcast([
      ["t", "ask_resources"],
      ["rsc_hold", HOLD_NAMES[which]],
      ["info", "me"],
    ]);
    this.drain();
    return undefined;
  }

  /** hb_takeover WHICH on this node: the peer runs hb_standby with local/foreign swapped. */
  requestTakeover(which: HoldMask): string | undefined {
    if (!this.peerIsHeartbeat()) return "no Heartbeat peer";
    if (!this.niceFailback)
      return "Standby mode only implemented when nice_failback on (auto_failback legacy)";
    if (this.refusal !== undefined) return this.refusal;
    this.ports.send([
      ["t", "hb_takeover"],
      ["rsc_hold", HOLD_NAMES[which]],
    ]);
    return undefined;
  }

  /**
   * Clean shutdown: the controller stops the resources, then the node sends `shutdone`, on which the
   * peer takes them over. Until then what we hold stays said (isstable=0): a peer starting meanwhile
   * told "none" took its groups while our stops still ran them (simulator haresources seed 1284: n1
   * booted while n2's release ran, took r1a on n2's "none", and both ran r1a).
   */
  onShutdown(): void {
    if (this.state === "shutdown") return;
    this.state = "shutdown";
    if (this.peerIsHeartbeat() && this.niceFailback) this.sendHeld(false, "shutdown");
  }

  /**
   * `hbctl resource cleanup` is about to clear failures. A give-up after a partition that a failed
   * stop cancelled (the groups stayed here) is done again first: the groups kept only because they
   * could not stop are released, not completed. Otherwise the cleanup's re-probe found them running
   * here, held, and started their other members, while the peer, cleaned up too, did the same
   * (simulator haresources seed 3204: r1c on both nodes).
   */
  onCleanup(now: number): void {
    this.now = now;
    if (!this.rejoinStuck) return;
    this.rejoinStuck = false;
    if (this.peer?.alive === true && this.peerIsHeartbeat())
      this.rejoinAfterPartition("a stop failure that kept our groups was cleaned up");
    this.drain();
  }

  /** True when a live Heartbeat peer decides with us (the controller is restricted). */
  get restricted(): boolean {
    return this.peerIsHeartbeat();
  }

  report(): R1Report {
    const mode =
      this.refusal !== undefined
        ? "refused"
        : this.peerIsHeartbeat()
          ? "heartbeat-peer"
          : this.peer?.alive && this.peer.kind === "tandem"
            ? "tandem-peer"
            : "alone";
    return {
      mode,
      ...(this.peer?.alive ? { peer: this.peer.name } : {}),
      ...(this.peerIsHeartbeat()
        ? { peerHolds: HOLD_NAMES[this.otherHolds], peerStable: this.otherStable }
        : {}),
      rscstatus: this.isStable() ? HOLD_NAMES[this.iHold] : "transition",
      state: this.state,
      standby: this.standby,
      held: [...this.target].sort(),
      ...(this.refusal === undefined ? {} : { refusal: this.refusal }),
    };
  }

  // ------------------------------------------------------------ membership

  private peerIsHeartbeat(): boolean {
    return this.peer?.alive === true && this.peer.kind === "heartbeat";
  }

  /** A Heartbeat peer appeared while we run: what we hold now is what R1 starts from. */
  private heartbeatPeerArrived(): void {
    const name = this.peer?.name ?? "?";
    if (this.options.crmMode === true) {
      this.refusal = `${name} runs Heartbeat and this node runs crm on: Tandem's CRM cannot share resources with a Heartbeat node (a mixed pair shares haresources groups only); this node runs no resource while ${name} is up`;
      this.log.error({ event: "r1-refused", peer: name }, this.refusal);
      this.iHold = NONE;
      this.target.clear();
      this.apply();
      return;
    }
    this.log.info(
      { event: "r1-peer-heartbeat", peer: name },
      `${name} runs Heartbeat: resources are negotiated with Heartbeat's haresources protocol`,
    );
    this.otherHolds = NONE;
    this.otherStable = false;
    this.peerActiveAt = undefined;
    this.peerResourceMark = undefined;
    if (!this.localActive && this.state === "init" && this.target.size > 0) {
      // We took every group when the peer died before our own comm-up (bookkeeping: nothing runs
      // before it); it is back, so we hold nothing and negotiate at comm-up. Keeping them, our
      // `starting` said "none" while we started them (simulator haresources seed 671: both ran r1a).
      this.iHold = NONE;
      this.needsFailback = false;
      this.target.clear();
    }
    this.apply();
    if (this.localActive && this.state === "init") this.startNegotiation();
  }

  /**
   * The peer comes back after a partition: each side may hold groups the other took over (a one-way
   * partition: only we saw it die). Heartbeat gives its resources up and restarts (heartbeat.c
   * "Cluster node X returning after partition"); we give everything up and negotiate again as a
   * starting node does, once the stops are done (simulator haresources seed 1: both ran every group
   * for good after a one-way partition healed).
   */
  private rejoinAfterPartition(why?: string): void {
    if (this.refusal !== undefined || this.state === "shutdown" || !this.localActive || this.rejoining)
      return;
    const name = this.peer?.name ?? "?";
    this.log.warn(
      { event: "r1-partition-rejoin", peer: name, ...(why === undefined ? {} : { why }) },
      `${why ?? `${name} returns after a partition`}: giving up our resources and negotiating again (as Heartbeat restarts)`,
    );
    // What we hold stays said until the stops are done: a peer told "none" sooner took its groups
    // while a hung stop here still ran them (simulator haresources seed 79).
    this.standby = "not";
    this.standbyUntil = undefined;
    this.takeoverAt = undefined;
    this.failbackRetryAt = undefined;
    this.needsFailback = false;
    this.acquiredLast = false;
    this.state = "init";
    this.rejoining = true;
    this.rejoinStuck = false;
    const epoch = ++this.rejoinEpoch;
    this.target.clear();
    const held = this.iHold;
    this.work(() => {
      // The peer died (or left) while the stops ran, and we took every group over since: this
      // give-up is over. Finishing it said "none" while all ran here (simulator haresources seed
      // 1242: a start hung 60 s held the give-up open across the peer's death and our takeover; its
      // end, an hour of simulated work later, zeroed what we hold, and the peer took r3a beside us).
      if (epoch !== this.rejoinEpoch) return;
      this.rejoining = false;
      if (this.releaseFailed(held, "giving up after a partition")) {
        // We cannot say `starting` (holding nothing) while a group still runs here: keep the sets
        // a stuck group belongs to (the others did stop; seed 974: keeping every set on both
        // sides, each stuck on another group, made them give up and restart for ever), and say so.
        const here = this.ports.stillHere?.() ?? new Set<string>();
        const stuckMask = ((this.groupsOf((held & LOCAL) as HoldMask).some((g) => here.has(g))
          ? LOCAL
          : NONE) |
          (this.groupsOf((held & FOREIGN) as HoldMask).some((g) => here.has(g))
            ? FOREIGN
            : NONE)) as HoldMask;
        this.iHold = stuckMask;
        this.rejoinStuck = true;
        for (const g of this.groupsOf(stuckMask)) this.target.add(g);
        if (this.state === "init") this.state = "stable";
        // asked as a resend: the peer answers with its state (it may have settled already, and
        // would say nothing: seed 154 refused it as a silent peer)
        this.sendHeld(true, "resend");
        this.work(nop);
        return;
      }
      this.iHold = NONE;
      if (this.state === "init" && this.peerIsHeartbeat()) this.startNegotiation();
    });
  }

  private startNegotiation(): void {
    if (!this.niceFailback) {
      this.reqOurResourcesLegacy();
      return;
    }
    this.broadcast([["t", "starting"]]);
    if (this.state !== "stable") this.state = "starting";
    this.takeoverAt = this.now + this.requestDelayMs;
  }

  /** Alone (or next to a Tandem peer that left): we hold every group. */
  private takeAllAlone(why: string): void {
    if (this.state === "shutdown") return;
    this.endRejoin();
    this.iHold = ALL;
    this.otherHolds = NONE;
    this.otherStable = true;
    this.standby = "not";
    this.standbyUntil = undefined;
    this.needsFailback = true;
    if (this.localActive) this.state = "stable";
    for (const g of this.options.groups) this.target.add(g.key);
    this.log.debug({ event: "r1-alone", why }, `R1: holding all groups (${why})`);
  }

  /** A give-up after a partition still running is superseded (we take every group now). */
  private endRejoin(): void {
    if (!this.rejoining) return;
    this.rejoining = false;
    this.rejoinEpoch++;
  }

  /** hb_rsc_recover_dead_resources + takeover_from_node + mach_down. */
  private peerDied(name: string, shutdown: boolean): void {
    if (this.state === "shutdown") return;
    this.endRejoin();
    this.rejoinStuck = false;
    if (this.standby !== "not") {
      this.log.info({ event: "r1-standby-cancelled" }, "Cancelling pending standby operation");
      this.standby = "not";
      this.standbyUntil = undefined;
    }
    this.log.info(
      { event: "r1-takeover", peer: name, shutdown },
      shutdown ? `Received shutdown notice from '${name}'.` : `Resources being acquired from ${name}.`,
    );
    this.needsFailback = true;
    this.acquiredLast = false;
    this.otherHolds = NONE;
    this.otherStable = true;
    this.iHold = ALL;
    if (this.localActive) this.state = "stable";
    this.takeoverAt = undefined;
    this.failbackRetryAt = undefined;
    for (const g of this.options.groups) this.target.add(g.key);
  }

  /** `crm on` on the Heartbeat side: it never speaks R1; we hold nothing next to it and say why. */
  private checkSilentPeer(): void {
    const p = this.peer;
    if (p === undefined || !this.peerIsHeartbeat() || p.spoke || this.refusal !== undefined) return;
    if (!this.localActive || this.peerActiveAt === undefined) return;
    if (this.now - this.peerActiveAt < this.silentPeerMs) return;
    if (!this.niceFailback) {
      // With auto_failback legacy a Heartbeat node says nothing of R1 unless it asks for one of its
      // own groups (ip-request): silence is normal, and refusing stopped every resource next to a
      // legacy peer that held its groups already (simulator haresources seeds 122, 124, 252).
      if (!p.spoke && this.silentWarned !== p.name) {
        this.silentWarned = p.name;
        this.log.warn(
          { event: "r1-silent-peer", peer: p.name },
          `Heartbeat peer ${p.name} has said nothing of the haresources resource protocol; with auto_failback legacy that is normal (if it runs crm on, both may run the groups)`,
        );
      }
      return;
    }
    this.refusal = `Heartbeat peer ${p.name} does not speak the haresources resource protocol (is it running crm on / Pacemaker?): a mixed pair shares only haresources groups; this node holds no resource while ${p.name} is up`;
    this.log.error({ event: "r1-refused", peer: p.name }, this.refusal);
    this.silentRefusal = true;
    this.iHold = NONE;
    this.target.clear();
    this.apply();
  }

  /**
   * Refused as silent, we say `starting` (we hold nothing) every resendMs: the peer may have refused
   * us for the same lost messages, and both waited in silence for good (simulator haresources seed
   * 5057). Hearing it, a refusing peer lifts its refusal and negotiates; a peer that was not refusing
   * answers with its state; a Heartbeat node running crm on ignores it.
   */
  private speakWhileRefused(): void {
    if (!this.silentRefusal || this.refusal === undefined || !this.localActive || this.peer?.alive !== true) {
      this.refusedSpeakAt = undefined;
      return;
    }
    if (this.refusedSpeakAt === undefined) this.refusedSpeakAt = this.now + this.resendMs;
    if (this.now < this.refusedSpeakAt) return;
    this.refusedSpeakAt = this.now + this.resendMs;
    this.ports.send([["t", "starting"]]);
  }

  /**
   * A peer refused as silent speaks R1 after all: its messages were lost for good (simulator
   * haresources seed 802: every R1 message of a lossy spell was lost; refused for as long as the
   * peer lived). We hold nothing since the refusal: negotiate as a starting node.
   */
  private liftSilentRefusal(name: string): void {
    this.log.info(
      { event: "r1-refusal-cleared", peer: name },
      `${name} speaks the haresources resource protocol after all: resources are negotiated again`,
    );
    this.refusal = undefined;
    this.silentRefusal = false;
    this.state = "init";
    this.iHold = NONE;
    this.target.clear();
    this.otherHolds = NONE;
    this.otherStable = false;
    this.apply();
    if (this.localActive) this.startNegotiation();
  }

  // ------------------------------------------------------------ messages

  private dispatch(from: string, m: ReadonlyMap<string, string>): void {
    const t = m.get("t") ?? "";
    const fromMe = from === this.local;
    if (!fromMe && !this.peerIsHeartbeat()) return; // a Tandem peer's CRM decides
    if (this.refusal !== undefined) return;
    switch (t) {
      case "starting":
        if (!fromMe && !this.staleStarting(m)) this.onStarting();
        return;
      case "resource":
        this.onResource(fromMe, m);
        if (!fromMe && m.get("info") === "resend" && this.niceFailback && this.state !== "shutdown")
          // The peer has waited on us (resendDue): say where we are, whatever it last heard.
          this.sendHeld(this.state === "stable" && this.busy === 0 && !this.rejoining);
        return;
      case "ask_resources":
        this.onAskResources(fromMe, from, m);
        return;
      case "hb_takeover":
        if (!fromMe) this.onHbTakeover(m);
        return;
      case "ip-request":
        if (!fromMe) this.onIpRequest(from, m);
        return;
      case "ip-request-resp":
        this.onIpRequestResp(m);
        return;
    }
  }

  private onStarting(): void {
    if (!this.niceFailback) return;
    // A node that says `starting` has just reached comm-up: it holds nothing.
    const orphaned = (swapHold(this.otherHolds) & ~this.iHold) as HoldMask;
    this.otherHolds = NONE;
    this.otherStable = false;
    if (this.standby !== "not" && !(this.standby === "done" && this.standbyRole === "other")) {
      // (also when we gave our groups up and wait for its `done`: its new run took nothing, and
      // the groups are nobody's; seed 1256 waited for that `done` for good)
      // A request (or our answer) that nothing was taken for yet went to the peer's previous run:
      // it restarted within the deadtime (never seen dead). Cancel as on its death; our isstable
      // then says 1 again (simulator haresources seed 836: an auto-failback sent as the peer
      // crashed kept us in flux 10 s, and the peer's group never went back).
      this.log.info(
        { event: "r1-standby-cancelled" },
        "Cancelling pending standby operation (the other node restarted)",
      );
      this.standby = "not";
      this.standbyUntil = undefined;
    }
    // It restarted holding nothing: with auto_failback on, its groups we hold go back once it is stable.
    if ((this.iHold & FOREIGN) !== 0) this.needsFailback = true;
    if (
      this.localActive &&
      this.state === "stable" &&
      this.standby === "not" &&
      this.groupsOf(orphaned).length > 0
    ) {
      // It held groups and restarted within the deadtime (never seen dead): nobody runs them now.
      // Take them over as after its death (simulator haresources seed 111: the group it had taken
      // in a standby ran nowhere for good after it restarted).
      this.log.info(
        { event: "r1-takeover", peer: this.peer?.name, restarted: true },
        `${this.peer?.name ?? "the peer"} restarted holding ${HOLD_NAMES[orphaned]} groups: taking them over`,
      );
      this.iHold = (this.iHold | orphaned) as HoldMask;
      this.needsFailback = true;
      for (const g of this.groupsOf(orphaned)) this.target.add(g);
      this.work(nop);
    }
    if (
      this.localActive &&
      (this.state === "starting" || this.state === "bothstarting" || this.state === "rscrcvd")
    ) {
      // Heartbeat would wait for the peer's `resource` answer (or RQSTDELAY); it holds none of our local
      // groups and will not take them while we live, so we take them now and answer as stable.
      this.reqOurResources(false);
      this.state = "stable";
      this.takeoverAt = undefined;
    }
    this.sendHeld(this.state === "stable");
  }

  private onResource(fromMe: boolean, m: ReadonlyMap<string, string>): void {
    if (!this.niceFailback) return;
    const n = encodeHold(m.get("rsc_hold"));
    if (n === undefined) {
      this.log.error({ event: "r1-bad-message" }, `resource message without a valid rsc_hold`);
      return;
    }
    const full = m.get("rtype") === "full";
    const upd = (cur: HoldMask): HoldMask => (full ? n : n === NONE ? NONE : ((n | cur) as HoldMask));
    if (this.state === "starting" || this.state === "bothstarting") this.state = "rscrcvd";
    if (fromMe) {
      this.iHold = upd(this.iHold);
      if (m.get("info") === "shutdown") this.state = "shutdown";
      return;
    }
    if (this.staleResource(m)) return;
    this.otherHolds = upd(this.otherHolds);
    const stable = m.get("isstable");
    if (stable === "1" && this.standby === "other" && newer(markOf(m), this.peerRequestMark)) {
      // The peer asked us to take its groups, then said it is stable: it cancelled the request (its
      // 10 s timer: our `other` was lost). It gave nothing up; we took nothing yet (simulator
      // haresources seed 16: we waited Heartbeat's hour in `other`, rscstatus `transition`).
      this.log.warn(
        { event: "r1-standby-abandoned" },
        "the other node cancelled its standby request: standby cancelled here too.",
      );
      this.standby = "not";
      this.standbyUntil = undefined;
    }
    if (stable === "1") {
      if (!this.otherStable) {
        this.log.info({ event: "r1-remote-stable" }, "remote resource transition completed.");
        this.otherStable = true;
        this.sendHeld(this.state === "stable");
        this.performAutoFailback();
      }
    } else if (stable !== undefined) {
      this.otherStable = false;
      this.otherUnstableMark = markOf(m);
    }
    const both = (swapHold(this.otherHolds) & this.iHold) as HoldMask;
    if (
      stable === "1" &&
      this.state === "stable" &&
      this.standby === "not" &&
      this.busy === 0 &&
      !this.rejoinStuck &&
      this.groupsOf(both).length > 0
    ) {
      // Both sides stable and holding the same groups: each took them over while the other was
      // unreachable, and neither saw the other return from a partition (a restart on one side;
      // simulator haresources seed 361: both auto-failbacks then ignored each other for good).
      // Not while a failed stop keeps them here (rejoinStuck): giving up again fails again at once,
      // and both stuck sides answered each other's resends with a new give-up, a storm of messages
      // at one instant (seed 8269); `hbctl resource cleanup` redoes the give-up (onCleanup).
      this.rejoinAfterPartition(`both nodes hold ${HOLD_NAMES[both]} groups`);
      return;
    }
    // Both stable and nobody holds our local groups: we settled on what the peer said before it
    // gave them up (both gave up a split brain at once; simulator haresources seed 679: the
    // peer's "all", sent just before its own give-up, reached us after ours; r3a ran nowhere).
    // Take them, as at start-up; the peer takes its own the same way.
    if (stable === "1" && this.takeUnheldLocal()) return;
    if (this.state === "stable" || this.state === "shutdown") return;
    // Giving up before negotiating again: the peer's answers to our `starting` decide, not what it
    // said before (simulator haresources seed 365: both gave up at once, each settled on the other's
    // stale "all", and nobody ran the groups).
    if (this.rejoining) return;
    if (this.otherStable || (this.otherHolds & FOREIGN) === 0) {
      // Heartbeat waits for the other side to be stable (or RQSTDELAY); the peer holding none of our
      // local groups is enough to take them safely (see the header).
      this.reqOurResources(false);
      this.state = "stable";
      this.takeoverAt = undefined;
      this.sendHeld(true);
      this.performAutoFailback();
    }
  }

  /** Takes our local groups when both sides are stable and nobody holds them; true when it did. */
  private takeUnheldLocal(): boolean {
    if (
      !this.localActive ||
      !this.otherStable ||
      this.state !== "stable" ||
      this.standby !== "not" ||
      this.busy > 0 ||
      this.rejoining ||
      (this.iHold & LOCAL) !== 0 ||
      (this.otherHolds & FOREIGN) !== 0 ||
      this.groupsOf(LOCAL).length === 0
    )
      return false;
    this.log.info({ event: "r1-unheld-local" }, "nobody holds our local groups: taking them");
    this.reqOurResources(false);
    this.sendHeld(true);
    return true;
  }

  /**
   * Whether a peer's `resource` message is older than one already processed. A lost message is
   * retransmitted and delivered after later ones (Heartbeat's gap recovery does not reorder): the
   * peer's `isstable=0` arriving after its `isstable=1` left the peer in flux for ever here, so no
   * standby, takeover or failback was ever possible again (simulator seed 5).
   */
  private staleResource(m: ReadonlyMap<string, string>): boolean {
    const hg = Number.parseInt(m.get("hg") ?? "", 16);
    const seq = Number.parseInt(m.get("seq") ?? "", 16);
    if (Number.isNaN(hg) || Number.isNaN(seq)) return false;
    const last = this.peerResourceMark;
    if (last !== undefined && (hg < last.hg || (hg === last.hg && seq < last.seq))) {
      this.log.info(
        { event: "r1-stale-resource", hg, seq, newest: last },
        `resource message ${seq} of generation ${hg} is older than one already processed: ignored`,
      );
      return true;
    }
    this.peerResourceMark = { hg, seq };
    return false;
  }

  /**
   * A peer's `starting` sent before a `resource` message of its already processed: retransmitted
   * after it (a lost packet), it says nothing of now. Taken as new, the peer "restarted holding"
   * the groups it had just taken and we took them too (simulator haresources seed 234: both ran r1a).
   */
  private staleStarting(m: ReadonlyMap<string, string>): boolean {
    const mark = markOf(m);
    if (mark === undefined || this.peerResourceMark === undefined || newer(mark, this.peerResourceMark))
      return false;
    this.log.info(
      { event: "r1-stale-starting", hg: mark.hg, seq: mark.seq, newest: this.peerResourceMark },
      `starting message ${mark.seq} of generation ${mark.hg} is older than a resource message already processed: ignored`,
    );
    return true;
  }

  private onHbTakeover(m: ReadonlyMap<string, string>): void {
    // rc.d/hb_takeover: run hb_standby here with local and foreign swapped (failback has no branch: all).
    const which = encodeHold(m.get("rsc_hold"));
    this.requestStandby(which === undefined ? ALL : swapHold(which));
  }

  /** ask_for_resources(): the three-phase standby protocol, from both sides. */
  /**
   * The peer's `me` request arrived after the `isstable=0` it sent after it (its own standby makes it
   * say so: sendHeld): a reordering on the wire. The peer is in flux only for this request, which is
   * answered (simulator haresources seed 1521: the auto-failback's request was ignored as "in flux",
   * cancelled 10 s later, and never retried: the groups stayed away from their home for good).
   */
  private unstableForThisRequest(fromMe: boolean, info: string, m: ReadonlyMap<string, string>): boolean {
    if (fromMe || info !== "me" || this.otherUnstableMark === undefined) return false;
    const request = markOf(m);
    return request !== undefined && newer(this.otherUnstableMark, request);
  }

  private onAskResources(fromMe: boolean, from: string, m: ReadonlyMap<string, string>): void {
    if (!this.niceFailback) {
      this.log.info({ event: "r1-standby-refused" }, "Standby mode only implemented when nice_failback on");
      return;
    }
    if (this.state === "shutdown") return;
    const info = m.get("info") ?? "";
    const rtype = encodeHold(m.get("rsc_hold")) ?? ALL;
    if (
      this.standby !== "not" &&
      this.standbyUntil !== undefined &&
      this.now < this.standbyUntil &&
      info === "me"
    ) {
      const left = Math.ceil((this.standbyUntil - this.now) / 1000);
      this.log.warn(
        { event: "r1-standby-busy" },
        `Standby in progress- new request from ${from} ignored [${left} seconds left]`,
      );
      return;
    }
    let ignored = false;
    if (this.standby === "not" && !fromMe && info === "done") {
      this.lateDone(from, rtype, m);
      return;
    }
    switch (this.standby) {
      case "not":
        if (
          (!this.otherStable && !this.unstableForThisRequest(fromMe, info, m)) ||
          this.state !== "stable" ||
          this.busy > 0
        ) {
          this.log.warn(
            { event: "r1-standby-ignored" },
            `standby message [${info}] from ${from} ignored.  ${this.otherStable ? "local resources" : "Other side is"} in flux.`,
          );
          return;
        }
        this.standbyType = rtype;
        if (info !== "me") {
          ignored = true;
          break;
        }
        this.otherStable = false;
        this.acquiredLast = false;
        this.log.info({ event: "r1-standby-start" }, `${from} wants to go standby [${HOLD_NAMES[rtype]}]`);
        if (fromMe) {
          this.standby = "me";
          this.standbyRole = "me";
          this.standbyUntil = this.now + this.standbyReplyMs;
        } else {
          this.standby = "other";
          this.standbyRole = "other";
          this.peerRequestMark = markOf(m);
          this.standbyUntil = this.now + 3_600_000;
          this.sendStandby("other");
        }
        break;
      case "me":
        if (!fromMe && info === "other") {
          this.standbyType = rtype;
          this.standbyUntil = this.now + 3_600_000;
          this.log.info(
            { event: "r1-standby-give" },
            `standby: ${from} can take our ${HOLD_NAMES[rtype]} resources`,
          );
          this.goStandby("me", rtype);
        } else if (fromMe && info === "done") {
          this.log.info(
            { event: "r1-standby-released" },
            `Local standby process completed [${HOLD_NAMES[rtype]}].`,
          );
          this.standby = "done";
          this.iHold = (this.iHold & ~this.standbyType) as HoldMask;
        } else if (!(fromMe && info === "me")) ignored = true;
        break;
      case "other":
        this.standbyType = rtype;
        if (info === "done" && !fromMe) {
          this.log.info(
            { event: "r1-standby-acquire" },
            `standby: acquire [${HOLD_NAMES[rtype]}] resources from ${from}`,
          );
          this.standby = "done";
          this.peerDoneMark = markOf(m);
          this.goStandby("other", rtype);
        } else if (!(fromMe && info === "other")) ignored = true;
        break;
      case "done":
        // The giving side waits for the peer's `done`, the taking side for its own: a repeated `done`
        // from the peer (resendDue) while we still take the groups is not the end of the exchange.
        if (info !== "done" || fromMe !== (this.standbyRole === "other")) {
          ignored = true;
          break;
        }
        this.standbyType = rtype;
        this.standby = "not";
        this.standbyUntil = undefined;
        if (fromMe) {
          this.log.info(
            { event: "r1-standby-done" },
            `Standby resource acquisition done [${HOLD_NAMES[rtype]}].`,
          );
          this.iHold = (this.iHold | (rtype === ALL ? ALL : swapHold(rtype))) as HoldMask;
          this.acquiredLast = true;
        } else {
          this.log.info(
            { event: "r1-standby-peer-done" },
            `Other node completed standby takeover of ${HOLD_NAMES[rtype]} resources.`,
          );
        }
        this.sendHeld(true);
        break;
    }
    if (ignored)
      this.log.warn(
        { event: "r1-standby-ignored" },
        `Ignored standby message '${info}' from ${from} in state ${this.standby}`,
      );
  }

  /**
   * The peer's `done` while no standby runs here: a repeat (resendDue) of the `done` of an exchange
   * we finished (our own `done` was lost: answer it again), or the `done` of an exchange we cancelled
   * (onResource's abandoned request; a Heartbeat peer may say isstable=1 while its request runs):
   * the peer gave the groups up, so we take them as the exchange would have.
   */
  private lateDone(from: string, rtype: HoldMask, m: ReadonlyMap<string, string>): void {
    const mark = markOf(m);
    if (!newer(mark, this.peerDoneMark) || !newer(mark, this.peerRequestMark)) return;
    if (this.acquiredLast) {
      this.log.info(
        { event: "r1-standby-redone", peer: from },
        `${from} repeats its standby 'done': answering ours again`,
      );
      this.ports.send([
        ["t", "ask_resources"],
        ["rsc_hold", HOLD_NAMES[rtype]],
        ["info", "done"],
      ]);
      return;
    }
    if (this.state !== "stable" || this.peerRequestMark === undefined) return;
    this.peerDoneMark = mark;
    this.log.warn(
      { event: "r1-standby-late-done", peer: from },
      `${from} gave up [${HOLD_NAMES[rtype]}] resources for a standby cancelled here: acquiring them`,
    );
    this.standbyType = rtype;
    this.standbyRole = "other";
    this.standby = "done";
    this.standbyUntil = this.now + 3_600_000;
    this.otherStable = false;
    this.goStandby("other", rtype);
  }

  /**
   * Flux recovery (not in Heartbeat). R1 messages are sent once; one lost for good (the messaging
   * layer's retransmission gave up), or a standby request its sender cancelled in silence, leaves a
   * side waiting: Heartbeat for its one-hour standby timeout, or for ever for the peer's isstable=1
   * (simulator haresources seeds 16, 116, 206, 219, 247: after heal the pair never settled). While
   * this node waits on the peer and has heard no R1 message from it for resendMs, it repeats what
   * the peer may have missed: its `done` (it gave groups up and waits for the peer's), otherwise its
   * own state with `info=resend`, which the peer answers with its state (a Heartbeat node takes it
   * as an ordinary full `resource` message). Every resend is idempotent at the receiver.
   * A starting node whose `starting` got no answer says it again every RQSTDELAY/4: at RQSTDELAY it
   * takes its local groups blind (simulator haresources seed 5863: the peer's answer "all" was lost
   * for good, the starting node took r1a beside it).
   */
  private resendDue(): void {
    const waiting = this.waitingOnPeer();
    if (waiting === undefined) {
      this.resendAt = undefined;
      return;
    }
    // A starting node asks before its RQSTDELAY ends, when it would take its local groups blind.
    const every = waiting === "starting" ? Math.min(this.resendMs, this.requestDelayMs / 4) : this.resendMs;
    if (this.resendAt === undefined) {
      this.resendAt = this.now + every;
      return;
    }
    if (this.now < this.resendAt) return;
    this.resendAt = this.now + every;
    this.log.info(
      { event: "r1-resend", waiting, standby: this.standby },
      waiting === "done"
        ? "no answer to our standby 'done': saying it again"
        : waiting === "starting"
          ? "no resource answer to our 'starting' yet: saying it again"
          : "the other node's resource state is unknown or in flux for long: asking it again",
    );
    // `starting` is what a Heartbeat peer answers with its resource state (process_resources).
    if (waiting === "starting") this.ports.send([["t", "starting"]]);
    else if (waiting === "done")
      this.ports.send([
        ["t", "ask_resources"],
        ["rsc_hold", HOLD_NAMES[this.standbyType]],
        ["info", "done"],
      ]);
    else this.sendHeld(this.state === "stable", "resend");
  }

  private waitingOnPeer(): "done" | "state" | "starting" | undefined {
    if (
      !this.niceFailback ||
      !this.peerIsHeartbeat() ||
      !this.localActive ||
      this.refusal !== undefined ||
      this.rejoining ||
      this.busy > 0
    )
      return undefined;
    if (this.state === "starting" || this.state === "bothstarting" || this.state === "rscrcvd")
      return this.takeoverAt !== undefined && !this.otherStable ? "starting" : undefined;
    if (this.state !== "stable") return undefined;
    if (this.standby === "done" && this.standbyRole === "me") return "done";
    if (this.standby === "other" || (this.standby === "not" && !this.otherStable)) return "state";
    return undefined;
  }

  /** go_standby(): give up (who=me) or acquire (who=other) the set, then say `done`. */
  private goStandby(who: "me" | "other", set: HoldMask): void {
    const act: HoldMask = set === ALL ? ALL : who === "me" ? set : swapHold(set);
    const heldBefore = this.iHold;
    const gave = this.groupsOf(act).filter((g) => this.target.has(g));
    if (who === "me") {
      this.otherStable = false;
      this.iHold = (this.iHold & ~set) as HoldMask;
      this.sendHeld(false, "standby");
      for (const g of this.groupsOf(act)) this.target.delete(g);
    } else for (const g of this.groupsOf(act)) this.target.add(g);
    this.log.info(
      { event: "r1-go-standby" },
      `${who === "me" ? "give up" : "acquire"} ${HOLD_NAMES[act]} HA resources (standby).`,
    );
    this.work(() => {
      if (who === "me" && this.releaseFailed(act, "standby")) {
        // Heartbeat reboots here ("Resource STOP failure. Reboot required!"): it cannot release the
        // group safely. We keep the whole set (rsc_hold cannot say "all but one group"): restore it,
        // restart what did stop, and say isstable=1, which cancels the exchange on the taking side
        // (simulator haresources seed 255: a stop failed mid-group, R1 said `done`, both ran r3a).
        this.iHold = (this.iHold | (heldBefore & set)) as HoldMask;
        for (const g of gave) this.target.add(g);
        this.standby = "not";
        this.standbyUntil = undefined;
        this.otherStable = true;
        this.sendHeld(true, "stop-failed");
        this.work(nop);
        return;
      }
      this.log.info(
        { event: "r1-go-standby-done" },
        `${HOLD_NAMES[act]} HA resource ${who === "other" ? "acquisition" : "release"} completed (standby).`,
      );
      this.sendStandby("done");
    });
  }

  /**
   * Whether groups of `mask` we gave up still run (or failed) here once the controller settled: a
   * stop failed and the resource is blocked where it is. Logs Heartbeat's CRIT line and what we do
   * instead of its reboot.
   */
  private releaseFailed(mask: HoldMask, what: string): boolean {
    const here = this.ports.stillHere?.();
    if (here === undefined) return false;
    const stuck = this.groupsOf(mask).filter((g) => here.has(g) && !this.target.has(g));
    if (stuck.length === 0) return false;
    this.log.error(
      { event: "r1-stop-failed", groups: stuck, what },
      `Resource STOP failure: ${stuck.join(", ")} still here: ${what} cancelled, the groups stay on this node (Heartbeat would reboot it; clean the failure up with hbctl resource cleanup, then ask again)`,
    );
    return true;
  }

  // ------------------------------------------------------------ legacy (auto_failback legacy)

  /** req_our_resources() without nice_failback: ask for each local group (ip-request), or take it alone. */
  private reqOurResourcesLegacy(): void {
    const alone = !this.peerIsHeartbeat();
    for (const g of this.groupsOf(LOCAL)) {
      if (this.target.has(g)) continue;
      if (alone) this.target.add(g);
      else this.askLegacy(g);
    }
    this.state = "stable";
    this.apply();
  }

  /**
   * auto_failback legacy, a Heartbeat peer appears after our comm-up (we came up alone, or it was
   * dead): each node may hold every group (both came up alone in a partition, or each took the
   * other's groups at its death, seeds 189, 252, 261), and legacy sends no resource messages that
   * would show it. The preferred node always gets its groups: ask for each of ours again, held or
   * not (Heartbeat asks only at its own comm-up); the peer gives up its copy and answers. The peer
   * does the same for its groups.
   */
  private reclaimLegacy(): void {
    const local = this.groupsOf(LOCAL);
    if (local.length === 0) return;
    this.log.info(
      { event: "r1-legacy-reclaim", peer: this.peer?.name, groups: local },
      `${this.peer?.name ?? "the peer"} appeared: asking for our own groups again (auto_failback legacy: the preferred node holds them)`,
    );
    for (const g of local) {
      this.target.add(g);
      this.askLegacy(g);
    }
    this.apply();
  }

  /** Sends an ip-request for our group `key`; asked again until answered (askLegacyAgain). */
  private askLegacy(key: string): void {
    const tries = (this.legacyAsked.get(key)?.tries ?? -1) + 1;
    const wait = Math.min(60_000, this.ipRequestRetryMs * 2 ** Math.min(tries, 10));
    this.legacyAsked.set(key, { at: this.now + wait, tries });
    this.ports.send([
      ["t", "ip-request"],
      ["ipaddr", key],
    ]);
  }

  /**
   * An ip-request is sent once in Heartbeat; one the peer dropped (it did not know yet that we run
   * Heartbeat, or the packet was lost for good) left the group where it was, for good: on both
   * nodes after a partition (seed 252), or nowhere (seed 189). Ask again until answered, every
   * 2 s, 4 s, ... up to every minute (a peer that never answers, e.g. running crm on).
   */
  private askLegacyAgain(): void {
    if (this.legacyAsked.size === 0) return;
    if (this.niceFailback || !this.peerIsHeartbeat() || !this.localActive || this.refusal !== undefined) {
      this.legacyAsked.clear();
      return;
    }
    for (const [key, { at }] of this.legacyAsked)
      if (this.now >= at) {
        this.log.info(
          { event: "r1-ip-request-again", group: key },
          `no answer to ip-request ${key}: asking again`,
        );
        this.askLegacy(key);
      }
  }

  /** rc.d/ip-request: give the group up if we hold it, then answer. */
  private onIpRequest(from: string, m: ReadonlyMap<string, string>): void {
    const key = m.get("ipaddr");
    if (key === undefined || !this.options.groups.some((g) => g.key === key)) {
      this.log.info(
        { event: "r1-ip-request", peer: from, group: key ?? null, answer: "unknown group" },
        `ip-request from ${from} for ${key ?? "?"}: not a group of ours; not answered`,
      );
      return;
    }
    // Asked again while we still stop it: the answer goes once the stop is done (not "we do not
    // own it" now, which would let the peer start it beside our stop).
    if (this.giving.has(key)) {
      this.log.info(
        { event: "r1-ip-request", peer: from, group: key, answer: "after the stop" },
        `ip-request from ${from} for ${key}: answered once our stop is done`,
      );
      return;
    }
    const weown = this.target.has(key);
    this.log.info(
      { event: "r1-ip-request", peer: from, group: key, answer: weown ? "give" : "weown no" },
      `ip-request from ${from} for ${key}: ${weown ? "giving it" : "not ours: weown no"}`,
    );
    const answer = (): void =>
      this.ports.send(
        [
          ["t", "ip-request-resp"],
          ["dest", from],
          ["ipaddr", key],
          ["weown", weown ? "yes" : "no"],
          ["ok", "OK"],
        ],
        from,
      );
    if (!weown) {
      answer();
      return;
    }
    this.log.info({ event: "r1-give-group", group: key, to: from }, `giving group ${key} to ${from}`);
    this.target.delete(key);
    this.giving.add(key);
    this.work(() => {
      this.giving.delete(key);
      if (this.ports.stillHere?.().has(key) === true && !this.target.has(key)) {
        // A stop failed: the group is still here. No answer (Heartbeat would reboot); it stays ours.
        this.log.error(
          { event: "r1-stop-failed", groups: [key], what: "ip-request" },
          `Resource STOP failure: ${key} still here: not given to ${from} (Heartbeat would reboot this node; clean the failure up with hbctl resource cleanup)`,
        );
        this.target.add(key);
        this.work(nop);
        return;
      }
      answer();
    });
  }

  /** rc.d/ip-request-resp: our request was answered; take the group. */
  private onIpRequestResp(m: ReadonlyMap<string, string>): void {
    const key = m.get("ipaddr");
    if (m.get("dest")?.toLowerCase() !== this.local || key === undefined || m.get("ok") !== "OK") return;
    if (!this.options.groups.some((g) => g.key === key)) return;
    this.legacyAsked.delete(key);
    this.log.info({ event: "r1-take-group", group: key }, `received ip-request-resp ${key} OK: taking it`);
    this.target.add(key);
    this.work(nop);
  }

  // ------------------------------------------------------------ helpers

  /** req_our_resources(getthemanyway): take our local groups unless someone already holds them. */
  private reqOurResources(anyway: boolean): void {
    if (!anyway && ((this.otherHolds & FOREIGN) !== 0 || (this.iHold & LOCAL) !== 0)) {
      if (this.standby === "not")
        this.log.info({ event: "r1-local" }, "Local Resource acquisition completed. (none)");
      return;
    }
    this.iHold = (this.iHold | LOCAL) as HoldMask;
    for (const g of this.groupsOf(LOCAL)) this.target.add(g);
    this.work(() => this.log.info({ event: "r1-local" }, "Local Resource acquisition completed."));
  }

  private performAutoFailback(): void {
    if (
      (this.iHold & FOREIGN) === 0 ||
      !this.needsFailback ||
      !this.autoFailback ||
      this.state === "shutdown"
    ) {
      this.needsFailback = false;
      return;
    }
    if (this.standby !== "not" || !this.otherStable || this.state !== "stable" || this.busy > 0) {
      this.failbackRetryAt = this.now + 1000;
      return;
    }
    this.log.info({ event: "r1-failback" }, "Auto failback triggered.");
    this.standbyType = FOREIGN;
    this.needsFailback = false;
    this.broadcast([
      ["t", "ask_resources"],
      ["rsc_hold", "foreign"],
      ["info", "me"],
    ]);
  }

  private isStable(): boolean {
    if (!this.niceFailback) return this.busy === 0;
    if (!this.peerIsHeartbeat()) return this.busy === 0 && this.state !== "starting";
    return (
      this.otherStable &&
      this.standby === "not" &&
      this.busy === 0 &&
      (this.state === "stable" || this.state === "shutdown" || this.state === "init")
    );
  }

  private groupsOf(mask: HoldMask): string[] {
    return this.options.groups
      .filter((g) => (g.node === this.local ? (mask & LOCAL) !== 0 : (mask & FOREIGN) !== 0))
      .map((g) => g.key);
  }

  /** Pushes the target to the controller; `then` runs once it has settled. */
  private work(then: () => void): void {
    this.busy++;
    this.ports.hold(this.restricted ? new Set(this.target) : undefined, () => {
      this.busy--;
      then();
      this.drain();
    });
  }

  private apply(): void {
    this.ports.hold(this.restricted ? new Set(this.target) : undefined, nop);
  }

  private sendHeld(stable: boolean, info?: string): void {
    if (!this.niceFailback) return;
    const fields: [string, string][] = [
      ["t", "resource"],
      ["rsc_hold", HOLD_NAMES[this.iHold]],
      ["rtype", "full"],
      // Never stable during a standby exchange: the taking side reads isstable=1 after the request
      // as its cancellation (onResource).
      ["isstable", stable && this.standby === "not" ? "1" : "0"],
    ];
    if (info !== undefined) fields.push(["info", info]);
    this.ports.send(fields);
  }

  private sendStandby(info: "me" | "other" | "done"): void {
    this.broadcast([
      ["t", "ask_resources"],
      ["rsc_hold", HOLD_NAMES[this.standbyType]],
      ["info", info],
    ]);
  }

  /** Sends to the cluster and, as Heartbeat does, to ourselves (processed after the current step). */
  private broadcast(fields: Fields): void {
    this.ports.send(fields);
    this.selfQueue.push(new Map(fields));
  }

  private drain(): void {
    for (let i = 0; i < 100 && this.selfQueue.length > 0; i++) {
      const m = this.selfQueue.shift();
      if (m !== undefined) this.dispatch(this.local, m);
    }
  }
}
