/** Public API of the policy engine: schedule, oracle rendering, simulation inputs. */
export { type CompatNote, compatNotes } from "./compat.js";
export {
  applyTransition,
  INJECT_UUID,
  isStable,
  nodeDown,
  nodeFail,
  nodeUp,
  type OpFailSpec,
  opFail,
  parseOpFailSpec,
} from "./inject.js";
export { actionLabel, type OracleOptions, renderOracle, summaryLine } from "./oracle.js";
export { compareValues, evalExpression, evalRule, ruleScore } from "./rules.js";
export { type ScheduleOptions, schedule, toMs } from "./schedule.js";
export type * from "./types.js";
