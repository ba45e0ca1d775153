// Goal: the IPVS backend's pure part renders complete ipvsadm commands (every option, since -E/-e
// reset what is omitted) and reads `ipvsadm -S -n` / `-L -n [--thresholds]` back into tables.
// Method: exact command text per change kind; parse the ipvsadm 1.31 layouts; round trips.
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatDiagnostic } from "../../../src/base/diag.js";
import {
  IPVS_CAPABILITIES,
  mergeIpvsThresholds,
  parseIpvsadmList,
  parseIpvsadmSave,
  renderIpvsadmBatch,
  renderIpvsadmCommands,
} from "../../../src/lvs/backends/ipvs.js";
import { IpvsBackend } from "../../../src/lvs/backends/ipvs-adapter.js";
import type { Table, TableChange, TableReal, TableServiceSpec } from "../../../src/lvs/model.js";
import { reconcile } from "../../../src/lvs/reconcile.js";

const tcp: TableServiceSpec = {
  key: "tcp:10.0.0.1:80",
  protocol: "tcp",
  family: 4,
  address: "10.0.0.1",
  port: 80,
  scheduler: "wrr",
  ops: false,
};
const persist: TableServiceSpec = {
  ...tcp,
  key: "tcp:10.0.0.1:443",
  port: 443,
  scheduler: "sh",
  persistenceSec: 300,
  netmask: "255.255.255.0",
  schedFlags: "sh-port",
};
const udp: TableServiceSpec = {
  key: "udp:10.0.0.1:53",
  protocol: "udp",
  family: 4,
  address: "10.0.0.1",
  port: 53,
  scheduler: "rr",
  ops: true,
};
const fwm6: TableServiceSpec = {
  key: "fwm6:7",
  protocol: "fwm",
  family: 6,
  port: 0,
  fwmark: 7,
  scheduler: "wrr",
  ops: false,
};
const v6: TableServiceSpec = {
  key: "tcp:[2001:db8::1]:80",
  protocol: "tcp",
  family: 6,
  address: "2001:db8::1",
  port: 80,
  scheduler: "wlc",
  ops: false,
};
const r = (
  address: string,
  port: number,
  method: TableReal["method"],
  weight: number,
  x = 0,
  y = 0,
): TableReal => ({
  key: address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`,
  address,
  port,
  method,
  weight,
  upperThreshold: x,
  lowerThreshold: y,
  role: "real",
});

test("every change kind renders with all its options", () => {
  const changes: TableChange[] = [
    { op: "add-service", service: tcp },
    { op: "add-service", service: persist },
    { op: "add-service", service: udp },
    { op: "add-service", service: fwm6 },
    { op: "add-service", service: v6 },
    { op: "edit-service", service: tcp, previous: persist },
    { op: "edit-service", service: persist, previous: tcp },
    { op: "add-real", service: tcp, real: r("10.0.0.11", 80, "masq", 3) },
    { op: "add-real", service: persist, real: r("10.0.0.12", 443, "gate", 1, 100, 10) },
    { op: "add-real", service: fwm6, real: r("2001:db8::2", 0, "ipip", 2) },
    {
      op: "edit-real",
      service: tcp,
      real: r("10.0.0.11", 80, "masq", 0, 50, 5),
      previous: r("10.0.0.11", 80, "masq", 3, 50, 5),
    },
    { op: "delete-real", service: v6, real: r("2001:db8::2", 80, "gate", 1) },
    { op: "delete-service", service: udp },
    { op: "delete-service", service: fwm6 },
  ];
  assert.deepEqual(renderIpvsadmCommands(changes), [
    "-A -t 10.0.0.1:80 -s wrr",
    "-A -t 10.0.0.1:443 -s sh -p 300 -M 255.255.255.0 -b sh-port",
    "-A -u 10.0.0.1:53 -s rr -o",
    "-A -f 7 -6 -s wrr",
    "-A -t [2001:db8::1]:80 -s wlc",
    // -E without -p switches persistence off, as wanted
    "-E -t 10.0.0.1:80 -s wrr",
    "-E -t 10.0.0.1:443 -s sh -p 300 -M 255.255.255.0 -b sh-port",
    "-a -t 10.0.0.1:80 -x 0 -y 0 -r 10.0.0.11:80 -m -w 3",
    "-a -t 10.0.0.1:443 -x 100 -y 10 -r 10.0.0.12:443 -g -w 1",
    "-a -f 7 -6 -x 0 -y 0 -r [2001:db8::2]:0 -i -w 2",
    // a quiesce keeps the thresholds (ldirectord's -e without -x/-y resets them to 0)
    "-e -t 10.0.0.1:80 -x 50 -y 5 -r 10.0.0.11:80 -m -w 0",
    "-d -t [2001:db8::1]:80 -r [2001:db8::2]:80",
    "-D -u 10.0.0.1:53",
    "-D -f 7 -6",
  ]);
  assert.equal(renderIpvsadmBatch([]), "");
  assert.equal(
    renderIpvsadmBatch(changes.slice(0, 2)),
    "-A -t 10.0.0.1:80 -s wrr\n-A -t 10.0.0.1:443 -s sh -p 300 -M 255.255.255.0 -b sh-port\n",
  );
});

// ipvsadm 1.31 `-S -n` layout (shared/reference/lvs.md section 3.3)
const SAVE = `-A -t 10.88.0.10:80 -s wrr
-a -t 10.88.0.10:80 -r 10.88.0.131:80 -m -w 3
-A -t 10.88.0.11:443 -s wlc -p 300 -M 255.255.255.0
-a -t 10.88.0.11:443 -r 10.88.0.133:443 -g -w 1
-A -f 7 -s sh -b sh-port
-a -f 7 -r 10.88.0.131:0 -i -w 1 --tun-type ipip
-A -u [2001:DB8::1]:53 -s rr -o
-a -u [2001:db8::1]:53 -r [2001:db8::2]:53 -m -w 0
`;

test("ipvsadm -S -n parses into a table", () => {
  const p = parseIpvsadmSave(SAVE);
  assert.deepEqual(p.diagnostics, []);
  const rows = p.value.services.flatMap((s) => [
    `${s.key} ${s.scheduler} p=${s.persistenceSec ?? "-"} M=${s.netmask ?? "-"} b=${s.schedFlags ?? "-"} o=${s.ops}`,
    ...s.reals.map((x) => `  ${x.key} ${x.method} ${x.weight} ${x.role}`),
  ]);
  assert.deepEqual(rows, [
    "tcp:10.88.0.10:80 wrr p=- M=- b=- o=false",
    "  10.88.0.131:80 masq 3 unknown",
    "tcp:10.88.0.11:443 wlc p=300 M=255.255.255.0 b=- o=false",
    "  10.88.0.133:443 gate 1 unknown",
    "fwm:7 sh p=- M=- b=sh-port o=false",
    "  10.88.0.131:0 ipip 1 unknown",
    "udp:[2001:db8::1]:53 rr p=- M=- b=- o=true",
    "  [2001:db8::2]:53 masq 0 unknown",
  ]);
  assert.deepEqual(
    parseIpvsadmSave(
      "-A -t 10.0.0.1:80 -s wrr\n-Z\n-a -t 10.0.0.9:80 -r 10.0.0.2:80 -g -w 1\n",
    ).diagnostics.map(formatDiagnostic),
    [
      'ipvsadm -S -n:2: warning: cannot parse ipvsadm line "-Z"',
      'ipvsadm -S -n:3: warning: cannot parse ipvsadm line "-a -t 10.0.0.9:80 -r 10.0.0.2:80 -g -w 1"',
    ],
  );
});

test("round trip: a table rendered as a batch reads back equal, and reconciles to nothing", () => {
  const table: Table = {
    services: [
      { ...tcp, reals: [r("10.0.0.11", 80, "masq", 3), r("10.0.0.12", 80, "masq", 0)] },
      { ...persist, reals: [r("10.0.0.13", 443, "gate", 1)] },
      { ...udp, reals: [] },
      { ...fwm6, reals: [r("2001:db8::2", 0, "ipip", 2)] },
    ],
  };
  const batch = renderIpvsadmBatch(reconcile(table, { services: [] }));
  const back = parseIpvsadmSave(batch.replaceAll(/ -x \d+ -y \d+/g, "")).value;
  assert.deepEqual(reconcile(table, back), []);
});

test("ipvsadm -L -n and --thresholds rows; thresholds merge into a -S table", () => {
  const list = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  10.88.0.10:80 wrr
  -> 10.88.0.131:80               Masq    3      12         40        
  -> 10.88.0.132:80               Masq    0      0          3         
FWM  7 sh (sh-port)
  -> 10.88.0.131:0                Tunnel  1      0          0         
`;
  assert.deepEqual(parseIpvsadmList(list), [
    { service: "tcp:10.88.0.10:80", real: "10.88.0.131:80", forward: "Masq", numbers: [3, 12, 40] },
    { service: "tcp:10.88.0.10:80", real: "10.88.0.132:80", forward: "Masq", numbers: [0, 0, 3] },
    { service: "fwm:7", real: "10.88.0.131:0", forward: "Tunnel", numbers: [1, 0, 0] },
  ]);
  const thresholds = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn
TCP  10.88.0.10:80 wrr
  -> 10.88.0.131:80               100        10         0          0         
`;
  const merged = mergeIpvsThresholds(parseIpvsadmSave(SAVE).value, thresholds);
  const real = merged.services[0]?.reals[0];
  assert.deepEqual([real?.upperThreshold, real?.lowerThreshold], [100, 10]);
  assert.deepEqual([merged.services[1]?.reals[0]?.upperThreshold], [0]);
});

test("the adapter constructs with IPVS capabilities and an empty change list runs nothing", async () => {
  const seen: string[] = [];
  const b = new IpvsBackend({ ipvsadm: "/nonexistent/ipvsadm", onBatch: (x) => seen.push(x) });
  assert.equal(b.capabilities, IPVS_CAPABILITIES);
  assert.deepEqual(IPVS_CAPABILITIES.methods, ["gate", "masq", "ipip"]);
  await b.apply([], { services: [] });
  assert.deepEqual(seen, []);
});
