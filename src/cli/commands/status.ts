/**
 * `hbctl status [--json] [--socket PATH] [--watch [--interval SEC] [--count N]]`:
 * the running hbd's view: every node with its state, each link's state and
 * last-heard age, ping nodes, and the counters of dropped frames (bad auth,
 * replays, malformed). --watch redraws it like crm_mon: the screen is cleared
 * when stdout is a terminal, frames are separated by a dated line otherwise;
 * it ends after --count redraws or on SIGINT.
 */
import type { Command } from "commander";
import { TandemError, UsageError } from "../../base/errors.js";
import type { CrmReport, NodeReport, ResourceProtocolReport, StatusReport } from "../../ipc/protocol.js";
import { DEFAULT_SOCKET, DEFAULT_TIMEOUT_MS, parseTimeout, requestStatus } from "../client.js";
import type { CliIo } from "../io.js";
import { jsonDocument } from "../json.js";

interface StatusOptions {
  json?: boolean;
  socket: string;
  timeout: string;
  watch?: boolean;
  interval: string;
  count?: string;
}

/** ANSI: cursor home, clear screen. */
export const CLEAR_SCREEN = "\x1b[H\x1b[2J";

/** "350 ms" or "2.4 s". */
export function formatAge(ms: number | undefined): string {
  if (ms === undefined) return "never";
  return ms < 1000 ? `${ms} ms ago` : `${(ms / 1000).toFixed(1)} s ago`;
}

function linksText(n: NodeReport): string {
  if (n.local) return n.links.map((l) => `${l.name} ${l.status}`).join(", ");
  return n.links
    .map(
      (l) =>
        `${l.name} ${l.status}${l.lastHeardAgeMs === undefined ? "" : ` (${formatAge(l.lastHeardAgeMs)})`}`,
    )
    .join(", ");
}

function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return rows.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd(),
  );
}

/** The resource manager's part, crm_mon style: DC, nodes, resources and where they run. */
export function formatCrm(c: CrmReport): string[] {
  const online = c.nodes.filter((n) => n.online && !n.standby).map((n) => n.name);
  const standby = c.nodes.filter((n) => n.online && n.standby).map((n) => n.name);
  const offline = c.nodes.filter((n) => !n.online).map((n) => `${n.name}${n.standby ? " (standby)" : ""}`);
  const lines = [
    `Current DC: ${c.dc ?? "NONE"}; CIB ${c.cibVersion}; ${c.transitions} transition(s) run here${c.busy ? "; a transition is in progress" : ""}`,
    `Online: [ ${online.join(" ")} ]`,
  ];
  if (standby.length > 0) lines.push(`Standby: [ ${standby.join(" ")} ]`);
  if (offline.length > 0) lines.push(`OFFLINE: [ ${offline.join(" ")} ]`);
  lines.push("", c.resources.length === 0 ? "No resources" : "Resources:");
  let group: string | undefined;
  for (const r of c.resources) {
    if (r.group !== undefined && r.group !== group) lines.push(`  Resource Group: ${r.group}:`);
    group = r.group;
    const where =
      r.running.length > 0 ? `Started ${r.running.join(" ")}` : r.failed.length > 0 ? "FAILED" : "Stopped";
    const failed = r.failed.length > 0 ? ` (failed on ${r.failed.join(" ")})` : "";
    const agent = r.cibAgent === undefined ? r.agent : `${r.agent}, for ${r.cibAgent}`;
    lines.push(`${r.group === undefined ? "  " : "    "}* ${r.id} (${agent}): ${where}${failed}`);
  }
  return lines;
}

/** The mixed-pair lines: a Heartbeat peer, what it holds, and any refusal. */
function formatLegacy(l: ResourceProtocolReport | undefined): string[] {
  if (l === undefined || (l.mode !== "heartbeat-peer" && l.mode !== "refused")) return [];
  const lines = [""];
  if (l.peer !== undefined)
    lines.push(
      `Heartbeat peer: ${l.peer} runs Heartbeat; groups are shared with Heartbeat's haresources resource protocol`,
    );
  if (l.peerHolds !== undefined)
    lines.push(
      `  ${l.peer} holds: ${l.peerHolds} (its own view: local = groups preferring ${l.peer})${l.peerStable ? "" : ", in transition"}`,
    );
  lines.push(
    `  this node holds: ${l.rscstatus} (cl_status rscstatus)${l.held.length > 0 ? `: ${l.held.join(", ")}` : ""}`,
  );
  if (l.refusal !== undefined) lines.push(`  ERROR: ${l.refusal}`);
  return lines;
}

