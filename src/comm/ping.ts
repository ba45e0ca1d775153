/**
 * Ping nodes (reference 6): `ping IP`, `ping6 IP6` and `ping_group NAME IP...`.
 * A ping node is up while any of its addresses answers ICMP echo, and down
 * when none has answered for `deadpingMs`.
 *
 * Method: one long-running iputils `ping -n -O -i <interval> ADDR` per
 * address, read line by line. The interval is pingIntervalMs: the keepalive
 * (Heartbeat sends one echo per keepalive), but at least 10 echoes per
 * deadping, so that a ping node's death is seen within a tenth of deadping of
 * the same moment on every node (ipfail's shared-loss rule relies on it:
 * membership/connectivity.ts). One process per address, where `ping -c 1`
 * per echo would fork 1/interval processes a second (100/s at 10 ms). `-O`
 * makes ping print "no answer yet" when a reply is overdue. If ping exits
 * (e.g. "Network is unreachable" at start), it is restarted after
 * `restartDelayMs`. iputils refuses intervals under 2 ms (under 200 ms on
 * old versions) unless run as root.
 *
 * Differences from Heartbeat: the echo payload is ping's own, not a signed
 * heartbeat message, so a reply proves reachability but is not
 * authenticated; any reply counts (iputils already matches the ICMP id).
 *
 * The line parser and PingReachability are pure; PingMonitor owns the child
 * processes and one timer that drives `tick`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { monotonicNowMs } from "../base/clock.js";
import type { PingNode } from "../config/model.js";
import { type Clock, TransportError, toTransportError } from "./transport.js";

// -------------------------------------------------------------------- parsing

export type PingLine =
  | { readonly type: "reply"; readonly address: string; readonly seq: number; readonly rttMs: number }
  | { readonly type: "no-answer"; readonly seq: number }
  | { readonly type: "icmp-error"; readonly from: string; readonly seq: number; readonly what: string }
  | { readonly type: "other"; readonly text: string };

const REPLY = /^\d+ bytes from ([^\s:]+|[0-9a-fA-F:.%]+): icmp_seq=(\d+) .*time=([\d.]+) ms/;
const NO_ANSWER = /^no answer yet for icmp_seq=(\d+)/;
const ICMP_ERROR = /^From (\S+?):? icmp_seq=(\d+) (.+)$/;

/** Classifies one line of iputils `ping -n -O` output. */
export function parsePingLine(line: string): PingLine {
  const text = line.replace(/^\[[\d.]+\] /, "").trim();
  let m = REPLY.exec(text);
  if (m) return { type: "reply", address: m[1] as string, seq: Number(m[2]), rttMs: Number(m[3]) };
  m = NO_ANSWER.exec(text);
  if (m) return { type: "no-answer", seq: Number(m[1]) };
  m = ICMP_ERROR.exec(text);
  if (m) return { type: "icmp-error", from: m[1] as string, seq: Number(m[2]), what: m[3] as string };
  return { type: "other", text };
}

/**
 * How often to ping, ms: the keepalive, but at most deadping / 10 (see the
 * file comment), e.g. 300 ms at keepalive 1 s / deadping 3 s.
 */
export function pingIntervalMs(keepaliveMs: number, deadpingMs: number): number {
  return Math.max(1, Math.min(keepaliveMs, Math.floor(deadpingMs / 10)));
}

/** How often PingMonitor checks for deadping, ms: a tenth of the interval or of deadping, 5..50 ms. */
export function pingTickMs(intervalMs: number, deadpingMs: number): number {
  return Math.max(5, Math.min(50, intervalMs, Math.floor(deadpingMs / 10)));
}

// -------------------------------------------------------------------- state

export type PingState = "init" | "up" | "down";

