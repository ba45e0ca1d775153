// Goal: the fallback server does not flip in and out at a takeover (issue 15 §1): the standby's warm director has current health state, so when the VIP moves to it (power loss of the active node, its return with auto_failback, a planned standby and back) every new connection goes to a real server, never to the fallback; and the fallback does serve once no real is up (so the check can see it).
// Method: ClusterLab with `fallback=10.250.0.5:80 gate` (a third DR server answering "fb"), a client opening a new connection every 20 ms; power loss = hbd and director SIGKILLed, eth0 down; the client's answers are tallied over every move; finally both reals drop port 80 (nft in their own namespaces) and the client must get "fb". tdk-<pid>-* namespaces.
import assert from "node:assert/strict";
import { test } from "node:test";
import { skipReason } from "../daemon/lab.js";
import { ClusterLab, FALLBACK, REALS, sleep, tally, VIP } from "./lab.js";

test("warm director: the fallback server never serves at a takeover, failback or planned move", {
  skip: skipReason(),
  timeout: 240_000,
}, async (t) => {
  const lab = new ClusterLab({ autoFailback: "on", fallback: true });
  const t0 = Date.now();
  const phase = (what: string): void => t.diagnostic(`${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`);
  try {
    lab.start();
    await lab.settle("n1", 45_000);
    await lab.warmDirector("n2");
    await sleep(1500); // n2's director checks both reals at least once
    const from = Date.now();
    phase("settled on n1");

    // 1. power loss of n1: n2 takes over with its warm director's health state
    await lab.powerLossTakeover("n1", "n2");
    phase("n2 took over");
    // 2. n1 comes back (its director starts cold, then checks); auto_failback gives it the group again
    await lab.exited("n1", 5000);
    try {
      lab.exec("a", "ip", "addr", "del", `${VIP}/24`, "dev", "eth0");
    } catch {
      // not there
    }
    lab.exec("a", "ip", "link", "set", "eth0", "up");
    lab.startNode("n1");
    await lab.settle("n1", 45_000);
    phase("failed back to n1");
    // 3. a planned move and back
    const sb = lab.ctl("n1", "standby", "n1");
    assert.equal(sb.code, 0, sb.err);
    await lab.settle("n2", 30_000);
    const on = lab.ctl("n2", "online", "n1");
    assert.equal(on.code, 0, on.err);
    await lab.settle("n1", 30_000);
    await sleep(1000);
    const to = Date.now();
    const seen = tally(lab, from, to);
    t.diagnostic(`answers over the four moves: ${JSON.stringify(seen)}`);
    assert.equal(seen[FALLBACK], undefined, `the fallback served during a move: ${JSON.stringify(seen)}`);
    for (const rs of REALS) assert.ok((seen[rs] ?? 0) > 0, `${rs} never answered`);

    // 4. the fallback is really there: with both reals failing their checks it serves
    for (const rs of REALS)
      lab.exec(
        rs,
        "nft",
        "add table inet tdk_block; add chain inet tdk_block in { type filter hook input priority 0; policy accept; }; add rule inet tdk_block in tcp dport 80 drop",
      );
    const blocked = Date.now();
    assert.ok(
      await lab.waitFor(() => lab.client.firstAnswer(FALLBACK, blocked) !== undefined, 15_000, 100),
      `the fallback never served with both reals down: ${JSON.stringify(tally(lab, blocked, Date.now()))}`,
    );
    phase("fallback serves with both reals down");
  } finally {
    lab.cleanup();
  }
});
