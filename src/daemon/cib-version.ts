/**
 * CIB versions (admin_epoch, epoch, num_updates) and how changes bump them:
 * pure, used by the controller, replication and the on-disk store.
 */
import type { Cib } from "../cib/model.js";

/** The version triple Pacemaker orders CIBs by. */
export interface CibVersion {
  readonly adminEpoch: number;
  readonly epoch: number;
  readonly numUpdates: number;
}

/** Negative when a is older than b, 0 when equal, positive when newer: admin_epoch, then epoch, then num_updates. */
export function compareCibVersions(a: CibVersion, b: CibVersion): number {
  return a.adminEpoch - b.adminEpoch || a.epoch - b.epoch || a.numUpdates - b.numUpdates;
}

/** Only the configuration part of the version (admin_epoch, epoch). */
export function compareConfigVersions(a: CibVersion, b: CibVersion): number {
  return a.adminEpoch - b.adminEpoch || a.epoch - b.epoch;
}

/** "admin_epoch.epoch.num_updates", as cibadmin prints it. */
export function formatCibVersion(v: CibVersion): string {
  return `${v.adminEpoch}.${v.epoch}.${v.numUpdates}`;
}

/** "a.e.n" back to a version; undefined when it is not three integers. */
export function parseCibVersion(text: string): CibVersion | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (m === null) return undefined;
  return { adminEpoch: Number(m[1]), epoch: Number(m[2]), numUpdates: Number(m[3]) };
}

/** A configuration change: epoch + 1, num_updates back to 0. */
export function bumpEpoch(cib: Cib): Cib {
  return { ...cib, epoch: cib.epoch + 1, numUpdates: 0 };
}

/** A status change: num_updates + 1. */
export function bumpUpdates(cib: Cib): Cib {
  return { ...cib, numUpdates: cib.numUpdates + 1 };
}
