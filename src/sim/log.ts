/**
 * The simulator's trace: what the world did (boots, crashes, partitions,
 * admin commands) and what the nodes logged at info level and above, each
 * line stamped with simulated time. A ring of the last `limit` lines, printed
 * for a failing seed.
 */
import type { Logger } from "../base/ports.js";
import type { SimScheduler } from "./scheduler.js";

export class SimLog {
  private readonly lines: string[] = [];
  /** Sees every structured line a node logs, debug included (membership stories read the events from it). */
  observe: ((node: string, obj: object) => void) | undefined;

  constructor(
    private readonly scheduler: SimScheduler,
    private readonly limit = 3000,
    /** Also keep the nodes' info lines (else warn and error only). */
    private readonly verbose = false,
  ) {}

  event(text: string): void {
    this.push(`${this.scheduler.now()} ** ${text}`);
  }

  forNode(name: string): Logger {
    const line = (level: string) => (obj: object, msg: string) => {
      this.observe?.(name, obj);
      const { event: e, summary } = obj as { event?: unknown; summary?: unknown };
      // A transition's summary (what the policy decided) is part of the story of a failing seed.
      const what = Array.isArray(summary) && summary.length > 0 ? ` {${summary.join("; ")}}` : "";
      this.push(
        `${this.scheduler.now()} ${name} ${level} ${typeof e === "string" ? `[${e}] ` : ""}${msg}${what}`,
      );
    };
    const seen = (obj: object) => this.observe?.(name, obj);
    return {
      debug: seen,
      info: this.verbose ? line("info") : seen,
      warn: line("WARN"),
      error: line("ERROR"),
    };
  }

  /** A resource manager message a node sends (verbose traces only): what crossed the wire, and to whom. */
  crmSend(from: string, what: string, dest: string | undefined): void {
    if (this.verbose) this.push(`${this.scheduler.now()} ${from} sends ${what} -> ${dest ?? "all"}`);
  }

  tail(n = this.limit): string[] {
    return this.lines.slice(-n);
  }

  private push(l: string): void {
    this.lines.push(l);
    if (this.lines.length > this.limit * 2) this.lines.splice(0, this.lines.length - this.limit);
  }
}
