// Goal: the administrative hbctl commands (resource move/ban/clear/cleanup/start/stop, standby/takeover keywords, cib show/apply, node list, status --watch) and the hb_standby / hb_takeover wrappers send the right requests, print text and JSON, and exit with the documented codes.
// Method: a real IpcServer on a temp unix socket whose handler records requests (refusing some with IpcRefusal); the commands run in-process with a captured CliIo; --watch runs with injected fetch, sleep and interrupt.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Command, CommanderError } from "commander";
import { TandemError } from "../../../src/base/errors.js";
import { VERSION } from "../../../src/base/version.js";
import { serializeCib } from "../../../src/cib/serialize.js";
import { registerCib } from "../../../src/cli/commands/cib.js";
import { formatNodeRows, nodeRows, registerNode } from "../../../src/cli/commands/node.js";
import { registerResource } from "../../../src/cli/commands/resource.js";
import { registerStandby } from "../../../src/cli/commands/standby.js";
import { CLEAR_SCREEN, watchStatus } from "../../../src/cli/commands/status.js";
import { registerTakeover, runHeartbeatTool } from "../../../src/cli/commands/takeover.js";
import type { CliIo } from "../../../src/cli/io.js";
import { convertHaresources } from "../../../src/config/to-cib.js";
import { IpcServer } from "../../../src/daemon/ipc-server.js";
import { type CibShowResult, IpcRefusal, type StatusReport } from "../../../src/ipc/protocol.js";

const counters = Object.fromEntries(
  [
    "badAuth",
    "malformed",
    "replays",
    "unknownNode",
    "duplicates",
    "gapPackets",
    "packetsLost",
    "retransmitRequestsSent",
    "retransmitsServed",
    "lateHeartbeats",
    "framesSent",
    "framesReceived",
    "sendErrors",
  ].map((k) => [k, 0]),
);
const REPORT = {
  version: "0.1.0",
  node: "n1",
  cluster: "linux-ha",
  pid: 1,
  uptimeMs: 1000,
  generation: 3,
  commUp: true,
  managedBy: "haresources",
  timing: { keepaliveMs: 100, deadtimeMs: 1000, warntimeMs: 500, initdeadMs: 2000 },
  media: [],
  counters,
  eventLoop: { lagMs: 0, maxLagMs: 0 },
  nodes: [
    { name: "n1", type: "normal", status: "active", local: true, links: [] },
    { name: "n2", type: "normal", status: "dead", local: false, links: [] },
    { name: "10.0.0.254", type: "ping", status: "ping", local: false, links: [] },
  ],
  crm: {
    dc: "n1",
    cibVersion: "0.4.2",
    transitions: 1,
    busy: false,
    nodes: [
      { name: "n1", online: true, standby: false },
      { name: "n2", online: false, standby: true },
    ],
    resources: [],
  },
} as unknown as StatusReport;

const SHOW: CibShowResult = {
  xml: "<cib/>",
  version: "0.4.2",
  adminEpoch: 0,
  epoch: 4,
  numUpdates: 2,
  dc: "n1",
  counts: { nodes: 2, resources: 1, primitives: 1, constraints: 1 },
};

let dir = "";
let sock = "";
let server: IpcServer;
const calls: string[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "tandem-admin-cli-"));
  sock = join(dir, "hbd.sock");
  server = await IpcServer.listen({
    path: sock,
    report: () => REPORT,
    command: (method, params) => {
      const { xml, ...rest } = params;
      calls.push(`${method} ${JSON.stringify(rest)}${xml === undefined ? "" : ` xml=${xml.length}`}`);
      if (method === "cib-show") return SHOW;
      if (params.rsc === "nope") throw new IpcRefusal("no resource nope in the CIB", "refused");
      if (params.which === "foreign" && method === "takeover")
        throw new IpcRefusal("no DC elected yet", "unavailable");
      return { message: `${method} ok` };
    },
  });
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

