// Goal: fencing in real hbd pairs: a lost node is fenced before its VIP starts on the survivor (fence_null), fence_ssh kills the target through an ssh shim, fence_meatware holds the takeover until `hbctl fence confirm`, a failed stop is fenced with stonith and blocked without, and the watchdog is tickled, stops when hbd is stopped and gets "V" at SIGTERM.
// Method: CrmLab namespaces (tdc-<pid>-*), crm on with a cib.xml per case; the VIP observed with `ip -n`, the fence log read when the VIP first appears; the watchdog is a FIFO read by cat into a file.
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { StatusReport } from "../../../src/ipc/protocol.js";
import { type NodeDirs, skipReason } from "../daemon/lab.js";
import { CrmLab } from "./lab.js";

const VIP = "10.250.0.100";
const AUTHKEYS = "auth 1\n1 sha1 fence-e2e-secret\n";
const hacf = (peer: string, extra = "") =>
  `udpport 694\nucast eth0 ${peer}\nkeepalive 100ms\ndeadtime 1\nwarntime 500ms\ninitdead 2\nnode n1\nnode n2\ncrm on\n${extra}`;

const nv = (id: string, params: Record<string, string>) =>
  `<instance_attributes id="${id}-ia">${Object.entries(params)
    .map(([k, v]) => `<nvpair id="${id}-${k}" name="${k}" value="${v}"/>`)
    .join("")}</instance_attributes>`;

/** A Heartbeat-class agent (CONFIG_DIR/resource.d/FailStop) whose stop fails once TMP/failstop.flag exists. */
const failStopAgent = (tmp: string) =>
  `#!/bin/sh\nst="\${HA_RSCTMP:-/tmp}/FailStop.state"\ncase $1 in\nstart) touch "$st" ;;\nstop) [ -e "${tmp}/failstop.flag" ] && exit 1; rm -f "$st" ;;\nstatus) [ -e "$st" ] && echo running || echo stopped ;;\nesac\nexit 0\n`;

function cibXml(opts: {
  stonith: boolean;
  device?: { agent: string; params: Record<string, string> };
  failStop?: boolean;
}): string {
  const dev = opts.device
    ? `<primitive id="fencer" class="stonith" type="${opts.device.agent}">${nv("fencer", opts.device.params)}</primitive>`
    : "";
  const rsc = opts.failStop
    ? `<primitive id="vip" class="heartbeat" type="FailStop"/>`
    : `<primitive id="vip" class="ocf" provider="tandem" type="IPaddr2">${nv("vip", { ip: VIP, cidr_netmask: "24", nic: "eth0" })}</primitive>`;
  return `<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.0"><configuration>
<crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="${opts.stonith}"/><nvpair id="o2" name="stonith-timeout" value="20s"/></cluster_property_set></crm_config>
<nodes><node id="n1" uname="n1"/><node id="n2" uname="n2"/></nodes>
<resources>${dev}${rsc}</resources>
<constraints><rsc_location id="pref" rsc="vip" node="n1" score="100"/></constraints>
</configuration><status/></cib>`;
}

interface Pair {
  lab: CrmLab;
  d1: NodeDirs;
  d2: NodeDirs;
  running: (id?: string) => string;
  logs: () => string;
}

/** Two hbd with the same cib.xml (and `extra2` in n2's ha.cf); resolves once vip runs on n1 and both see it. */
async function boot(
  xml: (tmp: string) => string,
  extra2 = "",
  before?: (tmp: string) => void,
): Promise<Pair> {
  const lab = new CrmLab();
  lab.pair("a", "b");
  const d1 = lab.configureCrm("n1", hacf("10.250.0.2"), AUTHKEYS, "");
  const d2 = lab.configureCrm("n2", hacf("10.250.0.1", extra2), AUTHKEYS, "");
  for (const d of [d1, d2]) writeFileSync(join(d.etc, "cib.xml"), xml(lab.tmp));
  before?.(lab.tmp);
  const status = (sock: string): StatusReport | undefined => {
    const r = lab.hbctl(["status", "--json", "--socket", sock]);
    return r.code === 0 ? (JSON.parse(r.out) as StatusReport) : undefined;
  };
  const running = (id = "vip") =>
    status(d2.sock)
      ?.crm?.resources.find((r) => r.id === id)
      ?.running.join() ?? "?";
  const logs = () => `--- n1\n${lab.log("n1").slice(-5000)}\n--- n2\n${lab.log("n2").slice(-5000)}`;
  lab.startHbd("a", "n1", d1);
  lab.startHbd("b", "n2", d2);
  const up = await lab.waitFor(() => running() === "n1" && status(d1.sock)?.crm?.busy === false, 20_000, 200);
  if (!up) {
    const l = logs();
    lab.cleanup();
    assert.fail(`vip never ran on n1\n${l}`);
  }
  return { lab, d1, d2, running, logs };
}

