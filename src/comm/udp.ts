/**
 * UDP media over node:dgram: ucast/ucast6, bcast, mcast/mcast6 (reference 3.1
 * and the ha.cf directives of 1.4).
 *
 * Binding to an interface. Heartbeat binds every socket to its device with
 * SO_BINDTODEVICE; Node cannot set that option. We bind instead to an address
 * of the interface found with os.networkInterfaces() (or `bindAddress`):
 * - ucast: one socket at IFADDR:port, used to send and receive, shared by all
 *   ucast media of this process on that address and port (Linux would hand
 *   each unicast datagram to only one of several sockets bound to the same
 *   address). A datagram goes to the medium whose peer sent it, else to the
 *   first one. Frames leave with source port = udpport; Heartbeat never
 *   checks source addresses or ports.
 * - bcast: receive at BROADCAST:port (the interface's subnet broadcast, what
 *   SIOCGIFBRDADDR gives Heartbeat), which admits only broadcasts of that
 *   subnet; send from IFADDR:ephemeral with SO_BROADCAST.
 * - mcast: receive at GROUP:port with membership joined on IFADDR; send from
 *   IFADDR:ephemeral with IP_MULTICAST_IF = IFADDR, the configured TTL and loop.
 * What this does not give: with the weak host model Linux accepts a datagram
 * for IFADDR arriving on any device, and ucast egress follows the routing
 * table, not the named device. Heartbeat also sets IPTOS_LOWDELAY on ucast,
 * which Node cannot.
 *
 * Limits: a frame is at most 65507 bytes (65535 minus IPv4 and UDP headers;
 * 65527 over IPv6). At most `maxPendingSends` datagrams wait in the OS queue
 * per socket; beyond that `send` answers "backlog".
 */
import dgram from "node:dgram";
import dns from "node:dns";
import { isIP } from "node:net";
import os from "node:os";
import { monotonicNowMs } from "../base/clock.js";
import type { Medium } from "../config/model.js";
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
  toTransportError,
} from "./transport.js";

export type UdpMedium = Exclude<Medium, { kind: "serial" }>;

/** Largest UDP payload over IPv4 and over IPv6 (no jumbograms). */
export const UDP_MAX_FRAME_IPV4 = 65535 - 20 - 8;
export const UDP_MAX_FRAME_IPV6 = 65535 - 8;

export interface UdpOptions extends TransportCommon {
  /** Local address to use instead of the interface's first address of the family. */
  readonly bindAddress?: string;
  /** Datagrams handed to the OS and not yet confirmed, per socket. Default 1024. */
  readonly maxPendingSends?: number;
  /** SO_RCVBUF for receive sockets, bytes (capped by net.core.rmem_max). Default 1 MiB. */
  readonly recvBufferBytes?: number;
  /** The interface table; default os.networkInterfaces (tests inject one). */
  readonly interfaces?: () => NodeJS.Dict<os.NetworkInterfaceInfo[]>;
  /** Shares ucast sockets; default a process-wide pool. */
  readonly pool?: UdpSocketPool;
}

/** A monotonic clock in ms, offset to the Unix epoch (never jumps with the wall clock). */
export const monotonicClock: Clock = { now: monotonicNowMs };

type Family = 4 | 6;

/** Formats `ip:port` as receivers report it (`[ip6]:port`). */
export function formatUdpAddress(address: string, port: number): PeerAddress {
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}

/** Parses `ip`, `ip:port` or `[ip6]:port` (port defaulting to `defaultPort`); undefined if malformed. */
export function parseUdpAddress(
  text: string,
  defaultPort: number,
): { address: string; port: number } | undefined {
  let host = text;
  let port = defaultPort;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (v6) {
    host = v6[1] as string;
    if (v6[2] !== undefined) port = Number(v6[2]);
  } else if (isIP(text) === 0) {
    const m = /^([^:]+):(\d+)$/.exec(text);
    if (!m) return undefined;
    host = m[1] as string;
    port = Number(m[2]);
  }
  if (isIP(host.split("%")[0] as string) === 0 || !Number.isInteger(port) || port < 1 || port > 65535)
    return undefined;
  return { address: host, port };
}

