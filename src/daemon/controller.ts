/**
 * The controller (Pacemaker's controld, reduced): one per node, deterministic
 * like node.ts. It owns no timer, socket or file: membership events come in
 * through `onMembership`, peer messages through `onMessage`, the shell calls
 * `tick()` from its loop, and it acts through ports (local executor, sending
 * a message, persisting the CIB, clocks).
 *
 * It is the composition of its concerns, each a module with explicit ports:
 * - election.ts: who the DC is (start-up wait for a claim, lowest active
 *   name, two DCs that meet keep the lower name);
 * - cib-replication.ts: this node's CIB, its saving and replication (sync,
 *   status updates, resync, version announcements);
 * - transition-runner.ts: the DC's transitions (schedule, run the graph
 *   locally or as `op` messages, record results, fencing actions, run budget);
 * - join-coordinator.ts (with join.ts and join-wait.ts): what every node
 *   last ran, asked by a DC before it decides;
 * - op-server.ts: the receiving side of the DC's actions; local-ops.ts: what
 *   runs on this node (recurring monitors included); monitor-failures.ts:
 *   failed recurring monitors reported to and recorded by the DC;
 * - admin.ts (with admin-forward.ts): hbctl changes and node attributes;
 *   policy-input.ts: quorum and the resource protocol's bans.
 * What stays here: membership (active, present, unclean and fenced nodes),
 * the DC's status section on membership changes and on taking over, message
 * dispatch, manual fencing, the clean shutdown (releaseLocal) and `kick()`,
 * which runs due work in order: replication first, then a due transition,
 * then replication again.
 *
 * The DC keeps the status section: node_state from membership (a node that
 * dies or joins has its resource history cleared, so it is probed again; a
 * node that restarts, active -> init, keeps it until it is active again, so
 * its running resources are adopted by the probe instead of moved).
 *
 * Messages are JSON (`CrmMessage`) carried in field `crm` of `t=tandem-crm`.
 */

import type { Cib } from "../cib/model.js";
import { clusterOptions } from "../cib/query.js";
import { runTransition } from "../exec/graph.js";
import type { ActionRequest, ActionResult, TimerPort } from "../exec/types.js";
import {
  type AdminRequest,
  type CibShowResult,
  type CommandResult,
  type CrmReport,
  IpcRefusal,
} from "../ipc/protocol.js";
import type { MembershipEvent } from "../membership/types.js";
import { schedule } from "../policy/schedule.js";
import type { Transition } from "../policy/types.js";
import { Admin } from "./admin.js";
import type { AlertInput } from "./alerts.js";
import { CibReplication } from "./cib-replication.js";
import { formatCibVersion } from "./cib-version.js";
import { nodeFenced, nodeMembership, nodeReports, resourceReports, setNodeAttribute } from "./crm-cib.js";
import { type CrmMessage, parseCrmMessage } from "./crm-messages.js";
import { aliveButDownForDc, downNodes, Election } from "./election.js";
import { type FenceRequest, type FenceResult, fenceWithDevices } from "./fencing.js";
import { JoinCoordinator } from "./join-coordinator.js";
import { LocalOps } from "./local-ops.js";
import { MonitorFailures } from "./monitor-failures.js";
import { type NodeLogger, silentLogger } from "./node.js";
import { OpServer } from "./op-server.js";
import { haveQuorum, policyInput } from "./policy-input.js";
import { PSEUDO_AGENT, toGraph } from "./transition-graph.js";
import { TransitionRunner } from "./transition-runner.js";

export { type CrmMessage, type FenceRequest, type FenceResult, parseCrmMessage };

