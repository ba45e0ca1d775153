// Goal: ipfail natively (issue 12 part 1), Heartbeat's cable-pull acceptance test: two directors
// heartbeating over ucast on eth0 and over a serial cable (socat pty pair) that stays up, a ping node in a
// third namespace, `respawn hacluster /usr/lib/heartbeat/ipfail`, haresources mode (crm off) with the VIP
// and a script that exists only in CONFIG_DIR/resource.d, a client fetching the VIP over HTTP. Cutting the
// active node's eth0 moves the VIP to the peer within deadping + 1 s (plus the transition) and the client
// is answered again; restoring the link with auto_failback on brings it back; one lost ping reply moves
// nothing; the ping node unreachable for both moves nothing.
// Method: FailoverLab namespaces (tdi-<pid>-*): a (n1), b (n2) and the ping node p on client c's bridge;
// HTTP servers in a and b answer their node name on port 80 (the VIP lands on whichever holds it); eth0
// cut with `ip link set eth0 down`, a lost reply with a short nft drop of ICMP in a.
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { FailoverLab, ProbeLog, probeClientScript } from "../../../bench/failover-lab.js";
import { skipReason } from "../daemon/lab.js";

const VIP = "10.250.0.100";
const PING = "10.250.0.9";
const AUTHKEYS = "auth 1\n1 sha1 ipfail-e2e-secret\n";
const NODE_IP = { n1: "10.250.0.1", n2: "10.250.0.2" } as const;
const ROLE = { n1: "a", n2: "b" } as const;
type Name = keyof typeof ROLE;
const DEADPING_MS = 2000;

const script = (state: string) =>
  `#!/bin/sh\ncase "$1" in\nstart) echo started > ${state} ;;\nstop) rm -f ${state} ;;\nstatus) if [ -e ${state} ]; then echo running; else echo stopped; fi ;;\nesac\nexit 0\n`;

