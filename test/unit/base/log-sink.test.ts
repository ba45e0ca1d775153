// Goal: hbd's logs keep Heartbeat's ha-log shape in logfile/debugfile and syslog (time, node,
// "heartbeat: [pid]: info|WARN|ERROR|debug:" message), JSON stays available, and the files are
// reopened after logrotate moves them.
// Method: a pino logger over LogSink writing real files in a temp dir; syslog through the real
// `logger` (util-linux) to a python3 AF_UNIX datagram listener standing in for /dev/log.
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { pino } from "pino";
import { heartbeatLevel, heartbeatLine, parsePinoLine } from "../../../src/base/log-format.js";
import { LogSink, type LogSinkOptions } from "../../../src/base/log-sink.js";
import { repoRoot } from "../../helpers.js";

const dir = mkdtempSync(join(tmpdir(), "tandem-log-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const LINE = /^[A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d n1 heartbeat: \[\d+\]: (debug|info|WARN|ERROR|CRIT): /;

function logger(o: Partial<LogSinkOptions>) {
  const sink = new LogSink({ node: "n1", pid: 4242, fileFormat: "heartbeat", stdoutFormat: "json", ...o });
  const log = pino({ base: { node: "n1" }, timestamp: pino.stdTimeFunctions.isoTime, level: "debug" }, sink);
  return { sink, log };
}

test("the ha-log line: local syslog time, node, heartbeat: [pid]:, Heartbeat's level words", () => {
  const r = { level: 30, msg: "Link n2:eth0 up.", time: new Date(2026, 11, 7, 2, 3, 4) };
  assert.equal(heartbeatLine(r, "n1", 1234), "Dec 07 02:03:04 n1 heartbeat: [1234]: info: Link n2:eth0 up.");
  assert.deepEqual([20, 30, 40, 50, 60].map(heartbeatLevel), ["debug", "info", "WARN", "ERROR", "CRIT"]);
  assert.equal(parsePinoLine("not json"), undefined);
  assert.equal(
    heartbeatLine({ ...r, msg: "two\nlines" }, "n1", 1),
    "Dec 07 02:03:04 n1 heartbeat: [1]: info: two lines",
  );
});

test("logfile gets info and above, debugfile everything, both as ha-log lines; reopen after a move", () => {
  const logfile = join(dir, "ha-log");
  const debugfile = join(dir, "sub", "ha-debug");
  const { sink, log } = logger({ logfile, debugfile });
  log.debug({ event: "x" }, "a debug line");
  log.info({ event: "node-status" }, "Status update for node n2: status active");
  log.warn("Late heartbeat: Node n2: interval 3000 ms");
  log.error("cannot open a medium");
  const main = readFileSync(logfile, "utf8").trimEnd().split("\n");
  assert.equal(main.length, 3, main.join("\n"));
  for (const l of main) assert.match(l, LINE);
  assert.match(main[0] ?? "", /heartbeat: \[4242\]: info: Status update for node n2: status active$/);
  assert.match(main[1] ?? "", /: WARN: Late heartbeat/);
  assert.match(main[2] ?? "", /: ERROR: cannot open a medium$/);
  const debug = readFileSync(debugfile, "utf8").trimEnd().split("\n");
  assert.equal(debug.length, 4);
  assert.match(debug[0] ?? "", /: debug: a debug line$/);

  renameSync(logfile, `${logfile}.1`); // logrotate without copytruncate
  log.info("still to the moved file");
  sink.reopen();
  log.info("after reopen");
  assert.match(readFileSync(`${logfile}.1`, "utf8"), /still to the moved file\n$/);
  assert.match(readFileSync(logfile, "utf8"), /^.* info: after reopen\n$/);
  sink.close();
});

test("--log-format json keeps pino's records in the files", () => {
  const logfile = join(dir, "json-log");
  const { sink, log } = logger({ logfile, fileFormat: "json" });
  log.info({ event: "started", pid: 1 }, "hbd running");
  const rec = JSON.parse(readFileSync(logfile, "utf8").trim()) as Record<string, unknown>;
  assert.equal(rec.event, "started");
  assert.equal(rec.msg, "hbd running");
  sink.close();
});

const LISTENER = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("listening", flush=True)
for _ in range(1000):
    print(s.recv(65536).decode(errors="replace"), flush=True)
`;

test("logfacility: the same lines to syslog with the facility's priorities", {
  skip: existsSync("/usr/bin/python3") ? undefined : "needs /usr/bin/python3 for the fake /dev/log",
}, async () => {
  const sock = join(dir, "devlog");
  let heard = "";
  const listener: ChildProcess = spawn("/usr/bin/python3", ["-c", LISTENER, sock], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  listener.stdout?.on("data", (b: Buffer) => {
    heard += b.toString();
  });
  const until = async (cond: () => boolean) => {
    for (let i = 0; i < 100 && !cond(); i++) await new Promise((r) => setTimeout(r, 100));
    return cond();
  };
  try {
    assert.ok(await until(() => heard.includes("listening")), "listener did not start");
    const { sink, log } = logger({ facility: "local0", syslogSocket: sock });
    log.info("Link n2:eth0 up.");
    log.warn("Late heartbeat");
    assert.ok(await until(() => heard.includes("Late heartbeat")), `syslog got: ${heard}`);
    // local0 = 16: info 16*8+6 = 134, warning 16*8+4 = 132
    assert.match(heard, /<134>.*heartbeat: \[4242\]: info: Link n2:eth0 up\./);
    assert.match(heard, /<132>.*heartbeat: \[4242\]: WARN: Late heartbeat/);
    sink.close();
  } finally {
    if (listener.pid !== undefined && listener.exitCode === null) process.kill(listener.pid, "SIGKILL");
  }
});

test("hb-director logs through the same sink: ha-log lines with --log-format heartbeat, JSON records by default", () => {
  const js = join(repoRoot, "dist", "src", "lvs", "main.js");
  // a file that exists (a missing one is refused before the logger starts) but does not parse: "cannot start"
  const bad = join(dir, "bad.cf");
  writeFileSync(bad, "no such directive here\n");
  const args = [js, "-c", bad, "--backend", "nft"];
  const hb = spawnSync(process.execPath, [...args, "--log-format", "heartbeat"], {
    encoding: "utf8",
    timeout: 20_000,
  });
  assert.equal(hb.status, 2, hb.stderr);
  assert.match(
    hb.stderr,
    /^[A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d \S+ hb-director: \[\d+\]: ERROR: cannot start$/m,
  );
  const json = spawnSync(process.execPath, args, { encoding: "utf8", timeout: 20_000 });
  const rec = JSON.parse(json.stderr.split("\n").find((l) => l.startsWith("{")) ?? "{}") as Record<
    string,
    unknown
  >;
  assert.equal(rec.msg, "cannot start");
  assert.equal(rec.level, 50);
});
