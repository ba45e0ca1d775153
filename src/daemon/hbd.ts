/**
 * One cluster node composed from ports: messaging and membership (node.ts),
 * the resource manager (controller.ts), Heartbeat's haresources resource
 * protocol for a Heartbeat peer (r1.ts) and ipfail (ipfail-shell.ts), wired
 * together as hbd runs them. It owns no socket, file, timer, clock, process
 * or randomness: daemon/main.ts passes the real adapters, sim/ its simulated
 * world (a seeded network, disk, agents and clock), so the simulator runs
 * exactly the code hbd runs.
 *
 * The shell's part: call `start()` once, `tick()` every `tickMs`, feed ping
 * monitors' verdicts to `onPing`, serve `report()` and `command()` on the
 * control socket, and at shutdown `beginShutdown()`, `releaseLocal()`,
 * `finishShutdown()`.
 */
import type { Clock, Logger, TimerPort } from "../base/ports.js";
import type { Prng } from "../base/prng.js";
import type { Cib } from "../cib/model.js";
import { nodeAttributes } from "../cib/query.js";
import type { Transport } from "../comm/transport.js";
import type { ClusterConfig } from "../config/model.js";
import { haresourcesGroupIds } from "../config/to-cib.js";
import { STONITH_PROVIDER } from "../exec/fence-devices.js";
import type { ActionRequest, ActionResult } from "../exec/types.js";
import type {
  CibShowResult,
  CommandResult,
  CrmReport,
  IpcMethod,
  ResourceProtocolReport,
  StatusReport,
} from "../ipc/protocol.js";
import { IpcRefusal } from "../ipc/protocol.js";
import type { MembershipEvent, PeerMark } from "../membership/types.js";
import type { AlertInput } from "./alerts.js";
import { dispatchCommand } from "./commands.js";
import { Controller, type CrmMessage, type FenceRequest, type FenceResult } from "./controller.js";
import { IPFAIL_MARK, type IpfailShell, startIpfail } from "./ipfail-shell.js";
import { HeartbeatNode, tickPeriodMs } from "./node.js";
import { encodeHold, HOLD_NAMES, holdFromRunning, R1Engine, type R1Group } from "./r1.js";

/** What the node is: fixed for the life of the process. */
export interface HbdInputs {
  readonly config: ClusterConfig;
  /** This node's name, lower case. */
  readonly localNode: string;
  /** `hg` of this run (the shell bumped it on disk before). */
  readonly generation: number;
  readonly uuid: Uint8Array;
  readonly version: string;
  /** The CIB at start (main.ts: stored, imported or converted from haresources). */
  readonly startCib: Cib;
  /** ocf:heartbeat types that run Tandem's own agent (resource-agents lacks them). */
  readonly shippedAgents: ReadonlySet<string>;
  /** Peers' (generation, seq) marks of the previous run (peer-marks.ts). */
  readonly peerMarks?: ReadonlyMap<string, PeerMark>;
  /** crm on: the node attribute ipfail's count is published as. */
  readonly pingdAttribute: string;
}

/** The state directory, as the node uses it. */
export interface HbdDisk {
  /** Persists the CIB after a configuration change; throws when it could not (the change is refused). */
  persistCib(cib: Cib): void;
  /** Saves a transition's policy input; returns where it went (for the log). */
  savePolicyInput?(cib: Cib, nowMs: number): string | undefined;
  /** Saves peers' high-water marks (rate-limited unless `force`). */
  savePeerMarks(marks: ReadonlyMap<string, PeerMark>, nowMs: number, force?: boolean): void;
}

export interface HbdPorts {
  /** Monotonic ms. */
  readonly clock: Clock;
  /** Unix ms (the wire's `ts`, the policy's `now`). */
  readonly wallClockMs: () => number;
  readonly timers: TimerPort;
  /** Media open at start; more come through addTransport. */
  readonly transports: readonly Transport[];
  readonly prng: Prng;
  /** Runs a resource agent action here. */
  readonly exec: (req: ActionRequest) => Promise<ActionResult>;
  /** Runs a stonith device's action (monitor/start of the device primitive) here. */
  readonly deviceOp?: (req: ActionRequest) => Promise<ActionResult>;
  /** Fences a node with one device. */
  readonly fence?: (req: FenceRequest) => Promise<FenceResult>;
  readonly disk: HbdDisk;
  readonly log: Logger;
  readonly loadavg?: () => string;
  /** Controller events for alert agents (alert-runner.ts in hbd); never awaited. */
  readonly alert?: (e: AlertInput) => void;
  /** Sees every CRM message this node sends (the simulator's op-to-member check). */
  readonly onCrmSend?: (msg: CrmMessage, dest: string | undefined) => void;
}

type Method = Exclude<IpcMethod, "status">;

