// Goal: standby/online requests carry their node through the protocol to the daemon's handler and back, refusals are reported, and hbctl status prints the resource manager's view crm_mon style.
// Method: a real IpcServer on a temp unix socket with a recording command handler; requestStandby as hbctl sends it; formatCrm on a fixed report.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { requestStandby } from "../../../src/cli/commands/standby.js";
import { formatCrm } from "../../../src/cli/commands/status.js";
import { IpcServer } from "../../../src/daemon/ipc-server.js";
import { parseRequest, type StatusReport } from "../../../src/ipc/protocol.js";

test("requests validate their params", () => {
  const ok = parseRequest('{"v":1,"id":1,"method":"standby","params":{"node":"n2"}}');
  assert.deepEqual(ok.ok && ok.value.params, { node: "n2" });
  const plain = parseRequest('{"v":1,"id":1,"method":"online"}');
  assert.equal(plain.ok && plain.value.params, undefined);
  for (const bad of [
    '{"v":1,"id":1,"method":"standby","params":{"node":3}}',
    '{"v":1,"id":1,"method":"standby","params":[]}',
  ])
    assert.equal(parseRequest(bad).ok, false, bad);
});

test("standby and online reach the daemon's handler with their node; errors come back as refusals", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tandem-crm-ipc-"));
  const calls: string[] = [];
  const server = await IpcServer.listen({
    path: join(dir, "hbd.sock"),
    report: () => ({}) as StatusReport,
    command: (method, params) => {
      if (params.node === "n9") throw new Error("n9 is not a cluster node");
      calls.push(`${method} ${params.node ?? "(local)"}`);
      return { message: `${method} done` };
    },
  });
  const bare = await IpcServer.listen({ path: join(dir, "bare.sock"), report: () => ({}) as StatusReport });
  try {
    assert.deepEqual(await requestStandby("standby", "n2", server.path, 2000), { message: "standby done" });
    assert.deepEqual(await requestStandby("online", undefined, server.path, 2000), {
      message: "online done",
    });
    assert.deepEqual(calls, ["standby n2", "online (local)"]);
    await assert.rejects(
      requestStandby("standby", "n9", server.path, 2000),
      /hbd refused the request: n9 is not a cluster node/,
    );
    await assert.rejects(requestStandby("standby", "n1", bare.path, 2000), /resource manager is not running/);
  } finally {
    await server.close();
    await bare.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the status text names the DC, node states and where each resource runs", () => {
  const text = formatCrm({
    dc: "n2",
    cibVersion: "0.3.12",
    transitions: 4,
    busy: false,
    nodes: [
      { name: "n1", online: true, standby: true },
      { name: "n2", online: true, standby: false },
      { name: "n3", online: false, standby: false },
    ],
    resources: [
      { id: "vip", group: "g", agent: "ocf:heartbeat:IPaddr2", running: ["n2"], failed: [] },
      { id: "web", group: "g", agent: "lsb:nginx", running: [], failed: ["n1"] },
      { id: "mail", agent: "ocf:heartbeat:MailTo", running: [], failed: [] },
    ],
  }).join("\n");
  assert.match(text, /^Current DC: n2; CIB 0\.3\.12; 4 transition\(s\) run here$/m);
  assert.match(text, /^Online: \[ n2 \]$/m);
  assert.match(text, /^Standby: \[ n1 \]$/m);
  assert.match(text, /^OFFLINE: \[ n3 \]$/m);
  assert.match(
    text,
    /^ {2}Resource Group: g:\n {4}\* vip \(ocf:heartbeat:IPaddr2\): Started n2\n {4}\* web \(lsb:nginx\): FAILED \(failed on n1\)$/m,
  );
  assert.match(text, /^ {2}\* mail \(ocf:heartbeat:MailTo\): Stopped$/m);
});