export type PingEvent =
  /** An echo reply from one address of the node. */
  | {
      readonly type: "reply";
      readonly node: string;
      readonly address: string;
      readonly seq: number;
      readonly rttMs: number;
      readonly atMs: number;
    }
  /** The node became reachable (first reply since start or since down). */
  | { readonly type: "up"; readonly node: string; readonly address: string; readonly atMs: number }
  /** No address answered for deadpingMs. `lastReplyAtMs` is undefined if none ever did. */
  | {
      readonly type: "down";
      readonly node: string;
      readonly lastReplyAtMs: number | undefined;
      readonly atMs: number;
    };

/**
 * The up/down rule of one ping node, driven by replies and `tick(now)`:
 * up at the first reply from any address; down when no reply arrived for
 * `deadpingMs` (counted from `startMs` until the first reply).
 */
export class PingReachability {
  private state: PingState = "init";
  private lastReplyAtMs: number | undefined;

  constructor(
    readonly node: string,
    private readonly deadpingMs: number,
    private readonly startMs: number,
  ) {}

  get current(): PingState {
    return this.state;
  }

  get lastReply(): number | undefined {
    return this.lastReplyAtMs;
  }

  /** Records a reply; returns the "up" event when it changes the state. */
  reply(address: string, atMs: number): PingEvent | undefined {
    this.lastReplyAtMs = Math.max(this.lastReplyAtMs ?? atMs, atMs);
    if (this.state === "up") return undefined;
    this.state = "up";
    return { type: "up", node: this.node, address, atMs };
  }

  /** Returns the "down" event when deadping has passed without a reply. */
  tick(nowMs: number): PingEvent | undefined {
    if (this.state === "down") return undefined;
    const since = this.lastReplyAtMs ?? this.startMs;
    if (nowMs - since < this.deadpingMs) return undefined;
    this.state = "down";
    return { type: "down", node: this.node, lastReplyAtMs: this.lastReplyAtMs, atMs: nowMs };
  }
}

// -------------------------------------------------------------------- process monitor

export interface PingOptions {
  /** One echo per interval, ms: the keepalive. */
  readonly intervalMs: number;
  /** No reply for this long makes the node down, ms (Heartbeat's deadping). */
  readonly deadpingMs: number;
  readonly clock?: Clock;
  /** The ping program. Default "ping". */
  readonly pingPath?: string;
  /** Words run before the ping command, e.g. ["ip", "netns", "exec", "ns1"]. */
  readonly prefix?: readonly string[];
  /** Delay before restarting a ping that exited, ms. Default max(1000, intervalMs). */
  readonly restartDelayMs?: number;
  /** How often `tick` runs, ms. Default pingTickMs: deadping is seen within this. */
  readonly tickMs?: number;
}

const defaultClock: Clock = { now: monotonicNowMs };
/** Longest stdout/stderr line kept; ping's lines are < 200 bytes. */
const MAX_LINE = 1024;

/** Watches one ping node. Create with openPingMonitor; errors go to onError, never thrown. */
export class PingMonitor {
  readonly id: string;
  private readonly reach: PingReachability;
  private readonly clock: Clock;
  private readonly children = new Map<string, ChildProcess>();
  private readonly restarts = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly handlers = new Set<(e: PingEvent) => void>();
  private readonly errorHandlers = new Set<(e: TransportError) => void>();
  private ticker: ReturnType<typeof setInterval> | undefined;
  private stopped = false;
  /** Processes started (restarts included), for tests and `hbctl status`. */
  spawned = 0;

  constructor(
    readonly node: PingNode,
    private readonly opts: PingOptions,
  ) {
    this.id = `${node.kind} ${node.name}`;
    this.clock = opts.clock ?? defaultClock;
    this.reach = new PingReachability(node.name, opts.deadpingMs, this.clock.now());
  }

  get state(): PingState {
    return this.reach.current;
  }

  get lastReplyAtMs(): number | undefined {
    return this.reach.lastReply;
  }

