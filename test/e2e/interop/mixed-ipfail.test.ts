// Goal: ipfail in a mixed pair (issues 11 and 12): a Tandem node and a real Heartbeat 3.0.6 node running
// Heartbeat's own ipfail (`respawn hacluster /usr/libexec/heartbeat/ipfail`) exchange num_ping_nodes, and
// the node whose public cable is pulled gives its VIP to the peer while a second link keeps both alive:
// - Tandem holds the VIP: Tandem gives up through Heartbeat's standby request (R1 `ask_resources`), and
//   the Heartbeat node takes the VIP;
// - Heartbeat holds it: Heartbeat's ipfail reads Tandem's count and gives up; Tandem takes the VIP.
// Never on both nodes; with the cable back (auto_failback on) the VIP returns to node1.
// Method: InteropLab (ucast eth0 on the lab's bridge) plus a second ucast link on a veth pair eth1
// (10.98.0.1/.2) straight between the two node namespaces, a ping node on the bridge (10.99.0.9, reached
// only over eth0), HTTP servers on both nodes, a client probing the VIP every 20 ms and the 50 ms sampler.
// node1's eth0 is set down (the cable pull) and up again.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { after, test } from "node:test";
import type { InteropLab, NodeKind } from "./lab.js";
import { labUnavailable, sleep } from "./lab.js";
import { closeAll, MIXED_TIMING, openMixed, vipHaresources } from "./mixed.js";

const timing = MIXED_TIMING;
const PING = "10.99.0.9";
const ETH1 = { node1: "10.98.0.1", node2: "10.98.0.2" } as const;
/** ha.cf's deadping defaults to deadtime (1.5 s here); the target is deadping + 1 s. */
const DEADPING_MS = timing.deadtimeMs;
/** As in mixed-pair.test.ts: Heartbeat's own takeover (250 ms checks, shell scripts) on a loaded machine. */
const SLACK_MS = 2000;

after(closeAll);

const extra = (name: string) =>
  `ucast eth1 ${name === "node1" ? ETH1.node2 : ETH1.node1}\nping ${PING}\nrespawn hacluster /usr/libexec/heartbeat/ipfail\napiauth ipfail gid=haclient uid=hacluster\n`;

/** The second link: a veth pair eth1 between the two node namespaces. */
function secondLink(lab: InteropLab): void {
  const ip = (...args: string[]) => {
    const r = spawnSync("ip", args, { encoding: "utf8", timeout: 10_000 });
    assert.equal(r.status, 0, `ip ${args.join(" ")}: ${r.stderr}`);
  };
  ip(
    "-n",
    lab.ns("node1"),
    "link",
    "add",
    "eth1",
    "type",
    "veth",
    "peer",
    "name",
    "eth1",
    "netns",
    lab.ns("node2"),
  );
  for (const n of ["node1", "node2"] as const) {
    ip("-n", lab.ns(n), "addr", "add", `${ETH1[n]}/24`, "dev", "eth1");
    ip("-n", lab.ns(n), "link", "set", "eth1", "up");
  }
}

async function start(lab: InteropLab, name: string): Promise<void> {
  if (lab.kind(name) === "heartbeat") await lab.startHeartbeat(name);
  else lab.startHbd(name);
}

const logs = (lab: InteropLab) => ["node1", "node2"].map((n) => lab.logTail(n, 40)).join("\n");

