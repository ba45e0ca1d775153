/**
 * One entry point for both frame formats: decode (format detected from the
 * first four bytes, as Heartbeat does), sign-and-encode, and verify.
 *
 * A signed message carries two signatures (reference 3.5):
 * - the inner `auth` field, appended last, over the classic lines of all other fields;
 * - for netstring frames, the outer trailer over the bytes `###\n` .. `%%%\n`.
 * A receiver checks the one that belongs to the format it received.
 */
import type { AuthKeys } from "../config/model.js";
import { concat, decodeUtf8, hasAt, utf8 } from "./bytes.js";
import { CLASSIC_START, classicFieldLines, decodeClassicBody, encodeClassic } from "./classic.js";
import { DEFAULT_WIRE_LIMITS, type WireLimits } from "./limits.js";
import { F, type Message, str, withoutField } from "./message.js";
import {
  decodeNetstringBody,
  encodeNetstringBody,
  NETSTRING_START,
  netstring,
  peelNetstring,
} from "./netstring.js";
import { activeKey, authValue, checkAuth, type Verdict } from "./sign.js";
import {
  type DecodedFrame,
  type DecodeResult,
  type FrameFormat,
  fail,
  WireEncodeError,
} from "./wire-types.js";

/** Detects the format from the first four bytes. */
export function detectFormat(b: Uint8Array): FrameFormat | undefined {
  if (hasAt(b, 0, NETSTRING_START)) return "netstring";
  if (hasAt(b, 0, CLASSIC_START)) return "classic";
  return undefined;
}

/**
 * Decodes one datagram. Never throws; every failure is a typed WireError.
 * Signatures are not checked here: see verifyFrame.
 */
export function decodeFrame(b: Uint8Array, limits: WireLimits = DEFAULT_WIRE_LIMITS): DecodeResult {
  if (b.length === 0) return fail("empty", "empty datagram");
  if (b.length > limits.maxFrameBytes)
    return fail("too-large", `datagram of ${b.length} bytes exceeds the ${limits.maxFrameBytes}-byte limit`);
  const ctx = { limits, fields: 0 };
  const format = detectFormat(b);
  if (format === "classic") {
    const r = decodeClassicBody(b, 0, ctx);
    if (!r.ok) return r;
    const rest = b.length - r.value.next;
    if (rest > 1 || (rest === 1 && b[r.value.next] !== 0))
      return fail("trailing-bytes", `${rest} bytes after "<<<\\n" (only a single NUL may follow)`);
    return { ok: true, format, msg: r.value.msg };
  }
  if (format === "netstring") {
    const r = decodeNetstringBody(b, 0, b.length, 0, ctx);
    if (!r.ok) return r;
    const end = r.value.next;
    const signedBytes = b.subarray(0, end);
    if (end === b.length || (end + 1 === b.length && b[end] === 0))
      return { ok: true, format, msg: r.value.msg, signedBytes };
    const p = peelNetstring(b, end);
    if (!p.ok) return fail(p.error.kind, `auth trailer: ${p.error.reason}`);
    const after = b.length - p.value.next;
    if (after > 1 || (after === 1 && b[p.value.next] !== 0))
      return fail("trailing-bytes", `${after} bytes after the auth trailer`);
    const trailer = decodeUtf8(b.subarray(p.value.start, p.value.end));
    if (trailer === undefined) return fail("bad-netstring", "auth trailer is not text");
    return { ok: true, format, msg: r.value.msg, signedBytes, trailer };
  }
  return fail("unknown-format", `datagram starts with neither "###\\n" nor ">>>\\n"`);
}

/**
 * Appends the inner `auth` field signed with the active key, replacing any
 * existing one: the digest covers the classic lines of all other fields.
 */
export function signInner(msg: Message, keys: AuthKeys, limits: WireLimits = DEFAULT_WIRE_LIMITS): Message {
  const body = withoutField(msg, F.auth);
  return {
    fields: [...body.fields, str(F.auth, authValue(activeKey(keys), classicFieldLines(body, limits)))],
  };
}

/**
 * Signs and encodes a message as Heartbeat 3.0.6 does: inner `auth` field,
 * then (netstring) the outer trailer. Throws WireEncodeError when the
 * message cannot be written (bad name, too large, too deep).
 */
export function encodeFrame(
  msg: Message,
  keys: AuthKeys,
  format: FrameFormat = "netstring",
  limits: WireLimits = DEFAULT_WIRE_LIMITS,
): Uint8Array {
  const signed = signInner(msg, keys, limits);
  if (format === "classic") return encodeClassic(signed, { limits });
  const body = encodeNetstringBody(signed, limits);
  const out = concat([body, netstring(utf8(authValue(activeKey(keys), body)))]);
  if (out.length > limits.maxFrameBytes)
    throw new WireEncodeError(`message of ${out.length} bytes is too large`);
  return out;
}

/** Verdicts for a decoded frame. */
export interface Verification {
  /** The check Heartbeat makes for this format: the outer trailer (netstring) or the `auth` field (classic). */
  readonly verdict: Verdict;
  /** netstring only: the inner `auth` field, which Heartbeat does not check on netstring frames. */
  readonly inner?: Verdict;
}

/** Checks the inner `auth` field of a message (never throws). */
export function verifyInner(msg: Message, keys: AuthKeys, limits: WireLimits = DEFAULT_WIRE_LIMITS): Verdict {
  const auth = msg.fields.find((f) => f.name === F.auth);
  if (auth === undefined) return { verdict: "malformed", reason: "no auth field" };
  if (auth.kind !== "string")
    return { verdict: "malformed", reason: `auth field is ${auth.kind}, not a string` };
  let lines: Uint8Array;
  try {
    lines = classicFieldLines(withoutField(msg, F.auth), limits);
  } catch (e) {
    return {
      verdict: "malformed",
      reason: `fields cannot be written in classic form: ${(e as Error).message}`,
    };
  }
  return checkAuth(auth.value, lines, keys, "auth field");
}

/** Checks a decoded frame's signature(s) against the receiver's keys (never throws). */
export function verifyFrame(
  frame: DecodedFrame,
  keys: AuthKeys,
  limits: WireLimits = DEFAULT_WIRE_LIMITS,
): Verification {
  const inner = verifyInner(frame.msg, keys, limits);
  if (frame.format === "classic") return { verdict: inner };
  return { verdict: outerVerdict(frame, keys), inner };
}

/**
 * verifyFrame(...).verdict alone, the check a receiver acts on: a netstring
 * frame's inner `auth` field is not recomputed (a second HMAC and the classic
 * form of every field, per received frame: a third of hbd's receive path at
 * keepalive 10 ms, issue 15), since its verdict would be thrown away.
 */
export function frameVerdict(
  frame: DecodedFrame,
  keys: AuthKeys,
  limits: WireLimits = DEFAULT_WIRE_LIMITS,
): Verdict {
  return frame.format === "classic" ? verifyInner(frame.msg, keys, limits) : outerVerdict(frame, keys);
}

function outerVerdict(frame: DecodedFrame, keys: AuthKeys): Verdict {
  return frame.signedBytes === undefined
    ? { verdict: "malformed", reason: "netstring frame without signed bytes" }
    : checkAuth(frame.trailer, frame.signedBytes, keys, "netstring auth trailer");
}
