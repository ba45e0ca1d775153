// Goal: hbd's control socket and hbctl status / hbctl cl give cl_status-compatible answers, exit codes and clear refusals.
// Method: a real IpcServer on a temp unix socket with a fixed report; the hbctl commands run in-process with a captured CliIo.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { Command, CommanderError } from "commander";
import { TandemError } from "../../../src/base/errors.js";
import { VERSION } from "../../../src/base/version.js";
import { connectError } from "../../../src/cli/client.js";
import { clAnswer, registerCl } from "../../../src/cli/commands/cl.js";
import { registerStatus } from "../../../src/cli/commands/status.js";
import type { CliIo } from "../../../src/cli/io.js";
import { IpcServer } from "../../../src/daemon/ipc-server.js";
import type { StatusReport } from "../../../src/ipc/protocol.js";

const REPORT: StatusReport = {
  version: "0.1.0",
  node: "a",
  cluster: "linux-ha",
  pid: 42,
  uptimeMs: 5000,
  generation: 7,
  commUp: true,
  managedBy: "haresources",
  timing: { keepaliveMs: 100, deadtimeMs: 1000, warntimeMs: 500, initdeadMs: 2000 },
  nodes: [
    { name: "a", type: "normal", status: "active", local: true, links: [{ name: "eth0", status: "up" }] },
    {
      name: "b",
      type: "normal",
      status: "active",
      local: false,
      lastHeardAgeMs: 40,
      links: [
        { name: "eth0", status: "up", lastHeardAgeMs: 40 },
        { name: "eth1", status: "init" },
      ],
    },
    {
      name: "c",
      type: "normal",
      status: "dead",
      local: false,
      lastHeardAgeMs: 2500,
      links: [{ name: "eth0", status: "dead" }],
    },
    {
      name: "10.0.0.254",
      type: "ping",
      status: "ping",
      local: false,
      links: [{ name: "10.0.0.254", status: "up" }],
    },
  ],
  media: [{ id: "ucast eth0 10.0.0.2", link: "eth0", framesSent: 10, framesReceived: 9, sendErrors: 0 }],
  counters: {
    badAuth: 3,
    malformed: 1,
    replays: 2,
    unknownNode: 0,
    duplicates: 0,
    gapPackets: 0,
    packetsLost: 0,
    retransmitRequestsSent: 0,
    retransmitsServed: 0,
    lateHeartbeats: 0,
    unproven: 0,
    framesSent: 10,
    framesReceived: 9,
    sendErrors: 0,
  },
  eventLoop: { lagMs: 1, maxLagMs: 3 },
};

async function hbctl(args: string[]): Promise<{ out: string; err: string; code: number }> {
  const io = { out: "", err: "", code: 0 };
  const line = (t: string) => (t.endsWith("\n") ? t : `${t}\n`);
  const cli: CliIo = {
    out(t) {
      io.out += line(t);
    },
    err(t) {
      io.err += line(t);
    },
    exit(c) {
      io.code = Math.max(io.code, c);
    },
  };

  const program = new Command("hbctl")
    .exitOverride()
    .configureOutput({ writeOut: cli.out, writeErr: cli.err });
  registerStatus(program, cli);
  registerCl(program, cli);
  try {
    await program.parseAsync(args, { from: "user" });
  } catch (e) {
    if (e instanceof TandemError) {
      cli.err(`hbctl: ${e.message}`);
      cli.exit(e.exitCode);
    } else if (e instanceof CommanderError) cli.exit(e.exitCode === 0 ? 0 : 2);
    else throw e;
  }
  return io;
}

