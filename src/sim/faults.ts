/**
 * Host faults both random runners inject (vopr.ts for crm mode, r1-run.ts for
 * haresources pairs), each logged as an event. The caller picks the host; the
 * PRNG draws stay in the order the seeds were recorded with.
 */
import type { Prng } from "../base/prng.js";
import type { SimHost } from "./host.js";
import type { SimWorld } from "./world.js";

/** The host's wall clock jumps 1-120 s either way. */
export function jumpClock(world: SimWorld, h: SimHost, prng: Prng): void {
  h.clockSkewMs += prng.pick([-1, 1]) * prng.intBetween(1000, 120_000);
  world.log.event(`${h.name}'s wall clock jumps to skew ${h.clockSkewMs} ms`);
}

/** The host crashes during its next CIB write, which is torn or lost. */
export function crashOnNextWrite(world: SimWorld, h: SimHost, prng: Prng): void {
  h.disk.crashOnWrite = prng.pick(["torn", "lost"] as const);
  world.log.event(`${h.name} will crash during its next CIB write (${h.disk.crashOnWrite})`);
}

/** One resource running on the host dies on its own (a later monitor finds it). */
export function killOneResource(world: SimWorld, h: SimHost, prng: Prng): void {
  const running = [...h.agents.runningSet()];
  if (running.length === 0) return;
  const r = prng.pick(running);
  h.agents.kill(r);
  world.log.event(`${r} dies on ${h.name}`);
}

/** SIGTERM: hbd releases what runs here, then stops cleanly (a second SIGTERM is ignored, as by hbd). */
export async function shutdownHost(world: SimWorld, stopping: WeakSet<object>, name: string): Promise<void> {
  const h = world.host(name);
  const hbd = h.hbd;
  if (hbd === undefined || stopping.has(hbd)) return;
  stopping.add(hbd);
  world.log.event(`${name}: SIGTERM`);
  hbd.beginShutdown();
  await hbd.releaseLocal();
  if (h.hbd !== hbd) return; // crashed meanwhile
  hbd.finishShutdown();
  h.stop("stopped cleanly");
}
