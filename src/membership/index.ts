/** Membership: node and link liveness as a pure, tick-driven state machine. */
export { advertisedDeadtimeMs, type GenerationMethod, nextGeneration } from "./generation.js";
export { Membership } from "./membership.js";
export { SEQ_GAP_RESET, SEQ_MISSING_MAX, SequenceTracker, type SeqVerdict } from "./sequence.js";
export * from "./transitions.js";
export * from "./types.js";
