/**
 * The Transport contract: one medium (a ucast line, a bcast interface, an mcast
 * group, a serial link, or an endpoint of the in-memory network) that moves
 * opaque frames. Transports know nothing about Heartbeat messages; the codec
 * encodes before `send` and decodes what `onFrame` hands over.
 *
 * Contract (checked for every implementation by test/contract/transport.ts):
 * - Frames are `Uint8Array`s of 1..`maxFrameBytes` bytes. One `send` is one
 *   frame on the wire and at most one `ReceivedFrame` per receiver (the
 *   in-memory network may duplicate on purpose when a fault hook says so).
 * - Delivery is best effort: frames may be lost, never corrupted or split.
 *   Frames between one sender and one receiver on one link arrive in send order
 *   unless a fault hook reorders them.
 * - `send` never throws and never blocks. It returns a `SendResult` at once:
 *   "accepted" means handed to the OS or the network; anything else means the
 *   frame was refused and counted. Later failures (EHOSTUNREACH, a serial write
 *   timeout) are counted in `stats()` and reported through `onError`.
 * - Ownership: the caller keeps `frame`; a transport copies whatever it needs
 *   after `send` returns. `ReceivedFrame.data` belongs to the receiver.
 * - `close()` is idempotent. From the moment it is called, `send` returns
 *   "closed" and no handler is called again, even for frames already in
 *   flight. It resolves once sockets, ports and child processes are released.
 * - Runtime errors never escape as exceptions or unhandled events: opening
 *   rejects with a `TransportError`; everything after that goes to `onError`.
 * - Time: `receivedAtMs` comes from the injected `Clock`, read as soon as the
 *   frame is out of the OS (memberlist's rule: "as close as possible to the
 *   actual receipt time").
 *
 * Pure: types, a small base class and helpers; no I/O.
 */
import { TandemError } from "../base/errors.js";
import type { Clock } from "../base/ports.js";
import type { Medium, MediumKind } from "../config/model.js";

/** Milliseconds; monotonic (defined in base/ports.ts). */
export type { Clock };

/** Kinds of transport: the configured media, plus the in-memory network. */
export type TransportKind = MediumKind | "memory";

/**
 * Where a frame comes from or goes to. UDP: `ip:port` (`[ip6]:port`; a bare
 * address means the medium's port). Serial: the device path. Memory: the
 * endpoint's name.
 */
export type PeerAddress = string;

/**
 * How `send(frame, to?)` addresses frames:
 * - "directed": without `to`, to the configured peer (or, for a memory
 *   endpoint without one, every reachable endpoint); with `to`, to that peer only.
 * - "broadcast": always to every listener of the medium; `to` is "unsupported".
 * - "link": a point-to-point line; `to` is "unsupported".
 */
export type Addressing = "directed" | "broadcast" | "link";

export interface ReceivedFrame {
  /** The frame's bytes, owned by the receiver. */
  readonly data: Uint8Array;
  /** The sender as the medium reports it (see PeerAddress). Never authenticated. */
  readonly from: PeerAddress;
  /** `Transport.id` of the medium it arrived on. */
  readonly medium: string;
  /** Heartbeat link name of that medium (interface or device). */
  readonly link: string;
  /** Clock time of receipt, in ms. */
  readonly receivedAtMs: number;
}

/**
 * What `send` did with a frame:
 * - "accepted": handed over for transmission (not a delivery guarantee);
 * - "closed": the transport is closed;
 * - "oversize": longer than `maxFrameBytes`;
 * - "bad-frame": empty, or a shape this medium cannot carry (serial: not a classic frame);
 * - "bad-address": `to` does not parse as an address of this medium;
 * - "unsupported": `to` given on a broadcast or point-to-point medium;
 * - "backlog": the bounded send queue is full.
 */
export type SendResult =
  | "accepted"
  | "closed"
  | "oversize"
  | "bad-frame"
  | "bad-address"
  | "unsupported"
  | "backlog";

export type FrameHandler = (frame: ReceivedFrame) => void;
export type ErrorHandler = (error: TransportError) => void;

/** Counters, monotonically increasing for the life of the transport. */
export interface TransportStats {
  readonly framesSent: number;
  readonly bytesSent: number;
  readonly framesReceived: number;
  readonly bytesReceived: number;
  /** `send` calls refused synchronously (any SendResult but "accepted"). */
  readonly sendRefused: number;
  /** Accepted frames that the OS or device later failed to send. */
  readonly sendErrors: number;
  /** Frames dropped on receipt: queue overflow, malformed serial data, oversize. */
  readonly receiveDropped: number;
  /** Our own frames looped back by the medium (bcast, mcast loop, ucast to self), dropped. */
  readonly ownEchoes: number;
  /** Exceptions thrown by frame handlers (caught; the handler stays registered). */
  readonly handlerErrors: number;
}