/** The text form of a status report. */
/** ha.cf `watchdog`: armed, or not in use and why (hbd runs without it). */
function watchdogLine(r: StatusReport): string[] {
  const w = r.watchdog;
  if (w === undefined) return [];
  return [
    `Watchdog: ${w.device} ${w.armed ? "armed" : `NOT in use (${w.error ?? "not opened"}); hbd runs without it`}`,
  ];
}

export function formatStatus(r: StatusReport): string {
  const local = r.nodes.find((n) => n.local);
  const t = r.timing;
  const c = r.counters;
  const lines = [
    `Node ${r.node}: ${local?.status ?? "?"}, generation ${r.generation}, up ${(r.uptimeMs / 1000).toFixed(1)} s, comm ${r.commUp ? "up" : "not up yet"} (hbd ${r.version}, pid ${r.pid})`,
    `Cluster ${r.cluster}: keepalive ${t.keepaliveMs} ms, deadtime ${t.deadtimeMs} ms, warntime ${t.warntimeMs} ms, initdead ${t.initdeadMs} ms; resources managed by ${r.managedBy}`,
    "",
    ...table([
      ["NODE", "TYPE", "STATUS", "LAST HEARD", "LINKS"],
      ...r.nodes.map((n) => [
        n.local ? `${n.name} (local)` : n.name,
        n.type,
        n.status,
        n.local ? "-" : formatAge(n.lastHeardAgeMs),
        linksText(n),
      ]),
    ]),
    "",
    `Dropped: bad auth ${c.badAuth}, replays ${c.replays}, malformed ${c.malformed}, unknown node ${c.unknownNode}, unproven ${c.unproven ?? 0}`,
    `Traffic: frames sent ${c.framesSent}, received ${c.framesReceived}, send errors ${c.sendErrors}, duplicates ${c.duplicates}, missing ${c.gapPackets}, lost ${c.packetsLost}, retransmit requests ${c.retransmitRequestsSent}, retransmits served ${c.retransmitsServed}, late heartbeats ${c.lateHeartbeats}`,
    `Media: ${r.media.map((m) => `${m.id} (sent ${m.framesSent}, received ${m.framesReceived}, errors ${m.sendErrors})`).join("; ") || "none"}`,
    `Event loop lag: ${r.eventLoop.lagMs} ms (max ${r.eventLoop.maxLagMs} ms)`,
    ...watchdogLine(r),
    ...(r.crm === undefined ? [] : ["", ...formatCrm(r.crm)]),
    ...formatLegacy(r.legacy),
  ];
  return lines.join("\n");
}

/** The --json document of a status report: the daemon's version as `hbdVersion` (json.ts). */
export function statusJson(r: StatusReport, indent: number | undefined = 2): string {
  const { version, ...rest } = r;
  return jsonDocument({ hbdVersion: version, ...rest }, indent);
}

export async function runStatus(opts: StatusOptions, io: CliIo): Promise<void> {
  if (opts.watch) {
    const timeoutMs = parseTimeout(opts.timeout);
    await watchStatus(opts, io, {
      fetch: () => requestStatus(opts.socket, timeoutMs),
      tty: process.stdout.isTTY === true,
      onInterrupt: (stop) => {
        process.once("SIGINT", stop);
        return () => process.off("SIGINT", stop);
      },
    });
    return;
  }
  const report = await requestStatus(opts.socket, parseTimeout(opts.timeout));
  io.out(opts.json ? statusJson(report) : formatStatus(report));
}

