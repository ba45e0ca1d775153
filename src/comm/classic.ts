/**
 * Heartbeat's classic text frame (reference 3.3), what 2.1.x sends on UDP,
 * what serial links carry, and the form the inner `auth` field signs:
 *
 *     >>>\n
 *     name=value\n              string (a newline in the value is written as byte 0x13)
 *     (1)name=<base64>\n        binary
 *     (2)name=>>>..<<<..        struct: a nested frame whose newlines are replaced by
 *                               byte 20 + depth (depth 0 for a top-level field)
 *     (3)name=3:abc,4:defg,     list
 *     <<<\n
 *     \0                        trailing NUL sent by real nodes
 *
 * Pure; decoders never throw.
 */
import { concat, decodeUtf8, fromBase64, hasAt, indexOfByte, printable, toBase64, utf8 } from "./bytes.js";
import { DEFAULT_WIRE_LIMITS, type WireLimits } from "./limits.js";
import { allFlat, FIELD_TYPE, type Field, type FlatField, fieldKindOf, type Message } from "./message.js";
import { packList, unpackList } from "./netstring.js";
import { assertEncodableName, type DecodeContext, fail, type Step, WireEncodeError } from "./wire-types.js";

export const CLASSIC_START: Uint8Array = utf8(">>>\n");
export const CLASSIC_END: Uint8Array = utf8("<<<\n");
const NL = 0x0a;
const NL_BYTES = Uint8Array.of(NL);
/** Replaces a newline inside a string value. */
const STRING_NL = 0x13;
/** Replaces the newlines of a nested struct at depth d: 20 + d (Heartbeat's SPECIAL_SYMS). */
const structNl = (depth: number): number => 20 + depth;
/** Heartbeat has ten substitute bytes (20..29), so depth 9 is the deepest it can write. */
const HEARTBEAT_MAXDEPTH = 10;

// -------------------------------------------------------------------- encode

/**
 * The classic lines of the fields, `[(type)]name=value\n` each, without
 * `>>>`/`<<<`: what the inner `auth` field signs when given all fields but `auth`.
 * Throws WireEncodeError for a message Heartbeat could not write either.
 */
export function classicFieldLines(
  msg: Message,
  limits: WireLimits = DEFAULT_WIRE_LIMITS,
  depth = 0,
): Uint8Array {
  if (allFlat(msg.fields)) return utf8(classicFlatLines(msg.fields, limits));
  const parts: Uint8Array[] = [];
  for (const f of msg.fields) {
    assertEncodableName(f.name, Buffer.byteLength(f.name, "utf8"), limits.maxNameBytes);
    const prefix = f.kind === "string" ? "" : `(${FIELD_TYPE[f.kind]})`;
    parts.push(utf8(`${prefix}${f.name}=`), classicValue(f, limits, depth), NL_BYTES);
  }
  return concat(parts);
}

/**
 * classicFieldLines of string and binary fields only (every heartbeat: srcuuid
 * is binary), as one string converted once (the same bytes: a name and a value
 * are never adjacent, so no surrogate pair can form across them; a binary value
 * is base64, ASCII). Per-field buffers were a fifth of hbd's send path at
 * keepalive 10 ms (issue 15).
 */
function classicFlatLines(fields: readonly FlatField[], limits: WireLimits): string {
  let s = "";
  for (const f of fields) {
    assertEncodableName(f.name, Buffer.byteLength(f.name, "utf8"), limits.maxNameBytes);
    if (f.kind === "string") s += `${f.name}=${f.value.replaceAll("\n", "\x13")}\n`;
    else s += `(${FIELD_TYPE.binary})${f.name}=${toBase64(f.value)}\n`;
  }
  return s;
}

function classicValue(f: Field, limits: WireLimits, depth: number): Uint8Array {
  switch (f.kind) {
    case "string":
      return utf8(f.value.replaceAll("\n", "\x13"));
    case "binary":
      return utf8(toBase64(f.value));
    case "list":
      if (f.value.some((s) => s.includes("\n")))
        throw new WireEncodeError(
          `list field ${f.name} has an item with a newline (not representable in classic form)`,
        );
      return packList(f.value, limits);
    case "struct": {
      if (depth + 1 > limits.maxDepth || depth + 1 >= HEARTBEAT_MAXDEPTH)
        throw new WireEncodeError(`struct field ${f.name} nests too deep for the classic form`);
      const text = concat([CLASSIC_START, classicFieldLines(f.value, limits, depth + 1), CLASSIC_END]);
      const sym = structNl(depth);
      if (text.includes(sym))
        throw new WireEncodeError(
          `struct field ${f.name} contains byte ${sym}, which classic form reserves at this depth`,
        );
      return text.map((c) => (c === NL ? sym : c));
    }
  }
}

