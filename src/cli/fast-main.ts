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
import { TandemError } from "../base/errors.js";
import { runStatus } from "./commands/status.js";
import { parseFastAdmin, runFastAdmin } from "./fast-admin.js";
import { parseFastStatus } from "./fast-status.js";
import { type CliIo, processIo } from "./io.js";

/** Runs `argv` if it is one of the quick forms; false when the full program must run it. */
export async function quickMain(argv: readonly string[], io: CliIo): Promise<boolean> {
  const status = parseFastStatus(argv);
  const admin = status === undefined ? parseFastAdmin(argv) : undefined;
  if (status === undefined && admin === undefined) return false;
  try {
    if (status !== undefined) await runStatus(status, io);
    else if (admin !== undefined) await runFastAdmin(admin, io);
  } catch (e) {
    if (e instanceof TandemError) {
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
