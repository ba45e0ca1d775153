/** Public API of the CIB module: model, parse/serialise, queries, scores, durations, (the haresources conversion lives in config/to-cib.ts). */

export * from "./duration.js";
export { isLegacyDocument, LEGACY_DEFAULT_SET_IDS, upgradeHeartbeat2 } from "./legacy.js";
export type * from "./model.js";
export { parseCib } from "./parse.js";
export * from "./query.js";
export * from "./score.js";
export { cibToXml, serializeCib } from "./serialize.js";
export { parseXml, writeXml } from "./xml.js";
