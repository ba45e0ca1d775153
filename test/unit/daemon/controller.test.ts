// Goal: controllers elect one DC, place a haresources group on its preferred node, fail it over when that node is lost, adopt running resources without restarting them, replicate standby, settle a DC conflict, and act on recurring monitor failures (restart in place, move after migration-threshold).
// Method: two Controllers exchanging messages through an in-memory bus, fake executors that keep per-node resource state, membership events fed by hand, a manual clock driving fake timers.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Cib } from "../../../src/cib/model.js";
import { serializeCib } from "../../../src/cib/serialize.js";
import { convertHaresources } from "../../../src/config/to-cib.js";
import { Controller, type CrmMessage, parseCrmMessage } from "../../../src/daemon/controller.js";
import type { ActionRequest, ActionResult } from "../../../src/exec/types.js";
import type { MembershipEvent } from "../../../src/membership/types.js";
import { doneResult } from "../../helpers.js";

const at = { file: "haresources", line: 1 };
const RSC = "IPaddr2_10_0_0_100";
const haCib = (preferred = "n1"): Cib =>
  convertHaresources(
    [
      {
        key: "IPaddr2::10.0.0.100",
        node: preferred,
        at,
        resources: [{ type: "IPaddr2", args: ["10.0.0.100/24/eth0"], at }],
      },
    ],
    { autoFailback: "on", nodes: ["n1", "n2"] },
  );
/** The same CIB with rsc_defaults migration-threshold=`n`. */
const withThreshold = (cib: Cib, n: number): Cib => ({
  ...cib,
  configuration: {
    ...cib.configuration,
    rscDefaults: [
      {
        kind: "meta_attributes",
        id: "rsc-options",
        nvpairs: [{ id: "rsc-options-mt", name: "migration-threshold", value: String(n) }],
      },
    ],
  },
});

/** One node's "system": which resources run, and every action it was asked to run. */
class FakeHost {
  readonly running = new Set<string>();
  readonly calls: string[] = [];
  exec(req: ActionRequest): Promise<ActionResult> {
    this.calls.push(`${req.op}${req.intervalMs ? `/${req.intervalMs}` : ""} ${req.rscId}`);
    let rc = 0;
    if (req.op === "start") this.running.add(req.rscId);
    else if (req.op === "stop") this.running.delete(req.rscId);
    else if (req.op === "monitor") rc = this.running.has(req.rscId) ? 0 : 7;
    return Promise.resolve(doneResult(req, rc));
  }
}

class Bus {
  clock = 1000;
  readonly hosts = new Map<string, FakeHost>([
    ["n1", new FakeHost()],
    ["n2", new FakeHost()],
  ]);
  readonly ctl = new Map<string, Controller>();
  readonly persisted = new Map<string, Cib[]>();
  /** Every message sent: sender, kind, size. */
  readonly sent: { from: string; kind: string; bytes: number }[] = [];
  /** Links that deliver (both directions). */
  connected = true;
  /** A node whose messages are lost (one-way partition). */
  mute: string | undefined;
  /** Fake timers (recurring monitors), fired only by advance(). */
  private timers: { at: number; fn: () => void; node: string }[] = [];
  private queue: { from: string; to: string | undefined; payload: string }[] = [];

  start(name: string, cib: Cib = haCib()): Controller {
    const c = new Controller(
      { localNode: name, nodes: ["n1", "n2"], cib, dcWaitMs: 500 },
      {
        now: () => 1_800_000_000_000 + this.clock,
        monotonic: () => this.clock,
        exec: (r) => (this.hosts.get(name) as FakeHost).exec(r),
        timers: {
          setTimeout: (fn, ms) => {
            const t = { at: this.clock + ms, fn, node: name };
            this.timers.push(t);
            return t;
          },
          clearTimeout: (h) => {
            this.timers = this.timers.filter((t) => t !== h);
          },
        },
        send: (msg: CrmMessage, dest?: string) => {
          this.sent.push({ from: name, kind: msg.k, bytes: JSON.stringify(msg).length });
          this.queue.push({ from: name, to: dest, payload: JSON.stringify(msg) });
        },
        persist: (cib) => this.persisted.set(name, [...(this.persisted.get(name) ?? []), cib]),
      },
    );
    this.ctl.set(name, c);
    return c;
  }

