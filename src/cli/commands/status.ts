/**
 * `hbctl status [--json] [--socket PATH]`: the running hbd's view: every
 * node with its state, each link's state and last-heard age, ping nodes, and
 * the counters of dropped frames (bad auth, replays, malformed).
 */
import type { Command } from "commander";
import type { CrmReport, NodeReport, StatusReport } from "../../ipc/protocol.js";
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
    lines.push(`${r.group === undefined ? "  " : "    "}* ${r.id} (${r.agent}): ${where}${failed}`);
  }
  return lines;
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
    ...(r.crm === undefined ? [] : ["", ...formatCrm(r.crm)]),
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
      "Ask the running hbd (through its control socket) for the DC, the resources and where they run, every node's state (init, up, active, dead; ping nodes: ping or dead), " +
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