/** Whether an IPv6 address (optionally with `%scope`) is link-local (fe80::/10). */
export function isLinkLocal6(address: string): boolean {
  return /^fe[89ab]/i.test(address);
}

/** Whether an IPv6 multicast group has interface- or link-local scope (ffX1::, ffX2::): it needs a scope id. */
export function isLinkScopeGroup6(group: string): boolean {
  return /^ff[0-9a-f][12]:/i.test(group);
}

/** `address%iface` for a link-local IPv6 address or link-scope group without a scope id; else `address`. */
export function withScope(address: string, iface: string): string {
  if (address.includes("%") || !address.includes(":")) return address;
  return isLinkLocal6(address) || isLinkScopeGroup6(address) ? `${address}%${iface}` : address;
}

/**
 * An address of `family` on `iface`, or a TransportError ("no-device", "no-address"). IPv6: a
 * link-local one when `linkLocal` (a link-local ucast6 peer), else a wider one when the interface has
 * one (the order of os.networkInterfaces() is the kernel's, not a choice); either as a fallback.
 */
export function interfaceAddress(
  id: string,
  iface: string,
  family: Family,
  interfaces: () => NodeJS.Dict<os.NetworkInterfaceInfo[]> = os.networkInterfaces,
  linkLocal = false,
): os.NetworkInterfaceInfo {
  const infos = interfaces()[iface];
  if (infos === undefined) throw new TransportError("no-device", id, `no interface named ${iface}`);
  const ofFamily = infos.filter((i) => (family === 4 ? i.family === "IPv4" : i.family === "IPv6"));
  const info =
    family === 4 ? ofFamily[0] : (ofFamily.find((i) => isLinkLocal6(i.address) === linkLocal) ?? ofFamily[0]);
  if (info === undefined)
    throw new TransportError("no-address", id, `interface ${iface} has no IPv${family} address`);
  return info;
}

/** The subnet broadcast address of an IPv4 address and netmask. */
export function broadcastAddress(address: string, netmask: string): string {
  const a = address.split(".").map(Number);
  const m = netmask.split(".").map(Number);
  return a.map((x, i) => (x | (~(m[i] ?? 0) & 255)) & 255).join(".");
}

// -------------------------------------------------------------------- sockets

/**
 * dgram's address lookup for send(): every destination here is a numeric address (ha.cf names
 * addresses; parseUdpAddress checks them), which dns.lookup answers on the next tick, so each
 * datagram took a lookup, a nextTick and an async-context scope before the send (per frame at
 * keepalive 10 ms, issue 15). A numeric address is answered at once; a name (never expected)
 * still goes to dns.lookup.
 */
export function numericLookup(
  address: string,
  family: unknown,
  callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  const f = isIP(address.split("%")[0] as string);
  if (f !== 0) callback(null, address, f);
  else dns.lookup(address, family as number, callback);
}

function createSocket(family: Family, reuseAddr: boolean): dgram.Socket {
  return dgram.createSocket({ type: family === 4 ? "udp4" : "udp6", reuseAddr, lookup: numericLookup });
}

function bind(socket: dgram.Socket, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    socket.once("error", onError);
    socket.bind({ port, address }, () => {
      socket.off("error", onError);
      resolve();
    });
  });
}

function closeSocket(socket: dgram.Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve(); // already closed
    }
  });
}

/** Bounded sending on one socket: counts datagrams the OS has not confirmed yet. */
class Sender {
  pending = 0;
  constructor(
    readonly socket: dgram.Socket,
    private readonly maxPending: number,
  ) {}

  send(frame: Uint8Array, port: number, address: string, done: (err: Error | null) => void): SendResult {
    if (this.pending >= this.maxPending) return "backlog";
    this.pending++;
    // Copy: the caller keeps the frame, and dgram reads it after send() returns.
    this.socket.send(Buffer.from(frame), port, address, (err) => {
      this.pending--;
      done(err);
    });
    return "accepted";
  }
}

/** A ucast socket shared by every ucast medium of the process bound to one address and port. */
class SharedSocket {
  readonly members: UdpTransport[] = [];
  constructor(
    readonly key: string,
    readonly sender: Sender,
    readonly local: PeerAddress,
  ) {
    sender.socket.on("message", (msg, rinfo) => this.dispatch(msg, rinfo));
  }