/** An input gap of this many tick periods means hbd itself stalled (see MembershipOptions.stallGapMs). */
const STALL_GAP_TICKS = 4;

export class Hbd {
  readonly node: HeartbeatNode;
  readonly controller: Controller;
  readonly r1: R1Engine;
  readonly ipfail: IpfailShell | undefined;
  readonly tickMs: number;
  private readonly localNode: string;
  private readonly haresourcesMode: boolean;
  /** haresources group key -> the group's id in the converted CIB. */
  private readonly groupIdByKey: ReadonlyMap<string, string>;
  private readonly r1Groups: readonly R1Group[];
  /** Peers the controller has been told are alive: Tandem nodes only. */
  private readonly crmPeers = new Set<string>();
  private stopping = false;

  constructor(
    inputs: HbdInputs,
    private readonly ports: HbdPorts,
  ) {
    const { config, localNode } = inputs;
    this.localNode = localNode;
    this.haresourcesMode = config.pacemaker === "off";
    this.groupIdByKey = this.haresourcesMode ? haresourcesGroupIds(config.groups) : new Map();
    this.r1Groups = this.haresourcesMode ? config.groups.map((g) => ({ key: g.key, node: g.node })) : [];
    this.tickMs = tickPeriodMs(config.timing.keepaliveMs, config.timing.deadtimeMs);
    this.controller = this.makeController(inputs);
    this.r1 = this.makeR1(inputs);
    this.node = this.makeNode(inputs);
    this.ipfail = this.makeIpfail(inputs);
  }

  private makeController(inputs: HbdInputs): Controller {
    const { ports } = this;
    const { exec, deviceOp } = ports;
    return new Controller(
      {
        localNode: inputs.localNode,
        nodes: inputs.config.nodes,
        cib: inputs.startCib,
        shippedAgents: inputs.shippedAgents,
        dcWaitMs: Math.max(1000, 2 * inputs.config.timing.keepaliveMs),
      },
      {
        now: ports.wallClockMs,
        monotonic: () => ports.clock.now(),
        exec: (req) =>
          req.agent.provider === STONITH_PROVIDER && deviceOp !== undefined ? deviceOp(req) : exec(req),
        ...(ports.fence === undefined ? {} : { fence: ports.fence }),
        ...(ports.alert === undefined ? {} : { alert: ports.alert }),
        timers: ports.timers,
        send: (msg, dest) => {
          ports.onCrmSend?.(msg, dest);
          if (!this.node.sendCrm(JSON.stringify(msg), dest))
            ports.log.error(
              { event: "crm-send-failed", kind: msg.k, dest },
              `could not send a ${msg.k} message`,
            );
        },
        savePolicyInput: (cib, nowMs) => ports.disk.savePolicyInput?.(cib, nowMs),
        generationOf: (node) => this.node.generationOf(node),
        persist: (cib) => ports.disk.persistCib(cib), // throws on failure: the controller refuses the change
        log: ports.log,
      },
    );
  }

  private makeR1(inputs: HbdInputs): R1Engine {
    /** Clones (the warm director) run on every node whatever R1 decides, unless this node refuses resources. */
    const cloneIds = inputs.startCib.configuration.resources
      .filter((r) => r.kind === "clone")
      .map((r) => r.id);
    const r1: R1Engine = new R1Engine(
      {
        localNode: inputs.localNode,
        autoFailback: inputs.config.autoFailback,
        groups: this.r1Groups,
        crmMode: !this.haresourcesMode,
      },
      {
        send: (fields, dest) => {
          if (!this.node.sendLegacy(fields, dest))
            this.ports.log.error({ event: "r1-send-failed" }, "could not send a resource message");
        },
        hold: (keys, done) =>
          this.controller.setLegacyHold(
            keys === undefined
              ? undefined
              : new Set([
                  ...[...keys].map((k) => this.groupIdByKey.get(k) ?? k),
                  ...(r1.report().mode === "refused" ? [] : cloneIds),
                ]),
            done,
          ),
        stillHere: () => {
          // groups with a member running or failed here (a failed stop): not released (r1.ts)
          const crm = this.controller.report();
          const here = new Set<string>();
          for (const [key, id] of this.groupIdByKey)
            if (
              crm.resources.some(
                (x) =>
                  (x.group === id || x.id === id) &&
                  (x.running.includes(this.localNode) || x.failed.includes(this.localNode)),
              )
            )
              here.add(key);
          return here;
        },
        log: this.ports.log,
      },
    );
    return r1;
  }

