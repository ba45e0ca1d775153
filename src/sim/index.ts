/** The deterministic whole-cluster simulator: real composed nodes on a seeded world; membership stories. */
export { ManualClock } from "./clock.js";
export * from "./membership-sim.js";
export * from "./network.js";
export { reproduceLine, runSeed, type SeedOptions, type SeedResult } from "./vopr.js";
export { SimWorld } from "./world.js";
