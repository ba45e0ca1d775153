/**
 * The netstring frame Heartbeat 3.0.6 sends (reference 3.4):
 *
 *     ###\n
 *     <len>:(<type>)<name>=<value>,     one per field; len = bytes of "(type)name=value"
 *     %%%\n
 *     <len>:<N> <hexdigest>,            outer auth trailer (signing is in sign.ts / wire.ts)
 *
 * Binary values are raw bytes, struct values are complete nested `###..%%%\n`
 * blocks without trailer, list values are concatenated `len:item,`.
 * Pure; decoders never throw and check every length before slicing.
 */
import { concat, copyOf, decodeUtf8, hasAt, indexOfByte, printable, utf8 } from "./bytes.js";
import { DEFAULT_WIRE_LIMITS, type WireLimits } from "./limits.js";
import {
  allFlat,
  allStrings,
  FIELD_TYPE,
  type Field,
  type FlatField,
  fieldKindOf,
  type Message,
  type StringField,
} from "./message.js";
import { assertEncodableName, type DecodeContext, fail, type Step, WireEncodeError } from "./wire-types.js";

export const NETSTRING_START: Uint8Array = utf8("###\n");
export const NETSTRING_END: Uint8Array = utf8("%%%\n");
const COLON = 0x3a;
const COMMA = 0x2c;
const COMMA_BYTES = Uint8Array.of(COMMA);
const EQUALS = 0x3d;
/** Netstring lengths never need more digits than this (a frame is at most 256 KiB). */
const MAX_LEN_DIGITS = 9;

// -------------------------------------------------------------------- encode

/** One netstring `len:data,`. */
export function netstring(data: Uint8Array): Uint8Array {
  return concat([utf8(`${data.length}:`), data, COMMA_BYTES]);
}

/** Packs list items as `len:item,...` (Heartbeat's string_list_pack). */
export function packList(items: readonly string[], limits: WireLimits = DEFAULT_WIRE_LIMITS): Uint8Array {
  if (items.length === 0) throw new WireEncodeError("a list field needs at least one item");
  if (items.length > limits.maxListItems) throw new WireEncodeError("too many list items");
  return concat(
    items.map((s) => {
      if (s.length === 0) throw new WireEncodeError("list items cannot be empty");
      return netstring(utf8(s));
    }),
  );
}

/** The `###\n ... %%%\n` block of a message, without the auth trailer. */
export function encodeNetstringBody(
  msg: Message,
  limits: WireLimits = DEFAULT_WIRE_LIMITS,
  depth = 0,
): Uint8Array {
  if (depth > limits.maxDepth) throw new WireEncodeError(`nesting deeper than ${limits.maxDepth}`);
  if (allStrings(msg.fields)) return stringBody(msg.fields, limits);
  if (allFlat(msg.fields)) {
    const text = asciiFlatBody(msg.fields, limits);
    if (text !== undefined) return text;
  }
  const parts: Uint8Array[] = [NETSTRING_START];
  for (const f of msg.fields) {
    const nameBytes = Buffer.byteLength(f.name, "utf8");
    assertEncodableName(f.name, nameBytes, limits.maxNameBytes);
    const value = fieldValueBytes(f, limits, depth);
    if (value.length > limits.maxValueBytes) throw new WireEncodeError(`value of ${f.name} is too large`);
    // "(t)" + name + "=" + value
    parts.push(utf8(`${4 + nameBytes + value.length}:(${FIELD_TYPE[f.kind]})${f.name}=`), value, COMMA_BYTES);
  }
  parts.push(NETSTRING_END);
  const out = concat(parts);
  if (out.length > limits.maxFrameBytes)
    throw new WireEncodeError(`message of ${out.length} bytes is too large`);
  return out;
}

/**
 * encodeNetstringBody of string fields only: the frame built as one string and
 * converted once (the same bytes and checks; per-field buffers and their
 * concatenation were a fifth of hbd's send path at keepalive 10 ms, issue 15).
 */
function stringBody(fields: readonly StringField[], limits: WireLimits): Uint8Array {
  let s = "###\n";
  for (const f of fields) {
    const nameBytes = Buffer.byteLength(f.name, "utf8");
    assertEncodableName(f.name, nameBytes, limits.maxNameBytes);
    const valueBytes = Buffer.byteLength(f.value, "utf8");
    if (valueBytes > limits.maxValueBytes) throw new WireEncodeError(`value of ${f.name} is too large`);
    s += `${4 + nameBytes + valueBytes}:(0)${f.name}=${f.value},`;
  }
  const out = utf8(`${s}%%%\n`);
  if (out.length > limits.maxFrameBytes)
    throw new WireEncodeError(`message of ${out.length} bytes is too large`);
  return out;
}