function capture(): CliIo & { out_: string; err_: string; code: number } {
  const io = {
    out_: "",
    err_: "",
    code: 0,
    out(t: string) {
      io.out_ += t.endsWith("\n") ? t : `${t}\n`;
    },
    err(t: string) {
      io.err_ += t.endsWith("\n") ? t : `${t}\n`;
    },
    exit(c: number) {
      io.code = Math.max(io.code, c);
    },
  };
  return io;
}

async function hbctl(
  ...args: string[]
): Promise<{ out: string; err: string; code: number; calls: string[] }> {
  calls.length = 0;
  const io = capture();
  const program = new Command("hbctl").exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err });
  registerResource(program, io);
  registerStandby(program, io);
  registerTakeover(program, io);
  registerCib(program, io);
  registerNode(program, io);
  try {
    await program.parseAsync([...args, ...(args.includes("--help") ? [] : ["--socket", sock])], {
      from: "user",
    });
  } catch (e) {
    if (e instanceof TandemError) {
      io.err(`hbctl: ${e.message}`);
      io.exit(e.exitCode);
    } else if (e instanceof CommanderError) io.exit(e.exitCode === 0 ? 0 : 2);
    else throw e;
  }
  return { out: io.out_, err: io.err_, code: io.code, calls: [...calls] };
}

test("resource verbs send op, rsc and node; text and JSON answers; a refusal exits 2", async () => {
  const move = await hbctl("resource", "move", "g1", "n2");
  assert.deepEqual(move.calls, ['resource {"op":"move","rsc":"g1","node":"n2"}']);
  assert.equal(move.out, "resource ok\n");
  assert.equal(move.code, 0);
  for (const [verb, node] of [
    ["ban", undefined],
    ["cleanup", "n1"],
    ["clear", undefined],
    ["start", undefined],
    ["stop", undefined],
  ] as const) {
    const r = await hbctl("resource", verb, "g1", ...(node ? [node] : []), "--json");
    assert.deepEqual(r.calls, [
      `resource ${JSON.stringify({ op: verb, rsc: "g1", ...(node ? { node } : {}) })}`,
    ]);
    assert.deepEqual(JSON.parse(r.out), { version: 1, tandem: VERSION, ok: true, message: "resource ok" });
  }
  const extra = await hbctl("resource", "stop", "g1", "n2");
  assert.equal(extra.code, 2, "stop takes no node");
  assert.deepEqual(extra.calls, []);
  const refused = await hbctl("resource", "move", "nope", "n2");
  assert.equal(refused.code, 2);
  assert.match(refused.err, /hbd refused the request: no resource nope in the CIB/);
  const help = await hbctl("resource", "move", "--help");
  assert.match(help.out, /cli-prefer-RSC/);
  assert.match(help.out, /4 permission denied/);
});

test("standby takes a Heartbeat keyword or a node; takeover defaults to all; 'unavailable' exits 3", async () => {
  assert.deepEqual((await hbctl("standby")).calls, ["standby {}"]);
  assert.deepEqual((await hbctl("standby", "n2")).calls, ['standby {"node":"n2"}']);
  assert.deepEqual((await hbctl("standby", "failback")).calls, ['standby {"which":"failback"}']);
  assert.deepEqual((await hbctl("online", "n2")).calls, ['online {"node":"n2"}']);
  assert.deepEqual((await hbctl("takeover")).calls, ['takeover {"which":"all"}']);
  assert.deepEqual((await hbctl("takeover", "local")).calls, ['takeover {"which":"local"}']);
  const bad = await hbctl("takeover", "most");
  assert.equal(bad.code, 2);
  assert.deepEqual(bad.calls, []);
  const noDc = await hbctl("takeover", "foreign");
  assert.equal(noDc.code, 3);
  assert.match(noDc.err, /no DC elected yet/);
});

