// Goal: parseAuthkeys accepts what Heartbeat accepts, refuses the rest with exact messages. Method: table-driven cases asserting rendered diagnostics and values.
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatDiagnostic } from "../../../src/base/diag.js";
import { parseAuthkeys } from "../../../src/config/authkeys.js";
import { readFixture } from "../../helpers.js";

const F = "/etc/ha.d/authkeys";
const ADVICE = "use sha1 in clusters with Heartbeat nodes, or sha256 between Tandem nodes";

function render(text: string, mode?: number): string[] {
  return parseAuthkeys(text, F, mode).diagnostics.map(formatDiagnostic);
}

test("fixture: the key that signed the captured Heartbeat 3.0.6 packets", () => {
  const r = parseAuthkeys(readFixture("config", "authkeys-sha1"), F, 0o600);
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(r.value, {
    active: 1,
    keys: [{ index: 1, method: "sha1", secret: "testsecret", at: { file: F, line: 2 } }],
  });
});

test("fixture: key rotation with comments, tabs, blank lines and a secret containing #", () => {
  const r = parseAuthkeys(readFixture("config", "authkeys-rotation"), F, 0o400);
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.value?.active, 3);
  assert.deepEqual(
    r.value?.keys.map((k) => [k.index, k.method, k.secret, k.at.line]),
    [
      [1, "sha1", "old-shared-secret", 7],
      [2, "md5", "legacy", 9],
      [3, "sha256", "N3w#Secret-With-Hash", 8],
    ],
  );
});

const good: { name: string; text: string; active: number; keys: [number, string, string][] }[] = [
  { name: "sha256", text: "auth 2\n2 sha256 s3cret\n", active: 2, keys: [[2, "sha256", "s3cret"]] },
  {
    name: "key 0 and key 15",
    text: "auth 0\n0 sha1 a\n15 sha1 b\n",
    active: 0,
    keys: [
      [0, "sha1", "a"],
      [15, "sha1", "b"],
    ],
  },
  { name: "CRLF line ends", text: "auth 1\r\n1 sha1 abc\r\n", active: 1, keys: [[1, "sha1", "abc"]] },
  {
    name: "leading blanks and comments",
    text: "  # c\n\tauth 1 # sign\n 1 sha1 k # note\n",
    active: 1,
    keys: [[1, "sha1", "k"]],
  },
  { name: "secret starting with #", text: "auth 1\n1 sha1 #k\n", active: 1, keys: [[1, "sha1", "#k"]] },
  {
    name: "crc followed by a comment",
    text: "auth 1\n1 crc # test lab only\n",
    active: 1,
    keys: [[1, "crc", ""]],
  },
  { name: "index with a leading zero", text: "auth 01\n01 sha1 k\n", active: 1, keys: [[1, "sha1", "k"]] },
];

for (const c of good) {
  test(`accepts: ${c.name}`, () => {
    const r = parseAuthkeys(c.text, F);
    assert.equal(
      r.diagnostics.filter((d) => d.severity === "error").length,
      0,
      r.diagnostics.map(formatDiagnostic).join("\n"),
    );
    assert.equal(r.value?.active, c.active);
    assert.deepEqual(
      r.value?.keys.map((k) => [k.index, k.method, k.secret]),
      c.keys,
    );
  });
}

