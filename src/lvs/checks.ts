/**
 * Health checks of real servers: every check runs concurrently with its own
 * AbortSignal timeout, so a hung server never delays another one (ldirectord
 * checks one after another). A round runs a set of checks with bounded
 * concurrency and identical checks (same key) only once.
 */
import { Limiter } from "../exec/limiter.js";
import { checkConnect } from "./check-connect.js";
import { checkExternal } from "./check-external.js";
import { checkHttp, type HttpCheckSpec } from "./check-http.js";
import { checkPing } from "./check-ping.js";
import type { CheckResult as ModelCheckResult } from "./model.js";

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

/** Runs one check under its timeout (and an optional outer signal); never throws. */
export async function runCheck(spec: CheckSpec, outer?: AbortSignal): Promise<CheckResult> {
  const t0 = performance.now();
  const done = (o: CheckOutcome): CheckResult => ({
    ...o,
    at: Date.now(),
    durationMs: Math.round((performance.now() - t0) * 10) / 10,
  });
  if (spec.kind === "on") return done({ ok: true, message: "checktype on" });
  if (spec.kind === "off") return done({ ok: false, message: "checktype off" });
  const budget = spec.kind === "ping" ? spec.timeoutMs * Math.max(1, spec.count) : spec.timeoutMs;
  const timeout = AbortSignal.timeout(budget);
  const signal = outer ? AbortSignal.any([outer, timeout]) : timeout;
  try {
    switch (spec.kind) {
      case "connect":
        return done(await checkConnect(spec.host, spec.port, signal));
      case "http":
        return done(await checkHttp(spec, signal));
      case "ping":
        return done(await checkPing(spec.host, spec.count, spec.timeoutMs, signal));
      case "external":
        return done(await checkExternal(spec.command, spec.args, signal));
    }
  } catch (e) {
    return done({ ok: false, message: `check error: ${(e as Error).message}` });
  }
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

  /** Runs one check when a slot is free. */
  check(spec: CheckSpec, signal?: AbortSignal): Promise<CheckResult> {
    return this.limiter.run(() => runCheck(spec, signal));
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
