/**
 * DC election (controller.ts composes it): among the nodes whose membership
 * status is `active` (the local node included once active), the current DC is
 * kept while it stays active. When there is none, a node that has never known
 * a DC and hears peers waits `dcWaitMs` for a peer's claim (a `sync` whose `dc`
 * names its sender), so that nodes starting together agree, then takes the
 * lowest active node name; when the known DC leaves, the lowest remaining name
 * is taken at once. A node we elected that does not claim is asked
 * (`sync-request`); a node asked so by the node it follows learns that one is
 * not the DC. Two DCs that meet keep the lower name; the other abdicates.
 *
 * It owns who the DC is and the waits for a claim; what a node does when it
 * becomes DC, stays DC against another or abdicates goes through
 * `ElectionPorts`.
 */

import type { Cib } from "../cib/model.js";
import { nodeStateOnline } from "../cib/query.js";
import type { CrmMessage } from "./crm-messages.js";
import type { NodeLogger } from "./node.js";

/** What the election needs of its node (the controller). */
export interface ElectionPorts {
  readonly localNode: string;
  readonly log: NodeLogger;
  readonly monotonic: () => number;
  readonly send: (msg: CrmMessage, dest: string) => void;
  /** How long a starting node waits for a claim, and a follower for the claim of the node it elected. */
  readonly dcWaitMs: number;
  /** This node's membership status is active. */
  localActive(): boolean;
  isActive(node: string): boolean;
  /** Active peers (the local node excluded). */
  activeNodes(): Iterable<string>;
  /** Peers heard and not dead (init, up or active). */
  hearsPeers(): boolean;
  /** This node became DC: take the status over (controller). */
  becameDc(): void;
  /** Another DC met us and we stay: send it our claim, end what we sent it, ask for join answers. */
  keptDc(other: string): void;
  /** This node abdicated to another DC: what it had left to schedule is not its own any more. */
  abdicated(): void;
  kick(): void;
}

/** Configured nodes (other than `localNode`) this DC does not count as members now. */
export function downNodes(
  nodes: readonly string[],
  localNode: string,
  active: ReadonlySet<string>,
): string[] {
  return nodes.filter((n) => n !== localNode && !active.has(n));
}

/** A node active here (other than `dc`) that the DC's status in `cib` shows offline, if any. */
export function aliveButDownForDc(cib: Cib, active: Iterable<string>, dc: string): string | undefined {
  for (const n of active) {
    if (n === dc) continue;
    const ns = cib.status.find((x) => x.uname === n);
    if (ns !== undefined && !nodeStateOnline(ns)) return n;
  }
  return undefined;
}

/** How often a node asks a peer that acts as DC (and is not ours) for its claim. */
const CLAIM_ASK_EVERY_MS = 1000;

export class Election {
  private dcName: string | undefined;
  private everHadDc = false;
  private dcWaitUntil: number | undefined;
  /** When the node elected (not this one) should have claimed DC; without its claim it is asked. */
  private claimDueAt: number | undefined;
  /** When this node last asked a peer that sent a status (so acts as DC) for its claim. */
  private readonly claimAsked = new Map<string, number>();

  constructor(private readonly ports: ElectionPorts) {}

  /** The DC this node follows (itself when it is the DC), if any. */
  get dc(): string | undefined {
    return this.dcName;
  }

  get isDc(): boolean {
    return this.dcName === this.ports.localNode;
  }

  /** Elects a DC when there is none (or it left); `waited`: the start-up wait for a claim is over. */
  elect(waited = false): void {
    const p = this.ports;
    if (!p.localActive()) return;
    if (this.dcName !== undefined && (this.dcName === p.localNode || p.isActive(this.dcName))) return;
    if (!this.everHadDc && p.hearsPeers() && !waited) {
      this.dcWaitUntil ??= p.monotonic() + p.dcWaitMs;
      return;
    }
    const lowest = [p.localNode, ...p.activeNodes()].sort()[0] ?? p.localNode;
    this.dcWaitUntil = undefined;
    if (lowest === p.localNode) this.becomeDc();
    else {
      this.dcName = lowest; // its claim follows; until then it is who we expect
      this.claimDueAt = p.monotonic() + p.dcWaitMs;
    }
    this.everHadDc = true;
  }

  /** Due at monotonic `mono`: the claim of the node we elected (asked for when late). */
  askIfClaimDue(mono: number): void {
    if (this.claimDueAt !== undefined && mono >= this.claimDueAt) this.askForClaim(mono);
  }

  /** Due at monotonic `mono`: the start-up wait for a claim is over; elect. */
  electIfWaited(mono: number): void {
    if (this.dcWaitUntil === undefined || mono < this.dcWaitUntil) return;
    this.dcWaitUntil = undefined;
    this.elect(true);
  }

