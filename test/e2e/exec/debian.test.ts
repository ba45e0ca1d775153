// Goal: Debian's resource-agents run unmodified under our executor: ocf:heartbeat:Dummy, and ocf:heartbeat:IPaddr2 inside a network namespace (start, monitor, stop, exit codes). Method: the real agents from /usr/lib/ocf, IPaddr2 through an `ip netns exec` wrapper. Needs the resource-agents package.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, test } from "node:test";
import type { Executor } from "../../../src/exec/executor.js";
import { createExecutor } from "../../../src/exec/process.js";
import type { AgentSpec } from "../../../src/exec/types.js";
import { Lab, skipReason } from "./netns.js";

const skip = skipReason();
const debianRa = "/usr/lib/ocf/resource.d/heartbeat";
let lab: Lab;
let nsExec: Executor;
const ex = createExecutor({ defaultTimeoutMs: 20_000 });

before(() => {
  if (skip) return;
  assert.ok(
    existsSync(`${debianRa}/IPaddr2`),
    "Debian's resource-agents package is required: apt-get install resource-agents",
  );
  lab = new Lab();
  lab.switched({ h1: "10.67.0.1/24", cl: "10.67.0.100/24" });
  const dir = lab.agentDir("h1", { IPaddr2: `${debianRa}/IPaddr2` });
  nsExec = createExecutor({ ocfProviderDirs: { heartbeat: dir }, defaultTimeoutMs: 20_000 });
});
after(() => lab?.cleanup());

test("ocf:heartbeat:Dummy: monitor 7, start 0, monitor 0, stop 0 (twice), monitor 7, meta-data", {
  skip,
}, async () => {
  const d: AgentSpec = {
    class: "ocf",
    type: "Dummy",
    provider: "heartbeat",
    params: { state: `${lab.tmp}/dummy.state` },
  };
  const rcs: number[] = [];
  for (const op of ["monitor", "start", "start", "monitor", "stop", "stop", "monitor"])
    rcs.push((await ex.exec({ rscId: "dummy1", agent: d, op })).rc);
  assert.deepEqual(rcs, [7, 0, 0, 0, 0, 0, 7]);
  const md = await ex.exec({ rscId: "dummy1", agent: d, op: "meta-data" });
  assert.equal(md.rc, 0);
  assert.match(md.stdoutTail, /<\/resource-agent>/);
});

test("ocf:heartbeat:IPaddr2 in a namespace: start, monitor, stop with the right codes", {
  skip,
}, async () => {
  const agent = (ip: string): AgentSpec => ({
    class: "ocf",
    type: "IPaddr2",
    provider: "heartbeat",
    params: { ip, cidr_netmask: "24" },
  });
  const run = (ip: string, op: string) =>
    nsExec.exec({ rscId: "dvip", agent: agent(ip), op, timeoutMs: 20_000 });
  const addrs = () => lab.run("h1", "ip", "-o", "-4", "addr", "show", "dev", "eth0");
  assert.equal((await run("10.67.0.50", "monitor")).rc, 7);
  const s = await run("10.67.0.50", "start");
  assert.equal(s.rc, 0, s.stderrTail);
  assert.match(addrs(), /inet 10\.67\.0\.50\/24/);
  assert.equal((await run("10.67.0.50", "monitor")).rc, 0);
  assert.equal((await run("10.67.0.50", "start")).rc, 0);
  assert.equal((await run("10.67.0.50", "stop")).rc, 0);
  assert.doesNotMatch(addrs(), /10\.67\.0\.50/);
  assert.equal((await run("10.67.0.50", "monitor")).rc, 7);
  assert.equal((await run("10.67.0.50", "stop")).rc, 0);
  const bad = await run("10.67.0.300", "start");
  assert.equal(bad.rc, 6, `bad ip: rc ${bad.rc} ${bad.reason}`);
  assert.notEqual(bad.reason, "not configured", "Debian's agent gives its own exit reason");
});
