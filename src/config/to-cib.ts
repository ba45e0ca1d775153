/**
 * haresources (Heartbeat R1) -> CIB, the Tandem equivalent of Heartbeat's
 * haresources2cib.py (reference heartbeat.md §7, cib.md (a)).
 *
 * Per haresources line: one `<group>` (also for a single resource, so every
 * line is addressable by its key), its resources as members in line order
 * (group order = R1's start left-to-right, stop right-to-left), and an
 * `rsc_location` giving the line's node +100, as haresources2cib did.
 *
 * Choices that differ from haresources2cib, on purpose:
 * - IPaddr arguments are mapped correctly: `IP/bits/iface/bcast` gives
 *   ip, cidr_netmask=bits, nic=iface, broadcast=bcast (and iflabel for
 *   `iface:label`). haresources2cib swapped netmask and nic in every released
 *   version (`nic="24" cidr_netmask="eth0"`, heartbeat.md §7.2); we do not.
 * - auto_failback is translated (haresources2cib ignored it): `on` ->
 *   resource-stickiness 0, so the +100 preference pulls groups back; `off` ->
 *   stickiness 1000 per member, above the +100 preference so groups stay
 *   where they run, yet finite, so an INFINITY preference (`hb_takeover`,
 *   `crm_resource --move`) still wins (with INFINITY stickiness a move would
 *   tie and do nothing); `legacy` -> treated as `on`: in legacy mode the
 *   preferred node always requests its groups back, which is failback.
 * - Resource classes (see AgentNaming): for Pacemaker (the default), a
 *   script that wraps a known OCF agent becomes `ocf:heartbeat:<type>` with
 *   its `::` arguments mapped to the agent's parameter names (as
 *   haresources2cib did for known types); any other name without arguments
 *   `lsb:<name>`; with arguments class `heartbeat` with parameters named 1,
 *   2, ... (only that class passes positional arguments; Tandem runs it,
 *   Pacemaker 2 rejects the class). For Tandem (`agents.target "tandem"`,
 *   what hbd runs), known agents Tandem ships are `ocf:tandem:<type>` and a
 *   name found in a resource.d directory is class `heartbeat` (Heartbeat
 *   looks there before /etc/init.d), so the CIB names the agent that runs.
 * - ldirectord (the director) leaves its line's group for an anonymous clone
 *   `<id>-clone` with `warm=true`: a warm-standby director on every node,
 *   health checks and table everywhere, serving only where the VIP is local,
 *   so a move of the line costs what the VIP move costs (docs/ARCHITECTURE.md
 *   "Warm director"). A line left empty gets no group.
 * - Ids are readable: `IPaddr_192_168_1_110`, `ldirectord`, `lvs` (suffix
 *   `_2`, `_3` on collision) rather than `<type>_<counter>`.
 * - Cluster options for an R1 setup: stonith-enabled=false unless ha.cf has
 *   stonith_host devices Tandem can run (then one stonith primitive each:
 *   ssh and external/ssh -> fence_ssh, meatware, null, with their host list;
 *   with stonith-enabled=true and no device Pacemaker would start nothing), no-quorum-policy=
 *   ignore (R1 had no quorum: a lone survivor takes over), a recurring
 *   monitor per resource (R1 never monitored), op_defaults timeout 60s
 *   (R1 had no timeouts; 20s would kill slow init scripts).
 */

import { formatDurationMs } from "../cib/duration.js";
import type {
  Cib,
  Clone,
  ColocationConstraint,
  Group,
  LocationConstraint,
  NvPair,
  NvSet,
  Op,
  OrderConstraint,
  Primitive,
  Resource,
} from "../cib/model.js";
import { INFINITY } from "../cib/score.js";
import { type AlertSpec, alertsXml } from "./alert-spec.js";
import { decodeIpArg } from "./ipspec.js";
import type { AutoFailback, IpSpec, LegacyResource, ResourceGroup, StonithHost } from "./model.js";

