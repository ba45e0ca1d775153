// Goal: the hand-written CIB XML scanner reads what libxml2 writes and names the line of every syntax error.
// Method: small documents exercising each construct, and malformed ones checked for message and line.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { scanGeneral, scanPlain, scanXml } from "../../../src/cib/xml-scan.js";
import { lcg, mutateOne } from "./mutate.js";

const here = dirname(fileURLToPath(import.meta.url));
/** The checkout (tests run from dist/test/...). */
const repoRoot = [resolve(here, "../../.."), resolve(here, "../../../..")].find((d) =>
  readdirSync(d).includes("package.json"),
) as string;

function ok(text: string) {
  const r = scanXml(text);
  assert.ok(r.ok, r.ok ? "" : `line ${r.line}: ${r.message}`);
  return r.root;
}

test("elements, attributes in order, lines, entities, comments, PI, CDATA, DOCTYPE", () => {
  const root = ok(
    `\uFEFF<?xml version="1.0"?>\n<!DOCTYPE cib>\n<!-- a comment with <tags> -->\n<cib b="2" a='1'>\n  <x v="a&amp;b &lt;&#10;&#x41;&quot;&apos;"/>\n  <y>text &gt; <![CDATA[<raw>]]></y>\n  <?pi stuff?>\n</cib>\n`,
  );
  assert.equal(root.name, "cib");
  assert.deepEqual(Object.keys(root.attrs), ["b", "a"]);
  assert.equal(root.line, 4);
  const [x, y] = root.children;
  assert.equal(x?.attrs.v, "a&b <\nA\"'");
  assert.equal(x?.line, 5);
  assert.equal(y?.text, "text > <raw>");
  assert.equal(y?.line, 6);
  assert.equal(root.text, undefined, "whitespace between elements is not text");
});

test("syntax errors name their line", () => {
  const cases: [string, number, RegExp][] = [
    ["<a>\n<b>\n</a>", 3, /does not match <b>/],
    ["<a>\n<b x=1/>\n</a>", 2, /not quoted/],
    ['<a>\n<b x="1" x="2"/>\n</a>', 2, /repeated/],
    ['<a>\n\n<b x="&nope;"/>\n</a>', 3, /unknown entity/],
    ["<a>\n<b>\n", 3, /<b> \(line 2\) is not closed/],
    ["<a/>\n<b/>", 2, /more than one root/],
    ["", 1, /no root element/],
    ["<a>\n<!-- never closed\n</a>", 2, /unterminated comment/],
    ["<a>\n<b\n", 2, /unterminated tag|expected a name/],
    ['<a>\n<b x="1"y="2"/></a>', 2, /expected a space/],
    ["junk<a/>", 1, /text outside the root/],
    ['<!DOCTYPE a [<!ENTITY e "x">]><a/>', 1, /unsupported DOCTYPE/],
  ];
  for (const [text, line, re] of cases) {
    const r = scanXml(text);
    assert.equal(r.ok, false, text);
    if (r.ok) continue;
    assert.match(r.message, re, text);
    assert.equal(r.line, line, `${JSON.stringify(text)}: ${r.message}`);
  }
});

test("a document on one long line is scanned in linear time (line counting searched from the last tag: quadratic)", () => {
  // 60,000 elements on line 2: the old line counter searched to the end of the line on every tag (~10 s)
  const body = Array.from(
    { length: 60_000 },
    (_, i) => `<op id="o${i}" name="monitor" interval="10000"/>`,
  ).join("");
  const t0 = performance.now();
  const r = scanXml(`<a>\n${body}\n<last/></a>`);
  const ms = performance.now() - t0;
  assert.ok(r.ok);
  assert.equal(r.root.children.length, 60_001);
  assert.equal(r.root.children.at(-1)?.line, 3);
  assert.equal(r.root.children[59_999]?.line, 2);
  assert.ok(ms < 3000, `scanned in ${ms.toFixed(0)} ms (bound 3 s, linear: ~50 ms)`);
});

