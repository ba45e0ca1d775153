/**
 * Heartbeat's message authentication (reference 2.3, 3.5). The value written
 * on the wire is `"<N> <hexdigest>"`: key index, one space, digest.
 *
 * - crc: CRC-32 (crc32.ts), unkeyed, printed without leading zeros;
 * - md5 / sha1: HMAC-MD5 / HMAC-SHA1 keyed with the secret's bytes;
 * - sha256: HMAC-SHA256, a Tandem extension (only between Tandem nodes).
 *
 * Verification looks up key N among the receiver's keys and recomputes with
 * that key's method and secret. (Heartbeat 3.0.6 uses key N's method but the
 * receiver's *active* secret for netstring frames; with identical authkeys
 * everywhere, as Heartbeat requires anyway, the results agree.)
 */
import type { AuthKey, AuthKeys, AuthMethod } from "../config/model.js";
import { crc32HeartbeatHex } from "./crc32.js";
import { HmacKey } from "./digest.js";

/**
 * Each configured key's HMAC state, computed once (digest.ts; not node:crypto, whose OpenSSL
 * start-up was ~2.7 MB of hbd's RSS and whose per-call set-up a tenth of its CPU at keepalive
 * 10 ms, issue 15). Keyed by the AuthKey object: a reload's new keys get new entries, and the
 * old ones (with their secrets) go with the old configuration.
 */
const hmacKeys = new WeakMap<AuthKey, HmacKey>();

/** The hex digest of `data` with one configured key. */
function keyDigestHex(key: AuthKey, data: Uint8Array): string {
  if (key.method === "crc") return crc32HeartbeatHex(data);
  let hmac = hmacKeys.get(key);
  if (hmac === undefined) {
    hmac = new HmacKey(key.method, Buffer.from(key.secret, "utf8"));
    hmacKeys.set(key, hmac);
  }
  return hmac.hex(data);
}

/** The hex digest of `data` with one method and secret (no cached state: for tools and tests). */
export function digestHex(method: AuthMethod, secret: string, data: Uint8Array): string {
  if (method === "crc") return crc32HeartbeatHex(data);
  return new HmacKey(method, Buffer.from(secret, "utf8")).hex(data);
}

/** Whether two digests are equal, in time independent of where they differ (the length is public). */
function sameDigest(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** `"<N> <hexdigest>"` for this key. */
export function authValue(key: AuthKey, data: Uint8Array): string {
  return `${key.index} ${keyDigestHex(key, data)}`;
}

/** The active signing key; throws when the configuration names a key it does not define (a config bug). */
export function activeKey(keys: AuthKeys): AuthKey {
  const key = keys.keys.find((k) => k.index === keys.active);
  if (key === undefined) throw new Error(`authkeys: active key ${keys.active} is not defined`);
  return key;
}

export interface AuthToken {
  readonly index: number;
  readonly digest: string;
}

/** Parses `"<N> <hexdigest>"` (N 0..15, lower-case hex as Heartbeat prints it). */
export function parseAuthValue(s: string): AuthToken | undefined {
  const m = /^(\d{1,2}) ([0-9a-f]{1,128})$/.exec(s);
  if (m === null) return undefined;
  const index = Number(m[1]);
  return index <= 15 ? { index, digest: m[2]! } : undefined;
}

/** The method a digest of this length was most likely made with (for hints). */
export function methodFromDigestLength(hexLength: number): AuthMethod | undefined {
  if (hexLength <= 8) return "crc";
  return ({ 32: "md5", 40: "sha1", 64: "sha256" } as Record<number, AuthMethod>)[hexLength];
}

/** A signature check's outcome. */
export type Verdict =
  | { readonly verdict: "ok"; readonly keyIndex: number; readonly method: AuthMethod }
  | {
      readonly verdict: "bad-signature";
      readonly keyIndex: number;
      readonly method: AuthMethod;
      /** The method the digest's length suggests the sender used, when it differs from ours. */
      readonly senderMethod?: AuthMethod;
    }
  | { readonly verdict: "unknown-key"; readonly keyIndex: number }
  | { readonly verdict: "malformed"; readonly reason: string };

/** Checks an auth value (`"<N> <hex>"`, or undefined when absent) over `data`. */
export function checkAuth(auth: string | undefined, data: Uint8Array, keys: AuthKeys, what: string): Verdict {
  if (auth === undefined) return { verdict: "malformed", reason: `no ${what}` };
  const token = parseAuthValue(auth);
  if (token === undefined)
    return {
      verdict: "malformed",
      reason: `${what} ${JSON.stringify(auth.slice(0, 80))} is not "<key> <hex digest>"`,
    };
  const key = keys.keys.find((k) => k.index === token.index);
  if (key === undefined) return { verdict: "unknown-key", keyIndex: token.index };
  if (sameDigest(keyDigestHex(key, data), token.digest))
    return { verdict: "ok", keyIndex: key.index, method: key.method };
  const guess = methodFromDigestLength(token.digest.length);
  return guess !== undefined && guess !== key.method
    ? { verdict: "bad-signature", keyIndex: key.index, method: key.method, senderMethod: guess }
    : { verdict: "bad-signature", keyIndex: key.index, method: key.method };
}
