// Goal: hbd starts even when its heartbeat interface has no carrier yet (a node booted with the cable
// unplugged), reports that link dead, and joins the cluster once the link comes up.
// Method: two namespaces joined by a veth pair; n1's side is set down before hbd starts, then brought up.
import assert from "node:assert/strict";
import { test } from "node:test";
import { DaemonLab, skipReason } from "./lab.js";

const hacf = (peer: string) =>
  `udpport 694\nucast eth0 ${peer}\nkeepalive 100ms\ndeadtime 1\nwarntime 500ms\ninitdead 3\nnode n1\nnode n2\ncrm off\n`;
const AUTHKEYS = "auth 1\n1 sha1 e2e-secret\n";

test("hbd starts without carrier, then joins when the link comes up", { skip: skipReason() }, async () => {
  const lab = new DaemonLab();
  try {
    lab.pair("a", "b");
    lab.exec("a", "ip", "link", "set", "eth0", "down");
    const d1 = lab.configure("n1", hacf("10.250.0.2"), AUTHKEYS);
    const d2 = lab.configure("n2", hacf("10.250.0.1"), AUTHKEYS);
    lab.startHbd("a", "n1", d1);
    lab.startHbd("b", "n2", d2);
    const running = await lab.waitFor(
      () => lab.hbctl(["cl", "hbstatus", "--socket", d1.sock]).code === 0,
      10_000,
      200,
    );
    assert.ok(running, `n1's hbd did not come up without carrier:\n${lab.log("n1")}`);
    const logged = await lab.waitFor(() => lab.log("n1").includes('"event":"medium-failed"'), 5_000, 100);
    assert.ok(logged, `no medium-failed log line:\n${lab.log("n1")}`);
    assert.equal(lab.hbctl(["cl", "hblinkstatus", "n1", "eth0", "--socket", d1.sock]).out, "dead\n");

    lab.exec("a", "ip", "link", "set", "eth0", "up");
    const active = await lab.waitFor(
      () =>
        lab.hbctl(["cl", "nodestatus", "n2", "--socket", d1.sock]).out.trim() === "active" &&
        lab.hbctl(["cl", "nodestatus", "n1", "--socket", d2.sock]).out.trim() === "active",
      20_000,
      200,
    );
    assert.ok(active, `not both active after the link came up:\n${lab.log("n1")}\n${lab.log("n2")}`);
    assert.ok(
      await lab.waitFor(() => lab.log("n1").includes('"event":"medium-open"'), 5_000, 100),
      lab.log("n1"),
    );
  } finally {
    lab.cleanup();
  }
});
