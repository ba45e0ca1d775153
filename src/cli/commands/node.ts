/**
 * `hbctl node list`: every node with its membership status (init, up,
 * active, dead; ping nodes: ping or dead), whether the CIB counts it online,
 * its standby attribute and the DC mark: crm_node -l and cl_status
 * listnodes/nodestatus in one table.
 */
import type { Command } from "commander";
import type { StatusReport } from "../../ipc/protocol.js";
import { parseTimeout, requestStatus } from "../client.js";
import type { CliIo } from "../io.js";
import { jsonDocument } from "../json.js";
import type { AdminOptions } from "./standby.js";
import { withAdminOptions } from "./standby.js";

/** One row of `hbctl node list`. */
export interface NodeRow {
  readonly name: string;
  readonly type: "normal" | "ping";
  readonly local: boolean;
  /** Membership status. */
  readonly status: string;
  /** Online in the CIB's status section (undefined for ping nodes or without a resource manager). */
  readonly online?: boolean;
  readonly standby?: boolean;
  readonly dc: boolean;
}

/** The rows of a status report. */
export function nodeRows(r: StatusReport): NodeRow[] {
  return r.nodes.map((n) => {
    const crm = r.crm?.nodes.find((c) => c.name === n.name);
    return {
      name: n.name,
      type: n.type,
      local: n.local,
      status: n.status,
      ...(crm === undefined ? {} : { online: crm.online, standby: crm.standby }),
      dc: r.crm?.dc === n.name,
    };
  });
}

/** The text table. */
export function formatNodeRows(rows: readonly NodeRow[]): string {
  const table = [
    ["NODE", "TYPE", "MEMBERSHIP", "CIB", "STANDBY", "DC"],
    ...rows.map((n) => [
      n.local ? `${n.name} (local)` : n.name,
      n.type,
      n.status,
      n.online === undefined ? "-" : n.online ? "online" : "offline",
      n.standby === undefined ? "-" : n.standby ? "yes" : "no",
      n.dc ? "DC" : "",
    ]),
  ];
  const widths = table[0]?.map((_, i) => Math.max(...table.map((r) => (r[i] ?? "").length))) ?? [];
  return table
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

export function registerNode(program: Command, io: CliIo): void {
  const node = program.command("node").summary("cluster nodes").description("Cluster nodes.");
  withAdminOptions(
    node
      .command("list")
      .summary("list nodes: membership, online in the CIB, standby, DC")
      .description(
        "List every node hbd knows (local first, then peers, then ping nodes) with its membership status (init, up, active, dead; ping nodes: ping or dead), whether the CIB's status section counts it online, its standby attribute, and which node is the DC.\n\n" +
          "Exit status: 0 answered, 3 hbd is not running or did not answer, 4 permission denied on the socket.",
      ),
  )
    .addHelpText(
      "after",
      "\nExamples:\n  hbctl node list\n  hbctl node list --json | jq '.nodes[] | select(.dc) | .name'",
    )
    .action(async (opts: AdminOptions) => {
      const rows = nodeRows(await requestStatus(opts.socket, parseTimeout(opts.timeout)));
      io.out(opts.json ? jsonDocument({ nodes: rows }) : formatNodeRows(rows));
    });
}
