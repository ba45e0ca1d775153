/**
 * Pure health state machine: check results in, up/down per real out.
 *
 * ldirectord semantics: a real goes down after `failurecount` consecutive
 * failed checks and comes back after one success; checktype `on` is always
 * up, `off` never. Extensions (keepalived): a failed check is first retried
 * `retry` times, `delay_before_retry` apart, before it counts as a failure;
 * quorum with hysteresis decides whether the reals or the fallback serve.
 *
 * Time comes in with each result (`CheckResult.at`); nothing here reads a clock.
 */
import type {
  CheckResult,
  DirectorConfig,
  HealthState,
  HealthTransition,
  RealHealth,
  VirtualHealth,
  VirtualService,
} from "./model.js";
import { realKey } from "./model.js";

/** The result of feeding one event to the state machine. */
export interface HealthStep {
  readonly state: HealthState;
  readonly transitions: readonly HealthTransition[];
  /** Set when the failed check should be retried after this many ms (extension `retry`), instead of at the next round. */
  readonly retryInMs?: number;
}

const DOWN: RealHealth = {
  up: false,
  consecutiveFailures: 0,
  consecutiveSuccesses: 0,
  retriesUsed: 0,
  maintenance: false,
};

/** Health key of a configured real (as written: port 0 stays 0). */
export function configRealKey(r: { readonly ip: string; readonly port: number }): string {
  return realKey({ ip: r.ip, port: r.port });
}

export interface InitialHealthOptions {
  /** State from before a reload: reals and virtuals with the same keys keep it. */
  readonly previous?: HealthState;
  /**
   * Reals found in the kernel table with weight > 0 (service key, real key) are
   * trusted as up until a check says otherwise, as ldirectord does at start-up.
   */
  readonly trusted?: (service: string, real: string) => boolean;
}

/**
 * Health for a (new or reloaded) configuration: previous state where the real
 * is unchanged, trusted reals up, everything else down until its first success;
 * checktype `on` is up and `off` is down.
 */
export function initialHealth(config: DirectorConfig, opts: InitialHealthOptions = {}): HealthState {
  const virtuals = new Map<string, VirtualHealth>();
  for (const v of config.virtuals) {
    const prevV = opts.previous?.virtuals.get(v.key);
    const reals = new Map<string, RealHealth>();
    for (const r of v.reals) {
      const k = configRealKey(r);
      const prev = prevV?.reals.get(k);
      if (v.check.type === "on") reals.set(k, { ...(prev ?? DOWN), up: true, maintenance: false });
      else if (v.check.type === "off") reals.set(k, { ...(prev ?? DOWN), up: false });
      else if (prev) reals.set(k, prev);
      else reals.set(k, { ...DOWN, up: opts.trusted?.(v.key, k) ?? false });
    }
    const quorumUp = prevV ? latchQuorum(v, reals, prevV.quorumUp) : quorumFromScratch(v, reals);
    virtuals.set(v.key, { reals, quorumUp });
  }
  return { virtuals };
}

/** Sum of weights of the up reals and of all reals. */
function weights(
  v: VirtualService,
  reals: ReadonlyMap<string, RealHealth>,
): { up: number; total: number; any: boolean } {
  let up = 0;
  let total = 0;
  let any = false;
  for (const r of v.reals) {
    total += r.weight;
    if (reals.get(configRealKey(r))?.up) {
      up += r.weight;
      any = true;
    }
  }
  return { up, total, any };
}

function quorumFromScratch(v: VirtualService, reals: ReadonlyMap<string, RealHealth>): boolean {
  const w = weights(v, reals);
  if (v.quorum === undefined) return w.any;
  const q = w.total > 0 ? Math.min(v.quorum, w.total) : v.quorum;
  return w.up > 0 && w.up >= q;
}

/**
 * Quorum with hysteresis (keepalived): gained when the up weight reaches
 * quorum + hysteresis, lost when it drops below quorum - hysteresis or to 0.
 * Without a configured quorum: ldirectord's rule, the reals serve while any is up.
 * A quorum above the total weight is clamped to it.
 */
