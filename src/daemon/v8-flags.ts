/**
 * V8 settings for hbd's footprint (issue 15), applied at run time because hbd
 * is started as `node main.js` (the package's /usr/sbin/hbd wrapper, systemd,
 * tests), where command-line V8 flags cannot be relied on. Imported first by
 * main.ts, so it runs before the other modules load.
 *
 * --semi-space-growth-factor=1: V8's young generation starts at 1 MB per semi
 * space and doubles, up to 16 MB, each time a scavenge finds it busy; hbd at
 * keepalive 10 ms allocates steadily (a frame in, a frame out every 10 ms), so
 * it grew to the maximum and stayed there: about 12 MB of RSS for objects that
 * die within one tick. Kept at its initial size, the scavenges are more
 * frequent but each copies only the few objects alive across a tick.
 * Measured with bench/footprint.ts (npm run bench:footprint).
 * The growth factor is read each time V8 considers growing the space, so
 * setting it after start-up takes effect (checked by
 * test/unit/daemon/v8-flags.test.ts).
 */
import { setFlagsFromString } from "node:v8";

export const HBD_V8_FLAGS = ["--semi-space-growth-factor=1"] as const;

for (const f of HBD_V8_FLAGS) setFlagsFromString(f);

/**
 * Keepalive from which hbd runs in V8's interpreter only (--max-opt=0: no
 * optimising compiler and no baseline compiler, Sparkplug). At Heartbeat's
 * usual 1-2 s hbd handles a few frames a second: TurboFan's compiled code,
 * its zones and the pages of node's binary it runs from were ~4.5 MB of hbd's
 * ~52 MB RSS at keepalive 1 s (--max-opt=1), and Sparkplug's code another
 * ~0.5 MB (--max-opt=0: 46.2 -> 45.7 MB, idle CPU ~0.5 -> ~0.6 % of a core).
 * At keepalive 10 ms the optimising compiler saves ~3 % of a core, so fast
 * timings keep it. The policy engine runs seldom (a transition), so it was not
 * optimised before either. Measured with bench/footprint.ts.
 */
export const INTERPRETER_ONLY_FROM_KEEPALIVE_MS = 500;

/** The V8 flags hbd sets once its configuration is known (see INTERPRETER_ONLY_FROM_KEEPALIVE_MS). */
export function timingFlags(keepaliveMs: number): string[] {
  return keepaliveMs >= INTERPRETER_ONLY_FROM_KEEPALIVE_MS ? ["--max-opt=0"] : [];
}

/** Sets timingFlags(keepaliveMs) (read by V8 whenever it considers optimising a function). */
export function applyTimingFlags(keepaliveMs: number): readonly string[] {
  const flags = timingFlags(keepaliveMs);
  for (const f of flags) setFlagsFromString(f);
  return flags;
}
