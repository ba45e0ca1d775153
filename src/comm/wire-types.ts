/** Result types shared by the frame codecs (netstring, classic) and wire.ts. */
import type { WireLimits } from "./limits.js";
import type { Message } from "./message.js";

export type FrameFormat = "netstring" | "classic";

/** Why a frame could not be decoded. Stable strings: tests and reports rely on them. */
export type WireErrorKind =
  /** Zero bytes. */
  | "empty"
  /** Larger than limits.maxFrameBytes; nothing was parsed. */
  | "too-large"
  /** Starts with neither `###\n` nor `>>>\n`. */
  | "unknown-format"
  /** The bytes end before the frame does (no end marker, a length pointing past the end). */
  | "truncated"
  /** A netstring `len:data,` is malformed (bad length digits, missing `:` or `,`). */
  | "bad-netstring"
  /** A field is malformed (no `=`, bad `(type)` prefix, bad base64, not UTF-8, bad list). */
  | "bad-field"
  /** A field type we do not decode (4 compressed, 5 uncompressed, 6-9). */
  | "unsupported-type"
  /** A limit from limits.ts was exceeded (field count, depth, name size, list items). */
  | "limit"
  /** Bytes after the end of the frame (after `<<<\n` and its NUL, or after the auth trailer). */
  | "trailing-bytes";

export interface WireError {
  readonly kind: WireErrorKind;
  /** One sentence for an operator, with the byte offset where it helps. */
  readonly reason: string;
}

/** A decoded frame: the message plus what the signature checks need. */
export interface DecodedFrame {
  readonly format: FrameFormat;
  readonly msg: Message;
  /** netstring: the exact bytes the outer trailer signs (`###\n` through `%%%\n`). */
  readonly signedBytes?: Uint8Array;
  /** netstring: the trailer's text, `"<N> <hexdigest>"`; absent when the frame has no trailer. */
  readonly trailer?: string;
}

export type DecodeResult =
  | ({ readonly ok: true } & DecodedFrame)
  | { readonly ok: false; readonly error: WireError };

/** Internal result of a partial parse. */
export type Step<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: WireError };

export const fail = (kind: WireErrorKind, reason: string): { ok: false; error: WireError } => ({
  ok: false,
  error: { kind, reason },
});

/** Thrown by encoders for a message that cannot be put on the wire (a bug in the caller). */
export class WireEncodeError extends Error {
  override readonly name = "WireEncodeError";
}

/** Checks a field name an encoder is about to write; throws WireEncodeError. */
export function assertEncodableName(name: string, nameBytes: number, maxNameBytes: number): void {
  if (name.length === 0) throw new WireEncodeError("field name is empty");
  if (nameBytes > maxNameBytes) throw new WireEncodeError(`field name ${name.slice(0, 40)}... is too long`);
  if (/[=\n\0]/.test(name) || name.startsWith("("))
    throw new WireEncodeError(
      `field name ${JSON.stringify(name)} contains "=", a newline, NUL or a leading "("`,
    );
}

/** Mutable counters for one decode call. */
export interface DecodeContext {
  readonly limits: WireLimits;
  fields: number;
}
