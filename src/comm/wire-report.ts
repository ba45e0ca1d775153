/**
 * `hbctl wire decode`: turns captured datagrams into records an operator can
 * read ("why don't my nodes see each other?") or a program can consume
 * (records are plain JSON values). Pure: the CLI reads the files.
 */
import type { AuthKeys, AuthMethod } from "../config/model.js";
import type { CapturedPacket } from "./capture.js";
import type { WireLimits } from "./limits.js";
import { DEFAULT_WIRE_LIMITS } from "./limits.js";
import { type Field, type FieldKind, getString, type Message, readControlFields } from "./message.js";
import type { Verdict } from "./sign.js";
import { decodeFrame, verifyFrame } from "./wire.js";
import { messageMeaning } from "./wire-meaning.js";
import type { FrameFormat, WireErrorKind } from "./wire-types.js";

/** A field rendered for display and JSON: binary as hex (UUIDs as 8-4-4-4-12), lists as arrays. */
export type FieldView =
  | { readonly name: string; readonly type: Exclude<FieldKind, "struct" | "list">; readonly value: string }
  | { readonly name: string; readonly type: "list"; readonly value: readonly string[] }
  | { readonly name: string; readonly type: "struct"; readonly value: readonly FieldView[] };

export type VerdictName = "ok" | "bad-signature" | "unknown-key" | "malformed";

