/**
 * The director's status as the status file holds it (`hbctl lvs status`
 * reads it): per virtual, each configured real with its health, table weight,
 * connection counts and last check, plus the fallbacks in the table. Pure:
 * built from the configuration, the applied table and the health state.
 */

import { rename, writeFile } from "node:fs/promises";
import type { ConnCounts } from "./backends/nft-adapter.js";
import { configRealKey } from "./health.js";
import type { CheckResult, DaemonPhase, DirectorConfig, HealthState, Table } from "./model.js";

/** What the status file holds (also `hbctl lvs status --json`). */
export interface DirectorStatus {
  readonly pid: number;
  readonly configFile: string;
  readonly backend: string;
  readonly phase: DaemonPhase;
  readonly startedAt: number;
  readonly updatedAt: number;
  readonly lastRound?: { readonly checks: number; readonly durationMs: number; readonly at: number };
  /** How long the first round (every real checked at once at start-up) took. */
  readonly firstRoundMs?: number;
  readonly lastApplyError?: string;
  /** Table changes applied since start (each added, edited or removed service or real is one). */
  readonly tableChanges?: number;
  readonly services: readonly StatusService[];
}

export interface StatusService {
  readonly key: string;
  readonly scheduler: string;
  readonly persistenceSec?: number;
  readonly netmask?: string;
  /** Up reals carry the traffic (false: the fallback, if any, serves). */
  readonly quorumUp: boolean;
  readonly reals: readonly StatusReal[];
}

export interface StatusReal {
  readonly key: string;
  readonly method: string;
  /** Weight in the table; undefined = not in the table. */
  readonly weight?: number;
  readonly role: "real" | "fallback";
  readonly active: number;
  readonly inactive: number;
  /** "up", "down", "maintenance" (fallbacks: "fallback"). */
  readonly health: string;
  readonly lastCheck?: CheckResult;
  /** Checks run against this real since start (retries included), and how many failed. */
  readonly checks?: number;
  readonly checkFailures?: number;
}

/** What statusServices() reads. */
export interface StatusInput {
  readonly config: DirectorConfig | undefined;
  readonly applied: Table;
  readonly health: HealthState;
  readonly conns: ReadonlyMap<string, ReadonlyMap<string, ConnCounts>>;
  /** Checks and failed checks of (service key, real key) since start. */
  readonly counts: (service: string, real: string) => { checks: number; failures: number } | undefined;
}

/** The services part of the status. */
export function statusServices(input: StatusInput): StatusService[] {
  return (input.config?.virtuals ?? []).map((v): StatusService => {
    const t = input.applied.services.find((s) => s.key === v.key);
    const vh = input.health.virtuals.get(v.key);
    const byAddress = tableRealsByAddress(t);
    const reals: StatusReal[] = v.reals.map((r) => {
      const h = vh?.reals.get(configRealKey(r));
      const tr = byAddress.get(r.ip)?.find((x) => x.port === r.port || r.port === 0 || r.method !== "masq");
      const c = tr ? input.conns.get(v.key)?.get(tr.key) : undefined;
      const n = input.counts(v.key, configRealKey(r));
      return {
        key: tr?.key ?? configRealKey(r),
        method: r.method,
        ...(tr ? { weight: tr.weight } : {}),
        role: "real",
        active: c?.active ?? 0,
        inactive: c?.inactive ?? 0,
        health: h?.maintenance ? "maintenance" : h?.up ? "up" : "down",
        ...(h?.lastResult ? { lastCheck: h.lastResult } : {}),
        checks: n?.checks ?? 0,
        checkFailures: n?.failures ?? 0,
      };
    });
    for (const f of t?.reals.filter((x) => x.role === "fallback") ?? []) {
      const c = input.conns.get(v.key)?.get(f.key);
      reals.push({
        key: f.key,
        method: f.method,
        weight: f.weight,
        role: "fallback",
        active: c?.active ?? 0,
        inactive: c?.inactive ?? 0,
        health: "fallback",
      });
    }
    return {
      key: v.key,
      scheduler: v.scheduler,
      ...(v.persistenceSec !== undefined ? { persistenceSec: v.persistenceSec } : {}),
      ...(v.netmask !== undefined ? { netmask: v.netmask } : {}),
      quorumUp: vh?.quorumUp ?? false,
      reals,
    };
  });
}

/** The non-fallback reals of a table service by address (status() matches 1,000 reals against them every second). */
function tableRealsByAddress(
  t: Table["services"][number] | undefined,
): Map<string, Table["services"][number]["reals"][number][]> {
  const m = new Map<string, Table["services"][number]["reals"][number][]>();
  for (const x of t?.reals ?? []) {
    if (x.role === "fallback") continue;
    const list = m.get(x.address);
    if (list) list.push(x);
    else m.set(x.address, [x]);
  }
  return m;
}

/**
 * Writes the status file (atomically: a temporary file, then rename). A call
 * during a write in flight does not drop its state (that was a race: stop()'s
 * "stopping" could be skipped and the file left at "running"): the write in
 * flight runs once more, and every caller waits for the write that includes its state.
 */
export class StatusFileWriter {
  private inFlight: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly file: string | undefined,
    private readonly status: () => Promise<DirectorStatus>,
    private readonly warn: (message: string) => void,
  ) {}

  write(): Promise<void> {
    const file = this.file;
    if (!file) return Promise.resolve();
    if (this.inFlight !== undefined) {
      this.again = true;
      return this.inFlight;
    }
    this.inFlight = (async () => {
      do {
        this.again = false;
        await this.writeOnce(file);
      } while (this.again);
    })().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async writeOnce(file: string): Promise<void> {
    try {
      const tmp = `${file}.${process.pid}.tmp`;
      await writeFile(tmp, `${JSON.stringify(await this.status())}\n`);
      await rename(tmp, file);
    } catch (e) {
      this.warn(`cannot write the status file: ${(e as Error).message}`);
    }
  }
}