/** Power loss of n1: hbd SIGKILLed and its link down. */
function powerLoss(p: Pair): void {
  p.lab.kill("n1", "SIGKILL");
  p.lab.exec("a", "ip", "link", "set", "eth0", "down");
}

const opts = { skip: skipReason(), timeout: 40_000 };

test(
  "fence_null: the lost node is fenced before the VIP appears on the survivor; watchdog FIFO ticks, stops, gets V",
  opts,
  async (t) => {
    let reader: ChildProcess | undefined;
    const p = await boot(
      (tmp) =>
        cibXml({
          stonith: true,
          device: { agent: "fence_null", params: { pcmk_host_list: "n1 n2", log: join(tmp, "fence.log") } },
        }),
      "watchdog /dev/null\n", // replaced below by the FIFO before n2 starts
      (tmp) => {
        const fifo = join(tmp, "watchdog");
        execFileSync("mkfifo", [fifo]);
        // read-write open: never blocks, and hbd's non-blocking open finds a reader
        reader = spawn("sh", ["-c", `exec cat <> "${fifo}" > "${fifo}.out"`], { stdio: "ignore" });
        const fd0 = `/proc/${reader.pid}/fd/0`;
        for (let i = 0; i < 100 && !(existsSync(fd0) && readlinkSync(fd0) === fifo); i++)
          execFileSync("sleep", ["0.05"]);
        const cf = join(tmp, "n2", "etc", "ha.cf");
        writeFileSync(cf, readFileSync(cf, "utf8").replace("watchdog /dev/null", `watchdog ${fifo}`));
      },
    );
    const fenceLog = join(p.lab.tmp, "fence.log");
    const wdOut = join(p.lab.tmp, "watchdog.out");
    try {
      assert.match(p.lab.log("n2"), /watchdog .* armed/, p.logs());
      powerLoss(p);
      let fencedFirst: boolean | undefined;
      const moved = await p.lab.waitFor(
        () => {
          if (!p.lab.hasAddress("b", VIP)) return false;
          fencedFirst = existsSync(fenceLog) && / reboot n1$/m.test(readFileSync(fenceLog, "utf8"));
          return true;
        },
        15_000,
        10,
      );
      if (!moved) assert.fail(`VIP did not move\n${p.logs()}`);
      assert.equal(fencedFirst, true, `the VIP appeared before n1 was fenced\n${p.logs()}`);
      // watchdog: ticks while running, none while hbd is stopped, "V" last after SIGTERM
      const size = () => statSync(wdOut).size;
      const s0 = size();
      await new Promise((r) => setTimeout(r, 500));
      assert.ok(size() > s0, "no tickles while healthy");
      p.lab.kill("n2", "SIGSTOP");
      await new Promise((r) => setTimeout(r, 300));
      const s1 = size();
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal(size(), s1, "tickled while hbd was stopped");
      p.lab.kill("n2", "SIGCONT");
      await new Promise((r) => setTimeout(r, 500));
      assert.ok(size() > s1, "no tickles after SIGCONT");
      p.lab.kill("n2", "SIGTERM");
      await p.lab.exited("n2", 15_000);
      await new Promise((r) => setTimeout(r, 200)); // cat copies the last bytes
      const bytes = readFileSync(wdOut, "utf8");
      t.diagnostic(`watchdog: ${bytes.length} bytes written`);
      assert.equal(bytes.at(-1), "V", "the magic V is not the last byte");
      assert.equal(bytes.indexOf("V"), bytes.length - 1);
    } finally {
      reader?.kill("SIGKILL");
      p.lab.cleanup();
    }
  },
);