  private makeNode(inputs: HbdInputs): HeartbeatNode {
    const { ports } = this;
    const { config } = inputs;
    return new HeartbeatNode(
      {
        config,
        localNode: inputs.localNode,
        generation: inputs.generation,
        uuid: inputs.uuid,
        version: inputs.version,
        stallGapMs: STALL_GAP_TICKS * this.tickMs,
        ...(inputs.peerMarks === undefined ? {} : { peerMarks: inputs.peerMarks }),
      },
      {
        transports: ports.transports,
        clock: ports.clock,
        wallClockMs: ports.wallClockMs,
        prng: ports.prng,
        log: ports.log,
        ...(ports.loadavg === undefined ? {} : { loadavg: ports.loadavg }),
        onEvent: (e) => this.onMembershipEvent(e),
        onEventBatch: (phase) =>
          phase === "begin" ? this.controller.beginEvents() : this.controller.endEvents(),
        onCrm: (from, payload) => this.controller.onMessage(from, payload),
        onLegacy: (from, fields) => this.r1.onMessage(from, fields, ports.clock.now()),
        onNumPing: (from, count, fresh) =>
          this.ipfail?.agent.onPeerCount(from, count, fresh, this.ports.clock.now()),
        onYouAreDead: (from) => this.ipfail?.agent.onToldFewer(from),
      },
    );
  }

  /** ipfail's rule / the pingd attribute; undefined without ping nodes. */
  private makeIpfail(inputs: HbdInputs): IpfailShell | undefined {
    const { controller, r1, localNode } = this;
    // Standby off first; the mark goes once the CIB shows it off (ipfail-shell's stale check lifts
    // again while the mark stays): sent together to the DC, a lost `standby=off` with the mark cleared
    // held the node in standby for good, and it ran nothing when its peer died (haresources seed 3266).
    const liftStandby = (): void => {
      if (nodeAttributes(controller.cib, localNode).standby === "on") controller.setStandby(localNode, false);
      else controller.setAttribute(localNode, IPFAIL_MARK, "off");
    };
    return startIpfail(inputs.config, {
      pingdAttribute: inputs.pingdAttribute,
      sendNumPing: (n, fresh) => this.node.sendNumPing(n, fresh),
      // a Heartbeat peer: as its ipfail, balanced counts with auto_failback on give our foreign groups back
      balanced: () => {
        const holds = r1.report().rscstatus;
        if (r1.restricted && inputs.config.autoFailback === "on" && (holds === "foreign" || holds === "all"))
          r1.requestStandby(encodeHold("foreign") as NonNullable<ReturnType<typeof encodeHold>>);
      },
      // given up, R1 deciding: the standby request may have been deferred or cancelled; ask again
      askAgain: () => {
        if (r1.restricted && r1.report().held.length > 0)
          r1.requestStandby(encodeHold("all") as NonNullable<ReturnType<typeof encodeHold>>);
      },
      standby: (on) => {
        if (r1.restricted) {
          // asked again on every you_are_dead while given up: only while resources still run here
          if (on && r1.report().held.length > 0)
            r1.requestStandby(encodeHold("all") as NonNullable<ReturnType<typeof encodeHold>>);
          // a give-up made before the peer counted as a Heartbeat peer went to the controller: lift it
          if (!on && nodeAttributes(controller.cib, localNode)[IPFAIL_MARK] === "on") liftStandby();
          return;
        }
        if (on) {
          controller.setAttribute(localNode, IPFAIL_MARK, "on");
          controller.setStandby(localNode, true);
        } else liftStandby();
      },
      heldAtStart: () => nodeAttributes(controller.cib, localNode)[IPFAIL_MARK] === "on",
      setAttribute: (name, value) => void controller.setAttribute(localNode, name, value),
      log: this.ports.log,
    });
  }

  /** Routes membership: Tandem peers to the controller, Heartbeat peers to the resource protocol only. */
  private onMembershipEvent(e: MembershipEvent): void {
    const now = this.ports.clock.now();
    const { controller, r1 } = this;
    if (e.kind === "node-status" && e.node !== this.localNode) {
      if (e.status === "dead") this.ports.disk.savePeerMarks(this.node.peerMarks(), now, true);
      const kind = this.node.peerKind(e.node);
      const alive = e.status !== "dead";
      if (alive && kind === "tandem") {
        this.crmPeers.add(e.node);
        controller.onMembership(e);
      } else if (!alive && (this.crmPeers.has(e.node) || kind !== "heartbeat")) {
        this.crmPeers.delete(e.node);
        controller.onMembership(e);
      } else if (alive && this.crmPeers.has(e.node)) {
        // Back as a Heartbeat node (a rollback): the controller stops counting on it.
        this.crmPeers.delete(e.node);
        controller.onMembership({ ...e, status: "dead", cause: "shutdown" });
      }
      r1.onPeer(e.node, alive, kind, now, e.cause === "shutdown", e.cause === "returned-after-partition");
      if (alive) this.ipfail?.agent.onPeerUp();
      else this.ipfail?.agent.onPeerGone();
      if (e.status === "active" && kind === "heartbeat") r1.onPeerActive(now);
      return;
    }
    controller.onMembership(e);
    if (e.kind === "link-status" && e.node !== this.localNode && e.status === "dead")
      this.ipfail?.agent.onLinkDead();
    if (e.kind === "local-status") {
      if (e.status === "active") r1.onLocalActive(now);
      else r1.onLocalInactive(now);
    }
  }

