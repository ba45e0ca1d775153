// Goal: SIGHUP after a bad edit of ha.cf (a line with a bare CR, the adversarial run's crash) never takes
// hbd down: the errors are logged with file:line, the running configuration stays, the peer keeps seeing
// the node active (no takeover while its resources run); a good file after that reloads.
// Method: two real hbd in network namespaces joined by a veth pair (tdd-<pid>-*), ucast, deadtime 1 s;
// observed through hbctl and hbd's pino log. Every wait is bounded; the lab cleans up on exit.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { DaemonLab, skipReason } from "./lab.js";

const hacf = (peer: string) =>
  `udpport 694\nucast eth0 ${peer}\nkeepalive 100ms\ndeadtime 1\nwarntime 500ms\ninitdead 3\nnode n1\nnode n2\ncrm off\n`;
const AUTHKEYS = "auth 1\n1 sha1 e2e-secret\n";

test("SIGHUP with a bad ha.cf: hbd logs file:line, keeps running, the peer never declares it dead", {
  skip: skipReason(),
}, async () => {
  const lab = new DaemonLab();
  try {
    lab.pair("a", "b");
    const d1 = lab.configure("n1", hacf("10.250.0.2"), AUTHKEYS);
    const d2 = lab.configure("n2", hacf("10.250.0.1"), AUTHKEYS);
    lab.startHbd("a", "n1", d1);
    lab.startHbd("b", "n2", d2);
    const status = (d: typeof d1, node: string) => lab.hbctl(["cl", "nodestatus", node, "--socket", d.sock]);
    const bothActive = await lab.waitFor(
      () => status(d1, "n2").out.trim() === "active" && status(d2, "n1").out.trim() === "active",
      20_000,
      200,
    );
    if (!bothActive) assert.fail(`not both active:\n${lab.log("n1")}\n${lab.log("n2")}`);

    const file = join(d1.etc, "ha.cf");
    const good = readFileSync(file, "utf8");
    writeFileSync(file, good.replace("deadtime 1\n", "deadtime 1\r0\n")); // line 4: a bare CR
    lab.kill("n1", "SIGHUP");
    const logged = await lab.waitFor(() => lab.log("n1").includes("configuration has errors"), 10_000);
    assert.ok(logged, `no reload-failed in the log:\n${lab.log("n1")}`);
    assert.match(lab.log("n1"), new RegExp(`"event":"reload-failed","file":"${file}","line":4`));
    // Three deadtimes later n1 still runs and n2 still sees it active.
    assert.equal(await lab.exited("n1", 3000), undefined, `hbd died on SIGHUP:\n${lab.log("n1")}`);
    assert.equal(status(d2, "n1").out.trim(), "active");
    assert.doesNotMatch(lab.log("n2"), /"peer":"n1","status":"dead"/);
    assert.equal(lab.hbctl(["status", "--socket", d1.sock]).code, 0);

    // A good file again: reloaded.
    writeFileSync(file, good);
    lab.kill("n1", "SIGHUP");
    assert.ok(
      await lab.waitFor(() => lab.log("n1").includes("configuration reloaded"), 10_000),
      lab.log("n1"),
    );
  } finally {
    lab.cleanup();
  }
});
