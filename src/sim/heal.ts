/**
 * What must hold once the faults have stopped and the cluster had its time
 * (invariants.ts lists the safety side):
 * - converged: every node has the same (admin_epoch, epoch, num_updates) and
 *   the same configuration;
 * - idle: no transition is running anywhere;
 * - status-true: the DC's status section says each resource runs exactly
 *   where the simulated agents run it;
 * - placement: the policy engine on the DC's final CIB (what `hbctl
 *   simulate` runs) has nothing left to start, stop or fence;
 * - ack-kept: every admin change acknowledged while the cluster was whole, with
 *   no split brain (two DCs at once) after it, is in the final CIB, unless a
 *   later request on the same thing replaced it. A split brain's losing side
 *   loses its changes, as in Pacemaker without quorum: that is not counted.
 */
import type { Cib } from "../cib/model.js";
import { nodeAttributes } from "../cib/query.js";
import { serializeCib } from "../cib/serialize.js";
import { formatCibVersion } from "../daemon/cib-version.js";
import { schedule } from "../policy/schedule.js";
import type { SimWorld } from "./world.js";

/** One admin change as the run asked for it: the thing it sets, the value, and whether it was acknowledged. */
export interface AdminRecord {
  readonly key: string;
  readonly value: string;
  readonly atMs: number;
  acked: boolean;
  /** The cluster was whole (every live pair heard each other long enough) when it was asked. */
  readonly whole: boolean;
  readonly text: string;
}

/** The value of an admin key in a CIB: standby:N, prefer:R, ban:R:N. */
export function keyValue(cib: Cib, key: string): string {
  const [kind, a, b] = key.split(":") as [string, string, string | undefined];
  const locs = cib.configuration.constraints.locations;
  if (kind === "standby") return nodeAttributes(cib, a).standby ?? "off";
  if (kind === "prefer") return locs.find((c) => c.id === `cli-prefer-${a}`)?.node ?? "none";
  if (kind === "ban") return locs.some((c) => c.id === `cli-ban-${a}-on-${b}`) ? "yes" : "none";
  return "?";
}

/** The first after-heal problem, or undefined. */
export function healProblem(
  world: SimWorld,
  admin: readonly AdminRecord[],
  lastSplitBrainMs: number,
): { name: string; detail: string } | undefined {
  const hosts = [...world.hosts.values()].filter((h) => h.alive);
  const ctl = hosts.map((h) => ({ name: h.name, c: h.hbd?.controller }));
  const busy = ctl.find((x) => x.c?.report().busy);
  if (busy !== undefined) return { name: "idle", detail: `a transition is still running on ${busy.name}` };
  const first = ctl[0]?.c;
  if (first === undefined) return { name: "converged", detail: "no node is up" };
  /** The configuration alone (not the status, num_updates or dc-uuid, which follow the DC). */
  const config = ({ dcUuid: _dc, ...cib }: Cib): string =>
    serializeCib({ ...cib, status: [], numUpdates: 0 });
  for (const x of ctl.slice(1)) {
    const c = x.c;
    if (c === undefined) continue;
    if (formatCibVersion(c.cib) !== formatCibVersion(first.cib) || config(c.cib) !== config(first.cib))
      return {
        name: "converged",
        detail: `${ctl[0]?.name} has CIB ${formatCibVersion(first.cib)}, ${x.name} ${formatCibVersion(c.cib)}${formatCibVersion(c.cib) === formatCibVersion(first.cib) ? ` (same version, different configuration: ${firstDifference(config(first.cib), config(c.cib))})` : ""}`,
      };
  }
  const dcs = ctl.filter((x) => x.c?.dc === x.name);
  if (dcs.length !== 1)
    return { name: "converged", detail: `${dcs.length} DCs: ${dcs.map((x) => x.name).join(", ")}` };
  const dc = dcs[0]?.c;
  if (dc === undefined) return undefined;
  for (const r of dc.report().resources) {
    const actual = hosts
      .filter((h) => h.agents.isRunning(r.id))
      .map((h) => h.name)
      .sort();
    const said = [...r.running].sort();
    if (actual.join(",") !== said.join(","))
      return {
        name: "status-true",
        detail: `${r.id}: the DC's status says [${said}], the agents run it on [${actual}]`,
      };
  }
  const t = schedule(dc.cib, world.now + world.wallOffsetMs);
  const left = t.actions.filter((a) => a.op === "start" || a.op === "stop" || a.op === "fence");
  if (left.length > 0)
    return {
      name: "placement",
      detail: `the policy engine on the final CIB still wants: ${left.map((a) => `${a.op} ${a.rsc ?? ""} on ${a.node ?? "?"}`).join("; ")}`,
    };
  return ackProblem(
    dc.cib,
    admin.filter((a) => a.atMs > lastSplitBrainMs),
  );
}

function ackProblem(cib: Cib, admin: readonly AdminRecord[]): { name: string; detail: string } | undefined {
  const keys = new Set(admin.map((a) => a.key));
  for (const key of keys) {
    const recs = admin.filter((a) => a.key === key);
    let lastAcked = -1;
    recs.forEach((r, i) => {
      if (r.acked && r.whole) lastAcked = i;
    });
    if (lastAcked < 0) continue;
    const allowed = new Set(recs.slice(lastAcked).map((r) => r.value));
    const v = keyValue(cib, key);
    if (!allowed.has(v))
      return {
        name: "ack-kept",
        detail: `${key} is ${v} in the final CIB, but "${recs[lastAcked]?.text}" was acknowledged at ${recs[lastAcked]?.atMs} ms`,
      };
  }
  return undefined;
}

function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `${JSON.stringify(a.slice(Math.max(0, i - 40), i + 40))} vs ${JSON.stringify(b.slice(Math.max(0, i - 40), i + 40))}`;
}
