// Goal: the CIB's <alerts> section is read as Pacemaker reads it (recipients, meta and instance attributes with
// recipient overrides, select, enabled=false, bad entries reported), controller inputs become the events Pacemaker
// alerts for (expected probes and unchanged recurring monitors send nothing; a DC change is an `#is_dc` attribute
// alert), and each call carries Pacemaker's CRM_alert_* / CRM_notify_* environment.
// Method: pure functions on parsed CIB text; CRM_alert_timestamp compared with the real date(1) for every
// conversion it supports, in two time zones.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";
import { parseCib } from "../../../src/cib/parse.js";
import { serializeCib } from "../../../src/cib/serialize.js";
import { formatTimestamp } from "../../../src/daemon/alert-time.js";
import {
  type AlertEvent,
  AlertFilter,
  alertCalls,
  alertsFromCib,
  resourceDesc,
} from "../../../src/daemon/alerts.js";
import type { ActionResult } from "../../../src/exec/types.js";
import { cibWithAlerts } from "./alert-fixtures.js";

const FULL = `
<alert id="file" path="/usr/share/pacemaker/alerts/alert_file.sh.sample">
  <instance_attributes id="i"><nvpair id="i1" name="debug_exec_order" value="false"/><nvpair id="i2" name="x" value="alert"/></instance_attributes>
  <meta_attributes id="m"><nvpair id="m1" name="timeout" value="15s"/></meta_attributes>
  <recipient id="r1" value="/var/log/a.log">
    <meta_attributes id="r1m"><nvpair id="r1m1" name="timestamp-format" value="%D %H:%M"/></meta_attributes>
    <instance_attributes id="r1i"><nvpair id="r1i1" name="x" value="recipient"/></instance_attributes>
  </recipient>
  <recipient id="r2" value="/var/log/b.log"/>
  <recipient id="r3" value="/var/log/c.log"><meta_attributes id="r3m"><nvpair id="r3m1" name="enabled" value="false"/></meta_attributes></recipient>
</alert>
<alert id="nodes-only" path="/bin/true"><select><select_nodes/><select_fencing/></select></alert>
<alert id="dc" path="/bin/true"><select><select_attributes><attribute id="a1" name="#is_dc"/></select_attributes></select></alert>
<alert id="off" path="/bin/true"><meta_attributes id="om"><nvpair id="om1" name="enabled" value="false"/></meta_attributes></alert>
<alert id="relative" path="alert.sh"/>
<alert id="badtime" path="/bin/true"><meta_attributes id="bm"><nvpair id="bm1" name="timeout" value="soon"/></meta_attributes></alert>`;

test("alertsFromCib: recipients, meta/instance attributes with recipient overrides, select, enabled, problems", () => {
  const cib = cibWithAlerts(FULL);
  const { alerts, problems } = alertsFromCib(cib);
  assert.deepEqual(
    alerts.map((a) => a.id),
    ["file", "nodes-only", "dc", "badtime"],
  );
  const file = alerts[0];
  assert.ok(file);
  assert.deepEqual([...file.kinds].sort(), ["fencing", "node", "resource"]);
  assert.deepEqual(
    file.recipients.map((r) => [r.id, r.value, r.timeoutMs, r.timestampFormat, r.env.x]),
    [
      ["r1", "/var/log/a.log", 15_000, "%D %H:%M", "recipient"],
      ["r2", "/var/log/b.log", 15_000, "%H:%M:%S.%06N", "alert"],
    ],
  );
  assert.equal(file.recipients[1]?.env.debug_exec_order, "false");
  assert.deepEqual([...(alerts[1]?.kinds ?? [])].sort(), ["fencing", "node"]);
  assert.deepEqual([...(alerts[2]?.kinds ?? [])], ["attribute"]);
  assert.deepEqual([...(alerts[2]?.attributes ?? [])], ["#is_dc"]);
  // no recipient: called once with an empty recipient
  assert.deepEqual(
    alerts[1]?.recipients.map((r) => [r.id, r.value, r.timeoutMs]),
    [["nodes-only", undefined, 30_000]],
  );
  assert.equal(problems.length, 2);
  assert.match(problems[0] ?? "", /alert relative: path "alert.sh" is not an absolute path/);
  assert.match(problems[1] ?? "", /alert badtime recipient badtime: timeout "soon"/);
  // the section survives the CIB's own round trip (replication, hbctl cib show / apply)
  const again = parseCib(serializeCib(cib)).value;
  assert.ok(again);
  assert.deepEqual(alertsFromCib(again).alerts.length, 4);
});

