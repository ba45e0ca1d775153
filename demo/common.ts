/**
 * What both demo modes share: the step runner (stop at the first failed step,
 * or go on with --keep-going and fail at the end), hbctl, and a bounded poll.
 */
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { StatusReport } from "../src/ipc/protocol.js";

/** The repository root (dist/demo/common.js is two levels down). */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const HBD = join(ROOT, "dist", "src", "bin", "hbd.cjs");
export const HBCTL = join(ROOT, "dist", "src", "cli", "main.js");

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Seconds since `t0`, one decimal, for the live lines. */
export const since = (t0: number): string => `${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s`;

/** A failed demo step (its message is the reason printed). */
export class StepError extends Error {}

/** Runs the demo's steps in order; remembers failures when `keepGoing`, else stops at the first one. */
export class Steps {
  readonly failures: string[] = [];
  constructor(private readonly keepGoing: boolean) {}

  /** Runs one step; a StepError (or any error) fails it. Returns false when it failed and we go on. */
  async run(title: string, fn: () => Promise<void> | void): Promise<boolean> {
    console.log(`\n== ${title}`);
    try {
      await fn();
      return true;
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      this.failures.push(`${title}: ${reason}`);
      console.log(`!! step failed: ${reason}`);
      if (!this.keepGoing) throw new StepError(`${title}: ${reason}`);
      return false;
    }
  }
}

export interface HbctlResult {
  readonly out: string;
  readonly err: string;
  readonly code: number;
}

/** Runs hbctl (optionally inside namespace `netns`) against `sock`; never throws. */
export function hbctl(args: readonly string[], sock: string, netns?: string): HbctlResult {
  const cmd = [process.execPath, HBCTL, ...args, "--socket", sock];
  const argv = netns === undefined ? cmd : ["ip", "netns", "exec", netns, ...cmd];
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: "utf8", timeout: 15_000 });
  return { out: r.stdout ?? "", err: r.stderr ?? "", code: r.status ?? -1 };
}

/** Runs an hbctl command that must succeed (exit 0), else fails the step. */
export function hbctlOk(args: readonly string[], sock: string): string {
  const r = hbctl(args, sock);
  if (r.code !== 0) throw new StepError(`hbctl ${args.join(" ")} exited ${r.code}: ${r.err.trim()}`);
  return r.out;
}

/** `hbctl status --json`, or undefined when hbd does not answer. */
export function statusOf(sock: string): StatusReport | undefined {
  const r = hbctl(["status", "--json"], sock);
  if (r.code !== 0) return undefined;
  try {
    return JSON.parse(r.out) as StatusReport;
  } catch {
    return undefined;
  }
}

/** Prints `hbctl status` (the human form), indented, with the command line shown. */
export function showStatus(node: string, sock: string): void {
  const r = hbctl(["status"], sock);
  console.log(`$ hbctl status   # asked on ${node}`);
  const text = r.code === 0 ? r.out : `(exit ${r.code}) ${r.err}`;
  for (const line of text.trimEnd().split("\n")) console.log(`  | ${line}`);
}

/** Where the resource manager says every resource runs: the one node running them all, "" while split or stopped. */
export function resourcesOn(report: StatusReport | undefined): string {
  const crm = report?.crm;
  if (crm === undefined || crm.busy || crm.resources.length === 0) return "";
  const where = new Set(crm.resources.map((r) => r.running.join(",")));
  return where.size === 1 ? ([...where][0] ?? "") : "";
}

/** Polls `cond` every `stepMs` until it holds or `maxMs` passes (bounded); true when it held. */
export async function waitFor(cond: () => boolean, maxMs: number, stepMs = 100): Promise<boolean> {
  const end = Date.now() + maxMs;
  for (let i = 0; i < Math.ceil(maxMs / stepMs) + 1; i++) {
    if (cond()) return true;
    if (Date.now() > end) break;
    await sleep(stepMs);
  }
  return cond();
}
