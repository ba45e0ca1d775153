// Goal: a legacy haresources setup converts to a cib.xml that real Pacemaker accepts (crm_verify) and that
// schedules as haresources would: the group starts on its preferred node, fails over, and fails back only
// with auto_failback on. Method: run real crm_verify / crm_simulate (Debian pacemaker-cli-utils, installed
// by .ci/run) and `hbctl simulate` on the same files and compare the transition summaries.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { repoRoot } from "../../helpers.js";

const cli = join(repoRoot, "dist", "src", "cli", "main.js");
const tmp = mkdtempSync(join(tmpdir(), "tandem-pcmk-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

function run(cmd: string, args: string[]) {
  const r = spawnSync(cmd, args, { cwd: repoRoot, encoding: "utf8", timeout: 60_000 });
  if (r.error) throw new Error(`${cmd}: ${r.error.message} (install pacemaker-cli-utils)`);
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/**
 * crm_simulate's "Transition Summary" as `verb rsc node[ -> node]` lines, an anonymous clone's instance
 * number dropped (`ldirectord:1` -> `ldirectord`), as the oracle's normalize.py does: the warm director is a clone.
 */
function pacemakerSummary(out: string): string[] {
  const m = /Transition Summary:\n([\s\S]*?)\n\n/.exec(`${out}\n\n`);
  return (m?.[1] ?? "")
    .split("\n")
    .map((l) => /^\s*\* (\w+)\s+(\S+)\s+\(\s*(.+?)\s*\)/.exec(l))
    .filter((x): x is RegExpExecArray => x !== null)
    .map((x) => `${x[1]!.toLowerCase()} ${x[2]!.replace(/:\d+$/, "")} ${x[3]}`)
    .sort();
}

function ourSummary(out: string): string[] {
  return out
    .split("\n")
    .filter((l) => l.startsWith("summary "))
    .map((l) => l.slice("summary ".length))
    .sort();
}

for (const failback of ["on", "off"] as const) {
  test(`converted haresources (auto_failback ${failback}) agrees with real Pacemaker`, () => {
    const hacf = join(tmp, `ha.cf-${failback}`);
    writeFileSync(
      hacf,
      readFileSync(join(repoRoot, "examples/heartbeat-lvs-dr/ha.cf"), "utf8").replace(
        "auto_failback on",
        `auto_failback ${failback}`,
      ),
    );
    const cib = join(tmp, `cib-${failback}.xml`);
    const conv = run(process.execPath, [
      cli,
      "convert",
      "haresources",
      "examples/heartbeat-lvs-dr/haresources",
      "--ha-cf",
      hacf,
      "--for",
      "pacemaker",
      "-o",
      cib,
    ]);
    assert.equal(conv.code, 0, conv.err);

    const verify = run("crm_verify", ["-x", cib]);
    assert.equal(verify.code, 0, `crm_verify rejected the converted CIB:\n${verify.out}${verify.err}`);

    // 1. both nodes up: the group starts on its preferred node
    const up = run("crm_simulate", ["-x", cib, "-S", "--node-up", "primarylb", "--node-up", "backuplb"]);
    const ours1 = run(process.execPath, [
      cli,
      "simulate",
      cib,
      "--node-up",
      "primarylb",
      "--node-up",
      "backuplb",
    ]);
    assert.deepEqual(ourSummary(ours1.out), pacemakerSummary(up.out));
    assert.ok(
      ourSummary(ours1.out).some((l) => l.endsWith("primarylb")),
      ours1.out,
    );

    // 2. only backuplb: it takes the group; save Pacemaker's resulting CIB (with real digests)
    const afterFailover = join(tmp, `failover-${failback}.xml`);
    const fo = run("crm_simulate", ["-x", cib, "-S", "--node-up", "backuplb", "-O", afterFailover]);
    const ours2 = run(process.execPath, [cli, "simulate", cib, "--node-up", "backuplb"]);
    assert.deepEqual(ourSummary(ours2.out), pacemakerSummary(fo.out));

    // 3. primarylb returns: fail back with auto_failback on, stay with off
    const back = run("crm_simulate", ["-x", afterFailover, "-S", "--node-up", "primarylb"]);
    const ours3 = run(process.execPath, [cli, "simulate", afterFailover, "--node-up", "primarylb"]);
    assert.equal(ours3.code, 0, ours3.err);
    assert.deepEqual(ourSummary(ours3.out), pacemakerSummary(back.out));
    // the VIP moves back with auto_failback on; the director is a warm clone: it starts on primarylb, never moves
    const moves = ourSummary(ours3.out).filter((l) => l.startsWith("move "));
    assert.equal(moves.length, failback === "on" ? 1 : 0, ours3.out);
  });
}
