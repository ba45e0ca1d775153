/**
 * `hbctl cl listnodes|nodestatus|listhblinks|hblinkstatus|hbstatus|rscstatus`: the
 * answers and exit codes of Heartbeat's `cl_status` (reference heartbeat.md
 * 5.3), so scripts written for it keep working: script-friendly output by
 * default, sentences with -m, JSON with --json.
 *
 * Exit codes as cl_status: 0 ok; 1 "normal fail" (node or link down, hbd not
 * running); 11 parameter error (unknown node or link); 12 timeout; 13 other
 * errors.
 */
import type { Command } from "commander";
import type { NodeReport, StatusReport } from "../../ipc/protocol.js";
import {
  DEFAULT_SOCKET,
  DEFAULT_TIMEOUT_MS,
  IpcClientError,
  parseTimeout,
  requestStatus,
} from "../client.js";
import type { CliIo } from "../io.js";

export const ClExit = { ok: 0, fail: 1, parameter: 11, timeout: 12, unknown: 13 } as const;

export interface ClOptions {
  json?: boolean;
  m?: boolean;
  n?: boolean;
  p?: boolean;
  v?: boolean;
  socket: string;
  timeout: string;
}

/** What a cl subcommand prints and exits with. */
export interface ClAnswer {
  readonly out: readonly string[];
  readonly err: readonly string[];
  readonly code: number;
}

export type ClQuery =
  | { readonly sub: "listnodes" }
  | { readonly sub: "nodestatus"; readonly node: string }
  | { readonly sub: "listhblinks"; readonly node: string }
  | { readonly sub: "hblinkstatus"; readonly node: string; readonly link: string }
  | { readonly sub: "hbstatus" }
  | { readonly sub: "rscstatus" };

const BAD_NODE = "Error. May be due to incorrect node name";
const BAD_LINK = "Error. May be due to incorrect link name";

/** cl_status shows a link as up or dead; a link never heard on is dead. */
function linkState(s: string): string {
  return s === "up" ? "up" : "dead";
}

function findNode(r: StatusReport, name: string): NodeReport | undefined {
  const n = name.toLowerCase();
  return r.nodes.find((x) => x.name === n);
}

function json(value: unknown): ClAnswer {
  return { out: [JSON.stringify(value)], err: [], code: ClExit.ok };
}

/** The answer to a query against a status report (pure). */
export function clAnswer(
  r: StatusReport,
  q: ClQuery,
  o: Pick<ClOptions, "json" | "m" | "n" | "p" | "v">,
): ClAnswer {
  const bad = (msg: string): ClAnswer => ({ out: [], err: [msg], code: ClExit.parameter });
  switch (q.sub) {
    case "listnodes": {
      const nodes = r.nodes.filter((n) => (o.p ? n.type === "ping" : o.n ? n.type === "normal" : true));
      if (o.json) return json({ nodes: nodes.map((n) => ({ name: n.name, type: n.type })) });
      return {
        out: [...(o.m ? ["The nodes are as follow:"] : []), ...nodes.map((n) => n.name)],
        err: [],
        code: ClExit.ok,
      };
    }
    case "nodestatus": {
      const n = findNode(r, q.node);
      if (n === undefined) return bad(BAD_NODE);
      const ok = n.status === "active" || n.status === "up" || n.status === "ping";
      const code = ok ? ClExit.ok : ClExit.fail;
      if (o.json) return { ...json({ node: n.name, status: n.status }), code };
      return { out: [o.m ? `The cluster node ${n.name} is ${n.status}` : n.status], err: [], code };
    }
    case "listhblinks": {
      const n = findNode(r, q.node);
      if (n === undefined) return bad(BAD_NODE);
      if (o.json) return json({ node: n.name, links: n.links.map((l) => l.name) });
      return {
        out: [
          ...(o.m ? ["\tthis node has the following heartbeat links:"] : []),
          ...n.links.map((l) => `\t${l.name}`),
        ],
        err: [],
        code: ClExit.ok,
      };
    }
    case "hblinkstatus": {
      const n = findNode(r, q.node);
      if (n === undefined) return bad(BAD_NODE);
      const l = n.links.find((x) => x.name === q.link);
      if (l === undefined) return bad(BAD_LINK);
      const s = linkState(l.status);
      const code = s === "up" ? ClExit.ok : ClExit.fail;
      if (o.json) return { ...json({ node: n.name, link: l.name, status: s }), code };
      return { out: [o.m ? `The node ${n.name}'s heartbeat link ${l.name} is ${s}` : s], err: [], code };
    }
    case "rscstatus": {
      if (r.managedBy !== "haresources")
        return {
          out: [],
          err: ["rscstatus: resources are managed by the CRM (crm on); try hbctl status"],
          code: ClExit.fail,
        };
      const s = r.legacy?.rscstatus ?? "none";
      if (o.json) return json({ rscstatus: s });
      return { out: [o.m ? `This node is holding ${s} resources.` : s], err: [], code: ClExit.ok };
    }
    case "hbstatus": {
      if (o.json)
        return json({
          running: true,
          version: r.version,
          managedBy: r.managedBy,
          nodes: r.nodes.map((n) => ({
            name: n.name,
            status: n.status,
            type: n.type,
            links: n.links.map((l) => ({ name: l.name, status: linkState(l.status) })),
          })),
        });
      const out = ["Heartbeat is running on this machine."];
      if (o.v) {
        out.push(o.m ? `Heartbeat version ${r.version} (Tandem)` : `version:\t${r.version} (Tandem)`);
        out.push(o.m ? `Resources controlled by "${r.managedBy}"` : `managed by:\t"${r.managedBy}"`);
        for (const n of r.nodes) {
          out.push(`${n.name}\t${n.status}\t(nodetype: ${n.type})`);
          for (const l of n.links) out.push(`\t${l.name}\t${linkState(l.status)}`);
        }
      }
      return { out, err: [], code: ClExit.ok };
    }
  }
}

