// Goal: failed recurring monitors (monitor-failures.ts): a node reports a failure to its DC on every failed run until the DC's
// status shows it, logs it once, remembers a not-running result; the DC records a failure once (history and fail count) for a
// known resource on a member node, and schedules. Plus the pure failureRecorded and the policy input (policy-input.ts).
// Method: one MonitorFailures with recording ports; CIBs from XML.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Cib } from "../../../src/cib/model.js";
import { parseCib } from "../../../src/cib/parse.js";
import { INFINITY } from "../../../src/cib/score.js";
import type { CrmMessage } from "../../../src/daemon/crm-messages.js";
import { failureRecorded, MonitorFailures } from "../../../src/daemon/monitor-failures.js";
import { haveQuorum, policyInput } from "../../../src/daemon/policy-input.js";
import type { ActionResult } from "../../../src/exec/types.js";
import { doneResult } from "../../helpers.js";

function cibOf(status = ""): Cib {
  const xml = `<cib admin_epoch="0" epoch="1" num_updates="0"><configuration><crm_config/>
<nodes><node id="n1" uname="n1"/><node id="n2" uname="n2"/></nodes>
<resources><primitive id="rsc" class="ocf" provider="heartbeat" type="Dummy"/><primitive id="other" class="ocf" provider="heartbeat" type="Dummy"/></resources>
<constraints/></configuration><status>${status}</status></cib>`;
  const p = parseCib(xml);
  if (p.value === undefined) throw new Error(JSON.stringify(p.diagnostics));
  return p.value;
}

const FAILED_ON_N2 = `<node_state id="n2" uname="n2" in_ccm="true" crmd="online" join="member" expected="member"><lrm id="n2"><lrm_resources>
<lrm_resource id="rsc" class="ocf" provider="heartbeat" type="Dummy"><lrm_rsc_op id="rsc_monitor_10000" operation="monitor" call-id="3" rc-code="7" op-status="0" interval="10000"/></lrm_resource>
</lrm_resources></lrm></node_state>`;

class Rig {
  dc: string | undefined = "n1";
  cib = cibOf();
  readonly sent: string[] = [];
  readonly warns: string[] = [];
  readonly reported = new Set<string>();
  readonly notRunning: string[] = [];
  readonly alerts: string[] = [];
  changes = 0;
  kicks = 0;
  readonly m: MonitorFailures;

  constructor(local: string) {
    this.m = new MonitorFailures({
      localNode: local,
      log: {
        debug: () => {},
        info: () => {},
        warn: (f) => this.warns.push(String((f as { event?: string }).event)),
        error: () => {},
      },
      now: () => 1_800_000_000_000,
      send: (msg: CrmMessage, dest) => this.sent.push(`${msg.k} ${dest}`),
      alert: (e) => this.alerts.push(e.kind),
      reported: this.reported,
      notRunning: (r) => this.notRunning.push(r),
      cib: () => this.cib,
      setStatus: (c) => {
        this.cib = c;
      },
      isDc: () => this.dc === local,
      dc: () => this.dc,
      isActive: (n) => n === "n1" || n === "n2",
      changed: () => this.changes++,
      kick: () => this.kicks++,
    });
  }
}

const monitor = (rc: number, status: ActionResult["status"] = "done"): ActionResult => ({
  ...doneResult({ rscId: "rsc", op: "monitor", intervalMs: 10_000 }, rc, rc === 0 ? "" : "failed"),
  status,
});

test("a node reports a failed monitor to its DC on every run until the DC's status shows it, and logs it once", () => {
  const rig = new Rig("n2");
  rig.m.onResult(monitor(7));
  rig.m.onResult(monitor(7));
  assert.deepEqual(rig.sent, ["monitor-failed n1", "monitor-failed n1"]);
  assert.deepEqual(rig.warns, ["monitor-failed"]);
  assert.deepEqual(rig.notRunning, ["rsc", "rsc"]);
  assert.deepEqual(rig.alerts, ["op", "op"]);
  rig.cib = cibOf(FAILED_ON_N2); // the DC's status arrived
  rig.m.onResult(monitor(7));
  assert.equal(rig.sent.length, 2, "shown: not sent again");
  rig.m.onResult(monitor(0));
  assert.equal(rig.reported.size, 0, "a success clears the report");
});

test("no DC: the failure is reported on the next run; a timeout counts as rc 1", () => {
  const rig = new Rig("n2");
  rig.dc = undefined;
  rig.m.onResult(monitor(0, "timeout"));
  assert.deepEqual(rig.sent, []);
  assert.equal(rig.reported.size, 0);
  rig.dc = "n1";
  rig.m.onResult(monitor(0, "timeout"));
  assert.deepEqual(rig.sent, ["monitor-failed n1"]);
  assert.deepEqual(rig.notRunning, [], "rc 1, not 7");
});

test("the DC records a failure once, for a known resource on a member node, and schedules", () => {
  const rig = new Rig("n1");
  rig.m.failed("n2", "rsc", 10_000, 7, "not running");
  assert.equal(failureRecorded(rig.cib, "n2", "rsc", 10_000, 7), true);
  assert.equal(rig.changes, 1);
  rig.m.failed("n2", "rsc", 10_000, 7, "not running");
  assert.equal(rig.changes, 1, "a report sent again");
  rig.m.failed("n3", "rsc", 10_000, 7, "");
  rig.m.failed("n2", "gone", 10_000, 7, "");
  assert.equal(rig.changes, 1, "not a member; not a resource");
  rig.m.onResult(monitor(1)); // its own failure: recorded directly
  assert.equal(failureRecorded(rig.cib, "n1", "rsc", 10_000, 1), true);
  assert.deepEqual(rig.sent, []);
  assert.equal(rig.kicks, 1);
});

test("failureRecorded: only the same monitor with the same rc", () => {
  const cib = cibOf(FAILED_ON_N2);
  assert.equal(failureRecorded(cib, "n2", "rsc", 10_000, 7), true);
  assert.equal(failureRecorded(cib, "n2", "rsc", 10_000, 1), false);
  assert.equal(failureRecorded(cib, "n2", "rsc", 5000, 7), false);
  assert.equal(failureRecorded(cib, "n1", "rsc", 10_000, 7), false);
});

test("quorum: more than half of the configured nodes, or one of two", () => {
  assert.equal(haveQuorum(["n1", "n2"], []), true);
  assert.equal(haveQuorum(["n1", "n2", "n3"], []), false);
  assert.equal(haveQuorum(["n1", "n2", "n3"], ["n2"]), true);
  assert.equal(haveQuorum(["n1", "n2", "n3", "n4"], ["n2"]), false);
  assert.equal(haveQuorum(["n1", "n2", "n3"], ["x9"]), false, "a node not configured does not count");
});

test("the policy input: quorum set; the resource protocol's hold bans every other resource here", () => {
  const cib = cibOf();
  assert.equal(policyInput(cib, false, "n1", undefined).haveQuorum, false);
  assert.deepEqual(policyInput(cib, true, "n1", undefined).configuration, cib.configuration);
  const held = policyInput(cib, true, "n1", new Set(["rsc"]));
  assert.deepEqual(held.configuration.constraints.locations, [
    { id: "r1-hold-other", rsc: "other", node: "n1", score: -INFINITY, rules: [] },
  ]);
  assert.equal(policyInput(cib, true, "n1", new Set(["rsc", "other"])).configuration, cib.configuration);
});
