/**
 * Heartbeat's message model: an ordered list of typed fields. Order matters
 * because both signatures cover it, so a Message is a value that keeps it.
 *
 * Field types on the wire are digits: 0 string, 1 binary, 2 struct (nested
 * message), 3 list of strings. Types 4 and 5 (compressed payloads) are not
 * used by Heartbeat's control traffic and are refused by the decoders.
 */

export type Field =
  | { readonly kind: "string"; readonly name: string; readonly value: string }
  | { readonly kind: "binary"; readonly name: string; readonly value: Uint8Array }
  | { readonly kind: "struct"; readonly name: string; readonly value: Message }
  | { readonly kind: "list"; readonly name: string; readonly value: readonly string[] };

export type FieldKind = Field["kind"];

/** A string field; allStrings() tells a message made only of them (every heartbeat, for the codecs' fast paths). */
export type StringField = Extract<Field, { kind: "string" }>;
export const allStrings = (fields: readonly Field[]): fields is readonly StringField[] =>
  fields.every((f) => f.kind === "string");

/** A string or binary field: what a heartbeat's fields are (srcuuid, destuuid are binary). */
export type FlatField = Extract<Field, { kind: "string" | "binary" }>;
/** Whether a message has only string and binary fields (every heartbeat), for the codecs' fast paths. */
export const allFlat = (fields: readonly Field[]): fields is readonly FlatField[] =>
  fields.every((f) => f.kind === "string" || f.kind === "binary");

export interface Message {
  readonly fields: readonly Field[];
}

/** The `(digit)` written before a field name on the wire. */
export const FIELD_TYPE: Readonly<Record<FieldKind, number>> = { string: 0, binary: 1, struct: 2, list: 3 };

/** Inverse of FIELD_TYPE for the types we decode. */
export function fieldKindOf(type: number): FieldKind | undefined {
  return (["string", "binary", "struct", "list"] as const)[type];
}

export const str = (name: string, value: string): Field => ({ kind: "string", name, value });
export const bin = (name: string, value: Uint8Array): Field => ({ kind: "binary", name, value });
export const struct = (name: string, value: Message): Field => ({ kind: "struct", name, value });
export const list = (name: string, value: readonly string[]): Field => ({ kind: "list", name, value });
export const message = (...fields: Field[]): Message => ({ fields });

/** First field with this name, of any type. */
export function getField(msg: Message, name: string): Field | undefined {
  return msg.fields.find((f) => f.name === name);
}

/** Value of the first string field with this name. */
export function getString(msg: Message, name: string): string | undefined {
  const f = getField(msg, name);
  return f?.kind === "string" ? f.value : undefined;
}

/** A copy without any field of this name. */
export function withoutField(msg: Message, name: string): Message {
  return { fields: msg.fields.filter((f) => f.name !== name) };
}

/** Structural equality (names, kinds, values, order). */
export function messagesEqual(a: Message, b: Message): boolean {
  return a.fields.length === b.fields.length && a.fields.every((f, i) => fieldsEqual(f, b.fields[i]!));
}

function fieldsEqual(a: Field, b: Field): boolean {
  if (a.name !== b.name) return false;
  if (a.kind === "string" && b.kind === "string") return a.value === b.value;
  if (a.kind === "binary" && b.kind === "binary") return Buffer.from(a.value).equals(b.value);
  if (a.kind === "struct" && b.kind === "struct") return messagesEqual(a.value, b.value);
  if (a.kind === "list" && b.kind === "list")
    return a.value.length === b.value.length && a.value.every((v, j) => v === b.value[j]);
  return false;
}

// ------------------------------------------------------------ control fields

/** Names of the control fields Heartbeat appends (reference 3.6) plus the common payload ones. */
export const F = {
  type: "t",
  src: "src",
  srcuuid: "srcuuid",
  dest: "dest",
  destuuid: "destuuid",
  seq: "seq",
  generation: "hg",
  timestamp: "ts",
  load: "ld",
  ttl: "ttl",
  auth: "auth",
  status: "st",
  deadtime: "dt",
  protocol: "protocol",
} as const;

/** Message types that carry no `seq` (and no `ld`): Heartbeat's `NS_` prefix. */
export function isUnsequencedType(t: string): boolean {
  return t.startsWith("NS_");
}

/** Control fields of a received message, parsed into their real types. */
export interface ControlFields {
  readonly t?: string;
  readonly src?: string;
  readonly srcuuid?: Uint8Array;
  readonly dest?: string;
  readonly destuuid?: Uint8Array;
  /** Sequence number (hex on the wire). */
  readonly seq?: number;
  /** Generation `hg` (hex on the wire). */
  readonly hg?: number;
  /** Sender's Unix time in seconds (`ts`, hex on the wire). */
  readonly ts?: number;
  readonly ld?: string;
  readonly ttl?: number;
  readonly auth?: string;
  /** `st` of status messages. */
  readonly st?: string;
  /** Advertised deadtime in ms (`dt`, hex on the wire). */
  readonly dtMs?: number;
  /** `protocol` (decimal); present means the sender does ACK flow control. */
  readonly protocol?: number;
}

export interface ControlRead {
  readonly control: ControlFields;
  /**
   * Why Heartbeat would drop this message or could not read a field, one
   * sentence each; empty when the message carries everything it needs
   * (`t`, `src`, a nonzero `ts`, and `seq` unless the type starts with NS_).
   */
  readonly problems: readonly string[];
}

const HEX = /^[0-9a-fA-F]{1,13}$/;
const DEC = /^[0-9]{1,15}$/;

/**
 * Parses a Heartbeat hex number (seq, hg, ts, dt, NS_ackmsg's ackseq,
 * NS_nak_rexmit's firstseq); undefined when it is not one.
 */
