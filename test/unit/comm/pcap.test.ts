// Goal: the pcap reader extracts UDP payloads from real tcpdump captures and from hand-built files of both byte orders, timestamp precisions and link types, and reports broken files as typed errors. Method: fixtures made with tcpdump plus bytes written here.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { readJsonlCapture } from "../../../src/comm/capture.js";
import { readPcap } from "../../../src/comm/pcap.js";
import { decodeFrame, verifyFrame } from "../../../src/comm/wire.js";
import type { AuthKeys } from "../../../src/config/model.js";
import { fixturePath, readFixture } from "../../helpers.js";

const KEYS: AuthKeys = {
  active: 1,
  keys: [{ index: 1, method: "sha1", secret: "testsecret", at: { file: "k", line: 1 } }],
};
const vectors = readJsonlCapture(readFixture("vectors", "real-node-and-classic-format-peer.jsonl")).packets;
const netstringPkt = vectors.find((p) => p.payload[0] === 0x23)!.payload;
const classicPkt = vectors.find((p) => p.payload[0] === 0x3e)!.payload;

test("real tcpdump captures: Ethernet, Linux SLL, SLL2 with nanosecond timestamps", () => {
  for (const [file, link] of [
    ["lo-ethernet.pcap", 1],
    ["any-sll.pcap", 113],
    ["any-sll2-nano.pcap", 276],
  ] as const) {
    const r = readPcap(new Uint8Array(readFileSync(fixturePath("vectors", file))));
    assert.ok(r.ok, file);
    assert.equal(r.linkType, link);
    assert.deepEqual(r.skipped, []);
    assert.equal(r.packets.length, 2);
    assert.deepEqual(
      r.packets.map((p) => Buffer.from(p.payload).toString("hex")),
      [Buffer.from(netstringPkt).toString("hex"), Buffer.from(classicPkt).toString("hex")],
    );
    for (const p of r.packets) {
      assert.equal(p.src, "127.0.0.1:42226");
      assert.equal(p.dst, "127.0.0.1:16940");
      assert.equal(p.timeBase, "epoch");
      assert.ok(p.timeMs > Date.UTC(2020, 0) && p.timeMs < Date.UTC(2100, 0), String(p.timeMs));
      const d = decodeFrame(p.payload);
      assert.ok(d.ok);
      assert.equal(verifyFrame(d, KEYS).verdict.verdict, "ok");
    }
    const gap = r.packets[1]!.timeMs - r.packets[0]!.timeMs;
    assert.ok(gap > 10 && gap < 1000, `${file}: ${gap} ms between the two sends (50 ms apart)`);
  }
});

// ---- hand-built files

function u16(n: number): number[] {
  return [n >> 8, n & 0xff];
}
/** IPv4 + UDP, big-endian network order as on the wire. */
function ipUdp(payload: Uint8Array, opts: { proto?: number; frag?: number } = {}): number[] {
  const udp = [...u16(42226), ...u16(694), ...u16(8 + payload.length), 0, 0, ...payload];
  const ip = [
    0x45,
    0,
    ...u16(20 + udp.length),
    0,
    1,
    ...u16(opts.frag ?? 0x4000),
    64,
    opts.proto ?? 17,
    0,
    0,
  ];
  return [...ip, 10, 99, 0, 1, 10, 99, 0, 2, ...udp];
}
const ether = (type: number, rest: number[]) => [...Array(12).fill(0xaa), ...u16(type), ...rest];
const vlan = (rest: number[]) => [...Array(12).fill(0xaa), ...u16(0x8100), 0, 5, ...u16(0x0800), ...rest];
const sll = (rest: number[]) => [0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, ...u16(0x0800), ...rest];

