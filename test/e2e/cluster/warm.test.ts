// Goal: the warm director (issue 15 §1-2): the standby node runs hb-director too (health checks and table, the table guarded by `fib daddr type local`), so `hbctl standby` moves only the VIP: a client's DR keep-alive connection through the VIP keeps working on the same TCP connection and real, and a real server both directors know is down gets no traffic after the move.
// Method: ClusterLab (two hbd directors, the haresources line converted to [VIP, lvs] + a warm ldirectord clone, two node:http real servers in DR, a client opening a new connection every 20 ms) plus a keep-alive client sending a request every 50 ms on ONE connection (its answers carry the local port); rs2's port 80 is blocked with an nft rule in its own namespace to make it fail its checks. tdk-<pid>-* namespaces; state from `ip -n`, `nft -j`, pid files and `hbctl status --json`.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { ProbeLog } from "../../../bench/failover-lab.js";
import { skipReason } from "../daemon/lab.js";
import { ClusterLab, ROLE, sleep, tally, VIP } from "./lab.js";

/** A keep-alive HTTP client: one connection, a GET every `everyMs`, lines "start end answer@localport" ("-" = failed). */
const keepAliveScript = (everyMs: number, timeoutMs: number): string => `
const http = require("node:http");
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
let pending = "";
let n = 0;
const one = () => {
  if (++n > 20000) return;
  const start = Date.now();
  let done = false;
  const fin = (a) => { if (!done) { done = true; clearTimeout(t); pending += start + " " + Date.now() + " " + a + "\\n"; setTimeout(one, ${everyMs}); } };
  const req = http.get({ host: ${JSON.stringify(VIP)}, port: 80, path: "/", agent }, (res) => {
    let body = "";
    const port = res.socket && res.socket.localPort;
    res.setEncoding("utf8");
    res.on("data", (d) => (body += d));
    res.on("end", () => fin((body.trim() || "?") + "@" + port));
    res.on("error", () => fin("-"));
  });
  const t = setTimeout(() => { req.destroy(); fin("-"); }, ${timeoutMs});
  req.on("error", () => fin("-"));
};
one();
setInterval(() => { if (pending) { process.stdout.write(pending); pending = ""; } }, 10);
setTimeout(() => process.exit(0), 600000);
`;

/** The rules of `node`'s director table (netdev family, DR). */
function directorRules(lab: ClusterLab, node: "n1" | "n2"): string {
  try {
    return lab.exec(ROLE[node], "nft", "list", "table", "netdev", "hbd_ldirectord_cf");
  } catch {
    return "";
  }
}

/** The per-real chain of real `ip` exists in `node`'s director table (the real is in the schedule). */
const scheduled = (lab: ClusterLab, node: "n1" | "n2", hex: string): boolean =>
  new RegExp(`chain s[0-9a-f]{8}_r_${hex} `).test(directorRules(lab, node));
const RS1 = "0afa0003";
const RS2 = "0afa0004";

test("warm director: planned standby keeps a DR keep-alive connection; the standby's health is current at takeover", {
  skip: skipReason(),
  timeout: 300_000,
}, async (t) => {
  const lab = new ClusterLab({ autoFailback: "on" });
  const t0 = Date.now();
  const phase = (what: string): void => t.diagnostic(`${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`);
  try {
    lab.start();
    await lab.settle("n1", 45_000);
    // 1. both nodes run a director; the standby's table is loaded, guarded by the VIP being local
    const n2pid = await lab.warmDirector("n2");
    assert.match(readFileSync(`/proc/${n2pid}/cmdline`, "utf8"), /--warm/);
    assert.ok(
      await lab.waitFor(() => scheduled(lab, "n2", RS1) && scheduled(lab, "n2", RS2), 10_000, 100),
      `n2's warm table does not schedule both reals:\n${directorRules(lab, "n2")}`,
    );
    assert.match(directorRules(lab, "n2"), /ip daddr 10\.250\.0\.100 tcp dport 80 meta pkttype host/);
    assert.equal(lab.vipOn("n2"), false);

    // 2. a keep-alive connection across `hbctl standby n1`
    const ka = new ProbeLog(lab.spawnIn("c", keepAliveScript(50, 5000)));
    assert.ok(
      await lab.waitFor(() => ka.probes.length >= 5, 10_000, 50),
      "the keep-alive client got no answer",
    );
    const first = ka.probes[0]?.answer ?? "-";
    assert.notEqual(first, "-", "the keep-alive client's first request failed");
    const at = Date.now();
    const sb = lab.ctl("n1", "standby", "n1");
    assert.equal(sb.code, 0, sb.err);
    await lab.settle("n2", 30_000);
    await sleep(1500);
    const end = Date.now() - 200;
    const after = ka.probes.filter((p) => p.end > at && p.end <= end);
    const answers = [...new Set(after.map((p) => p.answer))];
    const kaGap = ka.longestGap(at, end);
    t.diagnostic(
      `standby n1: keep-alive connection ${first}: answers ${JSON.stringify(answers)}, ${after.length} requests, longest gap ${kaGap} ms; new connections: gap ${lab.client.longestGap(at, end)} ms, failed ${lab.client.failed(at, end)}, answers ${JSON.stringify(tally(lab, at, end))}`,
    );
    assert.ok(after.length >= 10, "too few keep-alive requests around the move");
    assert.deepEqual(answers, [first], "the keep-alive connection broke or changed real");
    assert.equal(lab.directorPid("n2"), n2pid, "n2's director was restarted: the move was not warm");

    phase("keep-alive checked");
    // 3. back on n1, rs2 fails its checks on both directors; the next move sends nothing to rs2
    const on = lab.ctl("n2", "online", "n1");
    assert.equal(on.code, 0, on.err);
    await lab.settle("n1", 30_000);
    assert.ok(await lab.waitFor(() => lab.directorPid("n2") !== undefined, 15_000, 100));
    phase("back on n1");
    lab.exec(
      "rs2",
      "nft",
      "add table inet tdk_block; add chain inet tdk_block in { type filter hook input priority 0; policy accept; }; add rule inet tdk_block in tcp dport 80 drop",
    );
    const down = await lab.waitFor(
      () => !scheduled(lab, "n1", RS2) && !scheduled(lab, "n2", RS2) && scheduled(lab, "n2", RS1),
      15_000,
      100,
    );
    assert.ok(
      down,
      `rs2 is still scheduled:\nn1 ${directorRules(lab, "n1")}\nn2 ${directorRules(lab, "n2")}`,
    );
    phase("rs2 out of both tables");
    await sleep(500);
    const at2 = Date.now();
    const sb2 = lab.ctl("n1", "standby", "n1");
    assert.equal(sb2.code, 0, sb2.err);
    // (settle() would wait for rs2 to answer too)
    assert.ok(await lab.waitFor(() => lab.settledOn("n2"), 30_000, 250), `no move to n2\n${lab.tails()}`);
    await sleep(1500);
    const end2 = Date.now() - 1100;
    const seen = tally(lab, at2, end2);
    t.diagnostic(
      `rs2 down, standby n1: new connections gap ${lab.client.longestGap(at2, end2)} ms, failed ${lab.client.failed(at2, end2)}, answers ${JSON.stringify(seen)}`,
    );
    assert.equal(seen.rs2, undefined, "a real both directors knew was down got traffic after the move");
    assert.ok((seen.rs1 ?? 0) > 0, "rs1 did not answer after the move");
  } finally {
    lab.cleanup();
  }
});
