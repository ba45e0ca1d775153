/**
 * Everything a whole-cluster run is made of, derived from its seed: nodes,
 * media, timing, the CIB (a group and single primitives, stonith on or off),
 * network, agent and fence faults. Each node's configuration is loaded from
 * ha.cf/authkeys text exactly as hbd loads it.
 */
import type { Prng } from "../base/prng.js";
import type { Cib } from "../cib/model.js";
import { parseCib } from "../cib/parse.js";
import { loadHaD } from "../config/load.js";
import type { ClusterConfig } from "../config/model.js";
import type { AgentFaults } from "./agents.js";
import type { MediumFaults } from "./network.js";

export interface Scenario {
  readonly nodes: readonly string[];
  readonly media: readonly string[];
  readonly keepaliveMs: number;
  readonly deadtimeMs: number;
  readonly stonith: boolean;
  readonly primitives: readonly string[];
  readonly groupMembers: readonly string[];
  readonly faults: Readonly<Record<string, MediumFaults>>;
  readonly agentFaults: AgentFaults;
  readonly fenceFailProbability: number;
  /** Mean interval between fault actions, ms. */
  readonly actionEveryMs: number;
}

export function randomScenario(prng: Prng): Scenario {
  const nodes = Array.from({ length: prng.intBetween(2, 3) }, (_, i) => `n${i + 1}`);
  const media = ["eth0", "eth1"].slice(0, prng.intBetween(1, 2));
  const keepaliveMs = prng.pick([50, 100, 200]);
  const deadtimeMs = keepaliveMs * prng.intBetween(5, 10);
  const faults: Record<string, MediumFaults> = {};
  for (const m of media) {
    const delayMsMin = prng.intBetween(0, 3);
    faults[m] = {
      lossProbability: prng.pick([0, 0.01, 0.05, 0.2]),
      delayMsMin,
      delayMsMax: delayMsMin + prng.intBetween(0, Math.floor(keepaliveMs / 4)),
      duplicateProbability: prng.pick([0, 0.01, 0.05]),
      reorderProbability: prng.pick([0, 0.01, 0.05]),
      reorderDelayMsMax: prng.intBetween(1, keepaliveMs),
    };
  }
  const groupMembers = Array.from({ length: prng.intBetween(1, 3) }, (_, i) => `g${i + 1}`);
  const primitives = Array.from({ length: prng.intBetween(0, 2) }, (_, i) => `p${i + 1}`);
  return {
    nodes,
    media,
    keepaliveMs,
    deadtimeMs,
    stonith: prng.chance(0.5),
    primitives,
    groupMembers,
    faults,
    agentFaults: {
      failProbability: prng.pick([0, 0, 0.02, 0.1]),
      hangProbability: prng.pick([0, 0, 0.01]),
      durationMsMax: prng.pick([5, 50, 300]),
    },
    fenceFailProbability: prng.pick([0, 0.2, 0.5]),
    actionEveryMs: deadtimeMs * prng.intBetween(2, 6),
  };
}

/**
 * The CIB every node starts with (no-quorum-policy: ignore for a pair, as the haresources conversion sets;
 * Pacemaker's default stop for three). `looseGroup` (sabotage): the group's members as unordered primitives.
 */
export function scenarioCib(s: Scenario, looseGroup = false): Cib {
  const prim = (id: string): string =>
    `<primitive id="${id}" class="ocf" provider="heartbeat" type="Dummy"><operations><op id="${id}-mon" name="monitor" interval="2s" timeout="5s"/><op id="${id}-start" name="start" interval="0" timeout="5s"/><op id="${id}-stop" name="stop" interval="0" timeout="5s"/></operations></primitive>`;
  const fence = s.stonith
    ? `<primitive id="fence1" class="stonith" type="fence_sim"><instance_attributes id="f"><nvpair id="f1" name="pcmk_host_list" value="${s.nodes.join(" ")}"/></instance_attributes><operations><op id="fence1-mon" name="monitor" interval="3s" timeout="5s"/></operations></primitive>`
    : "";
  const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.0"><configuration>
<crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="${s.stonith}"/><nvpair id="o2" name="no-quorum-policy" value="${s.nodes.length === 2 ? "ignore" : "stop"}"/></cluster_property_set></crm_config>
<nodes>${s.nodes.map((n) => `<node id="${n}" uname="${n}"/>`).join("")}</nodes>
<resources>${fence}${looseGroup ? s.groupMembers.map(prim).join("") : `<group id="grp">${s.groupMembers.map(prim).join("")}</group>`}${s.primitives.map(prim).join("")}</resources>
<constraints>${looseGroup ? s.groupMembers.map((m) => `<rsc_location id="pref-${m}" rsc="${m}" node="n1" score="100"/>`).join("") : `<rsc_location id="pref" rsc="grp" node="n1" score="100"/>`}</constraints>
</configuration><status/></cib>`;
  const p = parseCib(xml);
  if (p.value === undefined) throw new Error(`scenario CIB does not parse: ${JSON.stringify(p.diagnostics)}`);
  return p.value;
}

/** Each node's configuration, from ha.cf text as hbd reads it; `extra` directives replace the defaults. */
export function scenarioConfigs(s: Scenario, extra: readonly string[] = []): Map<string, ClusterConfig> {
  const given = new Set(extra.map((l) => l.split(" ")[0]));
  const defaults = [`warntime ${Math.round(s.deadtimeMs * 0.75)}ms`, `initdead ${2 * s.deadtimeMs}ms`];
  const hacf = [
    `keepalive ${s.keepaliveMs}ms`,
    `deadtime ${s.deadtimeMs}ms`,
    ...defaults.filter((l) => !given.has(l.split(" ")[0])),
    ...extra,
    ...s.media.map((m) => `bcast ${m}`),
    ...s.nodes.map((n) => `node ${n}`),
    "crm on",
    "",
  ].join("\n");
  const out = new Map<string, ClusterConfig>();
  for (const n of s.nodes) {
    const r = loadHaD({
      hacf: { path: "ha.cf", text: hacf },
      authkeys: { path: "authkeys", text: "auth 1\n1 sha1 simulated-secret\n", mode: 0o600 },
      haresources: { path: "haresources" },
      localNode: n,
    });
    if (r.config === undefined)
      throw new Error(`scenario ha.cf does not load: ${JSON.stringify(r.diagnostics)}`);
    out.set(n, r.config);
  }
  return out;
}
