// Goal: administrative changes (admin.ts) on their own: the DC applies a change only once saved and refuses it when the save
// fails; a non-DC hands it to the DC and waits for its verdict; a peer's request is checked again and answered; no DC: refused.
// Method: one Admin with recording ports (a CIB store that can fail) and fake timers.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Cib } from "../../../src/cib/model.js";
import { parseCib } from "../../../src/cib/parse.js";
import { Admin } from "../../../src/daemon/admin.js";
import { bumpEpoch, formatCibVersion } from "../../../src/daemon/cib-version.js";
import type { CrmMessage } from "../../../src/daemon/crm-messages.js";
import type { TimerPort } from "../../../src/exec/types.js";
import { IpcRefusal } from "../../../src/ipc/protocol.js";

function cibOf(): Cib {
  const xml = `<cib admin_epoch="0" epoch="2" num_updates="0"><configuration><crm_config/>
<nodes><node id="n1" uname="n1"/><node id="n2" uname="n2"/></nodes>
<resources><primitive id="rsc" class="ocf" provider="heartbeat" type="Dummy"/></resources><constraints/></configuration><status/></cib>`;
  const p = parseCib(xml);
  if (p.value === undefined) throw new Error(JSON.stringify(p.diagnostics));
  return p.value;
}

class Rig {
  dc: string | undefined = "n1";
  cib = cibOf();
  failSave: string | undefined;
  readonly sent: { msg: CrmMessage; dest: string }[] = [];
  readonly timers: (() => void)[] = [];
  changes = 0;
  kicks = 0;
  readonly admin: Admin;

  constructor(local: string) {
    const timers: TimerPort = {
      setTimeout: (fn) => {
        this.timers.push(fn);
        return this.timers.length as unknown as ReturnType<TimerPort["setTimeout"]>;
      },
      clearTimeout: () => {},
    } as TimerPort;
    this.admin = new Admin({
      localNode: local,
      nodes: ["n1", "n2"],
      log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
      send: (msg, dest) => this.sent.push({ msg, dest }),
      timers,
      cib: () => this.cib,
      isDc: () => this.dc === local,
      dc: () => this.dc,
      commitConfig: (c) => {
        if (this.failSave !== undefined) return this.failSave;
        this.cib = bumpEpoch(c);
        return undefined;
      },
      set: (c, kind) => {
        this.cib = kind === "config" ? bumpEpoch(c) : c;
      },
      changed: () => this.changes++,
      kickSoon: () => this.kicks++,
    });
  }
}

const standby = (cib: Cib, node: string) =>
  cib.configuration.nodes
    .find((n) => n.uname === node)
    ?.instanceAttributes.flatMap((set) => set.nvpairs)
    .find((a) => a.name === "standby")?.value;

test("DC: an attribute is set once saved; a failed save refuses it and changes nothing; an unknown node is refused", () => {
  const rig = new Rig("n1");
  assert.equal(rig.admin.setAttribute("N2", "standby", "on").message, "standby=on set for n2");
  assert.equal(standby(rig.cib, "n2"), "on");
  assert.equal(formatCibVersion(rig.cib), "0.3.0");
  assert.equal(rig.kicks, 1);
  rig.failSave = "disk full";
  assert.throws(() => rig.admin.setAttribute("n2", "standby", "off"), /could not be saved \(disk full\)/);
  assert.equal(standby(rig.cib, "n2"), "on");
  assert.throws(() => rig.admin.setAttribute("n9", "standby", "on"), /n9 is not a cluster node/);
});

test("non-DC: an attribute is handed to the DC; without a DC it is refused", () => {
  const rig = new Rig("n2");
  assert.match(rig.admin.setAttribute("n2", "standby", "on").message, /handed to the DC n1/);
  assert.deepEqual(rig.sent, [
    { msg: { k: "admin", req: { op: "attr", node: "n2", name: "standby", value: "on" } }, dest: "n1" },
  ]);
  rig.dc = undefined;
  assert.throws(() => rig.admin.setAttribute("n2", "standby", "on"), /no DC elected yet/);
});

test("DC: a peer's attribute is applied as a configuration change and scheduled", () => {
  const rig = new Rig("n1");
  rig.admin.onAttribute("n2", "pingd", "3");
  assert.equal(formatCibVersion(rig.cib), "0.3.0");
  assert.equal(rig.changes, 1);
});

test("admin: refused on our copy; applied on the DC; forwarded elsewhere and answered by the DC's verdict", async () => {
  const dc = new Rig("n1");
  assert.throws(() => dc.admin.admin({ op: "stop", rsc: "nope" }), IpcRefusal);
  const r = dc.admin.admin({ op: "stop", rsc: "rsc" });
  assert.ok(!(r instanceof Promise));
  assert.equal(formatCibVersion(dc.cib), "0.3.0");
  assert.equal(dc.kicks, 1);
  dc.failSave = "disk full";
  assert.throws(
    () => dc.admin.admin({ op: "start", rsc: "rsc" }),
    /could not be saved on the DC n1 \(disk full\)/,
  );

  const f = new Rig("n2");
  const p = f.admin.admin({ op: "stop", rsc: "rsc" });
  const sent = f.sent[0]?.msg;
  assert.equal(sent?.k, "admin");
  if (sent?.k !== "admin" || sent.rid === undefined) return;
  f.admin.onVerdict("n2", sent.rid, true, "ignored: not from the DC it was sent to");
  f.admin.onVerdict("n1", sent.rid, false, "refused by the DC");
  await assert.rejects(Promise.resolve(p), /refused by the DC/);
  f.dc = undefined;
  assert.throws(
    () => f.admin.admin({ op: "stop", rsc: "rsc" }),
    (e: unknown) => e instanceof IpcRefusal && e.code === "unavailable",
  );
});

test("DC: a peer's request is checked against the DC's copy and answered when numbered", () => {
  const rig = new Rig("n1");
  rig.admin.onRequest("n2", { op: "stop", rsc: "nope" }, 7);
  rig.admin.onRequest("n2", { op: "stop", rsc: "rsc" }, 8);
  rig.admin.onRequest("n2", { op: "start", rsc: "rsc" }); // unnumbered (an older hbd): no verdict
  rig.failSave = "disk full";
  rig.admin.onRequest("n2", { op: "stop", rsc: "rsc" }, 9);
  const verdicts = rig.sent.map((s) => (s.msg.k === "admin-result" ? `${s.msg.rid} ${s.msg.ok}` : s.msg.k));
  assert.deepEqual(verdicts, ["7 false", "8 true", "9 false"]);
  assert.equal(formatCibVersion(rig.cib), "0.4.0", "two changes applied");
});

test("cib show: our copy, with the DC when known", () => {
  const rig = new Rig("n2");
  const s = rig.admin.cibShow();
  assert.equal(s.version, "0.2.0");
  assert.equal(s.dc, "n1");
  rig.dc = undefined;
  assert.equal("dc" in rig.admin.cibShow(), false);
});
