// Goal: this node's CIB and its replication (cib-replication.ts) on their own: local changes (bumped, saved, broadcast as a whole
// CIB or a status update), a refused save, syncs from peers (newer configuration adopted, older answered with ours, a same-version
// conflict, the DC's status taken unless stale), status updates that do not apply (resync, asked again while behind), and the DC's
// version announcements.
// Method: two CibReplication instances (a DC "n1" and a follower "n2") with recording ports; messages carried by hand.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Cib } from "../../../src/cib/model.js";
import { parseCib } from "../../../src/cib/parse.js";
import { serializeCib } from "../../../src/cib/serialize.js";
import {
  BEHIND_ASKS_MAX,
  CibReplication,
  configText,
  VERSION_EVERY_MS,
} from "../../../src/daemon/cib-replication.js";
import { formatCibVersion } from "../../../src/daemon/cib-version.js";
import { nodeMembership, setNodeAttribute } from "../../../src/daemon/crm-cib.js";
import type { CrmMessage } from "../../../src/daemon/crm-messages.js";

function baseCib(): Cib {
  const xml = `<cib admin_epoch="0" epoch="3" num_updates="0"><configuration><crm_config/>
<nodes><node id="n1" uname="n1"/><node id="n2" uname="n2"/></nodes><resources/><constraints/></configuration><status/></cib>`;
  const p = parseCib(xml);
  if (p.value === undefined) throw new Error(JSON.stringify(p.diagnostics));
  return p.value;
}

class Rig {
  dc: string | undefined;
  localActive = true;
  otherDc = new Set<string>();
  failSave = false;
  readonly sent: { msg: CrmMessage; dest: string | undefined }[] = [];
  readonly saved: string[] = [];
  readonly logs: string[] = [];
  readonly heard: string[] = [];
  changes = 0;
  readonly repl: CibReplication;

