/**
 * Wires ipfail (daemon/ipfail.ts) into hbd: which ping nodes answer (the ping
 * monitors' up/down events), the num_ping_nodes messages, and what giving up
 * does: standby for this node in haresources mode (through the controller
 * between Tandem nodes, Heartbeat's standby request to a Heartbeat peer), the
 * `pingd` node attribute in CRM mode. ipfail's standby is marked (node
 * attribute `ipfail-standby`, set by the standby port) so that one left in the
 * CIB by a restart is lifted at start instead of holding the node forever.
 */
import type { ClusterConfig } from "../config/model.js";
import { classifyRespawn } from "../config/respawn.js";
import { freshWindowMs, PingTally } from "../membership/connectivity.js";
import { IpfailAgent } from "./ipfail.js";

/** The node attribute the count is published as in CRM mode (ocf:pacemaker:ping's default `name`). */
export const PINGD_ATTRIBUTE = "pingd";
/** Marks a standby set by ipfail (lifted at start: a give-up does not outlive hbd). */
export const IPFAIL_MARK = "ipfail-standby";
/** ipfail sleeps 10 s and recounts before taking the resources back. */
const RECOVER_AFTER_MS = 10_000;
/** How often a standby marked as ipfail's, with the rule not holding, is looked for (and lifted). */
const STALE_CHECK_MS = 1000;

export interface IpfailShellPorts {
  /** The node attribute name in CRM mode (hbd --pingd-attribute); default PINGD_ATTRIBUTE. */
  readonly pingdAttribute?: string;
  /** Sends num_ping_nodes (with Tandem's fresh count when given). */
  readonly sendNumPing: (count: number, fresh?: number) => boolean;
  /** A count from the peer equal to ours (see IpfailPorts.balanced). */
  readonly balanced?: (from: string) => void;
  /** Standby on/off for this node, marked as ipfail's; throws when it cannot be set now (no DC yet). */
  readonly standby: (on: boolean) => void;
  /** Given up: ask for standby again where idempotent (IpfailPorts.askAgain). */
  readonly askAgain?: () => void;
  /**
   * Whether the CIB shows this node in a standby marked as ipfail's: at start (one set before hbd
   * restarted), and while running with the rule not holding (a stale mark from an adopted copy).
   */
  readonly heldAtStart?: () => boolean;
  /** Sets this node's attribute; throws when it cannot be set now. */
  readonly setAttribute: (name: string, value: string) => void;
  readonly log: {
    info(fields: Record<string, unknown>, msg: string): void;
    warn(fields: Record<string, unknown>, msg: string): void;
  };
}

export interface IpfailShell {
  readonly agent: IpfailAgent;
  /**
   * A ping monitor's verdict for one ping node / group (up: a reply). A changed count is acted on
   * at once (sent to the peer, the rule fed) when `nowMs` is given, else at the next tick.
   */
  onPing(name: string, up: boolean, nowMs?: number): void;
  tick(nowMs: number): void;
}

/** Whether ha.cf has a `respawn ... ipfail` line. */
export function wantsIpfail(config: ClusterConfig): boolean {
  return (config.respawn ?? []).some((c) => classifyRespawn(c).kind === "ipfail");
}

/** Undefined when there is nothing to do: no ping nodes, or neither the rule nor CRM mode. */
export function startIpfail(config: ClusterConfig, ports: IpfailShellPorts): IpfailShell | undefined {
  const rule = wantsIpfail(config) && config.pacemaker === "off";
  const publish = config.pacemaker !== "off";
  if (config.pingNodes.length === 0 || (!rule && !publish)) return undefined;
  const reached = new PingTally();
  let pendingStandby: boolean | undefined;
  let staleCheckAtMs = Number.NEGATIVE_INFINITY;
  if (rule && ports.heldAtStart?.() === true) {
    // ipfail's give-up does not outlive hbd (as in Heartbeat): lift it; the fresh counts decide again.
    ports.log.warn({ event: "ipfail-recover" }, "ipfail: lifting the standby ipfail set before the restart");
    pendingStandby = false;
  }
  const k = config.timing.keepaliveMs;
  const agent = new IpfailAgent(
    {
      rule,
      publish,
      keepaliveMs: k,
      giveUpAfterMs: 2 * k,
      recoverAfterMs: RECOVER_AFTER_MS,
      freshWindowMs: freshWindowMs(config.timing.deadpingMs),
    },
    {
      reachable: () => reached.count,
      send: (n, fresh) => void ports.sendNumPing(n, fresh),
      fresh: (nowMs, windowMs) => reached.fresh(nowMs, windowMs),
      ...(ports.balanced === undefined ? {} : { balanced: ports.balanced }),
      ...(ports.askAgain === undefined ? {} : { askAgain: ports.askAgain }),
      standby: (on, why) => {
        ports.log.warn({ event: on ? "ipfail-giveup" : "ipfail-recover" }, `ipfail: ${why}`);
        pendingStandby = on;
      },
      publish: (n) => {
        try {
          ports.setAttribute(ports.pingdAttribute ?? PINGD_ATTRIBUTE, String(n));
        } catch {
          agent.republish();
        }
      },
      log: (msg, fields) => ports.log.info(fields, `ipfail: ${msg}`),
    },
  );
  return {
    agent,
    onPing(name, up, nowMs) {
      const before = reached.count;
      reached.note(name, up, nowMs ?? Number.NEGATIVE_INFINITY);
      if (nowMs !== undefined && reached.count !== before) agent.tick(nowMs);
    },
    tick(nowMs) {
      agent.tick(nowMs);
      // A mark with the rule not holding is stale: a copy of the CIB adopted from the peer can carry
      // a give-up this hbd lifted before it crashed (haresources simulator seed 64: n1 stayed in
      // standby with its peer dead, and nothing ran). Checked once a second.
      if (rule && pendingStandby === undefined && !agent.holding && nowMs >= staleCheckAtMs) {
        staleCheckAtMs = nowMs + STALE_CHECK_MS;
        if (ports.heldAtStart?.() === true) {
          ports.log.warn({ event: "ipfail-recover" }, "ipfail: lifting a standby ipfail no longer holds");
          pendingStandby = false;
        }
      }
      if (pendingStandby === undefined) return;
      try {
        ports.standby(pendingStandby);
        pendingStandby = undefined;
        staleCheckAtMs = nowMs + STALE_CHECK_MS; // the change reaches the CIB (via the DC) meanwhile
      } catch (e) {
        ports.log.warn({ event: "ipfail-standby-pending" }, `ipfail: ${(e as Error).message}; retrying`);
      }
    },
  };
}