export interface PacketRecord {
  /** 1-based position in the capture. */
  readonly index: number;
  readonly timeMs: number;
  readonly timeBase: "epoch" | "relative";
  readonly src: string;
  readonly dst: string;
  readonly bytes: number;
  readonly format?: FrameFormat;
  /** Message type (`t`). */
  readonly type?: string;
  /** Sending node (`src` field). */
  readonly node?: string;
  readonly seq?: number;
  readonly generation?: number;
  /** `st` of status messages. */
  readonly status?: string;
  /** What the message means (wire-meaning.ts), for the types Heartbeat and Tandem send. */
  readonly meaning?: string;
  readonly deadtimeMs?: number;
  readonly protocol?: number;
  readonly fields: readonly FieldView[];
  readonly verdict: VerdictName;
  readonly keyIndex?: number;
  readonly method?: AuthMethod;
  /** The method the digest length suggests the sender used, when it differs from ours. */
  readonly senderMethod?: AuthMethod;
  /** malformed: the decoder's error kind. */
  readonly errorKind?: WireErrorKind | "auth";
  /** One sentence explaining the verdict. */
  readonly reason: string;
  /** Further observations (inner signature, missing control fields, capture truncation). */
  readonly notes: readonly string[];
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

function uuidText(b: Uint8Array): string {
  const h = hex(b);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Display form of a message's fields. */
export function viewFields(msg: Message): FieldView[] {
  return msg.fields.map(viewField);
}

function viewField(f: Field): FieldView {
  switch (f.kind) {
    case "string":
      return { name: f.name, type: "string", value: f.value };
    case "binary":
      return {
        name: f.name,
        type: "binary",
        value: f.value.length === 16 ? uuidText(f.value) : hex(f.value),
      };
    case "list":
      return { name: f.name, type: "list", value: f.value };
    case "struct":
      return { name: f.name, type: "struct", value: viewFields(f.value) };
  }
}

function explain(
  v: Verdict,
  what: string,
  node: string,
): Pick<PacketRecord, "verdict" | "reason"> & Partial<PacketRecord> {
  switch (v.verdict) {
    case "ok":
      return {
        verdict: "ok",
        keyIndex: v.keyIndex,
        method: v.method,
        reason: `${what} ok (key ${v.keyIndex}, ${v.method})`,
      };
    case "unknown-key":
      return {
        verdict: "unknown-key",
        keyIndex: v.keyIndex,
        reason: `signed with key ${v.keyIndex}, which your authkeys does not define`,
      };
    case "bad-signature": {
      const sm = v.senderMethod;
      const methodHint =
        sm === undefined ? "" : `; the digest looks like ${sm} but key ${v.keyIndex} here is ${v.method}`;
      return {
        verdict: "bad-signature",
        keyIndex: v.keyIndex,
        method: v.method,
        ...(sm === undefined ? {} : { senderMethod: sm }),
        reason: `${what} does not match with key ${v.keyIndex} (${v.method})${methodHint}: ${node}'s secret for key ${v.keyIndex} likely differs from yours`,
      };
    }
    case "malformed":
      return { verdict: "malformed", errorKind: "auth", reason: v.reason };
  }
}

/** Decodes and verifies every packet. */
export function describePackets(
  packets: readonly CapturedPacket[],
  keys: AuthKeys,
  limits: WireLimits = DEFAULT_WIRE_LIMITS,
): PacketRecord[] {
  return packets.map((p, i): PacketRecord => {
    const base = {
      index: i + 1,
      timeMs: p.timeMs,
      timeBase: p.timeBase,
      src: p.src,
      dst: p.dst,
      bytes: p.payload.length,
    };
    const notes: string[] = [];
    if (p.truncated) notes.push("the capture cut this datagram short (raise tcpdump's snaplen, -s 0)");
    const d = decodeFrame(p.payload, limits);
    if (!d.ok)
      return {
        ...base,
        fields: [],
        verdict: "malformed",
        errorKind: d.error.kind,
        reason: d.error.reason,
        notes,
      };
    const { control: c, problems } = readControlFields(d.msg);
    notes.push(...problems);
    const v = verifyFrame(d, keys, limits);
    const node = c.src ?? p.src;
    if (d.format === "netstring" && v.inner !== undefined && v.inner.verdict !== v.verdict.verdict)
      notes.push(
        `inner auth field: ${explain(v.inner, "inner auth field", node).reason} (Heartbeat does not check it on netstring frames)`,
      );
    const meaning = messageMeaning(c.t, (name) => getString(d.msg, name));
    const optional = {
      ...(c.t === undefined ? {} : { type: c.t }),
      ...(meaning === undefined ? {} : { meaning }),
      ...(c.src === undefined ? {} : { node: c.src }),
      ...(c.seq === undefined ? {} : { seq: c.seq }),
      ...(c.hg === undefined ? {} : { generation: c.hg }),
      ...(c.st === undefined ? {} : { status: c.st }),
      ...(c.dtMs === undefined ? {} : { deadtimeMs: c.dtMs }),
      ...(c.protocol === undefined ? {} : { protocol: c.protocol }),
    };
    const what = d.format === "netstring" ? "netstring trailer" : "auth field";
    return {
      ...base,
      format: d.format,
      ...optional,
      fields: viewFields(d.msg),
      ...explain(v.verdict, what, node),
      notes,
    };
  });
}

// ------------------------------------------------------------------ summary

export interface SenderSummary {
  /** The `src` node name, or the source address when nothing decoded. */
  readonly node: string;
  readonly addresses: readonly string[];
  readonly packets: number;
  readonly verdicts: Readonly<Partial<Record<VerdictName, number>>>;
  readonly types: Readonly<Record<string, number>>;
  readonly lastStatus?: string;
  readonly deadtimeMs?: number;
  readonly protocol?: number;
  readonly generation?: number;
  readonly sendsStatusWithoutProtocol: boolean;
  readonly keyIndexes: readonly number[];
  readonly destinations: readonly string[];
}

/** Per-sender totals (senders in order of first appearance). */
export function summarize(records: readonly PacketRecord[]): SenderSummary[] {
  const by = new Map<string, PacketRecord[]>();
  for (const r of records) {
    const k = r.node ?? r.src;
    by.set(k, [...(by.get(k) ?? []), r]);
  }
  return [...by.entries()].map(([node, rs]) => {
    const verdicts: Partial<Record<VerdictName, number>> = {};
    const types: Record<string, number> = {};
    for (const r of rs) {
      verdicts[r.verdict] = (verdicts[r.verdict] ?? 0) + 1;
      if (r.type !== undefined) types[r.type] = (types[r.type] ?? 0) + 1;
    }
    const statuses = rs.filter((r) => r.type === "status");
    const last = statuses.at(-1);
    return {
      node,
      addresses: unique(rs.map((r) => r.src)),
      packets: rs.length,
      verdicts,
      types,
      ...(last?.status === undefined ? {} : { lastStatus: last.status }),
      ...(last?.deadtimeMs === undefined ? {} : { deadtimeMs: last.deadtimeMs }),
      ...(last?.protocol === undefined ? {} : { protocol: last.protocol }),
      ...(last?.generation === undefined ? {} : { generation: last.generation }),
      sendsStatusWithoutProtocol: statuses.some((r) => r.protocol === undefined && r.verdict === "ok"),
      keyIndexes: unique(rs.flatMap((r) => (r.keyIndex === undefined ? [] : [r.keyIndex]))).sort(
        (a, b) => a - b,
      ),
      destinations: unique(rs.map((r) => r.dst)),
    };
  });
}

const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? "" : "s"}`;
const unique = <T>(xs: readonly T[]): T[] => [...new Set(xs)];

/** Diagnoses for "why don't my nodes see each other", most important first. */
export function hints(records: readonly PacketRecord[]): string[] {
  const out: string[] = [];
  if (records.length === 0)
    return ["No UDP packets in the capture: is the capture filter right (udp port 694)? Is anything sent?"];
  const senders = summarize(records);
  for (const s of senders) {
    const bad = s.verdicts["bad-signature"] ?? 0;
    const unknown = s.verdicts["unknown-key"] ?? 0;
    const malformed = s.verdicts.malformed ?? 0;
    const who = `${s.node} (${s.addresses.join(", ")})`;
    if (bad > 0) {
      const r = records.find((x) => (x.node ?? x.src) === s.node && x.verdict === "bad-signature")!;
      const method =
        r.senderMethod === undefined
          ? ""
          : ` (its digests look like ${r.senderMethod}, key ${r.keyIndex} here is ${r.method})`;
      out.push(
        `${bad} of ${plural(s.packets, "packet")} from ${who} fail authentication with key ${r.keyIndex}${method}: the secret or method for key ${r.keyIndex} in that node's /etc/ha.d/authkeys differs from yours. Heartbeat drops these packets, so that node looks dead. Use one authkeys file on every node.`,
      );
    }
    if (unknown > 0) {
      const idx = unique(
        records
          .filter((x) => (x.node ?? x.src) === s.node && x.verdict === "unknown-key")
          .map((x) => x.keyIndex),
      );
      out.push(
        `${plural(unknown, "packet")} from ${who} ${unknown === 1 ? "is" : "are"} signed with key ${idx.join(", ")}, which your authkeys does not define (Heartbeat logs "Invalid authentication type"): add that key line, or make both nodes' "auth N" name a key they share.`,
      );
    }
    if (malformed > 0) {
      const r = records.find((x) => (x.node ?? x.src) === s.node && x.verdict === "malformed")!;
      out.push(
        `${plural(malformed, "packet")} from ${who} ${malformed === 1 ? "is" : "are"} malformed and would be dropped; first: packet ${r.index}: ${r.reason}`,
      );
    }
    if ((s.types["status"] ?? 0) === 0 && s.packets > malformed)
      out.push(
        `${who} sent no status message: only status messages keep a node alive, so it will be declared dead.`,
      );
    if (s.sendsStatusWithoutProtocol)
      out.push(
        `${who} sends status without a protocol field (an older Heartbeat or msgfmt peer): Heartbeat then disables ACK flow control for the whole process.`,
      );
  }
  const ok = senders.filter((s) => (s.verdicts.ok ?? 0) > 0);
  if (ok.length === 1)
    out.push(
      `Only ${ok[0]!.node} sends packets that verify. The other node either sends nothing here, sends to another address or port (check its ucast/bcast/mcast lines and udpport), is firewalled, or signs with a different key.`,
    );
  const dts = unique(ok.flatMap((s) => (s.deadtimeMs === undefined ? [] : [s.deadtimeMs])));
  if (dts.length > 1)
    out.push(
      `Nodes advertise different deadtimes (${ok.map((s) => `${s.node} ${s.deadtimeMs ?? "?"} ms`).join(", ")}); each peer uses the advertised value, so failure detection is asymmetric (Heartbeat advertises deadtime + 2 s during its first 5 s, so ignore this for a capture of a start-up only).`,
    );
  const ports = unique(records.map((r) => r.dst.split(":").at(-1)!));
  if (ports.length > 1)
    out.push(`Packets go to several UDP ports (${ports.join(", ")}): every node must use the same udpport.`);
  return out;
}

