// Goal: the warm director in NAT (issue 15 §1-2): the standby runs hb-director with the same masquerading table, guarded by `fib daddr type local`, so it forwards nothing while the VIP is elsewhere and serves as soon as the VIP arrives (planned move and power loss), without its director being restarted; and what happens to an established NAT connection at a planned move (its translation lives in the old holder's conntrack: docs/ARCHITECTURE.md).
// Method: ClusterLab with `method: "masq"`: the reals (no VIP) route the client's address via the VIP, the directors forward (ip_forward=1, no redirects); a client opening a new connection every 20 ms and a keep-alive client on one connection; state from `ip -n`, pid files, `nft` and `hbctl status --json`. tdk-<pid>-* namespaces.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ProbeLog } from "../../../bench/failover-lab.js";
import { skipReason } from "../daemon/lab.js";
import { ClusterLab, REALS, ROLE, sleep, tally, VIP } from "./lab.js";

/** A keep-alive client on one connection (agent keepAlive, maxSockets 1): "start end answer@localport". */
const keepAliveScript = `
const http = require("node:http");
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
let pending = "";
const one = () => {
  const start = Date.now();
  let done = false;
  const fin = (a) => { if (!done) { done = true; clearTimeout(t); pending += start + " " + Date.now() + " " + a + "\\n"; setTimeout(one, 50); } };
  const req = http.get({ host: ${JSON.stringify(VIP)}, port: 80, path: "/", agent }, (res) => {
    let body = "";
    const port = res.socket && res.socket.localPort;
    res.setEncoding("utf8");
    res.on("data", (d) => (body += d));
    res.on("end", () => fin((body.trim() || "?") + "@" + port));
    res.on("error", () => fin("-"));
  });
  const t = setTimeout(() => { req.destroy(); fin("-"); }, 2000);
  req.on("error", () => fin("-"));
};
one();
setInterval(() => { if (pending) { process.stdout.write(pending); pending = ""; } }, 10);
setTimeout(() => process.exit(0), 300000);
`;

test("warm director in NAT: the standby's guarded table serves once the VIP arrives; an established connection is re-made", {
  skip: skipReason(),
  timeout: 240_000,
}, async (t) => {
  const lab = new ClusterLab({ autoFailback: "on", method: "masq" });
  try {
    lab.start();
    await lab.settle("n1", 45_000);
    const n2pid = await lab.warmDirector("n2");
    const rules = lab.exec(ROLE.n2, "nft", "list", "ruleset");
    assert.match(rules, /fib daddr type local/, `n2's NAT table is not guarded:\n${rules}`);
    assert.match(rules, /dnat/, `n2's table has no NAT rule:\n${rules}`);

    // planned move: new connections through n2, its director not restarted
    const ka = new ProbeLog(lab.spawnIn("c", keepAliveScript));
    assert.ok(
      await lab.waitFor(() => ka.probes.length >= 5, 10_000, 50),
      "the keep-alive client got no answer",
    );
    const kaFirst = ka.probes[0]?.answer ?? "-";
    const at = Date.now();
    const sb = lab.ctl("n1", "standby", "n1");
    assert.equal(sb.code, 0, sb.err);
    await lab.settle("n2", 30_000);
    await sleep(1500);
    const end = Date.now() - 200;
    const kaAfter = [...new Set(ka.probes.filter((p) => p.end > at && p.end <= end).map((p) => p.answer))];
    t.diagnostic(
      `standby n1 (NAT): new connections gap ${lab.client.longestGap(at, end)} ms, failed ${lab.client.failed(at, end)}, answers ${JSON.stringify(tally(lab, at, end))}; keep-alive ${kaFirst} then ${JSON.stringify(kaAfter)}`,
    );
    assert.equal(lab.directorPid("n2"), n2pid, "n2's director was restarted: the move was not warm");
    const late = ka.probes.filter((p) => p.start > end - 1000 && p.end <= end);
    assert.ok(
      late.length > 0 && late.every((p) => p.answer !== "-"),
      `the keep-alive client does not get answers after the move: ${JSON.stringify(late)}`,
    );

    // back, then a power loss of n1: n2's warm table serves as soon as the VIP is there
    const on = lab.ctl("n2", "online", "n1");
    assert.equal(on.code, 0, on.err);
    await lab.settle("n1", 30_000);
    const lost = Date.now();
    await lab.powerLossTakeover("n1", "n2");
    const seen = tally(lab, lost, Date.now());
    t.diagnostic(`power loss n1 (NAT): answers ${JSON.stringify(seen)}`);
    for (const rs of REALS) assert.ok((seen[rs] ?? 0) > 0, `${rs} never answered through n2`);
    assert.equal(lab.directorPid("n2"), n2pid, "n2's director was restarted at the takeover");
  } finally {
    lab.cleanup();
  }
});