  private dispatch(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const from = formatUdpAddress(rinfo.address, rinfo.port);
    const address = rinfo.address.split("%")[0];
    const owner = this.members.find((m) => m.peerAddress?.split("%")[0] === address) ?? this.members[0];
    owner?.received(msg, from);
  }
}

/** The process's ucast sockets, keyed by local address and port. */
export class UdpSocketPool {
  private readonly sockets = new Map<string, Promise<SharedSocket>>();

  async acquire(key: string, open: () => Promise<SharedSocket>, member: UdpTransport): Promise<SharedSocket> {
    let p = this.sockets.get(key);
    if (p === undefined) {
      p = open();
      this.sockets.set(key, p);
      p.catch(() => this.sockets.delete(key));
    }
    const shared = await p;
    shared.members.push(member);
    return shared;
  }

  async release(shared: SharedSocket, member: UdpTransport): Promise<void> {
    const i = shared.members.indexOf(member);
    if (i >= 0) shared.members.splice(i, 1);
    if (shared.members.length > 0) return;
    this.sockets.delete(shared.key);
    await closeSocket(shared.sender.socket);
  }
}

const defaultPool = new UdpSocketPool();

// -------------------------------------------------------------------- transport

interface Wiring {
  /** Where send(frame) goes; undefined for none (never: every UDP medium has one). */
  readonly target: { address: string; port: number };
  readonly sender: Sender;
  readonly localAddress: PeerAddress;
  readonly shared?: SharedSocket;
  /** Sockets owned by this transport alone, closed by close(). */
  readonly own: readonly dgram.Socket[];
}

/** A UDP medium. Open it with openUdpTransport. */
export class UdpTransport extends BaseTransport {
  readonly kind: UdpMedium["kind"];
  readonly addressing: Addressing;
  /** ucast: the configured peer's IP, used to route datagrams of a shared socket. */
  readonly peerAddress: string | undefined;
  private wiring: Wiring | undefined;
  private readonly pool: UdpSocketPool;

  constructor(
    readonly medium: UdpMedium,
    clock: Clock,
    maxQueuedFrames: number,
    pool: UdpSocketPool,
  ) {
    const v6 = medium.kind.endsWith("6");
    super(
      mediumId(medium),
      linkName(medium),
      v6 ? UDP_MAX_FRAME_IPV6 : UDP_MAX_FRAME_IPV4,
      clock,
      maxQueuedFrames,
    );
    this.kind = medium.kind;
    this.addressing = medium.kind.startsWith("ucast") ? "directed" : "broadcast";
    this.peerAddress = "peer" in medium ? medium.peer : undefined;
    this.pool = pool;
  }

  get localAddress(): PeerAddress {
    return this.wiring?.localAddress ?? "";
  }