// ------------------------------------------------------------------ text

export interface FormatOptions {
  /** Print every field under each packet (default true). */
  readonly fields?: boolean;
}

function fieldText(f: FieldView): string {
  const v =
    f.type === "struct"
      ? `{ ${f.value.map(fieldText).join(" ")} }`
      : f.type === "list"
        ? `[${f.value.map((s) => JSON.stringify(s)).join(", ")}]`
        : /^[!-~]*$/.test(f.value) && f.value !== ""
          ? f.value
          : JSON.stringify(f.value);
  return `${f.name}=${v}`;
}

function timeText(r: PacketRecord, first: PacketRecord): string {
  const rel = `+${((r.timeMs - first.timeMs) / 1000).toFixed(3)}s`;
  return r.timeBase === "epoch" ? `${new Date(r.timeMs).toISOString().slice(11, 23)} ${rel}` : rel;
}

const VERDICT_TEXT: Record<VerdictName, string> = {
  ok: "OK",
  "bad-signature": "BAD SIGNATURE",
  "unknown-key": "UNKNOWN KEY",
  malformed: "MALFORMED",
};

/** The text report: one block per packet, then a per-node summary and hints. */
export function formatReport(records: readonly PacketRecord[], opts: FormatOptions = {}): string {
  const lines: string[] = [];
  const first = records[0];
  if (first !== undefined && first.timeBase === "epoch")
    lines.push(`capture starts ${new Date(first.timeMs).toISOString()}`);
  for (const r of records) {
    const what = [r.format ?? "?", r.type ?? "-", r.node === undefined ? "" : `from ${r.node}`];
    if (r.seq !== undefined) what.push(`seq ${r.seq.toString(16)}`);
    const verdict =
      r.verdict === "ok" ? `OK key ${r.keyIndex} ${r.method}` : `${VERDICT_TEXT[r.verdict]}: ${r.reason}`;
    lines.push(
      `#${r.index} ${timeText(r, first!)} ${r.src} -> ${r.dst} ${r.bytes}B ${what.filter(Boolean).join(" ")}  ${verdict}`,
    );
    if (r.meaning !== undefined) lines.push(`    = ${r.meaning}`);
    if ((opts.fields ?? true) && r.fields.length > 0) lines.push(`    ${r.fields.map(fieldText).join(" ")}`);
    for (const n of r.notes) lines.push(`    note: ${n}`);
  }
  const total = (v: VerdictName) => records.filter((r) => r.verdict === v).length;
  lines.push(
    "",
    `${records.length} packets: ${total("ok")} ok, ${total("bad-signature")} bad signature, ${total("unknown-key")} unknown key, ${total("malformed")} malformed`,
  );
  for (const s of summarize(records)) {
    const verdicts = Object.entries(s.verdicts)
      .map(([k, n]) => `${n} ${k}`)
      .join(", ");
    const types = Object.entries(s.types)
      .map(([k, n]) => `${k} ${n}`)
      .join(", ");
    const st = [
      s.lastStatus === undefined ? "" : `last status ${s.lastStatus}`,
      s.deadtimeMs === undefined ? "" : `deadtime ${s.deadtimeMs} ms`,
      s.protocol === undefined ? "" : `protocol ${s.protocol}`,
      s.generation === undefined ? "" : `generation ${s.generation.toString(16)}`,
    ].filter(Boolean);
    lines.push(
      `  ${s.node} from ${s.addresses.join(", ")} to ${s.destinations.join(", ")}: ${plural(s.packets, "packet")} (${verdicts})`,
    );
    if (types !== "") lines.push(`    types: ${types}`);
    if (st.length > 0) lines.push(`    ${st.join(", ")}`);
  }
  const hs = hints(records);
  if (hs.length > 0) lines.push("", "Hints:", ...hs.map((h) => `  - ${h}`));
  return `${lines.join("\n")}\n`;
}
