/**
 * MD5 (RFC 1321), SHA-1 and SHA-256 (FIPS 180-4) and HMAC (RFC 2104) in
 * plain TypeScript, so that hbd can sign and check heartbeats without loading
 * node:crypto (issue 15: loading it initialises OpenSSL, ~1 MB more RSS in a
 * fresh node, and `createHmac` per packet re-fetches the EVP algorithm).
 *
 * Written for a hot path (200 packets a second): the compression functions use
 * int32 arithmetic on module-level work buffers, a `HmacKey` compresses its
 * ipad and opad blocks once, and a digest allocates only its hex string.
 * Not re-entrant across threads; JavaScript's single thread makes the shared
 * buffers safe because no function here yields or calls back.
 */

export type DigestAlgo = "md5" | "sha1" | "sha256";

const MD5 = 0;
const SHA1 = 1;
const SHA256 = 2;
type AlgoId = 0 | 1 | 2;

/** Digest length in 32-bit words, per algorithm id. */
const WORDS = [4, 5, 8] as const;

/** All three use 64-byte blocks (RFC 2104's B). */
const BLOCK = 64;

function algoId(algo: DigestAlgo): AlgoId {
  if (algo === "md5") return MD5;
  if (algo === "sha1") return SHA1;
  if (algo === "sha256") return SHA256;
  throw new TypeError(`digest: unknown algorithm ${String(algo)}`);
}

/** "00".."ff". */
const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => (i < 16 ? "0" : "") + i.toString(16));

/** RFC 1321 3.4: T[i] = floor(2^32 * |sin(i)|), i = 1..64 (as int32; V8's sin is fdlibm's, the vectors check it). */
const MD5_T = new Int32Array(64);
/** RFC 1321 3.4: per-step left-rotation amounts, four per round. */
const MD5_S = new Int32Array(64);
/** FIPS 180-4 4.2.2: first 32 bits of the fractional parts of the cube roots of the first 64 primes. */
const SHA256_K = new Int32Array(64);
/** FIPS 180-4 5.3.3: the same from the square roots of the first 8 primes. */
const SHA256_H0 = new Int32Array(8);
const MD5_SHA1_H0 = new Int32Array([0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476, 0xc3d2e1f0 | 0]);

{
  const shifts = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
  for (let i = 0; i < 64; i++) {
    MD5_T[i] = Math.floor(Math.abs(Math.sin(i + 1)) * 4294967296) | 0;
    MD5_S[i] = shifts[((i >> 4) << 2) | (i & 3)]!;
  }
  const frac32 = (x: number): number => Math.floor((x - Math.floor(x)) * 4294967296) | 0;
  for (let p = 2, n = 0; n < 64; p++) {
    let prime = true;
    for (let q = 2; q * q <= p; q++) if (p % q === 0) prime = false;
    if (!prime) continue;
    if (n < 8) SHA256_H0[n] = frac32(Math.sqrt(p));
    SHA256_K[n++] = frac32(Math.cbrt(p));
  }
}

/** Message schedule (80 words for SHA-1), shared by all compressions. */
const W = new Int32Array(80);
/** The last one or two padded blocks of a message. */
const TAIL = new Uint8Array(2 * BLOCK);
/** Chaining state of the digest being computed. */
const STATE = new Int32Array(8);
/** An inner HMAC digest, as bytes, before the outer hash. */
const INNER = new Uint8Array(32);

function initState(id: AlgoId, s: Int32Array): void {
  if (id === SHA256) s.set(SHA256_H0);
  else s.set(MD5_SHA1_H0);
}

function md5Block(s: Int32Array, d: Uint8Array, o: number): void {
  const x = W;
  for (let i = 0; i < 16; i++, o += 4)
    x[i] = d[o]! | (d[o + 1]! << 8) | (d[o + 2]! << 16) | (d[o + 3]! << 24);
  let a = s[0]!;
  let b = s[1]!;
  let c = s[2]!;
  let e = s[3]!; // RFC 1321's D
  for (let i = 0; i < 64; i++) {
    let f: number;
    let g: number;
    if (i < 16) {
      f = (b & c) | (~b & e);
      g = i;
    } else if (i < 32) {
      f = (b & e) | (c & ~e);
      g = (5 * i + 1) & 15;
    } else if (i < 48) {
      f = b ^ c ^ e;
      g = (3 * i + 5) & 15;
    } else {
      f = c ^ (b | ~e);
      g = (7 * i) & 15;
    }
    const t = (a + f + MD5_T[i]! + x[g]!) | 0;
    const r = MD5_S[i]!;
    a = e;
    e = c;
    c = b;
    b = (b + ((t << r) | (t >>> (32 - r)))) | 0;
  }
  s[0] = (s[0]! + a) | 0;
  s[1] = (s[1]! + b) | 0;
  s[2] = (s[2]! + c) | 0;
  s[3] = (s[3]! + e) | 0;
}