export interface Transport {
  /** Unique per process, stable across restarts, e.g. "ucast eth0 10.0.0.2" (see mediumId). */
  readonly id: string;
  readonly kind: TransportKind;
  /** Heartbeat's link name: the interface for UDP media, the device for serial. */
  readonly link: string;
  readonly addressing: Addressing;
  /** Largest frame `send` accepts, in bytes. */
  readonly maxFrameBytes: number;
  /** What receivers see as `from` for frames sent here (UDP: the sending socket). */
  readonly localAddress: PeerAddress;
  readonly closed: boolean;
  /** Queues one frame for transmission; never throws (see SendResult). */
  send(frame: Uint8Array, to?: PeerAddress): SendResult;
  /**
   * Registers a handler for received frames and returns its removal. Frames
   * that arrive while no handler is registered wait in a bounded queue (oldest
   * dropped and counted) and go to the first handler registered.
   */
  onFrame(handler: FrameHandler): () => void;
  /** Registers a handler for asynchronous errors and returns its removal. */
  onError(handler: ErrorHandler): () => void;
  stats(): TransportStats;
  close(): Promise<void>;
}

// -------------------------------------------------------------------- errors

/**
 * Why a medium failed. `errorCodeOf` maps OS errno names here, so callers test
 * `code`, not message text.
 */
export type TransportErrorCode =
  | "address-in-use" // EADDRINUSE
  | "no-device" // the interface or serial device does not exist (ENODEV, ENOENT, ENXIO)
  | "no-address" // the interface has no address of the needed family (EADDRNOTAVAIL)
  | "permission" // EACCES, EPERM
  | "unreachable" // ENETUNREACH, EHOSTUNREACH, EHOSTDOWN
  | "timeout" // a serial write did not complete in time
  | "unsupported" // a medium kind or option this build cannot open
  | "io"; // anything else

export class TransportError extends TandemError {
  override readonly name = "TransportError";
  constructor(
    readonly code: TransportErrorCode,
    /** `Transport.id` (or the medium's would-be id when opening failed). */
    readonly medium: string,
    message: string,
    cause?: unknown,
  ) {
    super(`${medium}: ${message}`);
    if (cause !== undefined) this.cause = cause;
  }
}

const ERRNO_CODES: Readonly<Record<string, TransportErrorCode>> = {
  EADDRINUSE: "address-in-use",
  ENODEV: "no-device",
  ENOENT: "no-device",
  ENXIO: "no-device",
  EADDRNOTAVAIL: "no-address",
  EACCES: "permission",
  EPERM: "permission",
  ENETUNREACH: "unreachable",
  EHOSTUNREACH: "unreachable",
  EHOSTDOWN: "unreachable",
  ETIMEDOUT: "timeout",
};

/** Maps an errno name (`err.code` of a Node system error) to a TransportErrorCode. */
export function errorCodeOf(err: unknown): TransportErrorCode {
  const code = (err as { code?: unknown } | null)?.code;
  return (typeof code === "string" && ERRNO_CODES[code]) || "io";
}

/** Wraps any thrown value as a TransportError for `medium`. */
export function toTransportError(medium: string, what: string, err: unknown): TransportError {
  if (err instanceof TransportError) return err;
  const detail = err instanceof Error ? err.message : String(err);
  return new TransportError(errorCodeOf(err), medium, `${what}: ${detail}`, err);
}

// -------------------------------------------------------------------- naming

/** A stable, unique id for a configured medium, e.g. "ucast eth0 10.0.0.2". */
export function mediumId(m: Medium): string {
  switch (m.kind) {
    case "bcast":
      return `bcast ${m.iface} ${m.port}`;
    case "mcast":
    case "mcast6":
      return `${m.kind} ${m.iface} ${m.group} ${m.port}`;
    case "ucast":
    case "ucast6":
      return `${m.kind} ${m.iface} ${m.peer}`;
    case "serial":
      return `serial ${m.device}`;
  }
}

/** Heartbeat's link name for a medium: the interface, or the serial device. */
export function linkName(m: Medium): string {
  return m.kind === "serial" ? m.device : m.iface;
}

// -------------------------------------------------------------------- shared core

/** Options every implementation accepts. */
export interface TransportCommon {
  /** Timestamps received frames; defaults to a monotonic clock in the adapters. */
  readonly clock?: Clock;
  /** Frames held while no frame handler is registered. Default 256. */
  readonly maxQueuedFrames?: number;
}