export function parseHex(s: string): number | undefined {
  return HEX.test(s) ? Number.parseInt(s, 16) : undefined;
}

/** Parses a decimal field (ttl, protocol, NS_rexmit's firstseq/lastseq); undefined when it is not one. */
export function parseDecimal(s: string): number | undefined {
  return DEC.test(s) ? Number.parseInt(s, 10) : undefined;
}

/** Lower-case hex without leading zeros, as Heartbeat prints `%lx`. */
export function toHex(n: number): string {
  return n.toString(16);
}

/** The control fields' names (F.seq and others are the same strings). */
const CONTROL_NAMES = [
  "t",
  "src",
  "dest",
  "ld",
  "auth",
  "st",
  "srcuuid",
  "destuuid",
  "seq",
  "hg",
  "ts",
  "dt",
  "ttl",
  "protocol",
] as const;
type ControlName = (typeof CONTROL_NAMES)[number];
const CONTROL_INDEX: ReadonlyMap<string, number> = new Map(CONTROL_NAMES.map((n, i) => [n, i]));

/**
 * The first field of each control name, in CONTROL_NAMES order (undefined where absent): one pass
 * over the fields instead of a search per name (the receive path of every heartbeat, issue 15).
 */
function firstControlFields(msg: Message): (Field | undefined)[] {
  const found: (Field | undefined)[] = new Array(CONTROL_NAMES.length).fill(undefined);
  for (const f of msg.fields) {
    const i = CONTROL_INDEX.get(f.name);
    if (i !== undefined && found[i] === undefined) found[i] = f;
  }
  return found;
}

const at = (found: readonly (Field | undefined)[], name: ControlName): Field | undefined =>
  found[CONTROL_INDEX.get(name) as number];

/** Reads and type-checks the control fields; never throws. */
export function readControlFields(msg: Message): ControlRead {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  const found = firstControlFields(msg);
  const text = (name: ControlName): string | undefined => {
    const f = at(found, name);
    if (f === undefined) return undefined;
    if (f.kind !== "string") {
      problems.push(`field ${name} should be a string but is ${f.kind}`);
      return undefined;
    }
    return f.value;
  };
  const binary = (name: ControlName): Uint8Array | undefined => {
    const f = at(found, name);
    if (f === undefined) return undefined;
    if (f.kind !== "binary") {
      problems.push(`field ${name} should be binary but is ${f.kind}`);
      return undefined;
    }
    if (f.value.length !== 16) problems.push(`field ${name} should be a 16-byte UUID, has ${f.value.length}`);
    return f.value;
  };
  const num = (name: ControlName, key: string, re: RegExp, radix: number, label: string): void => {
    const s = text(name);
    if (s === undefined) return;
    if (!re.test(s)) problems.push(`field ${name}=${JSON.stringify(s)} is not a ${label} number`);
    else out[key] = Number.parseInt(s, radix);
  };
  for (const k of ["t", "src", "dest", "ld", "auth", "st"] as const) {
    const v = text(k);
    if (v !== undefined) out[k] = v;
  }
  for (const k of ["srcuuid", "destuuid"] as const) {
    const v = binary(k);
    if (v !== undefined) out[k] = v;
  }
  num("seq", "seq", HEX, 16, "hex");
  num("hg", "hg", HEX, 16, "hex");
  num("ts", "ts", HEX, 16, "hex");
  num("dt", "dtMs", HEX, 16, "hex");
  num("ttl", "ttl", DEC, 10, "decimal");
  num("protocol", "protocol", DEC, 10, "decimal");

  const c = out as ControlFields;
  if (c.t === undefined) problems.push("no message type (field t)");
  if (c.src === undefined) problems.push("no sender (field src)");
  if (at(found, "ts") === undefined) problems.push("no timestamp (field ts): Heartbeat drops it");
  else if (c.ts === 0) problems.push("timestamp ts is 0: Heartbeat drops it silently");
  if (c.t !== undefined && !isUnsequencedType(c.t) && at(found, "seq") === undefined)
    problems.push(`no sequence number (field seq) on a ${c.t} message`);
  return { control: c, problems };
}

/** Values for the control fields a sender appends (reference 3.6). */
export interface ControlValues {
  readonly src: string;
  readonly srcuuid?: Uint8Array;
  /** Added (first) when the message is addressed and the destination's UUID is known. */
  readonly destuuid?: Uint8Array;
  /** Ignored for NS_ types, which are unsequenced. */
  readonly seq?: number;
  readonly hg: number;
  /** Unix time in seconds. */
  readonly ts: number;
  /** /proc/loadavg text; ignored for NS_ types. */
  readonly ld?: string;
  readonly ttl: number;
}

/**
 * Appends the control fields in Heartbeat's order: destuuid, src, srcuuid,
 * seq, hg, ts, ld, ttl. `auth` is appended by signing (see sign.ts).
 */
export function withControlFields(payload: Message, c: ControlValues): Message {
  const t = getString(payload, F.type) ?? "";
  const sequenced = !isUnsequencedType(t);
  const fields: Field[] = [...payload.fields];
  if (c.destuuid !== undefined) fields.push(bin(F.destuuid, c.destuuid));
  fields.push(str(F.src, c.src));
  if (c.srcuuid !== undefined) fields.push(bin(F.srcuuid, c.srcuuid));
  if (sequenced && c.seq !== undefined) fields.push(str(F.seq, toHex(c.seq)));
  fields.push(str(F.generation, toHex(c.hg)), str(F.timestamp, toHex(c.ts)));
  if (sequenced && c.ld !== undefined) fields.push(str(F.load, c.ld));
  fields.push(str(F.ttl, String(c.ttl)));
  return { fields };
}
