/**
 * ha.cf `respawn USER PROGRAM [ARGS...]` lines, sorted by what Tandem does with
 * them (pure):
 * - ipfail (any path ending in ipfail): not run (it needs the client API); hbd
 *   applies its rule itself (daemon/ipfail.ts: the node that reaches fewer
 *   ping nodes gives its resources to the peer); a warning only when that
 *   cannot work (no ping nodes; crm on, where the pingd attribute decides);
 * - programs that only work through Heartbeat's client API (ccm, cib, crmd,
 *   mgmtd, ... and any program with an `apiauth` entry): not run, since Tandem
 *   has no API socket; a warning says what Tandem does instead;
 * - anything else: supervised by hbd (daemon/respawn.ts) as Heartbeat does.
 */
import type { Diagnostic } from "../base/diag.js";
import type { ApiAuth, ClientSpec } from "./model.js";

/** Heartbeat API clients Heartbeat and Pacemaker shipped, with what Tandem does in their place. */
const API_CLIENTS: Readonly<Record<string, string>> = {
  ccm: "hbd computes membership itself",
  cib: "hbd keeps and replicates the CIB itself (crm on)",
  crmd: "hbd is the cluster resource manager (crm on)",
  pengine: "hbd runs the policy engine itself (crm on)",
  lrmd: "hbd runs resource agents itself",
  attrd: "hbd keeps node attributes in the CIB itself",
  stonithd: "hbd fences with the devices in the CIB (docs/FENCING.md)",
  mgmtd: "use hbctl (status, standby, resource, cib) instead of the management daemon",
  pingd: "hbd pings the ping nodes of ha.cf itself",
  dopd: "hbd has no DRBD outdate-peer daemon; use DRBD's fence-peer handler",
  hbagent: "hbctl status --json replaces the SNMP agent",
  "lha-snmpagent": "hbctl status --json replaces the SNMP agent",
};

export type RespawnKind =
  | { readonly kind: "ipfail" }
  | { readonly kind: "api"; readonly instead: string }
  | { readonly kind: "program" };

function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** What Tandem does with one respawn line. */
export function classifyRespawn(c: ClientSpec, apiauth: readonly ApiAuth[] = []): RespawnKind {
  const name = basename(c.path);
  if (name.endsWith("ipfail")) return { kind: "ipfail" };
  const instead = API_CLIENTS[name];
  if (instead !== undefined) return { kind: "api", instead };
  if (apiauth.some((a) => a.client === name))
    return { kind: "api", instead: "Tandem has no Heartbeat API socket for it to connect to" };
  return { kind: "program" };
}

/** The respawn lines hbd supervises. */
export function supervisedClients(
  respawn: readonly ClientSpec[],
  apiauth: readonly ApiAuth[] = [],
): ClientSpec[] {
  return respawn.filter((c) => classifyRespawn(c, apiauth).kind === "program");
}

/** What the ipfail warning depends on: ping nodes to count, and the resource manager mode. */
export interface IpfailContext {
  readonly pingNodes: number;
  readonly crm: boolean;
}

/** Why an ipfail line does nothing here, or undefined when hbd applies its rule (daemon/ipfail.ts). */
function ipfailProblem(ctx: IpfailContext): string | undefined {
  if (ctx.pingNodes === 0) return "there are no ping or ping_group lines, so there is nothing to count";
  if (ctx.crm)
    return "with crm on, hbd publishes the count as the node attribute pingd instead: write a location rule on it (pingd lte 0, not_defined pingd)";
  return undefined;
}

/** Warnings for respawn lines hbd does not run, saying what Tandem does instead. */
export function checkRespawn(
  respawn: readonly ClientSpec[],
  apiauth: readonly ApiAuth[],
  ipfailCtx: IpfailContext = { pingNodes: 1, crm: false },
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const c of respawn) {
    const k = classifyRespawn(c, apiauth);
    if (k.kind === "ipfail") {
      const problem = ipfailProblem(ipfailCtx);
      if (problem === undefined) continue; // hbd applies ipfail's rule itself: nothing to warn about
      out.push({
        file: c.at.file,
        line: c.at.line,
        severity: "warning",
        code: "hacf.respawn-ipfail",
        message: `respawn ${c.path}: not started (hbd applies ipfail's rule itself in haresources mode), but ${problem}`,
      });
      continue;
    }
    if (k.kind !== "api") continue;
    out.push({
      file: c.at.file,
      line: c.at.line,
      severity: "warning",
      code: "hacf.respawn-api-client",
      message: `respawn ${c.path}: not started: it works only through Heartbeat's client API, which Tandem does not have; instead, ${k.instead}`,
    });
  }
  return out;
}
