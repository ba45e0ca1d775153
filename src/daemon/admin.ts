/**
 * Administrative changes (controller.ts composes it): hbctl resource|cib
 * apply|standby|takeover and node attributes (standby, ipfail's pingd count).
 * A change is checked against this node's copy of the CIB (cib-edit.ts
 * planAdmin), then applied here when this node is the DC, else handed to the
 * DC (`admin`, whose verdict admin-forward.ts waits for; an attribute as an
 * unnumbered `attr` request). The DC checks a peer's request again against
 * its own copy. A configuration change is saved first and applied only once
 * saved: when the save fails (a full disk) the change is refused, never
 * acknowledged and then lost at the next restart.
 */

import type { Cib } from "../cib/model.js";
import { serializeCib } from "../cib/serialize.js";
import type { TimerPort } from "../exec/types.js";
import { type AdminRequest, type CibShowResult, type CommandResult, IpcRefusal } from "../ipc/protocol.js";
import { AdminForward } from "./admin-forward.js";
import { type AdminPlan, cibCounts, planAdmin } from "./cib-edit.js";
import { formatCibVersion } from "./cib-version.js";
import { setNodeAttribute } from "./crm-cib.js";
import type { CrmMessage } from "./crm-messages.js";
import type { NodeLogger } from "./node.js";

/** What administration needs of its node (the controller, its election and replication). */
export interface AdminPorts {
  readonly localNode: string;
  /** Configured member nodes. */
  readonly nodes: readonly string[];
  readonly log: NodeLogger;
  readonly send: (msg: CrmMessage, dest: string) => void;
  readonly timers: TimerPort;
  cib(): Cib;
  isDc(): boolean;
  dc(): string | undefined;
  /** Saves and applies a configuration change (epoch + 1); returns why it could not be saved. */
  commitConfig(cib: Cib): string | undefined;
  /** Applies a change (saved when configuration, logged if the save fails) and replicates it. */
  set(cib: Cib, kind: "config" | "status"): void;
  /** The DC's input changed: schedule again. */
  changed(): void;
  /** Runs the policy on the next turn of the loop (after the answer went out). */
  kickSoon(): void;
}

export class Admin {
  /** hbctl changes handed to the DC, waiting for its verdict (admin-forward.ts). */
  private readonly forwarded: AdminForward;

  constructor(private readonly ports: AdminPorts) {
    this.forwarded = new AdminForward({ timers: ports.timers, send: (m, dc) => ports.send(m, dc) });
  }

  /**
   * Sets a node attribute: the DC applies it once saved; elsewhere it is handed to the DC.
   * Throws when the node is unknown, the save failed or there is no DC.
   */
  setAttribute(node: string, name: string, value: string): CommandResult {
    const p = this.ports;
    const n = node.toLowerCase();
    if (!p.nodes.includes(n)) throw new Error(`${node} is not a cluster node`);
    if (p.isDc()) {
      // Acknowledged only once durable (found by the whole-cluster simulator, seed 1: a crash during
      // the write left standby unsaved while hbctl had been told it was set).
      const failed = p.commitConfig(setNodeAttribute(p.cib(), n, name, value));
      if (failed !== undefined)
        throw new Error(`the CIB could not be saved (${failed}); ${name}=${value} was not set`);
      p.log.info({ event: "attribute", node: n, name, value }, `${n}: ${name}=${value}`);
      p.kickSoon();
      return { message: `${name}=${value} set for ${n}` };
    }
    const dc = p.dc();
    if (dc === undefined) throw new Error("no DC elected yet; try again in a moment");
    p.send({ k: "admin", req: { op: "attr", node: n, name, value } }, dc);
    return { message: `${name}=${value} for ${n} handed to the DC ${dc}` };
  }

  /** DC: a node attribute set by a peer (an `attr` message; `value` undefined removes it). */
  onAttribute(node: string, name: string, value: string | undefined): void {
    this.ports.log.info(
      { event: "attribute", node, name, value },
      `${node}: ${name}=${value ?? "(removed)"}`,
    );
    this.ports.set(setNodeAttribute(this.ports.cib(), node, name, value), "config");
    this.ports.changed();
  }

  /**
   * An administrative change: a refusal throws IpcRefusal "refused" with the reason; applied here on the
   * DC, else handed to the DC, whose verdict the answer waits for. IpcRefusal "unavailable" without a DC.
   */
  admin(req: AdminRequest): CommandResult | Promise<CommandResult> {
    const p = this.ports;
    const plan = planAdmin(p.cib(), req, { nodes: p.nodes });
    if (!plan.ok) throw new IpcRefusal(plan.reason, "refused");
    if (p.isDc()) {
      const failed = this.apply(plan, p.localNode, req.op);
      if (failed !== undefined) throw new IpcRefusal(failed, "refused");
      p.kickSoon();
      return { message: plan.message };
    }
    const dc = p.dc();
    if (dc === undefined) throw new IpcRefusal("no DC elected yet; try again in a moment", "unavailable");
    // The DC answers with its verdict (its copy of the CIB may differ from ours); an older DC never does.
    return this.forwarded.forward(req, plan.message, dc);
  }

  /** The DC's verdict on a change handed to it. */
  onVerdict(from: string, rid: number, ok: boolean, message: string): void {
    this.forwarded.verdict(from, rid, ok, message);
  }

  /** DC: an admin request from a peer, checked against our copy; its verdict is sent back when numbered. */
  onRequest(from: string, req: AdminRequest, rid?: number): void {
    const p = this.ports;
    const plan = planAdmin(p.cib(), req, { nodes: p.nodes });
    const verdict = (ok: boolean, message: string) => {
      if (rid !== undefined) p.send({ k: "admin-result", rid, ok, message }, from);
    };
    if (!plan.ok) {
      p.log.warn(
        { event: "admin-refused", peer: from, op: req.op, reason: plan.reason },
        `refused ${req.op} from ${from}: ${plan.reason}`,
      );
      verdict(false, plan.reason);
      return;
    }
    const failed = this.apply(plan, from, req.op);
    verdict(failed === undefined, failed ?? plan.message);
  }

  /** Applies an accepted change; a configuration change only once saved. Returns why it was refused. */
  private apply(plan: Extract<AdminPlan, { ok: true }>, from: string, op: string): string | undefined {
    const p = this.ports;
    if (plan.cib !== undefined && plan.kind === "config") {
      const failed = p.commitConfig(plan.cib);
      if (failed !== undefined) {
        const reason = `the CIB could not be saved on the DC ${p.localNode} (${failed}); the change was not applied`;
        p.log.error({ event: "admin-refused", op, origin: from, reason }, reason);
        return reason;
      }
      p.log.info({ event: "admin", op, origin: from, changed: true }, plan.message);
      return undefined;
    }
    p.log.info({ event: "admin", op, origin: from, changed: plan.cib !== undefined }, plan.message);
    if (plan.cib === undefined) return undefined;
    p.set(plan.cib, plan.kind);
    p.changed();
    return undefined;
  }

  /** `hbctl cib show`: this node's copy of the CIB. */
  cibShow(): CibShowResult {
    const c = this.ports.cib();
    const dc = this.ports.dc();
    return {
      xml: serializeCib(c),
      version: formatCibVersion(c),
      adminEpoch: c.adminEpoch,
      epoch: c.epoch,
      numUpdates: c.numUpdates,
      ...(dc === undefined ? {} : { dc }),
      counts: cibCounts(c),
    };
  }
}
