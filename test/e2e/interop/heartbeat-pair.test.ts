// Goal: the interop lab itself is sound: two real Heartbeat 3.0.6 nodes see each other active and detect each other's death.
// Method: control run of the real/hbd story (scenario.ts) with a real node on both sides, in network, mount and UTS namespaces (root).
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { InteropLab, labUnavailable } from "./lab.js";
import { interopStory } from "./scenario.js";

const timing = { keepaliveMs: 200, deadtimeMs: 1000, warntimeMs: 600, initdeadMs: 2000 };
let lab: InteropLab | undefined;
after(() => lab?.cleanup());

test("two real Heartbeat nodes: both active, each detects the other's death (SIGKILL + link down)", async () => {
  const why = labUnavailable(["heartbeat"]);
  assert.equal(why, undefined, why);
  lab = new InteropLab(
    [
      { name: "node1", kind: "heartbeat" },
      { name: "node2", kind: "heartbeat" },
    ],
    timing,
  );
  const detections = await interopStory(lab, "node1", "node2", "heartbeat");
  for (const d of detections) console.log(`# ${d.observer} saw ${d.victim} dead after ${d.ms} ms`);
});
