// Goal: the pure-TypeScript MD5/SHA-1/SHA-256/HMAC (src/comm/digest.ts) gives exactly the published digests and node:crypto's results, and never loads node:crypto itself.
// Method: RFC 1321 A.5, FIPS 180 and RFC 2202 / RFC 4231 vectors; a seeded random comparison with createHash/createHmac over every message length 0..300 and key lengths 0..200; the module's source text.
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { type DigestAlgo, equalBytes, HmacKey, hashHex } from "../../../src/comm/digest.js";
import { repoRoot } from "../../helpers.js";

const te = new TextEncoder();
const ALGOS: readonly DigestAlgo[] = ["md5", "sha1", "sha256"];
const fill = (byte: number, n: number) => new Uint8Array(n).fill(byte);
const seq = (from: number, to: number) => Uint8Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** A seeded xorshift32: rnd(n) is in [0, n). */
function xorshift(seed: number): (n: number) => number {
  let s = seed | 0 || 1;
  return (n) => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % n;
  };
}
function randomBytes(rnd: (n: number) => number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = rnd(256);
  return b;
}

test("MD5: the RFC 1321 A.5 test suite", () => {
  const suite: [string, string][] = [
    ["", "d41d8cd98f00b204e9800998ecf8427e"],
    ["a", "0cc175b9c0f1b6a831c399e269772661"],
    ["abc", "900150983cd24fb0d6963f7d28e17f72"],
    ["message digest", "f96b697d7cb7938d525a2f31aaf161d0"],
    ["abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"],
    ["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"],
    ["1234567890".repeat(8), "57edf4a22be3c955ac49da2e2107b67a"],
  ];
  for (const [msg, hex] of suite) assert.equal(hashHex("md5", te.encode(msg)), hex, JSON.stringify(msg));
});