  /** Timers pending for a node's controller. */
  timersOf(name: string): number {
    return this.timers.filter((t) => t.node === name).length;
  }

  /** Moves the clock `ms` ahead, firing the timers that fall due (in order), then settles. */
  async advance(ms: number): Promise<void> {
    const end = this.clock + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.clock = Math.max(this.clock, due.at);
      due.fn();
      await new Promise((r) => setImmediate(r));
    }
    this.clock = end;
    await this.settle();
  }

  get(name: string): Controller {
    return this.ctl.get(name) as Controller;
  }

  local(name: string, status: "active" | "dead"): void {
    this.get(name).onMembership({
      kind: "local-status",
      atMs: this.clock,
      previous: "up",
      status,
    } as MembershipEvent);
  }

  peer(observer: string, node: string, status: "init" | "up" | "active" | "dead"): void {
    this.get(observer).onMembership({
      kind: "node-status",
      atMs: this.clock,
      node,
      previous: status === "dead" ? "active" : "init",
      status,
      cause: status === "dead" ? "deadtime" : "heard",
    } as MembershipEvent);
  }

  /** Delivers messages, lets executor promises settle and ticks, until quiet (bounded). */
  async settle(stepMs = 100, strict = true): Promise<void> {
    for (let i = 0; i < 200; i++) {
      const batch = this.queue.splice(0);
      for (const m of batch) {
        if (!this.connected || m.from === this.mute) continue;
        for (const [name, c] of this.ctl)
          if (name !== m.from && (m.to === undefined || m.to === name)) c.onMessage(m.from, m.payload);
      }
      await new Promise((r) => setImmediate(r));
      this.clock += stepMs;
      for (const c of this.ctl.values()) c.tick();
      const quiet = this.queue.length === 0 && [...this.ctl.values()].every((c) => c.idle);
      if (quiet && batch.length === 0 && i > 10) return;
    }
    if (!strict) return;
    assert.fail(
      `cluster did not settle: queue ${this.queue.map((m) => m.payload.slice(0, 60)).join(" | ")}; ${[...this.ctl.values()].map((c) => `${c.localNode} dc=${c.dc} idle=${c.idle}`).join(", ")}`,
    );
  }

  /**
   * Both nodes starting together, as membership reports it: each hears the
   * other (up) before its own comm-up makes it active, then sees it active.
   */
  async bothUp(): Promise<void> {
    this.peer("n1", "n2", "up");
    this.peer("n2", "n1", "up");
    for (const n of ["n1", "n2"]) this.local(n, "active");
    this.peer("n1", "n2", "active");
    this.peer("n2", "n1", "active");
    await this.settle();
  }

  where(observer: string): string {
    return this.get(observer).report().resources[0]?.running.join(",") ?? "?";
  }
}

test("one DC is elected and the group starts on its preferred node only", async () => {
  const bus = new Bus();
  bus.start("n1");
  bus.start("n2");
  await bus.bothUp();
  assert.equal(bus.get("n1").dc, "n1");
  assert.equal(bus.get("n2").dc, "n1");
  assert.deepEqual([...(bus.hosts.get("n1")?.running ?? [])], [RSC]);
  assert.deepEqual([...(bus.hosts.get("n2")?.running ?? [])], []);
  assert.deepEqual(bus.hosts.get("n2")?.calls, [`monitor ${RSC}`], "n2 is only probed");
  assert.equal(bus.where("n1"), "n1");
  assert.equal(bus.where("n2"), "n1", "status is replicated to the non-DC");
  assert.equal(bus.get("n2").report().cibVersion, bus.get("n1").report().cibVersion);
});

