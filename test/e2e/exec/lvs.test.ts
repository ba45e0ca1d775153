// Goal: the lvs (director) and realserver agents build a working LVS service: DR with nftables fwd and real servers that hold the VIP on lo without answering ARP for it, and NAT with dnat and ip_forward; stop restores what start changed. Method: director, client and real servers on a bridge in private namespaces, tiny TCP servers that answer with their name, agents through the real executor.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { defaultHaEnv } from "../../../src/exec/env.js";
import type { Executor } from "../../../src/exec/executor.js";
import { createExecutor } from "../../../src/exec/process.js";
import type { AgentSpec } from "../../../src/exec/types.js";
import { repoRoot } from "../../helpers.js";
import { Lab, skipReason } from "./netns.js";

const skip = skipReason();
const VIP = "10.68.0.10";
let lab: Lab;
const ex: Record<string, Executor> = {};

/** Starts a TCP server in a namespace answering `name\n`; resolves once it listens. */
async function nameServer(role: string, port: number): Promise<void> {
  const file = `${lab.tmp}/srv.cjs`;
  writeFileSync(
    file,
    `require("net").createServer((s) => s.end(process.argv[2] + "\\n")).listen(+process.argv[3], () => console.log("ready"));`,
  );
  const c = lab.spawnIn(role, process.execPath, file, role, String(port));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`server in ${role} did not start`)), 5000);
    c.stdout?.once("data", () => {
      clearTimeout(t);
      resolve();
    });
  });
}

/** Opens n connections from the client to ip:port and returns the names that answered. */
function fetchNames(ip: string, port: number, n: number): string[] {
  const file = `${lab.tmp}/cli.cjs`;
  writeFileSync(
    file,
    `const net = require("net"); const [ip, port, n] = process.argv.slice(2); const out = [];
(async () => { for (let i = 0; i < +n; i++) out.push(await new Promise((res) => {
  const s = net.connect({ host: ip, port: +port, timeout: 2000 }); let d = "";
  s.on("data", (b) => (d += b)); s.on("end", () => res(d.trim())); s.on("timeout", () => { s.destroy(); res("timeout"); });
  s.on("error", (e) => res("error:" + e.code)); })); console.log(JSON.stringify(out)); })();`,
  );
  return JSON.parse(lab.run("cl", process.execPath, file, ip, String(port), String(n))) as string[];
}

before(() => {
  if (skip) return;
  lab = new Lab();
  lab.switched({ dir: "10.68.0.2/24", cl: "10.68.0.100/24", rs1: "10.68.0.11/24", rs2: "10.68.0.12/24" });
  for (const h of ["dir", "rs1", "rs2"]) {
    const d = lab.agentDir(h, {
      lvs: `${repoRoot}/resource.d/lvs`,
      realserver: `${repoRoot}/resource.d/realserver`,
    });
    ex[h] = createExecutor({
      ocfProviderDirs: { tandem: d },
      resourceDirs: [d],
      haEnv: { ...defaultHaEnv, HA_RSCTMP: `${lab.tmp}/rsc-${h}` },
      defaultTimeoutMs: 10_000,
    });
  }
});
after(() => lab?.cleanup());

const sysctls = (role: string) =>
  lab
    .sh(
      role,
      "cd /proc/sys/net/ipv4/conf && cat all/arp_ignore all/arp_announce lo/arp_ignore lo/arp_announce",
    )
    .split("\n")
    .join(" ")
    .trim();

test("DR: director forwards by flow hash, real servers answer from the VIP, ARP for the VIP stays with the director", {
  skip,
}, async () => {
  await nameServer("rs1", 80);
  await nameServer("rs2", 80);
  const rs: AgentSpec = { class: "heartbeat", type: "realserver", args: [VIP] };
  const before1 = sysctls("rs1");
  for (const h of ["rs1", "rs2"]) {
    assert.equal((await ex[h]!.exec({ rscId: "rs", agent: rs, op: "monitor" })).rc, 7);
    assert.equal((await ex[h]!.exec({ rscId: "rs", agent: rs, op: "start" })).rc, 0);
    assert.equal((await ex[h]!.exec({ rscId: "rs", agent: rs, op: "monitor" })).rc, 0);
  }
  assert.equal(sysctls("rs1"), "1 2 1 2");
  const lvs: AgentSpec = {
    class: "ocf",
    type: "lvs",
    provider: "tandem",
    params: { mode: "dr", nic: "eth0", vip: VIP, services: `tcp:${VIP}:80=10.68.0.11,10.68.0.12` },
  };
  const run = (op: string) => ex["dir"]!.exec({ rscId: "lvs", agent: lvs, op });
  assert.equal((await run("monitor")).rc, 7);
  const s = await run("start");
  assert.equal(s.rc, 0, s.stderrTail);
  assert.equal((await run("start")).rc, 0);
  assert.equal((await run("monitor")).rc, 0);
  assert.match(
    lab.run("dir", "nft", "list", "table", "netdev", "tandem_lvs"),
    /fwd ip to jhash ip saddr \. tcp sport mod 2/,
  );

  const names = fetchNames(VIP, 80, 20);
  assert.deepEqual([...new Set(names)].sort(), ["rs1", "rs2"], `answers: ${names.join(",")}`);
  const neigh = lab.run("cl", "ip", "neigh", "show", VIP, "dev", "eth0");
  assert.match(neigh, new RegExp(`lladdr ${lab.mac("dir")}`), "only the director answers ARP for the VIP");

  assert.equal((await run("stop")).rc, 0);
  assert.equal((await run("stop")).rc, 0);
  assert.equal((await run("monitor")).rc, 7);
  assert.doesNotMatch(lab.run("dir", "ip", "-o", "addr"), new RegExp(VIP));
  assert.equal(lab.run("dir", "nft", "list", "tables").trim(), "");
  for (const h of ["rs1", "rs2"])
    assert.equal((await ex[h]!.exec({ rscId: "rs", agent: rs, op: "stop" })).rc, 0);
  assert.equal(sysctls("rs1"), before1, "realserver stop restores the sysctls");
  assert.doesNotMatch(lab.run("rs1", "ip", "-o", "addr", "show", "dev", "lo"), new RegExp(VIP));
});