/** Whether a string is plain ASCII (its UTF-8 and latin1 bytes are the same). */
const ASCII = /^[\x00-\x7f]*$/;

/**
 * encodeNetstringBody of string and binary fields (every heartbeat: srcuuid is
 * binary) whose names and string values are ASCII: the frame built as one
 * latin1 string, a binary value's bytes as its characters, converted once (the
 * same bytes and checks as the general path). Undefined when a name or value is
 * not ASCII (the general path then writes it).
 */
function asciiFlatBody(fields: readonly FlatField[], limits: WireLimits): Uint8Array | undefined {
  let s = "###\n";
  for (const f of fields) {
    if (!ASCII.test(f.name)) return undefined;
    assertEncodableName(f.name, f.name.length, limits.maxNameBytes);
    let value: string;
    if (f.kind === "string") {
      if (!ASCII.test(f.value)) return undefined;
      value = f.value;
    } else value = Buffer.from(f.value.buffer, f.value.byteOffset, f.value.length).toString("latin1");
    if (value.length > limits.maxValueBytes) throw new WireEncodeError(`value of ${f.name} is too large`);
    s += `${4 + f.name.length + value.length}:(${FIELD_TYPE[f.kind]})${f.name}=${value},`;
  }
  const out = Buffer.from(`${s}%%%\n`, "latin1");
  if (out.length > limits.maxFrameBytes)
    throw new WireEncodeError(`message of ${out.length} bytes is too large`);
  return out;
}

function fieldValueBytes(f: Field, limits: WireLimits, depth: number): Uint8Array {
  switch (f.kind) {
    case "string":
      return utf8(f.value);
    case "binary":
      return f.value;
    case "struct":
      return encodeNetstringBody(f.value, limits, depth + 1);
    case "list":
      return packList(f.value, limits);
  }
}

// -------------------------------------------------------------------- decode

interface Peeled {
  /** Start and end (exclusive) of the data. */
  readonly start: number;
  readonly end: number;
  /** Position after the closing comma. */
  readonly next: number;
}

/** Reads one `len:data,` at `pos`, never reading outside b[pos, limit). */
export function peelNetstring(b: Uint8Array, pos: number, limit = b.length): Step<Peeled> {
  let i = pos;
  let len = 0;
  while (i < limit && i - pos < MAX_LEN_DIGITS && b[i]! >= 0x30 && b[i]! <= 0x39)
    len = len * 10 + b[i++]! - 0x30;
  if (i === pos)
    return fail(
      "bad-netstring",
      `expected a netstring length at byte ${pos}, found "${printable(b.subarray(pos, pos + 8))}"`,
    );
  if (i >= limit) return fail("truncated", `netstring length at byte ${pos} runs to the end of the data`);
  if (b[i] !== COLON) return fail("bad-netstring", `netstring length at byte ${pos} is not followed by ":"`);
  const start = i + 1;
  const end = start + len;
  if (end >= limit)
    return fail(
      "truncated",
      `netstring at byte ${pos} announces ${len} bytes but only ${Math.max(0, limit - start)} remain`,
    );
  if (b[end] !== COMMA)
    return fail("bad-netstring", `netstring at byte ${pos} (${len} bytes) does not end with ","`);
  return { ok: true, value: { start, end, next: end + 1 } };
}

/** Unpacks `len:item,...` (Heartbeat's string_list_unpack), items non-empty UTF-8. */
export function unpackList(b: Uint8Array, name: string, limits: WireLimits): Step<string[]> {
  const items: string[] = [];
  let pos = 0;
  while (pos < b.length) {
    if (items.length >= limits.maxListItems)
      return fail("limit", `list field ${name} has more than ${limits.maxListItems} items`);
    const p = peelNetstring(b, pos);
    if (!p.ok) return fail("bad-field", `list field ${name}: ${p.error.reason}`);
    const s = decodeUtf8(b.subarray(p.value.start, p.value.end));
    if (s === undefined || s.length === 0)
      return fail("bad-field", `list field ${name} has an empty or non-UTF-8 item`);
    items.push(s);
    pos = p.value.next;
  }
  if (items.length === 0) return fail("bad-field", `list field ${name} is empty`);
  return { ok: true, value: items };
}

