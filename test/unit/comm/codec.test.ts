// Goal: both frame formats encode and decode Heartbeat's exact bytes, including nested, list and binary fields, and every malformed frame gets the right typed error. Method: literal frames and round trips.
import assert from "node:assert/strict";
import { test } from "node:test";
import { classicFieldLines, encodeClassic } from "../../../src/comm/classic.js";
import { DEFAULT_WIRE_LIMITS } from "../../../src/comm/limits.js";
import {
  bin,
  type Field,
  list,
  message,
  messagesEqual,
  str,
  struct,
  withControlFields,
} from "../../../src/comm/message.js";
import { encodeNetstringBody, netstring } from "../../../src/comm/netstring.js";
import { activeKey, authValue } from "../../../src/comm/sign.js";
import { decodeFrame, encodeFrame, frameVerdict, verifyFrame } from "../../../src/comm/wire.js";
import { WireEncodeError } from "../../../src/comm/wire-types.js";
import type { AuthKeys } from "../../../src/config/model.js";
import { readFixture } from "../../helpers.js";

const te = new TextEncoder();
const at = { file: "authkeys", line: 1 };
const KEYS: AuthKeys = { active: 1, keys: [{ index: 1, method: "sha1", secret: "testsecret", at }] };
const text = (b: Uint8Array) => Buffer.from(b).toString("latin1");
const bytes = (s: string) => new Uint8Array(Buffer.from(s, "latin1"));

const rich = message(
  str("t", "x"),
  str("multi", "a\nb"),
  bin("u", Uint8Array.of(0, 1, 0xff, 0x0a)),
  list("l", ["ab", "c,d"]),
  struct("s", message(str("k", "v\nw"), struct("deep", message(str("z", "1"))))),
  str("empty", ""),
);

test("netstring encoding of typed fields, nested struct and list (reference 3.4)", () => {
  assert.equal(
    text(encodeNetstringBody(rich)),
    "###\n6:(0)t=x,12:(0)multi=a\nb,9:(1)u=\x00\x01\xff\n,16:(3)l=2:ab,3:c,d,," +
      "53:(2)s=###\n8:(0)k=v\nw,25:(2)deep=###\n6:(0)z=1,%%%\n,%%%\n,9:(0)empty=,%%%\n",
  );
});

test("classic encoding: 0x13 for string newlines, base64 binary, 20+depth inside structs", () => {
  assert.equal(
    text(encodeClassic(rich)),
    ">>>\nt=x\nmulti=a\x13b\n(1)u=AAH/Cg==\n(3)l=2:ab,3:c,d,\n" +
      "(2)s=>>>\x14k=v\x13w\x14(2)deep=>>>\x15z=1\x15<<<\x15\x14<<<\x14\nempty=\n<<<\n\x00",
  );
  assert.equal(
    text(classicFieldLines(message(str("a", "1"), bin("b", Uint8Array.of(1))))),
    "a=1\n(1)b=AQ==\n",
  );
});

test("both formats round-trip the same message", () => {
  for (const b of [
    encodeNetstringBody(rich),
    encodeClassic(rich),
    encodeClassic(rich, { trailingNul: false }),
  ]) {
    const d = decodeFrame(b);
    assert.ok(d.ok, d.ok ? "" : d.error.reason);
    assert.ok(messagesEqual(d.msg, rich));
  }
});

test("a status built from literal values equals the first captured packet byte for byte", () => {
  const first = JSON.parse(readFixture("vectors", "two-nodes-startup-ipaddr.jsonl").split("\n")[0]!) as {
    hex: string;
  };
  const payload = message(str("t", "status"), str("st", "init"), str("dt", "1f40"), str("protocol", "1"));
  const msg = withControlFields(payload, {
    src: "node1",
    srcuuid: new Uint8Array(Buffer.from("3a760340c3a948e7984b03c5bd155510", "hex")),
    seq: 1,
    hg: 0x6b012875,
    ts: 0x6b012874,
    ld: "1.73 1.03 0.45 1/101 16600",
    ttl: 3,
  });
  assert.equal(Buffer.from(encodeFrame(msg, KEYS)).toString("hex"), first.hex);
});