test("alertsFromCib: a CIB without <alerts> has none", () => {
  const p = parseCib(
    `<cib admin_epoch="0" epoch="1" num_updates="0"><configuration><crm_config/><nodes/><resources/><constraints/></configuration><status/></cib>`,
  );
  assert.ok(p.value);
  assert.deepEqual(alertsFromCib(p.value), { alerts: [], problems: [] });
});

function result(
  op: string,
  intervalMs: number,
  rc: number,
  status: ActionResult["status"] = "done",
): ActionResult {
  return {
    rscId: "vip",
    op,
    intervalMs,
    rc,
    rcName: "",
    status,
    exitCode: rc,
    signal: null,
    durationMs: 12.4,
    stdoutTail: "",
    stderrTail: "",
    reason: "",
  };
}

test("AlertFilter: probes as expected, unchanged recurring monitors and a known DC send nothing", () => {
  const f = new AlertFilter();
  const op = (r: ActionResult) => f.accept({ kind: "op", node: "n1", result: r });
  assert.equal(op(result("monitor", 0, 7)), undefined, "probe: not running, as expected");
  assert.deepEqual(op(result("monitor", 0, 0)), {
    kind: "resource",
    node: "n1",
    rsc: "vip",
    task: "monitor",
    intervalMs: 0,
    rc: 0,
    status: 0,
    targetRc: 7,
    execMs: 12,
  });
  assert.equal(op(result("start", 0, 0))?.kind, "resource");
  assert.equal(op(result("monitor", 10_000, 0))?.kind, "resource", "first result of a recurring monitor");
  assert.equal(op(result("monitor", 10_000, 0)), undefined, "same result again");
  const failed = op(result("monitor", 10_000, 7));
  assert.equal(failed?.kind === "resource" && failed.rc, 7);
  assert.equal(op(result("monitor", 10_000, 7)), undefined);
  assert.equal(op(result("stop", 0, 0))?.kind, "resource");
  assert.equal(op(result("monitor", 10_000, 7))?.kind, "resource", "a stop forgets the last result");
  const timeout = op(result("start", 0, 1, "timeout"));
  assert.equal(timeout?.kind === "resource" && timeout.status, 2);

  assert.equal(f.accept({ kind: "dc", node: undefined }), undefined);
  assert.deepEqual(f.accept({ kind: "dc", node: "n1" }), {
    kind: "attribute",
    node: "n1",
    name: "#is_dc",
    value: "true",
  });
  assert.equal(f.accept({ kind: "dc", node: "n1" }), undefined);
  assert.equal(f.accept({ kind: "dc", node: undefined }), undefined, "an election in progress");
  assert.equal(f.accept({ kind: "dc", node: "n1" }), undefined, "the same DC again");
  assert.equal(f.accept({ kind: "dc", node: "n2" })?.kind, "attribute");

  const fence = f.accept({
    kind: "fencing",
    target: "n2",
    action: "reboot",
    executioner: "n1",
    ok: false,
    reason: "timed out",
  });
  assert.deepEqual(fence, {
    kind: "fencing",
    node: "n2",
    task: "reboot",
    rc: 1,
    desc: "Operation reboot of n2 by n1 for hbd@n1: Error occurred (timed out)",
  });
});

test("resourceDesc: Pacemaker's words for an rc, or for the execution status", () => {
  assert.equal(resourceDesc(0, 0), "ok");
  assert.equal(resourceDesc(0, 1), "error");
  assert.equal(resourceDesc(0, 7), "not running");
  assert.equal(resourceDesc(2, 1), "Timed Out");
  assert.equal(resourceDesc(4, 1), "Error");
  assert.equal(resourceDesc(7, 5), "Not installed");
});

