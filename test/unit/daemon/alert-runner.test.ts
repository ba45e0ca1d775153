// Goal: hbd's alert runner runs Pacemaker's own sample agents unmodified (alert_file.sh.sample writes the records
// Pacemaker's would; alert_smtp.sh.sample hands sendmail the mail), never makes its caller wait, kills an agent
// that outlives its timeout (with its children), and logs every failure with the agent's output.
// Method: real child processes: the samples Debian's pacemaker-common installs in /usr/share/pacemaker/alerts
// (CI installs it), small shell agents in a temporary directory, and a `sendmail` on PATH that stores the mail
// it is given (a stand-in for the MTA only; the agent itself is Pacemaker's).
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { AlertRunner } from "../../../src/daemon/alert-runner.js";
import type { ActionResult } from "../../../src/exec/types.js";
import { cibWithAlerts } from "./alert-fixtures.js";

const SAMPLES = "/usr/share/pacemaker/alerts";
const tmp = mkdtempSync(join(tmpdir(), "tandem-alerts-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

interface Line {
  level: string;
  msg: string;
}
function recorder(): { lines: Line[]; log: ConstructorParameters<typeof AlertRunner>[0]["log"] } {
  const lines: Line[] = [];
  const at = (level: string) => (_o: object, msg: string) => lines.push({ level, msg });
  return { lines, log: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") } };
}

function agent(name: string, body: string): string {
  const p = join(tmp, name);
  writeFileSync(p, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return p;
}

async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const start: ActionResult = {
  rscId: "vip",
  op: "start",
  intervalMs: 0,
  rc: 0,
  rcName: "ok",
  status: "done",
  exitCode: 0,
  signal: null,
  durationMs: 30,
  stdoutTail: "",
  stderrTail: "",
  reason: "",
};

test("Pacemaker's alert_file.sh.sample, unmodified, records node, resource, fencing and DC events", async () => {
  const sample = join(SAMPLES, "alert_file.sh.sample");
  assert.ok(existsSync(sample), `${sample} is missing: install Debian's pacemaker-common`);
  const out = join(tmp, "file-alerts.log");
  const cib = cibWithAlerts(`<alert id="file" path="${sample}">
  <meta_attributes id="m"><nvpair id="m1" name="timestamp-format" value="%Y-%m-%d %H:%M:%S"/></meta_attributes>
  <select><select_nodes/><select_fencing/><select_resources/><select_attributes/></select>
  <recipient id="r" value="${out}"/></alert>`);
  const { lines, log } = recorder();
  const runner = new AlertRunner({ log });
  const inputs = [
    { kind: "node", node: "n2", state: "lost" },
    { kind: "fencing", target: "n2", action: "reboot", executioner: "n1", ok: true, reason: "" },
    { kind: "dc", node: "n1" },
    { kind: "op", node: "n1", result: start },
    { kind: "op", node: "n1", result: { ...start, op: "monitor", intervalMs: 10_000, rc: 7 } },
  ] as const;
  for (const i of inputs) {
    assert.equal(
      runner.handle(i, () => cib),
      1,
    );
    await runner.drain(5000); // one at a time: the sample appends, order checked below
  }
  const text = readFileSync(out, "utf8");
  const body = text.replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d: /gm, "");
  assert.equal(
    body,
    [
      "Node 'n2' is now 'lost'",
      "Fencing Operation reboot of n2 by n1 for hbd@n1: OK",
      "Attribute '#is_dc' on node 'n1' was updated to 'true'",
      "Resource operation 'start' for 'vip' on 'n1': ok",
      "Resource operation 'monitor (10000)' for 'vip' on 'n1': not running",
      "",
    ].join("\n"),
  );
  assert.equal(text.split("\n").filter((l) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d: /.test(l)).length, 5);
  assert.equal(lines.filter((l) => l.level === "error").length, 0, JSON.stringify(lines));
  assert.ok(lines.some((l) => l.msg === `sending node alert via file to ${out}`));
});

test("Pacemaker's alert_smtp.sh.sample, unmodified, hands sendmail the mail", async () => {
  const sample = join(SAMPLES, "alert_smtp.sh.sample");
  assert.ok(existsSync(sample), `${sample} is missing: install Debian's pacemaker-common`);
  const bin = join(tmp, "bin");
  const mail = join(tmp, "mail.txt");
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, "sendmail"), `#!/bin/sh\necho "ARGS: $*" >"${mail}"\ncat >>"${mail}"\n`, {
    mode: 0o755,
  });
  const cib = cibWithAlerts(`<alert id="smtp" path="${sample}">
  <instance_attributes id="i"><nvpair id="i1" name="email_sender" value="ha@example.com"/></instance_attributes>
  <recipient id="r" value="ops@example.com"/></alert>`);
  const { lines, log } = recorder();
  const runner = new AlertRunner({ log, env: { PATH: `${bin}:/usr/sbin:/usr/bin:/sbin:/bin` } });
  assert.equal(
    runner.handle({ kind: "node", node: "n2", state: "lost" }, () => cib),
    1,
  );
  await runner.drain(10_000);
  const text = readFileSync(mail, "utf8");
  assert.match(text, /^ARGS: -t -r ha@example.com$/m);
  assert.match(text, /^To: ops@example.com$/m);
  assert.match(text, /^Subject: \d\d:\d\d:\d\d\.\d{6} .*Node 'n2' is now 'lost'$/m);
  assert.match(text, /^CRM_alert_kind=node$/m);
  assert.equal(lines.filter((l) => l.level === "error").length, 0, JSON.stringify(lines));
});

test("an agent that outlives its timeout is killed with its children; the caller never waits", async () => {
  const pidFile = join(tmp, "slow.pid");
  const slow = agent("slow", `sleep 30 & echo $! >"${pidFile}"; echo started; wait`);
  const cib = cibWithAlerts(`<alert id="slow" path="${slow}">
    <meta_attributes id="m"><nvpair id="m1" name="timeout" value="300ms"/></meta_attributes></alert>`);
  const { lines, log } = recorder();
  const runner = new AlertRunner({ log, killGraceMs: 200 });
  const t0 = performance.now();
  runner.handle({ kind: "node", node: "n2", state: "member" }, () => cib);
  const callMs = performance.now() - t0;
  assert.ok(callMs < 100, `handle() took ${callMs} ms`);
  assert.equal(runner.active, 1);
  await until("the timeout", () => lines.some((l) => l.level === "error"));
  assert.match(
    lines.find((l) => l.level === "error")?.msg ?? "",
    /^node alert via slow to no recipient timed out after 300 ms: killed; output: started$/,
  );
  const child = Number(readFileSync(pidFile, "utf8"));
  await until("the agent's child to be gone", () => {
    try {
      process.kill(child, 0);
      return false;
    } catch {
      return true;
    }
  });
  assert.equal(runner.active, 0);
});

test("failures are logged with the agent's output; a missing agent too; too many wait in the queue", async () => {
  const bad = agent("bad", `echo "no route to $CRM_alert_recipient" >&2; exit 3`);
  const gate = join(tmp, "gate");
  const hold = agent("hold", `while [ ! -e "${gate}" ]; do sleep 0.05; done`);
  const cib = cibWithAlerts(`<alert id="bad" path="${bad}"><recipient id="r" value="snmp-host"/></alert>
  <alert id="missing" path="${join(tmp, "nope")}"/>`);
  const { lines, log } = recorder();
  const runner = new AlertRunner({ log });
  assert.equal(
    runner.handle({ kind: "node", node: "n2", state: "lost" }, () => cib),
    2,
  );
  await runner.drain(5000);
  const errors = lines.filter((l) => l.level === "error").map((l) => l.msg);
  assert.ok(
    errors.includes("node alert via bad to snmp-host failed (exit status 3): no route to snmp-host"),
    JSON.stringify(errors),
  );
  assert.ok(
    errors.some((m) => /^node alert via missing to no recipient: cannot run .*nope: .*ENOENT/.test(m)),
    JSON.stringify(errors),
  );

  const many = cibWithAlerts(`<alert id="hold" path="${hold}"/>`);
  const queued = new AlertRunner({ log, maxRunning: 2, maxQueued: 1 });
  for (let i = 0; i < 4; i++) queued.handle({ kind: "node", node: `n${i}`, state: "lost" }, () => many);
  assert.equal(queued.active, 2);
  assert.ok(
    lines.some((l) => l.msg === "alert hold (node) to no recipient dropped: too many alerts waiting"),
  );
  writeFileSync(gate, "");
  await queued.drain(5000);
  assert.equal(queued.active, 0);
  assert.equal(lines.filter((l) => l.msg.startsWith("sending node alert via hold")).length, 3);
});
