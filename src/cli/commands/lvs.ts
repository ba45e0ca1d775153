/**
 * `hbctl lvs status [--json] [--state-file FILE | --config FILE]`: the
 * director's table in `ipvsadm -L -n` layout (forwarding, weight, active and
 * inactive connections) plus each real server's health and last check result,
 * read from the status file hb-director writes.
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import type { Command } from "commander";
import { TandemError } from "../../base/errors.js";
import type { DirectorStatus, StatusReal } from "../../lvs/director.js";
import type { CliIo } from "../io.js";
import { jsonDocument } from "../json.js";

interface LvsStatusOptions {
  json?: boolean;
  stateFile?: string;
  config: string;
}

const FORWARD: Record<string, string> = { masq: "Masq", gate: "Route", ipip: "Tunnel" };

function ago(ms: number): string {
  return ms < 1000 ? `${Math.max(0, Math.round(ms))} ms ago` : `${(ms / 1000).toFixed(1)} s ago`;
}

function realLine(r: StatusReal, now: number): string {
  const last = r.lastCheck
    ? `${r.lastCheck.message} (${r.lastCheck.durationMs ?? "?"} ms, ${ago(now - r.lastCheck.at)})`
    : r.role === "fallback"
      ? "-"
      : "not checked yet";
  return (
    `  -> ${r.key.padEnd(28)} ${(FORWARD[r.method] ?? r.method).padEnd(7)} ${(r.weight === undefined ? "-" : String(r.weight)).padEnd(6)} ` +
    `${String(r.active).padEnd(10)} ${String(r.inactive).padEnd(10)} ${r.health.padEnd(11)} ${last}`
  );
}

/** The text view: ipvsadm -L -n columns, then Health and Last check. */
export function formatLvsStatus(s: DirectorStatus, now: number): string {
  const lines = [
    `hb-director pid ${s.pid}, backend ${s.backend}, ${s.phase}, config ${s.configFile}, status ${ago(now - s.updatedAt)}`,
    ...(s.lastRound
      ? [`Last check round: ${s.lastRound.checks} checks in ${s.lastRound.durationMs} ms`]
      : []),
    ...(s.lastApplyError ? [`Last table update FAILED: ${s.lastApplyError}`] : []),
    "Prot LocalAddress:Port Scheduler Flags",
    "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn  Health      Last check",
  ];
  for (const v of s.services) {
    const [proto = "", ...rest] = v.key.split(":");
    const flags = [
      v.persistenceSec !== undefined ? ` persistent ${v.persistenceSec}` : "",
      v.netmask && v.netmask !== "255.255.255.255" ? ` mask ${v.netmask}` : "",
    ].join("");
    lines.push(
      `${proto.toUpperCase().padEnd(4)} ${rest.join(":")} ${v.scheduler}${flags}${v.quorumUp ? "" : "  (no real server up)"}`,
    );
    for (const r of v.reals) lines.push(realLine(r, now));
  }
  return lines.join("\n");
}

/** Default status file of a configuration (what resource.d/ldirectord passes). */
export function defaultStateFile(config: string): string {
  return `/var/run/ldirectord.${basename(config)}.status.json`;
}

export function runLvsStatus(opts: LvsStatusOptions, io: CliIo, now = Date.now()): void {
  const file = opts.stateFile ?? defaultStateFile(opts.config);
  let status: DirectorStatus;
  try {
    status = JSON.parse(readFileSync(file, "utf8")) as DirectorStatus;
  } catch (e) {
    throw new TandemError(
      `cannot read director status ${file}: ${(e as Error).message} (is hb-director running?)`,
      LVS_EXIT.noStatus,
    );
  }
  io.out(opts.json ? jsonDocument({ ...status }) : formatLvsStatus(status, now));
  if (lvsDegraded(status)) io.exit(LVS_EXIT.degraded);
}

/** `hbctl lvs status` exit codes (also in its --help). */
export const LVS_EXIT = { ok: 0, degraded: 1, noStatus: 3 } as const;

/** A virtual service without any real server up (fallback or nothing serves), or a failed table update. */
export function lvsDegraded(s: DirectorStatus): boolean {
  return s.lastApplyError !== undefined || s.services.some((v) => !v.quorumUp);
}

export function registerLvs(program: Command, io: CliIo): void {
  const lvs = program.command("lvs").summary("the LVS director (hb-director)");
  lvs
    .command("status")
    .summary("show the director's table, health and last checks")
    .description(
      "Prints the table like `ipvsadm -L -n` plus each real server's health and last check result.",
    )
    .option("--json", "JSON output")
    .option("--state-file <file>", "hb-director's status file")
    .option("--config <file>", "ldirectord.cf whose default status file to read", "/etc/ha.d/ldirectord.cf")
    .addHelpText(
      "after",
      "\nExamples:\n  hbctl lvs status\n  hbctl lvs status --config /etc/ha.d/ldirectord-web.cf --json\n\n" +
        "Exit status:\n  0  every virtual service has a real server up\n" +
        "  1  degraded: a virtual service has no real server up, or the last table update failed\n" +
        "  3  no status: hb-director is not running for this configuration (status file unreadable)",
    )
    .action((opts: LvsStatusOptions) => runLvsStatus(opts, io));
}
