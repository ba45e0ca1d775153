// Goal: ldirectord.cf's logfile is read as ldirectord reads it (a quoted path or a syslog facility) and hb-director
// only follows it when the file sets it; the log destination switches between stderr and a file without losing or
// doubling lines.
// Method: parseLdirectordCf on text; a DirectorLogDestination fed pino-shaped JSON lines, its file read back.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parseLdirectordCf } from "../../../src/lvs/config/ldirectord.js";
import { DirectorLogDestination, logTargetKey } from "../../../src/lvs/log-target.js";

const VIRTUAL = "virtual=10.0.0.10:80\n\treal=10.0.0.2:80 masq\n";

test("logfile: set by the file or not, a path or a facility", () => {
  const none = parseLdirectordCf(VIRTUAL, "ld.cf").value.global;
  assert.equal(none.logfileSet, undefined);
  assert.deepEqual(
    none.logfile,
    { kind: "file", path: "/var/log/ldirectord.log" },
    "ldirectord's default, not followed",
  );
  const file = parseLdirectordCf(`logfile="/var/log/ld.log"\n${VIRTUAL}`, "ld.cf").value.global;
  assert.equal(file.logfileSet, true);
  assert.equal(logTargetKey(file.logfile), "file:/var/log/ld.log");
  const fac = parseLdirectordCf(`logfile="local0"\n${VIRTUAL}`, "ld.cf").value.global;
  assert.equal(logTargetKey(fac.logfile), "syslog:local0");
  const bad = parseLdirectordCf(`logfile="nowhere"\n${VIRTUAL}`, "ld.cf");
  assert.match(
    bad.diagnostics.map((d) => d.message).join(),
    /neither an absolute path nor a syslog facility/,
  );
  assert.equal(logTargetKey(undefined), "stderr");
});

test("DirectorLogDestination: stderr, then a file, then stderr again", () => {
  const dir = mkdtempSync(join(tmpdir(), "tandem-ldlog-"));
  try {
    const console: string[] = [];
    const d = new DirectorLogDestination({
      node: "n1",
      pid: 42,
      program: "hb-director",
      fileFormat: "heartbeat",
      stdoutFormat: "heartbeat",
      console: { write: (t) => console.push(t) },
    });
    const rec = (msg: string) => `${JSON.stringify({ level: 30, time: "2026-12-07T05:00:00.000Z", msg })}\n`;
    d.write(rec("one"));
    const path = join(dir, "ld.log");
    assert.equal(d.use({ kind: "file", path }), true);
    assert.equal(d.use({ kind: "file", path }), false, "same target: no switch");
    assert.equal(d.target, `file:${path}`);
    d.write(rec("two"));
    assert.equal(d.use(undefined), true);
    d.write(rec("three"));
    d.close();
    assert.deepEqual(
      console.map((l) => l.replace(/^.* hb-director: \[42\]: /, "").trim()),
      ["info: one", "info: three"],
    );
    assert.match(
      readFileSync(path, "utf8"),
      /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d n1 hb-director: \[42\]: info: two\n$/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