/** A whole classic frame: `>>>\n`, the field lines, `<<<\n` and (by default) the trailing NUL. */
export function encodeClassic(
  msg: Message,
  opts: { readonly limits?: WireLimits; readonly trailingNul?: boolean } = {},
): Uint8Array {
  const limits = opts.limits ?? DEFAULT_WIRE_LIMITS;
  const parts = [CLASSIC_START, classicFieldLines(msg, limits), CLASSIC_END];
  if (opts.trailingNul ?? true) parts.push(Uint8Array.of(0));
  const out = concat(parts);
  if (out.length > limits.maxFrameBytes)
    throw new WireEncodeError(`message of ${out.length} bytes is too large`);
  return out;
}

// -------------------------------------------------------------------- decode

/**
 * Decodes a classic frame at the start of `b` (nested frames at `depth`).
 * Returns the message and the position after `<<<\n`.
 */
export function decodeClassicBody(
  b: Uint8Array,
  depth: number,
  ctx: DecodeContext,
): Step<{ msg: Message; next: number }> {
  if (!hasAt(b, 0, CLASSIC_START)) return fail("unknown-format", `expected ">>>\\n" at depth ${depth}`);
  let at = CLASSIC_START.length;
  const fields: Field[] = [];
  for (;;) {
    while (at < b.length && b[at] === NL) at++; // Heartbeat skips empty lines
    if (at >= b.length) return fail("truncated", `no "<<<\\n" end marker (data ends at byte ${b.length})`);
    if (hasAt(b, at, CLASSIC_END)) break;
    const eol = indexOfByte(b, NL, at);
    if (eol < 0)
      return fail("truncated", `line at byte ${at} has no newline: "${printable(b.subarray(at), 30)}"`);
    const f = decodeLine(b.subarray(at, eol), at, depth, ctx);
    if (!f.ok) return f;
    fields.push(f.value);
    at = eol + 1;
  }
  return { ok: true, value: { msg: { fields }, next: at + CLASSIC_END.length } };
}

function decodeLine(line: Uint8Array, offset: number, depth: number, ctx: DecodeContext): Step<Field> {
  const { limits } = ctx;
  if (++ctx.fields > limits.maxFields) return fail("limit", `more than ${limits.maxFields} fields`);
  let type = 0;
  let nameStart = 0;
  if (line[0] === 0x28) {
    const digit = (line[1] ?? 0) - 0x30;
    if (line[2] !== 0x29 || digit < 0 || digit > 9)
      return fail("bad-field", `line at byte ${offset} starts with "(" but has no "(digit)" type`);
    if (digit === 0)
      return fail("bad-field", `line at byte ${offset} has the type prefix (0), which Heartbeat refuses`);
    type = digit;
    nameStart = 3;
  }
  const eq = indexOfByte(line, 0x3d, nameStart);
  if (eq <= nameStart)
    return fail("bad-field", `line at byte ${offset} has no name or no "=": "${printable(line, 30)}"`);
  if (eq - nameStart > limits.maxNameBytes)
    return fail("limit", `field name at byte ${offset} is longer than ${limits.maxNameBytes} bytes`);
  const name = decodeUtf8(line.subarray(nameStart, eq));
  if (name === undefined) return fail("bad-field", `field name at byte ${offset} is not UTF-8`);
  const kind = fieldKindOf(type);
  if (kind === undefined)
    return fail("unsupported-type", `field ${name} has type ${type}, which Tandem does not decode`);
  const raw = line.subarray(eq + 1);
  if (raw.length > limits.maxValueBytes)
    return fail("limit", `value of ${name} is larger than ${limits.maxValueBytes} bytes`);
  switch (kind) {
    case "string": {
      const value = decodeUtf8(raw.map((c) => (c === STRING_NL ? NL : c)));
      return value === undefined
        ? fail("bad-field", `string field ${name} is not UTF-8`)
        : ok({ kind, name, value });
    }
    case "binary": {
      const text = decodeUtf8(raw);
      const value = text === undefined ? undefined : fromBase64(text);
      return value === undefined
        ? fail("bad-field", `binary field ${name} is not valid base64`)
        : ok({ kind, name, value });
    }
    case "list": {
      const items = unpackList(raw, name, limits);
      return items.ok ? ok({ kind, name, value: items.value }) : items;
    }
    case "struct": {
      if (depth + 1 > limits.maxDepth || depth + 1 >= HEARTBEAT_MAXDEPTH)
        return fail(
          "limit",
          `struct field ${name} nests deeper than ${Math.min(limits.maxDepth, HEARTBEAT_MAXDEPTH - 1)}`,
        );
      const sym = structNl(depth);
      const inner = decodeClassicBody(
        raw.map((c) => (c === sym ? NL : c)),
        depth + 1,
        ctx,
      );
      if (!inner.ok) return fail(inner.error.kind, `in struct field ${name}: ${inner.error.reason}`);
      if (inner.value.next !== raw.length)
        return fail("bad-field", `struct field ${name} has bytes after its "<<<"`);
      return ok({ kind, name, value: inner.value.msg });
    }
  }
}

const ok = (value: Field): Step<Field> => ({ ok: true, value });
