// admin-forward.ts: a change handed to the DC is answered by that DC's verdict only, or reported unconfirmed.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ADMIN_ANSWER_MS, AdminForward } from "../../../src/daemon/admin-forward.js";
import { IpcRefusal } from "../../../src/ipc/protocol.js";

function harness() {
  const sent: { rid: number; dc: string }[] = [];
  const timers: { fn: () => void; ms: number; cleared: boolean }[] = [];
  const f = new AdminForward({
    timers: {
      setTimeout: (fn, ms) => {
        const t = { fn, ms, cleared: false };
        timers.push(t);
        return t;
      },
      clearTimeout: (h) => {
        (h as { cleared: boolean }).cleared = true;
      },
    },
    send: (m, dc) => sent.push({ rid: m.rid, dc }),
  });
  return { f, sent, timers };
}

const req = { op: "standby", node: "n2", on: true } as never;

test("the verdict of the DC the change went to settles it; another node's does not", async () => {
  const h = harness();
  const p = h.f.forward(req, "n2 standby", "n1");
  assert.deepEqual(h.sent, [{ rid: 1, dc: "n1" }]);
  h.f.verdict("n3", 1, false, "forged");
  h.f.verdict("n1", 1, true, "n2 standby on");
  assert.deepEqual(await p, { message: "n2 standby on (applied by the DC n1)" });
  assert.equal(h.timers[0]?.cleared, true);
  const refused = h.f.forward(req, "n2 standby", "n1");
  h.f.verdict("n1", 2, false, "no such node");
  await assert.rejects(
    refused,
    (e) => e instanceof IpcRefusal && /the DC n1 refused: no such node/.test(e.message),
  );
});

test("without a verdict in time the change is reported unconfirmed (unavailable), and a late verdict is ignored", async () => {
  const h = harness();
  const p = h.f.forward(req, "n2 standby", "n1");
  assert.equal(h.timers[0]?.ms, ADMIN_ANSWER_MS);
  h.timers[0]?.fn();
  await assert.rejects(p, (e) => e instanceof IpcRefusal && /not confirmed by the DC n1/.test(e.message));
  h.f.verdict("n1", 1, true, "late");
});
