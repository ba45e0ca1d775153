/**
 * This node's copy of the CIB and its replication between nodes (controller.ts
 * composes it; the status updates themselves are replication.ts's pure pair).
 *
 * Every node sends `sync` (its DC belief and its full CIB) to a peer that
 * becomes active; after every change the DC sends all peers the node_state
 * entries that changed since its last broadcast (`status`), or the whole CIB
 * (`sync`) when the configuration changed or it just became DC; a peer that
 * cannot apply an update (it missed one) answers `sync-request` and gets the
 * whole CIB, and asks again while a copy from the DC is older than an update
 * it announced. The DC also tells every node its version every
 * VERSION_EVERY_MS: a node behind asks for the CIB, one with a newer
 * configuration sends its own.
 *
 * Configuration: the newer (admin_epoch, epoch) wins on both sides (equal
 * versions with different content are logged as a conflict and the DC's copy
 * wins); status: a non-DC takes the DC's. Configuration changes are persisted.
 */

import type { Cib } from "../cib/model.js";
import { parseCib } from "../cib/parse.js";
import { serializeCib } from "../cib/serialize.js";
import {
  bumpEpoch,
  bumpUpdates,
  type CibVersion,
  compareCibVersions,
  compareConfigVersions,
  formatCibVersion,
  parseCibVersion,
} from "./cib-version.js";
import type { CrmMessage } from "./crm-messages.js";
import type { NodeLogger } from "./node.js";
import { applyStatusUpdate, type StatusUpdate, statusUpdate } from "./replication.js";

/**
 * How often the DC tells every node its CIB version: a replication message lost for good (sent during
 * a partition, its retransmission refused) is then repaired within this (seed 2362: nodes at different
 * configurations for good after heal).
 */
export const VERSION_EVERY_MS = 5000;

/** Syncs asked for again while behind a version the DC announced, before giving up on it. */
export const BEHIND_ASKS_MAX = 3;

/** What replication needs of its node (the controller and its election). */
export interface CibReplicationPorts {
  readonly localNode: string;
  readonly log: NodeLogger;
  /** Sends to one peer, or to all when `dest` is undefined. */
  readonly send: (msg: CrmMessage, dest?: string) => void;
  /** Saves the CIB; throws when it could not. */
  readonly persist?: ((cib: Cib) => void) | undefined;
  /** The DC this node follows (itself when DC). */
  dc(): string | undefined;
  isDc(): boolean;
  localActive(): boolean;
  /** A `sync` from `from` names `dc` as its DC (election.ts), before its CIB is looked at. */
  heardSync(from: string, dc: string | null): void;
  /** A message only a DC sends, from `from`: true when it is not our DC's and was dealt with (election.ts). */
  fromOtherDc(from: string): boolean;
  /** The DC's input changed: schedule again. */
  changed(): void;
}

/** The configuration part of a CIB as text (no status, num_updates or dc-uuid), to detect conflicts. */
export function configText(cib: Cib): string {
  const { dcUuid: _dc, ...rest } = cib;
  return serializeCib({ ...rest, numUpdates: 0, status: [] });
}

function cibVersionOf(c: CibVersion): CibVersion {
  return { adminEpoch: c.adminEpoch, epoch: c.epoch, numUpdates: c.numUpdates };
}

export class CibReplication {
  private cibValue: Cib;
  private syncDue = false;
  /** DC: when it next tells every node its CIB version. */
  private versionDueAt = 0;
  /**
   * The newest version a DC announced in a status update this node could not apply (it asked for the
   * whole CIB): a copy from that DC older than it asks again. Seed 62: the answer to the first request
   * arrived after the last update and set the node back for good (nothing else was sent: idle).
   */
  private behind: { readonly dc: string; readonly version: CibVersion; asks: number } | undefined;
  /** The DC whose status this node holds (applied from its sync or update), while it lives. */
  private statusSource: { readonly dc: string; readonly version: CibVersion } | undefined;
  /** DC: the CIB as of the last broadcast (what every peer holds), the base of the next status update. */
  private shared: Cib | undefined;

  constructor(
    private readonly ports: CibReplicationPorts,
    cib: Cib,
  ) {
    this.cibValue = cib;
  }

  get cib(): Cib {
    return this.cibValue;
  }