interface Rec {
  sec: number;
  frac: number;
  data: number[];
  orig?: number;
}
function pcapFile(link: number, recs: Rec[], opts: { little: boolean; nano: boolean }): Uint8Array {
  const out: number[] = [];
  const u32 = (n: number) => {
    const b = [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
    out.push(...(opts.little ? b.reverse() : b));
  };
  const u16h = (n: number) => out.push(...(opts.little ? [n & 0xff, n >> 8] : [n >> 8, n & 0xff]));
  u32(opts.nano ? 0xa1b23c4d : 0xa1b2c3d4);
  u16h(2);
  u16h(4);
  u32(0);
  u32(0);
  u32(65535);
  u32(link);
  for (const r of recs) {
    u32(r.sec);
    u32(r.frac);
    u32(r.data.length);
    u32(r.orig ?? r.data.length);
    out.push(...r.data);
  }
  return Uint8Array.from(out);
}

test("hand-built files: both byte orders, both precisions, Ethernet (with VLAN) and SLL", () => {
  for (const little of [true, false])
    for (const nano of [true, false])
      for (const [link, wrap] of [
        [1, (r: number[]) => ether(0x0800, r)],
        [1, vlan],
        [113, sll],
      ] as const) {
        const frac = nano ? 123456789 : 123456;
        const file = pcapFile(link, [{ sec: 1700000000, frac, data: wrap(ipUdp(netstringPkt)) }], {
          little,
          nano,
        });
        const r = readPcap(file);
        assert.ok(r.ok, `${little} ${nano} ${link}`);
        assert.equal(r.packets.length, 1);
        const p = r.packets[0]!;
        assert.equal(p.timeMs, 1700000000 * 1000 + (nano ? 123456789 / 1e6 : 123456 / 1e3));
        assert.equal(p.src, "10.99.0.1:42226");
        assert.equal(p.dst, "10.99.0.2:694");
        assert.deepEqual(p.payload, netstringPkt);
        assert.equal(p.truncated, undefined);
      }
});

test("non-UDP, fragments and non-IPv4 frames are skipped with a reason; snaplen cuts are flagged", () => {
  const data = ipUdp(classicPkt);
  const recs: Rec[] = [
    { sec: 1, frac: 0, data: ether(0x0806, [1, 2, 3]) },
    { sec: 2, frac: 0, data: ether(0x0800, ipUdp(classicPkt, { proto: 6 })) },
    { sec: 3, frac: 0, data: ether(0x0800, ipUdp(classicPkt, { frag: 0x2000 })) },
    { sec: 4, frac: 0, data: ether(0x0800, data.slice(0, 60)), orig: 14 + data.length },
    { sec: 5, frac: 0, data: ether(0x0800, data) },
  ];
  const r = readPcap(pcapFile(1, recs, { little: true, nano: false }));
  assert.ok(r.ok);
  assert.deepEqual(
    r.skipped.map((s) => s.at),
    [1, 2, 3],
  );
  assert.match(r.skipped[0]!.reason, /not IPv4/);
  assert.match(r.skipped[1]!.reason, /not UDP/);
  assert.match(r.skipped[2]!.reason, /fragment/);
  assert.equal(r.packets.length, 2);
  assert.equal(r.packets[0]!.truncated, true);
  assert.equal(r.packets[0]!.payload.length, 60 - 28);
  assert.deepEqual(r.packets[1]!.payload, classicPkt);
  assert.equal(r.packets[1]!.timeMs, 5000);
});

test("broken files give typed errors", () => {
  const good = pcapFile(1, [{ sec: 1, frac: 0, data: ether(0x0800, ipUdp(classicPkt)) }], {
    little: true,
    nano: false,
  });
  const cases: [Uint8Array, string, RegExp][] = [
    [new Uint8Array(10), "not-pcap", /too short/],
    [Uint8Array.from([...Array(24).fill(0)]), "not-pcap", /magic/],
    [Uint8Array.from([0x0a, 0x0d, 0x0d, 0x0a, ...Array(20).fill(0)]), "not-pcap", /pcapng/],
    [pcapFile(105, [], { little: true, nano: false }), "unsupported-link-type", /105/],
    [good.slice(0, 30), "truncated", /header is cut off/],
    [good.slice(0, good.length - 1), "truncated", /file ends/],
    [
      pcapFile(1, [{ sec: 1, frac: 0, data: [] }], { little: true, nano: false }).map((b, i) =>
        i === 34 ? 0x7f : b,
      ),
      "truncated",
      /corrupt/,
    ],
  ];
  for (const [bytes, kind, reason] of cases) {
    const r = readPcap(bytes);
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.error.kind, kind, r.error.reason);
      assert.match(r.error.reason, reason);
    }
  }
});

test("JSONL reader skips bad lines with their line numbers", () => {
  const text = [
    '{"t_ms": 1.5, "src": "a:1", "dst": "b:2", "hex": "0aff"}',
    "",
    "not json",
    '{"t_ms": "x", "src": "a:1", "dst": "b:2", "hex": "00"}',
    '{"t_ms": 1, "src": "a:1", "dst": "b:2", "hex": "abc"}',
    "[1]",
  ].join("\n");
  const r = readJsonlCapture(text);
  assert.equal(r.packets.length, 1);
  assert.deepEqual(r.packets[0]!.payload, Uint8Array.of(0x0a, 0xff));
  assert.deepEqual(
    r.skipped.map((s) => s.at),
    [3, 4, 5, 6],
  );
});