  /** Opens the sockets; called once by openUdpTransport. */
  async start(opts: UdpOptions): Promise<void> {
    const m = this.medium;
    const family: Family = m.kind.endsWith("6") ? 6 : 4;
    const linkLocalPeer = m.kind === "ucast6" && isLinkLocal6(m.peer);
    const info =
      opts.bindAddress === undefined
        ? interfaceAddress(this.id, m.iface, family, opts.interfaces, linkLocalPeer)
        : undefined;
    const ifaddr = withScope(opts.bindAddress ?? (info as os.NetworkInterfaceInfo).address, m.iface);
    const maxPending = opts.maxPendingSends ?? 1024;
    const rcvbuf = opts.recvBufferBytes ?? 1 << 20;
    const owned: dgram.Socket[] = [];
    try {
      if (m.kind === "ucast" || m.kind === "ucast6") {
        const key = `${ifaddr}|${m.port}`;
        const shared = await this.pool.acquire(
          key,
          async () => {
            const s = createSocket(family, true);
            s.on("error", () => {}); // errors of a shared socket surface through send callbacks
            try {
              await bind(s, m.port, ifaddr);
            } catch (err) {
              await closeSocket(s);
              throw err;
            }
            trySetRecvBuffer(s, rcvbuf);
            return new SharedSocket(
              key,
              new Sender(s, maxPending),
              formatUdpAddress(ifaddr.split("%")[0] as string, m.port),
            );
          },
          this,
        );
        this.wiring = {
          target: { address: withScope(m.peer, m.iface), port: m.port },
          sender: shared.sender,
          localAddress: shared.local,
          shared,
          own: [],
        };
        return;
      }
      // bcast / mcast: a receive socket at the broadcast or group address, and a send socket.
      const recv = createSocket(family, true);
      owned.push(recv);
      recv.on("error", (err) => this.emitError(toTransportError(this.id, "receive", err)));
      recv.on("message", (msg, rinfo) => this.received(msg, formatUdpAddress(rinfo.address, rinfo.port)));
      const send = createSocket(family, false);
      owned.push(send);
      send.on("error", (err) => this.emitError(toTransportError(this.id, "send socket", err)));
      let target: { address: string; port: number };
      if (m.kind === "bcast") {
        const netmask = info?.netmask ?? "255.255.255.255";
        const bcast = info ? broadcastAddress(ifaddr, netmask) : "255.255.255.255";
        await bind(recv, m.port, bcast);
        await bind(send, 0, ifaddr);
        send.setBroadcast(true);
        target = { address: bcast, port: m.port };
      } else if (m.kind === "mcast" || m.kind === "mcast6") {
        // a link-scope IPv6 group (ff02::...) is bound and sent to with the interface as scope id:
        // without it bind() fails with EINVAL
        const group = family === 6 ? withScope(m.group, m.iface) : m.group;
        await bind(recv, m.port, group);
        recv.addMembership(m.group, family === 6 ? `::%${m.iface}` : ifaddr);
        await bind(send, 0, ifaddr);
        send.setMulticastInterface(family === 6 ? `::%${m.iface}` : ifaddr);
        send.setMulticastTTL(m.ttl);
        send.setMulticastLoopback(m.loop);
        target = { address: group, port: m.port };
      } else {
        throw new TransportError("unsupported", this.id, `medium kind ${m.kind}`);
      }
      trySetRecvBuffer(recv, rcvbuf);
      const local = send.address();
      this.wiring = {
        target,
        sender: new Sender(send, maxPending),
        localAddress: formatUdpAddress(local.address, local.port),
        own: owned,
      };
    } catch (err) {
      await Promise.all(owned.map(closeSocket));
      throw toTransportError(this.id, `cannot open on ${m.iface} (${ifaddr})`, err);
    }
  }

  protected transmit(frame: Uint8Array, to: PeerAddress | undefined): SendResult {
    const w = this.wiring;
    if (w === undefined) return "closed";
    const dest = to === undefined ? w.target : parseUdpAddress(to, w.target.port);
    if (dest === undefined) return "bad-address";
    return w.sender.send(frame, dest.port, dest.address, (err) => {
      if (err === null) return;
      this.counters.sendErrors++;
      if (!this.closed)
        this.emitError(
          toTransportError(this.id, `send to ${formatUdpAddress(dest.address, dest.port)}`, err),
        );
    });
  }

  protected async release(): Promise<void> {
    const w = this.wiring;
    if (w === undefined) return;
    if (w.shared) await this.pool.release(w.shared, this);
    await Promise.all(w.own.map(closeSocket));
  }

  /** A datagram arrived for this medium. */
  received(msg: Buffer, from: PeerAddress): void {
    if (from === this.wiring?.localAddress) {
      this.counters.ownEchoes++;
      return;
    }
    this.deliver(new Uint8Array(msg.buffer, msg.byteOffset, msg.length), from);
  }
}

function trySetRecvBuffer(s: dgram.Socket, bytes: number): void {
  try {
    if (s.getRecvBufferSize() < bytes) s.setRecvBufferSize(bytes);
  } catch {
    // Best effort: the kernel caps it at net.core.rmem_max anyway.
  }
}

/**
 * Opens a UDP medium. Rejects with a TransportError: "no-device" (no such
 * interface), "no-address", "address-in-use", "permission", or "io".
 */
export async function openUdpTransport(medium: UdpMedium, opts: UdpOptions = {}): Promise<UdpTransport> {
  const t = new UdpTransport(
    medium,
    opts.clock ?? monotonicClock,
    opts.maxQueuedFrames ?? DEFAULT_MAX_QUEUED_FRAMES,
    opts.pool ?? defaultPool,
  );
  await t.start(opts);
  return t;
}
