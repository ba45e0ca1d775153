// Goal: the director's IPVS wrapper counts ActiveConn/InActConn from `ipvsadm -L -n` and on clean-up deletes only the services it applied. Method: a fake ipvsadm shell script that prints fixed listings and records the -R batches it is given.
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { IpvsDirectorBackend } from "../../../src/lvs/backends/ipvs-director.js";

const tmp = mkdtempSync(join(tmpdir(), "tdl-ipvs-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

const LIST = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  10.88.0.10:80 wrr
  -> 10.88.0.131:80               Masq    3      12         40        
  -> 10.88.0.132:80               Masq    0      1          7         
TCP  10.88.0.99:80 wlc
  -> 10.88.0.140:80               Route   1      0          0         
`;
const SAVE = `-A -t 10.88.0.10:80 -s wrr
-a -t 10.88.0.10:80 -r 10.88.0.131:80 -m -w 3
-a -t 10.88.0.10:80 -r 10.88.0.132:80 -m -w 0
-A -t 10.88.0.99:80 -s wlc
-a -t 10.88.0.99:80 -r 10.88.0.140:80 -g -w 1
`;

test("connections from ipvsadm -L -n; clear deletes only owned services", async () => {
  writeFileSync(join(tmp, "list"), LIST);
  writeFileSync(join(tmp, "save"), SAVE);
  const fake = join(tmp, "ipvsadm");
  writeFileSync(
    fake,
    `#!/bin/sh\ncase "$*" in\n"-S -n") cat ${tmp}/save ;;\n"-L -n --thresholds") sed 's/Forward Weight/Uthreshold Lthreshold/; s/Masq    3/0       0/; s/Masq    0/0       0/; s/Route   1/0       0/' ${tmp}/list ;;\n"-L -n") cat ${tmp}/list ;;\n"-R") cat >> ${tmp}/batches ;;\n*) exit 2 ;;\nesac\n`,
  );
  chmodSync(fake, 0o755);
  const b = new IpvsDirectorBackend({ ipvsadm: fake });
  const conns = await b.connections();
  assert.deepEqual(conns.get("tcp:10.88.0.10:80")?.get("10.88.0.131:80"), { active: 12, inactive: 40 });
  assert.deepEqual(conns.get("tcp:10.88.0.10:80")?.get("10.88.0.132:80"), { active: 1, inactive: 7 });
  const table = await b.read();
  const mine = table.services.filter((s) => s.key === "tcp:10.88.0.10:80");
  await b.apply([], { services: mine });
  await b.clear();
  const batches = readFileSync(join(tmp, "batches"), "utf8");
  assert.match(batches, /-D -t 10\.88\.0\.10:80/);
  assert.ok(!batches.includes("10.88.0.99"), "a service this instance never applied is left alone");
});
