/**
 * When the policy must run again with no event: the earliest moment a
 * recorded failure expires by its resource's failure-timeout (a fail count
 * that stops counting towards migration-threshold, a failed operation that
 * no longer marks the resource failed). Pacemaker's scheduler computes the
 * same instant and puts it in the graph (`recheck-by`); schedule() sets it as
 * `Transition.recheckAtMs` from the world it already unpacked.
 */
import { indexFailures, type World } from "./unpack.js";

/** The first time (ms, > world.nowMs) at which a failure recorded in the CIB expires; undefined when none will. */
export function nextFailureExpiry(w: World): number | undefined {
  let best: number | undefined;
  // a failure counts while now <= last * 1000 + timeout: it is gone 1 ms later
  const consider = (lastS: number, timeoutMs: number) => {
    const t = lastS * 1000 + timeoutMs + 1;
    if (t > w.nowMs && (best === undefined || t < best)) best = t;
  };
  const timeouts = new Map<string, number>();
  for (const p of w.prims) if (p.meta.failureTimeoutMs > 0) timeouts.set(p.base, p.meta.failureTimeoutMs);
  if (timeouts.size === 0) return undefined;
  for (const n of w.nodes)
    for (const [rsc, e] of indexFailures(n.attrs).legacy) {
      const ft = timeouts.get(rsc);
      if (ft !== undefined && e.count > 0 && e.last > 0) consider(e.last, ft);
    }
  for (const ns of w.cib.status)
    for (const r of ns.lrmResources) {
      const ft = timeouts.get(r.id.replace(/:\d+$/, ""));
      if (ft === undefined) continue;
      for (const op of r.ops)
        if (op.id.endsWith("_last_failure_0") && op.lastRcChange !== undefined) consider(op.lastRcChange, ft);
    }
  return best;
}
