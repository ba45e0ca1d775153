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