export interface ControllerPorts {
  /** Wall-clock ms since the epoch (the policy's `now`, operation timestamps). */
  readonly now: () => number;
  /** Monotonic ms (waits and timeouts). */
  readonly monotonic: () => number;
  /** Runs one action on this node; should not reject. */
  readonly exec: (req: ActionRequest) => Promise<ActionResult>;
  /** Sends a message to one peer, or to all when `dest` is undefined. */
  readonly send: (msg: CrmMessage, dest?: string) => void;
  /** Timers for recurring monitors (real timers in hbd, a fake clock under test). */
  readonly timers: TimerPort;
  /**
   * Persists the CIB after a configuration change; throws when it could not
   * (a full disk): an administrative change is then refused and not applied.
   */
  readonly persist?: (cib: Cib) => void;
  /**
   * Saves the policy input of a transition that has actions (the CIB and the
   * policy clock it was scheduled at); returns where it went, for the log.
   */
  readonly savePolicyInput?: (cib: Cib, nowMs: number) => string | undefined;
  /**
   * Runs one fence device's agent against `target` (hbd: exec/fence.ts).
   * Without it every fencing fails.
   */
  readonly fence?: (req: FenceRequest) => Promise<FenceResult>;
  readonly log?: NodeLogger;
  /** Cluster events for alert agents (alert-runner.ts); must return at once and never throw. */
  readonly alert?: (e: AlertInput) => void;
  /** A node's heartbeat generation (this node's own too), as membership knows it; undefined if unknown. */
  readonly generationOf?: (node: string) => number | undefined;
}

export interface ControllerOptions {
  readonly localNode: string;
  /** Configured member nodes. */
  readonly nodes: readonly string[];
  /** The CIB at start (loaded or converted from haresources). */
  readonly cib: Cib;
  /** ocf:heartbeat agents run from Tandem's own resource.d when not installed (see crm-cib.ts agentFor). */
  readonly shippedAgents?: ReadonlySet<string>;
  /** How long a starting node waits for a DC claim before electing. Default 1000 ms. */
  readonly dcWaitMs?: number;
  /** Added to an operation's timeout before a remote action counts as lost. Default 5000 ms. */
  readonly opMarginMs?: number;
  /** Transitions in a row without an outside change before the DC gives up. Default 20. */
  readonly maxRuns?: number;
  /** First wait after a failed fencing before the next transition, doubled per failure. Default 1000 ms. */
  readonly fenceRetryMinMs?: number;
  /** Longest wait between fencing attempts. Default 30000 ms. */
  readonly fenceRetryMaxMs?: number;
  /** Failed fencings of one node in a row before waiting for an outside change. Default 10. */
  readonly fenceMaxAttempts?: number;
}

export class Controller {
  readonly localNode: string;
  private readonly log: NodeLogger;
  private readonly active = new Set<string>();
  /** Peers heard and not dead (init, up or active). */
  private readonly present = new Set<string>();
  private localActive = false;
  private eventBatch = 0;
  private settleDue = false;
  private readonly dcWaitMs: number;
  private readonly shipped: ReadonlySet<string>;
  /** What runs on this node: actions in flight, its last action per resource, recurring monitors. */
  private readonly local: LocalOps;
  /** Runs and answers the DC's actions on this node (op-server.ts). */
  private readonly opServer: OpServer;
  /** The DC's transitions: schedule, run the graph, record the results (transition-runner.ts). */
  private readonly runner: TransitionRunner;
  /** What every node last ran, asked by a DC before it decides (join-coordinator.ts). */
  private readonly join: JoinCoordinator;
  /** Who the DC is (election.ts). */
  private readonly election: Election;
  /** This node's CIB and its replication (cib-replication.ts). */
  private readonly repl: CibReplication;
  /** Failed recurring monitors: reported to the DC, recorded by it (monitor-failures.ts). */
  private readonly monitorFailures: MonitorFailures;
  /** hbctl changes: applied on the DC, handed to it elsewhere (admin.ts). */
  private readonly adminOps: Admin;
  /** Nodes lost from membership without a clean shutdown (and not fenced since). */
  private readonly unclean = new Set<string>();
  /** Nodes declared dead at start-up without ever being heard (initdead): unclean when startup-fencing. */
  private readonly unseen = new Set<string>();
  /** Nodes this node fenced (or saw fenced) since they were last active: their loss is clean. */
  private readonly fencedNodes = new Set<string>();
  /**
   * Mixed pair with a Heartbeat peer (r1.ts): the top-level resources this
   * node may run; every other one is banned here. Undefined: no restriction.
   */
  private legacyHold: ReadonlySet<string> | undefined;
  /** Called once the controller is idle after the last setLegacyHold(). */
  private holdWaiters: (() => void)[] = [];