test("losing the DC's node moves the group to the survivor, which becomes DC; auto_failback brings it back", async () => {
  const bus = new Bus();
  bus.start("n1");
  bus.start("n2");
  await bus.bothUp();
  bus.ctl.delete("n1"); // power loss: its controller is gone, its resources with it
  bus.hosts.get("n1")?.running.clear();
  bus.peer("n2", "n1", "dead");
  await bus.settle();
  assert.equal(bus.get("n2").dc, "n2");
  assert.deepEqual([...(bus.hosts.get("n2")?.running ?? [])], [RSC]);
  assert.equal(bus.where("n2"), "n2");
  // n1 returns with a fresh controller: n2 stays DC, n1 is probed, the group fails back.
  bus.start("n1");
  bus.peer("n1", "n2", "active"); // heard before its own comm-up
  bus.local("n1", "active");
  bus.peer("n2", "n1", "active");
  await bus.settle();
  assert.equal(bus.get("n1").dc, "n2", "the DC is kept while it stays active");
  assert.deepEqual([...(bus.hosts.get("n1")?.running ?? [])], [RSC]);
  assert.deepEqual([...(bus.hosts.get("n2")?.running ?? [])], []);
});

test("resources already running are adopted by the start-up probes, not restarted", async () => {
  const bus = new Bus();
  bus.hosts.get("n1")?.running.add(RSC);
  bus.start("n1");
  bus.start("n2");
  await bus.bothUp();
  assert.equal(bus.where("n1"), "n1");
  const calls = [...(bus.hosts.get("n1")?.calls ?? []), ...(bus.hosts.get("n2")?.calls ?? [])];
  assert.ok(!calls.some((c) => c.startsWith("start") || c.startsWith("stop")), calls.join("; "));
  assert.ok(bus.hosts.get("n1")?.calls.includes(`monitor ${RSC}`));
});

test("standby asked on the non-DC is applied by the DC, replicated, persisted, and online undoes it", async () => {
  const bus = new Bus();
  bus.start("n1");
  bus.start("n2");
  await bus.bothUp();
  const before = bus.get("n1").cib.epoch;
  assert.match(bus.get("n2").setStandby("n1", true).message, /handed to the DC n1/);
  await bus.settle();
  assert.deepEqual([...(bus.hosts.get("n2")?.running ?? [])], [RSC]);
  assert.deepEqual([...(bus.hosts.get("n1")?.running ?? [])], []);
  for (const n of ["n1", "n2"]) {
    assert.equal(bus.get(n).cib.epoch, before + 1, `${n} epoch`);
    assert.equal(
      bus
        .get(n)
        .report()
        .nodes.find((x) => x.name === "n1")?.standby,
      true,
    );
    assert.equal(bus.persisted.get(n)?.at(-1)?.epoch, before + 1, `${n} persisted`);
  }
  bus.get("n1").setStandby("n1", false);
  await bus.settle();
  assert.deepEqual([...(bus.hosts.get("n1")?.running ?? [])], [RSC]);
  assert.equal(bus.get("n2").cib.epoch, before + 2);
  assert.throws(() => bus.get("n1").setStandby("n9", true), /not a cluster node/);
});

test("two DCs that meet after a partition keep the lower name; the newer configuration wins", async () => {
  const bus = new Bus();
  bus.start("n1");
  bus.start("n2");
  bus.connected = false;
  bus.local("n1", "active");
  bus.local("n2", "active");
  await bus.settle();
  assert.equal(bus.get("n1").dc, "n1");
  assert.equal(bus.get("n2").dc, "n2");
  bus.get("n2").setStandby("n2", true); // a change made in n2's partition only
  await bus.settle();
  bus.connected = true;
  bus.peer("n1", "n2", "active");
  bus.peer("n2", "n1", "active");
  await bus.settle();
  assert.equal(bus.get("n1").dc, "n1");
  assert.equal(bus.get("n2").dc, "n1");
  assert.equal(
    bus
      .get("n1")
      .report()
      .nodes.find((x) => x.name === "n2")?.standby,
    true,
    "n2's newer CIB won",
  );
  assert.deepEqual([...(bus.hosts.get("n1")?.running ?? [])], [RSC]);
  assert.deepEqual([...(bus.hosts.get("n2")?.running ?? [])], []);
});