/** The answer when hbd could not be asked. */
export function clFailure(e: IpcClientError, q: ClQuery, o: Pick<ClOptions, "json">): ClAnswer {
  const code =
    e.reason === "timeout" ? ClExit.timeout : e.reason === "protocol" ? ClExit.unknown : ClExit.fail;
  if (q.sub === "hbstatus") {
    const line =
      e.reason === "not-running"
        ? "Heartbeat is stopped on this machine."
        : "Heartbeat is apparently running on this machine, but refuses my connection";
    const out = o.json ? [JSON.stringify({ running: false, reason: e.reason })] : [line];
    return { out, err: e.reason === "not-running" ? [] : [`hbctl: ${e.message}`], code };
  }
  return { out: [], err: [`hbctl: ${e.message}`], code };
}

async function runCl(q: ClQuery, opts: ClOptions, io: CliIo): Promise<void> {
  let answer: ClAnswer;
  try {
    answer = clAnswer(await requestStatus(opts.socket, parseTimeout(opts.timeout)), q, opts);
  } catch (e) {
    if (!(e instanceof IpcClientError)) throw e;
    answer = clFailure(e, q, opts);
  }
  for (const l of answer.out) io.out(l);
  for (const l of answer.err) io.err(l);
  io.exit(answer.code);
}

function common(cmd: Command, examples: string[]): Command {
  return cmd
    .option("-m", "human-readable sentences instead of script-friendly output")
    .option("--json", "print JSON")
    .option("--socket <path>", "hbd's control socket", DEFAULT_SOCKET)
    .option("--timeout <ms>", "give up after this many milliseconds (exit 12)", String(DEFAULT_TIMEOUT_MS))
    .addHelpText("after", `\nExamples:\n${examples.map((e) => `  ${e}`).join("\n")}`);
}

export function registerCl(program: Command, io: CliIo): void {
  const cl = program
    .command("cl")
    .summary("cl_status-compatible queries of the running hbd")
    .description(
      "Heartbeat's cl_status answers, from the running hbd: same output and exit codes, so scripts keep working. " +
        "Exit status: 0 ok; 1 node or link not up, or hbd not running; 11 unknown node or link; 12 timeout; 13 other errors.",
    )
    .addHelpText(
      "after",
      "\nExamples:\n  hbctl cl listnodes\n  hbctl cl nodestatus node2 && echo node2 is alive\n  hbctl cl hblinkstatus node2 eth0",
    );
  common(
    cl
      .command("listnodes")
      .description("List the cluster's nodes, one per line (ping nodes included).")
      .option("-n", "only normal nodes")
      .option("-p", "only ping nodes"),
    ["hbctl cl listnodes", "hbctl cl listnodes -n", "hbctl cl listnodes --json"],
  ).action((opts: ClOptions) => runCl({ sub: "listnodes" }, opts, io));
  common(
    cl
      .command("nodestatus")
      .description(
        "Print a node's status: active, up, dead, init, or ping. Exit 0 if active, up or ping, else 1; 11 for an unknown node.",
      )
      .argument("<node>", "node name"),
    ["hbctl cl nodestatus node2", "hbctl cl nodestatus -m node2"],
  ).action((node: string, opts: ClOptions) => runCl({ sub: "nodestatus", node }, opts, io));
  common(
    cl
      .command("listhblinks")
      .description("List a node's heartbeat links, one per line (tab-indented).")
      .argument("<node>", "node name"),
    ["hbctl cl listhblinks node2"],
  ).action((node: string, opts: ClOptions) => runCl({ sub: "listhblinks", node }, opts, io));
  common(
    cl
      .command("hblinkstatus")
      .description("Print the status of one heartbeat link of a node: up or dead. Exit 0 if up, else 1.")
      .argument("<node>", "node name")
      .argument("<link>", "link name (interface, serial device, or ping node)"),
    ["hbctl cl hblinkstatus node2 eth0", "hbctl cl hblinkstatus node2 /dev/ttyS0"],
  ).action((node: string, link: string, opts: ClOptions) =>
    runCl({ sub: "hblinkstatus", node, link }, opts, io),
  );
  common(
    cl
      .command("hbstatus")
      .description("Say whether hbd is running on this machine. Exit 0 running, 1 stopped.")
      .option("-v", "also print the version, the resource manager, and every node and link"),
    ["hbctl cl hbstatus", "hbctl cl hbstatus -v"],
  ).action((opts: ClOptions) => runCl({ sub: "hbstatus" }, opts, io));
  common(
    cl
      .command("rscstatus")
      .description(
        "Print which haresources groups this node holds, as Heartbeat says it: all, local (the groups preferring this node), foreign (the others), none, or transition while anything moves. Exit 0; 1 in crm mode (as cl_status next to Pacemaker).",
      ),
    ["hbctl cl rscstatus", "hbctl cl rscstatus -m"],
  ).action((opts: ClOptions) => runCl({ sub: "rscstatus" }, opts, io));
}
