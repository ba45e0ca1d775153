/** Shared test helpers. Tests run from dist/test/..., fixtures live in the source tree. */
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { ActionRequest, ActionResult } from "../src/exec/types.js";

/** Repository root (works from both test/ and dist/test/). */
export const repoRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    try {
      readFileSync(join(dir, "package.json"));
      return dir;
    } catch {
      dir = resolve(dir, "..");
    }
  }
  throw new Error("repository root not found");
})();

export function fixturePath(...parts: string[]): string {
  return join(repoRoot, "test", "fixtures", ...parts);
}

export function readFixture(...parts: string[]): string {
  return readFileSync(fixturePath(...parts), "utf8");
}

/** A finished agent run of `req` with `rc`, as the executor reports it (for fake executors in tests). */
export function doneResult(
  req: Pick<ActionRequest, "rscId" | "op" | "intervalMs">,
  rc: number,
  reason = "",
  durationMs = 1,
): ActionResult {
  return {
    rscId: req.rscId,
    op: req.op,
    intervalMs: req.intervalMs ?? 0,
    rc,
    rcName: "",
    status: "done",
    exitCode: rc,
    signal: null,
    durationMs,
    stdoutTail: "",
    stderrTail: "",
    reason,
  };
}
