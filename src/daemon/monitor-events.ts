/**
 * What hbd's metrics count over time, and the status page's recent events.
 * Everything that is a state (nodes, links, the DC, where resources run,
 * fail counts) is read from a snapshot when scraped (monitor-hbd.ts); what
 * is an event (a transition and how long it took, a failover, a fencing, an
 * operation's duration) is recorded here as it happens. Pure: hbd feeds it
 * (monitor-shell.ts) with
 *
 *   onLog(record)        every structured log record hbd writes (its `event`
 *                        field names what happened: the log is the event
 *                        stream, so there is no second one to keep in step);
 *   onOperation(req, r)  every agent operation run on this node (the
 *                        controller's exec port), with its duration.
 *
 * Failovers and moves are counted by the DC (the node that decides them), so
 * a cluster total is sum() over the nodes. A resource started on node N after
 * it last ran on node M != N is a move; a failover when M was lost (dead
 * without saying goodbye) or the resource had failed on M; otherwise planned.
 */
import type { CrmReport } from "../ipc/protocol.js";
import { DURATION_BUCKETS_S, type Family, Histogram, type Sample } from "../monitor/prom.js";

/** A log record as pino writes it (level 30 info, 40 warn, 50 error). */
export interface LogEvent {
  readonly level: number;
  /** Wall clock, ms since the epoch. */
  readonly timeMs: number;
  readonly msg: string;
  readonly event?: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

export interface RecentEvent {
  readonly timeMs: number;
  readonly level: "info" | "warn" | "error";
  readonly event: string;
  readonly msg: string;
  /** The same event this many times in a row (this row is the latest). */
  readonly repeats?: number;
}

export interface RecorderPorts {
  readonly localNode: string;
  /** Monotonic ms (transition durations). */
  readonly monotonic: () => number;
  /** The resource manager's state now (where resources run). */
  readonly crm: () => CrmReport | undefined;
  /** The DC this node believes in now (cheap: read at every log record). */
  readonly dc: () => string | undefined;
}

/** How many recent events the status page shows. */
export const RECENT_EVENTS = 40;

type Counter = Map<string, { labels: Record<string, string>; value: number }>;

function bump(c: Counter, labels: Record<string, string>, by = 1): void {
  const key = JSON.stringify(labels);
  const e = c.get(key) ?? { labels, value: 0 };
  e.value += by;
  c.set(key, e);
}

function samples(c: Counter): Sample[] {
  return [...c.values()].map((e) => ({ labels: e.labels, value: e.value }));
}

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

export class MonitorRecorder {
  private readonly transitionStart = new Map<number, number>();
  private readonly transitionDuration = new Histogram(DURATION_BUCKETS_S);
  private readonly transitionsFinished: Counter = new Map();
  private readonly dcChanges: Counter = new Map();
  private lastDc: string | undefined;
  private readonly fencing: Counter = new Map();
  private readonly peerDeaths: Counter = new Map();
  private readonly monitorFailures: Counter = new Map();
  private readonly moves: Counter = new Map();
  private readonly failovers: Counter = new Map();
  private readonly opDuration = new Map<string, { labels: Record<string, string>; h: Histogram }>();
  private readonly opFailures: Counter = new Map();
  /** DC view: resource -> the node it last ran on, why it may have to leave it. */
  private readonly lastNode = new Map<string, string>();
  private readonly lostWith = new Map<string, string>(); // resource -> the lost node it ran on
  private readonly failedOn = new Map<string, string>(); // resource -> node where it failed
  private readonly recentEvents: RecentEvent[] = [];

  constructor(private readonly ports: RecorderPorts) {}

  onLog(e: LogEvent): void {
    if (e.level >= 30 && e.event !== undefined) this.remember(e);
    this.checkDc();
    switch (e.event) {
      case "transition": {
        const tid = num(e.fields.tid);
        if (tid !== undefined) this.transitionStart.set(tid, this.ports.monotonic());
        this.observe(this.ports.crm());
        return;
      }
      case "transition-done":
        this.transitionDone(num(e.fields.tid), e.fields.complete === true);
        return;
      case "fenced":
      case "fence-failed":
        bump(this.fencing, {
          target: str(e.fields.target) ?? "",
          result: e.event === "fenced" ? "ok" : "failed",
        });
        return;
      case "monitor-failed":
        bump(this.monitorFailures, { resource: str(e.fields.rsc) ?? "" });
        return;
      case "node-status":
        if (e.fields.status === "dead") this.peerDead(str(e.fields.peer) ?? "", str(e.fields.cause) ?? "");
        return;
      case "op-result":
        this.opResult(e.fields);
        return;
      default:
        return;
    }
  }

  onOperation(
    req: { readonly rscId: string; readonly op: string; readonly intervalMs?: number },
    r: { readonly status: string; readonly rc: number; readonly durationMs: number },
  ): void {
    const labels = { resource: req.rscId, op: req.op };
    const key = JSON.stringify(labels);
    const h = this.opDuration.get(key) ?? { labels, h: new Histogram(DURATION_BUCKETS_S) };
    h.h.observe(Math.max(0, r.durationMs) / 1000);
    this.opDuration.set(key, h);
    const probe = req.op === "monitor" && (req.intervalMs ?? 0) === 0;
    const ok = r.status === "done" && (r.rc === 0 || (probe && r.rc === 7));
    if (!ok) bump(this.opFailures, labels);
  }

  recent(): readonly RecentEvent[] {
    return this.recentEvents;
  }

