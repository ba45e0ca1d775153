/**
 * The receiving side of the DC's actions (controller.ts sends them): an `op`
 * from the DC this node follows is run here once (a repeat gets the same
 * answer: op-replies.ts) and answered with a `result`. Refused: an op from a
 * node that is not our DC, one sent to an earlier incarnation of this node
 * (seed 581), a start while this node shuts down, and a start while a node the
 * DC counts as down is alive here (a one-way partition: seed 1174).
 */
import type { ActionRequest, ActionResult } from "../exec/types.js";
import type { CrmMessage } from "./crm-messages.js";
import type { FenceResult } from "./fencing.js";
import type { NodeLogger } from "./node.js";
import { type OpAnswer, OpReplies } from "./op-replies.js";

type OpMessage = Extract<CrmMessage, { k: "op" }>;

/** What the op server needs of its node (the controller). */
export interface OpServerHost {
  readonly localNode: string;
  readonly log: NodeLogger;
  readonly send: (msg: CrmMessage, dest: string) => void;
  readonly generationOf?: ((node: string) => number | undefined) | undefined;
  /** The DC this node follows. */
  dc(): string | undefined;
  /** Whether this node is shutting down (releaseLocal). */
  releasing(): boolean;
  isActive(node: string): boolean;
  /** An active node the status from DC `dc` shows offline: alive here, down for the DC. */
  aliveButDownForDc(dc: string): string | undefined;
  fenceHere(target: string, action: string): Promise<FenceResult>;
  execHere(req: ActionRequest): Promise<ActionResult>;
}

export class OpServer {
  /** Operations received from DCs: a repeat is run once. */
  private readonly replies = new OpReplies();

  constructor(private readonly host: OpServerHost) {}

  /** A sender died or restarted: its transition numbers start over. */
  forget(node: string): void {
    this.replies.forget(node);
  }

  /** An `op` from the DC: run it here, answer with `result`. Ops from anyone else are refused. */
  async onOp(from: string, m: OpMessage): Promise<void> {
    if (!this.admit(from, m)) return;
    const answer = (rc: number, status: ActionResult["status"], reason: string, durationMs: number) => {
      const a = { rc, status, reason, durationMs };
      this.replies.answered(from, m.tid, m.aid, a);
      this.reply(from, m, a);
    };
    if (this.host.releasing() && m.op === "start") {
      answer(1, "error", `${this.host.localNode} is shutting down`, 0);
      return;
    }
    if (this.viewDiffers(from, m)) return;
    if (m.op === "fence") {
      const f = await this.host.fenceHere(m.rsc, m.agent.params?.action ?? "reboot");
      answer(f.ok ? 0 : 1, f.ok ? "done" : "error", f.reason, f.durationMs);
      return;
    }
    const r = await this.host.execHere({
      rscId: m.rsc,
      agent: m.agent,
      op: m.op,
      node: this.host.localNode,
      intervalMs: m.intervalMs,
      ...(m.timeoutMs === undefined ? {} : { timeoutMs: m.timeoutMs }),
    });
    this.host.log.info(
      {
        event: "op-result",
        rsc: m.rsc,
        op: m.op,
        node: this.host.localNode,
        rc: r.rc,
        ms: Math.round(r.durationMs),
      },
      `${m.rsc} ${m.op} for DC ${from}: rc ${r.rc}`,
    );
    answer(r.rc, r.status, r.reason, r.durationMs);
  }

  private reply(from: string, m: OpMessage, a: OpAnswer & { refused?: true; differs?: true }): void {
    this.host.send({ k: "result", tid: m.tid, aid: m.aid, ...a }, from);
  }

  /**
   * Whether `m` is a new op from our DC to this incarnation. A repeat is answered
   * again (or ignored while it runs); an op from another node is refused.
   */
  private admit(from: string, m: OpMessage): boolean {
    const mine = this.host.generationOf?.(this.host.localNode);
    if (m.tg !== undefined && mine !== undefined && m.tg !== mine) {
      // Sent to an earlier incarnation of this node (delayed, or sent again while it was down): a new
      // incarnation must not run it. Seed 581: a start sent to n2 before it crashed ran after its reboot
      // while the DC, having fenced n2, ran the resource itself.
      this.host.log.warn(
        { event: "op-dropped", peer: from, rsc: m.rsc, op: m.op, generation: m.tg },
        `dropped ${m.rsc} ${m.op} from ${from}: sent to generation ${m.tg} of ${this.host.localNode}, this is ${mine}`,
      );
      return false;
    }
    if (from !== this.host.dc()) {
      this.host.log.warn(
        { event: "op-refused", peer: from },
        `refused an action from ${from}: it is not the DC`,
      );
      const reason = `${from} is not the DC of ${this.host.localNode}`;
      this.reply(from, m, { rc: 1, status: "error", reason, durationMs: 0, refused: true });
      return false;
    }
    const seen = this.replies.arrive(from, m.tid, m.aid);
    if (seen === "running") return false; // the DC sent it again while it runs: one answer follows
    if (seen !== "new") {
      this.reply(from, m, seen);
      return false;
    }
    return true;
  }

  /**
   * A start while a node the DC counts as down is alive here: refused, and the
   * DC told our views differ (seed 1174: n1 could not hear n2, one-way, and
   * started p1 on n3, which heard n2 running it).
   */
  private viewDiffers(from: string, m: OpMessage): boolean {
    if (m.op !== "start") return false;
    const alive = m.down?.find((n) => this.host.isActive(n)) ?? this.host.aliveButDownForDc(from);
    if (alive === undefined) return false;
    const reason = `${alive} is alive here but down for the DC ${from}: start of ${m.rsc} refused`;
    this.host.log.warn({ event: "op-refused", peer: from, rsc: m.rsc, node: alive }, reason);
    this.reply(from, m, { rc: 1, status: "error", reason, durationMs: 0, differs: true });
    return true;
  }
}
