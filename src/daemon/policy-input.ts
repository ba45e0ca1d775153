/**
 * The DC's policy input (transition-runner.ts schedules on it): the stored
 * CIB with this partition's quorum, plus a -INFINITY ban on the local node for
 * each top-level resource Heartbeat's resource protocol (r1.ts) withholds from
 * it in a mixed pair. Pure.
 */

import type { Cib } from "../cib/model.js";
import { INFINITY } from "../cib/score.js";

/**
 * Quorum as Heartbeat's CCM computes it: more than half of the configured
 * nodes, or one of two (its `twonodes` tiebreaker, as corosync's two_node):
 * a pair keeps working alone; in three nodes a lone partition has none, and
 * no-quorum-policy decides (seed 7663: with `ignore` n2 alone fenced n1, which
 * rebooted into the other partition and ran g1 there while n2 started it).
 * `activePeers`: the peers active here (the local node, always a member, excluded).
 */
export function haveQuorum(nodes: readonly string[], activePeers: Iterable<string>): boolean {
  const total = nodes.length;
  const members = 1 + [...activePeers].filter((n) => nodes.includes(n)).length;
  return 2 * members > total || (total === 2 && members === 1);
}

/**
 * `stored` with `quorum`, plus a -INFINITY ban on `localNode` for each top-level resource not in `hold`
 * (the resources the resource protocol lets this node run; undefined: no restriction).
 */
export function policyInput(
  stored: Cib,
  quorum: boolean,
  localNode: string,
  hold: ReadonlySet<string> | undefined,
): Cib {
  const cib: Cib = { ...stored, haveQuorum: quorum };
  if (hold === undefined) return cib;
  const bans = cib.configuration.resources
    .filter((r) => !hold.has(r.id))
    .map((r) => ({ id: `r1-hold-${r.id}`, rsc: r.id, node: localNode, score: -INFINITY, rules: [] }));
  if (bans.length === 0) return cib;
  const c = cib.configuration;
  return {
    ...cib,
    configuration: {
      ...c,
      constraints: { ...c.constraints, locations: [...c.constraints.locations, ...bans] },
    },
  };
}