  constructor(
    private readonly options: ControllerOptions,
    private readonly ports: ControllerPorts,
  ) {
    this.localNode = options.localNode.toLowerCase();
    this.log = ports.log ?? silentLogger;
    this.dcWaitMs = options.dcWaitMs ?? 1000;
    this.shipped = options.shippedAgents ?? new Set();
    this.repl = this.newReplication(options.cib, ports);
    this.opServer = new OpServer({
      ...this.common(),
      generationOf: ports.generationOf,
      dc: () => this.election.dc,
      releasing: () => this.runner.releasing,
      isActive: (n) => this.active.has(n),
      aliveButDownForDc: (dc) => aliveButDownForDc(this.repl.cib, this.active, dc),
      fenceHere: (t, a) => this.fenceHere(t, a),
      execHere: (req) => this.execHere(req),
    });
    this.adminOps = new Admin({
      ...this.common(),
      nodes: options.nodes,
      timers: ports.timers,
      cib: () => this.repl.cib,
      isDc: () => this.isDc,
      dc: () => this.election.dc,
      commitConfig: (cib) => this.repl.commitConfig(cib),
      set: (cib, kind) => this.repl.set(cib, kind),
      changed: () => this.changed(),
      kickSoon: () => this.kickSoon(),
    });
    this.local = new LocalOps({
      localNode: this.localNode,
      exec: (req) => this.ports.exec(req),
      timers: ports.timers,
      alert: ports.alert,
      onRecurring: (r) => this.monitorFailures.onResult(r),
    });
    this.runner = this.newRunner(options, ports);
    this.join = new JoinCoordinator({
      ...this.common(),
      now: ports.now,
      monotonic: ports.monotonic,
      dcWaitMs: this.dcWaitMs,
      shipped: this.shipped,
      local: this.local,
      cib: () => this.repl.cib,
      setStatus: (cib) => this.repl.set(cib, "status"),
      isDc: () => this.isDc,
      livePeers: () => [...new Set([...this.active, ...this.present])],
      changed: () => this.changed(),
      kick: () => this.kick(),
    });
    this.election = this.newElection(ports);
    this.monitorFailures = new MonitorFailures({
      ...this.common(),
      now: ports.now,
      alert: ports.alert,
      reported: this.local.reportedFailures,
      notRunning: (rsc) => this.local.notRunning(rsc),
      cib: () => this.repl.cib,
      setStatus: (cib) => this.repl.set(cib, "status"),
      isDc: () => this.isDc,
      dc: () => this.election.dc,
      isActive: (n) => this.active.has(n),
      changed: () => this.changed(),
      kick: () => this.kick(),
    });
  }

  /** What every part that speaks to peers gets: who we are, where to log, how to send. */
  private common(): { localNode: string; log: NodeLogger; send: (m: CrmMessage, dest?: string) => void } {
    return { localNode: this.localNode, log: this.log, send: (m, dest) => this.ports.send(m, dest) };
  }

  private newReplication(cib: Cib, ports: ControllerPorts): CibReplication {
    return new CibReplication(
      {
        ...this.common(),
        persist: ports.persist,
        dc: () => this.election.dc,
        isDc: () => this.isDc,
        localActive: () => this.localActive,
        heardSync: (from, dc) => this.election.onSync(from, dc),
        fromOtherDc: (from) => this.election.fromOtherDc(from),
        changed: () => this.changed(),
      },
      cib,
    );
  }

  private newElection(ports: ControllerPorts): Election {
    return new Election({
      ...this.common(),
      monotonic: ports.monotonic,
      dcWaitMs: this.dcWaitMs,
      localActive: () => this.localActive,
      isActive: (n) => this.active.has(n),
      activeNodes: () => this.active,
      hearsPeers: () => this.present.size > 0,
      becameDc: () => this.takeOver(),
      keptDc: (other) => this.keepDc(other),
      abdicated: () => this.runner.drop(),
      kick: () => this.kick(),
    });
  }

