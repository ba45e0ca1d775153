// Goal: `hbctl convert haresources` writes a CIB that Tandem's own CIB parser accepts, with stickiness from
// ha.cf, and `hbctl verify CIB.xml` validates CIBs. Method: spawn the built CLI on the example and fixtures.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { parseCib } from "../../../src/cib/parse.js";
import { fixturePath, repoRoot } from "../../helpers.js";

const cli = join(repoRoot, "dist", "src", "cli", "main.js");
const tmp = mkdtempSync(join(tmpdir(), "tandem-convert-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
const hbctl = (...args: string[]) => {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: repoRoot, encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

test("converts the example haresources; the result parses cleanly and verifies", () => {
  const out = join(tmp, "cib.xml");
  const r = hbctl("convert", "haresources", "examples/heartbeat-lvs-dr/haresources", "-o", out);
  assert.equal(r.code, 0, r.err);
  assert.equal(statSync(out).mode & 0o777, 0o600);
  const cib = parseCib(readFileSync(out, "utf8"), out);
  assert.deepEqual(cib.diagnostics, []);
  const xml = readFileSync(out, "utf8");
  assert.match(xml, /name="cidr_netmask" value="24"/);
  assert.match(xml, /name="nic" value="eth0"/);
  assert.match(xml, /rsc_location id="[^"]+" rsc="[^"]+" node="primarylb" score="100"/);
  assert.match(xml, /name="resource-stickiness" value="0"/); // auto_failback on
  const v = hbctl("verify", out);
  assert.equal(v.code, 0, v.out);
});

test("auto_failback off in ha.cf gives stickiness that outweighs the preference", () => {
  const hacf = join(tmp, "ha.cf");
  writeFileSync(
    hacf,
    readFileSync(join(repoRoot, "examples/heartbeat-lvs-dr/ha.cf"), "utf8").replace(
      "auto_failback on",
      "auto_failback off",
    ),
  );
  const r = hbctl("convert", "haresources", "examples/heartbeat-lvs-dr/haresources", "--ha-cf", hacf);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /name="resource-stickiness" value="1000"/);
});

test("a bad haresources is not converted (exit 2, file:line)", () => {
  const f = join(tmp, "haresources");
  writeFileSync(f, "primarylb IPaddr::10.0.0.5/99\n");
  const r = hbctl("convert", "haresources", f, "--ha-cf", "examples/heartbeat-lvs-dr/ha.cf");
  assert.equal(r.code, 2);
  assert.match(r.err, /haresources:1: error: IPaddr argument "10\.0\.0\.5\/99"/);
  assert.equal(r.out, "");
});

test("verify CIB.xml: every problem with element path and line, exit 2", () => {
  const r = hbctl("verify", fixturePath("cib", "invalid.xml"));
  assert.equal(r.code, 2);
  assert.match(
    r.out,
    /invalid\.xml:15: error: \/cib\/configuration\/resources\/group\[@id='g1'\]\/primitive\[@id='ip'\]: missing required attribute "type"/,
  );
  assert.ok(r.out.split("\n").filter((l) => l.includes(": error: ")).length >= 10);
});

test("verify CIB.xml: a golden scenario CIB is clean", () => {
  const r = hbctl("verify", fixturePath("policy", "09-colocation-and-order.xml"));
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /CIB epoch 0\.10\.0: 2 node\(s\)/);
});

test("agent names: Tandem's by default, Pacemaker's with --for pacemaker; stderr says which were written", () => {
  const ex = "examples/heartbeat-lvs-dr/haresources";
  const t = hbctl("convert", "haresources", ex);
  assert.equal(t.code, 0, t.err);
  assert.match(t.out, /class="ocf" [^>]*provider="tandem" type="IPaddr"|provider="tandem"/);
  assert.doesNotMatch(t.out, /provider="heartbeat"/);
  assert.match(
    t.err,
    /agent names for Tandem: ocf:tandem:IPaddr, ocf:tandem:ldirectord; --for pacemaker writes the names real Pacemaker runs/,
  );
  const p = hbctl("convert", "haresources", ex, "--for", "pacemaker");
  assert.equal(p.code, 0, p.err);
  assert.doesNotMatch(p.out, /provider="tandem"/);
  assert.match(p.err, /agent names for Pacemaker: ocf:heartbeat:IPaddr, ocf:heartbeat:ldirectord/);
  const bad = hbctl("convert", "haresources", ex, "--for", "heartbeat");
  assert.equal(bad.code, 2, bad.err);
  assert.match(bad.err, /--for heartbeat: expected tandem or pacemaker/);
});
