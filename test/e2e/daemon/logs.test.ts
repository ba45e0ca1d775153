// Goal: a running hbd with ha.cf logfile/debugfile writes Heartbeat's ha-log lines (what existing
// greps expect) and reopens its files on SIGHUP, as logrotate without copytruncate needs.
// Method: one hbd in a namespace lab; its files are read back, the logfile is moved, SIGHUP sent,
// then SIGTERM's shutdown lines must land in the new file.
import assert from "node:assert/strict";
import { existsSync, readFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { DaemonLab, skipReason } from "./lab.js";

const AUTHKEYS = "auth 1\n1 sha1 e2e-secret\n";
const LINE = /^[A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d n1 heartbeat: \[\d+\]: (debug|info|WARN|ERROR|CRIT): /;

test("hbd writes ha-log lines to logfile and debugfile and reopens them on SIGHUP", {
  skip: skipReason(),
}, async () => {
  const lab = new DaemonLab();
  try {
    const logfile = join(lab.tmp, "log", "ha-log");
    const debugfile = join(lab.tmp, "log", "ha-debug");
    const hacf = `udpport 694\nucast eth0 10.250.0.2\nkeepalive 100ms\ndeadtime 1\nwarntime 500ms\ninitdead 2\nnode n1\nnode n2\ncrm off\nlogfile ${logfile}\ndebugfile ${debugfile}\n`;
    lab.pair("a", "b");
    const d1 = lab.configure("n1", hacf, AUTHKEYS);
    lab.startHbd("a", "n1", d1);
    const running = await lab.waitFor(
      () => existsSync(logfile) && / info: hbd \S+ running as n1$/m.test(readFileSync(logfile, "utf8")),
      20_000,
      200,
    );
    assert.ok(
      running,
      `no "running" line in ${logfile}:\n${existsSync(logfile) ? readFileSync(logfile, "utf8") : lab.log("n1")}`,
    );
    const lines = readFileSync(logfile, "utf8").trimEnd().split("\n");
    for (const l of lines) assert.match(l, LINE);
    assert.ok(readFileSync(debugfile, "utf8").split("\n").length >= lines.length);
    assert.equal(lab.log("n1").includes('"level"'), false, "no JSON on stdout when logfile is set");

    renameSync(logfile, `${logfile}.1`);
    lab.kill("n1", "SIGHUP");
    await new Promise((r) => setTimeout(r, 500));
    lab.kill("n1", "SIGTERM");
    assert.equal(await lab.exited("n1", 20_000), 0, lab.log("n1"));
    const fresh = readFileSync(logfile, "utf8");
    assert.match(fresh, / info: SIGTERM: shutting down$/m, `new logfile after SIGHUP:\n${fresh}`);
    assert.match(fresh, / info: hbd stopped$/m);
    assert.equal(readFileSync(`${logfile}.1`, "utf8").includes("shutting down"), false);
  } finally {
    lab.cleanup();
  }
});
