/**
 * The policy engine entry point: `schedule(cib, now)` -> Transition.
 * Strictly pure: same CIB and `now`, same transition. See
 * ../shared/reference/cib.md (b) for the semantics followed.
 */
import type { Cib } from "../cib/model.js";
import { buildTransition } from "./actions.js";
import { assignAll, buildColocs, initWeights } from "./assign.js";
import { nextFailureExpiry } from "./recheck.js";
import type { Transition } from "./types.js";
import { unpack } from "./unpack.js";

/** Options of `schedule` (none are needed for Pacemaker-compatible behaviour). */
export type ScheduleOptions = Record<string, never>;

/** Milliseconds since the epoch from a Date or a number. */
export function toMs(now: Date | number): number {
  return typeof now === "number" ? now : now.getTime();
}

/**
 * Decides where every resource should run and the actions (with their
 * order) that get the cluster there, from the CIB's configuration and status
 * at time `now` (used for failure-timeout and date rules).
 */
export function schedule(cib: Cib, now: Date | number, _opts: ScheduleOptions = {}): Transition {
  const world = unpack(cib, toMs(now));
  const { constraints } = cib.configuration;
  initWeights(world, constraints.locations);
  assignAll(world, buildColocs(world, constraints.colocations));
  const t = buildTransition(world, constraints.orders, constraints.colocations);
  const recheckAtMs = nextFailureExpiry(world);
  return recheckAtMs === undefined ? t : { ...t, recheckAtMs };
}