function latchQuorum(v: VirtualService, reals: ReadonlyMap<string, RealHealth>, was: boolean): boolean {
  const w = weights(v, reals);
  if (v.quorum === undefined) return w.any;
  const q = w.total > 0 ? Math.min(v.quorum, w.total) : v.quorum;
  const h = Math.min(v.hysteresis, Math.max(q - 1, 0));
  if (w.up === 0) return false;
  return was ? w.up >= q - h : w.up >= q + h || (w.up >= q && w.up === w.total);
}

function findVirtual(config: DirectorConfig, service: string): VirtualService | undefined {
  return config.virtuals.find((v) => v.key === service);
}

function withReal(
  state: HealthState,
  v: VirtualService,
  real: string,
  next: RealHealth,
  at: number,
  transitions: HealthTransition[],
): HealthState {
  const vh = state.virtuals.get(v.key);
  if (!vh) return state;
  const reals = new Map(vh.reals);
  reals.set(real, next);
  const quorumUp = latchQuorum(v, reals, vh.quorumUp);
  if (quorumUp !== vh.quorumUp) transitions.push({ kind: "quorum", service: v.key, up: quorumUp, at });
  const virtuals = new Map(state.virtuals);
  virtuals.set(v.key, { reals, quorumUp });
  return { virtuals };
}

/**
 * Feeds one check result for (service key, real key). Unknown services or
 * reals, and reals of checktype on/off, leave the state unchanged.
 */
export function applyCheckResult(
  state: HealthState,
  config: DirectorConfig,
  service: string,
  real: string,
  result: CheckResult,
): HealthStep {
  const v = findVirtual(config, service);
  const cur = state.virtuals.get(service)?.reals.get(real);
  if (!v || !cur || v.check.type === "on" || v.check.type === "off") return { state, transitions: [] };
  const transitions: HealthTransition[] = [];
  const at = result.at;
  if (result.ok) {
    const up = !cur.maintenance;
    const next: RealHealth = {
      ...cur,
      up,
      consecutiveFailures: 0,
      consecutiveSuccesses: cur.consecutiveSuccesses + 1,
      retriesUsed: 0,
      lastResult: result,
      ...(up !== cur.up || cur.since === undefined ? { since: at } : {}),
    };
    if (up && !cur.up)
      transitions.push({ kind: "real", service, real, up: true, at, message: result.message });
    return { state: withReal(state, v, real, next, at, transitions), transitions };
  }
  if (cur.retriesUsed < v.check.retry) {
    const next: RealHealth = { ...cur, retriesUsed: cur.retriesUsed + 1, lastResult: result };
    return {
      state: withReal(state, v, real, next, at, transitions),
      transitions,
      retryInMs: v.check.delayBeforeRetryMs,
    };
  }
  const failures = cur.consecutiveFailures + 1;
  const down = cur.up && failures >= v.check.failureCount;
  const next: RealHealth = {
    ...cur,
    up: cur.up && !down,
    consecutiveFailures: failures,
    consecutiveSuccesses: 0,
    retriesUsed: 0,
    lastResult: result,
    ...(down || cur.since === undefined ? { since: at } : {}),
  };
  if (down) transitions.push({ kind: "real", service, real, up: false, at, message: result.message });
  else if (cur.up)
    transitions.push({
      kind: "soft-failure",
      service,
      real,
      failures,
      of: v.check.failureCount,
      at,
      message: result.message,
    });
  return { state: withReal(state, v, real, next, at, transitions), transitions };
}

/**
 * A maintenance file appeared (on) or went away (off) for a real: on forces it
 * down at once without checking; off lets the next successful check bring it back.
 */
export function setMaintenance(
  state: HealthState,
  config: DirectorConfig,
  service: string,
  real: string,
  on: boolean,
  at: number,
): HealthStep {
  const v = findVirtual(config, service);
  const cur = state.virtuals.get(service)?.reals.get(real);
  if (!v || !cur || cur.maintenance === on) return { state, transitions: [] };
  const transitions: HealthTransition[] = [];
  const goesDown = on && cur.up;
  const next: RealHealth = {
    ...cur,
    maintenance: on,
    up: on ? false : cur.up,
    ...(goesDown ? { since: at } : {}),
  };
  if (goesDown) transitions.push({ kind: "real", service, real, up: false, at, message: "maintenance" });
  return { state: withReal(state, v, real, next, at, transitions), transitions };
}
