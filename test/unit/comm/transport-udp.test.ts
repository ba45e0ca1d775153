// Goal: the UDP media (ucast, bcast, mcast) honour the Transport contract and fail with typed errors.
// Method: the contract suite over real sockets on loopback (127.0.0.x, ephemeral ports), plus error cases.
import assert from "node:assert/strict";
import dgram from "node:dgram";
import dns from "node:dns";
import { test } from "node:test";
import { openTransport } from "../../../src/comm/media.js";
import { type Clock, TransportError } from "../../../src/comm/transport.js";
import {
  broadcastAddress,
  interfaceAddress,
  numericLookup,
  openUdpTransport,
  parseUdpAddress,
  UDP_MAX_FRAME_IPV4,
  UdpSocketPool,
  withScope,
} from "../../../src/comm/udp.js";
import type { Medium } from "../../../src/config/model.js";
import { inbox, opaqueFrame, sleep, transportContract } from "../../contract/transport.js";

const clock: Clock = { now: () => performance.now() };
const at = { file: "test", line: 1 };

/** A UDP port that was free a moment ago on 127.0.0.1. */
async function freePort(): Promise<number> {
  const s = dgram.createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", r));
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const ucast = (peer: string, port: number): Medium => ({ kind: "ucast", iface: "lo", peer, port, at });

transportContract({
  name: "udp ucast on loopback",
  clock,
  minFrameBytes: 4,
  quietMs: 30,
  frame: opaqueFrame,
  addressOf: (t) => t.localAddress,
  fromOf: (sender) => sender.localAddress,
  badAddress: "not-an-ip:99999",
  async open() {
    const port = await freePort();
    const a = await openTransport(ucast("127.0.0.2", port), { clock, bindAddress: "127.0.0.1" });
    const b = await openTransport(ucast("127.0.0.1", port), { clock, bindAddress: "127.0.0.2" });
    const c = await openTransport(ucast("127.0.0.1", port), { clock, bindAddress: "127.0.0.3" });
    return { a, b, c };
  },
});

transportContract({
  name: "udp bcast on loopback",
  clock,
  minFrameBytes: 4,
  quietMs: 30,
  frame: opaqueFrame,
  fromOf: (sender) => sender.localAddress,
  async open() {
    const port = await freePort();
    const m: Medium = { kind: "bcast", iface: "lo", port, at };
    const [a, b, c] = [
      await openTransport(m, { clock }),
      await openTransport(m, { clock }),
      await openTransport(m, { clock }),
    ];
    return { a, b, c };
  },
});

transportContract({
  name: "udp mcast on loopback",
  clock,
  minFrameBytes: 4,
  quietMs: 30,
  frame: opaqueFrame,
  fromOf: (sender) => sender.localAddress,
  async open() {
    const port = await freePort();
    const group = `239.255.${(port >> 8) & 255}.${port & 255}`;
    const m: Medium = { kind: "mcast", iface: "lo", group, port, ttl: 0, loop: true, at };
    const [a, b, c] = [
      await openTransport(m, { clock }),
      await openTransport(m, { clock }),
      await openTransport(m, { clock }),
    ];
    return { a, b, c };
  },
});

test("two ucast media on one address and port share a socket; each gets its own peer's frames", async () => {
  const port = await freePort();
  const pool = new UdpSocketPool();
  const toB = await openUdpTransport(ucast("127.0.0.2", port) as never, { bindAddress: "127.0.0.1", pool });
  const toC = await openUdpTransport(ucast("127.0.0.3", port) as never, { bindAddress: "127.0.0.1", pool });
  const b = await openUdpTransport(ucast("127.0.0.1", port) as never, { bindAddress: "127.0.0.2", pool });
  const c = await openUdpTransport(ucast("127.0.0.1", port) as never, { bindAddress: "127.0.0.3", pool });
  try {
    const [inB, inC] = [inbox(toB), inbox(toC)];
    b.send(opaqueFrame(8, 1));
    c.send(opaqueFrame(8, 2));
    await inB.waitFor(1);
    await inC.waitFor(1);
    assert.equal(inB.frames[0]?.from, `127.0.0.2:${port}`);
    assert.equal(inC.frames[0]?.from, `127.0.0.3:${port}`);
    await toB.close();
    c.send(opaqueFrame(8, 3));
    await inC.waitFor(2);
    assert.equal(inB.frames.length, 1);
  } finally {
    await Promise.all([toB, toC, b, c].map((t) => t.close()));
  }
  // Everything released: the address can be bound again.
  const again = await openUdpTransport(ucast("127.0.0.2", port) as never, { bindAddress: "127.0.0.1", pool });
  await again.close();
});

test("ucast to our own address is dropped as an echo and counted", async () => {
  const port = await freePort();
  const self = await openTransport(ucast("127.0.0.1", port), { bindAddress: "127.0.0.1", clock });
  try {
    const box = inbox(self);
    self.send(opaqueFrame(8, 1));
    const deadline = performance.now() + 2000;
    while (self.stats().ownEchoes === 0 && performance.now() < deadline) await sleep(2);
    assert.equal(self.stats().ownEchoes, 1);
    assert.equal(box.frames.length, 0);
  } finally {
    await self.close();
  }
});

test("opening fails with typed errors: missing interface, address in use", async () => {
  await assert.rejects(
    openTransport({ kind: "ucast", iface: "nosuchif0", peer: "10.0.0.1", port: 694, at }),
    (e: unknown) => e instanceof TransportError && e.code === "no-device" && /nosuchif0/.test(e.message),
  );
  const port = await freePort();
  const holder = dgram.createSocket("udp4");
  await new Promise<void>((r) => holder.bind(port, "127.0.0.1", r));
  try {
    await assert.rejects(
      openTransport(ucast("127.0.0.2", port), { bindAddress: "127.0.0.1", pool: new UdpSocketPool() }),
      (e: unknown) => e instanceof TransportError && e.code === "address-in-use",
    );
  } finally {
    holder.close();
  }
});

test("send errors are counted and reported, never thrown", async () => {
  const port = await freePort();
  const t = await openTransport(ucast("127.0.0.2", port), { bindAddress: "127.0.0.1", clock });
  try {
    const errors: TransportError[] = [];
    t.onError((e) => errors.push(e));
    // 255.255.255.255 without SO_BROADCAST: the kernel refuses with EACCES.
    assert.equal(t.send(opaqueFrame(8, 1), "255.255.255.255:9"), "accepted");
    const deadline = performance.now() + 2000;
    while (errors.length === 0 && performance.now() < deadline) await sleep(2);
    assert.equal(t.stats().sendErrors, 1);
    assert.equal(errors[0]?.code, "permission");
  } finally {
    await t.close();
  }
});

test("at most maxPendingSends datagrams wait for the OS; more answer backlog", async () => {
  const port = await freePort();
  const t = await openTransport(ucast("127.0.0.2", port), { bindAddress: "127.0.0.1", maxPendingSends: 2 });
  try {
    const results = [1, 2, 3].map((i) => t.send(opaqueFrame(8, i)));
    assert.deepEqual(results, ["accepted", "accepted", "backlog"]);
    await sleep(20);
    assert.equal(t.send(opaqueFrame(8, 4)), "accepted", "the queue drains");
  } finally {
    await t.close();
  }
});

test("frame limit is the UDP/IPv4 payload limit; addresses parse with default ports", () => {
  assert.equal(UDP_MAX_FRAME_IPV4, 65507);
  assert.deepEqual(parseUdpAddress("10.0.0.2", 694), { address: "10.0.0.2", port: 694 });
  assert.deepEqual(parseUdpAddress("10.0.0.2:7000", 694), { address: "10.0.0.2", port: 7000 });
  assert.deepEqual(parseUdpAddress("[fe80::1%eth0]:7000", 694), { address: "fe80::1%eth0", port: 7000 });
  assert.deepEqual(parseUdpAddress("fe80::1", 694), { address: "fe80::1", port: 694 });
  for (const bad of ["", "host:1", "10.0.0.2:0", "10.0.0.2:70000", "[nope]:1"])
    assert.equal(parseUdpAddress(bad, 694), undefined, bad);
  assert.equal(broadcastAddress("10.1.2.3", "255.255.255.0"), "10.1.2.255");
  assert.equal(broadcastAddress("127.0.0.1", "255.0.0.0"), "127.255.255.255");
});

test("IPv6: link-local peers and link-scope groups get the interface as scope id; the bound address matches the peer's scope", () => {
  assert.equal(withScope("fe80::2", "eth1"), "fe80::2%eth1");
  assert.equal(withScope("fe80::2%eth0", "eth1"), "fe80::2%eth0", "an explicit scope id is kept");
  assert.equal(withScope("ff02::694", "eth1"), "ff02::694%eth1");
  assert.equal(withScope("ff12::694", "eth1"), "ff12::694%eth1", "transient link-scope group");
  assert.equal(withScope("ff05::694", "eth1"), "ff05::694", "site scope needs none");
  assert.equal(withScope("fd00::2", "eth1"), "fd00::2");
  assert.equal(withScope("10.0.0.2", "eth1"), "10.0.0.2");
  const info = (address: string, family: "IPv4" | "IPv6") =>
    ({ address, family, netmask: "", mac: "", internal: false, cidr: null, scopeid: 0 }) as never;
  // the kernel may list the link-local address first
  const table = () => ({
    eth1: [info("fe80::1", "IPv6"), info("10.0.0.1", "IPv4"), info("fd00::1", "IPv6")],
  });
  assert.equal(interfaceAddress("m", "eth1", 6, table).address, "fd00::1");
  assert.equal(interfaceAddress("m", "eth1", 6, table, true).address, "fe80::1");
  assert.equal(interfaceAddress("m", "eth1", 4, table).address, "10.0.0.1");
  const onlyLinkLocal = () => ({ eth1: [info("fe80::1", "IPv6")] });
  assert.equal(interfaceAddress("m", "eth1", 6, onlyLinkLocal).address, "fe80::1", "fallback");
  assert.throws(
    () => interfaceAddress("m", "eth1", 6, () => ({ eth1: [info("10.0.0.1", "IPv4")] })),
    /no IPv6 address/,
  );
});

test("a datagram to a numeric address takes no DNS lookup (issue 15: one per frame, on the next tick, at keepalive 10 ms)", async () => {
  const names: string[] = [];
  const real = dns.lookup;
  const counting = (...args: unknown[]) => {
    names.push(String(args[0]));
    return (real as (...a: unknown[]) => unknown)(...args);
  };
  const port = await freePort();
  (dns as { lookup: unknown }).lookup = counting;
  const a = await openTransport(ucast("127.0.0.2", port), { clock, bindAddress: "127.0.0.1" });
  const b = await openTransport(ucast("127.0.0.1", port), { clock, bindAddress: "127.0.0.2" });
  try {
    const box = inbox(b);
    assert.equal(a.send(opaqueFrame(64, 1)), "accepted");
    assert.equal(a.send(opaqueFrame(64, 2), b.localAddress), "accepted");
    await box.waitFor(2);
    assert.deepEqual(names, [], "no lookup for bind() or send()");
  } finally {
    (dns as { lookup: unknown }).lookup = real;
    await a.close();
    await b.close();
  }
  // a name (never in ha.cf, which names addresses) still resolves through dns.lookup
  const r = await new Promise<[string, number]>((resolve, reject) =>
    numericLookup("localhost", 4, (err, address, family) => (err ? reject(err) : resolve([address, family]))),
  );
  assert.deepEqual(r, ["127.0.0.1", 4]);
  let sync = false;
  numericLookup("fe80::1%lo", 6, (_e, address, family) => {
    sync = true;
    assert.deepEqual([address, family], ["fe80::1%lo", 6]);
  });
  assert.ok(sync, "a numeric address is answered at once");
});
