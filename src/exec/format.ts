/**
 * Rendering of an action result for operators (`hbctl resource exec`): a short
 * text block, or a stable JSON object.
 */
import type { ActionRequest, ActionResult } from "./types.js";

/** Text: `rc=7 (not running) in 12.3 ms`, the reason when it adds something, then the output tails. */
export function formatResultText(req: ActionRequest, r: ActionResult): string {
  const who = `${req.agent.class}:${req.agent.provider !== undefined ? `${req.agent.provider}:` : ""}${req.agent.type}`;
  const lines = [
    `${who} ${req.op} (${req.rscId}): rc=${r.rc} (${r.rcName}) in ${r.durationMs.toFixed(1)} ms`,
  ];
  if (r.status !== "done") lines.push(`status: ${r.status}`);
  if (r.reason !== r.rcName) lines.push(`reason: ${r.reason}`);
  if (r.exitCode !== null && r.exitCode !== r.rc) lines.push(`raw exit code: ${r.exitCode}`);
  if (r.signal !== null) lines.push(`signal: ${r.signal}`);
  for (const [name, text] of [
    ["stdout", r.stdoutTail],
    ["stderr", r.stderrTail],
  ] as const) {
    if (text.trim() === "") continue;
    lines.push(`--- ${name} (tail)`, text.replace(/\n$/, ""));
  }
  return `${lines.join("\n")}\n`;
}

/** JSON form: the request's identity plus every result field. */
export function formatResultJson(req: ActionRequest, r: ActionResult): string {
  return JSON.stringify({ agent: req.agent, ...r }, null, 2);
}