test("NAT: dnat round robin with weights, ip_forward enabled then restored", { skip }, async () => {
  await nameServer("rs1", 8080);
  await nameServer("rs2", 8081);
  // Real servers reach the client through the director in NAT mode: put the client in its own subnet.
  lab.run("cl", "ip", "addr", "add", "10.68.9.100/24", "dev", "eth0");
  lab.run("dir", "ip", "addr", "add", "10.68.9.1/24", "dev", "eth0");
  lab.run("cl", "ip", "route", "add", "10.68.0.10/32", "via", "10.68.9.1");
  for (const h of ["rs1", "rs2"]) lab.run(h, "ip", "route", "add", "10.68.9.0/24", "via", "10.68.0.2");
  lab.sh(
    "dir",
    "echo 0 > /proc/sys/net/ipv4/conf/all/send_redirects; echo 0 > /proc/sys/net/ipv4/conf/eth0/send_redirects",
  );
  const fwd = () => lab.run("dir", "cat", "/proc/sys/net/ipv4/ip_forward").trim();
  assert.equal(fwd(), "0");
  const lvs: AgentSpec = {
    class: "ocf",
    type: "lvs",
    provider: "tandem",
    params: { mode: "nat", services: `tcp:${VIP}:80=10.68.0.11:8080*2,10.68.0.12:8081` },
  };
  const run = (op: string) => ex["dir"]!.exec({ rscId: "nat", agent: lvs, op });
  const s = await run("start");
  assert.equal(s.rc, 0, s.stderrTail);
  assert.equal(fwd(), "1");
  assert.equal((await run("monitor")).rc, 0);
  const names = fetchNames(VIP, 80, 9);
  assert.equal(names.filter((n) => n === "rs1").length, 6, names.join(","));
  assert.equal(names.filter((n) => n === "rs2").length, 3, names.join(","));
  assert.equal((await run("stop")).rc, 0);
  assert.equal(fwd(), "0");
  assert.equal((await run("monitor")).rc, 7);
});

test("a table file is loaded as one transaction and removed on stop", { skip }, async () => {
  const file = `${lab.tmp}/vs.nft`;
  writeFileSync(
    file,
    `table ip mylvs {\n  chain pre {\n    type nat hook prerouting priority dstnat; policy accept;\n    ip daddr ${VIP} tcp dport 443 dnat ip to 10.68.0.11:8443\n  }\n}\n`,
  );
  const run = (agent: AgentSpec, op: string) => ex["dir"]!.exec({ rscId: "tbl", agent, op });
  const lvs: AgentSpec = {
    class: "ocf",
    type: "lvs",
    provider: "tandem",
    params: { mode: "nat", table: file, nft_table: "ip mylvs" },
  };
  assert.equal((await run(lvs, "start")).rc, 0);
  assert.match(
    lab.run("dir", "nft", "list", "table", "ip", "mylvs"),
    /dport 443 dnat (ip )?to 10\.68\.0\.11:8443/,
  );
  assert.equal((await run(lvs, "start")).rc, 0);
  assert.equal((await run(lvs, "monitor")).rc, 0);
  assert.equal((await run(lvs, "stop")).rc, 0);
  assert.doesNotMatch(lab.run("dir", "nft", "list", "tables"), /mylvs/);
  assert.equal((await run(lvs, "monitor")).rc, 7);
  // Heartbeat call form: lvs TABLE-FILE MODE action.
  const hb = (f: string): AgentSpec => ({ class: "heartbeat", type: "lvs", args: [f, "nat"] });
  const st = await run(hb(file), "monitor");
  assert.deepEqual([st.rc, st.stdoutTail], [7, "INFO: Resource is stopped\n"]);
  const r = await run(hb(`${lab.tmp}/missing.nft`), "start");
  // Heartbeat class: any non-zero start is a failure (rc 1); the agent's own code stays visible.
  assert.deepEqual([r.rc, r.exitCode, r.reason], [1, 6, `cannot read table file ${lab.tmp}/missing.nft`]);
});