test("after the first full copy the DC sends status updates; the peer's CIB stays identical to the DC's", async () => {
  const bus = new Bus();
  bus.start("n1");
  bus.start("n2");
  await bus.bothUp();
  const mark = bus.sent.length;
  bus.get("n2").setStandby("n1", true);
  await bus.settle();
  assert.equal(bus.where("n2"), "n2");
  const fromDc = bus.sent.slice(mark).filter((m) => m.from === "n1");
  const updates = fromDc.filter((m) => m.kind === "status");
  assert.ok(updates.length >= 2, fromDc.map((m) => m.kind).join(","));
  assert.deepEqual(
    fromDc.filter((m) => m.kind === "sync").length,
    1,
    "one full copy for the configuration change (standby), updates for the rest",
  );
  const full = bus.sent.filter((m) => m.kind === "sync").at(-1)?.bytes ?? 0;
  assert.ok(Math.max(...updates.map((m) => m.bytes)) < full, "updates are smaller than the CIB");
  const statusOf = (n: string) => serializeCib({ ...bus.get(n).cib, dcUuid: "n1" });
  assert.equal(statusOf("n2"), statusOf("n1"));
});

test("a status update that does not apply makes the peer ask for the whole CIB", async () => {
  const bus = new Bus();
  bus.start("n1");
  bus.start("n2");
  await bus.bothUp();
  const n2 = bus.get("n2");
  const mark = bus.sent.length;
  n2.onMessage(
    "n1",
    JSON.stringify({ k: "status", base: "9.9.9", numUpdates: 10, cib: "<cib/>", removed: [] }),
  );
  await bus.settle();
  // It asks again while the DC's copy is older than the version the update announced (seed 62), but
  // only a few times: this update announced a version the DC never reaches (the cluster settles).
  const seen = bus.sent.slice(mark).map((m) => `${m.from}:${m.kind}`);
  assert.deepEqual(seen.slice(0, 2), ["n2:sync-request", "n1:sync"]);
  assert.deepEqual(new Set(seen), new Set(["n2:sync-request", "n1:sync"]));
  assert.equal(seen.filter((m) => m === "n2:sync-request").length, 4, seen.join(","));
});

test("two DCs after an uneven heal: the lower name's claim reaches the other DC, which abdicates", async () => {
  const bus = new Bus();
  bus.start("n1");
  bus.start("n2");
  await bus.bothUp();
  bus.connected = false; // partition: each side declares the other dead and runs as DC
  bus.peer("n1", "n2", "dead");
  bus.peer("n2", "n1", "dead");
  await bus.settle();
  assert.deepEqual([bus.get("n1").dc, bus.get("n2").dc], ["n1", "n2"]);
  bus.connected = true;
  bus.mute = "n1"; // n1 hears n2 first; what n1 sends is still lost
  bus.peer("n1", "n2", "active");
  await bus.settle(10, false); // n1's probes of n2 are lost: it waits for them (not settled)
  bus.mute = undefined;
  bus.peer("n2", "n1", "active");
  await bus.settle();
  assert.deepEqual([bus.get("n1").dc, bus.get("n2").dc], ["n1", "n1"]);
  assert.equal(bus.where("n2"), "n1", "one placement, the DC's, on both nodes");
  assert.deepEqual([...(bus.hosts.get("n2")?.running ?? [])], [], "n2 stopped its copy");
});

test("malformed payloads are not messages", () => {
  for (const p of ["", "{", "[]", '{"k":"op"}', '{"k":"sync","dc":3,"cib":""}', '{"k":"nope"}'])
    assert.equal(parseCrmMessage(p), undefined, p);
  assert.deepEqual(parseCrmMessage('{"k":"attr","node":"n1","name":"standby","value":null}'), {
    k: "attr",
    node: "n1",
    name: "standby",
    value: null,
  });
});

