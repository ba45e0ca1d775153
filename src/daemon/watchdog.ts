/**
 * The watchdog adapter (ha.cf `watchdog /dev/watchdog`): keeps a Linux
 * watchdog device (softdog or hardware) from firing while hbd is healthy.
 * hbd's tick loop calls `tickle()`; at most once per `intervalMs` one byte
 * (".") is written. When the loop stops (hbd hung, stopped, starved) or hbd
 * decides it is unhealthy, the writes stop and the kernel reboots the machine
 * after the device's timeout (softdog: soft_margin seconds). On a clean
 * shutdown `close()` writes the magic character "V" and closes the device,
 * which disarms it (unless the driver was loaded with nowayout=1). See
 * docs/FENCING.md for the softdog setup and how soft_margin relates to
 * deadtime.
 *
 * Never point tests at a real /dev/watchdog: use a FIFO or a regular file.
 */
import { closeSync, constants, openSync, writeSync } from "node:fs";

export interface WatchdogOptions {
  /** Device path (a FIFO or a regular file in tests). */
  readonly path: string;
  /** Shortest time between two writes, ms. */
  readonly intervalMs: number;
}

export class Watchdog {
  private fd: number | undefined;
  private lastWrite = Number.NEGATIVE_INFINITY;
  /** Bytes written (tickles), for logs and tests. */
  tickles = 0;

  private constructor(
    readonly path: string,
    private readonly intervalMs: number,
    fd: number,
  ) {
    this.fd = fd;
  }

  /**
   * Opens the device (write-only, non-blocking, close-on-exec as libuv always does: a FIFO without a reader
   * fails with ENXIO instead of hanging hbd). Opening a watchdog device arms
   * it. Throws the system error.
   */
  static open(opts: WatchdogOptions): Watchdog {
    const fd = openSync(opts.path, constants.O_WRONLY | constants.O_NONBLOCK);
    return new Watchdog(opts.path, opts.intervalMs, fd);
  }

  get isOpen(): boolean {
    return this.fd !== undefined;
  }

  /** Keeps the device from firing: writes one byte unless one was written less than intervalMs ago. */
  tickle(nowMs: number): void {
    if (this.fd === undefined || nowMs - this.lastWrite < this.intervalMs) return;
    this.lastWrite = nowMs;
    try {
      writeSync(this.fd, ".");
      this.tickles++;
    } catch {
      // EAGAIN on a full FIFO: the next tick tries again
    }
  }

  /** Clean shutdown: the magic "V" (disarm), then close. Idempotent; never throws. */
  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    try {
      writeSync(fd, "V");
    } catch {
      // best effort
    }
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
  }

  /** Stops tickling without disarming: the watchdog fires after its timeout (a fatal error). */
  abandon(): void {
    this.fd = undefined; // the descriptor stays open: closing without "V" would also leave it armed
  }
}
