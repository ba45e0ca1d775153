// Goal: desiredTable() turns config + health into the right table (quiescent, fallback, quorum,
// checktype on/off, ports, persistence) and validateForBackend() rejects what a backend cannot do.
// Method: small configs, hand-set health, assert the table rows and exact diagnostics.
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatDiagnostic } from "../../../src/base/diag.js";
import { IPVS_CAPABILITIES } from "../../../src/lvs/backends/ipvs.js";
import { parseLdirectordCf } from "../../../src/lvs/config/ldirectord.js";
import { desiredTable, serviceSpec, validateForBackend } from "../../../src/lvs/desired.js";
import { initialHealth } from "../../../src/lvs/health.js";
import type { BackendCapabilities, DirectorConfig, HealthState, Table } from "../../../src/lvs/model.js";

const BASE =
  "virtual=10.0.0.1:80\n\treal=10.0.0.11:80 masq 3\n\treal=10.0.0.12:80 masq 1\n\tfallback=10.0.0.2:8080 masq\n";

function config(text: string): DirectorConfig {
  const r = parseLdirectordCf(text, "t.cf");
  assert.deepEqual(r.diagnostics.filter((d) => d.severity === "error").map(formatDiagnostic), []);
  return r.value;
}
/** Health with the listed reals ("ip:port") up. */
function health(c: DirectorConfig, upReals: string[]): HealthState {
  return initialHealth(c, { trusted: (_s, r) => upReals.includes(r) });
}
function rows(t: Table): string[] {
  return t.services.flatMap((s) => [
    `${s.key} ${s.scheduler}${s.persistenceSec ? ` p${s.persistenceSec}` : ""}${s.netmask ? ` M${s.netmask}` : ""}`,
    ...s.reals.map((r) => `  ${r.key} ${r.method} w${r.weight} ${r.role}`),
  ]);
}

test("quiescent=no: down reals leave; the fallback comes in only when none is up", () => {
  const c = config(BASE);
  const cases: [string[], string[]][] = [
    [
      ["10.0.0.11:80", "10.0.0.12:80"],
      ["tcp:10.0.0.1:80 wrr", "  10.0.0.11:80 masq w3 real", "  10.0.0.12:80 masq w1 real"],
    ],
    [["10.0.0.12:80"], ["tcp:10.0.0.1:80 wrr", "  10.0.0.12:80 masq w1 real"]],
    [[], ["tcp:10.0.0.1:80 wrr", "  10.0.0.2:8080 masq w1 fallback"]],
  ];
  for (const [ups, want] of cases) assert.deepEqual(rows(desiredTable(c, health(c, ups))), want, ups.join());
});

test("quiescent=yes and inhibit_on_failure keep down reals at weight 0", () => {
  for (const flag of ["\tquiescent=yes\n", "\tinhibit_on_failure=yes\n"]) {
    const c = config(BASE + flag);
    assert.deepEqual(rows(desiredTable(c, health(c, ["10.0.0.12:80"]))), [
      "tcp:10.0.0.1:80 wrr",
      "  10.0.0.11:80 masq w0 real",
      "  10.0.0.12:80 masq w1 real",
    ]);
    assert.deepEqual(rows(desiredTable(c, health(c, []))), [
      "tcp:10.0.0.1:80 wrr",
      "  10.0.0.2:8080 masq w1 fallback",
      "  10.0.0.11:80 masq w0 real",
      "  10.0.0.12:80 masq w0 real",
    ]);
  }
});

test("no fallback configured: an empty pool when nothing is up", () => {
  const c = config("virtual=10.0.0.1:80\n\treal=10.0.0.11:80 gate\n");
  assert.deepEqual(rows(desiredTable(c, health(c, []))), ["tcp:10.0.0.1:80 wrr"]);
});

test("quorum lost: up reals leave too and the fallback serves", () => {
  const c = config(`${BASE}\tquorum=4\n`);
  assert.deepEqual(rows(desiredTable(c, health(c, ["10.0.0.11:80"]))), [
    "tcp:10.0.0.1:80 wrr",
    "  10.0.0.2:8080 masq w1 fallback",
  ]);
  assert.deepEqual(rows(desiredTable(c, health(c, ["10.0.0.11:80", "10.0.0.12:80"]))), [
    "tcp:10.0.0.1:80 wrr",
    "  10.0.0.11:80 masq w3 real",
    "  10.0.0.12:80 masq w1 real",
  ]);
});

test("checktype on: reals always in; off: neither reals nor fallback", () => {
  const on = config(`${BASE}\tchecktype=on\n`);
  assert.deepEqual(rows(desiredTable(on, { virtuals: new Map() })), [
    "tcp:10.0.0.1:80 wrr",
    "  10.0.0.11:80 masq w3 real",
    "  10.0.0.12:80 masq w1 real",
  ]);
  const off = config(`${BASE}\tchecktype=off\n`);
  assert.deepEqual(rows(desiredTable(off, health(off, ["10.0.0.11:80"]))), ["tcp:10.0.0.1:80 wrr"]);
});

