/**
 * Saved policy inputs (Pacemaker's pe-input files): the CIB a transition was
 * computed from, stamped with the time the policy engine was run. Pacemaker
 * writes the time as the root attribute `execution-date` (seconds since the
 * epoch) and crm_simulate uses it as "now" when it replays the file; so do we.
 * The DC runs the policy on whole seconds (`policyClock`), so a replay of a
 * saved input computes exactly the transition the DC computed.
 *
 * Pure: CIB in, CIB out.
 */
import type { Cib } from "./model.js";

export const EXECUTION_DATE = "execution-date";

/** The policy engine's clock: `now` rounded down to a whole second, as Pacemaker's time_t. */
export function policyClock(nowMs: number): number {
  return Math.floor(nowMs / 1000) * 1000;
}

/** The CIB with `execution-date` set to `nowMs` (whole seconds). */
export function stampExecutionDate(cib: Cib, nowMs: number): Cib {
  const attrs = { ...cib.extra?.attrs, [EXECUTION_DATE]: String(Math.floor(nowMs / 1000)) };
  return { ...cib, extra: { ...cib.extra, attrs } };
}

/** The `execution-date` of a CIB in ms since the epoch, or undefined when absent or not a number. */
export function executionDate(cib: Cib): number | undefined {
  const v = cib.extra?.attrs?.[EXECUTION_DATE];
  if (v === undefined || !/^\d{1,12}$/.test(v)) return undefined;
  return Number(v) * 1000;
}

/** Saved input file names: pe-input-<n>.xml. */
export const PE_INPUT_RE = /^pe-input-(\d{1,12})\.xml$/;

export function peInputName(n: number): string {
  return `pe-input-${n}.xml`;
}

/** The numbers of the saved inputs among directory entry `names`, ascending. */
export function peInputNumbers(names: readonly string[]): number[] {
  return names
    .map((n) => PE_INPUT_RE.exec(n)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}
