// Goal: a real rsyslog receives what hbd sends with ha.cf `logfacility local0` (Heartbeat's lines, facility local0,
// the right severities, tag heartbeat), and what hb-director sends with ldirectord.cf `logfile="local1"`; a reload
// of hb-director with `logfile="/path"` switches it to that file at once, as ldirectord reads the directive.
// Method: Debian's rsyslogd in the foreground with a test config (imuxsock on a socket in the lab's temp dir, one
// omfile per facility, a template printing facility.severity, tag and message). hbd and hb-director run in a
// network namespace and a mount namespace of their own whose /dev is a tmpfs holding the usual device nodes
// (bind mounts) and /dev/log -> that socket: they log to /dev/log unchanged, the host's /dev is never touched.
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { DaemonLab, HBD, skipReason } from "./lab.js";

const AUTHKEYS = "auth 1\n1 sha1 e2e-secret\n";
const DIRECTOR = join(HBD, "..", "..", "lvs", "main.js");

function rsyslogMissing(): string | undefined {
  const why = skipReason();
  if (why !== undefined) return why;
  return existsSync("/usr/sbin/rsyslogd") ? undefined : "rsyslogd not installed (apt install rsyslog)";
}

/** `ip netns exec NS unshare --mount sh -c ...`: /dev is a private tmpfs with the device nodes and /dev/log -> sock. */
function inPrivateDev(lab: DaemonLab, role: string, sock: string, cmd: string[]): ChildProcess {
  const old = join(lab.tmp, `olddev-${role}`);
  const script = [
    "set -e",
    `mkdir -p ${old}`,
    `mount --rbind /dev ${old}`,
    "mount -t tmpfs -o mode=755 tandem-dev /dev",
    `for n in null zero full random urandom tty; do touch /dev/$n; mount --bind ${old}/$n /dev/$n; done`,
    "ln -s /proc/self/fd /dev/fd",
    `ln -s ${sock} /dev/log`,
    'exec "$@"',
  ].join("\n");
  return spawn(
    "ip",
    ["netns", "exec", lab.ns(role), "unshare", "--mount", "sh", "-c", script, "sh", ...cmd],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
}

async function until(what: string, ok: () => boolean, ms: number, diag: () => string): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}\n${diag()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const read = (f: string): string => (existsSync(f) ? readFileSync(f, "utf8") : "");

test("a real rsyslog receives hbd's logfacility lines and hb-director's logfile facility", {
  skip: rsyslogMissing(),
  timeout: 60_000,
}, async () => {
  const lab = new DaemonLab();
  const children: ChildProcess[] = [];
  const output = new Map<ChildProcess, string>();
  const track = (c: ChildProcess): ChildProcess => {
    children.push(c);
    output.set(c, "");
    const keep = (b: Buffer) => output.set(c, ((output.get(c) ?? "") + b.toString()).slice(-20_000));
    c.stdout?.on("data", keep);
    c.stderr?.on("data", keep);
    return c;
  };
  try {
    const sock = join(lab.tmp, "log.sock");
    const local0 = join(lab.tmp, "local0.log");
    const local1 = join(lab.tmp, "local1.log");
    const conf = join(lab.tmp, "rsyslog.conf");
    writeFileSync(
      conf,
      [
        `global(workDirectory="${lab.tmp}")`,
        'module(load="imuxsock" SysSock.Use="off")',
        `input(type="imuxsock" Socket="${sock}")`,
        'template(name="raw" type="string" string="%syslogfacility-text%.%syslogseverity-text% %syslogtag%%msg%\\n")',
        `local0.* action(type="omfile" file="${local0}" template="raw")`,
        `local1.* action(type="omfile" file="${local1}" template="raw")`,
        "",
      ].join("\n"),
    );
    execFileSync("rsyslogd", ["-N1", "-f", conf], { stdio: "pipe" });
    const rsyslog = track(
      spawn("rsyslogd", ["-n", "-f", conf, "-i", join(lab.tmp, "rsyslogd.pid")], {
        stdio: ["ignore", "pipe", "pipe"],
      }),
    );
    await until(
      "rsyslog's socket",
      () => existsSync(sock),
      10_000,
      () => output.get(rsyslog) ?? "",
    );

    // hbd, ha.cf logfacility local0
    lab.pair("a", "b");
    const hacf = `udpport 694\nucast eth0 10.250.0.2\nkeepalive 100ms\ndeadtime 1\nwarntime 500ms\ninitdead 2\nnode n1\nnode n2\ncrm off\nlogfacility local0\n`;
    const d1 = lab.configure("n1", hacf, AUTHKEYS);
    const hbd = track(
      inPrivateDev(lab, "a", sock, [
        process.execPath,
        HBD,
        "--config-dir",
        d1.etc,
        "--state-dir",
        d1.state,
        "--run-dir",
        d1.run,
        "--node",
        "n1",
      ]),
    );
    const hbdDiag = () => `--- rsyslog local0\n${read(local0)}\n--- hbd output\n${output.get(hbd)}`;
    await until("hbd's running line in rsyslog", () => /running as n1$/m.test(read(local0)), 20_000, hbdDiag);
    // n2 never starts: after initdead hbd warns that it is dead
    await until("a WARN line in rsyslog", () => /^local0\.warning /m.test(read(local0)), 20_000, hbdDiag);
    const line = /^local0\.(info|warning|err|debug) heartbeat: \[(\d+)\]: (info|WARN|ERROR|debug): (.*)$/;
    const lines = read(local0).trimEnd().split("\n");
    for (const l of lines) assert.match(l, line, hbdDiag());
    assert.ok(
      lines.some((l) => /^local0\.info heartbeat: \[\d+\]: info: hbd \S+ running as n1$/.test(l)),
      hbdDiag(),
    );
    // severities agree with the Heartbeat level words (WARN -> warning)
    for (const l of lines) {
      const m = line.exec(l);
      const sev = { info: "info", WARN: "warning", ERROR: "err", debug: "debug" }[m?.[3] ?? ""];
      assert.equal(m?.[1], sev, l);
    }
    hbd.kill("SIGTERM");
    await until(
      "hbd's last line in rsyslog",
      () => /: info: hbd stopped$/m.test(read(local0)),
      20_000,
      hbdDiag,
    );

    // hb-director, ldirectord.cf logfile="local1", then a reload to logfile="/path"
    const cf = join(lab.tmp, "ldirectord.cf");
    const cfText = (logfile: string) =>
      `logfile="${logfile}"\ncheckinterval=1\nvirtual=10.250.0.100:80\n\treal=10.250.0.2:80 masq\n\tchecktype=connect\n\tscheduler=wrr\n`;
    writeFileSync(cf, cfText("local1"));
    const director = track(
      inPrivateDev(lab, "a", sock, [
        process.execPath,
        DIRECTOR,
        "--config",
        cf,
        "--backend",
        "nft",
        "--table",
        `tandem_rsys_${process.pid}`,
        "--pidfile",
        join(lab.tmp, "director.pid"),
      ]),
    );
    const dirDiag = () =>
      `--- rsyslog local1\n${read(local1)}\n--- hb-director output\n${output.get(director)}`;
    await until(
      "hb-director's lines in rsyslog",
      () => / hb-director: \[\d+\]: /.test(read(local1)),
      20_000,
      dirDiag,
    );
    for (const l of read(local1).trimEnd().split("\n"))
      assert.match(
        l,
        /^local1\.(info|warning|err|debug) hb-director: \[\d+\]: (info|WARN|ERROR|debug): /,
        dirDiag(),
      );
    const stderrLines = (output.get(director) ?? "").trimEnd().split("\n");
    assert.equal(stderrLines.length, 1, `stderr: only the line saying where the log goes\n${dirDiag()}`);
    assert.match(stderrLines[0] ?? "", /"msg":"logging to syslog:local1 from now on"/);

    // the pid file is written once it runs (and handles SIGHUP)
    await until("hb-director to run", () => existsSync(join(lab.tmp, "director.pid")), 20_000, dirDiag);
    const file = join(lab.tmp, "ldirectord.log");
    writeFileSync(cf, cfText(file));
    director.kill("SIGHUP");
    await until(
      "the reload in the new logfile",
      () => /: info: configuration reloaded$/m.test(read(file)),
      10_000,
      () => `${dirDiag()}\n--- ${file}\n${read(file)}`,
    );
    // the old destination's last line goes through the `logger` child and rsyslog: it may land after
    // the new file's lines (hb-director writes those itself)
    await until(
      "the switch announced in rsyslog",
      () => /: info: logging to file:.*ldirectord\.log from now on$/m.test(read(local1)),
      10_000,
      dirDiag,
    );
    assert.match(read(file), /: info: logging to file:.*ldirectord\.log \(was syslog:local1\)$/m);
    for (const l of read(file).trimEnd().split("\n"))
      assert.match(
        l,
        /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ hb-director: \[\d+\]: (info|WARN|ERROR|debug): /,
      );
    director.kill("SIGTERM");
    await until("hb-director to stop", () => director.exitCode !== null, 15_000, dirDiag);
    assert.equal(director.exitCode, 0, dirDiag());
  } finally {
    for (const c of children)
      if (c.exitCode === null && c.signalCode === null && c.pid !== undefined)
        try {
          process.kill(c.pid, "SIGKILL");
        } catch {
          // gone
        }
    lab.cleanup();
  }
});