test("signed frames of every method verify; classic frames carry only the inner signature", () => {
  for (const method of ["crc", "md5", "sha1", "sha256"] as const) {
    const keys: AuthKeys = {
      active: 4,
      keys: [{ index: 4, method, secret: method === "crc" ? "" : "k", at }],
    };
    for (const format of ["netstring", "classic"] as const) {
      const d = decodeFrame(encodeFrame(rich, keys, format));
      assert.ok(d.ok);
      assert.equal(d.format, format);
      const v = verifyFrame(d, keys);
      assert.deepEqual(v.verdict, { verdict: "ok", keyIndex: 4, method });
      if (format === "netstring") assert.deepEqual(v.inner, v.verdict);
      else assert.equal(v.inner, undefined);
    }
  }
});

test("tampering is detected in either format", () => {
  for (const format of ["netstring", "classic"] as const) {
    const b = encodeFrame(message(str("t", "status"), str("st", "up")), KEYS, format);
    const s = text(b).replace("st=up", "st=dn");
    const d = decodeFrame(bytes(s));
    assert.ok(d.ok);
    assert.equal(verifyFrame(d, KEYS).verdict.verdict, "bad-signature", format);
  }
});

test("a netstring frame without trailer decodes but does not verify", () => {
  const d = decodeFrame(encodeNetstringBody(message(str("t", "x"))));
  assert.ok(d.ok);
  assert.equal(d.trailer, undefined);
  const v = verifyFrame(d, KEYS).verdict;
  assert.equal(v.verdict, "malformed");
});

test("string-only messages (the one-string fast path) encode to the per-field bytes of the general codec", () => {
  const values = ["up", "", "a\nb", "é ✓ 💡", "\ud83d", "x\ud83d", "\ude00y", "=,:%%%\n###", "\x13\x14"];
  const names = ["t", "é", "x\ud83d", "long_name_0123456789"];
  const u = (x: string) => Buffer.from(x, "utf8");
  for (const name of names)
    for (const value of values) {
      const m = message(str("t", "status"), str(name, value), str("auth", "1 ab"));
      const classic = Buffer.concat(
        m.fields.map((f) =>
          Buffer.concat([
            u(`${f.name}=`),
            u(f.kind === "string" ? f.value.replaceAll("\n", "\x13") : ""),
            u("\n"),
          ]),
        ),
      );
      assert.deepEqual(Buffer.from(classicFieldLines(m)), classic, `${name}=${value}`);
      const body = Buffer.concat([
        u("###\n"),
        ...m.fields.map((f) => {
          const v = u(f.kind === "string" ? f.value : "");
          return Buffer.concat([u(`${4 + u(f.name).length + v.length}:(0)${f.name}=`), v, u(",")]);
        }),
        u("%%%\n"),
      ]);
      assert.deepEqual(Buffer.from(encodeNetstringBody(m)), body, `${name}=${value}`);
    }
  assert.throws(() => encodeNetstringBody(message(str("a=b", "x"))), WireEncodeError);
  assert.throws(() => classicFieldLines(message(str("", "x"))), WireEncodeError);
  assert.throws(
    () => encodeNetstringBody(message(str("t", "x".repeat(DEFAULT_WIRE_LIMITS.maxValueBytes + 1)))),
    /too large/,
  );
});

test("frameVerdict is verifyFrame's verdict: the outer trailer on netstring, the auth field on classic", () => {
  const good = (f: "netstring" | "classic") =>
    text(encodeFrame(message(str("t", "status"), str("st", "up")), KEYS, f));
  const frames = [
    ...(["netstring", "classic"] as const).map(good),
    ...(["netstring", "classic"] as const).map((f) => good(f).replace("st=up", "st=dn")),
    // netstring: a broken inner auth field under a valid trailer is not what a receiver checks (Heartbeat neither)
    (() => {
      const body = encodeNetstringBody(message(str("t", "status"), str("auth", "1 00")));
      return text(body) + text(netstring(te.encode(authValue(activeKey(KEYS), body))));
    })(),
    text(encodeNetstringBody(message(str("t", "x")))),
  ];
  const verdicts = frames.map((s) => {
    const d = decodeFrame(bytes(s));
    assert.ok(d.ok);
    assert.deepEqual(frameVerdict(d, KEYS), verifyFrame(d, KEYS).verdict);
    return frameVerdict(d, KEYS).verdict;
  });
  assert.deepEqual(verdicts, ["ok", "ok", "bad-signature", "bad-signature", "ok", "malformed"]);
});