/** Score of the haresources node preference (haresources2cib's value). */
export const HARESOURCES_LOCATION_SCORE = 100;
/** resource-stickiness for `auto_failback off` (per member; must exceed the location score). */
export const STICKINESS_NO_FAILBACK = 1000;
/** Schema and feature set written into converted CIBs (Pacemaker 2.1.5 accepts both). */
export const CONVERTED_VALIDATE_WITH = "pacemaker-3.9";
export const CONVERTED_FEATURE_SET = "3.16.1";

/** OCF agents behind Heartbeat's resource.d wrappers, with the `::` argument order (heartbeat.md §4.4). */
const OCF_ARGS: Readonly<Record<string, readonly string[]>> = {
  IPsrcaddr: ["ipaddress"],
  Filesystem: ["device", "directory", "fstype", "options"],
  Delay: ["startdelay", "stopdelay", "mondelay"],
  MailTo: ["email", "subject"],
  apache: ["configfile"],
  ldirectord: ["configfile"],
  Xinetd: ["service"],
  portblock: ["protocol", "portno", "action"],
  LVM: ["volgrpname"],
  Raid1: ["raidconf", "raiddev"],
  AudibleAlarm: ["nodelist"],
  LinuxSCSI: ["scsi"],
  ServeRAID: ["serveraid", "mergegroup"],
  ICP: ["driveid", "device"],
  WinPopup: ["hostfile"],
};

const IP_TYPES = new Set(["IPaddr", "IPaddr2", "SendArp", "IPv6addr"]);

/** Options for `convertHaresources`. */
export interface ConvertOptions {
  readonly autoFailback: AutoFailback;
  /** Cluster node names (ha.cf `node` lines), lower-cased. */
  readonly nodes: readonly string[];
  /** ha.cf stonith_host devices: each becomes a stonith primitive, and stonith-enabled=true. */
  readonly stonith?: readonly StonithHost[];
  /** Which agents the names stand for (absent: the names real Pacemaker runs, `target: "pacemaker"`). */
  readonly agents?: AgentNaming;
  /** ha.cf `alert` lines / cluster.yaml `alerts`: the CIB's <alerts> section. */
  readonly alerts?: readonly AlertSpec[];
}

/**
 * How haresources names become class:provider:type, honestly.
 * - `target: "tandem"` (what hbd runs in haresources mode, and `hbctl convert`'s
 *   default): a known Heartbeat name Tandem ships an agent for is `ocf:tandem:T`;
 *   any other name that is a script in a resource.d directory is class
 *   `heartbeat` (Heartbeat looks in resource.d first, then /etc/init.d), and
 *   one found only in /etc/init.d is `lsb`.
 * - `target: "pacemaker"`: the names real Pacemaker runs: `ocf:heartbeat:T` for
 *   known agents (resource-agents), `lsb:NAME` for the rest without arguments.
 */
export interface AgentNaming {
  readonly target: "tandem" | "pacemaker";
  /** Agents Tandem ships (its resource.d), run as `ocf:tandem:T`. */
  readonly shipped: ReadonlySet<string>;
  /** Whether a script of this name is in a Heartbeat resource.d directory (CONFIG_DIR/resource.d, /etc/ha.d/resource.d). */
  readonly inResourceD: (name: string) => boolean;
}

/** The agent a haresources resource runs as: class, provider (OCF only) and type. */
export interface AgentName {
  readonly class: "ocf" | "lsb" | "heartbeat";
  readonly provider?: "heartbeat" | "tandem";
  readonly type: string;
  /** The `::` arguments map to named OCF parameters (IP agents and OCF_ARGS). */
  readonly named: boolean;
}

/** Whether the resource's `::` arguments can be named after a known OCF agent's parameters. */
function knownOcf(r: LegacyResource): boolean {
  if (IP_TYPES.has(r.type)) return true;
  const names = OCF_ARGS[r.type];
  return names !== undefined && r.args.length <= names.length;
}

