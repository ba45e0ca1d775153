/**
 * `hbctl resource exec AGENT ACTION`: runs one agent action on this node,
 * outside the cluster (like crm_resource --force-start), and prints rc,
 * meaning, duration and output. The exit status is the agent's OCF rc.
 *
 * `hbctl resource move|ban|clear|cleanup|start|stop RSC [NODE]`: the cluster
 * changes of crm_resource, applied by the DC (docs/ADMIN.md): move =
 * cli-prefer-RSC INFINITY on NODE (without NODE: a ban from where it runs),
 * ban = cli-ban-RSC-on-NODE -INFINITY, clear removes both kinds, cleanup
 * forgets the operation history and fail counts, start/stop set target-role.
 */
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { UsageError } from "../../base/errors.js";
import { validAgentName } from "../../exec/env.js";
import type { AgentClass, AgentSpec } from "../../exec/types.js";
import type { CliIo } from "../io.js";
import { jsonDocument } from "../json.js";
import { ADMIN_EXIT, type AdminOptions, runAdmin, withAdminOptions } from "./standby.js";

/** The agents shipped with Tandem (resource.d/ of the package), OCF provider "tandem". */
export const SHIPPED_AGENTS_DIR = fileURLToPath(new URL("../../../../resource.d", import.meta.url));

interface ExecOpts {
  class?: AgentClass;
  provider?: string;
  param: string[];
  arg: string[];
  timeout?: string;
  id?: string;
  resourceDir: string[];
  json?: boolean;
}

const CLASSES: readonly AgentClass[] = ["ocf", "lsb", "heartbeat"];

/** Parses `ocf:heartbeat:IPaddr2`, `lsb:nginx`, `heartbeat:IPaddr`, or a bare name with --class/--provider. */
export function parseAgentName(
  name: string,
  opts: Pick<ExecOpts, "class" | "provider">,
): Omit<AgentSpec, "params" | "args"> {
  const parts = name.split(":");
  let cls: string = opts.class ?? "ocf";
  let provider = opts.provider;
  let type = name;
  if (parts.length === 3) [cls, provider, type] = parts as [string, string, string];
  else if (parts.length === 2) [cls, type] = parts as [string, string];
  else if (parts.length > 3)
    throw new UsageError(`agent "${name}": expected CLASS:PROVIDER:TYPE, CLASS:TYPE or TYPE`);
  if (!CLASSES.includes(cls as AgentClass))
    throw new UsageError(`agent "${name}": unknown class "${cls}" (expected ${CLASSES.join(", ")})`);
  if (!validAgentName(type)) throw new UsageError(`agent "${name}": "${type}" is not a valid agent name`);
  if (cls === "ocf") return { class: "ocf", type, provider: provider ?? "heartbeat" };
  if (provider !== undefined)
    throw new UsageError(`agent "${name}": a provider is only meaningful for class ocf`);
  return { class: cls as AgentClass, type };
}

function parseParams(list: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of list) {
    const i = p.indexOf("=");
    if (i <= 0) throw new UsageError(`--param "${p}": expected NAME=VALUE`);
    out[p.slice(0, i)] = p.slice(i + 1);
  }
  return out;
}

export async function runResourceExec(
  agentName: string,
  action: string,
  opts: ExecOpts,
  io: CliIo,
): Promise<void> {
  const base = parseAgentName(agentName, opts);
  const timeoutMs = opts.timeout === undefined ? undefined : Number(opts.timeout);
  if (timeoutMs !== undefined && !(Number.isInteger(timeoutMs) && timeoutMs > 0)) {
    throw new UsageError(`--timeout "${opts.timeout}": expected a positive number of milliseconds`);
  }
  const agent: AgentSpec = {
    ...base,
    params: parseParams(opts.param),
    ...(opts.arg.length > 0 ? { args: opts.arg } : {}),
  };
  // loaded on use (execa is a large part of hbctl's start-up)
  const { createExecutor } = await import("../../exec/process.js");
  const { formatResultText } = await import("../../exec/format.js");
  const executor = createExecutor({
    ocfProviderDirs: { tandem: SHIPPED_AGENTS_DIR },
    resourceDirs: [...opts.resourceDir, "/etc/ha.d/resource.d", SHIPPED_AGENTS_DIR],
  });
  const req = {
    rscId: opts.id ?? base.type,
    agent,
    op: action,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  };
  const result = await executor.exec(req);
  io.out(opts.json ? jsonDocument({ agent: req.agent, ...result }) : formatResultText(req, result));
  io.exit(result.rc);
}

const collect = (v: string, prev: string[]) => [...prev, v];

