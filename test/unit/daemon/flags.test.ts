// Goal: hbd's fast command-line parse gives exactly commander's flags for the usual forms, and leaves everything else (help, errors) to commander.
// Method: the same argv through parseFastFlags and commander (valid forms only: commander exits on errors).
import assert from "node:assert/strict";
import { test } from "node:test";
import { commanderFlags, parseFastFlags } from "../../../src/daemon/flags.js";

const VALID: string[][] = [
  [],
  ["--check"],
  ["--config-dir", "/tmp/x/etc", "--state-dir", "/tmp/x/state", "--run-dir", "/tmp/x/run", "--node", "n1"],
  ["--config-dir=/etc/ha.d", "--node=N1", "--group", "tandem", "--log-format", "json"],
  ["--config", "/etc/tandem/cluster.yaml", "--check", "--log-format=heartbeat"],
  ["--heartbeat-cib", "/var/lib/heartbeat/crm/cib.xml", "--pingd-attribute", "pingd_2"],
  ["--node", "a", "--node", "b"],
  ["--node", "a=b"],
];

test("flags: the usual forms parse as commander parses them", async () => {
  for (const argv of VALID) {
    const fast = parseFastFlags(argv);
    assert.ok(fast, argv.join(" "));
    assert.deepEqual({ ...fast }, { ...(await commanderFlags(argv)) }, argv.join(" "));
  }
});

test("flags: help, version, unknown options, bad or missing values and arguments are left to commander", () => {
  for (const argv of [
    ["--help"],
    ["-h"],
    ["--version"],
    ["-V"],
    ["--bogus"],
    ["--node"],
    ["--node", "--check"],
    ["--node="],
    ["--log-format", "xml"],
    ["--pingd-attribute", "1bad"],
    ["extra"],
    ["--check=yes"],
    ["--", "--check"],
  ])
    assert.equal(parseFastFlags(argv), undefined, argv.join(" "));
});