function loadBigEndian(d: Uint8Array, o: number): void {
  const w = W;
  for (let i = 0; i < 16; i++, o += 4)
    w[i] = (d[o]! << 24) | (d[o + 1]! << 16) | (d[o + 2]! << 8) | d[o + 3]!;
}

function sha1Block(s: Int32Array, d: Uint8Array, o: number): void {
  const w = W;
  loadBigEndian(d, o);
  for (let i = 16; i < 80; i++) {
    const v = w[i - 3]! ^ w[i - 8]! ^ w[i - 14]! ^ w[i - 16]!;
    w[i] = (v << 1) | (v >>> 31);
  }
  let a = s[0]!;
  let b = s[1]!;
  let c = s[2]!;
  let e = s[3]!; // FIPS's d
  let h = s[4]!; // FIPS's e
  // Four loops, one per round function (FIPS 180-4 4.1.1), so no round branches on t.
  let i = 0;
  for (; i < 20; i++) {
    const t = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & e)) + h + w[i]! + 0x5a827999) | 0;
    h = e;
    e = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = t;
  }
  for (; i < 40; i++) {
    const t = (((a << 5) | (a >>> 27)) + (b ^ c ^ e) + h + w[i]! + 0x6ed9eba1) | 0;
    h = e;
    e = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = t;
  }
  for (; i < 60; i++) {
    const t = (((a << 5) | (a >>> 27)) + ((b & c) | (b & e) | (c & e)) + h + w[i]! - 0x70e44324) | 0;
    h = e;
    e = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = t;
  }
  for (; i < 80; i++) {
    const t = (((a << 5) | (a >>> 27)) + (b ^ c ^ e) + h + w[i]! - 0x359d3e2a) | 0;
    h = e;
    e = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = t;
  }
  s[0] = (s[0]! + a) | 0;
  s[1] = (s[1]! + b) | 0;
  s[2] = (s[2]! + c) | 0;
  s[3] = (s[3]! + e) | 0;
  s[4] = (s[4]! + h) | 0;
}

function sha256Block(s: Int32Array, d: Uint8Array, o: number): void {
  const w = W;
  loadBigEndian(d, o);
  for (let i = 16; i < 64; i++) {
    const x = w[i - 15]!;
    const y = w[i - 2]!;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0;
  }
  let a = s[0]!;
  let b = s[1]!;
  let c = s[2]!;
  let d2 = s[3]!;
  let e = s[4]!;
  let f = s[5]!;
  let g = s[6]!;
  let h = s[7]!;
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + S1 + ((e & f) ^ (~e & g)) + SHA256_K[i]! + w[i]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d2 + t1) | 0;
    d2 = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  s[0] = (s[0]! + a) | 0;
  s[1] = (s[1]! + b) | 0;
  s[2] = (s[2]! + c) | 0;
  s[3] = (s[3]! + d2) | 0;
  s[4] = (s[4]! + e) | 0;
  s[5] = (s[5]! + f) | 0;
  s[6] = (s[6]! + g) | 0;
  s[7] = (s[7]! + h) | 0;
}

function compress(id: AlgoId, s: Int32Array, d: Uint8Array, o: number): void {
  if (id === MD5) md5Block(s, d, o);
  else if (id === SHA1) sha1Block(s, d, o);
  else sha256Block(s, d, o);
}

/**
 * Hashes the first `n` bytes of `data` into `s`, which already holds the
 * state after `prefix` bytes (0, or one 64-byte block for HMAC), and appends
 * the padding: 0x80, zeros, and the total length in bits in the last 8 bytes
 * (little-endian for MD5, big-endian for SHA).
 */
