/**
 * A serial heartbeat link through the serialport package (reference 3.13).
 *
 * Line settings are Heartbeat's: 8 data bits, no parity, 1 stop bit, raw,
 * hardware flow control (CRTSCTS; `rtscts: false` turns it off), speed from
 * `baud`. Frames must be classic text frames (serial-framing.ts); a trailing
 * NUL is stripped before writing, as the line reader would skip it anyway.
 *
 * Writing follows Heartbeat: 512-byte chunks, each waited for with tcdrain
 * (serialport's drain) under a timeout of max(500 ms, 3x its transmit time).
 * Heartbeat also sleeps one chunk's transmit time between chunks; tcdrain
 * already returns only when the UART has sent the bytes, so we do not. A
 * chunk that times out (e.g. CTS held low: no cable, peer down) drops the rest
 * of its frame, flushes the output buffer, counts a send error and reports a
 * "timeout" error at most once per `timeoutReportMs` (Heartbeat: once an hour).
 *
 * Limits: frames up to `maxFrameBytes` (default 8 KiB: about 4.3 s at 19200
 * baud, the default speed; Heartbeat's status messages are ~300 bytes); at
 * most `maxQueuedBytes` (default 4 x maxFrameBytes) waiting to be written,
 * beyond which `send` answers "backlog".
 */
import { SerialPort } from "serialport";
import { monotonicNowMs } from "../base/clock.js";
import type { Medium } from "../config/model.js";
import { SerialDeframer, serialPayload } from "./serial-framing.js";
import {
  type Addressing,
  BaseTransport,
  type Clock,
  DEFAULT_MAX_QUEUED_FRAMES,
  linkName,
  mediumId,
  type PeerAddress,
  type SendResult,
  type TransportCommon,
  TransportError,
  type TransportErrorCode,
  toTransportError,
} from "./transport.js";

export type SerialMedium = Extract<Medium, { kind: "serial" }>;

export const SERIAL_DEFAULT_MAX_FRAME = 8 * 1024;
const CHUNK = 512;

export interface SerialOptions extends TransportCommon {
  /** Hardware flow control (CRTSCTS), default true like Heartbeat. */
  readonly rtscts?: boolean;
  readonly maxFrameBytes?: number;
  readonly maxQueuedBytes?: number;
  /** Minimum interval between two reported write timeouts, ms. Default 1 hour. */
  readonly timeoutReportMs?: number;
}

const defaultClock: Clock = { now: monotonicNowMs };

/** Maps serialport's error messages (which carry no errno code) to TransportErrorCodes. */
function serialErrorCode(err: unknown): TransportErrorCode {
  const msg = err instanceof Error ? err.message : String(err);
  if (/No such file|ENOENT|ENODEV|No such device|ENXIO/i.test(msg)) return "no-device";
  if (/Permission denied|EACCES|EPERM/i.test(msg)) return "permission";
  if (/busy|lock|EBUSY/i.test(msg)) return "address-in-use";
  return "io";
}

/** A serial link. Open it with openSerialTransport. */
export class SerialTransport extends BaseTransport {
  readonly kind = "serial" as const;
  readonly addressing: Addressing = "link";
  readonly localAddress: PeerAddress;
  private readonly deframer: SerialDeframer;
  private readonly queue: Uint8Array[] = [];
  private queuedBytes = 0;
  private writing = false;
  private lastTimeoutReport = Number.NEGATIVE_INFINITY;
  private readonly maxQueuedBytes: number;
  private readonly timeoutReportMs: number;