test("standby, online and takeover without commander send what commander sends and print the same; other forms are left to commander", async () => {
  const { parseFastAdmin, runFastAdmin } = await import("../../../src/cli/fast-admin.js");
  for (const argv of [
    ["standby"],
    ["standby", "n2"],
    ["standby", "failback", "--json"],
    ["standby", "--json", "all"],
    ["online"],
    ["online", "n2", "--timeout", "900"],
    ["takeover"],
    ["takeover", "local", "--json"],
    ["takeover", "foreign"],
  ]) {
    const viaCommander = await hbctl(...argv);
    calls.length = 0;
    const io = capture();
    const fast = parseFastAdmin([...argv, `--socket=${sock}`]);
    assert.ok(fast, argv.join(" "));
    try {
      await runFastAdmin(fast, io);
    } catch (e) {
      if (!(e instanceof TandemError)) throw e;
      io.err(`hbctl: ${e.message}`);
      io.exit(e.exitCode);
    }
    assert.deepEqual(
      { out: io.out_, err: io.err_, code: io.code, calls: [...calls] },
      viaCommander,
      argv.join(" "),
    );
  }
  const opts = parseFastAdmin(["online", "--socket", "/s", "--timeout=250", "--json"])?.opts;
  assert.deepEqual(opts, { socket: "/s", timeout: "250", json: true });
  for (const argv of [
    ["standby", "--help"],
    ["standby", "-h"],
    ["standby", "n1", "n2"],
    ["online", "n1", "--bogus"],
    ["online", "--socket"],
    ["online", "--socket", "--json"],
    ["takeover", "most"],
    ["takeover", "--", "all"],
    ["status"],
    ["resource", "move", "g1"],
    [],
  ])
    assert.equal(parseFastAdmin(argv), undefined, argv.join(" "));
});

test("cib show prints the XML, or versions and counts with --json; cib apply validates first", async () => {
  assert.equal((await hbctl("cib", "show")).out, "<cib/>\n");
  const j = JSON.parse((await hbctl("cib", "show", "--json")).out);
  assert.deepEqual(j, {
    version: 1,
    tandem: VERSION,
    cibVersion: "0.4.2",
    adminEpoch: 0,
    epoch: 4,
    numUpdates: 2,
    dc: "n1",
    counts: SHOW.counts,
  });
  const good = join(dir, "good.xml");
  writeFileSync(good, serializeCib(convertHaresources([], { autoFailback: "on", nodes: ["n1", "n2"] })));
  const ok = await hbctl("cib", "apply", good);
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.calls[0] ?? "", /^cib-apply \{"file":".*good\.xml"\} xml=\d+$/);
  const bad = join(dir, "bad.xml");
  writeFileSync(
    bad,
    '<cib epoch="1" admin_epoch="0" num_updates="0">\n<configuration>\n<crm_config/>\n<nodes/>\n<resources>\n<primitive id="x" class="ocf" type="Dummy"/>\n</resources>\n<constraints/>\n</configuration>\n<status/>\n</cib>\n',
  );
  const refused = await hbctl("cib", "apply", bad);
  assert.equal(refused.code, 1);
  assert.deepEqual(refused.calls, [], "nothing was sent");
  assert.match(refused.err, /bad\.xml:6: error: .*provider/);
  assert.match(refused.err, /nothing changed/);
  const missing = await hbctl("cib", "apply", join(dir, "none.xml"));
  assert.equal(missing.code, 1);
  assert.match(missing.err, /none\.xml: error: file not found/);
});

