// Goal: hb-director drives nftables DR (netdev ingress fwd with flow pinning): both reals serve new connections by their weights, a failed real leaves with no failed new connection afterwards, a quiesced real keeps its established keep-alive connection (drain), and a new connection reusing a pinned client port is rescheduled away from a quiesced real. Method: client, director and two real servers (VIP on lo, arp_ignore/arp_announce, direct return route) on a bridge inside namespaces, node:http servers, the real hb-director program.
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { repoRoot } from "../../helpers.js";
import { LvsLab, NET, VIP, waitFor } from "./lab.js";

let lab: LvsLab;
let director: ChildProcess;
let logs = "";

function drTable(): string {
  try {
    return lab.run("dir", "nft", "list", "table", "netdev", "tandem_lvs");
  } catch {
    return "";
  }
}
/** Which reals hold slots: per-real chains referenced by the slot map. */
const slotted = (): string[] =>
  [...new Set([...drTable().matchAll(/jump (s[0-9a-f]+_r_[0-9a-f]+)/g)].map((m) => m[1] ?? ""))].sort();

before(async () => {
  lab = new LvsLab();
  lab.build(2);
  for (const rs of ["rs1", "rs2"]) {
    lab.run(
      rs,
      "sysctl",
      "-qw",
      "net.ipv4.conf.all.arp_ignore=1",
      "net.ipv4.conf.all.arp_announce=2",
      "net.ipv4.conf.eth0.arp_ignore=1",
      "net.ipv4.conf.eth0.arp_announce=2",
    );
    lab.run(rs, "ip", "addr", "add", `${VIP}/32`, "dev", "lo");
    lab.run(rs, "ip", "route", "add", `${NET}.0/25`, "dev", "eth0");
    await lab.server(rs, rs, 80);
  }
  const cfg = join(lab.tmp, "dr.cf");
  writeFileSync(
    cfg,
    `checkinterval=1\nnegotiatetimeout=1\nfailurecount=1\nquiescent=yes\nvirtual=${VIP}:80\n\treal=${NET}.131:80 gate 3\n\treal=${NET}.132:80 gate 1\n\tservice=http\n\trequest="/health"\n\treceive="ok"\n\tscheduler=wrr\n`,
  );
  director = lab.spawnIn("dir", [
    process.execPath,
    join(repoRoot, "dist/src/lvs/main.js"),
    "--config",
    cfg,
    "--backend",
    "nft",
    "--kill-flows",
  ]);
  director.stderr?.on("data", (b: Buffer) => (logs += b.toString()));
  assert.ok((await waitFor(() => slotted().length === 2, 10_000)) >= 0, `${drTable()}\n${logs}`);
});

after(() => lab?.cleanup());

test("DR: new connections spread over both reals roughly by weight; the director keeps no conntrack for them", () => {
  const r = lab.client("new", 80, 80);
  assert.equal(r.errors, 0, r.errorText.join(" "));
  assert.ok((r.names.rs1 ?? 0) > (r.names.rs2 ?? 0) && (r.names.rs2 ?? 0) > 0, JSON.stringify(r.names));
  const ct = lab.run("dir", "cat", "/proc/net/nf_conntrack");
  assert.ok(!ct.includes(`dst=${VIP} `), "DR traffic bypasses conntrack on the director");
});

test("DR: a quiesced real drains (its keep-alive connection goes on), new connections from fresh client ports avoid it", async () => {
  const ka = lab.clientBg("ka", 80, 3000);
  await new Promise((r) => setTimeout(r, 300));
  lab.signal("rs1", "SIGUSR1");
  lab.signal("rs2", "SIGUSR1");
  assert.ok((await waitFor(() => slotted().length === 0, 5000)) >= 0, drTable());
  const res = await ka;
  assert.equal(res.errors, 0, res.errorText.join(" "));
  assert.equal(res.sockets, 1);
  lab.signal("rs2", "SIGUSR2");
  assert.ok((await waitFor(() => slotted().length === 1, 5000)) >= 0, drTable());
  // fresh client ports (below the ephemeral range); reused ones are the next test's subject
  const r = lab.client("new", 80, 20, 21000);
  assert.equal(r.errors, 0, r.errorText.join(" "));
  assert.deepEqual(r.names, { rs2: 20 });
});

test("DR: a new connection reusing a pinned client port is scheduled afresh, away from a quiesced real", async () => {
  lab.signal("rs1", "SIGUSR2");
  lab.signal("rs2", "SIGUSR2");
  assert.ok((await waitFor(() => slotted().length === 2, 5000)) >= 0, drTable());
  const first = lab.client("new", 80, 1, 22000);
  assert.equal(first.errors, 0, first.errorText.join(" "));
  const a = Object.keys(first.names)[0] ?? "";
  assert.ok(a === "rs1" || a === "rs2", JSON.stringify(first.names));
  const other = a === "rs1" ? "rs2" : "rs1";
  try {
    lab.signal(a, "SIGUSR1");
    assert.ok((await waitFor(() => slotted().length === 1, 5000)) >= 0, drTable());
    const again = lab.client("new", 80, 1, 22000);
    assert.equal(again.errors, 0, again.errorText.join(" "));
    assert.deepEqual(again.names, { [other]: 1 }, drTable());
  } finally {
    lab.signal(a, "SIGUSR2");
  }
});