  private newRunner(options: ControllerOptions, ports: ControllerPorts): TransitionRunner {
    return new TransitionRunner(
      {
        ...this.common(),
        now: ports.now,
        monotonic: ports.monotonic,
        generationOf: ports.generationOf,
        savePolicyInput: ports.savePolicyInput,
        shipped: this.shipped,
        cib: () => this.repl.cib,
        setStatus: (cib) => this.repl.set(cib, "status"),
        policyInput: (cib) =>
          policyInput(cib, haveQuorum(this.options.nodes, this.active), this.localNode, this.legacyHold),
        isDc: () => this.isDc,
        isActive: (n) => this.active.has(n),
        activeNodes: () => this.active,
        downNodes: () => downNodes(this.options.nodes, this.localNode, this.active),
        execHere: (req) => this.execHere(req),
        fenceHere: (t, a) => this.fenceHere(t, a),
        fenced: (t) => {
          this.unclean.delete(t);
          this.fencedNodes.add(t);
        },
        claimTo: (n) => this.repl.sendSync(n),
        kick: () => this.kick(),
      },
      {
        opMarginMs: options.opMarginMs ?? 5000,
        maxRuns: options.maxRuns ?? 20,
        viewHoldMs: this.dcWaitMs,
        fenceRetryMinMs: options.fenceRetryMinMs,
        fenceRetryMaxMs: options.fenceRetryMaxMs,
        fenceMaxAttempts: options.fenceMaxAttempts,
      },
    );
  }

  /** Last transition (for logs and tests). */
  get lastTransition(): Transition | undefined {
    return this.runner.lastTransition;
  }

  /** Keys (`rsc_monitor_interval`) of the recurring monitors running on this node, for logs and tests. */
  get recurringMonitors(): string[] {
    return this.local.monitorKeys;
  }

  get cib(): Cib {
    return this.repl.cib;
  }

  get dc(): string | undefined {
    return this.election.dc;
  }

  get isDc(): boolean {
    return this.election.isDc;
  }

  /** No transition running and nothing left to schedule. */
  get idle(): boolean {
    return !this.runner.running && !(this.isDc && this.runner.dirty);
  }

  // ------------------------------------------------------------ inputs

  /**
   * The membership events of one step follow (hbd): the election and the next transition wait for
   * the last of them. Seed 592: two nodes lost in one step; the new DC sent an op to the second
   * before it heard that one was lost too.
   */
  beginEvents(): void {
    this.eventBatch++;
  }

  endEvents(): void {
    this.eventBatch = Math.max(0, this.eventBatch - 1);
    if (this.eventBatch > 0 || !this.settleDue) return;
    this.settleDue = false;
    this.election.elect();
    this.kick();
  }

  onMembership(e: MembershipEvent): void {
    if (e.kind === "local-status") {
      this.localActive = e.status === "active";
      if (!this.localActive) this.cancelMonitors();
      if (this.localActive) for (const p of this.active) this.repl.sendSync(p);
    } else if (e.kind === "node-status" && e.node !== this.localNode) {
      const lost = e.status === "dead";
      const wasPresent = this.present.has(e.node);
      // Lost without shutdone (deadtime): unclean, unless we know it was fenced.
      const clean = !lost || e.cause === "shutdown" || this.fencedNodes.has(e.node);
      if (lost && !clean) this.unclean.add(e.node);
      else this.unclean.delete(e.node);
      if (lost && e.cause === "initdead") this.unseen.add(e.node);
      else this.unseen.delete(e.node);
      if (lost || e.cause === "restart") {
        this.opServer.forget(e.node);
        this.repl.forget(e.node); // its numbering may start over
      }
      if (lost || e.status === "active") this.fencedNodes.delete(e.node);
      if (lost) {
        this.present.delete(e.node);
        if (this.join.forget(e.node)) this.kick(); // nothing to wait for from a lost node
      } else this.present.add(e.node);
      const was = this.active.has(e.node);
      const now = e.status === "active";
      if (now !== was) this.ports.alert?.({ kind: "node", node: e.node, state: now ? "member" : "lost" });
      if (now && !was) {
        this.active.add(e.node);
        if (this.localActive) this.repl.sendSync(e.node);
      } else if (!now && was) {
        this.active.delete(e.node);
        this.runner.failPendingOn(e.node, `node ${e.node} left the membership`);
        this.election.lost(e.node);
      }
      // A node that restarts (active -> init/up) keeps its recorded resources until it is active
      // again and probed, so a restarted hbd adopts them; only a dead node's resources count as stopped.
      if (this.isDc && ((now && !was) || (lost && (was || wasPresent)))) {
        this.repl.set(nodeMembership(this.repl.cib, e.node, now, clean), "status");
        this.changed();
        // A node that joins tells what it ran before we decide, as Pacemaker's join uploads the node's
        // resource history: it may still be ending what another DC asked of it (seed 9937: n2 was
        // stopping g1 for its own transition when n1's probe found g1 running, and n1 started g2 there).
        if (now) this.join.ask([e.node]);
      }
    } else return;
    if (this.eventBatch > 0) {
      this.settleDue = true; // decided once the step's last event is in (endEvents)
      return;
    }
    this.election.elect();
    this.kick();
  }