test("SHA-1 and SHA-256: the FIPS 180 examples (abc, the 448-bit message, one million a)", () => {
  const abc = te.encode("abc");
  const m448 = te.encode("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq");
  const million = fill(0x61, 1_000_000);
  assert.equal(m448.length * 8, 448);
  assert.equal(hashHex("sha1", abc), "a9993e364706816aba3e25717850c26c9cd0d89d");
  assert.equal(hashHex("sha1", m448), "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  assert.equal(hashHex("sha1", million), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
  assert.equal(hashHex("sha256", abc), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  assert.equal(hashHex("sha256", m448), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  assert.equal(
    hashHex("sha256", million),
    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
  );
});

/** RFC 2202 / RFC 4231 cases 1-7: key, data, expected HMAC (case 5's is truncated and compared as a prefix). */
function hmacCases(algo: DigestAlgo): [Uint8Array, Uint8Array, string][] {
  const keyLen = algo === "md5" ? 16 : 20;
  const longKey = fill(0xaa, algo === "sha256" ? 131 : 80);
  const data6 = te.encode("Test Using Larger Than Block-Size Key - Hash Key First");
  const data7 = te.encode(
    algo === "sha256"
      ? "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm."
      : "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data",
  );
  const want: Record<DigestAlgo, string[]> = {
    md5: [
      "9294727a3638bb1c13f48ef8158bfc9d",
      "750c783e6ab0b503eaa86e310a5db738",
      "56be34521d144c88dbb8c733f0e8b3f6",
      "697eaf0aca3a3aea3a75164746ffaa79",
      "56461ef2342edc00f9bab995690efd4c",
      "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd",
      "6f630fad67cda0ee1fb1f562db3aa53e",
    ],
    sha1: [
      "b617318655057264e28bc0b6fb378c8ef146be00",
      "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
      "125d7342b9ac11cd91a39af48aa17b4f63f175d3",
      "4c9007f4026250c6bc8414f9bf50c86c2d7235da",
      "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04",
      "aa4ae5e15272d00e95705637ce8a3b55ed402112",
      "e8e99d0f45237d786d6bbaa7965c7808bbff1a91",
    ],
    sha256: [
      "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
      "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
      "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
      "a3b6167473100ee06e0c796c2955552b",
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
      "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
    ],
  };
  const w = want[algo];
  return [
    [fill(0x0b, keyLen), te.encode("Hi There"), w[0]!],
    [te.encode("Jefe"), te.encode("what do ya want for nothing?"), w[1]!],
    [fill(0xaa, keyLen), fill(0xdd, 50), w[2]!],
    [seq(0x01, 0x19), fill(0xcd, 50), w[3]!],
    [fill(0x0c, keyLen), te.encode("Test With Truncation"), w[4]!],
    [longKey, data6, w[5]!],
    [longKey, data7, w[6]!],
  ];
}

for (const [algo, source] of [
  ["md5", "RFC 2202"],
  ["sha1", "RFC 2202"],
  ["sha256", "RFC 4231"],
] as const) {
  test(`HMAC-${algo.toUpperCase()}: ${source} test cases 1-7`, () => {
    hmacCases(algo).forEach(([key, data, hex], i) => {
      const got = new HmacKey(algo, key).hex(data);
      if (hex.length < got.length) assert.equal(got.slice(0, hex.length), hex, `case ${i + 1} (truncated)`);
      else assert.equal(got, hex, `case ${i + 1}`);
    });
  });
}

test("same digests as node:crypto for every message length 0..300 and key lengths 0..200 (seeded)", () => {
  const rnd = xorshift(0x15d19e57);
  for (const algo of ALGOS) {
    // One key object serves many messages: its precomputed states must not be disturbed by use.
    const keyBytes = randomBytes(rnd, 37);
    const reused = new HmacKey(algo, keyBytes);
    for (let n = 0; n <= 300; n++) {
      const msg = randomBytes(rnd, n);
      assert.equal(hashHex(algo, msg), createHash(algo).update(msg).digest("hex"), `${algo} hash len ${n}`);
      assert.equal(reused.hex(msg), createHmac(algo, keyBytes).update(msg).digest("hex"), `${algo} len ${n}`);
      const key = randomBytes(rnd, rnd(201));
      assert.equal(
        new HmacKey(algo, key).hex(msg),
        createHmac(algo, key).update(msg).digest("hex"),
        `${algo} msg len ${n} key len ${key.length}`,
      );
    }
    // Every key length, across the 64-byte block (padded vs hashed), on the block-boundary message lengths.
    for (let k = 0; k <= 200; k++) {
      const key = randomBytes(rnd, k);
      const hk = new HmacKey(algo, key);
      for (const n of [0, 55, 56, 63, 64, 65, 119, 120, 128, 350]) {
        const msg = randomBytes(rnd, n);
        assert.equal(
          hk.hex(msg),
          createHmac(algo, key).update(msg).digest("hex"),
          `${algo} key ${k} msg ${n}`,
        );
      }
    }
  }
});

test("keys of different algorithms used alternately do not disturb each other", () => {
  const key = te.encode("shared secret");
  const msg = te.encode("t=status\nst=active\n");
  const keys = ALGOS.map((a) => new HmacKey(a, key));
  const want = ALGOS.map((a) => createHmac(a, key).update(msg).digest("hex"));
  for (let round = 0; round < 3; round++) {
    keys.forEach((k, i) => {
      hashHex(ALGOS[(i + 1) % 3]!, fill(round, 200));
      assert.equal(k.hex(msg), want[i]);
    });
  }
  assert.equal(keys[1]!.algo, "sha1");
});

test("an unknown algorithm is refused", () => {
  assert.throws(() => hashHex("sha512" as DigestAlgo, new Uint8Array()), /unknown algorithm sha512/);
  assert.throws(() => new HmacKey("crc" as DigestAlgo, new Uint8Array()), /unknown algorithm crc/);
});

test("equalBytes: equal, one byte different at either end or in the middle, different lengths", () => {
  const a = te.encode("1 0123456789abcdef0123456789abcdef01234567");
  assert.equal(equalBytes(a, a.slice()), true);
  assert.equal(equalBytes(new Uint8Array(), new Uint8Array()), true);
  for (const at of [0, a.length >> 1, a.length - 1]) {
    const b = a.slice();
    b[at]! ^= 1;
    assert.equal(equalBytes(a, b), false, `differs at ${at}`);
    assert.equal(equalBytes(b, a), false, `differs at ${at} (swapped)`);
  }
  assert.equal(equalBytes(a, a.subarray(0, a.length - 1)), false);
  assert.equal(equalBytes(a.subarray(0, 1), a), false);
  assert.equal(equalBytes(new Uint8Array(), a), false);
});

test("src/comm/digest.ts loads no node: module (hbd must not pay for OpenSSL)", () => {
  const source = readFileSync(join(repoRoot, "src", "comm", "digest.ts"), "utf8");
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
  assert.doesNotMatch(code, /\bimport\b/, "digest.ts imports nothing (not even ./ modules that might)");
  assert.doesNotMatch(code, /\brequire\s*\(/);
  assert.doesNotMatch(code, /["'](node:)?crypto["']/);
  assert.doesNotMatch(code, /\bcrypto\b/, "nor the Web Crypto global");
  assert.match(code, /export class HmacKey/, "the file read is the module itself");
});