test("a restarted hbd (active -> init -> active) adopts its running resources: neither moved nor restarted", async () => {
  const bus = new Bus();
  bus.start("n1");
  bus.start("n2");
  await bus.bothUp();
  assert.equal(bus.get("n2").dc, "n1");
  const n1 = bus.hosts.get("n1") as FakeHost;
  const n2 = bus.hosts.get("n2") as FakeHost;
  const before = [n1.calls.length, n2.calls.length] as const;
  // The DC's hbd is SIGKILLed and restarted: its peer hears it again with a new generation (st=init).
  bus.start("n1");
  bus.peer("n2", "n1", "init");
  await bus.settle();
  assert.equal(bus.get("n2").dc, "n2", "the survivor takes over as DC");
  assert.deepEqual([...n2.running], [], "nothing started on n2 while n1 restarts");
  bus.peer("n1", "n2", "active");
  bus.local("n1", "active");
  bus.peer("n2", "n1", "active");
  await bus.settle();
  assert.equal(bus.get("n1").dc, "n2");
  assert.deepEqual([...n1.running], [RSC]);
  assert.deepEqual([...n2.running], []);
  const after = [...n1.calls.slice(before[0]), ...n2.calls.slice(before[1])];
  assert.ok(!after.some((c) => /^(start|stop) /.test(c)), after.join("; "));
  assert.ok(n1.calls.slice(before[0]).includes(`monitor ${RSC}`), "n1 was probed");
  assert.equal(bus.where("n1"), "n1");
});

const MON = `monitor/10000 ${RSC}`;
const count = (calls: readonly string[], c: string) => calls.filter((x) => x === c).length;

for (const home of ["n1", "n2"] as const)
  test(`a recurring monitor failure on ${home} (${home === "n1" ? "the DC" : "reported to the DC"}) restarts the resource in place`, async () => {
    const bus = new Bus();
    bus.start("n1", haCib(home));
    bus.start("n2", haCib(home));
    await bus.bothUp();
    const h = bus.hosts.get(home) as FakeHost;
    assert.deepEqual([...h.running], [RSC]);
    assert.equal(count(h.calls, MON), 1, "the transition ran the monitor once");
    assert.deepEqual(bus.get(home).recurringMonitors, [`${RSC}_monitor_10000`]);
    await bus.advance(10_000);
    await bus.advance(10_000);
    assert.equal(count(h.calls, MON), 3, "it recurs every 10 s, not duplicated");
    const mark = h.calls.length;
    h.running.delete(RSC); // the resource dies behind the cluster's back
    await bus.advance(10_000);
    assert.deepEqual(h.calls.slice(mark), [MON, `stop ${RSC}`, `start ${RSC}`, MON], "restarted in place");
    assert.deepEqual([...h.running], [RSC]);
    const other = bus.hosts.get(home === "n1" ? "n2" : "n1") as FakeHost;
    assert.ok(!other.calls.some((c) => /^(start|stop)/.test(c)), other.calls.join("; "));
    const failcount = bus
      .get("n1")
      .cib.status.find((n) => n.uname === home)
      ?.transientAttributes.flatMap((a) => a.nvpairs)
      .find((p) => p.name.startsWith("fail-count-"))?.value;
    assert.equal(failcount, "1");
    assert.equal(bus.timersOf(home), 1, "one recurring monitor after the restart");
    await bus.advance(10_000);
    assert.equal(count(h.calls.slice(mark), MON), 3, "monitoring resumed, still once per interval");
  });

test("a monitor failure report lost on the way to the DC is sent again on the next failed run, and counted once", async () => {
  const bus = new Bus();
  bus.start("n1", haCib("n2"));
  bus.start("n2", haCib("n2"));
  await bus.bothUp();
  const h = bus.hosts.get("n2") as FakeHost;
  const mark = h.calls.length;
  h.running.delete(RSC);
  bus.connected = false; // the report is lost
  await bus.advance(10_000);
  assert.deepEqual(h.calls.slice(mark), [MON], "nothing restarted: the DC never heard");
  bus.connected = true;
  await bus.advance(10_000);
  assert.deepEqual(h.calls.slice(mark), [MON, MON, `stop ${RSC}`, `start ${RSC}`, MON], "restarted in place");
  const failcount = bus
    .get("n1")
    .cib.status.find((n) => n.uname === "n2")
    ?.transientAttributes.flatMap((a) => a.nvpairs)
    .find((p) => p.name.startsWith("fail-count-"))?.value;
  assert.equal(failcount, "1");
});

