/**
 * hbctl's installed entry (package.json "bin", dist/src/bin/hbctl.cjs): the
 * calls that talk to hbd and are made most, often from scripts (status,
 * standby, online, takeover), in their plain forms, run from one CommonJS file
 * that scripts/bundle-bins.mjs builds from this module (issue 15 §3): Node
 * then starts without its ES module loader and reads one file instead of
 * about ten, ~25 ms of CPU less per call on the 2-core test machine. Every
 * other call (another command, --help, --version, an unusual form) imports
 * the full program, dist/src/cli/main.js, which parses process.argv itself.
 * Errors are reported as main.ts reports them.
 */
import { statSync } from "node:fs";
import { setFlagsFromString } from "node:v8";
import { TandemError } from "../base/errors.js";
import { runStatus } from "./commands/status.js";
import { parseFastAdmin, runFastAdmin } from "./fast-admin.js";
import { parseFastSimulate, type SimulateOpts } from "./fast-simulate.js";
import { parseFastStatus } from "./fast-status.js";
import { type CliIo, processIo } from "./io.js";

/**
 * `hbctl simulate` in its plain forms runs from its own one-file bundle,
 * dist/src/bin/hbctl-simulate.cjs (the CIB parser, the policy engine and the
 * oracle renderer, no commander), loaded only for it: a user waits for it as
 * for crm_simulate (issue 17). The same relative path from dist/src/cli/ and
 * from the bundle in dist/src/bin/.
 */
const SIMULATE_BUNDLE = "../bin/hbctl-simulate.cjs";

/**
 * Input size below which simulate runs without V8's optimising compilers
 * (--max-opt=1: interpreter and Sparkplug). A CIB of a few hundred resources
 * is decided in ~100 ms, before TurboFan's work pays off: at 100 primitives on
 * 16 nodes (0.56 MB) the call took 142-155 ms wall with it and 114-118 ms
 * without, 1,000 primitives (5.7 MB) 0.66-0.88 s against 0.56-0.65 s; at 5,000
 * (28 MB) the optimiser wins (2.5-2.8 s of CPU against 3.2-4.2 s).
 */
export const BASELINE_ONLY_BELOW_BYTES = 8 * 1024 * 1024;

/**
 * The V8 flags for simulating a CIB of `bytes` (see BASELINE_ONLY_BELOW_BYTES). Above it, TurboFan
 * without inlining: the run executes a lot of code once, and TurboFan's compile work (on the second
 * core, which the 2-core test machine shares) was a fifth of the instructions of a 5,000-primitive
 * run under callgrind; without inlining, 1.84-2.23 s of CPU against 1.97-2.64 s (5 runs each,
 * alternated, load 7-8), and 2.7-4.0 s wall against 3.0-4.2 s.
 */
export function simulateFlags(bytes: number | undefined): string[] {
  if (bytes === undefined) return [];
  return bytes < BASELINE_ONLY_BELOW_BYTES ? ["--max-opt=1"] : ["--no-turbo-inlining"];
}

function fileSize(file: string | undefined): number | undefined {
  if (file === undefined || file === "-") return undefined;
  try {
    return statSync(file).size;
  } catch {
    return undefined; // the simulate command reports the missing file
  }
}

interface SimulateBundle {
  runSimulate(file: string | undefined, opts: SimulateOpts, io: CliIo): void;
  /** The bundle's own copy of the class its errors are instances of. */
  TandemError: typeof TandemError;
}

/** Runs `argv` if it is one of the quick forms; false when the full program must run it. */
export async function quickMain(argv: readonly string[], io: CliIo): Promise<boolean> {
  const status = parseFastStatus(argv);
  const admin = status === undefined ? parseFastAdmin(argv) : undefined;
  const sim = status === undefined && admin === undefined ? parseFastSimulate(argv) : undefined;
  if (status === undefined && admin === undefined && sim === undefined) return false;
  let bundled: SimulateBundle | undefined;
  try {
    if (status !== undefined) await runStatus(status, io);
    else if (admin !== undefined) await runFastAdmin(admin, io);
    else if (sim !== undefined) {
      // In the CommonJS bundle (the only place this runs) require, not import(): import() of a CommonJS
      // file starts the ES module loader and runs its export lexer over the file (~35 ms); nor
      // createRequire: loading node:module starts the ES module loader too.
      for (const f of simulateFlags(fileSize(sim.file))) setFlagsFromString(f);
      bundled = (
        typeof require === "function" ? require(SIMULATE_BUNDLE) : await import(SIMULATE_BUNDLE)
      ) as SimulateBundle;
      bundled.runSimulate(sim.file, sim.opts, io);
    }
  } catch (e) {
    if (e instanceof TandemError || (bundled !== undefined && e instanceof bundled.TandemError)) {
      io.err(`hbctl: ${e.message}`);
      io.exit(e.exitCode);
    } else {
      io.err(`hbctl: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      io.exit(70);
    }
  }
  return true;
}

/** The bin's start: the quick forms here, anything else through the full program (it reads process.argv). */
export function runBin(): void {
  const io = processIo();
  void quickMain(process.argv.slice(2), io).then(async (done) => {
    if (done) process.exitCode = io.code;
    // "../cli/main.js", not "./main.js": the same file from dist/src/cli/ and from the bundle in dist/src/bin/
    else await import("../cli/main.js");
  });
}
