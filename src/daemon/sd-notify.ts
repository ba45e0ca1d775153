/**
 * systemd's readiness protocol (sd_notify(3)) for hbd.service (Type=notify).
 *
 * The protocol is one datagram on the AF_UNIX socket named by $NOTIFY_SOCKET.
 * Node's dgram module has no AF_UNIX support and Tandem takes no native
 * dependency, so each message is handed to systemd's own `systemd-notify
 * --pid=MAINPID`, which sends the datagram with this process's pid in its
 * credentials (allowed for root): systemd then attributes it to the main
 * process, so the unit can keep NotifyAccess=main. Messages are few (READY
 * once, STOPPING once, WATCHDOG every WatchdogSec/2), so a short-lived child
 * per message costs nothing that matters.
 *
 * Outside systemd ($NOTIFY_SOCKET unset) `fromEnv` returns undefined and hbd
 * does nothing of this.
 */

/** Sends one notification (lines of VARIABLE=VALUE); calls back with an error text on failure. */
export type NotifySend = (
  socket: string,
  pid: number,
  assignments: string[],
  done: (err?: string) => void,
) => void;

export interface NotifierTimers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export interface NotifierPorts {
  send: NotifySend;
  timers: NotifierTimers;
  /** Called once per failed send (rate-limit logging in the caller if needed). */
  onError?: (message: string) => void;
}

export class SdNotifier {
  private watchdogTimer: unknown;

  private constructor(
    readonly socket: string,
    readonly pid: number,
    /** Half of WatchdogSec when the service manager asked for keep-alive pings, else undefined. */
    readonly watchdogPingMs: number | undefined,
    private readonly ports: NotifierPorts,
  ) {}

  /**
   * The notifier systemd asked for through `env`, or undefined when hbd was not
   * started by systemd with Type=notify. WATCHDOG_USEC is honoured only when
   * WATCHDOG_PID is unset or names this process (sd_watchdog_enabled(3)).
   */
  static fromEnv(
    env: Readonly<Record<string, string | undefined>>,
    pid: number,
    ports: NotifierPorts,
  ): SdNotifier | undefined {
    const socket = env.NOTIFY_SOCKET;
    if (socket === undefined || socket === "") return undefined;
    const usec = Number(env.WATCHDOG_USEC);
    const forUs =
      env.WATCHDOG_PID === undefined || env.WATCHDOG_PID === "" || Number(env.WATCHDOG_PID) === pid;
    const pingMs =
      forUs && Number.isFinite(usec) && usec > 0 ? Math.max(1, Math.floor(usec / 2000)) : undefined;
    return new SdNotifier(socket, pid, pingMs, ports);
  }

  /** READY=1 with a STATUS line; starts the watchdog pings when WatchdogSec is set. */
  ready(status: string): void {
    this.send(["READY=1", `STATUS=${oneLine(status)}`]);
    if (this.watchdogPingMs !== undefined && this.watchdogTimer === undefined)
      this.watchdogTimer = this.ports.timers.setInterval(
        () => this.send(["WATCHDOG=1"]),
        this.watchdogPingMs,
      );
  }

  status(status: string): void {
    this.send([`STATUS=${oneLine(status)}`]);
  }

  /** STOPPING=1; the watchdog pings stop too (systemd's stop timeout now bounds the shutdown). */
  stopping(status: string): void {
    this.stopWatchdog();
    this.send(["STOPPING=1", `STATUS=${oneLine(status)}`]);
  }

  stopWatchdog(): void {
    if (this.watchdogTimer !== undefined) this.ports.timers.clearInterval(this.watchdogTimer);
    this.watchdogTimer = undefined;
  }

  private send(assignments: string[]): void {
    this.ports.send(this.socket, this.pid, assignments, (err) => {
      if (err !== undefined) this.ports.onError?.(`sd_notify ${assignments[0]}: ${err}`);
    });
  }
}

function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, " ");
}