const server = (name: string) =>
  `require("node:http").createServer((q, s) => s.end(${JSON.stringify(name)})).listen(80, "0.0.0.0");`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("ipfail: cable pull moves the VIP within deadping + 1 s; back with auto_failback; blips and shared loss move nothing", {
  skip: skipReason(),
  timeout: 180_000,
}, async () => {
  const lab = new FailoverLab("tdi");
  let socat: ChildProcess | undefined;
  try {
    lab.bridged(["a", "b"], "c");
    lab.attach("p", `${PING}/24`);
    const tty = { n1: join(lab.tmp, "ttyA"), n2: join(lab.tmp, "ttyB") };
    socat = spawn("socat", [`pty,raw,echo=0,link=${tty.n1}`, `pty,raw,echo=0,link=${tty.n2}`], {
      stdio: "ignore",
    });
    assert.ok(
      await lab.waitFor(() => existsSync(tty.n1) && existsSync(tty.n2), 5000),
      "socat made no pty pair",
    );
    const state: Record<Name, string> = { n1: "", n2: "" };
    const dirs = (["n1", "n2"] as const).map((n) => {
      const peer: Name = n === "n1" ? "n2" : "n1";
      const hacf = `udpport 694\nucast eth0 ${NODE_IP[peer]}\nbaud 115200\nserial ${tty[n]}\nkeepalive 200ms\ndeadtime 2\nwarntime 1\ninitdead 3\ndeadping 2\nping ${PING}\nauto_failback on\nnode n1\nnode n2\ncrm off\nrespawn hacluster /usr/lib/heartbeat/ipfail\n`;
      const d = lab.configureCrm(n, hacf, AUTHKEYS, `n1 IPaddr2::${VIP}/24/eth0 web\n`);
      mkdirSync(join(d.etc, "resource.d"), { recursive: true });
      state[n] = join(d.run, "web.state");
      writeFileSync(join(d.etc, "resource.d", "web"), script(state[n]));
      chmodSync(join(d.etc, "resource.d", "web"), 0o755);
      lab.spawnIn(ROLE[n], server(n));
      return [n, d] as const;
    });
    const verify = lab.hbctl(["verify", dirs[0]![1].etc, "--node", "n1", "--state-dir", dirs[0]![1].state]);
    assert.doesNotMatch(verify.out + verify.err, /ipfail/, "no ipfail warning: hbd applies the rule");
    for (const [n, d] of dirs) lab.startHbd(ROLE[n], n, d);
    const client = new ProbeLog(
      lab.spawnIn(
        "c",
        probeClientScript({ host: VIP, port: 80, everyMs: 50, timeoutMs: 500, maxRunMs: 170_000 }),
      ),
    );
    const on = (n: Name) => lab.hasAddress(ROLE[n], VIP);
    const holder = () => (on("n1") && !on("n2") ? "n1" : on("n2") && !on("n1") ? "n2" : "?");
    const tails = () => `--- n1\n${lab.log("n1").slice(-4000)}\n--- n2\n${lab.log("n2").slice(-4000)}`;
    assert.ok(
      await lab.waitFor(() => holder() === "n1" && existsSync(state.n1), 20_000, 100),
      `start\n${tails()}`,
    );
    assert.ok(await lab.waitFor(() => client.firstAnswer("n1", Date.now() - 500) !== undefined, 10_000, 50));

    // One lost ping reply (ICMP dropped for 500 ms on n1): nothing moves.
    execFileSync("ip", ["netns", "exec", lab.ns("a"), "nft", "-f", "-"], {
      input:
        "table inet tdi_icmp {\n chain in { type filter hook input priority -10; policy accept; icmp type echo-reply drop; }\n}\n",
      timeout: 10_000,
    });
    await sleep(500);
    lab.exec("a", "nft", "delete", "table", "inet", "tdi_icmp");
    await sleep(DEADPING_MS + 3000);
    assert.equal(holder(), "n1", `a lost reply moved the VIP\n${tails()}`);

    // Cable pull: n1's eth0 down; the serial link keeps both alive; n1 reaches 0 ping nodes, n2 1.
    const cut = Date.now();
    lab.exec("a", "ip", "link", "set", "eth0", "down");
    assert.ok(await lab.waitFor(() => on("n2"), 20_000, 50), `the VIP did not move\n${tails()}`);
    const moved = Date.now() - cut;
    assert.ok(
      await lab.waitFor(() => client.firstAnswer("n2", cut) !== undefined, 10_000, 50),
      "client not answered by n2",
    );
    const answered = (client.firstAnswer("n2", cut)?.end ?? Date.now()) - cut;
    process.stdout.write(
      `# cable pull: VIP on n2 after ${moved} ms, client answered by n2 after ${answered} ms (deadping ${DEADPING_MS} ms)\n`,
    );
    assert.ok(existsSync(state.n2), "the resource.d script runs on n2");
    assert.ok(
      moved <= DEADPING_MS + 1000 + 1500,
      `moved after ${moved} ms > deadping + 1 s (+1.5 s transition slack)`,
    );
    assert.match(lab.log("n1"), /ipfail: reaching 0 ping node\(s\), the peer 1/);

    // Link restored, auto_failback on: after 10 s of equal counts n1 takes the service back.
    const giveups = (lab.log("n1").match(/ipfail-giveup/g) ?? []).length;
    const healed = Date.now();
    lab.exec("a", "ip", "link", "set", "eth0", "up");
    assert.ok(await lab.waitFor(() => holder() === "n1", 40_000, 100), `not back on n1\n${tails()}`);
    process.stdout.write(`# link restored: back on n1 after ${Date.now() - healed} ms\n`);
    assert.ok(await lab.waitFor(() => client.firstAnswer("n1", Date.now() - 300) !== undefined, 10_000, 50));

    // The ping node unreachable for both: equal loss, nothing moves.
    lab.exec("p", "ip", "link", "set", "eth0", "down");
    await sleep(DEADPING_MS + 6000);
    assert.equal(holder(), "n1", `shared loss moved the VIP\n${tails()}`);
    assert.equal((lab.log("n1").match(/ipfail-giveup/g) ?? []).length, giveups, "no give-up on shared loss");
    assert.equal((lab.log("n2").match(/ipfail-giveup/g) ?? []).length, 0, "n2 never gave up");
  } finally {
    if (socat?.pid !== undefined && socat.exitCode === null) socat.kill("SIGKILL");
    lab.cleanup();
  }
});