  /** A payload received from `from` (field `crm` of a tandem-crm message). */
  onMessage(from: string, payload: string): void {
    const msg = parseCrmMessage(payload);
    if (msg === undefined) {
      this.log.warn(
        { event: "crm-malformed", peer: from },
        `unreadable resource manager message from ${from}`,
      );
      return;
    }
    switch (msg.k) {
      case "sync":
        this.repl.onSync(from, msg.dc, msg.cib);
        break;
      case "status":
        this.repl.onStatusUpdate(from, msg);
        break;
      case "join-query":
        void this.join.answer(from, msg.j);
        break;
      case "version":
        this.repl.onVersion(from, msg.v);
        break;
      case "join-state":
        if (this.isDc) this.join.onAnswer(from, msg.j, msg.last);
        break;
      case "sync-request":
        if (this.isDc) this.repl.sendSync(from);
        else if (from === this.election.dc) this.election.notDc(from);
        // Not the DC: our sync names the one we follow, so the asker can follow it too (seed 5423).
        else if (this.election.dc !== undefined && this.localActive) this.repl.sendSync(from);
        break;
      case "op":
        void this.opServer.onOp(from, msg);
        break;
      case "result":
        this.runner.onResult(from, msg);
        break;
      case "monitor-failed":
        if (this.isDc) this.monitorFailures.failed(from, msg.rsc, msg.intervalMs, msg.rc, msg.reason);
        break;
      case "attr":
        if (this.isDc) this.adminOps.onAttribute(msg.node, msg.name, msg.value ?? undefined);
        break;
      case "admin":
        if (this.isDc) this.adminOps.onRequest(from, msg.req, msg.rid);
        break;
      case "admin-result":
        this.adminOps.onVerdict(from, msg.rid, msg.ok, msg.message);
        break;
    }
    this.kick();
  }

  /**
   * Restricts this node to the top-level resources `ids` (undefined: no
   * restriction), as Heartbeat's resource protocol decided (r1.ts); `done`
   * runs once no transition is running and nothing is left to schedule.
   */
  setLegacyHold(ids: ReadonlySet<string> | undefined, done: () => void): void {
    const before = this.legacyHold;
    const same =
      before === ids ||
      (before !== undefined &&
        ids !== undefined &&
        before.size === ids.size &&
        [...ids].every((i) => before.has(i)));
    this.legacyHold = ids;
    this.holdWaiters.push(done);
    if (!same) {
      this.log.info(
        { event: "legacy-hold", resources: ids === undefined ? null : [...ids].sort() },
        ids === undefined
          ? "resource protocol: no restriction (the CRM decides)"
          : `resource protocol: this node may run ${ids.size === 0 ? "nothing" : [...ids].sort().join(", ")}`,
      );
      this.changed();
    }
    this.kick();
  }

  /** Due work: the DC wait, lost remote actions, a recheck (failure-timeout), a pending schedule or sync. */
  tick(): void {
    const mono = this.ports.monotonic();
    this.runner.recheck();
    this.election.askIfClaimDue(mono);
    this.repl.announceVersion(mono);
    this.join.expire(mono);
    this.election.electIfWaited(mono);
    this.runner.expire(mono);
    this.kick();
  }

  /**
   * `hbctl standby|online [NODE]`: standby=on/off for the node. The DC applies
   * it; elsewhere it is handed to the DC. Throws when there is no DC.
   */
  setStandby(node: string, on: boolean): CommandResult {
    return this.setAttribute(node, "standby", on ? "on" : "off");
  }

  /**
   * Sets a node attribute (standby, ipfail's pingd count): the DC applies it;
   * elsewhere it is handed to the DC. Throws when there is no DC.
   */
  setAttribute(node: string, name: string, value: string): CommandResult {
    return this.adminOps.setAttribute(node, name, value);
  }

