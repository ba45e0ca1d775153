// Goal: `hbctl lvs status` prints ipvsadm -L -n columns plus health and last check, reports a missing status file clearly, and --json passes the status through. Method: a status object rendered by the formatter and a status file read by the command with an injected CliIo.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { TandemError } from "../../../src/base/errors.js";
import { VERSION } from "../../../src/base/version.js";
import {
  defaultStateFile,
  formatLvsStatus,
  LVS_EXIT,
  lvsDegraded,
  runLvsStatus,
} from "../../../src/cli/commands/lvs.js";
import { buildProgram } from "../../../src/cli/program.js";
import type { DirectorStatus } from "../../../src/lvs/director.js";

const now = 1_000_000;
const status: DirectorStatus = {
  pid: 42,
  configFile: "/etc/ha.d/ldirectord.cf",
  backend: "nft",
  phase: "running",
  startedAt: now - 60_000,
  updatedAt: now - 500,
  lastRound: { checks: 3, durationMs: 12, at: now - 500 },
  services: [
    {
      key: "tcp:10.88.0.10:80",
      scheduler: "wrr",
      persistenceSec: 300,
      netmask: "255.255.255.0",
      quorumUp: true,
      reals: [
        {
          key: "10.88.0.131:80",
          method: "masq",
          weight: 3,
          role: "real",
          active: 12,
          inactive: 40,
          health: "up",
          lastCheck: { ok: true, at: now - 800, message: "status 200", durationMs: 3 },
        },
        {
          key: "10.88.0.132:80",
          method: "masq",
          role: "real",
          active: 0,
          inactive: 0,
          health: "down",
          lastCheck: { ok: false, at: now - 1500, message: "connect failed: ECONNREFUSED", durationMs: 1 },
        },
      ],
    },
    {
      key: "tcp:10.88.0.11:443",
      scheduler: "sh",
      quorumUp: false,
      reals: [
        {
          key: "10.88.0.133:443",
          method: "gate",
          weight: 0,
          role: "real",
          active: 1,
          inactive: 0,
          health: "maintenance",
        },
        {
          key: "10.88.0.2:8443",
          method: "gate",
          weight: 1,
          role: "fallback",
          active: 0,
          inactive: 0,
          health: "fallback",
        },
      ],
    },
  ],
};

test("text view: ipvsadm columns, then health and last check", () => {
  const lines = formatLvsStatus(status, now).split("\n");
  assert.equal(
    lines[0],
    "hb-director pid 42, backend nft, running, config /etc/ha.d/ldirectord.cf, status 500 ms ago",
  );
  assert.ok(lines.includes("Prot LocalAddress:Port Scheduler Flags"));
  assert.ok(lines.includes("TCP  10.88.0.10:80 wrr persistent 300 mask 255.255.255.0"));
  assert.ok(
    lines.includes(
      "  -> 10.88.0.131:80               Masq    3      12         40         up          status 200 (3 ms, 800 ms ago)",
    ),
  );
  assert.ok(
    lines.includes(
      "  -> 10.88.0.132:80               Masq    -      0          0          down        connect failed: ECONNREFUSED (1 ms, 1.5 s ago)",
    ),
  );
  assert.ok(lines.includes("TCP  10.88.0.11:443 sh  (no real server up)"));
  assert.ok(
    lines.includes(
      "  -> 10.88.0.133:443              Route   0      1          0          maintenance not checked yet",
    ),
  );
  assert.ok(
    lines.includes("  -> 10.88.0.2:8443               Route   1      0          0          fallback    -"),
  );
});

test("the command reads the status file; --json passes it through (with the common version header); a missing file is exit 3", () => {
  const dir = mkdtempSync(join(tmpdir(), "tdl-lvs-status-"));
  try {
    const file = join(dir, "s.json");
    writeFileSync(file, JSON.stringify(status));
    const out: string[] = [];
    const io = { out: (t: string) => out.push(t), err: () => undefined, exit: () => undefined };
    runLvsStatus({ stateFile: file, config: "x", json: true }, io, now);
    assert.deepEqual(JSON.parse(out[0] ?? ""), { version: 1, tandem: VERSION, ...status });
    runLvsStatus({ stateFile: file, config: "x" }, io, now);
    assert.match(out[1] ?? "", /TCP {2}10\.88\.0\.10:80 wrr/);
    assert.throws(
      () => runLvsStatus({ stateFile: join(dir, "none"), config: "x" }, io, now),
      (e: unknown) => e instanceof TandemError && e.exitCode === 3,
    );
    assert.equal(
      defaultStateFile("/etc/ha.d/ldirectord.cf"),
      "/var/run/ldirectord.ldirectord.cf.status.json",
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("lvs status exit codes: 1 when a virtual service has no real server up or the table update failed", () => {
  const dir = mkdtempSync(join(tmpdir(), "tdl-lvs-exit-"));
  try {
    const run = (s: object): number => {
      const file = join(dir, "s.json");
      writeFileSync(file, JSON.stringify(s));
      let code = 0;
      runLvsStatus(
        { stateFile: file, config: "x" },
        { out: () => undefined, err: () => undefined, exit: (c) => (code = Math.max(code, c)) },
        now,
      );
      return code;
    };
    assert.equal(run(status), LVS_EXIT.degraded, "the fixture has a service with no real server up");
    const healthy = { ...status, services: status.services.map((v) => ({ ...v, quorumUp: true })) };
    assert.equal(run(healthy), LVS_EXIT.ok);
    assert.equal(run({ ...healthy, lastApplyError: "nft: Operation not permitted" }), LVS_EXIT.degraded);
    assert.equal(lvsDegraded(healthy), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("lvs status reads /etc/ha.d/ldirectord.cf's status file by default (absolute, not the working directory)", async () => {
  const help = await buildHelp();
  assert.match(help, /default:\s+"\/etc\/ha\.d\/ldirectord\.cf"/);
  assert.match(help, /Exit status:/);
});

async function buildHelp(): Promise<string> {
  let text = "";
  const program = await buildProgram({
    out: (t) => (text += t),
    err: () => undefined,
    exit: () => undefined,
  });
  program.commands
    .find((c) => c.name() === "lvs")
    ?.commands.find((c) => c.name() === "status")
    ?.outputHelp();
  return text;
}
