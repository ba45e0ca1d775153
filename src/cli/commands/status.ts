/**
 * `hbctl status [--json] [--socket PATH]`: the running hbd's view: every
 * node with its state, each link's state and last-heard age, ping nodes, and
 * the counters of dropped frames (bad auth, replays, malformed).
 */
import type { Command } from "commander";
import type { NodeReport, StatusReport } from "../../ipc/protocol.js";
import { DEFAULT_SOCKET, DEFAULT_TIMEOUT_MS, parseTimeout, requestStatus } from "../client.js";
import type { CliIo } from "../io.js";

interface StatusOptions {
  json?: boolean;
  socket: string;
  timeout: string;
}

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

/** The text form of a status report. */
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
    `Dropped: bad auth ${c.badAuth}, replays ${c.replays}, malformed ${c.malformed}, unknown node ${c.unknownNode}`,
    `Traffic: frames sent ${c.framesSent}, received ${c.framesReceived}, send errors ${c.sendErrors}, duplicates ${c.duplicates}, missing ${c.gapPackets}, lost ${c.packetsLost}, retransmit requests ${c.retransmitRequestsSent}, retransmits served ${c.retransmitsServed}, late heartbeats ${c.lateHeartbeats}`,
    `Media: ${r.media.map((m) => `${m.id} (sent ${m.framesSent}, received ${m.framesReceived}, errors ${m.sendErrors})`).join("; ") || "none"}`,
    `Event loop lag: ${r.eventLoop.lagMs} ms (max ${r.eventLoop.maxLagMs} ms)`,
  ];
  return lines.join("\n");
}

export async function runStatus(opts: StatusOptions, io: CliIo): Promise<void> {
  const report = await requestStatus(opts.socket, parseTimeout(opts.timeout));
  io.out(opts.json ? JSON.stringify(report, null, 2) : formatStatus(report));
}

export function registerStatus(program: Command, io: CliIo): void {
  program
    .command("status")
    .summary("show the running hbd's view of the cluster")
    .description(
      "Ask the running hbd (through its control socket) for every node's state (init, up, active, dead; ping nodes: ping or dead), " +
        "each heartbeat link's state and when it was last heard, and the counters of dropped frames " +
        "(bad signature or unknown key, replays, malformed, unknown node).\n\n" +
        "Exit status: 0 answered, 3 hbd is not running or did not answer, 4 permission denied on the socket.",
    )
    .option("--json", "print the report as JSON")
    .option("--socket <path>", "hbd's control socket", DEFAULT_SOCKET)
    .option("--timeout <ms>", "give up after this many milliseconds", String(DEFAULT_TIMEOUT_MS))
    .addHelpText(
      "after",
      "\nExamples:\n  hbctl status\n  hbctl status --json | jq '.nodes[] | {name, status}'\n  hbctl status --socket /tmp/n1/run/hbd.sock",
    )
    .action((opts: StatusOptions) => runStatus(opts, io));
}
