/** The deterministic cluster simulator: manual clock, seeded network, scripted and randomized runs. */
export { ManualClock } from "./clock.js";
export * from "./cluster.js";
export * from "./network.js";
export * from "./random-run.js";