const cases: [string, string, string][] = [
  ["", "empty", "empty datagram"],
  ["hello", "unknown-format", ""],
  ["###\n", "truncated", "%%%"],
  ["###\n6:(0)t=x,", "truncated", "%%%"],
  ["###\n99:(0)t=x,%%%\n", "truncated", "announces 99 bytes"],
  ["###\n9:(0)t=x,%%%\n", "bad-netstring", "does not end"],
  ["###\n999999999:(0)t=x,%%%\n", "truncated", "announces 999999999 bytes"],
  ["###\n9999999999:(0)t=x,%%%\n", "bad-netstring", "not followed by"],
  ["###\nx:(0)t=x,%%%\n", "bad-netstring", "length"],
  ["###\n6;(0)t=x,%%%\n", "bad-netstring", ":"],
  ["###\n5:(0)t=x,%%%\n", "bad-netstring", ","],
  ["###\n6:[0]t=x,%%%\n", "bad-field", "(type)"],
  ["###\n6:(0)t:x,%%%\n", "bad-field", "="],
  ["###\n6:(0)=tx,%%%\n", "bad-field", "name"],
  ["###\n6:(4)t=x,%%%\n", "unsupported-type", "type 4"],
  ["###\n6:(3)t=x,%%%\n", "bad-field", "list"],
  ["###\n9:(2)t=###\n,%%%\n", "truncated", "struct field t"],
  ["###\n6:(0)t=\xff,%%%\n", "bad-field", "UTF-8"],
  ["###\n6:(0)t=x,%%%\njunk", "bad-netstring", "auth trailer"],
  ["###\n6:(0)t=x,%%%\n3:1 a,x", "trailing-bytes", "after the auth trailer"],
  [">>>\nt=x\n", "truncated", "<<<"],
  [">>>\nt=x", "truncated", "newline"],
  [">>>\nt=x\n<<<\nxx", "trailing-bytes", "<<<"],
  [">>>\ntx\n<<<\n", "bad-field", "="],
  [">>>\n(0)t=x\n<<<\n", "bad-field", "(0)"],
  [">>>\n(x)t=x\n<<<\n", "bad-field", "(digit)"],
  [">>>\n(1)t=***\n<<<\n", "bad-field", "base64"],
  [">>>\n(1)t=AQ\n<<<\n", "bad-field", "base64"],
  [">>>\n(2)t=>>>\x14a=1\x14\n<<<\n", "truncated", "struct field t"],
  [">>>\n(7)t=x\n<<<\n", "unsupported-type", "type 7"],
];

test("malformed frames give the expected typed error", () => {
  for (const [input, kind, reason] of cases) {
    const d = decodeFrame(bytes(input));
    assert.equal(d.ok, false, JSON.stringify(input));
    if (!d.ok) {
      assert.equal(d.error.kind, kind, `${JSON.stringify(input)}: ${d.error.reason}`);
      assert.ok(d.error.reason.includes(reason), `${JSON.stringify(input)}: ${d.error.reason}`);
    }
  }
});

test("classic decoding skips blank lines and accepts frames without the trailing NUL", () => {
  const d = decodeFrame(bytes(">>>\n\nt=x\n\n\nu=\n<<<\n"));
  assert.ok(d.ok);
  assert.ok(messagesEqual(d.msg, message(str("t", "x"), str("u", ""))));
});

test("limits: size, field count, depth, name length, list items", () => {
  const limits = {
    ...DEFAULT_WIRE_LIMITS,
    maxFields: 3,
    maxDepth: 1,
    maxNameBytes: 4,
    maxListItems: 2,
    maxFrameBytes: 200,
  };
  const kindOf = (b: Uint8Array) => {
    const d = decodeFrame(b, limits);
    return d.ok ? "ok" : d.error.kind;
  };
  const big = DEFAULT_WIRE_LIMITS;
  const enc = (m: ReturnType<typeof message>) => encodeNetstringBody(m, big);
  assert.equal(kindOf(enc(message(str("a", "1"), str("b", "2"), str("c", "3")))), "ok");
  assert.equal(kindOf(enc(message(str("a", "1"), str("b", "2"), str("c", "3"), str("d", "4")))), "limit");
  assert.equal(
    kindOf(encodeClassic(message(str("a", "1"), str("b", "2"), str("c", "3"), str("d", "4")))),
    "limit",
  );
  assert.equal(kindOf(enc(message(struct("a", message(str("b", "1")))))), "ok");
  assert.equal(kindOf(enc(message(struct("a", message(struct("b", message(str("c", "1")))))))), "limit");
  assert.equal(
    kindOf(encodeClassic(message(struct("a", message(struct("b", message(str("c", "1")))))))),
    "limit",
  );
  assert.equal(kindOf(enc(message(str("named", "1")))), "limit");
  assert.equal(kindOf(enc(message(list("l", ["a", "b", "c"])))), "limit");
  assert.equal(kindOf(enc(message(str("a", "x".repeat(200))))), "too-large");
});

