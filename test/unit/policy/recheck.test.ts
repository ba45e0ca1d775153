// Goal: the policy says when it must run again by itself (Transition.recheckAtMs, Pacemaker's recheck-by): the first instant a recorded failure
// expires by failure-timeout, and never for failures without one. Method: CIBs with failures recorded
// by policy/inject opFail at a known time; schedule() at the computed instant agrees that it expired.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Cib } from "../../../src/cib/model.js";
import { convertHaresources } from "../../../src/config/to-cib.js";
import { nodeUp, opFail } from "../../../src/policy/inject.js";
import { schedule } from "../../../src/policy/schedule.js";

const at = { file: "haresources", line: 1 };
const RSC = "IPaddr2_10_0_0_100";
function cib(defaults: Record<string, string>): Cib {
  const c = convertHaresources(
    [{ key: "ip", node: "n1", at, resources: [{ type: "IPaddr2", args: ["10.0.0.100/24/eth0"], at }] }],
    { autoFailback: "on", nodes: ["n1", "n2"] },
  );
  const nvpairs = Object.entries(defaults).map(([name, value]) => ({ id: `d-${name}`, name, value }));
  return nodeUp(
    nodeUp(
      {
        ...c,
        configuration: { ...c.configuration, rscDefaults: [{ kind: "meta_attributes", id: "d", nvpairs }] },
      },
      "n1",
    ),
    "n2",
  );
}
const T0 = 1_700_000_000_000;

test("the expiry instant is last failure + failure-timeout + 1 ms, and the policy agrees on both sides of it", () => {
  const failed = opFail(
    cib({ "migration-threshold": "1", "failure-timeout": "90s" }),
    { rsc: RSC, op: "monitor", intervalMs: 10000, node: "n1", rc: 7 },
    T0,
  );
  const t = schedule(failed, T0 + 5000).recheckAtMs;
  assert.equal(t, T0 + 90_000 + 1);
  const where = (now: number) =>
    schedule(failed, now)
      .summary.map((s) => `${s.verb} ${s.node}${s.to ? `->${s.to}` : ""}`)
      .join(",");
  assert.match(where((t as number) - 1), /n2/, "just before: the failure still bans n1");
  assert.doesNotMatch(where(t as number), /->n2|start n2/, "at the instant: n1 is allowed again");
  assert.equal(schedule(failed, t as number).recheckAtMs, undefined, "nothing left to expire");
});

test("no failure-timeout, or no failure: no recheck", () => {
  const spec = { rsc: RSC, op: "monitor", intervalMs: 10000, node: "n1", rc: 7 };
  assert.equal(schedule(opFail(cib({ "migration-threshold": "1" }), spec, T0), T0).recheckAtMs, undefined);
  assert.equal(schedule(cib({ "failure-timeout": "90s" }), T0).recheckAtMs, undefined);
});
