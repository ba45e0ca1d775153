/**
 * hb-director's log destination (a pino destination): ldirectord.cf's
 * `logfile` as ldirectord reads it: a path gets the lines appended (in
 * Heartbeat's line format, as hbd's logfile), a syslog facility (`local0`,
 * `daemon`, ...) sends them to syslog with that facility. Without `logfile`
 * in the file, hb-director keeps writing to stderr (the ldirectord agent
 * appends it to its log; ldirectord's own default /var/log/ldirectord.log
 * is not applied). A reload that changes `logfile` switches at once;
 * reopen() (SIGHUP) reopens the file for logrotate.
 */
import { LogSink, type LogSinkOptions } from "../base/log-sink.js";
import type { LogTarget } from "./model.js";

type BaseOptions = Omit<LogSinkOptions, "logfile" | "debugfile" | "facility">;

/** "stderr", "file:PATH" or "syslog:FACILITY". */
export function logTargetKey(t: LogTarget | undefined): string {
  if (t === undefined) return "stderr";
  return t.kind === "file" ? `file:${t.path}` : `syslog:${t.facility}`;
}

export class DirectorLogDestination {
  private sink: LogSink;
  private current = "stderr";

  constructor(private readonly base: BaseOptions) {
    this.sink = new LogSink(base);
  }

  write(chunk: string): void {
    this.sink.write(chunk);
  }

  /** Where lines go now ("stderr", "file:PATH", "syslog:FACILITY"). */
  get target(): string {
    return this.current;
  }

  /** Switches to `target` (undefined: stderr) if it differs; returns true when it switched. */
  use(target: LogTarget | undefined): boolean {
    const k = logTargetKey(target);
    if (k === this.current) return false;
    const next = new LogSink({
      ...this.base,
      ...(target?.kind === "file" ? { logfile: target.path } : {}),
      ...(target?.kind === "syslog" ? { facility: target.facility } : {}),
    });
    this.sink.close();
    this.sink = next;
    this.current = k;
    return true;
  }

  reopen(): void {
    this.sink.reopen();
  }

  /** A problem met while logging (file not writable, no `logger`), once. */
  takeProblem(): string | undefined {
    return this.sink.takeProblem();
  }

  close(): void {
    this.sink.close();
  }
}