/** class:provider:type for one haresources resource under `naming` (see AgentNaming). */
export function haresourcesAgent(r: LegacyResource, naming?: AgentNaming): AgentName {
  const tandem = naming?.target === "tandem";
  if (knownOcf(r)) {
    const provider = tandem && naming.shipped.has(r.type) ? "tandem" : "heartbeat";
    return { class: "ocf", provider, type: r.type, named: true };
  }
  if (r.args.length > 0) return { class: "heartbeat", type: r.type, named: false };
  if (tandem && naming.inResourceD(r.type)) return { class: "heartbeat", type: r.type, named: false };
  if (tandem && naming.shipped.has(r.type))
    return { class: "ocf", provider: "tandem", type: r.type, named: false };
  return { class: "lsb", type: r.type, named: false };
}

/** "ocf:tandem:IPaddr2", "heartbeat:lvs", "lsb:apache2". */
export function formatAgentName(a: { class: string; provider?: string | undefined; type: string }): string {
  return `${a.class}${a.provider === undefined ? "" : `:${a.provider}`}:${a.type}`;
}

/** A stonith primitive per ha.cf stonith_host device (ids `fence_<hosts>`), as Heartbeat R1 fenced a lost peer. */
function fencePrimitives(devices: readonly StonithHost[], ids: Ids): Primitive[] {
  return devices.map((d) => {
    const id = ids.take(`fence_${sanitizeId(d.hosts.join("_") || "any", "n")}`);
    return {
      kind: "primitive",
      id,
      class: "stonith",
      type: d.agent,
      instanceAttributes: params(id, [["hostlist", d.hosts.join(" ")]]),
      metaAttributes: [],
      utilization: [],
      operations: [monitor(id, 60_000, 60_000)],
    };
  });
}

/** Turns arbitrary text into a valid XML id (NCName): letters, digits, `_`, `.`, `-`; starts with a letter or `_`. */
export function sanitizeId(text: string, prefix = "rsc_"): string {
  const s = text.replace(/[^A-Za-z0-9_.-]+/g, "_").replace(/^_+|_+$/g, "");
  if (s === "") return prefix.replace(/_+$/, "") || "id";
  return /^[A-Za-z_]/.test(s) ? s : `${prefix}${s}`;
}

/** Decodes an IP argument for conversion; an undecodable one (already reported by the parser) passes through as the address. */
export function decodeIpArgument(arg: string): IpSpec {
  const d = decodeIpArg(arg);
  return d.ok ? d.spec : { ip: arg };
}

class Ids {
  private readonly used = new Set<string>();
  take(base: string): string {
    let id = base;
    for (let n = 2; this.used.has(id); n++) id = `${base}_${n}`;
    this.used.add(id);
    return id;
  }
}

function params(rid: string, pairs: readonly (readonly [string, string])[]): NvSet[] {
  if (pairs.length === 0) return [];
  const setId = `${rid}-instance_attributes`;
  const nvpairs: NvPair[] = pairs.map(([name, value]) => ({
    id: `${setId}-${sanitizeId(name, "p")}`,
    name,
    value,
  }));
  return [{ kind: "instance_attributes", id: setId, nvpairs }];
}

function monitor(rid: string, intervalMs: number, timeoutMs: number): Op {
  const interval = formatDurationMs(intervalMs);
  const timeout = formatDurationMs(timeoutMs);
  return {
    id: `${rid}-monitor-${interval}`,
    name: "monitor",
    interval,
    intervalMs,
    timeout,
    timeoutMs,
    instanceAttributes: [],
    metaAttributes: [],
  };
}