/** What --watch needs from the outside (injected by tests). */
export interface WatchDeps {
  readonly fetch: () => Promise<StatusReport>;
  /** stdout is a terminal: clear the screen between frames. */
  readonly tty: boolean;
  /** Registers `stop` for SIGINT; returns the unregistration. */
  readonly onInterrupt: (stop: () => void) => () => void;
  /** Waits `ms` unless `stop` was called first (default: a timer). */
  readonly sleep?: (ms: number, stopped: Promise<void>) => Promise<void>;
  readonly now?: () => Date;
}

function positive(name: string, value: string | undefined, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n)))
    throw new UsageError(`${name} ${value}: expected a ${integer ? "whole " : ""}number > 0`);
  return n;
}

/**
 * Redraws the status every --interval seconds (default 2) until --count
 * frames were drawn or SIGINT. A frame hbd did not answer shows the error and
 * the loop goes on (crm_mon does the same); when the last frame was such an
 * error, its exit code is the command's.
 */
export async function watchStatus(opts: StatusOptions, io: CliIo, deps: WatchDeps): Promise<void> {
  const intervalMs = (positive("--interval", opts.interval, false) ?? 2) * 1000;
  const count = positive("--count", opts.count, true);
  let stop: () => void = () => {};
  let stopped = false;
  const stopSignal = new Promise<void>((resolve) => {
    stop = () => {
      stopped = true;
      resolve();
    };
  });
  const unregister = deps.onInterrupt(() => stop());
  const sleep =
    deps.sleep ??
    ((ms: number, until: Promise<void>) =>
      new Promise<void>((resolve) => {
        const t = setTimeout(resolve, ms);
        void until.then(() => {
          clearTimeout(t);
          resolve();
        });
      }));
  let lastCode = 0;
  try {
    for (let frame = 1; !stopped; frame++) {
      let body: string;
      try {
        const r = await deps.fetch();
        body = opts.json ? statusJson(r, undefined) : formatStatus(r);
        lastCode = 0;
      } catch (e) {
        if (!(e instanceof TandemError)) throw e;
        body = `hbctl: ${e.message}`;
        lastCode = e.exitCode;
      }
      if (stopped) break;
      const when = (deps.now?.() ?? new Date()).toISOString();
      if (opts.json) io.out(body);
      else if (deps.tty)
        io.out(`${CLEAR_SCREEN}Every ${intervalMs / 1000} s: hbctl status   ${when}\n\n${body}`);
      else
        io.out(`${frame > 1 ? "\n" : ""}---------------- ${when} (frame ${frame}) ----------------\n${body}`);
      if (count !== undefined && frame >= count) break;
      await sleep(intervalMs, stopSignal);
    }
  } finally {
    unregister();
  }
  io.exit(lastCode);
}

export function registerStatus(program: Command, io: CliIo): void {
  program
    .command("status")
    .summary("show the running hbd's view of the cluster")
    .description(
      "Ask the running hbd (through its control socket) for the DC, the resources and where they run, every node's state (init, up, active, dead; ping nodes: ping or dead), " +
        "each heartbeat link's state and when it was last heard, and the counters of dropped frames " +
        "(bad signature or unknown key, replays, malformed, unknown node).\n\n" +
        "Exit status: 0 answered, 3 hbd is not running or did not answer, 4 permission denied on the socket.",
    )
    .option("--json", "print the report as JSON (with --watch: one line per frame)")
    .option("-w, --watch", "redraw every --interval seconds like crm_mon, until Ctrl-C")
    .option("-i, --interval <sec>", "seconds between redraws with --watch", "2")
    .option("--count <n>", "with --watch: stop after this many redraws")
    .option("--socket <path>", "hbd's control socket", DEFAULT_SOCKET)
    .option("--timeout <ms>", "give up after this many milliseconds", String(DEFAULT_TIMEOUT_MS))
    .addHelpText(
      "after",
      "\nExamples:\n  hbctl status\n  hbctl status --watch --interval 1\n  hbctl status --json | jq '.nodes[] | {name, status}'\n  hbctl status --socket /tmp/n1/run/hbd.sock",
    )
    .action((opts: StatusOptions) => runStatus(opts, io));
}
