/** Small byte helpers shared by the wire codecs. */

const fatalUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
/** UTF-8 bytes of a string. */
export function utf8(s: string): Uint8Array {
  return Buffer.from(s, "utf8");
}

/** Strict UTF-8 decoding (keeps a BOM); undefined when the bytes are not UTF-8. */
export function decodeUtf8(b: Uint8Array): string | undefined {
  try {
    return fatalUtf8.decode(b);
  } catch {
    return undefined;
  }
}

/** True when `b` holds `pattern` at `pos`. */
export function hasAt(b: Uint8Array, pos: number, pattern: Uint8Array): boolean {
  if (pos < 0 || pos + pattern.length > b.length) return false;
  for (let i = 0; i < pattern.length; i++) if (b[pos + i] !== pattern[i]) return false;
  return true;
}

/** Index of `byte` in b[from, to), or -1. */
export function indexOfByte(b: Uint8Array, byte: number, from: number, to = b.length): number {
  for (let i = from; i < to; i++) if (b[i] === byte) return i;
  return -1;
}

/** Concatenates chunks into one new array. */
export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  return Buffer.concat(chunks);
}

/** A copy of b[start, end) that shares no memory with `b` (Buffer#slice would). */
export function copyOf(b: Uint8Array, start: number, end: number): Uint8Array {
  return new Uint8Array(b.subarray(start, end));
}

const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Standard base64 with `=` padding, as Heartbeat writes binary fields in classic form. */
export function toBase64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString("base64");
}

/** Strict canonical base64 decoding; undefined when `s` is not exactly what toBase64 would write. */
export function fromBase64(s: string): Uint8Array | undefined {
  if (!B64.test(s)) return undefined;
  const out = new Uint8Array(Buffer.from(s, "base64"));
  return toBase64(out) === s ? out : undefined;
}

/** Printable rendering for diagnostics: ASCII kept, other bytes as \xNN, cut at `max` bytes. */
export function printable(b: Uint8Array, max = 60): string {
  let s = "";
  for (const c of b.subarray(0, max)) {
    if (c === 0x0a) s += "\\n";
    else if (c >= 0x20 && c < 0x7f && c !== 0x5c) s += String.fromCharCode(c);
    else s += `\\x${c.toString(16).padStart(2, "0")}`;
  }
  return b.length > max ? `${s}...` : s;
}