test(
  "fence_ssh through an ssh shim kills the partitioned node's hbd, then the survivor takes the VIP",
  opts,
  async () => {
    // ssh-shim [options] root@NODE COMMAND: a command with "reboot" SIGKILLs NODE's hbd; others succeed while it lives.
    const shimText = (tmp: string) =>
      `#!/bin/sh\nfor a; do :; done\nwhile [ $# -gt 2 ]; do shift; done\nnode=\${1#root@}\necho "$node $a" >> "${tmp}/ssh-calls"\npid=$(cat "${tmp}/$node/run/hbd.pid" 2>/dev/null)\ncase $a in\n*reboot*) [ -n "$pid" ] && kill -9 "$pid"; exit 0 ;;\nesac\n[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && exit 0\nexit 255\n`;
    const p = await boot(
      (tmp) =>
        cibXml({
          stonith: true,
          device: {
            agent: "fence_ssh",
            params: { hostlist: "n1", ssh_command: join(tmp, "ssh-shim"), gone_timeout: "10" },
          },
        }),
      "",
      (tmp) => {
        writeFileSync(join(tmp, "ssh-shim"), shimText(tmp));
        chmodSync(join(tmp, "ssh-shim"), 0o755);
      },
    );
    try {
      // partition: n1's link goes down, its hbd keeps running until fenced
      p.lab.exec("a", "ip", "link", "set", "eth0", "down");
      const moved = await p.lab.waitFor(() => p.lab.hasAddress("b", VIP), 20_000, 50);
      if (!moved) assert.fail(`VIP did not move\n${p.logs()}`);
      const killed = await p.lab.exited("n1", 5000);
      assert.equal(killed, "SIGKILL", "n1's hbd was not killed by the fence");
      const calls = readFileSync(join(p.lab.tmp, "ssh-calls"), "utf8");
      assert.match(calls, /^n1 reboot -nf$/m);
      assert.ok(
        await p.lab.waitFor(() => /n1 was fenced \(reboot\) by fencer/.test(p.lab.log("n2")), 5000, 100),
      );
    } finally {
      p.lab.cleanup();
    }
  },
);

test("fence_meatware: the takeover waits until the operator runs hbctl fence confirm", opts, async () => {
  const p = await boot(() =>
    cibXml({ stonith: true, device: { agent: "fence_meatware", params: { hostlist: "n1 n2" } } }),
  );
  try {
    powerLoss(p);
    const asked = await p.lab.waitFor(() => /hbctl fence confirm n1/.test(p.lab.log("n2")), 10_000, 50);
    if (!asked) assert.fail(`no request to the operator\n${p.logs()}`);
    const early = await p.lab.waitFor(() => p.lab.hasAddress("b", VIP), 2000, 50);
    assert.equal(early, false, "the VIP moved without confirmation");
    const wrong = p.lab.hbctl(["fence", "confirm", "n2", "--socket", p.d2.sock]);
    assert.equal(wrong.code, 1, "confirming a node nobody fences");
    const ok = p.lab.hbctl(["fence", "confirm", "n1", "--socket", p.d2.sock, "--json"]);
    assert.equal(ok.code, 0, ok.err);
    assert.equal(JSON.parse(ok.out).confirmed, true);
    const moved = await p.lab.waitFor(() => p.lab.hasAddress("b", VIP), 10_000, 50);
    if (!moved) assert.fail(`VIP did not move after the confirmation\n${p.logs()}`);
  } finally {
    p.lab.cleanup();
  }
});

for (const stonith of [true, false])
  test(
    `a failed stop ${stonith ? "is fenced (the DC by its peer), then the resource starts on the peer" : "without fencing blocks the resource"}`,
    opts,
    async () => {
      const p = await boot(
        (tmp) =>
          cibXml({
            stonith,
            failStop: true,
            device: { agent: "fence_null", params: { pcmk_host_list: "n1 n2", log: join(tmp, "fence.log") } },
          }),
        "",
        (tmp) => {
          for (const n of ["n1", "n2"]) {
            mkdirSync(join(tmp, n, "etc", "resource.d"), { recursive: true });
            writeFileSync(join(tmp, n, "etc", "resource.d", "FailStop"), failStopAgent(tmp), { mode: 0o755 });
          }
        },
      );
      const fenceLog = join(p.lab.tmp, "fence.log");
      try {
        writeFileSync(join(p.lab.tmp, "failstop.flag"), "");
        const sb = p.lab.hbctl(["standby", "n1", "--socket", p.d1.sock]);
        assert.equal(sb.code, 0, sb.err);
        if (stonith) {
          const moved = await p.lab.waitFor(() => p.running() === "n2", 15_000, 100);
          if (!moved) assert.fail(`vip did not start on n2\n${p.logs()}`);
          assert.match(readFileSync(fenceLog, "utf8"), / reboot n1$/m);
          const logged = await p.lab.waitFor(
            () => /n1 was fenced \(reboot\) by fencer/.test(p.lab.log("n2")),
            5000,
            100,
          );
          assert.ok(logged, `n2 did not fence the DC n1\n${p.logs()}`);
        } else {
          const failed = await p.lab.waitFor(() => /vip stop on n1: rc 1/.test(p.lab.log("n1")), 10_000, 100);
          if (!failed) assert.fail(`the stop did not fail\n${p.logs()}`);
          const moved = await p.lab.waitFor(() => p.running().includes("n2"), 4000, 100);
          assert.equal(moved, false, "a blocked resource was started elsewhere");
          assert.equal(existsSync(fenceLog) && readFileSync(fenceLog, "utf8").includes("reboot"), false);
        }
      } finally {
        p.lab.cleanup();
      }
    },
  );