test("with migration-threshold=1 a recurring monitor failure moves the resource; monitors follow it", async () => {
  const bus = new Bus();
  bus.start("n1", withThreshold(haCib(), 1));
  bus.start("n2", withThreshold(haCib(), 1));
  await bus.bothUp();
  const n1 = bus.hosts.get("n1") as FakeHost;
  const n2 = bus.hosts.get("n2") as FakeHost;
  n1.running.delete(RSC);
  await bus.advance(10_000);
  assert.deepEqual([...n1.running], []);
  assert.deepEqual([...n2.running], [RSC]);
  assert.equal(n1.calls.at(-1), `stop ${RSC}`);
  assert.equal(bus.where("n2"), "n2");
  assert.equal(bus.timersOf("n1"), 0, "the stop cancelled n1's monitor");
  assert.deepEqual(bus.get("n2").recurringMonitors, [`${RSC}_monitor_10000`]);
  const mark = n2.calls.length;
  await bus.advance(10_000);
  assert.deepEqual(n2.calls.slice(mark), [MON]);
});

test("failure-timeout: when the fail count expires the DC schedules again by itself and the resource fails back", async () => {
  const cib = (): Cib => {
    const c = withThreshold(haCib(), 1);
    const set = c.configuration.rscDefaults[0] as Cib["configuration"]["rscDefaults"][number];
    const nvpairs = [...set.nvpairs, { id: "rsc-options-ft", name: "failure-timeout", value: "60s" }];
    return { ...c, configuration: { ...c.configuration, rscDefaults: [{ ...set, nvpairs }] } };
  };
  const bus = new Bus();
  bus.start("n1", cib());
  bus.start("n2", cib());
  await bus.bothUp();
  (bus.hosts.get("n1") as FakeHost).running.delete(RSC);
  await bus.advance(10_000);
  assert.equal(bus.where("n1"), "n2", "moved after the failure (migration-threshold=1)");
  await bus.advance(40_000);
  assert.equal(bus.where("n1"), "n2", "still away while the failure counts");
  await bus.advance(30_000);
  assert.equal(bus.where("n1"), "n1", "back home once the failure expired (auto_failback on)");
  assert.deepEqual([...(bus.hosts.get("n1") as FakeHost).running], [RSC]);
});

test("recurring monitors stop when the node releases its resources or leaves the membership", async () => {
  const bus = new Bus();
  bus.start("n1");
  bus.start("n2");
  await bus.bothUp();
  assert.equal(bus.timersOf("n1"), 1);
  await bus.get("n1").releaseLocal();
  assert.equal(bus.timersOf("n1"), 0);
  assert.deepEqual(bus.get("n1").recurringMonitors, []);
  const bus2 = new Bus();
  bus2.start("n1", haCib("n2"));
  bus2.start("n2", haCib("n2"));
  await bus2.bothUp();
  assert.equal(bus2.timersOf("n2"), 1);
  bus2.local("n2", "dead");
  assert.equal(bus2.timersOf("n2"), 0);
  const mark = bus2.hosts.get("n2")?.calls.length;
  await bus2.advance(30_000);
  assert.equal(bus2.hosts.get("n2")?.calls.length, mark);
});

test("monitor-failed messages parse; malformed ones do not", () => {
  const m = { k: "monitor-failed", rsc: RSC, intervalMs: 10000, rc: 7, reason: "" };
  assert.deepEqual(parseCrmMessage(JSON.stringify(m)), m);
  assert.equal(parseCrmMessage(JSON.stringify({ ...m, rc: "7" })), undefined);
});