  /**
   * Clean shutdown (SIGTERM): stop every resource running here, in the order
   * the policy engine gives for putting this node in standby (group members in
   * reverse), before the node announces `shutdone` and the peer takes over;
   * Heartbeat also gives its resources up before it leaves. Nothing is
   * persisted or replicated: after a restart the node is not in standby. No
   * transition starts after this is called. Resolves with the stops that
   * failed (those resources may still be running here).
   */
  async releaseLocal(): Promise<ActionResult[]> {
    const tid = this.runner.beginRelease();
    this.cancelMonitors();
    // The transition in flight starts nothing more (runAction), and onOp refuses new starts. What runs
    // here now (ours, or asked by the DC: seed 15's start in flight) ends first, each before the stop
    // of its own resource only: local-ops runs one resource's actions one after another. Waiting for
    // the whole transition held every group for a start that hung to its timeout (haresources seed
    // 6283: r2a ran on for a minute beside the peer's copy after a partition healed).
    const here = this.join.withLocalStarts(this.repl.cib);
    const t = schedule(setNodeAttribute(here, this.localNode, "standby", "on"), this.ports.now());
    const graph = toGraph(t, this.repl.cib, this.shipped);
    const local = graph.actions.map((a) =>
      a.op === "stop" && a.node === this.localNode ? a : { ...a, op: "pseudo", agent: PSEUDO_AGENT },
    );
    const stops = local.filter((a) => a.op === "stop");
    if (stops.length === 0) return [];
    this.log.info(
      { event: "release", resources: stops.map((a) => a.rsc) },
      `shutting down: stopping ${stops.length} resource(s) here first`,
    );
    const failed: ActionResult[] = [];
    await runTransition({ actions: local, edges: graph.edges }, async (a) => {
      const r = await this.runner.runAction(tid, a);
      if (a.op === "stop" && r.rc !== 0) failed.push(r);
      return r;
    });
    for (const f of failed) {
      this.log.error(
        { event: "release-failed", rsc: f.rscId, rc: f.rc, reason: f.reason },
        `stop of ${f.rscId} failed (${f.reason}): it may still be running on this node`,
      );
    }
    return failed;
  }

  report(): CrmReport {
    return {
      ...(this.election.dc === undefined ? {} : { dc: this.election.dc }),
      cibVersion: formatCibVersion(this.repl.cib),
      transitions: this.runner.count,
      busy: this.runner.running,
      nodes: nodeReports(this.repl.cib, this.options.nodes),
      resources: resourceReports(this.repl.cib, this.shipped),
    };
  }

  // ---- administration

  /**
   * An administrative change (hbctl resource|cib apply|standby X|takeover X):
   * checked against this node's copy of the CIB (a refusal throws IpcRefusal
   * "refused" with the reason), then applied here when this node is the DC,
   * else handed to the DC in an `admin` message (the DC checks it again
   * against its own copy and logs a refusal). Throws IpcRefusal
   * "unavailable" while no DC is known.
   */
  admin(req: AdminRequest): CommandResult | Promise<CommandResult> {
    return this.adminOps.admin(req);
  }

  /**
   * `hbctl fence reboot|off NODE` (stonith_admin's manual fencing): this node
   * runs NODE's fence devices now. On success NODE is recorded fenced (a DC
   * writes it in the status section and recovers its resources; any node
   * treats NODE's coming loss as clean, so it is not fenced twice). A node
   * never fences itself: run it on the peer.
   */
  async fenceNode(node: string, action: string): Promise<CommandResult> {
    const target = node.toLowerCase();
    if (!this.options.nodes.includes(target))
      throw new IpcRefusal(`${node} is not a cluster node`, "refused");
    if (target === this.localNode)
      throw new IpcRefusal(`a node never fences itself: run this on another node`, "refused");
    this.log.warn({ event: "fence-manual", target, action }, `fencing ${target} (${action}) on request`);
    const f = await this.fenceHere(target, action);
    if (!f.ok) throw new IpcRefusal(`fencing ${target} failed: ${f.reason}`, "refused");
    this.unclean.delete(target);
    this.fencedNodes.add(target);
    if (this.isDc) {
      this.repl.set(nodeFenced(this.repl.cib, target), "status");
      this.changed();
      this.kick();
    }
    return { message: `${target} fenced (${action}): ${f.reason}` };
  }

  /** `hbctl cib show`: this node's copy of the CIB. */
  cibShow(): CibShowResult {
    return this.adminOps.cibShow();
  }