test("ports: gate/ipip and port-less reals use the virtual's port; masq maps; fwmark keeps 0", () => {
  const c = config(
    "virtual=10.0.0.1:80\n\treal=10.0.0.11:8080 gate\n\treal=10.0.0.12:8080 masq\n\treal=10.0.0.13 masq\n\treal=10.0.0.14:81 ipip\n" +
      "virtual=7\n\treal=10.0.0.11 gate\n",
  );
  const t = desiredTable(
    c,
    health(c, ["10.0.0.11:8080", "10.0.0.12:8080", "10.0.0.13:0", "10.0.0.14:81", "10.0.0.11:0"]),
  );
  assert.deepEqual(rows(t), [
    "tcp:10.0.0.1:80 wrr",
    "  10.0.0.11:80 gate w1 real",
    "  10.0.0.12:8080 masq w1 real",
    "  10.0.0.13:80 masq w1 real",
    "  10.0.0.14:80 ipip w1 real",
    "fwm:7 wrr",
    "  10.0.0.11:0 gate w1 real",
  ]);
});

test("service spec: persistence with netmask (host mask dropped), flags, ops only for udp", () => {
  const c = config(
    "virtual=10.0.0.1:443\n\tpersistent=300\n\tnetmask=255.255.255.0\n\tscheduler=sh\n\tschedflags=sh-port\n" +
      "virtual=10.0.0.1:80\n\tpersistent=60\n\tnetmask=255.255.255.255\n" +
      "virtual=10.0.0.1:53\n\tops=yes\n\tscheduler=rr\n" +
      "virtual6=[2001:db8::1]:80\n\tpersistent=60\n\tnetmask=128\n",
  );
  assert.deepEqual(c.virtuals.map(serviceSpec), [
    {
      key: "tcp:10.0.0.1:443",
      protocol: "tcp",
      family: 4,
      address: "10.0.0.1",
      port: 443,
      scheduler: "sh",
      persistenceSec: 300,
      netmask: "255.255.255.0",
      schedFlags: "sh-port",
      ops: false,
    },
    {
      key: "tcp:10.0.0.1:80",
      protocol: "tcp",
      family: 4,
      address: "10.0.0.1",
      port: 80,
      scheduler: "wrr",
      persistenceSec: 60,
      ops: false,
    },
    {
      key: "udp:10.0.0.1:53",
      protocol: "udp",
      family: 4,
      address: "10.0.0.1",
      port: 53,
      scheduler: "rr",
      ops: true,
    },
    {
      key: "tcp:[2001:db8::1]:80",
      protocol: "tcp",
      family: 6,
      address: "2001:db8::1",
      port: 80,
      scheduler: "wrr",
      persistenceSec: 60,
      ops: false,
    },
  ]);
});

test("validateForBackend: what the backend cannot do is a config error at the line", () => {
  const nftLike: BackendCapabilities = {
    name: "nft",
    schedulers: ["rr", "wrr", "sh"],
    methods: ["masq", "gate"],
    protocols: ["tcp", "udp"],
    persistence: true,
    thresholds: false,
    ipv6: false,
    schedFlags: [],
    ops: false,
  };
  const c = config(
    "virtual=10.0.0.1:80\n\tscheduler=wlc\n\treal=10.0.0.11:80 ipip\n\treal=10.0.0.12:80 masq 1 u:10\n" +
      "virtual=7\n\tschedflags=sh-port\n\tfallback=10.0.0.2 ipip\n" +
      "virtual6=[2001:db8::1]:80\n" +
      "virtual=10.0.0.1:53\n\tops=yes\n",
  );
  assert.deepEqual(validateForBackend(c, nftLike).map(formatDiagnostic), [
    't.cf:1: error: virtual service tcp:10.0.0.1:80: scheduler "wlc" is not supported by the nft backend (supported: rr, wrr, sh)',
    "t.cf:3: error: real server 10.0.0.11: forwarding method ipip is not supported by the nft backend (supported: masq, gate)",
    "t.cf:4: error: real server 10.0.0.12: connection thresholds (l:/u:) are not supported by the nft backend",
    "t.cf:5: error: virtual service fwm:7: protocol fwm is not supported by the nft backend",
    't.cf:5: error: virtual service fwm:7: schedflags "sh-port" is not supported by the nft backend',
    "t.cf:7: error: fallback server 10.0.0.2: forwarding method ipip is not supported by the nft backend (supported: masq, gate)",
    "t.cf:8: error: virtual service tcp:[2001:db8::1]:80: IPv6 is not supported by the nft backend",
    "t.cf:9: error: virtual service udp:10.0.0.1:53: ops is not supported by the nft backend",
  ]);
  assert.deepEqual(validateForBackend(c, IPVS_CAPABILITIES), []);
  assert.deepEqual(
    validateForBackend(config("virtual=10.0.0.1:80\n\tscheduler=magic\n"), IPVS_CAPABILITIES).map(
      formatDiagnostic,
    ),
    [
      't.cf:1: error: virtual service tcp:10.0.0.1:80: scheduler "magic" is not supported by the ipvs backend (supported: rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, fo, ovf, mh, twos)',
    ],
  );
});