  /** Keeps the last RECENT_EVENTS records; a run of the same event (stall warnings under load) is one row with a count. */
  private remember(e: LogEvent): void {
    const last = this.recentEvents.at(-1);
    const repeats = last !== undefined && last.event === e.event ? (last.repeats ?? 1) + 1 : undefined;
    if (repeats !== undefined) this.recentEvents.pop();
    this.recentEvents.push({
      timeMs: e.timeMs,
      level: e.level >= 50 ? "error" : e.level >= 40 ? "warn" : "info",
      event: e.event ?? "",
      msg: e.msg,
      ...(repeats === undefined ? {} : { repeats }),
    });
    if (this.recentEvents.length > RECENT_EVENTS) this.recentEvents.shift();
  }

  private transitionDone(tid: number | undefined, complete: boolean): void {
    bump(this.transitionsFinished, { result: complete ? "complete" : "aborted" });
    const start = tid === undefined ? undefined : this.transitionStart.get(tid);
    if (tid !== undefined) this.transitionStart.delete(tid);
    if (start !== undefined)
      this.transitionDuration.observe(Math.max(0, this.ports.monotonic() - start) / 1000);
  }

  /** Logged before the controller hears of it: its report still shows what ran on the dead node. */
  private peerDead(node: string, cause: string): void {
    bump(this.peerDeaths, { node, cause });
    if (cause === "shutdown") return;
    for (const r of this.ports.crm()?.resources ?? [])
      if (r.running.includes(node)) {
        this.lostWith.set(r.id, node);
        this.lastNode.set(r.id, node);
      }
  }

  private isDc(): boolean {
    return this.ports.dc() === this.ports.localNode;
  }

  /** A DC elected (or adopted silently from a peer's claim) that differs from the last one seen. */
  private checkDc(): void {
    const dc = this.ports.dc();
    if (dc === undefined || dc === this.lastDc) return;
    this.lastDc = dc;
    bump(this.dcChanges, {});
  }

  private opResult(f: Readonly<Record<string, unknown>>): void {
    const rsc = str(f.rsc);
    const node = str(f.node);
    const rc = num(f.rc);
    if (rsc === undefined || node === undefined || rc === undefined || !this.isDc()) return;
    if (f.op === "monitor" && rc !== 0 && (num(f.intervalMs) ?? 0) > 0) this.failedOn.set(rsc, node);
    if (f.op === "start" && rc !== 0) this.failedOn.set(rsc, node);
    if (f.op !== "start" || rc !== 0) return;
    const prev = this.lastNode.get(rsc);
    this.lastNode.set(rsc, node);
    const lost = this.lostWith.get(rsc);
    const failed = this.failedOn.get(rsc);
    this.lostWith.delete(rsc);
    this.failedOn.delete(rsc);
    if (prev === undefined || prev === node) return;
    bump(this.moves, { resource: rsc });
    if (lost === prev) bump(this.failovers, { resource: rsc, cause: "node_lost" });
    else if (failed !== undefined) bump(this.failovers, { resource: rsc, cause: "resource_failed" });
  }

  /** Where resources run now (at every transition's start, and at a scrape), so a first move is known as one. */
  observe(crm: CrmReport | undefined): void {
    this.checkDc();
    for (const r of crm?.resources ?? []) {
      const n = r.running[0];
      if (r.running.length === 1 && n !== undefined) this.lastNode.set(r.id, n);
    }
  }

  families(): Family[] {
    return [
      {
        name: "tandem_transition_duration_seconds",
        help: "How long the transitions this node ran as DC took, from scheduling to the last action's result.",
        type: "histogram",
        samples: this.transitionDuration.value().count === 0 ? [] : [{ h: this.transitionDuration.value() }],
      },
      {
        name: "tandem_transitions_finished_total",
        help: "Transitions this node ran as DC that finished, by result (complete, aborted).",
        type: "counter",
        samples: samples(this.transitionsFinished),
      },
      {
        name: "tandem_dc_changes_total",
        help: "Times this node saw a new DC (the first one included): elections after the DC was lost, a partition healed.",
        type: "counter",
        samples: samples(this.dcChanges),
      },
      {
        name: "tandem_peer_deaths_total",
        help: "Peers this node declared dead, by cause (deadtime: silent; shutdown: said goodbye; initdead).",
        type: "counter",
        samples: samples(this.peerDeaths),
      },
      {
        name: "tandem_failovers_total",
        help: "Resources this node as DC started elsewhere after their node was lost (node_lost) or they failed there (resource_failed).",
        type: "counter",
        samples: samples(this.failovers),
      },
      {
        name: "tandem_resource_moves_total",
        help: "Resources this node as DC started on another node than the one they last ran on (failovers and planned moves).",
        type: "counter",
        samples: samples(this.moves),
      },
      {
        name: "tandem_fencing_operations_total",
        help: "Fencing operations this node ran, by target and result (ok, failed).",
        type: "counter",
        samples: samples(this.fencing),
      },
      {
        name: "tandem_monitor_failures_total",
        help: "Recurring monitor failures of resources on this node.",
        type: "counter",
        samples: samples(this.monitorFailures),
      },
      {
        name: "tandem_resource_operation_duration_seconds",
        help: "Duration of resource agent operations run on this node (start, stop, monitor, ...), probes and recurring monitors included.",
        type: "histogram",
        samples: [...this.opDuration.values()].map((o) => ({ labels: o.labels, h: o.h.value() })),
      },
      {
        name: "tandem_resource_operation_failures_total",
        help: "Resource agent operations on this node that failed (rc other than expected, timeout, not run).",
        type: "counter",
        samples: samples(this.opFailures),
      },
    ];
  }
}