  onEvent(handler: (e: PingEvent) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  onError(handler: (e: TransportError) => void): () => void {
    this.errorHandlers.add(handler);
    return () => this.errorHandlers.delete(handler);
  }

  /** Starts one ping per address and the tick timer. */
  start(): void {
    if (this.stopped || this.ticker !== undefined) return;
    for (const address of this.node.addresses) this.spawnFor(address);
    const tickMs = this.opts.tickMs ?? pingTickMs(this.opts.intervalMs, this.opts.deadpingMs);
    this.ticker = setInterval(() => this.emit(this.reach.tick(this.clock.now())), tickMs);
    this.ticker.unref?.();
  }

  /** Stops every ping process (SIGTERM, then SIGKILL after 1 s) and the timer. */
  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.ticker);
    for (const t of this.restarts.values()) clearTimeout(t);
    this.restarts.clear();
    await Promise.all([...this.children.values()].map(stopChild));
    this.children.clear();
    this.handlers.clear();
    this.errorHandlers.clear();
  }

  private spawnFor(address: string): void {
    if (this.stopped) return;
    const secs = (Math.max(1, this.opts.intervalMs) / 1000).toFixed(3);
    const v6 = this.node.kind === "ping6" || address.includes(":");
    const args = [...(v6 ? ["-6"] : []), "-n", "-O", "-i", secs, address];
    const words = [...(this.opts.prefix ?? []), this.opts.pingPath ?? "ping", ...args];
    let child: ChildProcess;
    try {
      child = spawn(words[0] as string, words.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    } catch (err) {
      this.fail(address, err);
      return;
    }
    this.spawned++;
    this.children.set(address, child);
    let stderrTail = "";
    child.on("error", (err) => this.fail(address, err));
    readLines(child.stdout, (line) => this.onLine(address, line));
    readLines(child.stderr, (line) => {
      stderrTail = line;
    });
    // "close" (not "exit"): stdio is drained by then, so stderrTail holds ping's last words.
    child.on("close", (code, signal) => {
      if (this.children.get(address) === child) this.children.delete(address);
      if (this.stopped) return;
      const why = stderrTail || `exit ${code ?? signal}`;
      this.emitError(
        new TransportError(
          /unreachable/i.test(why) ? "unreachable" : "io",
          this.id,
          `ping ${address}: ${why}`,
        ),
      );
      this.scheduleRestart(address);
    });
  }

  private fail(address: string, err: unknown): void {
    this.emitError(toTransportError(this.id, `cannot run ping for ${address}`, err));
    this.children.delete(address);
    this.scheduleRestart(address);
  }

  private scheduleRestart(address: string): void {
    if (this.stopped || this.restarts.has(address)) return;
    const delay = this.opts.restartDelayMs ?? Math.max(1000, this.opts.intervalMs);
    const timer = setTimeout(() => {
      this.restarts.delete(address);
      this.spawnFor(address);
    }, delay);
    timer.unref?.();
    this.restarts.set(address, timer);
  }

  private onLine(address: string, line: string): void {
    if (this.stopped) return;
    const parsed = parsePingLine(line);
    if (parsed.type !== "reply") return;
    const atMs = this.clock.now();
    this.emit({ type: "reply", node: this.node.name, address, seq: parsed.seq, rttMs: parsed.rttMs, atMs });
    this.emit(this.reach.reply(address, atMs));
  }

  private emit(e: PingEvent | undefined): void {
    if (e === undefined || this.stopped) return;
    for (const h of this.handlers) {
      try {
        h(e);
      } catch (err) {
        this.emitError(toTransportError(this.id, "event handler threw", err));
      }
    }
  }

  private emitError(e: TransportError): void {
    for (const h of this.errorHandlers) {
      try {
        h(e);
      } catch {
        // An error handler that throws has nowhere left to report to.
      }
    }
  }
}

/** Splits a stream into lines (bounded: longer lines are cut at MAX_LINE). */
function readLines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  if (stream === null) return;
  let buf = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    buf += chunk;
    for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
      onLine(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
    if (buf.length > MAX_LINE) buf = "";
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill("SIGKILL"), 1000);
    child.once("exit", () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/** Creates and starts a monitor for one ping node. */
export function openPingMonitor(node: PingNode, opts: PingOptions): PingMonitor {
  const m = new PingMonitor(node, opts);
  m.start();
  return m;
}
