/**
 * hbd's monitoring, wired (ha.cf `metrics_listen` / cluster.yaml
 * `metrics_listen`; off without it): the recorder (monitor-events.ts) fed
 * from the log stream and the executor, and the HTTP listener
 * (monitor/http.ts) serving /metrics and the status page built from a
 * snapshot (monitor-hbd.ts). The shell gives it three things:
 *
 *   tap(sink)       the pino destination, passed through (every record is
 *                   also read here);
 *   timed(exec)     the controller's exec port, passed through (durations);
 *   listen(ports)   after the control socket serves: the snapshot port.
 *
 * Without `metrics_listen` the first two are the identity and nothing
 * listens. A listener that cannot bind (address in use, not local) is
 * logged as an error and hbd runs on without it: monitoring never stops
 * the cluster.
 *
 * Director status: the files the ldirectord agent has hb-director write,
 * `${LDIRECTORD_PIDDIR:-/var/run}/ldirectord.*.status.json` (the agent's
 * own variable), read when a page or scrape asks.
 */

import { join } from "node:path";
import { readdir, readFile } from "../base/fs-async.js";
import type { Cib } from "../cib/model.js";
import { formatListenAddress, type ListenAddress } from "../config/values.js";
import type { StatusReport } from "../ipc/protocol.js";
import type { DirectorStatus } from "../lvs/director.js";
import type { DirectorView } from "../lvs/monitor.js";
import type { MonitorServer } from "../monitor/http.js";
import { type LogEvent, MonitorRecorder } from "./monitor-events.js";
import type { HbdSnapshot } from "./monitor-hbd.js";
import type { NodeLogger } from "./node.js";

export interface MonitorSnapshotPort {
  /** What `hbctl status` reports (crm and watchdog included). */
  readonly status: () => StatusReport;
  readonly cib?: () => Cib;
  /** The DC this node believes in (the controller's, cheap). */
  readonly dc?: () => string | undefined;
}

const STATUS_FILE = /^ldirectord\.(.+)\.status\.json$/;

/** Every director status file in `dir` (unreadable or half-written ones are skipped). */
export async function readDirectorViews(dir: string, nowMs: number): Promise<DirectorView[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => STATUS_FILE.test(n)).sort();
  } catch {
    return [];
  }
  const views: DirectorView[] = [];
  for (const n of names) {
    try {
      const status = JSON.parse(await readFile(join(dir, n), "utf8")) as DirectorStatus;
      if (!Array.isArray(status.services) || typeof status.updatedAt !== "number") continue;
      views.push({ name: STATUS_FILE.exec(n)?.[1] ?? n, status, ageMs: nowMs - status.updatedAt });
    } catch {
      // being replaced (the director writes a temporary file and renames it), or not ours
    }
  }
  return views;
}

export class HbdMonitor {
  readonly recorder: MonitorRecorder | undefined;
  private server: MonitorServer | undefined;
  private snapshot: MonitorSnapshotPort | undefined;

  constructor(
    private readonly at: ListenAddress | undefined,
    localNode: string,
    monotonic: () => number,
    private readonly directorDir = process.env.LDIRECTORD_PIDDIR || "/var/run",
  ) {
    this.recorder =
      at === undefined
        ? undefined
        : new MonitorRecorder({
            localNode,
            monotonic,
            crm: () => this.snapshot?.status().crm,
            dc: () => this.snapshot?.dc?.(),
          });
  }

  /** The pino destination `sink`, also feeding the recorder. */
  tap<S extends { write(chunk: string): void }>(sink: S): S | { write(chunk: string): void } {
    const rec = this.recorder;
    if (rec === undefined) return sink;
    return {
      write: (chunk: string) => {
        sink.write(chunk);
        for (const line of chunk.split("\n")) {
          const e = toLogEvent(line);
          if (e !== undefined) rec.onLog(e);
        }
      },
    };
  }

  /** The exec port, timing every operation into the recorder. */
  timed<
    Q extends { rscId: string; op: string; intervalMs?: number },
    R extends { status: string; rc: number; durationMs: number },
  >(exec: (req: Q) => Promise<R>): (req: Q) => Promise<R> {
    const rec = this.recorder;
    if (rec === undefined) return exec;
    return async (req) => {
      const r = await exec(req);
      rec.onOperation(req, r);
      return r;
    };
  }

  /** Starts the listener (when configured); a failure is logged, not thrown. */
  async listen(snapshot: MonitorSnapshotPort, log: NodeLogger): Promise<void> {
    this.snapshot = snapshot;
    const rec = this.recorder;
    if (this.at === undefined || rec === undefined) return;
    const snap = async (): Promise<HbdSnapshot> => {
      const nowMs = Date.now();
      const status = snapshot.status();
      rec.observe(status.crm);
      const cib = snapshot.cib?.();
      return {
        status,
        ...(cib === undefined ? {} : { cib }),
        directors: await readDirectorViews(this.directorDir, nowMs),
        nowMs,
      };
    };
    const where = formatListenAddress(this.at);
    try {
      // loaded only with metrics_listen: node:http and the page/metrics renderers were ~10 ms of every start (issue 15)
      const [{ startMonitorServer }, { hbdMetricsText, hbdPage }] = await Promise.all([
        import("../monitor/http.js"),
        import("./monitor-hbd.js"),
      ]);
      this.server = await startMonitorServer(this.at, {
        metrics: async () => hbdMetricsText(await snap(), rec),
        page: async () => hbdPage(await snap(), rec),
        onError: (e) =>
          log.error(
            { event: "monitor-error", err: e.stack ?? e.message },
            `status page / metrics: ${e.message}`,
          ),
      });
      log.info(
        { event: "monitor-listen", address: where },
        `metrics and status page on http://${where}/ (/metrics)`,
      );
    } catch (e) {
      log.error(
        { event: "monitor-failed", address: where, err: (e as Error).message },
        `metrics_listen ${where}: cannot listen (${(e as Error).message}); running without metrics and status page`,
      );
    }
  }

  async close(): Promise<void> {
    await this.server?.close();
    this.server = undefined;
  }
}

/** A pino JSON line as a LogEvent; undefined for anything else. */
export function toLogEvent(line: string): LogEvent | undefined {
  if (line === "") return undefined;
  try {
    const o = JSON.parse(line) as Record<string, unknown>;
    if (typeof o.level !== "number") return undefined;
    const t =
      typeof o.time === "string" || typeof o.time === "number" ? new Date(o.time).getTime() : Number.NaN;
    return {
      level: o.level,
      timeMs: Number.isNaN(t) ? 0 : t,
      msg: typeof o.msg === "string" ? o.msg : "",
      ...(typeof o.event === "string" ? { event: o.event } : {}),
      fields: o,
    };
  } catch {
    return undefined;
  }
}
