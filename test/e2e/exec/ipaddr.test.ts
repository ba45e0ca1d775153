// Goal: our IPaddr2/IPaddr move a VIP between hosts and the gratuitous ARP updates a client's neighbour entry; parameters and Heartbeat calls behave. Method: three hosts on a bridge, all in private network namespaces, agents run through the real executor via `ip netns exec` wrappers.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { defaultHaEnv } from "../../../src/exec/env.js";
import type { Executor } from "../../../src/exec/executor.js";
import { createExecutor } from "../../../src/exec/process.js";
import type { AgentSpec } from "../../../src/exec/types.js";
import { repoRoot } from "../../helpers.js";
import { Lab, skipReason, waitFor } from "./netns.js";

const skip = skipReason();
const VIP = "10.66.0.50";
let lab: Lab;
const ex: Record<string, Executor> = {};

before(() => {
  if (skip) return;
  lab = new Lab();
  lab.switched({ h1: "10.66.0.1/24", h2: "10.66.0.2/24", cl: "10.66.0.100/24" });
  // The client accepts a newer ARP at once (default locktime is 1 s).
  lab.sh("cl", "echo 0 > /proc/sys/net/ipv4/neigh/eth0/locktime");
  for (const h of ["h1", "h2"]) {
    const dir = lab.agentDir(h, {
      IPaddr2: `${repoRoot}/resource.d/IPaddr2`,
      IPaddr: `${repoRoot}/resource.d/IPaddr`,
      SendArp: `${repoRoot}/resource.d/SendArp`,
    });
    ex[h] = createExecutor({
      ocfProviderDirs: { tandem: dir },
      resourceDirs: [dir],
      haEnv: { ...defaultHaEnv, HA_RSCTMP: `${lab.tmp}/rsc-${h}` },
      defaultTimeoutMs: 10_000,
    });
  }
});
after(() => lab?.cleanup());

const vip = (params: Record<string, string> = {}): AgentSpec => ({
  class: "ocf",
  type: "IPaddr2",
  provider: "tandem",
  params: { ip: VIP, arp_count: "3", arp_interval: "100", ...params },
});
const run = (host: string, agent: AgentSpec, op: string) => ex[host]!.exec({ rscId: "vip", agent, op });
const addrs = (host: string) => lab.run(host, "ip", "-o", "-4", "addr", "show", "dev", "eth0");
const neighMac = () => /lladdr (\S+)/.exec(lab.run("cl", "ip", "neigh", "show", VIP, "dev", "eth0"))?.[1];

test("VIP moves from h1 to h2 and the client's neighbour entry follows the gratuitous ARP", {
  skip,
}, async () => {
  assert.equal((await run("h1", vip(), "monitor")).rc, 7);
  const s1 = await run("h1", vip(), "start");
  assert.equal(s1.rc, 0, s1.stderrTail);
  assert.match(addrs("h1"), new RegExp(`inet ${VIP}/24 brd 10.66.0.255 `), "netmask and nic from the route");
  assert.equal((await run("h1", vip(), "start")).rc, 0, "start is idempotent");
  assert.equal((await run("h1", vip(), "monitor")).rc, 0);
  lab.run("cl", "ping", "-c", "1", "-W", "2", VIP);
  assert.equal(neighMac(), lab.mac("h1"));

  assert.equal((await run("h1", vip(), "stop")).rc, 0);
  assert.doesNotMatch(addrs("h1"), new RegExp(VIP));
  assert.equal((await run("h1", vip(), "stop")).rc, 0, "stop is idempotent");
  assert.equal((await run("h1", vip(), "monitor")).rc, 7);
  assert.equal(neighMac(), lab.mac("h1"), "client still points at h1 before the takeover");

  const s2 = await run("h2", vip(), "start");
  assert.equal(s2.rc, 0, s2.stderrTail);
  const h2mac = lab.mac("h2");
  assert.ok(
    await waitFor(() => neighMac() === h2mac, 2000),
    `client entry ${neighMac()} should become ${h2mac}`,
  );
  assert.equal((await run("h2", vip(), "stop")).rc, 0);
});

