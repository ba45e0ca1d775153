/**
 * The executor (pure over its ProcessPort): finds the agent, builds argv and
 * environment for its class, runs it under the concurrency limit and returns an
 * OCF-normalised result.
 */
import { normaliseOutcome, ocfRcName } from "./codes.js";
import { buildInvocation, candidatePaths, type ExecConfig, validAgentName } from "./env.js";
import { Limiter } from "./limiter.js";
import { type ActionRequest, type ActionResult, type AgentSpec, OcfRc, type ProcessPort } from "./types.js";

/** Where an agent was found, or why not. */
export type Resolved = { path: string } | { rc: number; reason: string };

export class Executor {
  private readonly limiter: Limiter;

  constructor(
    private readonly port: ProcessPort,
    readonly config: ExecConfig,
  ) {
    this.limiter = new Limiter(config.concurrency);
  }

  /** Agent processes running now. */
  get running(): number {
    return this.limiter.running;
  }

  /**
   * Finds the agent file: for Heartbeat-class names the configured resource.d
   * directories, then the init directory; the first executable regular file wins.
   */
  async resolve(spec: AgentSpec): Promise<Resolved> {
    if (!validAgentName(spec.type) || (spec.provider !== undefined && !validAgentName(spec.provider)))
      return { rc: OcfRc.errInstalled, reason: `invalid agent name "${spec.type}"` };
    const paths = candidatePaths(spec, this.config);
    let present: string | undefined;
    for (const p of paths) {
      if (await this.port.isExecutable(p)) return { path: p };
      if (present === undefined && (await this.port.exists(p))) present = p;
    }
    if (present !== undefined) return { rc: OcfRc.errPerm, reason: `${present} is not an executable file` };
    return {
      rc: OcfRc.errInstalled,
      reason: `cannot locate resource script ${spec.type} (tried ${paths.join(", ")})`,
    };
  }

  /** Runs one action; never rejects (problems become results). */
  async exec(req: ActionRequest): Promise<ActionResult> {
    return this.limiter.run(async () => {
      const base = { rscId: req.rscId, op: req.op, intervalMs: req.intervalMs ?? 0 };
      const found = await this.resolve(req.agent);
      if (!("path" in found)) {
        return {
          ...base,
          rc: found.rc,
          rcName: ocfRcName(found.rc),
          status: "error",
          exitCode: null,
          signal: null,
          durationMs: 0,
          stdoutTail: "",
          stderrTail: "",
          reason: found.reason,
        };
      }
      const inv = buildInvocation(req, this.config);
      const out = await this.port.spawn({
        file: found.path,
        args: inv.args,
        env: inv.env,
        timeoutMs: inv.timeoutMs,
        killGraceMs: this.config.killGraceMs,
        tailBytes: this.config.tailBytes,
      });
      const n = normaliseOutcome(req.agent.class, req.op, out, inv.timeoutMs);
      return {
        ...base,
        rc: n.rc,
        rcName: ocfRcName(n.rc),
        status: n.status,
        exitCode: out.exitCode,
        signal: out.signal,
        durationMs: out.durationMs,
        stdoutTail: out.stdout,
        stderrTail: out.stderr,
        reason: n.reason,
      };
    });
  }
}
