// Goal: ha.cf's `alert` lines (Tandem's extension for haresources setups) are read with clear errors, and become
// the CIB <alerts> section that hbd's alert runner and real Pacemaker (crm_verify) both accept.
// Method: parseHaCf on text; convertHaresources + serializeCib; the CIB read back by alertsFromCib; crm_verify
// from Debian's pacemaker-cli-utils on the written CIB.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parseCib } from "../../../src/cib/parse.js";
import { serializeCib } from "../../../src/cib/serialize.js";
import { parseAlertLine } from "../../../src/config/alert-spec.js";
import { parseHaCf } from "../../../src/config/hacf.js";
import { convertHaresources } from "../../../src/config/to-cib.js";
import { alertsFromCib } from "../../../src/daemon/alerts.js";

const HACF = `keepalive 1
deadtime 10
ucast eth0 10.0.0.2
node n1 n2
alert /usr/share/pacemaker/alerts/alert_file.sh.sample /var/log/cluster-alerts.log timestamp-format=%F_%T
alert /usr/share/pacemaker/alerts/alert_snmp.sh.sample 192.0.2.10 select=nodes,fencing,dc trap_node_states=all timeout=10s
`;

test("ha.cf alert lines: recipient, meta and instance attributes, select", () => {
  const r = parseHaCf(HACF, "/etc/ha.d/ha.cf");
  assert.deepEqual(
    r.diagnostics.filter((d) => d.code.includes("alert") || d.severity === "error"),
    [],
  );
  assert.deepEqual(
    r.value.alerts?.map((a) => ({ ...a, at: a.at?.line })),
    [
      {
        path: "/usr/share/pacemaker/alerts/alert_file.sh.sample",
        recipient: "/var/log/cluster-alerts.log",
        timestampFormat: "%F_%T",
        attributes: {},
        at: 5,
      },
      {
        path: "/usr/share/pacemaker/alerts/alert_snmp.sh.sample",
        recipient: "192.0.2.10",
        select: ["nodes", "fencing", "dc"],
        timeout: "10s",
        attributes: { trap_node_states: "all" },
        at: 6,
      },
    ],
  );
});

test("ha.cf alert lines: errors name the problem; with crm on the lines are not used (warning)", () => {
  const cases: [string, RegExp][] = [
    ["alert", /alert: missing value/],
    ["alert alert.sh", /must be an absolute path/],
    ["alert /a.sh one two", /one recipient per line \("one", then "two"\)/],
    ["alert /a.sh timeout=soon", /timeout "soon" is not a duration/],
    [
      "alert /a.sh select=nodes,attributes",
      /select "nodes,attributes": a comma-separated list of nodes, fencing, resources, dc/,
    ],
    ["alert /a.sh my-var=1", /"my-var" is not a valid attribute name/],
  ];
  for (const [line, re] of cases) {
    const r = parseHaCf(`node n1 n2\nucast eth0 10.0.0.2\n${line}\n`, "ha.cf");
    const errors = r.diagnostics.filter((d) => d.severity === "error");
    assert.equal(errors.length, 1, line);
    assert.equal(errors[0]?.line, 3);
    assert.match(errors[0]?.message ?? "", re, line);
  }
  const crm = parseHaCf(`node n1 n2\nucast eth0 10.0.0.2\ncrm on\nalert /a.sh\n`, "ha.cf");
  assert.deepEqual(
    crm.diagnostics.filter((d) => d.code.includes("alert")).map((d) => [d.severity, d.line, d.code]),
    [["warning", 4, "hacf.alert-crm"]],
  );
  assert.equal(typeof parseAlertLine("/x.sh r a=1"), "object");
});

test("converted CIB: <alerts> that hbd reads back and crm_verify accepts", () => {
  const hacf = parseHaCf(HACF, "ha.cf").value;
  const cib = convertHaresources([], { autoFailback: "on", nodes: ["n1", "n2"], alerts: hacf.alerts ?? [] });
  const xml = serializeCib(cib);
  const back = parseCib(xml).value;
  assert.ok(back);
  const { alerts, problems } = alertsFromCib(back);
  assert.deepEqual(problems, []);
  assert.deepEqual(
    alerts.map((a) => [
      a.id,
      [...a.kinds].sort(),
      a.attributes && [...a.attributes],
      a.recipients.map((r) => [r.value, r.timeoutMs, r.timestampFormat, r.env]),
    ]),
    [
      [
        "alert-1",
        ["fencing", "node", "resource"],
        undefined,
        [["/var/log/cluster-alerts.log", 30_000, "%F_%T", {}]],
      ],
      [
        "alert-2",
        ["attribute", "fencing", "node"],
        ["#is_dc"],
        [["192.0.2.10", 10_000, "%H:%M:%S.%06N", { trap_node_states: "all" }]],
      ],
    ],
  );
  const dir = mkdtempSync(join(tmpdir(), "tandem-alert-cib-"));
  try {
    writeFileSync(join(dir, "cib.xml"), xml);
    // throws (non-zero exit) if Pacemaker's schema refuses the section
    execFileSync(
      existsSync("/usr/sbin/crm_verify") ? "/usr/sbin/crm_verify" : "crm_verify",
      ["-x", join(dir, "cib.xml")],
      { stdio: "pipe" },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("cluster.yaml alerts: the same specs as ha.cf lines; a relative path or bad select is an error with its line", async () => {
  const { parseClusterYaml } = await import("../../../src/config/yaml.js");
  const base = `cluster: c
nodes: [a, b]
media:
  - { type: ucast, iface: eth0, peer: 10.0.0.2 }
auth:
  active: 1
  keys:
    - { index: 1, method: sha256, secret: s3cret }
`;
  const good = parseClusterYaml(
    `${base}alerts:
  - path: /usr/share/pacemaker/alerts/alert_file.sh.sample
    recipient: /var/log/cluster-alerts.log
    timestamp_format: "%F %T"
  - path: /usr/share/pacemaker/alerts/alert_snmp.sh.sample
    recipient: 192.0.2.10
    select: [nodes, fencing, dc]
    timeout: 10s
    attributes: { trap_node_states: all }
`,
    "cluster.yaml",
    { mode: 0o600 },
  );
  assert.deepEqual(
    good.diagnostics.filter((d) => d.severity === "error"),
    [],
  );
  assert.deepEqual(good.value?.alerts, [
    {
      path: "/usr/share/pacemaker/alerts/alert_file.sh.sample",
      attributes: {},
      recipient: "/var/log/cluster-alerts.log",
      timestampFormat: "%F %T",
    },
    {
      path: "/usr/share/pacemaker/alerts/alert_snmp.sh.sample",
      attributes: { trap_node_states: "all" },
      recipient: "192.0.2.10",
      timeout: "10s",
      select: ["nodes", "fencing", "dc"],
    },
  ]);
  const bad = parseClusterYaml(
    `${base}alerts:\n  - path: alert.sh\n    select: [attributes]\n`,
    "cluster.yaml",
    {
      mode: 0o600,
    },
  );
  const errors = bad.diagnostics.filter((d) => d.severity === "error");
  assert.equal(errors.length, 2, JSON.stringify(errors));
  assert.match(errors.map((d) => `${d.line}: ${d.message}`).join("\n"), /10: .*absolute path/);
  const crm = parseClusterYaml(`${base}crm: true\nalerts:\n  - path: /a.sh\n`, "cluster.yaml", {
    mode: 0o600,
  });
  assert.deepEqual(
    crm.diagnostics.filter((d) => d.code === "yaml.alert-crm").map((d) => [d.severity, d.line]),
    [["warning", 11]],
  );
});