async function withServer(fn: (sock: string) => Promise<void>, gid?: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "tdd-ipc-"));
  const sock = join(dir, "hbd.sock");
  const server = await IpcServer.listen({
    path: sock,
    report: () => REPORT,
    ...(gid === undefined ? {} : { gid }),
  });
  try {
    await fn(sock);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test("the socket is 0600 by default and 0660 with the configured group; close removes it", async () => {
  let path = "";
  await withServer(async (sock) => {
    path = sock;
    assert.equal(statSync(sock).mode & 0o777, 0o600);
  });
  assert.equal(statSync(path, { throwIfNoEntry: false }), undefined);
  await withServer(async (sock) => {
    const st = statSync(sock);
    assert.equal(st.mode & 0o777, 0o660);
    assert.equal(st.gid, 0);
  }, 0);
});

test("hbctl status prints nodes, link ages and drop counters; --json gives the report", async () => {
  await withServer(async (sock) => {
    const r = await hbctl(["status", "--socket", sock]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^Node a: active, generation 7/);
    assert.match(r.out, /^b +normal +active +40 ms ago +eth0 up \(40 ms ago\), eth1 init$/m);
    assert.match(r.out, /^c +normal +dead +2\.5 s ago +eth0 dead$/m);
    assert.match(r.out, /^10\.0\.0\.254 +ping +ping/m);
    assert.match(r.out, /Dropped: bad auth 3, replays 2, malformed 1, unknown node 0/);
    const j = await hbctl(["status", "--json", "--socket", sock]);
    const { version: hbdVersion, ...rest } = REPORT;
    assert.deepEqual(JSON.parse(j.out), { version: 1, tandem: VERSION, hbdVersion, ...rest });
  });
});

test("hbctl cl answers as cl_status, with its exit codes", async () => {
  await withServer(async (sock) => {
    const cases: [string[], string, number][] = [
      [["listnodes"], "a\nb\nc\n10.0.0.254\n", 0],
      [["listnodes", "-p"], "10.0.0.254\n", 0],
      [["listnodes", "-n"], "a\nb\nc\n", 0],
      [["nodestatus", "b"], "active\n", 0],
      [["nodestatus", "B"], "active\n", 0],
      [["nodestatus", "c"], "dead\n", 1],
      [["nodestatus", "10.0.0.254"], "ping\n", 0],
      [["nodestatus", "-m", "b"], "The cluster node b is active\n", 0],
      [["listhblinks", "b"], "\teth0\n\teth1\n", 0],
      [["hblinkstatus", "b", "eth0"], "up\n", 0],
      [["hblinkstatus", "b", "eth1"], "dead\n", 1],
      [["hbstatus"], "Heartbeat is running on this machine.\n", 0],
      [["nodestatus", "--json", "c"], '{"node":"c","status":"dead"}\n', 1],
    ];
    for (const [args, out, code] of cases) {
      const r = await hbctl(["cl", ...args, "--socket", sock]);
      assert.equal(r.out, out, args.join(" "));
      assert.equal(r.code, code, args.join(" "));
    }
    const unknown = await hbctl(["cl", "nodestatus", "zed", "--socket", sock]);
    assert.deepEqual(
      [unknown.out, unknown.err, unknown.code],
      ["", "Error. May be due to incorrect node name\n", 11],
    );
    const badLink = await hbctl(["cl", "hblinkstatus", "b", "eth9", "--socket", sock]);
    assert.equal(badLink.code, 11);
    const v = await hbctl(["cl", "hbstatus", "-v", "--socket", sock]);
    assert.match(v.out, /^managed by:\t"haresources"$/m);
    assert.match(v.out, /^b\tactive\t\(nodetype: normal\)\n\teth0\tup\n\teth1\tdead$/m);
  });
});

test("without hbd: status says so and exits 3; cl exits 1; cl hbstatus says stopped", async () => {
  const sock = join(tmpdir(), `tdd-none-${process.pid}.sock`);
  const s = await hbctl(["status", "--socket", sock]);
  assert.equal(s.code, 3);
  assert.equal(s.err, `hbctl: hbd is not running (no socket at ${sock})\n`);
  const n = await hbctl(["cl", "nodestatus", "b", "--socket", sock]);
  assert.equal(n.code, 1);
  assert.match(n.err, /hbd is not running/);
  const h = await hbctl(["cl", "hbstatus", "--socket", sock]);
  assert.deepEqual([h.out, h.code], ["Heartbeat is stopped on this machine.\n", 1]);
});

test("a daemon that does not answer: timeout, exit 3 for status and 12 for cl", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tdd-ipc-"));
  const sock = join(dir, "hbd.sock");
  const mute = createServer(() => {});
  await new Promise<void>((r) => mute.listen(sock, r));
  try {
    const s = await hbctl(["status", "--socket", sock, "--timeout", "100"]);
    assert.equal(s.code, 3);
    assert.match(s.err, /did not answer .* within 100 ms/);
    const c = await hbctl(["cl", "nodestatus", "b", "--socket", sock, "--timeout", "100"]);
    assert.equal(c.code, 12);
  } finally {
    mute.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a permission refusal names the socket and the fix", () => {
  const e = connectError("/run/tandem/hbd.sock", Object.assign(new Error("x"), { code: "EACCES" }));
  assert.equal(e.reason, "permission");
  assert.equal(e.exitCode, 4);
  assert.match(e.message, /permission denied on hbd's control socket \/run\/tandem\/hbd\.sock/);
  assert.match(e.message, /--group/);
  assert.equal(
    connectError("/x", Object.assign(new Error("x"), { code: "ECONNREFUSED" })).reason,
    "not-running",
  );
});

test("cl answers are a pure function of the report", () => {
  assert.deepEqual(clAnswer(REPORT, { sub: "listhblinks", node: "a" }, { m: true }).out, [
    "\tthis node has the following heartbeat links:",
    "\teth0",
  ]);
  assert.deepEqual(clAnswer(REPORT, { sub: "hblinkstatus", node: "b", link: "eth0" }, { m: true }).out, [
    "The node b's heartbeat link eth0 is up",
  ]);
});

test("cl rscstatus: Heartbeat's answer in haresources mode, a failure in crm mode", () => {
  const legacy = {
    mode: "heartbeat-peer" as const,
    rscstatus: "foreign" as const,
    state: "stable",
    standby: "not",
    held: ["IPaddr::10.0.0.1"],
  };
  const hr = { ...REPORT, managedBy: "haresources", legacy };
  assert.deepEqual(clAnswer(hr, { sub: "rscstatus" }, {}).out, ["foreign"]);
  assert.deepEqual(clAnswer(hr, { sub: "rscstatus" }, { m: true }).out, [
    "This node is holding foreign resources.",
  ]);
  const crm = clAnswer({ ...REPORT, managedBy: "pacemaker" }, { sub: "rscstatus" }, {});
  assert.equal(crm.code, 1);
  assert.match(crm.err.join(""), /crm on/);
});
