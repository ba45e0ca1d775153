/**
 * The policy engine entry point: `schedule(cib, now)` -> Transition.
 * Strictly pure: same CIB and `now`, same transition. See
 * ../shared/reference/cib.md (b) for the semantics followed.
 */
import type { Cib } from "../cib/model.js";
import { buildTransition } from "./actions.js";
import { assignAll, buildColocs, initWeights } from "./assign.js";
import { decidePlans, summarise } from "./plans.js";
import { nextFailureExpiry } from "./recheck.js";
import type { SummaryItem, Transition } from "./types.js";
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

/**
 * `schedule(cib, now).summary` without the rest of the transition (the actions, their order,
 * placements, scores): what `isStable` asks of a second run on the simulated result. At 5,000
 * primitives the action graph was a third of that run.
 */
export function scheduleSummary(cib: Cib, now: Date | number): SummaryItem[] {
  const world = unpack(cib, toMs(now));
  const { constraints } = cib.configuration;
  initWeights(world, constraints.locations);
  assignAll(world, buildColocs(world, constraints.colocations));
  return summarise(world, decidePlans(world, constraints.orders, constraints.colocations));
}
