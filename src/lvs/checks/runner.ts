/**
 * Health checks of real servers: every check runs concurrently with its own
 * AbortSignal timeout, so a hung server never delays another one (ldirectord
 * checks one after another). A round runs a set of checks with bounded
 * concurrency and identical checks (same key) only once.
 */
import { Limiter } from "../../exec/limiter.js";
import type { CheckResult as ModelCheckResult } from "../model.js";
import { checkConnect } from "./connect.js";
import { checkExternal } from "./external.js";
import { checkHttp, type HttpCheckSpec } from "./http.js";
import { checkPing } from "./ping.js";

/** What a finished check says. */
export interface CheckOutcome {
  readonly ok: boolean;
  /** Short human text ("status 200", "connect failed: ECONNREFUSED", ...). */
  readonly message: string;
}

/** A finished check with its timing (the model's CheckResult, `at` = finish time in epoch ms). */
export interface CheckResult extends ModelCheckResult {
  readonly durationMs: number;
}

/** One check to run, already resolved from the configuration (addresses, ports, timeouts). */
export type CheckSpec =
  | { readonly kind: "connect"; readonly host: string; readonly port: number; readonly timeoutMs: number }
  | ({ readonly kind: "http"; readonly timeoutMs: number } & HttpCheckSpec)
  | {
      readonly kind: "ping";
      readonly host: string;
      /** Attempts (ldirectord's checkcount), each bounded by timeoutMs. */
      readonly count: number;
      readonly timeoutMs: number;
    }
  | {
      readonly kind: "external";
      readonly command: string;
      /** ldirectord's convention: VIP-or-fwmark VPORT RIP RPORT (see externalCheckArgs). */
      readonly args: readonly string[];
      readonly timeoutMs: number;
    }
  | { readonly kind: "on" }
  | { readonly kind: "off" };

/** A stable identity: two reals with the same key are checked once per round. */
export function checkKey(spec: CheckSpec): string {
  return JSON.stringify(spec);
}

/** What a check watches for its end: AbortSignal fits, and so does the cheaper CheckDeadline. */
export interface CheckSignal {
  readonly aborted: boolean;
  addEventListener(type: "abort", listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: "abort", listener: () => void): void;
}

/**
 * A check's end: its timeout, or abort() (an outer signal, the runner's
 * cancelAll). One plain timer and a listener array: AbortSignal.timeout with
 * AbortSignal.any cost several times more (event targets, weak references, a
 * finalization registry), about a tenth of the director's CPU at 1,000 checks per second.
 */
export class CheckDeadline implements CheckSignal {
  aborted = false;
  private listeners: (() => void)[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(ms: number) {
    this.timer = setTimeout(() => this.abort(), ms);
  }

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    clearTimeout(this.timer);
    const ls = this.listeners;
    this.listeners = [];
    for (const l of ls) l();
  }

  /** The check is over: the timer goes, nothing will be called. */
  dispose(): void {
    clearTimeout(this.timer);
    this.listeners = [];
  }

  addEventListener(_type: "abort", listener: () => void): void {
    if (!this.aborted) this.listeners.push(listener);
  }

  removeEventListener(_type: "abort", listener: () => void): void {
    const i = this.listeners.indexOf(listener);
    if (i >= 0) this.listeners.splice(i, 1);
  }
}

/** How long a check may take: its timeout (ping: per attempt); on/off take no time. */
function budgetOf(spec: CheckSpec): number {
  if (spec.kind === "on" || spec.kind === "off") return 0;
  return spec.kind === "ping" ? spec.timeoutMs * Math.max(1, spec.count) : spec.timeoutMs;
}

/** Runs one check under its timeout (and an optional outer signal); never throws. */
export async function runCheck(spec: CheckSpec, outer?: AbortSignal): Promise<CheckResult> {
  const deadline = new CheckDeadline(budgetOf(spec));
  const abort = (): void => deadline.abort();
  if (outer?.aborted) deadline.abort();
  else outer?.addEventListener("abort", abort, { once: true });
  try {
    return await runWith(spec, deadline);
  } finally {
    outer?.removeEventListener("abort", abort);
  }
}