/**
 * Decodes one `###\n...%%%\n` block starting at `pos` within b[0, limit).
 * Returns the message and the position after `%%%\n`.
 */
export function decodeNetstringBody(
  b: Uint8Array,
  pos: number,
  limit: number,
  depth: number,
  ctx: DecodeContext,
): Step<{ msg: Message; next: number }> {
  if (!hasAt(b.subarray(0, limit), pos, NETSTRING_START))
    return fail("unknown-format", `expected "###\\n" at byte ${pos}`);
  let at = pos + NETSTRING_START.length;
  const fields: Field[] = [];
  for (;;) {
    if (at >= limit) return fail("truncated", `no "%%%\\n" end marker (data ends at byte ${limit})`);
    if (hasAt(b.subarray(0, limit), at, NETSTRING_END)) break;
    const p = peelNetstring(b, at, limit);
    if (!p.ok) return p;
    const f = decodeNvPair(b, p.value.start, p.value.end, depth, ctx);
    if (!f.ok) return f;
    fields.push(f.value);
    at = p.value.next;
  }
  return { ok: true, value: { msg: { fields }, next: at + NETSTRING_END.length } };
}

function decodeNvPair(
  b: Uint8Array,
  start: number,
  end: number,
  depth: number,
  ctx: DecodeContext,
): Step<Field> {
  const { limits } = ctx;
  if (++ctx.fields > limits.maxFields) return fail("limit", `more than ${limits.maxFields} fields`);
  if (end - start < 4 || b[start] !== 0x28 || b[start + 2] !== 0x29)
    return fail(
      "bad-field",
      `field at byte ${start} does not start with "(type)": "${printable(b.subarray(start, end), 30)}"`,
    );
  const digit = b[start + 1]! - 0x30;
  if (digit < 0 || digit > 9) return fail("bad-field", `field at byte ${start} has a non-digit type`);
  const eq = indexOfByte(b, EQUALS, start + 3, end);
  if (eq <= start + 3) return fail("bad-field", `field at byte ${start} has no name or no "="`);
  if (eq - start - 3 > limits.maxNameBytes)
    return fail("limit", `field name at byte ${start} is longer than ${limits.maxNameBytes} bytes`);
  const name = decodeUtf8(b.subarray(start + 3, eq));
  if (name === undefined) return fail("bad-field", `field name at byte ${start} is not UTF-8`);
  const kind = fieldKindOf(digit);
  if (kind === undefined)
    return fail("unsupported-type", `field ${name} has type ${digit}, which Tandem does not decode`);
  const vs = eq + 1;
  if (end - vs > limits.maxValueBytes)
    return fail("limit", `value of ${name} is larger than ${limits.maxValueBytes} bytes`);
  return decodeValue(kind, name, b, vs, end, depth, ctx);
}

function decodeValue(
  kind: Field["kind"],
  name: string,
  b: Uint8Array,
  vs: number,
  end: number,
  depth: number,
  ctx: DecodeContext,
): Step<Field> {
  switch (kind) {
    case "string": {
      const value = decodeUtf8(b.subarray(vs, end));
      return value === undefined
        ? fail("bad-field", `string field ${name} is not UTF-8`)
        : ok({ kind, name, value });
    }
    case "binary":
      return ok({ kind, name, value: copyOf(b, vs, end) });
    case "list": {
      const items = unpackList(b.subarray(vs, end), name, ctx.limits);
      return items.ok ? ok({ kind, name, value: items.value }) : items;
    }
    case "struct": {
      if (depth + 1 > ctx.limits.maxDepth)
        return fail("limit", `struct field ${name} nests deeper than ${ctx.limits.maxDepth}`);
      const inner = decodeNetstringBody(b, vs, end, depth + 1, ctx);
      if (!inner.ok) return fail(inner.error.kind, `in struct field ${name}: ${inner.error.reason}`);
      if (inner.value.next !== end)
        return fail("bad-field", `struct field ${name} has bytes after its "%%%\\n"`);
      return ok({ kind, name, value: inner.value.msg });
    }
  }
}

const ok = (value: Field): Step<Field> => ({ ok: true, value });