  /**
   * The node we elected has not claimed DC: ask it (a sync-request). A node asked so by the node it
   * takes for its DC learns that one is not acting as DC (notDc). Seed 23: n1 followed n3 on a late
   * claim while n3, having abdicated, waited for n1's: two followers, no DC, for good.
   */
  private askForClaim(mono: number): void {
    const dc = this.dcName;
    if (dc === undefined || dc === this.ports.localNode || !this.ports.isActive(dc)) {
      this.claimDueAt = undefined;
      return;
    }
    this.claimDueAt = mono + this.ports.dcWaitMs;
    this.ports.send({ k: "sync-request" }, dc);
  }

  /** `node` left the membership: when it was our DC there is none until the next election. */
  lost(node: string): void {
    if (this.dcName !== node) return;
    this.ports.log.warn({ event: "dc-lost", dc: node }, `DC ${node} left; electing a new one`);
    this.dcName = undefined;
  }

  /** A `sync` from `from` naming `dc` as its DC: a claim when `dc` is `from` itself. */
  onSync(from: string, dc: string | null): void {
    if (dc !== from) {
      if (!this.isDc && from === this.dcName) this.pointedTo(from, dc);
      return;
    }
    if (this.isDc && from !== this.ports.localNode) {
      this.ports.log.warn(
        { event: "dc-conflict", peer: from },
        `both ${this.ports.localNode} and ${from} claim DC`,
      );
      if (from < this.ports.localNode) this.abdicate(from);
      else this.ports.keptDc(from);
    } else if (this.dcName !== from) {
      this.dcName = from;
      this.dcWaitUntil = undefined;
      this.everHadDc = true;
      this.ports.log.info({ event: "dc", dc: from }, `${from} is the DC`);
    }
    if (this.dcName === from) this.claimDueAt = undefined;
  }

  /**
   * The node we follow says another is DC (it abdicated, or never was): follow that one and expect its
   * claim. Seeds 5423, 5660: n3 followed n1 after n1 had abdicated to n2, for good.
   */
  private pointedTo(from: string, dc: string | null): void {
    if (dc !== null && dc !== this.ports.localNode && this.ports.isActive(dc)) {
      this.ports.log.info({ event: "dc", dc }, `${from} follows ${dc}: ${dc} is the DC`);
      this.dcName = dc;
      this.claimDueAt = this.ports.monotonic() + this.ports.dcWaitMs;
      return;
    }
    this.notDc(from);
  }

  /** The node taken for DC asked us for the DC's claim: it is not the DC. Elect again. */
  notDc(from: string): void {
    this.ports.log.info({ event: "dc-lost", dc: from }, `${from} does not act as DC; electing again`);
    this.dcName = undefined;
    this.elect(true);
    this.ports.kick();
  }

  private becomeDc(): void {
    this.dcName = this.ports.localNode;
    this.claimDueAt = undefined;
    this.everHadDc = true;
    this.ports.log.info({ event: "dc", dc: this.ports.localNode }, `${this.ports.localNode} is the DC`);
    this.ports.becameDc();
  }

  /** Two DCs met and `other` has the lower name: it is the DC. */
  private abdicate(other: string): void {
    this.dcName = other;
    this.ports.abdicated();
    this.ports.log.info({ event: "dc", dc: other }, `${this.ports.localNode} abdicates: ${other} is the DC`);
  }

  /**
   * A message only a DC sends (status, version) from `from`: true when it is not from our DC and was
   * dealt with (two DCs: the lower name stays; else its claim is asked for).
   */
  fromOtherDc(from: string): boolean {
    const local = this.ports.localNode;
    if (this.isDc && from !== local) {
      // Another DC (a partition that healed unevenly, its claim lost): the lower name stays.
      this.ports.log.warn({ event: "dc-conflict", peer: from }, `both ${local} and ${from} act as DC`);
      if (from < local) {
        this.abdicate(from);
        this.ports.send({ k: "sync-request" }, from);
      } else this.ports.keptDc(from);
      return true;
    }
    if (from !== this.dcName) {
      // Only a DC sends status: ask it for its claim (a sync). Without this a node that took the loser
      // of two meeting DCs for its DC kept it forever (found by the whole-cluster simulator, seed 14).
      const now = this.ports.monotonic();
      if (now - (this.claimAsked.get(from) ?? Number.NEGATIVE_INFINITY) >= CLAIM_ASK_EVERY_MS) {
        this.claimAsked.set(from, now);
        this.ports.send({ k: "sync-request" }, from);
      }
      return true;
    }
    return false;
  }
}
