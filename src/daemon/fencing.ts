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
