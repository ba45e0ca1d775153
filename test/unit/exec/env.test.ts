// Goal: each agent class gets the argv, environment and search path it expects. Method: build invocations from requests and compare.
import assert from "node:assert/strict";
import { test } from "node:test";
import { buildInvocation, candidatePaths, defaultExecConfig, validAgentName } from "../../../src/exec/env.js";

const cfg = { ...defaultExecConfig, resourceDirs: ["/etc/ha.d/resource.d", "/opt/tandem/resource.d"] };

test("OCF: OCF_ROOT, instance, type, provider, RESKEY params and CRM_meta values", () => {
  const inv = buildInvocation(
    {
      rscId: "vip",
      agent: {
        class: "ocf",
        type: "IPaddr2",
        provider: "heartbeat",
        params: { ip: "10.0.0.5", "cidr-netmask": "24" },
      },
      op: "monitor",
      intervalMs: 10_000,
      timeoutMs: 5_000,
      node: "n1",
      meta: { "target-role": "Started" },
    },
    cfg,
  );
  assert.deepEqual(inv.args, ["monitor"]);
  assert.equal(inv.timeoutMs, 5_000);
  const e = inv.env;
  assert.equal(e["OCF_ROOT"], "/usr/lib/ocf");
  assert.equal(e["OCF_RESOURCE_INSTANCE"], "vip");
  assert.equal(e["OCF_RESOURCE_TYPE"], "IPaddr2");
  assert.equal(e["OCF_RESOURCE_PROVIDER"], "heartbeat");
  assert.equal(e["OCF_RA_VERSION_MAJOR"], "1");
  assert.equal(e["OCF_CHECK_LEVEL"], "0");
  assert.equal(e["OCF_RESKEY_ip"], "10.0.0.5");
  assert.equal(e["OCF_RESKEY_cidr_netmask"], "24");
  assert.equal(e["OCF_RESKEY_CRM_meta_timeout"], "5000");
  assert.equal(e["OCF_RESKEY_CRM_meta_interval"], "10000");
  assert.equal(e["OCF_RESKEY_CRM_meta_name"], "monitor");
  assert.equal(e["OCF_RESKEY_CRM_meta_on_node"], "n1");
  assert.equal(e["OCF_RESKEY_CRM_meta_target_role"], "Started");
  assert.equal(e["HA_RSCTMP"], "/run/resource-agents");
  assert.equal(e["PATH"], defaultExecConfig.baseEnv["PATH"]);
});

test("LSB: status instead of monitor, no parameters", () => {
  const inv = buildInvocation(
    { rscId: "x", agent: { class: "lsb", type: "apache2", params: { a: "b" } }, op: "monitor" },
    cfg,
  );
  assert.deepEqual(inv.args, ["status"]);
  assert.equal(inv.env["OCF_RESKEY_a"], undefined);
  assert.equal(inv.timeoutMs, defaultExecConfig.defaultTimeoutMs);
});

test("Heartbeat: script args... action, HA_* variables", () => {
  const inv = buildInvocation(
    {
      rscId: "g1",
      agent: { class: "heartbeat", type: "IPaddr2", args: ["10.0.0.5/24/eth0"] },
      op: "monitor",
    },
    cfg,
  );
  assert.deepEqual(inv.args, ["10.0.0.5/24/eth0", "status"]);
  assert.equal(inv.env["HA_D"], "/etc/ha.d");
  assert.equal(inv.env["HA_LOGFACILITY"], "daemon");
  assert.equal(inv.env["OCF_ROOT"], undefined);
});

test("search order: OCF provider dir (overridable), init dir, resource.d dirs then init dir", () => {
  assert.deepEqual(candidatePaths({ class: "ocf", type: "Dummy" }, cfg), [
    "/usr/lib/ocf/resource.d/heartbeat/Dummy",
  ]);
  assert.deepEqual(
    candidatePaths(
      { class: "ocf", type: "Dummy", provider: "tandem" },
      { ...cfg, ocfProviderDirs: { tandem: "/x" } },
    ),
    ["/x/Dummy"],
  );
  assert.deepEqual(candidatePaths({ class: "lsb", type: "ssh" }, cfg), ["/etc/init.d/ssh"]);
  assert.deepEqual(candidatePaths({ class: "heartbeat", type: "MailTo" }, cfg), [
    "/etc/ha.d/resource.d/MailTo",
    "/opt/tandem/resource.d/MailTo",
    "/etc/init.d/MailTo",
  ]);
});

test("agent names are single path components", () => {
  for (const ok of ["IPaddr2", "apache2", "drbddisk", "ldirectord", "x.sh"])
    assert.equal(validAgentName(ok), true, ok);
  for (const bad of ["", "../x", "a/b", ".hidden", "a b"]) assert.equal(validAgentName(bad), false, bad);
});
