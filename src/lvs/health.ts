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
  const was = reals.get(real);
  reals.set(real, next);
  // the quorum depends only on which reals are up: unchanged when this one's `up` is (the common case, every check)
  const quorumUp = was?.up === next.up ? vh.quorumUp : latchQuorum(v, reals, vh.quorumUp);
  if (quorumUp !== vh.quorumUp) transitions.push({ kind: "quorum", service: v.key, up: quorumUp, at });
  const virtuals = new Map(state.virtuals);
  virtuals.set(v.key, { reals, quorumUp });
  return { virtuals };
}

/** One check result to feed: (service key, real key) and the result. */
export interface CheckFeed {
  readonly service: string;
  readonly real: string;
  readonly result: CheckResult;
}

/** The result of feeding a batch: per item, the retry delay it asks for (as HealthStep.retryInMs). */
export interface HealthBatchStep {
  readonly state: HealthState;
  readonly transitions: readonly HealthTransition[];
  readonly retryInMs: readonly (number | undefined)[];
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
  const b = applyCheckResults(state, config, [{ service, real, result }]);
  const retryInMs = b.retryInMs[0];
  return retryInMs === undefined
    ? { state: b.state, transitions: b.transitions }
    : { state: b.state, transitions: b.transitions, retryInMs };
}

/**
 * Feeds several results in order, as applyCheckResult one after another
 * would, but copies each touched virtual's reals once per batch instead of
 * once per result (1,000 reals checked every second: the copies were a tenth
 * of the director's own CPU).
 */
export function applyCheckResults(
  state: HealthState,
  config: DirectorConfig,
  items: readonly CheckFeed[],
): HealthBatchStep {
  const drafts = new Map<string, { reals: Map<string, RealHealth>; quorumUp: boolean }>();
  const transitions: HealthTransition[] = [];
  const retryInMs: (number | undefined)[] = [];
  for (const { service, real, result } of items) {
    const v = findVirtual(config, service);
    const vh = state.virtuals.get(service);
    let d = drafts.get(service);
    const cur = (d?.reals ?? vh?.reals)?.get(real);
    if (!v || !vh || !cur || v.check.type === "on" || v.check.type === "off") {
      retryInMs.push(undefined);
      continue;
    }
    if (!d) {
      d = { reals: new Map(vh.reals), quorumUp: vh.quorumUp };
      drafts.set(service, d);
    }
    const step = stepReal(v, service, real, cur, result, transitions);
    d.reals.set(real, step.next);
    retryInMs.push(step.retryInMs);
    // the quorum depends only on which reals are up
    if (step.next.up === cur.up) continue;
    const quorumUp = latchQuorum(v, d.reals, d.quorumUp);
    if (quorumUp !== d.quorumUp) transitions.push({ kind: "quorum", service, up: quorumUp, at: result.at });
    d.quorumUp = quorumUp;
  }
  if (drafts.size === 0) return { state, transitions, retryInMs };
  const virtuals = new Map(state.virtuals);
  for (const [k, d] of drafts) virtuals.set(k, d);
  return { state: { virtuals }, transitions, retryInMs };
}

/** One result for one real: its next health, the real's transitions (pushed), and a retry delay. */
function stepReal(
  v: VirtualService,
  service: string,
  real: string,
  cur: RealHealth,
  result: CheckResult,
  transitions: HealthTransition[],
): { next: RealHealth; retryInMs?: number } {
  const at = result.at;
  if (result.ok) {
    const up = !cur.maintenance;
    if (up && !cur.up)
      transitions.push({ kind: "real", service, real, up: true, at, message: result.message });
    return {
      next: {
        ...cur,
        up,
        consecutiveFailures: 0,
        consecutiveSuccesses: cur.consecutiveSuccesses + 1,
        retriesUsed: 0,
        lastResult: result,
        ...(up !== cur.up || cur.since === undefined ? { since: at } : {}),
      },
    };
  }
  if (cur.retriesUsed < v.check.retry)
    return {
      next: { ...cur, retriesUsed: cur.retriesUsed + 1, lastResult: result },
      retryInMs: v.check.delayBeforeRetryMs,
    };
  const failures = cur.consecutiveFailures + 1;
  const down = cur.up && failures >= v.check.failureCount;
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
  return {
    next: {
      ...cur,
      up: cur.up && !down,
      consecutiveFailures: failures,
      consecutiveSuccesses: 0,
      retriesUsed: 0,
      lastResult: result,
      ...(down || cur.since === undefined ? { since: at } : {}),
    },
  };
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