async function cablePull(kinds: [NodeKind, NodeKind]): Promise<void> {
  const pair = openMixed(
    kinds,
    { haresources: vipHaresources("node1"), autoFailback: "on", extraHaCf: extra },
    timing,
  );
  const lab = pair.lab;
  secondLink(lab);
  lab.addHost("ping", PING);
  pair.startServers();
  pair.startClient(20);
  pair.startSampler();
  await Promise.all([start(lab, "node1"), start(lab, "node2")]);
  assert.ok(
    (await pair.vipOn("node1", timing.initdeadMs + 8000)) !== undefined,
    `the VIP never came up on node1 alone: ${pair.holders()}\n${logs(lab)}`,
  );
  // past the start-up rule, and Heartbeat's ipfail has joined and counted (it starts once resources are stable)
  await sleep(8000);
  assert.deepEqual(pair.holders(), ["node1"], `the VIP moved before the cable pull\n${logs(lab)}`);

  const cut = Date.now();
  lab.link("node1", false);
  const moved = await pair.vipOn("node2", DEADPING_MS + SLACK_MS + 15_000);
  assert.ok(moved !== undefined, `the cable pull did not move the VIP: ${pair.holders()}\n${logs(lab)}`);
  const answered = await pair.answeredBy("node2", cut, 5000);
  assert.ok(answered !== undefined, `node2 never answered the client\n${logs(lab)}`);
  console.log(
    `# ${kinds.join("+")}: cable pull of node1 (${kinds[0]}): VIP on node2 after ${moved - cut} ms, client answered after ${answered - cut} ms (deadping ${DEADPING_MS} ms)`,
  );
  const [tandem, heartbeat] = kinds[0] === "hbd" ? ["node1", "node2"] : ["node2", "node1"];
  const events = lab.hbdEvents(tandem);
  const counts = events.filter((e) => e["event"] === "ipfail-peer-count" && e["from"] === heartbeat);
  assert.ok(counts.length > 0, `Tandem read no num_ping_nodes from Heartbeat's ipfail\n${logs(lab)}`);
  if (tandem === "node1") {
    // Tandem reaches 0, Heartbeat's ipfail 1: Tandem gives up (R1 standby request to the Heartbeat peer)
    assert.ok(
      events.some((e) => e["event"] === "ipfail-giveup" && e.atMs >= cut),
      `Tandem (node1) did not give up\n${logs(lab)}`,
    );
  } else {
    // Heartbeat's ipfail compares its 0 with Tandem's 1 and gives up itself
    const hbLog = readFileSync(lab.logfilePath("node1"), "utf8");
    assert.match(
      hbLog,
      /less visible ping nodes|you_are_dead|Giving up/i,
      `Heartbeat's ipfail did not give up\n${logs(lab)}`,
    );
    assert.ok(
      counts.some((e) => e["count"] === 0 && e.atMs >= cut),
      `Tandem never heard Heartbeat's count 0\n${logs(lab)}`,
    );
  }
  // Tandem giving up: deadping + 1 s (+ slack for Heartbeat's takeover scripts); Heartbeat giving up is
  // Heartbeat's own speed (its ipfail gives up 2 x keepalive after the counts reach it; printed, bound loose)
  // Heartbeat's ipfail answers every balanced count with a standby of its foreign resources, which can
  // cross Tandem's standby request (Heartbeat ignores it); Tandem asks again on the next you_are_dead,
  // the answer to its count (resent every 10 x keepalive): one more resend interval allowed
  const bound =
    tandem === "node1" ? DEADPING_MS + 1000 + SLACK_MS + 10 * timing.keepaliveMs : DEADPING_MS + 10_000;
  assert.ok(moved - cut <= bound, `moved after ${moved - cut} ms > ${bound} ms\n${logs(lab)}`);
  // both nodes stay alive over eth1: nobody was declared dead
  assert.equal(lab.nodeStatus("node2", "node1").out.trim(), "active", logs(lab));

  const healed = Date.now();
  lab.link("node1", true);
  const back = await pair.vipOn("node1", 45_000);
  assert.ok(back !== undefined, `the VIP did not come back to node1: ${pair.holders()}\n${logs(lab)}`);
  console.log(`# ${kinds.join("+")}: cable back: VIP on node1 after ${back - healed} ms`);
  pair.stopSampler();
  assert.equal(
    pair.doubles.length,
    0,
    `the VIP was on both nodes: ${JSON.stringify(pair.doubles.slice(0, 5))}`,
  );
  assert.ok(pair.samples > 20, `too few samples: ${pair.samples}`);
}

for (const kinds of [
  ["hbd", "heartbeat"],
  ["heartbeat", "hbd"],
] as [NodeKind, NodeKind][]) {
  test(
    `mixed ${kinds.join("+")}: pulling node1's cable (second link up) moves the VIP through ipfail; the cable back brings it home`,
    {
      skip: labUnavailable(["heartbeat", "hbd"]),
      timeout: 150_000,
    },
    () => cablePull(kinds),
  );
}
