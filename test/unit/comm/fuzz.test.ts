// Goal: the decoder never throws and always returns a typed result, for random bytes and for mutated valid frames. Method: fast-check properties, 2000 runs each, seeded for reproducibility.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { readJsonlCapture } from "../../../src/comm/capture.js";
import { DEFAULT_WIRE_LIMITS } from "../../../src/comm/limits.js";
import {
  bin,
  type Field,
  list,
  type Message,
  message,
  messagesEqual,
  str,
  struct,
} from "../../../src/comm/message.js";
import { decodeFrame, encodeFrame, verifyFrame } from "../../../src/comm/wire.js";
import type { DecodeResult, WireErrorKind } from "../../../src/comm/wire-types.js";
import type { AuthKeys } from "../../../src/config/model.js";
import { readFixture } from "../../helpers.js";

const KEYS: AuthKeys = {
  active: 1,
  keys: [{ index: 1, method: "sha1", secret: "testsecret", at: { file: "k", line: 1 } }],
};
const KINDS: WireErrorKind[] = [
  "empty",
  "too-large",
  "unknown-format",
  "truncated",
  "bad-netstring",
  "bad-field",
  "unsupported-type",
  "limit",
  "trailing-bytes",
];
const RUNS = { numRuns: 2000, seed: 3 };

/** Decoding must return a well-formed result; a decoded frame must also verify without throwing. */
function checkResult(r: DecodeResult): void {
  if (r.ok) {
    assert.ok(r.format === "netstring" || r.format === "classic");
    assert.ok(
      ["ok", "bad-signature", "unknown-key", "malformed"].includes(verifyFrame(r, KEYS).verdict.verdict),
    );
  } else {
    assert.ok(KINDS.includes(r.error.kind), r.error.kind);
    assert.equal(typeof r.error.reason, "string");
    assert.ok(r.error.reason.length > 0);
  }
}

const samples: Uint8Array[] = (() => {
  const all = ["two-nodes-startup-ipaddr.jsonl", "real-node-and-classic-format-peer.jsonl"].flatMap(
    (f) => readJsonlCapture(readFixture("vectors", f)).packets,
  );
  const nested = message(
    str("t", "x"),
    struct("s", message(list("l", ["a", "b"]), bin("b", Uint8Array.of(10)))),
  );
  return [all[0]!, all.find((p) => p.payload[0] === 0x3e)!, all[20]!]
    .map((p) => p.payload)
    .concat([encodeFrame(nested, KEYS, "netstring"), encodeFrame(nested, KEYS, "classic")]);
})();

test("random bytes, with or without a frame header, never make the decoder throw", () => {
  const header = fc.constantFrom("", "###\n", ">>>\n").map((s) => new TextEncoder().encode(s));
  fc.assert(
    fc.property(header, fc.uint8Array({ maxLength: 400 }), (h, body) => {
      const b = new Uint8Array(h.length + body.length);
      b.set(h);
      b.set(body, h.length);
      checkResult(decodeFrame(b));
    }),
    RUNS,
  );
});

type Mutation =
  | { kind: "flip"; at: number; bit: number }
  | { kind: "cut"; at: number }
  | { kind: "insert"; at: number; bytes: Uint8Array }
  | { kind: "delete"; at: number; n: number };

function mutate(b: Uint8Array, muts: readonly Mutation[]): Uint8Array {
  let out = Uint8Array.from(b);
  for (const m of muts) {
    const at = out.length === 0 ? 0 : m.at % out.length;
    if (m.kind === "flip" && out.length > 0) out[at] = out[at]! ^ (1 << m.bit);
    else if (m.kind === "cut") out = out.slice(0, at);
    else if (m.kind === "insert")
      out = Uint8Array.from([...out.subarray(0, at), ...m.bytes, ...out.subarray(at)]);
    else if (m.kind === "delete") out = Uint8Array.from([...out.subarray(0, at), ...out.subarray(at + m.n)]);
  }
  return out;
}

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant("cut" as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant("insert" as const),
    at: fc.nat(),
    bytes: fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 8 }),
      fc.constantFrom(..."0123456789:,=()\n#%<>\x14\x13".split("")).map((c) => new TextEncoder().encode(c)),
    ),
  }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), n: fc.integer({ min: 1, max: 6 }) }),
);

test("mutated valid frames (bit flips, truncation, insertion, deletion) give a typed result, never a throw", () => {
  let failures = 0;
  fc.assert(
    fc.property(
      fc.constantFrom(...samples),
      fc.array(mutation, { minLength: 1, maxLength: 4 }),
      (frame, muts) => {
        const r = decodeFrame(mutate(frame, muts));
        checkResult(r);
        if (!r.ok) failures++;
      },
    ),
    RUNS,
  );
  assert.ok(failures > 0, "mutations should break at least some frames");
});

test("a frame that still verifies after mutation decodes to the original message", () => {
  // The signature covers everything: a mutated frame that verifies must be a no-op mutation.
  const originals = samples.map((b) => decodeFrame(b)).map((r) => (r.ok ? r.msg : message()));
  fc.assert(
    fc.property(
      fc.nat({ max: samples.length - 1 }),
      fc.array(mutation, { minLength: 1, maxLength: 3 }),
      (i, muts) => {
        const r = decodeFrame(mutate(samples[i]!, muts));
        if (r.ok && verifyFrame(r, KEYS).verdict.verdict === "ok")
          assert.ok(messagesEqual(r.msg, originals[i]!));
      },
    ),
    RUNS,
  );
});

const name = fc.stringMatching(/^[a-z_][a-z0-9_-]{0,10}$/).filter((n) => n !== "auth");
const leaf: fc.Arbitrary<Field> = fc.oneof(
  fc
    .tuple(
      name,
      fc.string({ unit: "grapheme", maxLength: 20 }).filter((s) => !s.includes("\x13")),
    )
    .map(([n, v]) => str(n, v)),
  fc.tuple(name, fc.uint8Array({ maxLength: 20 })).map(([n, v]) => bin(n, v)),
  fc
    .tuple(
      name,
      fc.array(
        fc.string({ minLength: 1, maxLength: 8 }).filter((s) => !s.includes("\n")),
        { minLength: 1, maxLength: 4 },
      ),
    )
    .map(([n, v]) => list(n, v)),
);
const msgArb: fc.Arbitrary<Message> = fc.letrec<{ msg: Message; field: Field }>((tie) => ({
  field: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.tuple(name, tie("msg")).map(([n, m]) => struct(n, m)),
  ),
  msg: fc.array(tie("field"), { maxLength: 5 }).map((fields) => ({ fields })),
})).msg;

test("any encodable message round-trips through both formats and verifies", () => {
  fc.assert(
    fc.property(msgArb, fc.constantFrom("netstring" as const, "classic" as const), (m, format) => {
      let b: Uint8Array;
      try {
        b = encodeFrame(m, KEYS, format, { ...DEFAULT_WIRE_LIMITS, maxDepth: 6 });
      } catch {
        return; // too deep or a reserved byte for classic: refusing is correct
      }
      const r = decodeFrame(b);
      assert.ok(r.ok, r.ok ? "" : r.error.reason);
      assert.equal(verifyFrame(r, KEYS).verdict.verdict, "ok");
      assert.ok(messagesEqual({ fields: r.msg.fields.slice(0, -1) }, m));
    }),
    { numRuns: 500, seed: 3 },
  );
});