test("names are reused across elements but never confused (same hash slot, different text)", () => {
  const r = scanXml('<a><bc x="1" y="2"/><cb y="3" x="4"/><bc yx="5"/></a>');
  assert.ok(r.ok);
  const [p, q, s] = r.root.children;
  assert.deepEqual([p?.name, q?.name, s?.name], ["bc", "cb", "bc"]);
  assert.deepEqual(p?.attrs, { x: "1", y: "2" });
  assert.deepEqual(q?.attrs, { y: "3", x: "4" });
  assert.deepEqual(s?.attrs, { yx: "5" });
  const bad = scanXml('<a><b toString="1" x="&amp;"/><c v="a<b"/></a>');
  assert.equal(bad.ok, false);
  if (!bad.ok) assert.match(bad.message, /'<' in the value of attribute v/);
  const amp = scanXml('<a><b toString="1" x="p&amp;q" y="r"/></a>');
  assert.ok(amp.ok);
  assert.deepEqual(amp.root.children[0]?.attrs, { toString: "1", x: "p&q", y: "r" });
});

// The fast path (scanPlain) must give exactly the general scanner's tree, attribute order and lines
// included, or step aside (undefined): every fixture CIB, and thousands of single-character mutations
// of them (each compared: the same tree, or the same error), several of which the fast path must take.
const fixtureXml = (): { name: string; text: string }[] => {
  const out: { name: string; text: string }[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".xml")) out.push({ name: p, text: readFileSync(p, "utf8") });
    }
  };
  walk(join(repoRoot, "test", "fixtures"));
  return out;
};
/** Tree as text with attribute order (deepStrictEqual ignores key order). */
const same = (a: unknown): string => JSON.stringify(a);

test("the fast path gives the general scanner's tree on every fixture, or leaves it to it", () => {
  const files = fixtureXml();
  assert.ok(files.length > 100, `${files.length} fixture files`);
  let fast = 0;
  for (const { name, text } of files) {
    const general = scanGeneral(text);
    const plain = scanPlain(text);
    if (plain !== undefined) {
      fast++;
      assert.ok(general.ok, name);
      if (general.ok) assert.equal(same(plain), same(general.root), name);
    }
    assert.equal(same(scanXml(text)), same(general), name);
  }
  assert.ok(fast > files.length / 2, `fast path taken on ${fast} of ${files.length}`);
});

test("mutated documents: the fast path never accepts what the general scanner rejects or reads differently", () => {
  const rnd = lcg(17);
  const alphabet = [
    '"',
    "'",
    "<",
    ">",
    "/",
    "=",
    " ",
    "\n",
    "&",
    "!",
    "?",
    "-",
    "a",
    "x",
    ";",
    "\t",
    "\u00a0",
  ];
  const files = fixtureXml().filter((f) => f.text.length < 20_000);
  let accepted = 0;
  let rejected = 0;
  for (let k = 0; k < 3000; k++) {
    const { text } = files[rnd(files.length)] as { text: string };
    const at = rnd(text.length);
    const ch = alphabet[rnd(alphabet.length)] as string;
    const mode = rnd(3);
    const mutated = mutateOne(text, at, ch, mode);
    const general = scanGeneral(mutated);
    const plain = scanPlain(mutated);
    if (plain !== undefined) {
      accepted++;
      assert.ok(
        general.ok,
        `fast path accepted what the general scanner rejects (${general.ok ? "" : `line ${general.line}: ${general.message}`}): ${JSON.stringify(mutated.slice(Math.max(0, at - 80), at + 80))}`,
      );
      if (general.ok) assert.equal(same(plain), same(general.root), JSON.stringify(mutated));
    } else if (!general.ok) rejected++;
    assert.equal(same(scanXml(mutated)), same(general));
  }
  assert.ok(accepted > 300 && rejected > 300, `accepted ${accepted}, rejected ${rejected}`);
});
