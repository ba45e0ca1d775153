/**
 * The resource manager's messages between controllers (payload of a
 * `tandem-crm` cluster message) and their parser: what a peer sends is
 * checked field by field before the controller acts on it.
 */
import type { ActionResult, AgentSpec } from "../exec/types.js";
import { type AdminRequest, parseAdminRequest } from "../ipc/protocol.js";
import { parseCibVersion } from "./cib-version.js";
import { type LastActions, parseLastActions } from "./join.js";
import type { StatusUpdate } from "./replication.js";

/** What one controller says to another. */
export type CrmMessage =
  /** The sender's DC belief (`dc` = sender: a claim) and its whole CIB as XML. */
  | { readonly k: "sync"; readonly dc: string | null; readonly cib: string }
  /** DC -> all: the node_state entries changed since the last broadcast (replication.ts). */
  | ({ readonly k: "status" } & StatusUpdate)
  /** node -> DC: a status update did not apply here; send the whole CIB. */
  | { readonly k: "sync-request" }
  /** DC -> all, every VERSION_EVERY_MS: its CIB version (a node that differs asks or sends: anti-entropy). */
  | { readonly k: "version"; readonly v: string }
  /** new DC -> node: what did you last run per resource (join.ts)? `j` numbers the query. */
  | { readonly k: "join-query"; readonly j?: number }
  /** node -> new DC: the last one-shot action per resource, [rsc, op, rc]; `j` echoes the query's. */
  | { readonly k: "join-state"; readonly last: LastActions; readonly j?: number }
  /** DC -> node: run this action. */
  | {
      readonly k: "op";
      readonly tid: number;
      readonly aid: string;
      readonly rsc: string;
      readonly op: string;
      readonly intervalMs: number;
      readonly agent: AgentSpec;
      readonly timeoutMs?: number;
      /** The target's generation as the DC knows it: another incarnation drops the op (seed 581). */
      readonly tg?: number;
      /** A start: the nodes the DC counted down when it sent it (a node that hears one refuses: seed 329). */
      readonly down?: readonly string[];
    }
  /** node -> DC: how the action ended. */
  | {
      readonly k: "result";
      readonly tid: number;
      readonly aid: string;
      readonly rc: number;
      readonly status: ActionResult["status"];
      readonly reason: string;
      readonly durationMs: number;
      /** Not run: the sender does not take the requester for its DC. */
      readonly refused?: boolean;
      /** Not run: the sender hears a node alive that the DC counts as down (a one-way partition). */
      readonly differs?: boolean;
    }
  /** node -> DC: a recurring monitor running on the sender failed (rc other than 0, or rc 1 for a timeout/error). */
  | {
      readonly k: "monitor-failed";
      readonly rsc: string;
      readonly intervalMs: number;
      readonly rc: number;
      readonly reason: string;
    }
  /** Older form of `admin` op attr (still accepted): set (value null: remove) a permanent node attribute. */
  | { readonly k: "attr"; readonly node: string; readonly name: string; readonly value: string | null }
  /** any node -> DC: an administrative change (hbctl) for the DC to check and apply. */
  | { readonly k: "admin"; readonly req: AdminRequest; readonly rid?: number }
  /** DC -> node: the verdict on the `admin` request `rid` of that node. */
  | { readonly k: "admin-result"; readonly rid: number; readonly ok: boolean; readonly message: string };

/** Parses a received payload; undefined when it is not a CrmMessage. */
export function parseCrmMessage(payload: string): CrmMessage | undefined {
  let v: unknown;
  try {
    v = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof v !== "object" || v === null) return undefined;
  const m = v as Record<string, unknown>;
  const s = (k: string) => typeof m[k] === "string";
  const n = (k: string) => typeof m[k] === "number" && Number.isFinite(m[k]);
  switch (m.k) {
    case "sync":
      return s("cib") && (m.dc === null || s("dc")) ? (m as unknown as CrmMessage) : undefined;
    case "status":
      return s("base") &&
        n("numUpdates") &&
        s("cib") &&
        Array.isArray(m.removed) &&
        m.removed.every((x) => typeof x === "string")
        ? (m as unknown as CrmMessage)
        : undefined;
    case "sync-request":
      return m as unknown as CrmMessage;
    case "join-query":
      return m.j === undefined || n("j") ? (m as unknown as CrmMessage) : undefined;
    case "version":
      return s("v") && parseCibVersion(m.v as string) !== undefined
        ? (m as unknown as CrmMessage)
        : undefined;
    case "join-state":
      return parseLastActions(m.last) === undefined || !(m.j === undefined || n("j"))
        ? undefined
        : (m as unknown as CrmMessage);
    case "op":
      return n("tid") &&
        s("aid") &&
        s("rsc") &&
        s("op") &&
        n("intervalMs") &&
        typeof m.agent === "object" &&
        (m.tg === undefined || n("tg")) &&
        (m.down === undefined || (Array.isArray(m.down) && m.down.every((x) => typeof x === "string")))
        ? (m as unknown as CrmMessage)
        : undefined;
    case "result":
      return n("tid") && s("aid") && n("rc") && s("status") ? (m as unknown as CrmMessage) : undefined;
    case "monitor-failed":
      return s("rsc") && n("intervalMs") && n("rc") && s("reason") ? (m as unknown as CrmMessage) : undefined;
    case "attr":
      return s("node") && s("name") && (m.value === null || s("value"))
        ? (m as unknown as CrmMessage)
        : undefined;
    case "admin":
      return parseAdminRequest(m.req) === undefined || !(m.rid === undefined || n("rid"))
        ? undefined
        : (m as unknown as CrmMessage);
    case "admin-result":
      return n("rid") && typeof m.ok === "boolean" && s("message") ? (m as unknown as CrmMessage) : undefined;
    default:
      return undefined;
  }
}