function finish(id: AlgoId, s: Int32Array, data: Uint8Array, n: number, prefix: number): void {
  const full = n - (n & (BLOCK - 1));
  for (let o = 0; o < full; o += BLOCK) compress(id, s, data, o);
  const rem = n - full;
  const t = TAIL;
  for (let i = 0; i < rem; i++) t[i] = data[full + i]!;
  t[rem] = 0x80;
  const end = rem < BLOCK - 8 ? BLOCK : 2 * BLOCK;
  t.fill(0, rem + 1, end - 8);
  const bytes = prefix + n;
  const lo = (bytes * 8) >>> 0;
  const hi = Math.floor(bytes / 0x20000000) >>> 0;
  if (id === MD5) {
    for (let i = 0; i < 4; i++) {
      t[end - 8 + i] = lo >>> (8 * i);
      t[end - 4 + i] = hi >>> (8 * i);
    }
  } else {
    for (let i = 0; i < 4; i++) {
      t[end - 5 - i] = hi >>> (8 * i);
      t[end - 1 - i] = lo >>> (8 * i);
    }
  }
  compress(id, s, t, 0);
  if (end > BLOCK) compress(id, s, t, BLOCK);
}

/** The digest bytes of state `s` into `out` (MD5 words are little-endian, SHA big-endian); returns the length. */
function stateBytes(id: AlgoId, s: Int32Array, out: Uint8Array): number {
  const words = WORDS[id];
  for (let i = 0, o = 0; i < words; i++, o += 4) {
    const v = s[i]!;
    if (id === MD5) {
      out[o] = v;
      out[o + 1] = v >>> 8;
      out[o + 2] = v >>> 16;
      out[o + 3] = v >>> 24;
    } else {
      out[o] = v >>> 24;
      out[o + 1] = v >>> 16;
      out[o + 2] = v >>> 8;
      out[o + 3] = v;
    }
  }
  return words * 4;
}

function stateHex(id: AlgoId, s: Int32Array): string {
  const words = WORDS[id];
  let out = "";
  for (let i = 0; i < words; i++) {
    const v = s[i]!;
    if (id === MD5) out += HEX[v & 255]! + HEX[(v >>> 8) & 255]! + HEX[(v >>> 16) & 255]! + HEX[v >>> 24]!;
    else out += HEX[v >>> 24]! + HEX[(v >>> 16) & 255]! + HEX[(v >>> 8) & 255]! + HEX[v & 255]!;
  }
  return out;
}

/** The lower-case hex digest of `data`. */
export function hashHex(algo: DigestAlgo, data: Uint8Array): string {
  const id = algoId(algo);
  initState(id, STATE);
  finish(id, STATE, data, data.length, 0);
  return stateHex(id, STATE);
}

/**
 * An HMAC key (RFC 2104) with the compressions of `K xor ipad` and
 * `K xor opad` done once, so that each `hex()` compresses only the message
 * blocks and one outer block. Keys longer than 64 bytes are hashed first.
 */
export class HmacKey {
  readonly algo: DigestAlgo;
  private readonly id: AlgoId;
  private readonly inner = new Int32Array(8);
  private readonly outer = new Int32Array(8);

  constructor(algo: DigestAlgo, key: Uint8Array) {
    const id = algoId(algo);
    this.algo = algo;
    this.id = id;
    const k = new Uint8Array(BLOCK);
    if (key.length > BLOCK) {
      initState(id, STATE);
      finish(id, STATE, key, key.length, 0);
      stateBytes(id, STATE, k);
    } else {
      k.set(key);
    }
    const pad = new Uint8Array(BLOCK);
    for (let i = 0; i < BLOCK; i++) pad[i] = k[i]! ^ 0x36;
    initState(id, this.inner);
    compress(id, this.inner, pad, 0);
    for (let i = 0; i < BLOCK; i++) pad[i] = k[i]! ^ 0x5c;
    initState(id, this.outer);
    compress(id, this.outer, pad, 0);
    // Leave no key material in the shared buffers.
    k.fill(0);
    pad.fill(0);
    STATE.fill(0);
    W.fill(0);
    TAIL.fill(0);
  }

  /** The lower-case hex HMAC of `data`. */
  hex(data: Uint8Array): string {
    const id = this.id;
    const s = STATE;
    s.set(this.inner);
    finish(id, s, data, data.length, BLOCK);
    const n = stateBytes(id, s, INNER);
    s.set(this.outer);
    finish(id, s, INNER, n, BLOCK);
    return stateHex(id, s);
  }
}

/** Whether `a` and `b` hold the same bytes; for equal lengths the time does not depend on where they differ. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  const n = a.length;
  if (n !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < n; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
