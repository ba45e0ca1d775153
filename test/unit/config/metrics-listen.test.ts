// Goal: the listen address of hbd's metrics and status page (ha.cf `metrics_listen`, cluster.yaml
// `metrics_listen`, hb-director --metrics-listen) is off by default, a bare port binds loopback only,
// and anything else (a host name, a bad port, junk) is a configuration error with its line.
// Method: parse the value alone, then whole ha.cf and cluster.yaml documents with it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatDiagnostic } from "../../../src/base/diag.js";
import { parseHaCf } from "../../../src/config/hacf.js";
import { formatListenAddress, parseListenAddress } from "../../../src/config/values.js";
import { parseClusterYaml } from "../../../src/config/yaml.js";

test("listen addresses: bare port is loopback; IPv4 and bracketed IPv6; the rest refused", () => {
  assert.deepEqual(parseListenAddress("9664"), { host: "127.0.0.1", port: 9664 });
  assert.deepEqual(parseListenAddress("10.0.0.1:9664"), { host: "10.0.0.1", port: 9664 });
  assert.deepEqual(parseListenAddress("0.0.0.0:80"), { host: "0.0.0.0", port: 80 });
  assert.deepEqual(parseListenAddress("[::1]:9664"), { host: "::1", port: 9664 });
  assert.deepEqual(parseListenAddress("[::]:9664"), { host: "::", port: 9664 });
  for (const bad of [
    "",
    "0",
    "65536",
    "09664",
    "localhost:9664",
    "10.0.0.256:1",
    "::1:9664",
    "[::1]",
    "10.0.0.1:",
    "10.0.0.1:x",
    " 9664",
  ])
    assert.equal(parseListenAddress(bad), undefined, bad);
  assert.equal(formatListenAddress({ host: "::1", port: 1 }), "[::1]:1");
  assert.equal(formatListenAddress({ host: "127.0.0.1", port: 1 }), "127.0.0.1:1");
});

const HACF =
  "keepalive 1\ndeadtime 10\nucast eth0 10.0.0.2\nucast eth1 10.1.0.2\nauto_failback on\nnode alpha beta\n";

test("ha.cf metrics_listen: absent by default, parsed, a bad value is an error with its line", () => {
  assert.equal(parseHaCf(HACF, "ha.cf").value.metricsListen, undefined);
  const ok = parseHaCf(`${HACF}metrics_listen 192.0.2.1:9664\n`, "ha.cf");
  assert.deepEqual(
    ok.diagnostics.filter((d) => d.severity !== "info"),
    [],
  );
  assert.deepEqual(ok.value.metricsListen, { host: "192.0.2.1", port: 9664 });
  const bad = parseHaCf(`${HACF}metrics_listen localhost:9664\n`, "ha.cf");
  assert.deepEqual(bad.diagnostics.filter((d) => d.severity === "error").map(formatDiagnostic), [
    'ha.cf:7: error: metrics_listen: invalid value "localhost:9664": expected PORT (on 127.0.0.1), IPV4:PORT or [IPV6]:PORT, PORT 1..65535',
  ]);
});

const YAML = `cluster: c
nodes: [a, b]
media:
  - { type: ucast, iface: eth0, peer: 10.0.0.2 }
auth:
  active: 1
  keys:
    - { index: 1, method: sha256, secret: s3cret }
`;

test("cluster.yaml metrics_listen: a number or a string; a bad one names its line", () => {
  assert.equal(parseClusterYaml(YAML, "c.yaml", { mode: 0o600 }).value?.metricsListen, undefined);
  assert.deepEqual(
    parseClusterYaml(`${YAML}metrics_listen: 9664\n`, "c.yaml", { mode: 0o600 }).value?.metricsListen,
    {
      host: "127.0.0.1",
      port: 9664,
    },
  );
  assert.deepEqual(
    parseClusterYaml(`${YAML}metrics_listen: "[::1]:9100"\n`, "c.yaml", { mode: 0o600 }).value?.metricsListen,
    { host: "::1", port: 9100 },
  );
  const bad = parseClusterYaml(`${YAML}metrics_listen: "nowhere:1"\n`, "c.yaml", { mode: 0o600 });
  const errors = bad.diagnostics.filter((d) => d.severity === "error").map(formatDiagnostic);
  assert.equal(errors.length, 1, errors.join("\n"));
  assert.match(errors[0] ?? "", /^c\.yaml:9: error: .*expected PORT \(on 127\.0\.0\.1\)/);
});
