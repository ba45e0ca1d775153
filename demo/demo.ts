#!/usr/bin/env node
import { StepError, Steps } from "./common.js";
/**
 * `npm run demo`: a real two-node Tandem cluster on this machine, in about a
 * minute. As root: two LVS-DR directors, a VIP, two HTTP real servers and a
 * client loop in network namespaces (demo/namespaces.ts); without root, or
 * with --loopback: two hbd on loopback with Dummy resources (demo/loopback.ts).
 * Each shows `hbctl status`, a planned `hbctl standby`/`online` and a failover
 * of the active node, with the measured interruption.
 *
 * Cleans up after itself on success, failure, Ctrl-C and SIGTERM: only the
 * processes it started (by pid) and its own namespaces (`tdemo-<pid>-*`) and
 * temp dirs. Exit status: 0 all steps passed, 1 a step failed (the reason is
 * printed), 2 usage error.
 */
import { loopbackDemo } from "./loopback.js";
import { namespaceDemo } from "./namespaces.js";

const HELP = `Usage: npm run demo [-- OPTIONS]   (or: node dist/demo/demo.js [OPTIONS])

A two-node Tandem cluster on this machine, about a minute, then cleaned up.
As root: network namespaces with a VIP, the LVS director (hb-director through
resource.d/ldirectord), two HTTP real servers and a client loop; a standby and
a power-loss failover, shown live with hbctl status and the interruption measured.
Without root (or with --loopback): two hbd on loopback with Dummy resources.

Options:
  --loopback    the loopback demo even as root
  --keep-going  go on after a failed step (still exits 1 at the end)
  -h, --help    this text

Exit status: 0 every step passed, 1 a step failed, 2 usage error.`;

const cleanups: (() => void)[] = [];
let cleaned = false;
/** Runs every registered cleanup once, newest first; never throws. */
function cleanup(): void {
  if (cleaned) return;
  cleaned = true;
  for (const fn of cleanups.reverse()) {
    try {
      fn();
    } catch (e) {
      console.error(`cleanup: ${e instanceof Error ? e.message : e}`);
    }
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const known = new Set(["--loopback", "--keep-going", "--help", "-h"]);
  const unknown = argv.filter((a) => !known.has(a));
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(HELP);
    return 0;
  }
  if (unknown.length > 0) {
    console.error(`demo: unknown option ${unknown.join(" ")}\n\n${HELP}`);
    return 2;
  }
  const root = process.getuid?.() === 0;
  const loopback = argv.includes("--loopback") || !root;
  const steps = new Steps(argv.includes("--keep-going"));
  const started = Date.now();
  console.log(
    loopback
      ? `Tandem demo (loopback${root ? "" : ", not root"}): two hbd on this machine with Dummy resources`
      : "Tandem demo (root): two LVS directors in network namespaces, a VIP, two real servers, a client",
  );
  try {
    await (loopback ? loopbackDemo : namespaceDemo)(steps, (fn) => cleanups.push(fn));
  } catch (e) {
    if (!(e instanceof StepError)) throw e;
  } finally {
    cleanup();
  }
  const secs = ((Date.now() - started) / 1000).toFixed(0);
  if (steps.failures.length > 0) {
    console.log(`\nDEMO FAILED after ${secs} s (cleaned up):`);
    for (const f of steps.failures) console.log(`  - ${f.split("\n")[0]}`);
    return 1;
  }
  console.log(`\nDemo done in ${secs} s; everything it started is gone.`);
  return 0;
}

process.on("exit", cleanup);
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const)
  process.on(sig, () => {
    console.log(`\n${sig}: cleaning up`);
    cleanup();
    process.exit(130);
  });

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // helpers' pipes and timers must not keep us alive once everything is cleaned up
    setTimeout(() => process.exit(code), 200).unref();
  },
  (e: unknown) => {
    cleanup();
    console.error(`demo: ${e instanceof Error ? (e.stack ?? e.message) : e}`);
    process.exit(1);
  },
);