test("the encoder refuses what cannot be written", () => {
  const bad = [
    message(str("", "x")),
    message(str("a=b", "x")),
    message(str("(1)a", "x")),
    message(str("a\nb", "x")),
    message(list("l", [])),
    message(list("l", [""])),
    message(str("n".repeat(256), "x")),
    message(str("big", "x".repeat(300 * 1024))),
  ];
  for (const m of bad)
    assert.throws(() => encodeFrame(m, KEYS), WireEncodeError, m.fields[0]!.name.slice(0, 10));
  assert.throws(() => encodeClassic(message(list("l", ["a\nb"]))), WireEncodeError);
  assert.throws(() => encodeClassic(message(struct("s", message(str("a", "\x14"))))), WireEncodeError);
  let deep = message(str("z", "1"));
  for (let i = 0; i < 9; i++) deep = message(struct(`d${i}`, deep));
  assert.throws(() => encodeNetstringBody(deep), WireEncodeError);
  assert.equal(te.encode("ok").length, 2);
});

test("string and binary fields (every heartbeat) encode to the bytes of the field-by-field layout, ASCII or not", () => {
  // the fast paths of encodeNetstringBody / classicFieldLines (issue 15) against the layout spelled out
  const enc = (s: string) => Buffer.from(s, "utf8");
  const netstringRef = (fields: readonly Field[]): Buffer => {
    const parts: Buffer[] = [enc("###\n")];
    for (const f of fields) {
      const v = f.kind === "string" ? enc(f.value) : Buffer.from(f.value as Uint8Array);
      parts.push(
        enc(`${4 + enc(f.name).length + v.length}:(${f.kind === "string" ? 0 : 1})${f.name}=`),
        v,
        enc(","),
      );
    }
    parts.push(enc("%%%\n"));
    return Buffer.concat(parts);
  };
  const classicRef = (fields: readonly Field[]): Buffer =>
    Buffer.concat(
      fields.map((f) =>
        enc(
          f.kind === "string"
            ? `${f.name}=${f.value.replaceAll("\n", "\x13")}\n`
            : `(1)${f.name}=${Buffer.from(f.value as Uint8Array).toString("base64")}\n`,
        ),
      ),
    );
  let seed = 7;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const values = ["active", "", "0.10 0.20 0.30 1/99 1234", "caf\u00e9", "\u{1f600}x", "a\nb", "=,:%#"];
  for (let i = 0; i < 300; i++) {
    const fields: Field[] = [];
    for (let k = 0, n = 1 + rnd(8); k < n; k++) {
      const name = rnd(10) === 0 ? `n\u00e4me${k}` : `f${k}`;
      if (rnd(3) === 0)
        fields.push(
          bin(
            name,
            Uint8Array.from({ length: rnd(20) + 1 }, () => rnd(256)),
          ),
        );
      else fields.push(str(name, values[rnd(values.length)] ?? ""));
    }
    const m = { fields };
    assert.equal(
      Buffer.compare(Buffer.from(encodeNetstringBody(m)), netstringRef(fields)),
      0,
      JSON.stringify(m),
    );
    assert.equal(Buffer.compare(Buffer.from(classicFieldLines(m)), classicRef(fields)), 0, JSON.stringify(m));
    const frame = decodeFrame(encodeNetstringBody(m));
    assert.ok(frame.ok);
    assert.deepEqual(frame.msg, m);
  }
  // the limits still apply on the fast path
  const big = { fields: [bin("b", new Uint8Array(DEFAULT_WIRE_LIMITS.maxValueBytes + 1)), str("s", "x")] };
  assert.throws(() => encodeNetstringBody(big), WireEncodeError);
});
