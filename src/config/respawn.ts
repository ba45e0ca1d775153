/**
 * ha.cf `respawn USER PROGRAM [ARGS...]` lines, sorted by what Tandem does with
 * them (pure):
 * - ipfail (any path ending in ipfail): not run (it needs the client API); its
 *   rule (the node that reaches fewer ping nodes gives its resources to the
 *   peer) is not applied by hbd yet, which a warning says;
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

/** Warnings for respawn lines hbd does not run, saying what Tandem does instead. */
export function checkRespawn(respawn: readonly ClientSpec[], apiauth: readonly ApiAuth[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const c of respawn) {
    const k = classifyRespawn(c, apiauth);
    if (k.kind === "ipfail") {
      out.push({
        file: c.at.file,
        line: c.at.line,
        severity: "warning",
        code: "hacf.respawn-ipfail",
        message: `respawn ${c.path}: not started (it needs Heartbeat's client API), and hbd does not apply ipfail's rule yet: losing the ping nodes on one node moves nothing`,
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
