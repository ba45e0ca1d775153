// Goal: a real Heartbeat 3.0.6 node and hbd form one cluster: each reports the other active and detects its death in time.
// Method: namespaces lab (lab.ts): node1 runs Debian's heartbeat (own /etc/ha.d, /var/lib/heartbeat, /run, hostname), node2 runs hbd; ucast, sha1; SIGKILL + link down (root).
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { InteropLab, labUnavailable } from "./lab.js";
import { interopStory } from "./scenario.js";

const timing = { keepaliveMs: 200, deadtimeMs: 1000, warntimeMs: 600, initdeadMs: 2000 };
let lab: InteropLab | undefined;
after(() => lab?.cleanup());

test("real Heartbeat node1 and hbd node2: both active, each detects the other's death (SIGKILL + link down)", async () => {
  const why = labUnavailable(["heartbeat", "hbd"]);
  assert.equal(why, undefined, why);
  lab = new InteropLab(
    [
      { name: "node1", kind: "heartbeat" },
      { name: "node2", kind: "hbd" },
    ],
    timing,
  );
  const detections = await interopStory(lab, "node1", "node2", "hbd");
  for (const d of detections) console.log(`# ${d.observer} saw ${d.victim} dead after ${d.ms} ms`);
});