  /** A local change of the configuration (epoch + 1, saved) or of the status (num_updates + 1); replicated. */
  set(cib: Cib, kind: "config" | "status"): void {
    this.cibValue = kind === "config" ? bumpEpoch(cib) : bumpUpdates(cib);
    if (kind === "config") this.persistLogged(this.cibValue);
    this.syncDue = true;
  }

  /**
   * A configuration change somebody is told about: epoch + 1, saved, and only then applied and
   * replicated. Returns why it could not be saved (nothing changed then).
   */
  commitConfig(cib: Cib): string | undefined {
    const next = bumpEpoch(cib);
    try {
      this.ports.persist?.(next);
    } catch (e) {
      return (e as Error).message;
    }
    this.cibValue = next;
    this.syncDue = true;
    this.ports.changed();
    return undefined;
  }

  /** Saves the CIB where nobody waits for the answer (replication, node attributes): a failure is logged. */
  private persistLogged(cib: Cib): void {
    try {
      this.ports.persist?.(cib);
    } catch (e) {
      this.ports.log.error(
        { event: "cib-save-failed", err: (e as Error).message, version: formatCibVersion(cib) },
        `cannot save the CIB ${formatCibVersion(cib)}: ${(e as Error).message}`,
      );
    }
  }

  /** This node became DC: it numbers the status updates from now on, and its first broadcast is the whole CIB. */
  becameDc(): void {
    this.statusSource = undefined;
    this.shared = undefined;
  }

  /** `node` died or restarted: a DC's numbering may start over. */
  forget(node: string): void {
    if (this.statusSource?.dc === node) this.statusSource = undefined;
  }

  /** Sends our DC belief and whole CIB to `dest`, or to every peer (a broadcast: the base of the next update). */
  sendSync(dest?: string): void {
    this.ports.send({ k: "sync", dc: this.ports.dc() ?? null, cib: serializeCib(this.cibValue) }, dest);
    if (dest === undefined) this.shared = this.cibValue;
  }

  /** DC: sends what changed since the last broadcast, when something did. */
  flush(): void {
    if (!this.syncDue || !this.ports.isDc()) return;
    this.syncDue = false;
    const u = this.shared === undefined ? undefined : statusUpdate(this.shared, this.cibValue);
    if (u === undefined) this.sendSync();
    else {
      this.ports.send({ k: "status", ...u });
      this.shared = this.cibValue;
    }
  }

  /** DC, at monotonic `mono`: tells every node its version when due. */
  announceVersion(mono: number): void {
    if (!this.ports.isDc() || mono < this.versionDueAt) return;
    this.versionDueAt = mono + VERSION_EVERY_MS;
    this.ports.send({ k: "version", v: formatCibVersion(this.cibValue) });
  }

  /** The DC's periodic version: a node behind asks for the CIB; one with a newer configuration sends it. */
  onVersion(from: string, v: string): void {
    // From a DC we do not follow (seed 1846: n3 followed n2, which followed n1): as a status would be.
    if (!this.ports.localActive() || this.ports.fromOtherDc(from)) return;
    const theirs = parseCibVersion(v);
    if (theirs === undefined) return;
    if (compareConfigVersions(this.cibValue, theirs) > 0) this.sendSync(from);
    else if (compareCibVersions(theirs, this.cibValue) > 0) this.ports.send({ k: "sync-request" }, from);
  }

  /** A `sync` from `from`: its DC claim (election), then its configuration and, from our DC, its status. */
  onSync(from: string, dc: string | null, xml: string): void {
    const theirs = parseCib(xml).value;
    if (theirs === undefined) {
      this.ports.log.warn({ event: "crm-bad-cib", peer: from }, `unparsable CIB from ${from}`);
      return;
    }
    this.ports.heardSync(from, dc);
    const cib = this.withStatusOf(from, theirs, this.withConfigOf(from, theirs));
    this.cibValue = cib;
    this.askAgainIfBehind(from);
  }