  constructor(
    readonly medium: SerialMedium,
    private readonly port: SerialPort,
    clock: Clock,
    opts: SerialOptions,
  ) {
    const max = opts.maxFrameBytes ?? SERIAL_DEFAULT_MAX_FRAME;
    super(mediumId(medium), linkName(medium), max, clock, opts.maxQueuedFrames ?? DEFAULT_MAX_QUEUED_FRAMES);
    this.localAddress = medium.device;
    this.deframer = new SerialDeframer(max);
    this.maxQueuedBytes = opts.maxQueuedBytes ?? 4 * max;
    this.timeoutReportMs = opts.timeoutReportMs ?? 3_600_000;
    port.on("data", (chunk: Buffer) => this.onData(chunk));
    port.on("error", (err: Error) =>
      this.emitError(new TransportError(serialErrorCode(err), this.id, err.message, err)),
    );
    port.on("close", (err: unknown) => {
      if (!this.closed && err) this.emitError(toTransportError(this.id, "device closed", err));
    });
  }

  protected transmit(frame: Uint8Array, _to: PeerAddress | undefined): SendResult {
    const payload = serialPayload(frame);
    if (typeof payload === "string") return "bad-frame";
    if (this.queuedBytes + payload.length > this.maxQueuedBytes) return "backlog";
    this.queue.push(payload.slice());
    this.queuedBytes += payload.length;
    if (!this.writing) void this.writeLoop();
    return "accepted";
  }

  protected async release(): Promise<void> {
    this.queue.length = 0;
    this.queuedBytes = 0;
    if (!this.port.isOpen) return;
    await new Promise<void>((resolve) => this.port.close(() => resolve()));
  }

  private onData(chunk: Buffer): void {
    const at = this.clock.now();
    const before = this.deframer.stats;
    for (const frame of this.deframer.push(chunk)) this.deliver(frame, this.localAddress, at);
    const after = this.deframer.stats;
    this.counters.receiveDropped += after.oversize - before.oversize + after.truncated - before.truncated;
  }

  private async writeLoop(): Promise<void> {
    this.writing = true;
    try {
      for (let frame = this.queue.shift(); frame !== undefined && !this.closed; frame = this.queue.shift()) {
        this.queuedBytes -= frame.length;
        for (let at = 0; at < frame.length && !this.closed; at += CHUNK) {
          const ok = await this.writeChunk(frame.subarray(at, at + CHUNK));
          if (!ok) break;
        }
      }
    } finally {
      this.writing = false;
    }
  }

  /** Writes one chunk and waits for it to leave; false (and counted) on error or timeout. */
  private writeChunk(chunk: Uint8Array): Promise<boolean> {
    const limitMs = Math.max(500, (3 * chunk.length * 10 * 1000) / this.medium.baud);
    return new Promise((resolve) => {
      let settled = false;
      const finish = (err: unknown, timedOut: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err === undefined || err === null) return resolve(true);
        this.counters.sendErrors++;
        const now = this.clock.now();
        if (!timedOut || now - this.lastTimeoutReport >= this.timeoutReportMs) {
          if (timedOut) this.lastTimeoutReport = now;
          if (!this.closed) this.emitError(toTransportError(this.id, "write", err));
        }
        if (timedOut && this.port.isOpen) this.port.flush(() => {});
        resolve(false);
      };
      const timer = setTimeout(
        () =>
          finish(new TransportError("timeout", this.id, `write not done in ${Math.round(limitMs)} ms`), true),
        limitMs,
      );
      this.port.write(Buffer.from(chunk), (err) => {
        if (err) return finish(err, false);
        this.port.drain((e) => finish(e ?? null, false));
      });
    });
  }
}

/**
 * Opens a serial medium. Rejects with a TransportError: "no-device",
 * "permission", "address-in-use" (locked by another process), or "io".
 */
export async function openSerialTransport(
  medium: SerialMedium,
  opts: SerialOptions = {},
): Promise<SerialTransport> {
  const id = mediumId(medium);
  const port = new SerialPort({
    path: medium.device,
    baudRate: medium.baud,
    dataBits: 8,
    stopBits: 1,
    parity: "none",
    rtscts: opts.rtscts ?? true,
    autoOpen: false,
  });
  try {
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  } catch (err) {
    throw new TransportError(
      serialErrorCode(err),
      id,
      `cannot open ${medium.device}: ${String((err as Error).message ?? err)}`,
      err,
    );
  }
  return new SerialTransport(medium, port, opts.clock ?? defaultClock, opts);
}
