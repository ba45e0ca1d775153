// Goal: two real hbd processes find each other over UDP, report each other active, detect a SIGKILLed peer within deadtime, and refuse unprivileged socket clients clearly.
// Method: two network namespaces joined by a veth pair (tdd-<pid>-*), ucast with sha1 authkeys; observed through hbctl and hbd's pino log.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { DaemonLab, skipReason } from "./lab.js";

const DEADTIME_MS = 1000;
const hacf = (peer: string) =>
  `udpport 694\nucast eth0 ${peer}\nkeepalive 100ms\ndeadtime 1\nwarntime 500ms\ninitdead 3\nnode n1\nnode n2\ncrm off\n`;
const AUTHKEYS = "auth 1\n1 sha1 e2e-secret\n";

interface LogLine {
  time: string;
  event?: string;
  peer?: string;
  status?: string;
  silentMs?: number;
}

function logLines(text: string): LogLine[] {
  return text
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as LogLine);
}

test("two hbd nodes: both active, SIGKILL detected within deadtime, clean SIGTERM, socket refusal", {
  skip: skipReason(),
}, async (t) => {
  const lab = new DaemonLab();
  try {
    lab.pair("a", "b");
    const d1 = lab.configure("n1", hacf("10.250.0.2"), AUTHKEYS);
    const d2 = lab.configure("n2", hacf("10.250.0.1"), AUTHKEYS);
    const startedAt = Date.now();
    lab.startHbd("a", "n1", d1);
    lab.startHbd("b", "n2", d2, ["--group", "nogroup"]);

    const status = (d: typeof d1, node: string) => lab.hbctl(["cl", "nodestatus", node, "--socket", d.sock]);
    const bothActive = await lab.waitFor(
      () => status(d1, "n2").out.trim() === "active" && status(d2, "n1").out.trim() === "active",
      15_000,
      200,
    );
    if (!bothActive) assert.fail(`not both active:\n${lab.log("n1")}\n${lab.log("n2")}`);
    assert.equal(status(d1, "n2").code, 0);
    assert.equal(lab.hbctl(["cl", "hblinkstatus", "n2", "eth0", "--socket", d1.sock]).out, "up\n");
    const st = lab.hbctl(["status", "--json", "--socket", d1.sock]);
    assert.equal(st.code, 0, st.err);
    const report = JSON.parse(st.out) as {
      counters: { badAuth: number; malformed: number };
      generation: number;
    };
    assert.equal(report.counters.badAuth + report.counters.malformed, 0);
    assert.equal(
      readFileSync(join(d1.state, "hb_generation"), "latin1"),
      `${String(report.generation).padStart(15)}\n`,
    );

    // The socket: 0600 refuses nobody with a clear message; n2's 0660 socket admits group nogroup.
    const refused = lab.hbctl(["status", "--socket", d1.sock], true);
    assert.equal(refused.code, 4);
    assert.match(refused.err, new RegExp(`permission denied on hbd's control socket ${d1.sock}`));
    assert.match(refused.err, /Run hbctl as root .* or start hbd with --group GROUP/);
    const refusedCl = lab.hbctl(["cl", "nodestatus", "n2", "--socket", d1.sock], true);
    assert.notEqual(refusedCl.code, 0);
    assert.match(refusedCl.err, /permission denied/);
    const admitted = lab.hbctl(["cl", "nodestatus", "n1", "--socket", d2.sock], true);
    assert.deepEqual([admitted.out, admitted.code], ["active\n", 0]);

    // SIGKILL n2: n1 declares it dead within deadtime (+ margin for one tick and scheduling).
    // Not during n2's first 5 s, while it advertises dt = deadtime + 2 s as Heartbeat does: those 5 s
    // count from n2's own start (Node start-up can take seconds on a loaded machine), so wait until n1
    // applies the plain deadtime to n2.
    await new Promise((r) => setTimeout(r, Math.max(0, startedAt + 6000 - Date.now())));
    assert.ok(await lab.plainDeadtime(d1.sock, "n2", DEADTIME_MS), "n1 never applied n2's plain deadtime");
    lab.kill("n2", "SIGKILL");
    const killedAt = Date.now();
    const dead = await lab.waitFor(() => status(d1, "n2").out.trim() === "dead", DEADTIME_MS + 5000, 100);
    assert.ok(dead, "n1 never declared n2 dead");
    assert.equal(status(d1, "n2").code, 1);
    await new Promise((r) => setTimeout(r, 300)); // let the event loop read hbd's output pipe
    const death = logLines(lab.log("n1")).find(
      (l) => l.event === "node-status" && l.peer === "n2" && l.status === "dead",
    );
    if (!death) assert.fail(`death not logged:\n${lab.log("n1")}`);
    const detectMs = Date.parse(death.time) - killedAt;
    t.diagnostic(
      `n2 declared dead ${detectMs} ms after SIGKILL (deadtime ${DEADTIME_MS} ms, keepalive 100 ms)`,
    );
    assert.ok(
      detectMs <= DEADTIME_MS + 150,
      `dead ${detectMs} ms after SIGKILL (deadtime ${DEADTIME_MS} ms)`,
    );
    // Not before deadtime: measured by n1 itself from the last status it heard. (Measured from the kill,
    // this failed once under load: n2 had stalled before it was killed, so n1 had heard nothing since.)
    assert.ok(
      typeof death.silentMs === "number" && death.silentMs >= DEADTIME_MS - 150,
      `declared dead after ${death.silentMs} ms of silence (deadtime ${DEADTIME_MS} ms)`,
    );

    // SIGTERM n1: clean exit, pid file and socket removed.
    lab.kill("n1", "SIGTERM");
    assert.equal(await lab.exited("n1", 6000), 0);
    assert.equal(existsSync(d1.sock), false);
    assert.equal(existsSync(join(d1.run, "hbd.pid")), false);
    const gone = lab.hbctl(["cl", "hbstatus", "--socket", d1.sock]);
    assert.deepEqual([gone.out, gone.code], ["Heartbeat is stopped on this machine.\n", 1]);
  } finally {
    lab.cleanup();
  }
});