export const DEFAULT_MAX_QUEUED_FRAMES = 256;

type MutableStats = { -readonly [K in keyof TransportStats]: TransportStats[K] };

/**
 * The bookkeeping every transport shares: handlers, the bounded queue used
 * before the first handler, counters, the closed flag and send validation.
 * Subclasses implement `transmit` (called only for valid frames while open)
 * and `release` (called once by `close`).
 */
export abstract class BaseTransport implements Transport {
  abstract readonly kind: TransportKind;
  abstract readonly addressing: Addressing;
  abstract readonly localAddress: PeerAddress;
  protected readonly counters: MutableStats = {
    framesSent: 0,
    bytesSent: 0,
    framesReceived: 0,
    bytesReceived: 0,
    sendRefused: 0,
    sendErrors: 0,
    receiveDropped: 0,
    ownEchoes: 0,
    handlerErrors: 0,
  };
  private readonly frameHandlers = new Set<FrameHandler>();
  private readonly errorHandlers = new Set<ErrorHandler>();
  private readonly waiting: ReceivedFrame[] = [];
  private readonly maxQueued: number;
  private closing: Promise<void> | undefined;

  constructor(
    readonly id: string,
    readonly link: string,
    readonly maxFrameBytes: number,
    protected readonly clock: Clock,
    maxQueuedFrames: number = DEFAULT_MAX_QUEUED_FRAMES,
  ) {
    this.maxQueued = Math.max(0, maxQueuedFrames);
  }

  get closed(): boolean {
    return this.closing !== undefined;
  }

  send(frame: Uint8Array, to?: PeerAddress): SendResult {
    const result = this.closed
      ? "closed"
      : frame.length > this.maxFrameBytes
        ? "oversize"
        : frame.length === 0
          ? "bad-frame"
          : to !== undefined && this.addressing !== "directed"
            ? "unsupported"
            : this.transmit(frame, to);
    if (result === "accepted") {
      this.counters.framesSent++;
      this.counters.bytesSent += frame.length;
    } else {
      this.counters.sendRefused++;
    }
    return result;
  }

  onFrame(handler: FrameHandler): () => void {
    if (this.closed) return () => {};
    this.frameHandlers.add(handler);
    while (this.waiting.length > 0 && this.frameHandlers.size > 0)
      this.dispatch(this.waiting.shift() as ReceivedFrame);
    return () => this.frameHandlers.delete(handler);
  }

  onError(handler: ErrorHandler): () => void {
    if (this.closed) return () => {};
    this.errorHandlers.add(handler);
    return () => this.errorHandlers.delete(handler);
  }

  stats(): TransportStats {
    return { ...this.counters };
  }

  close(): Promise<void> {
    if (this.closing === undefined) {
      this.frameHandlers.clear();
      this.waiting.length = 0;
      this.closing = this.release()
        .catch((err: unknown) => this.emitError(toTransportError(this.id, "close", err)))
        .finally(() => this.errorHandlers.clear());
    }
    return this.closing;
  }

  /** Sends a validated frame (1..maxFrameBytes bytes, transport open). */
  protected abstract transmit(frame: Uint8Array, to: PeerAddress | undefined): SendResult;
  /** Releases the medium's resources; called once. */
  protected abstract release(): Promise<void>;

  /** Hands a received frame to the handlers, stamped now unless `atMs` is given. */
  protected deliver(data: Uint8Array, from: PeerAddress, atMs: number = this.clock.now()): void {
    if (this.closed) return;
    if (data.length > this.maxFrameBytes) {
      this.counters.receiveDropped++;
      return;
    }
    this.counters.framesReceived++;
    this.counters.bytesReceived += data.length;
    const frame: ReceivedFrame = { data, from, medium: this.id, link: this.link, receivedAtMs: atMs };
    if (this.frameHandlers.size > 0) {
      this.dispatch(frame);
      return;
    }
    if (this.waiting.length >= this.maxQueued) {
      this.counters.receiveDropped++;
      if (this.maxQueued === 0) return;
      this.waiting.shift();
    }
    this.waiting.push(frame);
  }

  /** Reports an asynchronous error; never throws. */
  protected emitError(error: TransportError): void {
    for (const h of this.errorHandlers) {
      try {
        h(error);
      } catch {
        this.counters.handlerErrors++;
      }
    }
  }

  private dispatch(frame: ReceivedFrame): void {
    for (const h of this.frameHandlers) {
      if (this.closed) return;
      try {
        h(frame);
      } catch (err) {
        this.counters.handlerErrors++;
        this.emitError(toTransportError(this.id, "frame handler threw", err));
      }
    }
  }
}