function ipParams(r: LegacyResource): [string, string][] {
  const spec = r.ip ?? decodeIpArgument(r.args[0] ?? "");
  const out: [string, string][] = [[r.type === "IPv6addr" ? "ipv6addr" : "ip", spec.ip]];
  // bits -> cidr_netmask and iface -> nic (haresources2cib swapped these two; we do not).
  if (spec.cidrNetmask !== undefined) out.push(["cidr_netmask", String(spec.cidrNetmask)]);
  if (spec.nic !== undefined) out.push(["nic", spec.nic]);
  if (spec.label !== undefined && r.type !== "SendArp") out.push(["iflabel", spec.label]);
  if (spec.broadcast !== undefined && (r.type === "IPaddr" || r.type === "IPaddr2"))
    out.push(["broadcast", spec.broadcast]);
  return out;
}

function primitiveFor(r: LegacyResource, ids: Ids, naming: AgentNaming | undefined): Primitive {
  const base = {
    instanceAttributes: [] as NvSet[],
    metaAttributes: [] as NvSet[],
    utilization: [] as NvSet[],
  };
  const agent = haresourcesAgent(r, naming);
  const who = agent.provider === undefined ? {} : { provider: agent.provider };
  if (IP_TYPES.has(r.type)) {
    const spec = r.ip ?? decodeIpArgument(r.args[0] ?? "");
    const id = ids.take(sanitizeId(`${r.type}_${spec.ip.replace(/[.:]/g, "_")}`));
    return {
      kind: "primitive",
      id,
      class: "ocf",
      ...who,
      type: r.type,
      ...base,
      instanceAttributes: params(id, ipParams(r)),
      operations: [monitor(id, 10_000, 20_000)],
    };
  }
  const id = ids.take(sanitizeId(r.type));
  const names = OCF_ARGS[r.type] ?? [];
  const pairs = r.args.map((a, i): [string, string] => [
    agent.named ? (names[i] ?? String(i + 1)) : String(i + 1),
    a,
  ]);
  return {
    kind: "primitive",
    id,
    class: agent.class,
    ...who,
    type: r.type,
    ...base,
    instanceAttributes: params(id, pairs),
    operations: [monitor(id, 30_000, 60_000)],
  };
}

/** The director agent, which runs warm on every node (a clone) instead of in its line's group. */
function isDirector(p: Primitive): boolean {
  return p.class === "ocf" && p.type === "ldirectord";
}

/** The anonymous clone of a warm director: `warm=true` added to its parameters. */
function warmClone(p: Primitive, ids: Ids): Clone {
  const setId = `${p.id}-instance_attributes`;
  const old = p.instanceAttributes[0]?.nvpairs ?? [];
  const warm: NvPair = { id: `${setId}-warm`, name: "warm", value: "true" };
  return {
    kind: "clone",
    id: ids.take(`${p.id}-clone`),
    metaAttributes: [],
    instanceAttributes: [],
    child: {
      ...p,
      instanceAttributes: [{ kind: "instance_attributes", id: setId, nvpairs: [...old, warm] }],
    },
  };
}

function option(setId: string, name: string, value: string): NvPair {
  return { id: `${setId}-${name}`, name, value };
}

/** The group id of each haresources line, in line order, as convertHaresources names them. */
function takeGroupIds(groups: readonly ResourceGroup[], ids: Ids): string[] {
  for (const fixed of ["cib-bootstrap-options", "rsc-options", "op-options"]) ids.take(fixed);
  return groups.map((g) => ids.take(sanitizeId(g.key, "group_")));
}

/**
 * The id convertHaresources gives each line's group, by group key (a line
 * holding only a director has no group: its id is then in no CIB).
 */
export function haresourcesGroupIds(groups: readonly ResourceGroup[]): Map<string, string> {
  const ids = takeGroupIds(groups, new Ids());
  return new Map(groups.map((g, i) => [g.key, ids[i] ?? g.key]));
}

/**
 * Builds a CIB (no status section) from haresources groups: a group per line,
 * a +100 location preference for the line's node, stickiness from
 * auto_failback. Pure; the caller serialises with `serializeCib`.
 */
