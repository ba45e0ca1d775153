/**
 * Saved policy inputs on disk: STATE_DIR/pengine/pe-input-<n>.xml, one per
 * transition that had actions to run (Pacemaker's pe-input-<n>.bz2, here
 * uncompressed), each the full CIB stamped with `execution-date`
 * (cib/pe-input.ts), so `hbctl simulate --replay` recomputes the same
 * transition. Numbering continues after a restart; only the newest `keep`
 * files are kept (the cluster property `pe-input-series-max`, Pacemaker's
 * name; default 400 here, 0 = save nothing, negative = no limit).
 */
import { mkdirSync, readdirSync, rmSync, statfsSync } from "node:fs";
import { join } from "node:path";
import type { Cib } from "../cib/model.js";
import { peInputName, peInputNumbers, stampExecutionDate } from "../cib/pe-input.js";
import { serializeCib } from "../cib/serialize.js";
import { writeFileAtomic } from "./state.js";

export const PE_INPUT_DIR = "pengine";
export const DEFAULT_PE_INPUT_KEEP = 400;

/** The `pe-input-series-max` of a CIB (default DEFAULT_PE_INPUT_KEEP; junk values fall back to it). */
export function peInputKeep(cib: Cib): number {
  for (const set of cib.configuration.crmConfig)
    for (const p of set.nvpairs)
      if (p.name === "pe-input-series-max" && p.value !== undefined && /^-?\d{1,9}$/.test(p.value.trim()))
        return Number(p.value.trim());
  return DEFAULT_PE_INPUT_KEEP;
}

/** Numbers of the saved inputs in `dir`, ascending. */
export function listPeInputs(dir: string): number[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return peInputNumbers(names);
}

/**
 * Free space a policy input must leave in the state directory's file system,
 * beyond this many times its own size: the CIB (written as cib.xml and a
 * numbered copy) must always find room, so saved inputs stop first.
 */
export const PE_INPUT_RESERVE_FACTOR = 8;
export const PE_INPUT_RESERVE_MIN = 64 * 1024;

export class PeInputStore {
  readonly dir: string;
  private next: number | undefined;

  constructor(
    stateDir: string,
    /** Free bytes in the file system holding `dir` (a port, so a test can fill the disk). */
    private readonly freeBytes: (dir: string) => number | undefined = statfsFree,
  ) {
    this.dir = join(stateDir, PE_INPUT_DIR);
  }

  /**
   * Saves `cib` as scheduled at `nowMs`; returns the file path, or undefined
   * when saving is off. Throws on I/O errors, and (without writing) when the
   * file system is too full to keep the reserve the CIB needs.
   */
  save(cib: Cib, nowMs: number): string | undefined {
    const keep = peInputKeep(cib);
    if (keep === 0) return undefined;
    mkdirSync(this.dir, { recursive: true, mode: 0o750 });
    const text = serializeCib(stampExecutionDate(cib, nowMs));
    const free = this.freeBytes(this.dir);
    const reserve = Math.max(PE_INPUT_RESERVE_MIN, PE_INPUT_RESERVE_FACTOR * Buffer.byteLength(text));
    if (free !== undefined && free < reserve)
      throw new Error(
        `${this.dir}: only ${free} bytes free, less than the ${reserve} kept for the CIB; policy input not saved`,
      );
    const existing = listPeInputs(this.dir);
    this.next ??= (existing.at(-1) ?? -1) + 1;
    const n = this.next++;
    const path = join(this.dir, peInputName(n));
    writeFileAtomic(path, text, 0o640);
    if (keep > 0) {
      const all = [...existing.filter((x) => x !== n), n];
      for (const old of all.slice(0, Math.max(0, all.length - keep)))
        rmSync(join(this.dir, peInputName(old)), { force: true });
    }
    return path;
  }

  /** Removes the oldest half of the saved inputs (at least one) to free space for the CIB; whether any went. */
  shed(): boolean {
    const all = listPeInputs(this.dir);
    const drop = all.slice(0, Math.max(1, Math.floor(all.length / 2)));
    for (const n of drop) rmSync(join(this.dir, peInputName(n)), { force: true });
    return drop.length > 0;
  }
}

function statfsFree(dir: string): number | undefined {
  try {
    const s = statfsSync(dir);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return undefined;
  }
}
