/**
 * Random bytes from the kernel (/dev/urandom) without node:crypto: loading
 * node:crypto initialises OpenSSL, about 2.8 MB of hbd's resident memory
 * (issue 15), for the few bytes hbd needs (its PRNG seed, a node UUID on the
 * first start). /dev/urandom is the kernel's CSPRNG, the source getrandom(2)
 * and OpenSSL's own seeding use.
 */
import { closeSync, openSync, readSync } from "node:fs";

/** `n` bytes from /dev/urandom (throws if the device cannot be read: no silent weak fallback). */
export function urandomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  const fd = openSync("/dev/urandom", "r");
  try {
    let got = 0;
    // A read of /dev/urandom returns what was asked for (up to 32 MiB); loop anyway, bounded.
    for (let tries = 0; got < n && tries < 16; tries++) {
      const r = readSync(fd, out, got, n - got, null);
      if (r <= 0) break;
      got += r;
    }
    if (got < n) throw new Error(`/dev/urandom gave ${got} of ${n} bytes`);
  } finally {
    closeSync(fd);
  }
  return out;
}

/** A 32-bit seed from /dev/urandom. */
export function urandomSeed(): number {
  const b = urandomBytes(4);
  return ((b[0] ?? 0) | ((b[1] ?? 0) << 8) | ((b[2] ?? 0) << 16) | ((b[3] ?? 0) << 24)) >>> 0;
}