/** Runs one check until `deadline`; never throws; disposes the deadline. */
async function runWith(spec: CheckSpec, deadline: CheckDeadline): Promise<CheckResult> {
  const t0 = performance.now();
  const done = (o: CheckOutcome): CheckResult => ({
    ok: o.ok,
    message: o.message,
    at: Date.now(),
    durationMs: Math.round((performance.now() - t0) * 10) / 10,
  });
  try {
    if (spec.kind === "on") return done({ ok: true, message: "checktype on" });
    if (spec.kind === "off") return done({ ok: false, message: "checktype off" });
    return done(await runKind(spec, deadline));
  } catch (e) {
    return done({ ok: false, message: `check error: ${(e as Error).message}` });
  } finally {
    deadline.dispose();
  }
}

function runKind(
  spec: Exclude<CheckSpec, { kind: "on" | "off" }>,
  deadline: CheckDeadline,
): Promise<CheckOutcome> {
  switch (spec.kind) {
    case "connect":
      return checkConnect(spec.host, spec.port, deadline);
    case "http":
      return checkHttp(spec, deadline);
    case "ping":
      return checkPing(spec.host, spec.count, spec.timeoutMs, abortSignalOf(deadline));
    case "external":
      return checkExternal(spec.command, spec.args, abortSignalOf(deadline));
  }
}

/** A real AbortSignal that follows the deadline (the process-spawning checks hand it to AbortSignal.any). */
function abortSignalOf(deadline: CheckDeadline): AbortSignal {
  const ac = new AbortController();
  if (deadline.aborted) ac.abort();
  else deadline.addEventListener("abort", () => ac.abort());
  return ac.signal;
}

/** Runs rounds of checks with at most `limit` in flight. */
export class CheckRunner {
  private readonly limiter: Limiter;

  constructor(limit = 256) {
    this.limiter = new Limiter(limit);
  }

  /** Checks in flight / waiting (for status and tests). */
  get load(): { running: number; queued: number } {
    return { running: this.limiter.running, queued: this.limiter.queued };
  }

  /** Checks in flight (cancelAll ends them). */
  private readonly inFlight = new Set<CheckDeadline>();
  private cancelled = false;

  /** Runs one check when a slot is free (`signal`: an outer end, besides cancelAll). */
  check(spec: CheckSpec, signal?: AbortSignal): Promise<CheckResult> {
    if (signal) return this.limiter.run(() => runCheck(spec, signal));
    return this.limiter.run(async () => {
      const d = new CheckDeadline(budgetOf(spec));
      if (this.cancelled) d.abort();
      this.inFlight.add(d);
      try {
        return await runWith(spec, d);
      } finally {
        this.inFlight.delete(d);
      }
    });
  }

  /** Ends every check in flight and every later one at once (the director stopping). */
  cancelAll(): void {
    this.cancelled = true;
    for (const d of this.inFlight) d.abort();
  }

  /**
   * Runs every distinct check once, concurrently, and returns the result by
   * the caller's id. Identical specs (same checkKey) share one execution.
   */
  async round(
    checks: ReadonlyMap<string, CheckSpec>,
    signal?: AbortSignal,
  ): Promise<Map<string, CheckResult>> {
    const byKey = new Map<string, Promise<CheckResult>>();
    const entries = [...checks].map(([id, spec]) => {
      const key = checkKey(spec);
      let p = byKey.get(key);
      if (!p) {
        p = this.limiter.run(() => runCheck(spec, signal));
        byKey.set(key, p);
      }
      return [id, p] as const;
    });
    const out = new Map<string, CheckResult>();
    for (const [id, p] of entries) out.set(id, await p);
    return out;
  }
}
