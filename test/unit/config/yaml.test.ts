// Goal: cluster.yaml maps onto the same model as ha.cf and every error carries its line.
// Method: parse small documents and assert the rendered diagnostics exactly, and compare the
// example cluster.yaml with the example /etc/ha.d directory through the same model.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { formatDiagnostic } from "../../../src/base/diag.js";
import { loadHaD } from "../../../src/config/load.js";
import { parseClusterYaml, parseYamlTime } from "../../../src/config/yaml.js";
import { repoRoot } from "../../helpers.js";

const F = "cluster.yaml";
const GOOD = `cluster: c
nodes: [a, b]
timing:
  keepalive: 200ms
  deadtime: 1s
  initdead: 10
media:
  - { type: ucast, iface: eth0, peer: 10.0.0.2 }
  - { type: serial, device: /dev/ttyS0 }
auth:
  active: 1
  keys:
    - { index: 1, method: sha256, secret: s3cret }
`;

function diags(text: string, mode?: number): string[] {
  return parseClusterYaml(text, F, mode === undefined ? {} : { mode }).diagnostics.map(formatDiagnostic);
}

test("yaml time: numbers are seconds; s, ms and us suffixes", () => {
  assert.equal(parseYamlTime(2), 2000);
  assert.equal(parseYamlTime(0.25), 250);
  assert.equal(parseYamlTime("1.5s"), 1500);
  assert.equal(parseYamlTime("200ms"), 200);
  assert.equal(parseYamlTime("2000us"), 2);
  assert.equal(parseYamlTime("2x"), undefined);
  assert.equal(parseYamlTime(-1), undefined);
});

test("a good document is clean and typed", () => {
  const r = parseClusterYaml(GOOD, F, { mode: 0o600 });
  assert.deepEqual(r.diagnostics.map(formatDiagnostic), []);
  const c = r.value!;
  assert.deepEqual(c.timing, {
    keepaliveMs: 200,
    deadtimeMs: 1000,
    warntimeMs: 500,
    initdeadMs: 10000,
    deadpingMs: 1000,
  });
  assert.deepEqual(c.media[0], {
    kind: "ucast",
    iface: "eth0",
    peer: "10.0.0.2",
    port: 694,
    at: { file: F, line: 8 },
  });
  assert.deepEqual(c.media[1], {
    kind: "serial",
    device: "/dev/ttyS0",
    baud: 19200,
    at: { file: F, line: 9 },
  });
  assert.equal(c.auth.keys[0]?.method, "sha256");
  assert.equal(c.autoFailback, "on");
});

const rows: { name: string; text: string; mode?: number; out: string[] }[] = [
  {
    name: "syntax error with its line",
    text: "nodes: [a, b\nauth: 1\n",
    out: [
      `${F}:2: error: YAML syntax: Flow sequence in block collection must be sufficiently indented and end with a ]`,
    ],
  },
  {
    name: "unknown key at its line",
    text: GOOD + "keeplive: 1\n",
    out: [`${F}:14: error: keeplive: unknown setting "keeplive"`],
  },
  {
    name: "unknown nested key",
    text: GOOD.replace("  initdead: 10", "  initdead: 10\n  dedtime: 3"),
    out: [`${F}:7: error: timing.dedtime: unknown setting "dedtime"`],
  },
  {
    name: "bad time at its line",
    text: GOOD.replace("keepalive: 200ms", "keepalive: soon"),
    out: [
      `${F}:4: error: timing.keepalive: invalid time "soon": expected a positive duration such as 2, "1.5s", "500ms" or "800us"`,
    ],
  },
  {
    name: "bad address in a medium",
    text: GOOD.replace("peer: 10.0.0.2", "peer: 10.0.0.300"),
    out: [`${F}:8: error: media[0].peer: expected an IPv4 address`],
  },
  {
    name: "unknown medium type",
    text: GOOD.replace("type: serial, device: /dev/ttyS0", "type: tcp, device: /dev/ttyS0"),
    out: [
      `${F}:9: error: media[1].type: unknown medium type: expected one of ucast, ucast6, bcast, mcast, serial`,
    ],
  },
  {
    name: "missing nodes",
    text: GOOD.replace("nodes: [a, b]\n", ""),
    out: [`${F}: error: nodes: missing (expected array)`],
  },
  {
    name: "mcast ttl out of range",
    text: GOOD.replace(
      "{ type: serial, device: /dev/ttyS0 }",
      "{ type: mcast, iface: eth0, group: 225.0.0.1, port: 694, ttl: 9 }",
    ),
    out: [`${F}:9: error: media[1].ttl: must be at most 4`],
  },
  {
    name: "cross-field rule shared with ha.cf",
    text: GOOD.replace("deadtime: 1s", "deadtime: 300ms"),
    out: [`${F}:5: error: deadtime (300 ms) must be more than twice keepalive (200 ms)`],
  },
  {
    name: "secret with a space",
    text: GOOD.replace("secret: s3cret", 'secret: "s3 cret"'),
    out: [
      `${F}:13: error: auth.keys[0]: the secret contains whitespace; Heartbeat peers would cut it at the first space and disagree, so remove the space`,
    ],
  },
  {
    name: "active key undefined",
    text: GOOD.replace("active: 1", "active: 2"),
    out: [`${F}:11: error: auth.active: key 2 is not defined under auth.keys`],
  },
  {
    name: "resource group on an unknown node, and a bad IP form",
    text: GOOD + "resources:\n  - node: c\n    resources:\n      - IPaddr2::10.0.0.5/40\n",
    out: [
      `${F}:15: error: resources[0].node: "c" is not a configured node (a, b)`,
      `${F}:17: error: IPaddr2 argument "10.0.0.5/40": netmask "40" is out of range: the number of bits must be 1 to 32`,
    ],
  },
  {
    name: "readable by others",
    text: GOOD,
    mode: 0o644,
    out: [
      `${F}: error: file mode 0644 lets group or others read the authentication secrets; run "chmod 600 ${F}"`,
    ],
  },
];

for (const r of rows) {
  test(`yaml: ${r.name}`, () => assert.deepEqual(diags(r.text, r.mode), r.out));
}

test("the YAML example describes the same cluster as the /etc/ha.d example", () => {
  const dir = join(repoRoot, "examples");
  const y = parseClusterYaml(readFileSync(join(dir, "yaml/cluster.yaml"), "utf8"), "cluster.yaml").value!;
  const read = (f: string) => ({
    path: f,
    text: readFileSync(join(dir, "heartbeat-lvs-dr", f), "utf8"),
    mode: 0o600,
  });
  const h = loadHaD({ hacf: read("ha.cf"), authkeys: read("authkeys"), haresources: read("haresources") })
    .config!;
  assert.ok(h, "the ha.d example loads");
  const strip = (o: unknown): unknown =>
    JSON.parse(JSON.stringify(o, (k, v) => (k === "at" ? undefined : v)));
  assert.deepEqual(y.nodes, h.nodes);
  assert.deepEqual(y.timing, h.timing);
  assert.deepEqual(strip(y.media), strip(h.media));
  assert.deepEqual(strip(y.pingNodes), strip(h.pingNodes));
  assert.deepEqual(strip(y.groups), strip(h.groups));
  assert.equal(y.autoFailback, h.autoFailback);
  assert.equal(y.clusterName, h.clusterName);
});
