/**
 * Where hbd's log records go (a pino destination): Heartbeat's files and
 * syslog, in Heartbeat's line format (log-format.ts) unless --log-format json.
 *
 *   logfile      info and above (ha.cf `logfile`), appended (O_APPEND);
 *   debugfile    every level hbd logs (ha.cf `debugfile`);
 *   syslog       ha.cf `logfacility FACILITY`: each line with its priority, through
 *                a long-lived `logger --prio-prefix` (util-linux) to /dev/log, since
 *                Node cannot send AF_UNIX datagrams itself;
 *   stdout       when none of the three is set (the journal under systemd): the
 *                JSON records (pino), or Heartbeat lines with --log-format heartbeat.
 *
 * reopen() (hbd: SIGHUP) closes and reopens both files, for logrotate's
 * create mode or a file moved away by hand; with copytruncate nothing is needed.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import {
  facilityCode,
  heartbeatLine,
  heartbeatMessage,
  parsePinoLine,
  syslogSeverity,
} from "./log-format.js";

export type LogFormat = "heartbeat" | "json";

export interface LogSinkOptions {
  readonly node: string;
  readonly pid: number;
  /** Heartbeat lines (default for files and syslog) or pino's JSON records. */
  readonly fileFormat: LogFormat;
  /** The format on stdout when it is used (default json). */
  readonly stdoutFormat: LogFormat;
  readonly logfile?: string;
  readonly debugfile?: string;
  /** ha.cf logfacility (a facility name; `none` or undefined: no syslog). */
  readonly facility?: string;
  /** The syslog socket (default /dev/log). */
  readonly syslogSocket?: string;
  /** The program name in the lines and the syslog tag (default "heartbeat", as Heartbeat's). */
  readonly program?: string;
  /** Where the "stdout" output goes (default process.stdout; hb-director: stderr). */
  readonly console?: { write(text: string): unknown };
}

interface OpenFile {
  readonly path: string;
  fd: number | undefined;
}

export class LogSink {
  private readonly files: { log?: OpenFile; debug?: OpenFile } = {};
  private syslog: ChildProcess | undefined;
  private readonly facility: number | undefined;
  private readonly toStdout: boolean;
  private problem: string | undefined;

  constructor(private readonly o: LogSinkOptions) {
    if (o.logfile !== undefined) this.files.log = { path: o.logfile, fd: openAppend(o.logfile) };
    if (o.debugfile !== undefined) this.files.debug = { path: o.debugfile, fd: openAppend(o.debugfile) };
    this.facility = o.facility === undefined ? undefined : facilityCode(o.facility);
    if (this.facility !== undefined) this.syslog = this.startLogger();
    this.toStdout = o.logfile === undefined && o.debugfile === undefined && this.facility === undefined;
  }

  /** pino calls this with one JSON line per record. */
  write(chunk: string): void {
    for (const line of chunk.split("\n")) {
      if (line === "") continue;
      if (this.toStdout && this.o.stdoutFormat === "json") {
        // hbd's default (no logfile, debugfile or logfacility): the record as it is, without parsing it
        // or formatting a Heartbeat line nobody reads (a local-time timestamp: Date's time zone code
        // and ICU's zone data, ~2 MB of hbd's RSS, issue 15)
        (this.o.console ?? process.stdout).write(`${line}\n`);
        continue;
      }
      const r = parsePinoLine(line);
      const hb = r === undefined ? line : heartbeatLine(r, this.o.node, this.o.pid, this.o.program);
      const fileText = `${this.o.fileFormat === "json" ? line : hb}\n`;
      if (this.toStdout) (this.o.console ?? process.stdout).write(`${hb}\n`);
      if (this.files.debug) this.append(this.files.debug, fileText);
      if (this.files.log && (r === undefined || r.level >= 30)) this.append(this.files.log, fileText);
      if (this.syslog?.stdin && this.facility !== undefined) {
        const pri = this.facility * 8 + syslogSeverity(r?.level ?? 30);
        const msg = r === undefined ? line : heartbeatMessage(r, this.o.pid);
        this.syslog.stdin.write(`<${pri}>${this.o.fileFormat === "json" ? line : msg}\n`);
      }
    }
  }

  /** Closes and reopens the log files (after logrotate moved them). */
  reopen(): void {
    for (const f of [this.files.log, this.files.debug]) {
      if (f === undefined) continue;
      if (f.fd !== undefined) closeSync(f.fd);
      f.fd = openAppend(f.path);
    }
  }

  /** A problem met while logging (a file that cannot be written, no `logger`), once. */
  takeProblem(): string | undefined {
    const p = this.problem;
    this.problem = undefined;
    return p;
  }

  close(): void {
    for (const f of [this.files.log, this.files.debug]) {
      if (f?.fd !== undefined) closeSync(f.fd);
      if (f) f.fd = undefined;
    }
    this.syslog?.stdin?.end();
    this.syslog = undefined;
  }

  private append(f: OpenFile, text: string): void {
    if (f.fd === undefined) return;
    try {
      writeSync(f.fd, text);
    } catch (e) {
      this.problem ??= `cannot write ${f.path}: ${(e as Error).message}`;
    }
  }

  private startLogger(): ChildProcess {
    const child = spawn(
      "logger",
      [
        "--prio-prefix",
        "-t",
        this.o.program ?? "heartbeat",
        "-u",
        this.o.syslogSocket ?? "/dev/log",
        "--socket-errors=off",
      ],
      { stdio: ["pipe", "ignore", "ignore"] },
    );
    child.on("error", (e) => {
      this.problem ??= `syslog (logger): ${e.message}`;
      this.syslog = undefined;
    });
    child.on("exit", () => {
      this.syslog = undefined;
    });
    child.stdin?.on("error", () => {});
    child.unref();
    return child;
  }
}

function openAppend(path: string): number {
  mkdirSync(dirname(path), { recursive: true });
  return openSync(path, "a", 0o640);
}