export function registerResource(program: Command, io: CliIo): void {
  const resource = program
    .command("resource")
    .summary("manage and test resources")
    .description("Manage and test resources.");
  resource
    .command("exec")
    .summary("run one agent action on this node")
    .description(
      "Run one resource agent action on this node, outside the cluster, and print its rc and meaning, duration and " +
        "output: the way to test an agent by hand (like crm_resource --force-start). AGENT is CLASS:PROVIDER:TYPE " +
        '(ocf:heartbeat:IPaddr2), CLASS:TYPE (lsb:nginx, heartbeat:IPaddr) or TYPE with --class. Provider "tandem" ' +
        "is the agents shipped in resource.d/. Heartbeat-class agents are looked up in --resource-dir, " +
        "/etc/ha.d/resource.d, the shipped agents, then /etc/init.d.\n\nExit status: the agent's OCF return code " +
        "(0 success, 7 not running, 6 not configured, ...).",
    )
    .argument("<agent>", "agent to run")
    .argument("<action>", "start, stop, monitor, status, meta-data, validate-all, ...")
    .option("--class <class>", "ocf, lsb or heartbeat (when AGENT has no class prefix)")
    .option("--provider <provider>", "OCF provider (default heartbeat)")
    .option("-p, --param <name=value>", "OCF instance attribute (repeatable)", collect, [])
    .option(
      "-a, --arg <value>",
      "Heartbeat-class positional argument, e.g. the haresources :: fields (repeatable)",
      collect,
      [],
    )
    .option("--resource-dir <dir>", "extra resource.d directory searched first (repeatable)", collect, [])
    .option(
      "-t, --timeout <ms>",
      "kill the agent and its children after this many milliseconds (default 20000)",
    )
    .option("--id <rsc>", "resource id passed as OCF_RESOURCE_INSTANCE (default: the agent type)")
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      "\nExamples:\n  hbctl resource exec ocf:tandem:IPaddr2 start -p ip=192.168.1.110 -p cidr_netmask=24 -p nic=eth0\n" +
        "  hbctl resource exec heartbeat:IPaddr2 status -a 192.168.1.110/24/eth0\n  hbctl resource exec lsb:nginx status --json",
    )
    .action((agent: string, action: string, opts: ExecOpts) => runResourceExec(agent, action, opts, io));
  registerResourceAdmin(resource, io);
}

/** The cluster verbs of `hbctl resource`: what each does, and whether it takes a node. */
const ADMIN_VERBS: readonly { verb: string; node: "optional" | "none"; summary: string; text: string }[] = [
  {
    verb: "move",
    node: "optional",
    summary: "make a resource run on a node",
    text: "Add the location constraint cli-prefer-RSC with score INFINITY on NODE (replacing an older cli-prefer-RSC, and lifting a ban of RSC from NODE). Without NODE, RSC is banned from the node where it runs now (cli-ban-RSC-on-THATNODE, -INFINITY), as crm_resource --move does. A group member or clone child moves with its group or clone. The constraint stays until `hbctl resource clear RSC`.",
  },
  {
    verb: "ban",
    node: "optional",
    summary: "keep a resource off a node",
    text: "Add the location constraint cli-ban-RSC-on-NODE with score -INFINITY (default NODE: where RSC runs now). RSC will not run there, even if it is the only node left, until `hbctl resource clear RSC`.",
  },
  {
    verb: "clear",
    node: "none",
    summary: "remove the move/ban constraints of a resource",
    text: "Remove cli-prefer-RSC and every cli-ban-RSC-on-* constraint (also those of the group or clone holding RSC), so the configured preferences and stickiness decide again. Also undoes `hbctl standby|takeover all|foreign|local` for that group.",
  },
  {
    verb: "cleanup",
    node: "optional",
    summary: "forget a resource's failures and history",
    text: "Erase the operation history and fail counts (fail-count-*, last-failure-*) of RSC (every primitive in it for a group or clone) on NODE, or on every node: it is probed again and may run where it failed before.",
  },
  {
    verb: "start",
    node: "none",
    summary: "let the cluster run a resource (target-role Started)",
    text: "Set the meta attribute target-role=Started on RSC.",
  },
  {
    verb: "stop",
    node: "none",
    summary: "stop a resource everywhere (target-role Stopped)",
    text: "Set the meta attribute target-role=Stopped on RSC: the cluster stops it and keeps it stopped until `hbctl resource start RSC`.",
  },
];

function registerResourceAdmin(resource: Command, io: CliIo): void {
  for (const v of ADMIN_VERBS) {
    const cmd = resource
      .command(v.verb)
      .summary(v.summary)
      .description(
        `${v.text} Applied by the DC, replicated to every node; RSC is a primitive, group or clone id.\n\n${ADMIN_EXIT}`,
      )
      .argument("<rsc>", "resource id (primitive, group or clone)");
    if (v.node === "optional") cmd.argument("[node]", "cluster node");
    withAdminOptions(cmd)
      .addHelpText(
        "after",
        `\nExample:\n  hbctl resource ${v.verb} group_vip${v.node === "optional" ? " n2" : ""}`,
      )
      .action(async (rsc: string, ...rest: unknown[]) => {
        const node = v.node === "optional" ? (rest[0] as string | undefined) : undefined;
        const opts = (v.node === "optional" ? rest[1] : rest[0]) as AdminOptions;
        await runAdmin("resource", { op: v.verb, rsc, ...(node === undefined ? {} : { node }) }, opts, io);
      });
  }
}
