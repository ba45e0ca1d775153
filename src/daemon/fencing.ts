/**
 * Fencing one node with the CIB's devices (controller.ts decides when; this
 * runs the attempt): each device that can fence the target, in CIB order,
 * until one succeeds; never the local node. Side effects go through the
 * `fence` and `alert` ports.
 */

import type { Logger } from "../base/ports.js";
import type { Cib } from "../cib/model.js";
import { devicesFor, type FenceDevice, fenceTimeoutMs } from "../exec/fence-devices.js";
import type { AlertInput } from "./alerts.js";

/** One fencing attempt with one device. */
export interface FenceRequest {
  readonly device: FenceDevice;
  readonly action: string;
  readonly target: string;
  readonly timeoutMs: number;
}

export interface FenceResult {
  readonly ok: boolean;
  readonly reason: string;
  readonly durationMs: number;
}

export interface FencingContext {
  readonly cib: Cib;
  readonly localNode: string;
  readonly fence: ((req: FenceRequest) => Promise<FenceResult>) | undefined;
  readonly alert: ((a: AlertInput) => void) | undefined;
  readonly log: Logger;
}

/** Fences `target` (`action`: reboot, off) with each device that can, in CIB order, until one succeeds. */
export async function fenceWithDevices(
  ctx: FencingContext,
  target: string,
  action: string,
): Promise<FenceResult> {
  if (target === ctx.localNode) return { ok: false, reason: "a node never fences itself", durationMs: 0 };
  const devices = devicesFor(ctx.cib, target);
  if (devices.length === 0 || ctx.fence === undefined)
    return { ok: false, reason: `no fence device can fence ${target}`, durationMs: 0 };
  const reasons: string[] = [];
  let durationMs = 0;
  for (const device of devices) {
    const timeoutMs = fenceTimeoutMs(ctx.cib, device, action);
    ctx.log.warn(
      { event: "fence", target, action, device: device.id, agent: device.agent },
      `fencing ${target} (${action}) with ${device.id} (${device.agent})`,
    );
    const f = await ctx.fence({ device, action, target, timeoutMs });
    ctx.alert?.({ kind: "fencing", target, action, executioner: ctx.localNode, ...f });
    durationMs += f.durationMs;
    if (f.ok) {
      ctx.log.warn(
        { event: "fenced", target, action, device: device.id, ms: Math.round(f.durationMs) },
        `${target} was fenced (${action}) by ${device.id}`,
      );
      return { ok: true, reason: `fenced by ${device.id}`, durationMs };
    }
    reasons.push(`${device.id}: ${f.reason}`);
  }
  return { ok: false, reason: reasons.join("; "), durationMs };
}

/** Retry limits of a DC's fencing (ControllerOptions fenceRetryMinMs, fenceRetryMaxMs, fenceMaxAttempts). */
export interface FenceRetryOptions {
  readonly minMs?: number | undefined;
  readonly maxMs?: number | undefined;
  readonly maxAttempts?: number | undefined;
}

/**
 * A DC's backoff after failed fencing: no transition starts before `holdUntil`
 * (monotonic ms). The wait doubles per failure in a row of one target, from
 * minMs (1 s) to maxMs (30 s); after maxAttempts (10) it waits for an outside
 * change (`release`). A success clears the target's count.
 */
export class FenceBackoff {
  private readonly failures = new Map<string, number>();
  private hold = 0;

  constructor(private readonly opts: FenceRetryOptions = {}) {}

  get holdUntil(): number {
    return this.hold;
  }

  succeeded(target: string): void {
    this.failures.delete(target);
  }

  /** Counts a failure; returns the attempts so far and the wait (null: gave up until a change). */
  failed(target: string, now: number): { attempts: number; waitMs: number | null } {
    const n = (this.failures.get(target) ?? 0) + 1;
    this.failures.set(target, n);
    const max = this.opts.maxAttempts ?? 10;
    const wait = Math.min(this.opts.maxMs ?? 30_000, (this.opts.minMs ?? 1000) * 2 ** (n - 1));
    this.hold = n >= max ? Number.POSITIVE_INFINITY : now + wait;
    return { attempts: n, waitMs: n >= max ? null : wait };
  }

  /** An outside change: a DC that gave up tries again (the per-target counts stay). */
  release(): void {
    if (this.hold === Number.POSITIVE_INFINITY) this.hold = 0;
  }
}
