// Goal: the fence runner speaks the fence-agents stdin protocol to real agent processes, reports success, failure and timeouts, answers device start/stop/monitor, and fence_meatware waits for `hbctl fence confirm`.
// Method: real processes: the shipped resource.d/stonith agents and a capture agent written to a temp dir; results, files and elapsed time checked.
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { parseCib } from "../../../src/cib/parse.js";
import { confirmFence } from "../../../src/cli/commands/fence.js";
import { FenceRunner } from "../../../src/exec/fence.js";
import { devicesFor, type FenceDevice, fenceStdin, parseHostList } from "../../../src/exec/fence-devices.js";
import { repoRoot } from "../../helpers.js";

const dir = mkdtempSync(join(tmpdir(), "tandem-fence-"));
after(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(
  join(dir, "fence_capture"),
  `#!/bin/sh\ncat > "${dir}/stdin.txt"\necho "captured" >&2\nexit 0\n`,
);
chmodSync(join(dir, "fence_capture"), 0o755);

const lines: string[] = [];
const runner = new FenceRunner({
  agentDirs: [dir, join(repoRoot, "resource.d", "stonith")],
  env: { PATH: process.env.PATH ?? "/usr/bin:/bin", TANDEM_FENCE_DIR: join(dir, "fence") },
  killGraceMs: 200,
  onOutput: (device, line) => lines.push(`${device}: ${line}`),
});
const dev = (agent: string, params: Record<string, string> = {}): FenceDevice => ({
  id: `d-${agent}`,
  agent,
  params,
  timeouts: {},
});

test("the request reaches the agent as name=value lines on stdin; stderr lines are reported", async () => {
  const o = await runner.run(
    dev("fence_capture", { ipaddr: "10.0.0.9", pcmk_x: "no" }),
    "reboot",
    "n2",
    5000,
  );
  assert.equal(o.ok, true, o.reason);
  assert.equal(
    readFileSync(join(dir, "stdin.txt"), "utf8"),
    "action=reboot\nnodename=n2\nport=n2\nipaddr=10.0.0.9\npcmk_x=no\n",
  );
  assert.ok(lines.includes("d-fence_capture: captured"), lines.join("; "));
  assert.equal(fenceStdin("off", undefined, { "bad key": "x", v: "a\nb" }), "action=off\nv=a b\n");
});

test("fence_null: success appends a line; a failing action fails", async () => {
  const log = join(dir, "null.log");
  const ok = await runner.run(dev("fence_null", { log }), "reboot", "n2", 5000);
  assert.equal(ok.ok, true, ok.reason);
  assert.match(readFileSync(log, "utf8"), /^\d+\.\d+ reboot n2\n$/);
  const bad = await runner.run(dev("fence_null", { log, fail: "reboot" }), "reboot", "n2", 5000);
  assert.equal(bad.ok, false);
  assert.equal(bad.exitCode, 1);
  assert.match(bad.reason, /fence_null reboot failed \(exit 1\): .*failed/);
  assert.equal(readFileSync(log, "utf8").split("\n").length - 1, 2);
});

test("an agent that outlives its timeout is killed and reported as timed out", async () => {
  const t0 = performance.now();
  const o = await runner.run(dev("fence_null", { delay: "20" }), "reboot", "n2", 300);
  const ms = performance.now() - t0;
  assert.equal(o.ok, false);
  assert.equal(o.timedOut, true);
  assert.match(o.reason, /timed out after 300 ms/);
  assert.ok(ms < 5000, `killed promptly (${Math.round(ms)} ms)`);
});

test("a missing agent fails with a clear reason", async () => {
  const o = await runner.run(dev("fence_nonexistent"), "reboot", "n2", 1000);
  assert.equal(o.ok, false);
  assert.match(o.reason, /fence agent fence_nonexistent not found/);
  assert.equal(await runner.locate("../fence_null"), undefined);
});

test("device start/monitor/stop: not running until started, monitor runs the agent", async () => {
  const spec = { class: "ocf" as const, provider: "tandem-stonith", type: "fence_null", params: {} };
  const req = (op: string) => ({ rscId: "f1", agent: spec, op });
  assert.equal((await runner.deviceOp(req("monitor"))).rc, 7);
  assert.equal((await runner.deviceOp(req("start"))).rc, 0);
  assert.equal((await runner.deviceOp(req("monitor"))).rc, 0);
  const failing = { rscId: "f2", agent: { ...spec, params: { fail: "monitor" } }, op: "start" };
  assert.equal((await runner.deviceOp(failing)).rc, 1);
  assert.equal((await runner.deviceOp(req("stop"))).rc, 0);
  assert.equal((await runner.deviceOp(req("monitor"))).rc, 7);
});

test("fence_meatware waits for the operator's confirmation, and only for that", async () => {
  const fenceDir = join(dir, "fence");
  assert.throws(() => confirmFence("n2", fenceDir), /no fencing of n2 is waiting/);
  const t0 = performance.now();
  const pending = runner.run(dev("fence_meatware"), "reboot", "n2", 10_000);
  for (let i = 0; i < 100 && !existsSync(join(fenceDir, "meatware.n2")); i++)
    await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 400));
  assert.ok(
    lines.some((l) => /CRIT: .*power-cycle n2.*hbctl fence confirm n2/.test(l)),
    lines.join("; "),
  );
  const r = confirmFence("n2", fenceDir);
  assert.equal(r.confirmed, true);
  const o = await pending;
  assert.equal(o.ok, true, o.reason);
  assert.ok(performance.now() - t0 >= 400, "it waited for the confirmation");
  assert.equal(existsSync(join(fenceDir, "meatware.n2")), false, "request removed");
  const timedOut = await runner.run(dev("fence_meatware"), "reboot", "n2", 500);
  assert.equal(timedOut.timedOut, true, "without confirmation it fails at its timeout");
});

test("devices: host lists decide which devices can fence a node", () => {
  const xml = `<cib admin_epoch="0" epoch="1" num_updates="0"><configuration><crm_config/><nodes/><resources>
<primitive id="a" class="stonith" type="fence_null"><instance_attributes id="ia"><nvpair id="a1" name="pcmk_host_list" value="n1,n2"/><nvpair id="a2" name="pcmk_reboot_timeout" value="90s"/></instance_attributes></primitive>
<primitive id="b" class="stonith" type="fence_ssh"><instance_attributes id="ib"><nvpair id="b1" name="hostlist" value="N3"/></instance_attributes></primitive>
<primitive id="c" class="stonith" type="fence_meatware"/>
<primitive id="r" class="ocf" provider="heartbeat" type="Dummy"/>
</resources><constraints/></configuration><status/></cib>`;
  const cib = parseCib(xml).value;
  assert.ok(cib);
  assert.deepEqual(
    devicesFor(cib, "n2").map((d) => d.id),
    ["a", "c"],
  );
  assert.deepEqual(
    devicesFor(cib, "n3").map((d) => d.id),
    ["b", "c"],
  );
  const a = devicesFor(cib, "n1")[0];
  assert.deepEqual(a?.params, {}, "pcmk_* parameters are not passed to the agent");
  assert.equal(a?.timeouts.reboot, 90_000);
  assert.deepEqual(parseHostList(" x, y;z "), ["x", "y", "z"]);
});