test("alertCalls: one call per selected alert and recipient, with Pacemaker's environment", () => {
  const { alerts } = alertsFromCib(cibWithAlerts(FULL));
  let seq = 0;
  const ctx = {
    epochUs: 1_700_000_000_123_456,
    nextSequence: () => ++seq,
    nodeId: (n: string) => ({ n1: "101", n2: "102" })[n] ?? n,
    timeZone: "UTC",
  };
  const lost: AlertEvent = { kind: "node", node: "n2", state: "lost" };
  const calls = alertCalls(alerts, lost, ctx);
  assert.deepEqual(
    calls.map((c) => [c.alertId, c.recipientId, c.env.CRM_alert_node_sequence]),
    [
      ["file", "r1", "1"],
      ["file", "r2", "2"],
      ["nodes-only", "nodes-only", "3"],
      ["badtime", "badtime", "4"],
    ],
  );
  const env = calls[1]?.env ?? {};
  assert.equal(env.CRM_alert_kind, "node");
  assert.equal(env.CRM_alert_node, "n2");
  assert.equal(env.CRM_alert_nodeid, "102");
  assert.equal(env.CRM_alert_desc, "lost");
  assert.equal(env.CRM_alert_recipient, "/var/log/b.log");
  assert.equal(env.CRM_alert_version, "2.1.5");
  assert.equal(env.CRM_alert_timestamp, "22:13:20.123456");
  assert.equal(env.CRM_alert_timestamp_epoch, "1700000000");
  assert.equal(env.CRM_alert_timestamp_usec, "123456");
  assert.equal(env.CRM_notify_desc, "lost", "the old CRM_notify_* names too");
  assert.equal(env.CRM_notify_timestamp_epoch, undefined, "only the keys Pacemaker has under both names");
  assert.equal(env.debug_exec_order, "false", "instance attributes");
  assert.equal(calls[0]?.env.CRM_alert_timestamp, "11/14/23 22:13", "recipient's timestamp-format");
  assert.equal(calls[2]?.env.CRM_alert_recipient, "");

  const start: AlertEvent = {
    kind: "resource",
    node: "n1",
    rsc: "vip",
    task: "start",
    intervalMs: 0,
    rc: 0,
    status: 0,
    targetRc: 0,
    execMs: 40,
  };
  const rcalls = alertCalls(alerts, start, ctx);
  assert.deepEqual(
    rcalls.map((c) => c.alertId),
    ["file", "file", "badtime"],
    "nodes-only does not select resources",
  );
  const r = rcalls[0]?.env ?? {};
  assert.deepEqual(
    [r.CRM_alert_rsc, r.CRM_alert_task, r.CRM_alert_interval, r.CRM_alert_target_rc, r.CRM_alert_status],
    ["vip", "start", "0", "0", "0"],
  );
  assert.deepEqual([r.CRM_alert_rc, r.CRM_alert_exec_time, r.CRM_alert_desc], ["0", "40", "ok"]);

  const dc = alertCalls(alerts, { kind: "attribute", node: "n1", name: "#is_dc", value: "true" }, ctx);
  assert.deepEqual(
    dc.map((c) => [c.alertId, c.env.CRM_alert_attribute_name, c.env.CRM_alert_attribute_value]),
    [["dc", "#is_dc", "true"]],
    "attribute alerts only where selected",
  );
  const other = alertCalls(alerts, { kind: "attribute", node: "n1", name: "pingd", value: "1" }, ctx);
  assert.deepEqual(other, [], "an attribute not in the alert's list");
});

test("formatTimestamp agrees with date(1) in three time zones", () => {
  const formats = [
    "%H:%M:%S.%06N",
    "%Y-%m-%d,%H:%M:%S.%01N",
    "%D %H:%M",
    "%c",
    "%a %A %b %B %h %C %d %e %F %I %j %k %l %m %M %p %P %r %R %s %S %T %u %w %y %Y %z %Z %x %X %%",
    "%3N %N literal text",
  ];
  const instants = [1_700_000_000_123_456, 1_719_835_200_999_999, 946_684_799_000_001, 1_711_846_800_500_000];
  for (const tz of ["UTC", "Europe/Berlin", "America/New_York"])
    for (const us of instants)
      for (const fmt of formats) {
        const s = Math.floor(us / 1e6);
        const frac = String(us % 1e6).padStart(6, "0");
        const want = execFileSync("date", ["-d", `@${s}.${frac}`, `+${fmt}`], {
          env: { TZ: tz, LC_ALL: "C", PATH: process.env.PATH ?? "/usr/bin:/bin" },
          encoding: "utf8",
        }).replace(/\n$/, "");
        assert.equal(formatTimestamp(fmt, us, tz), want, `${fmt} at ${us} in ${tz}`);
      }
});
