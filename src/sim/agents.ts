/**
 * Simulated resource agents of one host: what runs there, and the results of
 * start/stop/monitor as an OCF agent would give them, with seeded faults
 * (an action that fails, or hangs until its timeout). A resource is running
 * from the moment its start begins (the agent may have started the daemon
 * before it fails or hangs) until a stop succeeds; a crash of the host ends
 * everything. The world hears every start and stop (`SimAgentsObserver`):
 * that is where the ordering and fencing invariants are checked.
 */
import type { Prng } from "../base/prng.js";
import { ocfRcName } from "../exec/codes.js";
import type { ActionRequest, ActionResult } from "../exec/types.js";
import type { SimScheduler } from "./scheduler.js";

/** Per-action fault probabilities. */
export interface AgentFaults {
  readonly failProbability: number;
  /** The action hangs: it ends only at its timeout (status timeout, rc 1). */
  readonly hangProbability: number;
  readonly durationMsMax: number;
}

export const NO_AGENT_FAULTS: AgentFaults = { failProbability: 0, hangProbability: 0, durationMsMax: 20 };

export interface SimAgentsObserver {
  /** A start begins on `host` (the resource counts as running from now). */
  starting(host: string, rsc: string): void;
  /** A stop begins on `host`. */
  stopping(host: string, rsc: string): void;
}

/** The executor's default timeout when an operation has none. */
const DEFAULT_TIMEOUT_MS = 20_000;

export class SimAgents {
  private readonly running = new Set<string>();
  /** Resources whose last stop failed or hung: they may still run (the policy must not count them stopped). */
  readonly stopFailed = new Set<string>();
  /**
   * The last start or stop per resource that hung (it ends in failure at its timeout): when it began,
   * and when it ended. Until then the resource runs and nothing can stop it: invariants.ts excuses one
   * that began before the hosts could hear each other (the peer declared this host dead meanwhile,
   * with no fencing), and the recovery right after it.
   */
  readonly hangs = new Map<string, { since: number; endedAt?: number }>();
  /** Starts in progress, and starts that failed (running, but not ready for what depends on it). */
  private readonly starting = new Set<string>();
  private readonly startFailed = new Set<string>();
  /** Died on their own since their last action here: nobody can know before the next monitor. */
  private readonly died = new Set<string>();
  /** Ended with the incarnation: results of actions in flight at a crash are never delivered. */
  private incarnation = 0;
  /** Actions run. */
  actions = 0;
  /** Sabotage (vopr.ts): a stop says rc 0 and leaves the resource running. */
  lyingStop = false;

  constructor(
    private readonly host: string,
    private readonly scheduler: SimScheduler,
    private readonly prng: Prng,
    public faults: AgentFaults,
    private readonly observer: SimAgentsObserver,
    /** Called when a result is delivered: promise continuations must run before the next task. */
    private readonly resolved: () => void,
  ) {}

  isRunning(rsc: string): boolean {
    return this.running.has(rsc);
  }

  runningSet(): ReadonlySet<string> {
    return this.running;
  }

  /** Running after a start that succeeded: what a group's next member may rely on. */
  isReady(rsc: string): boolean {
    return (
      (this.running.has(rsc) && !this.starting.has(rsc) && !this.startFailed.has(rsc)) || this.died.has(rsc)
    );
  }

  /** The host crashed or was powered off: every process is gone, results in flight are lost. */
  crash(): void {
    this.running.clear();
    this.stopFailed.clear();
    this.hangs.clear();
    this.starting.clear();
    this.startFailed.clear();
    this.died.clear();
    this.incarnation++;
  }

  /** A resource's processes died on their own (a later monitor finds it not running). */
  kill(rsc: string): void {
    if (this.running.has(rsc) && !this.startFailed.has(rsc)) this.died.add(rsc);
    this.running.delete(rsc);
    this.startFailed.delete(rsc);
  }

  exec(req: ActionRequest): Promise<ActionResult> {
    this.actions++;
    const incarnation = this.incarnation;
    const timeoutMs = req.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const hang = (req.op === "start" || req.op === "stop") && this.prng.chance(this.faults.hangProbability);
    const fail =
      !hang && (req.op === "start" || req.op === "stop") && this.prng.chance(this.faults.failProbability);
    const durationMs = hang ? timeoutMs : this.prng.intBetween(1, Math.max(1, this.faults.durationMsMax));
    if (req.op === "start") {
      this.observer.starting(this.host, req.rscId);
      this.running.add(req.rscId);
      this.starting.add(req.rscId);
      this.stopFailed.delete(req.rscId);
    } else if (req.op === "stop") this.observer.stopping(this.host, req.rscId);
    if (hang) this.hangs.set(req.rscId, { since: this.scheduler.now() });
    return new Promise<ActionResult>((resolve) => {
      this.scheduler.after(durationMs, () => {
        if (incarnation !== this.incarnation) return; // the host crashed: nobody is waiting any more
        if (hang)
          this.hangs.set(req.rscId, {
            since: this.scheduler.now() - durationMs,
            endedAt: this.scheduler.now(),
          });
        // A start or stop replaces the process; a monitor's rc 7 only starts the news on its way to the
        // DC, which may order a later member before it arrives (seed 4577): the invariants judge that
        // ordering by the DC's belief (invariants.ts onStart).
        if (req.op === "start" || req.op === "stop") this.died.delete(req.rscId);
        const rc = this.finish(req, hang, fail);
        this.resolved();
        resolve(result(req, rc, hang ? "timeout" : "done", durationMs));
      });
    });
  }

  /** The effect at the end of an action, and its rc. */
  private finish(req: ActionRequest, hang: boolean, fail: boolean): number {
    switch (req.op) {
      case "start":
        this.starting.delete(req.rscId);
        // Killed while starting: an OCF start checks its daemon runs before it answers, so it fails.
        if (!this.running.has(req.rscId)) return 1;
        if (hang || fail) this.startFailed.add(req.rscId);
        else this.startFailed.delete(req.rscId);
        return hang || fail ? 1 : 0;
      case "stop":
        if (this.lyingStop) return 0;
        if (hang || fail) {
          this.stopFailed.add(req.rscId);
          return 1;
        }
        this.running.delete(req.rscId);
        this.stopFailed.delete(req.rscId);
        this.startFailed.delete(req.rscId);
        return 0;
      case "monitor":
      case "status":
        // A start that failed left it running but broken: its monitor says so (rc 1), as an OCF
        // agent's would; rc 0 made the cluster build a group on it (seed 5756, a checker mistake).
        if (this.startFailed.has(req.rscId) && this.running.has(req.rscId)) return 1;
        return this.running.has(req.rscId) ? 0 : 7;
      default:
        return 0; // meta-data, validate-all, reload...
    }
  }
}

function result(
  req: ActionRequest,
  rc: number,
  status: ActionResult["status"],
  durationMs: number,
): ActionResult {
  return {
    rscId: req.rscId,
    op: req.op,
    intervalMs: req.intervalMs ?? 0,
    rc,
    rcName: ocfRcName(rc),
    status,
    exitCode: status === "timeout" ? null : rc,
    signal: status === "timeout" ? "SIGKILL" : null,
    durationMs,
    stdoutTail: "",
    stderrTail: "",
    reason: status === "timeout" ? `timed out after ${durationMs} ms` : ocfRcName(rc),
  };
}
