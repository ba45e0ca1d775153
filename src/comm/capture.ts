/**
 * Captured datagrams, as read from a pcap file (pcap.ts) or from the JSONL
 * format of the Heartbeat test vectors:
 *
 *     {"t_ms": 12.345, "src": "10.99.0.1:42226", "dst": "10.99.0.2:694", "hex": "2323230a..."}
 *
 * Pure: the caller reads the file and passes the text.
 */

export interface CapturedPacket {
  /** Milliseconds: since the Unix epoch for pcap, since the first packet for JSONL (see timeBase). */
  readonly timeMs: number;
  readonly timeBase: "epoch" | "relative";
  /** "ip:port". */
  readonly src: string;
  readonly dst: string;
  /** The UDP payload. */
  readonly payload: Uint8Array;
  /** True when the capture cut the datagram short (snaplen). */
  readonly truncated?: boolean;
}

export interface CaptureProblem {
  /** 1-based line (JSONL) or record number (pcap). */
  readonly at: number;
  readonly reason: string;
}

export interface CaptureRead {
  readonly packets: CapturedPacket[];
  /** Lines or records that were skipped, with the reason. */
  readonly skipped: CaptureProblem[];
}

const HEXTEXT = /^(?:[0-9a-fA-F]{2})*$/;

/** Reads the JSONL vector format; bad lines are skipped and reported, never thrown. */
export function readJsonlCapture(text: string): CaptureRead {
  const packets: CapturedPacket[] = [];
  const skipped: CaptureProblem[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line === "") return;
    const at = i + 1;
    let o: unknown;
    try {
      o = JSON.parse(line);
    } catch {
      skipped.push({ at, reason: "not valid JSON" });
      return;
    }
    const r = o as { t_ms?: unknown; src?: unknown; dst?: unknown; hex?: unknown };
    if (typeof o !== "object" || o === null) skipped.push({ at, reason: "not a JSON object" });
    else if (typeof r.t_ms !== "number" || !Number.isFinite(r.t_ms))
      skipped.push({ at, reason: "t_ms is not a number" });
    else if (typeof r.src !== "string" || typeof r.dst !== "string")
      skipped.push({ at, reason: "src/dst are not strings" });
    else if (typeof r.hex !== "string" || !HEXTEXT.test(r.hex))
      skipped.push({ at, reason: "hex is not an even-length hex string" });
    else
      packets.push({
        timeMs: r.t_ms,
        timeBase: "relative",
        src: r.src,
        dst: r.dst,
        payload: new Uint8Array(Buffer.from(r.hex, "hex")),
      });
  });
  return { packets, skipped };
}

/** Writes packets in the JSONL vector format (one line each, trailing newline). */
export function writeJsonlCapture(packets: readonly CapturedPacket[]): string {
  return packets
    .map((p) =>
      JSON.stringify({ t_ms: p.timeMs, src: p.src, dst: p.dst, hex: Buffer.from(p.payload).toString("hex") }),
    )
    .map((l) => `${l}\n`)
    .join("");
}
