// Goal: after the full copy, the DC's status updates carry only what changed, rebuild exactly the DC's
// CIB on a peer at the base version, and are refused (full copy needed) at any other version.
// Method: CIBs built with the policy's inject helpers; results compared as serialized XML.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Cib } from "../../../src/cib/model.js";
import { serializeCib } from "../../../src/cib/serialize.js";
import { convertHaresources } from "../../../src/config/to-cib.js";
import { bumpEpoch, bumpUpdates } from "../../../src/daemon/cib-store.js";
import { applyStatusUpdate, statusUpdate } from "../../../src/daemon/replication.js";
import { nodeDown, nodeUp, opFail } from "../../../src/policy/inject.js";

const at = { file: "haresources", line: 1 };
const base = (): Cib =>
  nodeUp(
    nodeUp(
      convertHaresources(
        [
          {
            key: "ip",
            node: "n1",
            at,
            resources: [
              { type: "IPaddr2", args: ["10.0.0.100/24/eth0"], at },
              { type: "Dummy", args: [], at },
            ],
          },
        ],
        { autoFailback: "on", nodes: ["n1", "n2"] },
      ),
      "n1",
    ),
    "n2",
  );
const T = 1_700_000_000_000;

test("an update holds only the changed node_state and rebuilds the DC's CIB exactly", () => {
  const prev = base();
  const next = bumpUpdates(opFail(prev, { rsc: "Dummy", op: "start", intervalMs: 0, node: "n2", rc: 0 }, T));
  const u = statusUpdate(prev, next);
  assert.ok(u);
  assert.equal(u.base, `${prev.adminEpoch}.${prev.epoch}.${prev.numUpdates}`);
  assert.match(u.cib, /uname="n2"/);
  assert.doesNotMatch(u.cib, /uname="n1"/, "n1's entry did not change and is not sent");
  assert.ok(u.cib.length < serializeCib(next).length / 2, `${u.cib.length} vs ${serializeCib(next).length}`);
  const applied = applyStatusUpdate(prev, u);
  assert.ok(applied);
  assert.equal(serializeCib(applied), serializeCib(next));
});

test("a removed or added node_state travels too", () => {
  const prev = base();
  const next = bumpUpdates({ ...prev, status: prev.status.filter((s) => s.uname !== "n1") });
  const u = statusUpdate(prev, next);
  assert.ok(u);
  assert.equal(u.removed.length, 1);
  assert.equal(serializeCib(applyStatusUpdate(prev, u) as Cib), serializeCib(next));
  const back = bumpUpdates(nodeDown(next, "n1"));
  const u2 = statusUpdate(next, back) as NonNullable<ReturnType<typeof statusUpdate>>;
  assert.equal(serializeCib(applyStatusUpdate(next, u2) as Cib), serializeCib(back));
});

test("a peer at another version, a configuration change or junk: no update, a full copy is needed", () => {
  const prev = base();
  const next = bumpUpdates(opFail(prev, { rsc: "Dummy", op: "start", intervalMs: 0, node: "n2", rc: 0 }, T));
  const u = statusUpdate(prev, next) as NonNullable<ReturnType<typeof statusUpdate>>;
  assert.equal(applyStatusUpdate(next, u), undefined, "already past the base");
  assert.equal(applyStatusUpdate(bumpUpdates(prev), u), undefined, "missed an update");
  assert.equal(statusUpdate(prev, bumpEpoch(next)), undefined, "configuration changed");
  assert.equal(applyStatusUpdate(prev, { ...u, cib: "<cib" }), undefined);
});