  /** Our CIB with `theirs`'s configuration when it wins (newer, or the DC's on a conflict); else ours. */
  private withConfigOf(from: string, theirs: Cib): Cib {
    const cib = this.cibValue;
    const isDc = this.ports.isDc();
    const cmp = compareConfigVersions(theirs, cib);
    if (cmp > 0) {
      this.ports.log.info(
        { event: "cib-adopted", peer: from, version: formatCibVersion(theirs) },
        `configuration ${formatCibVersion(theirs)} from ${from} replaces ${formatCibVersion(cib)}`,
      );
      const adopted = { ...theirs, status: cib.status, numUpdates: cib.numUpdates };
      this.persistLogged(adopted);
      if (isDc) this.ports.changed();
      return adopted;
    }
    if (cmp < 0) {
      if (isDc) this.syncDue = true;
      // Our configuration is newer than the DC's (changed where it could not reach us): send it ours,
      // as Pacemaker's DC takes the newest CIB of the nodes that join. Seed 216: the changes of the
      // DC that abdicated stayed on it alone, and the nodes differed for good.
      else if (from === this.ports.dc()) this.sendSync(from);
      return cib;
    }
    if (configText(theirs) === configText(cib)) return cib;
    // Two partitions changed the configuration as far: the DC's copy wins, as Pacemaker's DC syncs
    // its CIB to every node that joins. Keeping both (as before) left the nodes different forever
    // (found by the whole-cluster simulator, seed 16).
    const dcWins = from === this.ports.dc() && !isDc;
    this.ports.log.warn(
      { event: "cib-conflict", peer: from, version: formatCibVersion(theirs) },
      `${from} has a different configuration with the same version ${formatCibVersion(theirs)}; ${dcWins ? "taking the DC's" : "keeping ours"}`,
    );
    if (dcWins) {
      const taken = { ...theirs, status: cib.status, numUpdates: cib.numUpdates };
      this.persistLogged(taken);
      return taken;
    }
    if (isDc) this.syncDue = true;
    return cib;
  }

  /**
   * `cib` with the status of `theirs` when `from` is our DC, unless an older copy of it crossed a newer
   * update (seed 75: an answer to an earlier sync request set the node back; nothing newer followed).
   * Compared with the DC's last copy applied here: ours may carry a configuration adopted since.
   */
  private withStatusOf(from: string, theirs: Cib, cib: Cib): Cib {
    const src = this.statusSource;
    const stale = src?.dc === from && compareCibVersions(theirs, src.version) < 0;
    if (from !== this.ports.dc() || this.ports.isDc() || stale) return cib;
    this.statusSource = { dc: from, version: cibVersionOf(theirs) };
    return { ...cib, status: theirs.status, numUpdates: theirs.numUpdates, dcUuid: from };
  }

  /** After a sync from the DC: still older than an update it announced (answers crossed)? Ask again. */
  private askAgainIfBehind(from: string): void {
    const b = this.behind;
    if (b === undefined || b.dc !== from || from !== this.ports.dc() || this.ports.isDc()) return;
    if (compareCibVersions(this.cibValue, b.version) >= 0) {
      this.behind = undefined;
      return;
    }
    // A few times: an update that announced a version the DC never reaches (garbled) must not loop.
    if (++b.asks > BEHIND_ASKS_MAX) {
      this.behind = undefined;
      return;
    }
    this.ports.send({ k: "sync-request" }, from);
  }

  /** A status update from the DC: applied when we hold its base version, else the whole CIB is asked for. */
  onStatusUpdate(from: string, u: StatusUpdate): void {
    if (this.ports.fromOtherDc(from)) return;
    const applied = applyStatusUpdate(this.cibValue, u);
    if (applied === undefined) {
      this.resync(from, u);
      return;
    }
    this.cibValue = { ...applied, dcUuid: from };
    this.statusSource = { dc: from, version: cibVersionOf(applied) };
  }

  /** An update that does not apply to our copy: ask the DC for its CIB, unless we are already past it. */
  private resync(from: string, u: StatusUpdate): void {
    const base = parseCibVersion(u.base);
    const target = base === undefined ? undefined : { ...base, numUpdates: u.numUpdates };
    // A late update from the DC whose status we hold: we are already past it.
    const src = this.statusSource;
    if (target !== undefined && src?.dc === from && compareCibVersions(target, src.version) <= 0) return;
    if (target !== undefined) this.behind = { dc: from, version: target, asks: 0 };
    this.ports.log.info(
      { event: "crm-resync", peer: from, base: u.base, have: formatCibVersion(this.cibValue) },
      `status update for ${u.base} does not apply to ${formatCibVersion(this.cibValue)}; asking ${from} for the CIB`,
    );
    this.ports.send({ k: "sync-request" }, from);
  }
}