export function convertHaresources(groups: readonly ResourceGroup[], opts: ConvertOptions): Cib {
  const ids = new Ids();
  const groupIds = takeGroupIds(groups, ids);
  const lines = groups.map((g) => g.resources.map((r) => primitiveFor(r, ids, opts.agents)));
  const cloneOf = lines.map((ps) => ps.filter(isDirector).map((p) => warmClone(p, ids)));
  const clones: Clone[] = cloneOf.flat();
  const resources: Group[] = groups
    .map(
      (_g, i): Group => ({
        kind: "group",
        id: groupIds[i] ?? "",
        metaAttributes: [],
        instanceAttributes: [],
        members: (lines[i] ?? []).filter((p) => !isDirector(p)),
      }),
    )
    .filter((g) => g.members.length > 0);
  const kept = new Set(resources.map((g) => g.id));
  const locations: LocationConstraint[] = groups
    .map((g, i) => ({ g, id: groupIds[i] ?? "" }))
    .filter(({ id }) => kept.has(id))
    .map(({ g, id }) => ({
      id: ids.take(`prefer-${id}`),
      rsc: id,
      node: g.node,
      score: HARESOURCES_LOCATION_SCORE,
      rules: [],
    }));
  // the VIP serves only where a director instance runs (a director failing its migration-threshold moves the VIP)
  const colocations: ColocationConstraint[] = groups.flatMap((_g, i) =>
    kept.has(groupIds[i] ?? "")
      ? (cloneOf[i] ?? []).map((c) => ({
          id: ids.take(`${groupIds[i]}-with-${c.id}`),
          rsc: groupIds[i] ?? "",
          withRsc: c.id,
          score: INFINITY,
        }))
      : [],
  );
  // a group moving to a node whose director starts in the same transition (failback after a reboot or
  // standby) leaves its old node only once that director runs (start then stop: the VIP keeps serving
  // from the old node meanwhile); Optional, so a director restart alone never restarts the group
  const orders: OrderConstraint[] = colocations.map((c) => ({
    id: ids.take(`${c.withRsc}-then-${c.rsc}`),
    first: c.withRsc,
    // biome-ignore lint/suspicious/noThenProperty: the model mirrors the XML attribute "then"
    then: c.rsc,
    firstAction: "start",
    thenAction: "stop",
    kind: "Optional",
    symmetrical: false,
  }));
  const fences = fencePrimitives(opts.stonith ?? [], ids);
  const stickiness = opts.autoFailback === "off" ? STICKINESS_NO_FAILBACK : 0;
  const boot = "cib-bootstrap-options";
  return {
    adminEpoch: 0,
    epoch: 1,
    numUpdates: 0,
    validateWith: CONVERTED_VALIDATE_WITH,
    crmFeatureSet: CONVERTED_FEATURE_SET,
    configuration: {
      crmConfig: [
        {
          kind: "cluster_property_set",
          id: boot,
          nvpairs: [
            option(boot, "stonith-enabled", fences.length > 0 ? "true" : "false"),
            option(boot, "no-quorum-policy", "ignore"),
            option(boot, "symmetric-cluster", "true"),
          ],
        },
      ],
      nodes: opts.nodes.map((n) => ({
        id: n,
        uname: n,
        type: "member",
        instanceAttributes: [],
        utilization: [],
      })),
      resources: [...resources, ...clones, ...fences] as Resource[],
      constraints: { locations, colocations, orders },
      rscDefaults: [
        {
          kind: "meta_attributes",
          id: "rsc-options",
          nvpairs: [option("rsc-options", "resource-stickiness", String(stickiness))],
        },
      ],
      opDefaults: [
        { kind: "meta_attributes", id: "op-options", nvpairs: [option("op-options", "timeout", "60s")] },
      ],
      ...(opts.alerts === undefined || opts.alerts.length === 0
        ? {}
        : { sectionExtra: { configuration: { children: [alertsXml(opts.alerts)] } } }),
    },
    status: [],
  };
}
