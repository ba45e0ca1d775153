/**
 * Fence devices as the CIB describes them (pure): a device is a primitive
 * with class="stonith" and type=AGENT (an executable of the fence-agents
 * calling convention, see docs/FENCING.md); its instance attributes are the
 * agent's parameters. `pcmk_host_list` (Pacemaker) or `hostlist` (Heartbeat's
 * plugins) name the nodes it can fence; a device with neither can fence any
 * node. Also the stdin request an agent reads.
 */
import { parseDurationMs } from "../cib/duration.js";
import type { Cib, Primitive } from "../cib/model.js";
import { clusterOptions, nvMap, primitives } from "../cib/query.js";
import type { AgentSpec } from "./types.js";

/**
 * Provider marking a stonith-class primitive in an AgentSpec: its start, stop
 * and monitor are answered by the fence runner (exec/fence.ts), not the executor.
 */
export const STONITH_PROVIDER = "tandem-stonith";

/** Pacemaker's default stonith-timeout. */
export const DEFAULT_FENCE_TIMEOUT_MS = 60_000;

/** Parameters Pacemaker's fencer consumes itself; never passed to the agent. */
const FENCER_PARAMS = /^pcmk_|^priority$|^provides$/;

export interface FenceDevice {
  /** The primitive's id. */
  readonly id: string;
  /** The agent's file name (fence_ssh, fence_ipmilan, ...). */
  readonly agent: string;
  /** Parameters passed to the agent (pcmk_* removed). */
  readonly params: Readonly<Record<string, string>>;
  /** Lower-cased nodes it can fence; undefined: any node. */
  readonly hosts?: readonly string[];
  /** Per-action timeouts from pcmk_<action>_timeout, ms. */
  readonly timeouts: Readonly<Record<string, number>>;
}

export type FenceAction = "reboot" | "off" | "on" | "monitor" | "status" | "list" | "metadata";

/** A host list (blanks, commas or semicolons between names), lower-cased; undefined when blank. */
export function parseHostList(text: string | undefined): string[] | undefined {
  const hosts = (text ?? "")
    .split(/[\s,;]+/)
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h !== "");
  return hosts.length === 0 ? undefined : hosts;
}

/** The device a stonith primitive describes. */
export function fenceDevice(p: Primitive): FenceDevice {
  const all = nvMap(p.instanceAttributes);
  const params: Record<string, string> = {};
  const timeouts: Record<string, number> = {};
  for (const [k, v] of Object.entries(all)) {
    const t = /^pcmk_(\w+)_timeout$/.exec(k);
    if (t?.[1] !== undefined) {
      const ms = parseDurationMs(v);
      if (ms !== undefined) timeouts[t[1]] = ms;
    }
    if (!FENCER_PARAMS.test(k)) params[k] = v;
  }
  const hosts = parseHostList(all.pcmk_host_list ?? all.hostlist);
  return { id: p.id, agent: p.type, params, ...(hosts === undefined ? {} : { hosts }), timeouts };
}

/** Every configured device, in CIB order. */
export function fenceDevices(cib: Cib): FenceDevice[] {
  return primitives(cib)
    .filter(({ primitive: p }) => p.class === "stonith")
    .map(({ primitive }) => fenceDevice(primitive));
}

/** The devices that can fence `target`, in CIB order (the order they are tried in). */
export function devicesFor(cib: Cib, target: string): FenceDevice[] {
  const t = target.toLowerCase();
  return fenceDevices(cib).filter((d) => d.hosts === undefined || d.hosts.includes(t));
}

/** Timeout of `action` on `device`: pcmk_<action>_timeout, else stonith-timeout, else 60 s. */
export function fenceTimeoutMs(cib: Cib, device: FenceDevice, action: string): number {
  const own = device.timeouts[action];
  if (own !== undefined) return own;
  const global = clusterOptions(cib).raw["stonith-timeout"];
  return (global === undefined ? undefined : parseDurationMs(global)) ?? DEFAULT_FENCE_TIMEOUT_MS;
}

/**
 * The request as the agent reads it on stdin: `action=`, `nodename=` and
 * `port=` (when a target is given), then the device's parameters, one
 * `name=value` a line. Newlines inside values are replaced by blanks.
 */
export function fenceStdin(
  action: string,
  target: string | undefined,
  params: Readonly<Record<string, string>>,
): string {
  const clean = (v: string) => v.replace(/[\r\n]+/g, " ");
  const lines = [`action=${action}`];
  if (target !== undefined) lines.push(`nodename=${clean(target)}`, `port=${clean(target)}`);
  for (const [k, v] of Object.entries(params))
    if (k !== "action" && k !== "nodename" && k !== "port" && /^[A-Za-z0-9_]+$/.test(k))
      lines.push(`${k}=${clean(v)}`);
  return `${lines.join("\n")}\n`;
}

/** AgentSpec of a stonith primitive (start/stop/monitor go to the fence runner). */
export function stonithAgentSpec(p: Primitive): AgentSpec {
  return { class: "ocf", provider: STONITH_PROVIDER, type: p.type, params: nvMap(p.instanceAttributes) };
}