  /** Registers the frame handlers and sends the first status. */
  start(): void {
    this.node.start();
  }

  addTransport(t: Transport): void {
    this.node.addTransport(t);
  }

  /** A ping monitor's verdict on a ping node or group. */
  onPing(name: string, up: boolean): void {
    this.node.onPing(name, up);
    this.ipfail?.onPing(name, up, this.ports.clock.now());
  }

  /** One turn of the tick loop (every `tickMs`). */
  tick(): void {
    const now = this.ports.clock.now();
    this.node.tick();
    this.ipfail?.tick(now);
    this.ports.disk.savePeerMarks(this.node.peerMarks(), now);
    this.controller.tick();
    this.r1.tick(now);
  }

  /** `hbctl status`: messaging, the resource manager and the resource protocol. */
  report(pid: number): StatusReport {
    const crm = this.controller.report();
    return { ...this.node.report(pid), crm, legacy: this.legacyReport(crm) };
  }

  /** Every hbctl method but status. Throws IpcRefusal to refuse. */
  command(
    method: Method,
    params: Readonly<Record<string, string>>,
  ): CommandResult | CibShowResult | Promise<CommandResult> {
    if (this.r1.restricted && (method === "standby" || method === "takeover" || method === "online"))
      return this.legacyCommand(method, params);
    const result = dispatchCommand(this.controller, this.localNode, method, params, {
      haresources: this.haresourcesMode,
    });
    // Once the failures are cleared: a give-up they cancelled is done again (r1.ts onCleanup).
    if (method === "resource" && params.op === "cleanup") this.r1.onCleanup(this.ports.clock.now());
    return result;
  }

  /**
   * The resource protocol's report; when the CRM decides (alone, or a Tandem
   * peer), rscstatus comes from what actually runs here, as cl_status would say it.
   */
  private legacyReport(crm: CrmReport): ResourceProtocolReport {
    const r = this.r1.report();
    if (r.mode === "heartbeat-peer" || r.mode === "refused" || !this.haresourcesMode) return r;
    const runsHere = (key: string): boolean => {
      const id = this.groupIdByKey.get(key);
      const members = crm.resources.filter((x) => x.group === id);
      return members.length > 0 && members.every((x) => x.running.includes(this.localNode));
    };
    const mask = holdFromRunning(this.r1Groups, this.localNode, runsHere);
    return { ...r, rscstatus: crm.busy ? "transition" : HOLD_NAMES[mask] };
  }

  /** hbctl standby|takeover|online with a Heartbeat peer: Heartbeat's hb_standby / hb_takeover (r1.ts). */
  private legacyCommand(method: string, params: Readonly<Record<string, string>>): CommandResult {
    const peer = this.r1.report().peer ?? "the peer";
    if (method === "online")
      throw new IpcRefusal(
        `${peer} runs Heartbeat: standby is Heartbeat's hb_standby protocol there is no 'online' for; use hbctl takeover`,
        "refused",
      );
    if (params.node !== undefined && params.node.toLowerCase() !== this.localNode)
      throw new IpcRefusal(`${peer} runs Heartbeat: run hb_standby on ${params.node} itself`, "refused");
    const which = params.which ?? "all";
    const mask = encodeHold(which === "failback" ? (method === "standby" ? "foreign" : "all") : which);
    if (mask === undefined)
      throw new IpcRefusal(`${method}: ${which} is not one of all, foreign, local, failback`, "refused");
    const refused = method === "standby" ? this.r1.requestStandby(mask) : this.r1.requestTakeover(mask);
    if (refused !== undefined) throw new IpcRefusal(`${method}: ${refused}`, "refused");
    return {
      message:
        method === "standby"
          ? `going standby [${which}]: Heartbeat's standby request sent; ${peer} takes the groups over`
          : `taking over [${which}]: asked ${peer} (Heartbeat) to go standby`,
    };
  }

  /** Shutdown, first step: the resource protocol announces it (Heartbeat's shutdown). */
  beginShutdown(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.r1.onShutdown();
  }

  /** Shutdown, second step: stops this node's resources; resolves to the stops' results. */
  releaseLocal(): Promise<ActionResult[]> {
    return this.controller.releaseLocal();
  }

  /** Shutdown, last step: the goodbye messages, and the peers' marks saved. */
  finishShutdown(): void {
    this.node.shutdown();
    this.ports.disk.savePeerMarks(this.node.peerMarks(), this.ports.clock.now(), true);
  }
}