test("Heartbeat call forms: IPaddr2 ip/bits/nic:label, IPaddr alias labels, status words", {
  skip,
}, async () => {
  const hb = (type: string, arg: string): AgentSpec => ({ class: "heartbeat", type, args: [arg] });
  const a = hb("IPaddr2", "10.66.0.51/24/eth0:web/10.66.0.255");
  assert.equal((await run("h1", a, "start")).rc, 0);
  assert.match(addrs("h1"), /inet 10\.66\.0\.51\/24 brd 10\.66\.0\.255 .*eth0:web/);
  const st = await run("h1", a, "monitor");
  assert.deepEqual([st.rc, st.stdoutTail], [0, "INFO: Running OK\n"]);
  const b = hb("IPaddr", "10.66.0.52");
  const c = hb("IPaddr", "10.66.0.53/24");
  assert.equal((await run("h1", b, "start")).rc, 0);
  assert.equal((await run("h1", c, "start")).rc, 0);
  assert.match(addrs("h1"), /inet 10\.66\.0\.52\/24 .*eth0:0\\/);
  assert.match(addrs("h1"), /inet 10\.66\.0\.53\/24 .*eth0:1\\/);
  for (const x of [a, b, c]) assert.equal((await run("h1", x, "stop")).rc, 0);
  const off = await run("h1", a, "monitor");
  assert.deepEqual([off.rc, off.stdoutTail], [7, "INFO: Resource is stopped\n"]);
  assert.doesNotMatch(addrs("h1"), /10\.66\.0\.5[123]/);
});

test("explicit netmask and nic, no route: OCF_ERR_CONFIGURED when nic cannot be found", {
  skip,
}, async () => {
  const x = vip({ ip: "10.99.0.7", arp_count: "0" });
  const bad = await run("h1", x, "start");
  assert.equal(bad.rc, 6);
  assert.match(bad.reason, /no interface given and no connected route/);
  const ok = vip({ ip: "10.99.0.7", nic: "eth0", cidr_netmask: "255.255.255.0", arp_count: "0" });
  assert.equal((await run("h1", ok, "start")).rc, 0);
  assert.match(addrs("h1"), /inet 10\.99\.0\.7\/24/);
  assert.equal((await run("h1", ok, "stop")).rc, 0);
  const gone = await run("h1", vip({ nic: "eth9" }), "start");
  assert.deepEqual([gone.rc, gone.reason], [6, "interface eth9 does not exist"]);
  assert.equal((await run("h1", vip({ nic: "eth9" }), "monitor")).rc, 7);
});

test("SendArp announces an address the host already has", { skip }, async () => {
  lab.run("h2", "ip", "addr", "add", "10.66.0.60/24", "dev", "eth0");
  lab.run("cl", "ping", "-c", "1", "-W", "2", "10.66.0.60");
  lab.run("h2", "ip", "addr", "del", "10.66.0.60/24", "dev", "eth0");
  lab.run("h1", "ip", "addr", "add", "10.66.0.60/24", "dev", "eth0");
  const sa: AgentSpec = { class: "heartbeat", type: "SendArp", args: ["10.66.0.60/eth0"] };
  assert.equal((await run("h1", sa, "start")).rc, 0);
  assert.equal((await run("h1", sa, "monitor")).rc, 0);
  const mac = lab.mac("h1");
  const seen = () =>
    /lladdr (\S+)/.exec(lab.run("cl", "ip", "neigh", "show", "10.66.0.60", "dev", "eth0"))?.[1];
  assert.ok(await waitFor(() => seen() === mac, 2000), "client learns h1's MAC for 10.66.0.60");
  assert.equal((await run("h1", sa, "stop")).rc, 0);
  assert.equal((await run("h1", sa, "monitor")).rc, 7);
});
