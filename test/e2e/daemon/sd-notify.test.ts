// Goal: hbd under a Type=notify service manager sends READY=1 once running, WATCHDOG=1 pings when
// WATCHDOG_USEC is set and STOPPING=1 at SIGTERM, each datagram carrying hbd's own pid in its
// credentials (so systemd's NotifyAccess=main accepts it).
// Method: a fake NOTIFY_SOCKET: an AF_UNIX datagram socket bound by a small python3 listener that
// prints each message with the SO_PASSCRED pid; hbd runs in a namespace lab and uses the real
// systemd-notify binary.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { DaemonLab, skipReason } from "./lab.js";

const hacf = `udpport 694\nucast eth0 10.250.0.2\nkeepalive 100ms\ndeadtime 1\nwarntime 500ms\ninitdead 2\nnode n1\nnode n2\ncrm off\n`;
const AUTHKEYS = "auth 1\n1 sha1 e2e-secret\n";

/** Prints "pid=<sender pid> <message with | for newlines>" per datagram; closes passed fds (barriers). */
const LISTENER = `
import os, socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind(sys.argv[1])
print("listening", flush=True)
for _ in range(10000):
    data, anc, _flags, _addr = s.recvmsg(4096, socket.CMSG_SPACE(12) + socket.CMSG_SPACE(64))
    pid = -1
    for level, kind, payload in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack("iII", payload[:12])[0]
        elif level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            for i in range(len(payload) // 4):
                os.close(struct.unpack("i", payload[4 * i:4 * i + 4])[0])
    print("pid=%d %s" % (pid, data.decode(errors="replace").replace("\\n", "|")), flush=True)
`;

function why(): string | undefined {
  return (
    skipReason() ??
    (existsSync("/usr/bin/python3") ? undefined : "needs /usr/bin/python3 for the fake NOTIFY_SOCKET") ??
    (existsSync("/usr/bin/systemd-notify") || existsSync("/bin/systemd-notify")
      ? undefined
      : "needs systemd-notify (package systemd)")
  );
}

test("hbd sends READY=1, WATCHDOG=1 and STOPPING=1 with its own pid", { skip: why() }, async () => {
  const lab = new DaemonLab();
  let listener: ChildProcess | undefined;
  try {
    const sock = join(lab.tmp, "notify");
    let heard = "";
    listener = spawn("/usr/bin/python3", ["-c", LISTENER, sock], { stdio: ["ignore", "pipe", "pipe"] });
    listener.stdout?.on("data", (b: Buffer) => {
      heard = (heard + b.toString()).slice(-200_000);
    });
    listener.stderr?.on("data", (b: Buffer) => {
      heard += b.toString();
    });
    assert.ok(await lab.waitFor(() => heard.includes("listening"), 10_000), `listener: ${heard}`);

    lab.pair("a", "b");
    const d1 = lab.configure("n1", hacf, AUTHKEYS);
    process.env.NOTIFY_SOCKET = sock;
    process.env.WATCHDOG_USEC = "600000"; // pings every 300 ms
    lab.startHbd("a", "n1", d1);
    delete process.env.NOTIFY_SOCKET;
    delete process.env.WATCHDOG_USEC;

    const ready = await lab.waitFor(() => /READY=1/.test(heard), 20_000, 100);
    assert.ok(ready, `no READY=1:\n${heard}\n${lab.log("n1")}`);
    const line = heard.split("\n").find((l) => l.includes("READY=1")) ?? "";
    const m = /^pid=(\d+) .*MAINPID=(\d+)/.exec(line);
    assert.ok(m, `READY line without pid/MAINPID: ${line}`);
    assert.equal(m[1], m[2], `credentials pid ${m[1]} is not hbd's MAINPID ${m[2]}`);
    assert.match(line, /STATUS=heartbeating as n1/);
    assert.equal(lab.hbctl(["cl", "hbstatus", "--socket", d1.sock]).code, 0, "READY before hbctl is served");

    const pings = await lab.waitFor(() => (heard.match(/WATCHDOG=1/g) ?? []).length >= 3, 10_000, 100);
    assert.ok(pings, `fewer than 3 WATCHDOG=1 pings:\n${heard}`);

    lab.kill("n1", "SIGTERM");
    assert.equal(await lab.exited("n1", 20_000), 0, lab.log("n1"));
    assert.ok(await lab.waitFor(() => heard.includes("STOPPING=1"), 5_000), `no STOPPING=1:\n${heard}`);
    // hbd has exited: at most one ping already in flight (its systemd-notify child started just before STOPPING)
    const after = heard.slice(heard.indexOf("STOPPING=1"));
    assert.ok((after.match(/WATCHDOG=1/g) ?? []).length <= 1, `pings after STOPPING=1:\n${heard}`);
  } finally {
    if (listener?.pid !== undefined && listener.exitCode === null) process.kill(listener.pid, "SIGKILL");
    lab.cleanup();
  }
});