test("node list combines membership, the CIB's view, standby and the DC mark", async () => {
  const rows = nodeRows(REPORT);
  assert.deepEqual(rows[1], {
    name: "n2",
    type: "normal",
    local: false,
    status: "dead",
    online: false,
    standby: true,
    dc: false,
  });
  assert.equal(rows[2]?.online, undefined, "ping nodes have no CIB state");
  const text = formatNodeRows(rows);
  assert.match(text, /^NODE +TYPE +MEMBERSHIP +CIB +STANDBY +DC$/m);
  assert.match(text, /^n1 \(local\) +normal +active +online +no +DC$/m);
  assert.match(text, /^n2 +normal +dead +offline +yes$/m);
  assert.match(text, /^10\.0\.0\.254 +ping +ping +- +-$/m);
  const j = await hbctl("node", "list", "--json");
  assert.deepEqual(JSON.parse(j.out), { version: 1, tandem: VERSION, nodes: rows });
});

test("status --watch redraws --count times, clears a terminal, separates frames otherwise, and stops on SIGINT", async () => {
  let fetched = 0;
  const base = { json: false, socket: sock, timeout: "1000", watch: true, interval: "0.01" };
  const deps = (tty: boolean, onInterrupt = (_stop: () => void) => () => {}) => ({
    fetch: () => {
      fetched++;
      return Promise.resolve(REPORT);
    },
    tty,
    onInterrupt,
    sleep: () => Promise.resolve(),
    now: () => new Date(0),
  });
  const plain = capture();
  await watchStatus({ ...base, count: "2" } as never, plain, deps(false) as never);
  assert.equal(fetched, 2);
  assert.equal(plain.out_.match(/^-+ 1970-01-01T00:00:00\.000Z \(frame \d\) -+$/gm)?.length, 2);
  assert.ok(!plain.out_.includes(CLEAR_SCREEN));
  const tty = capture();
  await watchStatus({ ...base, count: "3" } as never, tty, deps(true) as never);
  assert.equal(tty.out_.split(CLEAR_SCREEN).length - 1, 3);
  assert.equal(tty.code, 0);
  // SIGINT after the second frame: the loop ends cleanly, exit 0, the handler is removed.
  let unregistered = false;
  let stopFn = () => {};
  const stopped = capture();
  fetched = 0;
  const d = deps(false, (stop) => {
    stopFn = stop;
    return () => {
      unregistered = true;
    };
  });
  await watchStatus({ ...base } as never, stopped, {
    ...d,
    sleep: () => {
      if (fetched >= 2) stopFn();
      return Promise.resolve();
    },
  } as never);
  assert.equal(fetched, 2);
  assert.ok(unregistered);
  assert.equal(stopped.code, 0);
  await assert.rejects(
    watchStatus({ ...base, count: "0" } as never, capture(), deps(false) as never),
    /--count 0/,
  );
});

test("hb_standby / hb_takeover: Heartbeat's argument forms and usage exit 1; hbd's answer otherwise", async () => {
  const run = async (tool: "hb_standby" | "hb_takeover", args: string[], path = sock) => {
    calls.length = 0;
    const io = capture();
    await runHeartbeatTool(tool, args, io, path);
    return { ...io, calls: [...calls] };
  };
  const s = await run("hb_standby", []);
  assert.deepEqual(s.calls, ['standby {"which":"all"}']);
  assert.equal(s.code, 0);
  assert.deepEqual((await run("hb_standby", ["failback", "ignored"])).calls, [
    'standby {"which":"failback"}',
  ]);
  const bad = await run("hb_standby", ["most"]);
  assert.equal(bad.code, 1);
  assert.match(bad.err_, /usage: hb_standby \[all\|foreign\|local\|failback\]/);
  assert.deepEqual((await run("hb_takeover", ["local"])).calls, ['takeover {"which":"local"}']);
  const two = await run("hb_takeover", ["local", "all"]);
  assert.equal(two.code, 1);
  assert.match(two.err_, /too many arguments/);
  const wrong = await run("hb_takeover", ["most"]);
  assert.match(wrong.err_, /wrong resources\(most\)/);
  assert.equal(wrong.code, 1);
  const down = await run("hb_takeover", [], join(dir, "absent.sock"));
  assert.equal(down.code, 3);
  assert.match(down.err_, /hb_takeover: hbd is not running/);
});