const cases: { name: string; text: string; mode?: number; want: string[] }[] = [
  { name: "clean sha1", text: "auth 1\n1 sha1 k\n", want: [] },
  {
    name: "crc active: warning",
    text: "auth 1\n1 crc\n",
    want: [
      `${F}:1: warning: auth 1 selects key 1, which uses crc: a checksum, not a signature, so anyone on the network can forge cluster messages; ${ADVICE}`,
    ],
  },
  {
    name: "md5 active: warning",
    text: "auth 2\n2 md5 k\n",
    want: [`${F}:1: warning: auth 2 selects key 2, which uses md5, a weak digest; ${ADVICE}`],
  },
  { name: "md5 defined but not active: no warning", text: "auth 1\n1 sha1 k\n2 md5 k\n", want: [] },
  {
    name: "crc with a key",
    text: "auth 1\n1 crc secret\n",
    want: [
      `${F}:2: error: key 1 uses crc, which takes no secret; remove the secret, or choose a keyed method (sha1 or sha256)`,
    ],
  },
  ...(["md5", "sha1", "sha256"] as const).map((m) => ({
    name: `${m} without a key`,
    text: `auth 1\n1 ${m}\n`,
    want: [`${F}:2: error: key 1 uses ${m}, which needs a secret: write "1 ${m} SECRET"`],
  })),
  {
    name: "unknown method",
    text: "auth 1\n1 sha1 k\n2 sha512 k\n",
    want: [`${F}:3: error: key 2 has unknown method "sha512"; valid methods are crc, md5, sha1, sha256`],
  },
  {
    name: "method in upper case",
    text: "auth 1\n1 SHA1 k\n",
    want: [
      `${F}:2: error: key 1 has unknown method "SHA1" (methods are lower case: did you mean "sha1"?); valid methods are crc, md5, sha1, sha256`,
    ],
  },
  {
    name: "key line without a method",
    text: "auth 1\n1 sha1 k\n2\n",
    want: [
      `${F}:3: error: key 2 has no method: write "2 METHOD [SECRET]" with METHOD one of crc, md5, sha1, sha256`,
    ],
  },
  {
    name: "index 16 is out of range",
    text: "auth 1\n1 sha1 k\n16 sha1 k\n",
    want: [`${F}:3: error: key number 16 is out of range: valid key numbers are 0 to 15`],
  },
  {
    name: "line that is neither auth nor a key",
    text: "auth 1\n1 sha1 k\nsha1 k\n",
    want: [`${F}:3: error: unexpected "sha1": lines read "auth N" or "N method [secret]"`],
  },
  {
    name: "negative index",
    text: "auth 1\n1 sha1 k\n-1 sha1 k\n",
    want: [`${F}:3: error: unexpected "-1": lines read "auth N" or "N method [secret]"`],
  },
  {
    name: "duplicate index",
    text: "auth 1\n1 sha1 a\n# again\n1 sha1 b\n",
    want: [`${F}:4: error: key 1 is defined twice (first on line 2); remove one`],
  },
  {
    name: "auth names an undefined key",
    text: "auth 2\n1 sha1 k\n",
    want: [`${F}:1: error: auth 2 names key 2, which is not defined in this file`],
  },
  {
    name: "missing auth line",
    text: "1 sha1 k\n",
    want: [
      `${F}: error: no "auth N" line: add one naming the key that signs outgoing packets, e.g. "auth 1"`,
    ],
  },
  {
    name: "empty file",
    text: "",
    want: [
      `${F}: error: no "auth N" line: add one naming the key that signs outgoing packets, e.g. "auth 1"`,
    ],
  },
  {
    name: "two auth lines",
    text: "auth 1\n1 sha1 k\n2 sha1 l\nauth 2\n",
    want: [`${F}:4: error: second "auth" line (the first is on line 1); keep only one`],
  },
  {
    name: "auth without a number",
    text: "auth\n1 sha1 k\n",
    want: [`${F}:1: error: "auth" needs the number of the signing key, e.g. "auth 1"`],
  },
  {
    name: "auth with a non-number",
    text: "auth one\n1 sha1 k\n",
    want: [`${F}:1: error: auth key number "one" is not a number from 0 to 15`],
  },
  {
    name: "auth out of range",
    text: "auth 16\n1 sha1 k\n",
    want: [`${F}:1: error: auth key number 16 is out of range: valid key numbers are 0 to 15`],
  },
  {
    name: "auth with extra words",
    text: "auth 1 2\n1 sha1 k\n",
    want: [`${F}:1: error: "auth" takes one key number, but more follows: "2"`],
  },
  {
    name: "secret containing a space",
    text: "auth 1\n1 sha1 my secret\n",
    want: [
      `${F}:2: error: the secret of key 1 contains whitespace; Heartbeat would silently cut it at the first space, so nodes would use different keys and reject each other's packets; remove the space (a secret is one word)`,
    ],
  },
  {
    name: "every problem is reported, not just the first",
    text: "auth 7\n1 crc k\n2 sha1\n3 foo\n",
    want: [
      `${F}:2: error: key 1 uses crc, which takes no secret; remove the secret, or choose a keyed method (sha1 or sha256)`,
      `${F}:3: error: key 2 uses sha1, which needs a secret: write "2 sha1 SECRET"`,
      `${F}:4: error: key 3 has unknown method "foo"; valid methods are crc, md5, sha1, sha256`,
      `${F}:1: error: auth 7 names key 7, which is not defined in this file`,
    ],
  },
];

