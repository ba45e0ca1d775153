// Goal: hbd heartbeats over a serial link alone (Heartbeat's classic framing), reports a ping node, and
// declares the peer dead when the cable is pulled. Method: two namespaces (for the ping node's address),
// a socat pty pair as the null-modem cable between the two hbd processes, observed through hbctl.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { DaemonLab, skipReason } from "./lab.js";

const AUTHKEYS = "auth 1\n1 sha1 serial-secret\n";
const hacf = (tty: string, ping: string) =>
  `baud 115200\nserial ${tty}\nping ${ping}\nkeepalive 100ms\ndeadtime 1\nwarntime 500ms\ninitdead 3\nnode n1\nnode n2\ncrm off\n`;

test("two hbd nodes over a serial cable, with a ping node", { skip: skipReason() }, async () => {
  const lab = new DaemonLab();
  let socat: ChildProcess | undefined;
  const stopSocat = () => {
    if (socat?.pid !== undefined && socat.exitCode === null && socat.signalCode === null)
      socat.kill("SIGKILL");
  };
  try {
    lab.pair("a", "b");
    const ttyA = join(lab.tmp, "ttyA");
    const ttyB = join(lab.tmp, "ttyB");
    socat = spawn("socat", [`pty,raw,echo=0,link=${ttyA}`, `pty,raw,echo=0,link=${ttyB}`], {
      stdio: "ignore",
    });
    assert.ok(
      await lab.waitFor(() => existsSync(ttyA) && existsSync(ttyB), 5_000, 50),
      "socat made no pty pair",
    );

    const d1 = lab.configure("n1", hacf(ttyA, "10.250.0.2"), AUTHKEYS);
    const d2 = lab.configure("n2", hacf(ttyB, "10.250.0.1"), AUTHKEYS);
    const startedAt = Date.now();
    lab.startHbd("a", "n1", d1);
    lab.startHbd("b", "n2", d2);
    const cl = (d: typeof d1, ...args: string[]) => lab.hbctl(["cl", ...args, "--socket", d.sock]);
    const active = await lab.waitFor(
      () =>
        cl(d1, "nodestatus", "n2").out.trim() === "active" &&
        cl(d2, "nodestatus", "n1").out.trim() === "active",
      15_000,
      200,
    );
    assert.ok(active, `not both active over serial:\n${lab.log("n1")}\n${lab.log("n2")}`);
    assert.equal(cl(d1, "hblinkstatus", "n2", ttyA).out, "up\n");

    const pingUp = await lab.waitFor(
      () => {
        const st = JSON.parse(lab.hbctl(["status", "--json", "--socket", d1.sock]).out || "{}") as {
          nodes?: { name: string; type: string; status: string }[];
        };
        return (
          st.nodes?.some((n) => n.type === "ping" && n.name === "10.250.0.2" && n.status === "ping") ?? false
        );
      },
      10_000,
      200,
    );
    assert.ok(
      pingUp,
      `ping node 10.250.0.2 not reported up:\n${lab.hbctl(["status", "--socket", d1.sock]).out}`,
    );

    // For its first 5 s a node advertises deadtime + 2 s (as Heartbeat does); measure after that.
    await new Promise((r) => setTimeout(r, Math.max(0, startedAt + 7_000 - Date.now())));
    assert.ok(await lab.plainDeadtime(d1.sock, "n2", 1000), "n1 never applied n2's plain deadtime");
    const pulledAt = Date.now();
    stopSocat(); // pull the cable
    const dead = await lab.waitFor(() => cl(d1, "nodestatus", "n2").out.trim() === "dead", 5_000, 50);
    assert.ok(dead, `n2 not declared dead after the serial cable was pulled:\n${lab.log("n1")}`);
    assert.ok(
      Date.now() - pulledAt < 1000 + 1500,
      `too slow: ${Date.now() - pulledAt} ms (pulled at ${new Date(pulledAt).toISOString()})\n${lab
        .log("n1")
        .split("\n")
        .filter((l) => /node-status|serial|medium|late/.test(l))
        .slice(-12)
        .join("\n")}`,
    );
  } finally {
    stopSocat();
    lab.cleanup();
  }
});