  constructor(
    readonly name: string,
    cib = baseCib(),
  ) {
    const log = (level: string) => (f: Record<string, unknown>) => this.logs.push(`${level} ${f.event}`);
    this.repl = new CibReplication(
      {
        localNode: name,
        log: { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") },
        send: (msg, dest) => this.sent.push({ msg, dest }),
        persist: (c) => {
          if (this.failSave) throw new Error("disk full");
          this.saved.push(formatCibVersion(c));
        },
        dc: () => this.dc,
        isDc: () => this.dc === name,
        localActive: () => this.localActive,
        heardSync: (from, dc) => this.heard.push(`${from}:${dc}`),
        fromOtherDc: (from) => this.otherDc.has(from),
        changed: () => this.changes++,
      },
      cib,
    );
  }

  take(): { msg: CrmMessage; dest: string | undefined }[] {
    return this.sent.splice(0);
  }

  kinds(): string[] {
    return this.take().map((s) => `${s.msg.k}${s.dest === undefined ? "" : ` -> ${s.dest}`}`);
  }
}

/** Delivers what `from` sent (to everybody or to `to`) to `to`. */
function deliver(from: Rig, to: Rig): void {
  for (const { msg, dest } of from.take()) {
    if (dest !== undefined && dest !== to.name) continue;
    if (msg.k === "sync") to.repl.onSync(from.name, msg.dc, msg.cib);
    else if (msg.k === "status") to.repl.onStatusUpdate(from.name, msg);
    else if (msg.k === "version") to.repl.onVersion(from.name, msg.v);
  }
}

function pair(): { dc: Rig; f: Rig } {
  const dc = new Rig("n1");
  const f = new Rig("n2");
  dc.dc = "n1";
  f.dc = "n1";
  return { dc, f };
}

test("DC: a change is broadcast once flushed: the whole CIB first, then status updates the follower applies", () => {
  const { dc, f } = pair();
  dc.repl.set(nodeMembership(dc.repl.cib, "n2", true), "status");
  assert.equal(formatCibVersion(dc.repl.cib), "0.3.1");
  assert.deepEqual(dc.saved, [], "status is not saved");
  dc.repl.flush();
  assert.deepEqual(
    dc.sent.map((s) => s.msg.k),
    ["sync"],
  );
  deliver(dc, f);
  assert.equal(formatCibVersion(f.repl.cib), "0.3.1");
  assert.equal(f.repl.cib.dcUuid, "n1");
  dc.repl.flush();
  assert.equal(dc.sent.length, 0, "nothing new: nothing sent");
  dc.repl.set(nodeMembership(dc.repl.cib, "n1", true), "status");
  dc.repl.flush();
  assert.deepEqual(
    dc.sent.map((s) => s.msg.k),
    ["status"],
  );
  deliver(dc, f);
  assert.equal(serializeCib(f.repl.cib), serializeCib({ ...dc.repl.cib, dcUuid: "n1" }));
  f.repl.set(nodeMembership(f.repl.cib, "n2", false), "status");
  f.repl.flush();
  assert.equal(f.sent.length, 0, "a follower broadcasts nothing");
});

test("a configuration change is saved with epoch + 1; a save that fails is logged (set) or refused (commitConfig)", () => {
  const r = new Rig("n1");
  r.dc = "n1";
  r.repl.set(setNodeAttribute(r.repl.cib, "n2", "standby", "on"), "config");
  assert.deepEqual(r.saved, ["0.4.0"]);
  r.failSave = true;
  r.repl.set(setNodeAttribute(r.repl.cib, "n2", "standby", "off"), "config");
  assert.equal(formatCibVersion(r.repl.cib), "0.5.0", "applied even so");
  assert.deepEqual(r.logs, ["error cib-save-failed"]);
  const failed = r.repl.commitConfig(setNodeAttribute(r.repl.cib, "n1", "standby", "on"));
  assert.equal(failed, "disk full");
  assert.equal(formatCibVersion(r.repl.cib), "0.5.0", "not applied");
  assert.equal(r.changes, 0);
  r.failSave = false;
  assert.equal(r.repl.commitConfig(setNodeAttribute(r.repl.cib, "n1", "standby", "on")), undefined);
  assert.equal(formatCibVersion(r.repl.cib), "0.6.0");
  assert.equal(r.changes, 1);
});

test("a sync: an unreadable CIB is ignored; a newer configuration is adopted (our status kept) and saved", () => {
  const { dc, f } = pair();
  f.repl.onSync("n1", "n1", "<cib");
  assert.deepEqual(f.heard, [], "the claim is not looked at either");
  assert.deepEqual(f.logs, ["warn crm-bad-cib"]);
  dc.repl.set(setNodeAttribute(dc.repl.cib, "n2", "standby", "on"), "config");
  dc.repl.flush();
  f.dc = "n3"; // not from our DC: the configuration counts, the status not
  deliver(dc, f);
  assert.deepEqual(f.heard, ["n1:n1"]);
  assert.equal(formatCibVersion(f.repl.cib), "0.4.0");
  assert.deepEqual(f.saved, ["0.4.0"]);
  assert.equal(f.repl.cib.dcUuid, undefined, "not the status of our DC");
  assert.equal(f.changes, 0, "only a DC schedules on it");
});

test("a sync from our DC with an older configuration: the follower sends it ours; a DC broadcasts its own", () => {
  const { dc, f } = pair();
  f.repl.set(setNodeAttribute(f.repl.cib, "n2", "standby", "on"), "config");
  dc.repl.sendSync("n2");
  deliver(dc, f);
  assert.deepEqual(f.kinds(), ["sync -> n1"]);
  f.repl.sendSync("n1");
  deliver(f, dc);
  assert.equal(formatCibVersion(dc.repl.cib), "0.4.0", "the DC adopts the newer one");
  assert.equal(dc.changes, 1);
  dc.repl.flush();
  dc.take();
  const old = new Rig("n3");
  old.repl.sendSync("n1");
  deliver(old, dc);
  dc.repl.flush();
  assert.deepEqual(dc.kinds(), ["sync"], "a peer with an older configuration: the DC broadcasts its own");
});

test("same version, different configuration: a follower takes its DC's; the DC keeps its own and sends it", () => {
  const { dc, f } = pair();
  dc.repl.set(setNodeAttribute(dc.repl.cib, "n2", "standby", "on"), "config");
  f.repl.set(setNodeAttribute(f.repl.cib, "n1", "standby", "on"), "config");
  f.repl.sendSync("n1");
  deliver(f, dc);
  assert.ok(dc.logs.includes("warn cib-conflict"));
  dc.repl.flush();
  assert.deepEqual(
    dc.sent.map((s) => s.msg.k),
    ["sync"],
    "the DC's copy goes out",
  );
  deliver(dc, f);
  assert.equal(configText(f.repl.cib), configText(dc.repl.cib));
});

test("a stale copy of the DC's CIB (an older answer that crossed an update) does not set the status back", () => {
  const { dc, f } = pair();
  dc.repl.sendSync("n2");
  const old = dc.take();
  dc.repl.set(nodeMembership(dc.repl.cib, "n2", true), "status");
  dc.repl.sendSync("n2");
  deliver(dc, f);
  assert.equal(formatCibVersion(f.repl.cib), "0.3.1");
  for (const { msg } of old) if (msg.k === "sync") f.repl.onSync("n1", msg.dc, msg.cib);
  assert.equal(formatCibVersion(f.repl.cib), "0.3.1", "kept");
  f.repl.forget("n1"); // the DC restarted: its numbering may start over
  for (const { msg } of old) if (msg.k === "sync") f.repl.onSync("n1", msg.dc, msg.cib);
  assert.equal(formatCibVersion(f.repl.cib), "0.3.0");
});

test("an update that does not apply: the whole CIB is asked for, and asked again while a copy is older than announced", () => {
  const { dc, f } = pair();
  dc.repl.sendSync("n2");
  const first = dc.take(); // a copy at 0.3.0, delivered late
  dc.repl.flush();
  dc.repl.sendSync(); // every peer holds 0.3.0 (as far as the DC knows)
  dc.take();
  dc.repl.set(nodeMembership(dc.repl.cib, "n2", true), "status");
  dc.repl.flush();
  const update = dc.take()[0]?.msg;
  assert.equal(update?.k, "status");
  if (update?.k !== "status") return;
  f.repl.set(nodeMembership(f.repl.cib, "n1", false), "status"); // f holds 0.3.1 of its own: base 0.3.0 does not apply
  f.repl.onStatusUpdate("n1", update);
  assert.deepEqual(f.kinds(), ["sync-request -> n1"]);
  assert.ok(f.logs.includes("info crm-resync"));
  for (let i = 0; i < BEHIND_ASKS_MAX + 1; i++)
    for (const { msg } of first) if (msg.k === "sync") f.repl.onSync("n1", msg.dc, msg.cib);
  assert.deepEqual(
    f.kinds(),
    Array(BEHIND_ASKS_MAX).fill("sync-request -> n1"),
    "asked again a bounded number of times",
  );
  dc.repl.sendSync("n2");
  deliver(dc, f);
  assert.equal(formatCibVersion(f.repl.cib), "0.3.1");
  assert.deepEqual(f.kinds(), [], "caught up: no more asking");
  f.repl.onStatusUpdate("n1", update); // late, and we are past it
  assert.deepEqual(f.kinds(), []);
});

test("an update or a version from another DC is left to the election", () => {
  const { f } = pair();
  f.otherDc.add("n3");
  f.repl.onStatusUpdate("n3", { base: "0.3.0", numUpdates: 1, cib: "<cib", removed: [] });
  f.repl.onVersion("n3", "0.9.0");
  assert.deepEqual(f.kinds(), []);
});

test("the DC announces its version every VERSION_EVERY_MS; a node behind asks, one with a newer configuration sends its own", () => {
  const { dc, f } = pair();
  dc.repl.announceVersion(0);
  dc.repl.announceVersion(VERSION_EVERY_MS - 1);
  dc.repl.announceVersion(VERSION_EVERY_MS);
  assert.deepEqual(dc.kinds(), ["version", "version"]);
  f.repl.announceVersion(0);
  assert.deepEqual(f.kinds(), [], "only the DC");
  f.repl.onVersion("n1", "0.3.5");
  assert.deepEqual(f.kinds(), ["sync-request -> n1"]);
  f.repl.set(setNodeAttribute(f.repl.cib, "n2", "standby", "on"), "config");
  f.repl.onVersion("n1", "0.3.5");
  assert.deepEqual(f.kinds(), ["sync -> n1"]);
  f.localActive = false;
  f.repl.onVersion("n1", "0.9.9");
  assert.deepEqual(f.kinds(), [], "not active: ignored");
  f.localActive = true;
  f.repl.onVersion("n1", "garbage");
  assert.deepEqual(f.kinds(), []);
});

test("a new DC broadcasts its whole CIB first", () => {
  const { dc } = pair();
  dc.repl.sendSync();
  dc.take();
  dc.repl.becameDc();
  dc.repl.set(nodeMembership(dc.repl.cib, "n2", true), "status");
  dc.repl.flush();
  assert.deepEqual(dc.kinds(), ["sync"]);
});