test("a join answer counts once, and only while the DC waits for it (seed 6012)", async () => {
  const bus = new Bus();
  bus.start("n1");
  bus.start("n2");
  await bus.bothUp();
  const n1 = bus.get("n1");
  const version = n1.report().cibVersion;
  // An answer to a query the DC no longer waits for (a late copy): what n2 ran before is not recorded
  // over the results the DC holds since. Recorded, it would show the group running on n2 too.
  const stale = JSON.stringify({ k: "join-state", last: [[RSC, "start", 0]], j: 1 });
  n1.onMessage("n2", stale);
  n1.onMessage("n2", JSON.stringify({ k: "join-state", last: [[RSC, "start", 0]] }));
  await bus.settle();
  assert.equal(bus.where("n1"), "n1");
  assert.equal(n1.report().cibVersion, version, "nothing recorded");
  assert.deepEqual(bus.hosts.get("n2")?.calls, [`monitor ${RSC}`], "nothing stopped on n2");

  // n2 restarts: the DC asks it, and its answer to that query counts.
  const mark = bus.sent.length;
  bus.peer("n1", "n2", "dead");
  bus.peer("n1", "n2", "active");
  await bus.settle();
  assert.ok(bus.sent.slice(mark).some((m) => m.from === "n1" && m.kind === "join-query"));
  assert.ok(bus.sent.slice(mark).some((m) => m.from === "n2" && m.kind === "join-state"));
  assert.equal(bus.where("n1"), "n1");
});

test("a shutdown stops each group after its own action in flight, not after a start hung elsewhere (haresources seed 6283)", async () => {
  const cib = convertHaresources(
    [1, 2].map((i) => ({
      key: `IPaddr2::10.0.0.${i}`,
      node: "n1",
      at,
      resources: [{ type: "IPaddr2", args: [`10.0.0.${i}/24/eth0`], at }],
    })),
    { autoFailback: "on", nodes: ["n1"] },
  );
  const calls: string[] = [];
  let endHungStart: (() => void) | undefined;
  let clock = 1000;
  const c = new Controller(
    { localNode: "n1", nodes: ["n1"], cib, dcWaitMs: 100 },
    {
      now: () => 1_800_000_000_000 + clock,
      monotonic: () => clock,
      exec: (req) => {
        calls.push(`${req.op} ${req.rscId}`);
        const rc = req.op === "monitor" && req.intervalMs === 0 ? 7 : 0;
        if (req.op === "start" && req.rscId === "IPaddr2_10_0_0_1")
          return new Promise((resolve) => {
            endHungStart = () => resolve(doneResult(req, 1));
          });
        return Promise.resolve(doneResult(req, rc));
      },
      timers: { setTimeout: () => ({}), clearTimeout: () => {} },
      send: () => {},
      persist: () => {},
    },
  );
  c.onMembership({ kind: "local-status", atMs: clock, previous: "up", status: "active" } as MembershipEvent);
  const step = async (n: number) => {
    for (let i = 0; i < n; i++) {
      await new Promise((r) => setImmediate(r));
      clock += 100;
      c.tick();
    }
  };
  await step(30);
  assert.ok(endHungStart !== undefined, `the hung start was not reached: ${calls.join(", ")}`);
  assert.ok(calls.includes("start IPaddr2_10_0_0_2"), calls.join(", "));
  const released = c.releaseLocal();
  await step(10);
  assert.ok(
    calls.includes("stop IPaddr2_10_0_0_2"),
    `the other group was not stopped while a start hung: ${calls.join(", ")}`,
  );
  assert.ok(!calls.includes("stop IPaddr2_10_0_0_1"), "stopped before its own start ended");
  endHungStart?.();
  await released;
  assert.ok(calls.includes("stop IPaddr2_10_0_0_1"), calls.join(", "));
  assert.ok(calls.indexOf("stop IPaddr2_10_0_0_1") > calls.indexOf("start IPaddr2_10_0_0_1"));
});