  // ------------------------------------------------------------ election and replication

  /** This node became DC (election.ts): it takes the status over from what it knows of every node. */
  private takeOver(): void {
    this.repl.becameDc();
    let cib: Cib = { ...this.repl.cib, dcUuid: this.localNode };
    for (const n of this.options.nodes) {
      const up = n === this.localNode || this.active.has(n);
      if (!up && this.present.has(n)) continue; // restarting: keep what was recorded until it is active
      const ns = cib.status.find((s) => s.uname === n);
      // Lost uncleanly, or never heard since this hbd started (startup-fencing): unclean whatever an
      // older record says; seed 14: a node recorded fenced had rebooted behind a partition and ran the
      // resources, and the new DC trusted the record and started them too.
      const unclean = !up && this.unclean.has(n) && (!this.unseen.has(n) || this.startupFencing());
      const known = ns !== undefined && (ns.crmd === "online") === up && !unclean;
      // Keep what the previous DC recorded for nodes whose state did not change (fast failover);
      // a node that changed, or was never seen, is (re)probed.
      if (!known) cib = nodeMembership(cib, n, up, !unclean);
    }
    this.repl.set(this.join.withOwnAccount(cib), "status");
    this.changed();
    this.join.ask();
    this.join.awaitOwnOps();
  }

  private startupFencing(): boolean {
    return clusterOptions(this.repl.cib).startupFencing;
  }

  /**
   * Two DCs met and we stay: send the other our whole CIB (our claim; it
   * ignores status updates while it is DC itself), and give up the actions
   * sent to it meanwhile (refused or lost): the transition runs again.
   */
  private keepDc(other: string): void {
    // What the other DC did meanwhile is recorded only in its own status: probe its node again.
    if (this.active.has(other)) {
      this.repl.set(nodeMembership(this.repl.cib, other, true), "status");
      this.changed();
    }
    this.repl.sendSync(other);
    this.runner.failPendingOn(other, `${other} acted as DC`, true);
    // The nodes that followed it ran what it asked: every live node reports before we decide again
    // (seed 672: n3 ran p1 for the other DC; the staying DC moved p1 to n2 on top of it).
    this.join.ask();
  }

  /** An outside change: schedule again, with a fresh run budget (transition-runner.ts). */
  private changed(): void {
    this.runner.changed();
  }

  // ------------------------------------------------------------ transitions

  /**
   * kick() on the next turn of the loop: a saved (durable) admin change is
   * answered before the policy runs (hbctl standby waited 42-58 ms for the plan).
   */
  private kickSoon(): void {
    this.ports.timers.setTimeout(() => this.kick(), 0);
  }

  /** Starts a transition when one is due, and sends a due sync. */
  private kick(): void {
    if (this.eventBatch > 0) {
      this.settleDue = true; // whoever kicks during a membership step (R1's hold too) waits for its end
      return;
    }
    this.ports.alert?.({ kind: "dc", node: this.election.dc });
    if (this.runner.releasing) return;
    // Peers hear the DC's claim and status before any action it sends: a node still waiting for a
    // claim would refuse an `op` from a DC it does not know yet.
    this.repl.flush();
    this.runner.startIfDue(this.isDc && !this.join.waiting);
    this.repl.flush();
    if (this.holdWaiters.length > 0 && this.idle) {
      const waiters = this.holdWaiters;
      this.holdWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** Fences `target` with each device that can, in CIB order, until one succeeds. Never the local node. */
  private async fenceHere(target: string, action: string): Promise<FenceResult> {
    const f = await fenceWithDevices(
      {
        cib: this.repl.cib,
        localNode: this.localNode,
        fence: this.ports.fence,
        alert: this.ports.alert,
        log: this.log,
      },
      target,
      action,
    );
    if (f.ok) this.fencedNodes.add(target);
    return f;
  }

  // ------------------------------------------------------------ recurring monitors

  /**
   * Runs an action of a transition on this node and keeps the recurring
   * monitors in step: a stop cancels the resource's monitors first; a
   * recurring monitor that succeeds keeps running, one that fails does not.
   */
  private execHere(req: ActionRequest): Promise<ActionResult> {
    return this.local.run(req, () => this.localActive && !this.runner.releasing);
  }

  private cancelMonitors(): void {
    this.local.cancelMonitors();
  }
}
