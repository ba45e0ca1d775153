// Goal: digests and auth verdicts are exactly Heartbeat's (reference 2.3 / 3.5) plus HMAC-SHA256. Method: published check values and the reference's recomputed packet.
import assert from "node:assert/strict";
import { test } from "node:test";
import { crc32Heartbeat, crc32HeartbeatHex } from "../../../src/comm/crc32.js";
import {
  authValue,
  checkAuth,
  digestHex,
  methodFromDigestLength,
  parseAuthValue,
} from "../../../src/comm/sign.js";
import type { AuthKey, AuthKeys } from "../../../src/config/model.js";

const te = new TextEncoder();
const at = { file: "authkeys", line: 1 };
const key = (index: number, method: AuthKey["method"], secret: string): AuthKey => ({
  index,
  method,
  secret,
  at,
});

test("CRC-32 check value and the reference's crc of a ping packet", () => {
  assert.equal(crc32HeartbeatHex(te.encode("123456789")), "765e7680");
  assert.equal(
    crc32HeartbeatHex(te.encode("t=NS_st\nst=ping\ninfo=ping\nsrc=10.99.0.254\nts=6b01298c\n")),
    "eaed6ef6",
  );
  assert.equal(crc32Heartbeat(new Uint8Array()), 0xffffffff);
});

test("crc is printed like %lx, without leading zeros", () => {
  let found: string | undefined;
  for (let i = 0; i < 5000 && found === undefined; i++) {
    const data = te.encode(`x${i}`);
    if (crc32Heartbeat(data) < 0x10000000) found = digestHex("crc", "", data);
  }
  assert.ok(found !== undefined);
  assert.ok(found.length < 8 && !found.startsWith("0"), found);
});

test("HMAC digests match RFC 2202 / RFC 4231 test case 2", () => {
  const data = te.encode("what do ya want for nothing?");
  assert.equal(digestHex("md5", "Jefe", data), "750c783e6ab0b503eaa86e310a5db738");
  assert.equal(digestHex("sha1", "Jefe", data), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
  assert.equal(
    digestHex("sha256", "Jefe", data),
    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
  );
});

test("the reference's ping packet: inner and outer sha1 signatures", () => {
  const k = key(1, "sha1", "testsecret");
  const inner = te.encode("t=NS_st\nst=ping\ninfo=ping\nsrc=10.99.0.254\nts=6b01298c\n");
  assert.equal(authValue(k, inner), "1 ff9394cc783d34d94c3aaedda07fc3c607f59196");
  const outer = te.encode(
    "###\n10:(0)t=NS_st,10:(0)st=ping,12:(0)info=ping,18:(0)src=10.99.0.254,14:(0)ts=6b01298c,50:(0)auth=1 ff9394cc783d34d94c3aaedda07fc3c607f59196,%%%\n",
  );
  assert.equal(digestHex("sha1", "testsecret", outer), "938440275b650f50ad93a2281ba3f38d6d582ad6");
});

test("auth values parse strictly", () => {
  assert.deepEqual(parseAuthValue("1 abc0"), { index: 1, digest: "abc0" });
  assert.deepEqual(parseAuthValue("15 0"), { index: 15, digest: "0" });
  for (const bad of ["16 abc", "1  abc", "1 ABC", "x abc", "1", "1 abc ", ""])
    assert.equal(parseAuthValue(bad), undefined, bad);
});

test("verdicts: ok, bad signature (with method hint), unknown key, malformed", () => {
  const data = te.encode("t=status\n");
  const keys: AuthKeys = { active: 1, keys: [key(1, "sha1", "s"), key(2, "md5", "s"), key(3, "crc", "")] };
  const good = (k: AuthKey) => authValue(k, data);
  assert.deepEqual(checkAuth(good(key(1, "sha1", "s")), data, keys, "x"), {
    verdict: "ok",
    keyIndex: 1,
    method: "sha1",
  });
  assert.deepEqual(checkAuth(good(key(3, "crc", "")), data, keys, "x"), {
    verdict: "ok",
    keyIndex: 3,
    method: "crc",
  });
  assert.deepEqual(checkAuth(good(key(1, "sha1", "other")), data, keys, "x"), {
    verdict: "bad-signature",
    keyIndex: 1,
    method: "sha1",
  });
  assert.deepEqual(checkAuth(good(key(2, "sha1", "s")), data, keys, "x"), {
    verdict: "bad-signature",
    keyIndex: 2,
    method: "md5",
    senderMethod: "sha1",
  });
  assert.deepEqual(checkAuth(good(key(7, "sha1", "s")), data, keys, "x"), {
    verdict: "unknown-key",
    keyIndex: 7,
  });
  assert.equal(checkAuth(undefined, data, keys, "trailer").verdict, "malformed");
  assert.equal(checkAuth("garbage", data, keys, "trailer").verdict, "malformed");
  assert.equal(methodFromDigestLength(64), "sha256");
  assert.equal(methodFromDigestLength(7), "crc");
  assert.equal(methodFromDigestLength(50), undefined);
});

test("each configured key signs with its own cached state, also after a reload with the same index", () => {
  const data = te.encode("t=status\nst=active\n");
  const old = key(1, "sha1", "old secret");
  const reloaded = key(1, "sha1", "new secret");
  for (let i = 0; i < 3; i++) {
    assert.equal(authValue(old, data), `1 ${digestHex("sha1", "old secret", data)}`);
    assert.equal(authValue(reloaded, data), `1 ${digestHex("sha1", "new secret", data)}`);
  }
  assert.notEqual(authValue(old, data), authValue(reloaded, data));
  const keys: AuthKeys = { active: 1, keys: [reloaded] };
  assert.equal(checkAuth(authValue(reloaded, data), data, keys, "trailer").verdict, "ok");
  assert.equal(checkAuth(authValue(old, data), data, keys, "trailer").verdict, "bad-signature");
});
