#!/usr/bin/env node
// git stores no permission bits but the executable one, so files that must be
// private (authkeys, cluster.yaml with secrets) arrive readable by others after a
// clone. Heartbeat and Tandem refuse such files; this restores mode 600 on the
// shipped examples (run by `npm ci` / `npm install` through the prepare script).
import { chmodSync, existsSync } from "node:fs";

for (const f of ["examples/heartbeat-lvs-dr/authkeys", "examples/yaml/cluster.yaml"]) {
  const p = new URL(`../${f}`, import.meta.url);
  if (existsSync(p)) chmodSync(p, 0o600);
}
