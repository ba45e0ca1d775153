/**
 * A pure reader for classic libpcap files (not pcapng): both byte orders,
 * microsecond (a1b2c3d4) and nanosecond (a1b23c4d) magic; link types
 * Ethernet (1, with 802.1Q tags), raw IPv4 (101, 228), Linux cooked SLL (113)
 * and SLL2 (276). Keeps IPv4 UDP datagrams; everything else is skipped with
 * a reason. Never throws; a file that is not a usable pcap gives a typed error.
 */
import type { CapturedPacket, CaptureProblem, CaptureRead } from "./capture.js";

export type PcapErrorKind = "not-pcap" | "truncated" | "unsupported-link-type";

export type PcapResult =
  | ({ readonly ok: true; readonly linkType: number } & CaptureRead)
  | { readonly ok: false; readonly error: { readonly kind: PcapErrorKind; readonly reason: string } };

export const LINKTYPE = { ethernet: 1, raw: 101, ipv4: 228, linuxSll: 113, linuxSll2: 276 } as const;

const GLOBAL_HEADER = 24;
const RECORD_HEADER = 16;
/** No capture record is larger than this (tcpdump's maximum snaplen). */
const MAX_RECORD = 262144;

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_VLAN = [0x8100, 0x88a8];

/** Reads a whole pcap file. */
export function readPcap(file: Uint8Array): PcapResult {
  if (file.length < GLOBAL_HEADER)
    return error("not-pcap", `file of ${file.length} bytes is too short for a pcap header`);
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const magicBE = view.getUint32(0, false);
  const magicLE = view.getUint32(0, true);
  let little: boolean;
  let nanos: boolean;
  if (magicLE === 0xa1b2c3d4 || magicLE === 0xa1b23c4d) [little, nanos] = [true, magicLE === 0xa1b23c4d];
  else if (magicBE === 0xa1b2c3d4 || magicBE === 0xa1b23c4d)
    [little, nanos] = [false, magicBE === 0xa1b23c4d];
  else if (magicBE === 0x0a0d0d0a)
    return error(
      "not-pcap",
      "this is a pcapng file; convert it with `tcpdump -r in.pcapng -w out.pcap` or editcap -F pcap",
    );
  else return error("not-pcap", `unknown magic number 0x${magicBE.toString(16).padStart(8, "0")}`);
  const linkType = view.getUint32(20, little) & 0x0fffffff;
  if (!Object.values(LINKTYPE).includes(linkType as never))
    return error(
      "unsupported-link-type",
      `link type ${linkType} is not supported (Ethernet 1, raw IP 101/228, Linux SLL 113, SLL2 276)`,
    );

  const packets: CapturedPacket[] = [];
  const skipped: CaptureProblem[] = [];
  let pos = GLOBAL_HEADER;
  for (let n = 1; pos < file.length; n++) {
    if (pos + RECORD_HEADER > file.length)
      return error("truncated", `record ${n} header is cut off at byte ${pos}`);
    const sec = view.getUint32(pos, little);
    const frac = view.getUint32(pos + 4, little);
    const incl = view.getUint32(pos + 8, little);
    const orig = view.getUint32(pos + 12, little);
    if (incl > MAX_RECORD) return error("truncated", `record ${n} claims ${incl} bytes; the file is corrupt`);
    const start = pos + RECORD_HEADER;
    if (start + incl > file.length)
      return error("truncated", `record ${n} needs ${incl} bytes but the file ends first`);
    const timeMs = sec * 1000 + (nanos ? frac / 1e6 : frac / 1e3);
    const r = extractUdp(file.subarray(start, start + incl), linkType);
    if (typeof r === "string") skipped.push({ at: n, reason: r });
    else {
      const truncated = incl < orig || r.truncated;
      packets.push({
        timeMs,
        timeBase: "epoch",
        src: r.src,
        dst: r.dst,
        payload: r.payload,
        ...(truncated ? { truncated } : {}),
      });
    }
    pos = start + incl;
  }
  return { ok: true, linkType, packets, skipped };
}

const error = (kind: PcapErrorKind, reason: string): PcapResult => ({ ok: false, error: { kind, reason } });

interface Udp {
  readonly src: string;
  readonly dst: string;
  readonly payload: Uint8Array;
  readonly truncated: boolean;
}

/** The UDP datagram in one link-layer frame, or why there is none. */
function extractUdp(frame: Uint8Array, linkType: number): Udp | string {
  const v = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  let ipAt: number;
  let etherType: number;
  switch (linkType) {
    case LINKTYPE.ethernet: {
      if (frame.length < 14) return "Ethernet header cut off";
      ipAt = 14;
      etherType = v.getUint16(12);
      while (ETHERTYPE_VLAN.includes(etherType)) {
        if (frame.length < ipAt + 4) return "VLAN tag cut off";
        etherType = v.getUint16(ipAt + 2);
        ipAt += 4;
      }
      break;
    }
    case LINKTYPE.linuxSll:
      if (frame.length < 16) return "Linux cooked header cut off";
      ipAt = 16;
      etherType = v.getUint16(14);
      break;
    case LINKTYPE.linuxSll2:
      if (frame.length < 20) return "Linux cooked v2 header cut off";
      ipAt = 20;
      etherType = v.getUint16(0);
      break;
    default:
      ipAt = 0;
      etherType = frame.length > 0 && frame[0]! >> 4 === 4 ? ETHERTYPE_IPV4 : 0;
  }
  if (etherType !== ETHERTYPE_IPV4)
    return `not IPv4 (ethertype 0x${etherType.toString(16).padStart(4, "0")})`;
  if (frame.length < ipAt + 20) return "IPv4 header cut off";
  const vihl = frame[ipAt]!;
  if (vihl >> 4 !== 4) return "not IPv4";
  const ihl = (vihl & 0x0f) * 4;
  if (ihl < 20) return "bad IPv4 header length";
  const totalLen = v.getUint16(ipAt + 2);
  const fragment = v.getUint16(ipAt + 6);
  const proto = frame[ipAt + 9]!;
  if (proto !== 17) return `not UDP (IP protocol ${proto})`;
  if ((fragment & 0x3fff) !== 0) return "IPv4 fragment (reassembly is not supported)";
  const src = ipv4(frame, ipAt + 12);
  const dst = ipv4(frame, ipAt + 16);
  const udpAt = ipAt + ihl;
  if (frame.length < udpAt + 8) return "UDP header cut off";
  const udpLen = v.getUint16(udpAt + 4);
  if (udpLen < 8 || udpLen > totalLen - ihl) return `bad UDP length ${udpLen}`;
  const want = udpLen - 8;
  const have = Math.min(want, frame.length - udpAt - 8);
  return {
    src: `${src}:${v.getUint16(udpAt)}`,
    dst: `${dst}:${v.getUint16(udpAt + 2)}`,
    payload: new Uint8Array(frame.subarray(udpAt + 8, udpAt + 8 + have)),
    truncated: have < want,
  };
}

const ipv4 = (b: Uint8Array, at: number): string => `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
