/**
 * CIB replication after the full copy: status updates. The DC sends a peer
 * that joins its whole CIB (`sync`); afterwards, while the configuration
 * version stays the same, it sends only the node_state entries that changed
 * since the last broadcast (`status` messages, a few hundred bytes instead of
 * the whole CIB: this matters on a 19200-baud serial link, which carries
 * every message). An update names the version it applies to (`base`); a
 * node holding another version asks the DC for a full copy instead.
 *
 * Pure: CIB values in, CIB values and strings out.
 */
import { type Cib, EMPTY_CONFIGURATION, type NodeState } from "../cib/model.js";
import { parseCib } from "../cib/parse.js";
import { serializeCib } from "../cib/serialize.js";
import { compareConfigVersions, formatCibVersion } from "./cib-version.js";

/** A status update as carried in a CrmMessage. */
export interface StatusUpdate {
  /** The version (admin_epoch.epoch.num_updates) the receiver must hold. */
  readonly base: string;
  /** num_updates after the update. */
  readonly numUpdates: number;
  /** A CIB document whose status holds the changed node_state entries (configuration empty). */
  readonly cib: string;
  /** Ids of node_state entries removed. */
  readonly removed: readonly string[];
}

/**
 * The update that turns `prev` (what every peer holds) into `next`, or
 * undefined when a full copy is needed (the configuration version changed).
 * Unchanged entries are recognised by identity (CIB edits copy only what they
 * change), so an entry rebuilt with the same content is sent again: harmless.
 */
export function statusUpdate(prev: Cib, next: Cib): StatusUpdate | undefined {
  if (compareConfigVersions(prev, next) !== 0) return undefined;
  const before = new Map(prev.status.map((s) => [s.id, s]));
  const changed = next.status.filter((s) => before.get(s.id) !== s);
  const ids = new Set(next.status.map((s) => s.id));
  const removed = prev.status.filter((s) => !ids.has(s.id)).map((s) => s.id);
  const doc: Cib = {
    adminEpoch: next.adminEpoch,
    epoch: next.epoch,
    numUpdates: next.numUpdates,
    configuration: EMPTY_CONFIGURATION,
    status: changed,
  };
  return { base: formatCibVersion(prev), numUpdates: next.numUpdates, cib: serializeCib(doc), removed };
}

/**
 * `cib` with the update applied, or undefined when `cib` is not at the
 * update's base version or the update cannot be read (the caller asks for a
 * full copy). Entries keep their order; new ones are appended.
 */
export function applyStatusUpdate(cib: Cib, u: StatusUpdate): Cib | undefined {
  if (formatCibVersion(cib) !== u.base) return undefined;
  const parsed = parseCib(u.cib).value;
  if (parsed === undefined) return undefined;
  const changed = new Map<string, NodeState>(parsed.status.map((s) => [s.id, s]));
  const removed = new Set(u.removed);
  const status = cib.status.filter((s) => !removed.has(s.id)).map((s) => changed.get(s.id) ?? s);
  const known = new Set(cib.status.map((s) => s.id));
  for (const s of parsed.status) if (!known.has(s.id)) status.push(s);
  return { ...cib, status, numUpdates: u.numUpdates };
}