for (const c of cases) {
  test(`diagnostics: ${c.name}`, () => {
    assert.deepEqual(render(c.text, c.mode), c.want);
  });
}

// Heartbeat's rule, VERIFIED on 3.0.6: only the group-read and other-read bits matter.
const modes: { mode: number; shown: string; ok: boolean }[] = [
  { mode: 0o600, shown: "0600", ok: true },
  { mode: 0o400, shown: "0400", ok: true },
  { mode: 0o620, shown: "0620", ok: true },
  { mode: 0o602, shown: "0602", ok: true },
  { mode: 0o700, shown: "0700", ok: true },
  { mode: 0o644, shown: "0644", ok: false },
  { mode: 0o640, shown: "0640", ok: false },
  { mode: 0o604, shown: "0604", ok: false },
  { mode: 0o666, shown: "0666", ok: false },
  { mode: 0o100644, shown: "0644", ok: false }, // full st_mode of a regular file
];

for (const m of modes) {
  test(`file mode ${m.shown}: ${m.ok ? "accepted" : "refused"}`, () => {
    const r = parseAuthkeys("auth 1\n1 sha1 k\n", F, m.mode);
    const want = m.ok
      ? []
      : [
          `${F}: error: file mode ${m.shown} lets group or others read the secrets; Heartbeat refuses such a file and so does Tandem: run chmod 600 ${F}`,
        ];
    assert.deepEqual(r.diagnostics.map(formatDiagnostic), want);
    assert.equal(r.diagnostics[0]?.line ?? 0, 0);
  });
}

test("diagnostic codes are stable", () => {
  const r = parseAuthkeys("auth 1\n1 crc x\n2 sha1 a b\n", F, 0o644);
  assert.deepEqual(
    r.diagnostics.map((d) => d.code),
    ["authkeys.mode", "authkeys.crc-key", "authkeys.secret-space"],
  );
});

test("auth naming a key whose own line was refused gets no second error; a refused key still counts as defined", () => {
  assert.deepEqual(render("auth 1\n1 sha1 a b\n1 sha1 ab\n"), [
    `${F}:2: error: the secret of key 1 contains whitespace; Heartbeat would silently cut it at the first space, so nodes would use different keys and reject each other's packets; remove the space (a secret is one word)`,
    `${F}:3: error: key 1 is defined twice (first on line 2); remove one`,
  ]);
});

test("value is undefined without a usable auth line, present otherwise even with other errors", () => {
  assert.equal(parseAuthkeys("1 sha1 k\n", F).value, undefined);
  assert.equal(parseAuthkeys("auth 2\n1 sha1 k\n", F).value, undefined);
  const r = parseAuthkeys("auth 1\n1 sha1 k\n2 bogus k\n", F, 0o644);
  assert.equal(r.value?.active, 1);
  assert.equal(r.diagnostics.length, 2);
});
