// Goal: `hbctl verify` checks the configuration against the host as Heartbeat would find things:
// haresources names in DIR/resource.d, /etc/ha.d/resource.d, then /etc/init.d (found nowhere: error with
// file:line); `crm on` needs a CIB (state dir, DIR/cib.xml, Heartbeat's cib.xml) and says what to do when
// there is none; a CIB's ocf:heartbeat agent that resource-agents lacks falls back with a warning; a
// watchdog device that does not exist is a warning at its line.
// Method: spawn the built CLI on directories made from the shipped example, with --state-dir and
// --heartbeat-cib pointed into a temp directory so the host's own files do not matter.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fixturePath, repoRoot } from "../../helpers.js";

const cli = join(repoRoot, "dist", "src", "cli", "main.js");
const tmp = mkdtempSync(join(tmpdir(), "tandem-verify-host-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
const noState = join(tmp, "no-state");
const noHbCib = join(tmp, "no-heartbeat", "cib.xml");

function verify(dir: string, ...extra: string[]): { code: number | null; out: string } {
  const args = [
    cli,
    "verify",
    dir,
    "--node",
    "primarylb",
    "--state-dir",
    noState,
    "--heartbeat-cib",
    noHbCib,
  ];
  const r = spawnSync(process.execPath, [...args, ...extra], { cwd: repoRoot, encoding: "utf8" });
  return { code: r.status, out: r.stdout + r.stderr };
}

/** The shipped example with `haresources` and extra ha.cf lines replaced. */
function example(name: string, haresources: string | undefined, hacfExtra = ""): string {
  const dir = join(tmp, name);
  cpSync(join(repoRoot, "examples", "heartbeat-lvs-dr"), dir, { recursive: true });
  chmodSync(join(dir, "authkeys"), 0o600);
  if (haresources === undefined) rmSync(join(dir, "haresources"));
  else writeFileSync(join(dir, "haresources"), haresources);
  if (hacfExtra !== "") writeFileSync(join(dir, "ha.cf"), `${readHaCf(dir)}${hacfExtra}`);
  return dir;
}

function readHaCf(dir: string): string {
  return spawnSync("cat", [join(dir, "ha.cf")], { encoding: "utf8" }).stdout;
}

function script(dir: string, name: string): void {
  mkdirSync(join(dir, "resource.d"), { recursive: true });
  writeFileSync(join(dir, "resource.d", name), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
}

test("a haresources name found nowhere: error at its file:line, exit 2", () => {
  const dir = example("nowhere", "primarylb 192.168.1.110/24/eth0 \\\n  no-such-script-x1\n");
  const r = verify(dir);
  assert.equal(r.code, 2, r.out);
  assert.match(
    r.out,
    new RegExp(
      `${dir}/haresources:2: error: resource script "no-such-script-x1" is found nowhere: not in ${dir}/resource.d, /etc/ha.d/resource.d, /etc/init.d; put it \\(or a link to it\\) in ${dir}/resource.d`,
    ),
  );
});

test("with :: arguments the lookup is the same: found nowhere is an error", () => {
  const dir = example("nowhere-args", "primarylb no-such-script-x2::a::b\n");
  const r = verify(dir);
  assert.equal(r.code, 2, r.out);
  assert.match(r.out, /haresources:1: error: resource script "no-such-script-x2" is found nowhere/);
});

test("a name found only in DIR/resource.d (with or without arguments) is clean", () => {
  const dir = example("own-script", "primarylb 192.168.1.110/24/eth0 mylvs mycheck::x\n");
  script(dir, "mylvs");
  script(dir, "mycheck");
  const r = verify(dir);
  assert.equal(r.code, 0, r.out);
});

test("crm on without a CIB anywhere: error at the crm line saying where it looked and what to do", () => {
  const dir = example("crm-none", undefined, "crm on\n");
  const r = verify(dir);
  assert.equal(r.code, 2, r.out);
  const line = readHaCf(dir).split("\n").indexOf("crm on") + 1;
  assert.match(
    r.out,
    new RegExp(
      `${dir}/ha.cf:${line}: error: crm on, but there is no CIB \\(looked in ${noState}/crm/cib.xml, ${dir}/cib.xml, ${noHbCib}\\): write one with "hbctl convert haresources -o ${dir}/cib.xml", or copy Heartbeat's cib.xml there`,
    ),
  );
});

test("crm on with Heartbeat 2.1's cib.xml only: valid, the CIB is checked and listed", () => {
  const dir = example("crm-hb", undefined, "crm on\n");
  const r = verify(dir, "--heartbeat-cib", fixturePath("cib", "hb2-haresources2cib.xml"));
  assert.notEqual(r.code, 2, r.out);
  assert.match(r.out, /hb2-haresources2cib\.xml: 0 error\(s\)|hb2-haresources2cib\.xml[^\n]*: 0 error/);
});

test("crm on with DIR/cib.xml: an ocf:heartbeat agent resource-agents lacks falls back to Tandem's, with a warning", () => {
  const dir = example("crm-own", undefined, "crm on\n");
  const cib = `<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.9"><configuration><crm_config><cluster_property_set id="o"><nvpair id="o-s" name="stonith-enabled" value="false"/></cluster_property_set></crm_config><nodes/>
<resources><primitive id="lvs" class="ocf" provider="heartbeat" type="lvs"/></resources><constraints/></configuration><status/></cib>`;
  writeFileSync(join(dir, "cib.xml"), cib);
  const r = verify(dir);
  assert.equal(r.code, 1, r.out);
  assert.match(
    r.out,
    /cib\.xml: warning: resource lvs: ocf:heartbeat:lvs is not installed \(\/usr\/lib\/ocf\/resource\.d\/heartbeat\/lvs; package resource-agents\): Tandem's ocf:tandem:lvs runs instead/,
  );
});

test("a watchdog device that does not exist: warning at its line, exit 1", () => {
  const dir = example("watchdog", undefined, "crm on\nwatchdog /dev/no-such-watchdog-x\n");
  writeFileSync(
    join(dir, "cib.xml"),
    '<cib admin_epoch="0" epoch="1" num_updates="0"><configuration><crm_config/><nodes/><resources/><constraints/></configuration><status/></cib>',
  );
  const r = verify(dir);
  assert.equal(r.code, 1, r.out);
  const line = readHaCf(dir).split("\n").indexOf("watchdog /dev/no-such-watchdog-x") + 1;
  assert.match(
    r.out,
    new RegExp(
      `ha.cf:${line}: warning: watchdog /dev/no-such-watchdog-x: no such device; hbd runs without a watchdog`,
    ),
  );
});

test("hbd --check refuses the same problems (exit 6, file:line) and accepts the fixed directory", () => {
  const hbd = join(repoRoot, "dist", "src", "bin", "hbd.cjs");
  const check = (dir: string) =>
    spawnSync(
      process.execPath,
      [
        hbd,
        "--check",
        "--config-dir",
        dir,
        "--node",
        "primarylb",
        "--state-dir",
        noState,
        "--heartbeat-cib",
        noHbCib,
      ],
      { encoding: "utf8" },
    );
  const dir = example("check-nowhere", "primarylb mylvs2\n");
  const bad = check(dir);
  assert.equal(bad.status, 6, bad.stdout + bad.stderr);
  assert.match(
    bad.stderr,
    new RegExp(`${dir}/haresources:1: error: resource script "mylvs2" is found nowhere`),
  );
  script(dir, "mylvs2");
  const good = check(dir);
  assert.equal(good.status, 0, good.stdout + good.stderr);
  const crm = example("check-crm", undefined, "crm on\n");
  const none = check(crm);
  assert.equal(none.status, 6, none.stdout + none.stderr);
  assert.match(none.stderr, /error: crm on, but there is no CIB/);
});
