// Goal: hbd's metrics count what the controller really does: a power-loss failover is one
// node_lost failover and one move on the new DC, a planned move is a move but no failover, a
// recurring-monitor failure that moves the resource is a resource_failed failover; transitions are
// timed; operation durations and failures come from the exec port; the text passes promtool and the
// status page shows nodes, resources, the DC, failures, real servers and escaped recent events.
// Method: two real Controllers over an in-memory bus with fake executors; each controller's log
// records go to its node's MonitorRecorder exactly as hbd's log tap passes them (pino's object
// fields + msg + level); node.ts's "node-status" line is logged before the controller hears of the
// death, as node.ts does. The metrics text and page are rendered from the controllers' reports.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Cib } from "../../../src/cib/model.js";
import { convertHaresources } from "../../../src/config/to-cib.js";
import { Controller } from "../../../src/daemon/controller.js";
import { type LogEvent, MonitorRecorder } from "../../../src/daemon/monitor-events.js";
import { type HbdSnapshot, hbdMetricsText, hbdPage } from "../../../src/daemon/monitor-hbd.js";
import type { NodeLogger } from "../../../src/daemon/node.js";
import type { ActionRequest, ActionResult } from "../../../src/exec/types.js";
import type { StatusReport } from "../../../src/ipc/protocol.js";
import type { MembershipEvent } from "../../../src/membership/types.js";
import { doneResult } from "../../helpers.js";
import { parseExposition, promtoolCheck, promtoolMissing, sampleValue } from "../../prom-check.js";

const at = { file: "haresources", line: 1 };
const RSC = "IPaddr2_10_0_0_100";
const cib = (threshold?: number): Cib => {
  const c = convertHaresources(
    [
      {
        key: "IPaddr2::10.0.0.100",
        node: "n1",
        at,
        resources: [{ type: "IPaddr2", args: ["10.0.0.100/24/eth0"], at }],
      },
    ],
    { autoFailback: "off", nodes: ["n1", "n2"] },
  );
  if (threshold === undefined) return c;
  const nv = [{ id: "mt", name: "migration-threshold", value: String(threshold) }];
  return {
    ...c,
    configuration: { ...c.configuration, rscDefaults: [{ kind: "meta_attributes", id: "rd", nvpairs: nv }] },
  };
};

class Host {
  readonly running = new Set<string>();
  exec(req: ActionRequest): Promise<ActionResult> {
    let rc = 0;
    if (req.op === "start") this.running.add(req.rscId);
    else if (req.op === "stop") this.running.delete(req.rscId);
    else if (req.op === "monitor") rc = this.running.has(req.rscId) ? 0 : 7;
    return Promise.resolve(doneResult(req, rc, "", req.op === "start" ? 120 : 3));
  }
}

class Bus {
  clock = 1000;
  readonly hosts = new Map([
    ["n1", new Host()],
    ["n2", new Host()],
  ]);
  readonly ctl = new Map<string, Controller>();
  readonly rec = new Map<string, MonitorRecorder>();
  private queue: { from: string; to: string | undefined; payload: string }[] = [];
  private timers: { at: number; fn: () => void; node: string }[] = [];

  logger(name: string): NodeLogger {
    const emit = (level: number) => (obj: object, msg: string) => {
      const fields = obj as Record<string, unknown>;
      const e: LogEvent = {
        level,
        timeMs: 1_800_000_000_000 + this.clock,
        msg,
        ...(typeof fields.event === "string" ? { event: fields.event } : {}),
        fields,
      };
      this.rec.get(name)?.onLog(e);
    };
    return { debug: emit(20), info: emit(30), warn: emit(40), error: emit(50) };
  }

  start(name: string, c: Cib): void {
    const host = this.hosts.get(name) as Host;
    const rec = new MonitorRecorder({
      localNode: name,
      monotonic: () => this.clock,
      crm: () => this.ctl.get(name)?.report(),
      dc: () => this.ctl.get(name)?.dc,
    });
    this.rec.set(name, rec);
    const ctl = new Controller(
      { localNode: name, nodes: ["n1", "n2"], cib: c, dcWaitMs: 500 },
      {
        now: () => 1_800_000_000_000 + this.clock,
        monotonic: () => this.clock,
        exec: async (r) => {
          const res = await host.exec(r);
          rec.onOperation(r, res); // what HbdMonitor.timed() does around the real executor
          return res;
        },
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
        send: (msg, dest) => this.queue.push({ from: name, to: dest, payload: JSON.stringify(msg) }),
        log: this.logger(name),
      },
    );
    this.ctl.set(name, ctl);
  }

  get(name: string): Controller {
    return this.ctl.get(name) as Controller;
  }

  /** As node.ts: the membership line is logged, then the controller is told. */
  peer(observer: string, node: string, status: "up" | "active" | "dead"): void {
    const cause = status === "dead" ? "deadtime" : "heard";
    this.logger(observer)[status === "dead" ? "warn" : "info"](
      { event: "node-status", peer: node, status, cause },
      `node ${node}: ${status}`,
    );
    this.get(observer).onMembership({
      kind: "node-status",
      atMs: this.clock,
      node,
      previous: "init",
      status,
      cause,
    } as MembershipEvent);
  }

  local(name: string): void {
    this.get(name).onMembership({
      kind: "local-status",
      atMs: this.clock,
      previous: "up",
      status: "active",
    } as MembershipEvent);
  }

  async settle(): Promise<void> {
    for (let i = 0; i < 200; i++) {
      const batch = this.queue.splice(0);
      for (const m of batch)
        for (const [name, c] of this.ctl)
          if (name !== m.from && (m.to === undefined || m.to === name)) c.onMessage(m.from, m.payload);
      await new Promise((r) => setImmediate(r));
      this.clock += 100;
      for (const c of this.ctl.values()) c.tick();
      if (
        batch.length === 0 &&
        this.queue.length === 0 &&
        [...this.ctl.values()].every((c) => c.idle) &&
        i > 10
      )
        return;
    }
    assert.fail("did not settle");
  }

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

  async bothUp(): Promise<void> {
    this.peer("n1", "n2", "up");
    this.peer("n2", "n1", "up");
    this.local("n1");
    this.local("n2");
    this.peer("n1", "n2", "active");
    this.peer("n2", "n1", "active");
    await this.settle();
  }

  /** The snapshot hbd's listener would take on `name` (membership part written by hand: no HeartbeatNode here). */
  snapshot(name: string, directors: HbdSnapshot["directors"] = []): HbdSnapshot {
    const crm = this.get(name).report();
    const status: StatusReport = {
      version: "0.1.0",
      node: name,
      cluster: "lab",
      pid: 42,
      uptimeMs: 5000,
      generation: 7,
      commUp: true,
      managedBy: "haresources",
      timing: { keepaliveMs: 1000, deadtimeMs: 10_000, warntimeMs: 5000, initdeadMs: 30_000 },
      nodes: [
        {
          name,
          type: "normal",
          status: "active",
          local: true,
          generation: 7,
          links: [{ name: "eth0", status: "up" }],
        },
        ...["n1", "n2"]
          .filter((n) => n !== name)
          .map((n) => ({
            name: n,
            type: "normal" as const,
            status: this.ctl.has(n) ? "active" : "dead",
            local: false,
            lastHeardAgeMs: 250,
            deadIntervalMs: 10_000,
            links: [
              {
                name: "eth0",
                status: (this.ctl.has(n) ? "up" : "dead") as "up" | "dead",
                lastHeardAgeMs: 250,
              },
            ],
          })),
      ],
      media: [{ id: "ucast eth0 10.0.0.2", link: "eth0", framesSent: 10, framesReceived: 9, sendErrors: 0 }],
      counters: {
        badAuth: 2,
        malformed: 0,
        replays: 1,
        unproven: 0,
        unknownNode: 0,
        duplicates: 0,
        gapPackets: 0,
        packetsLost: 0,
        retransmitRequestsSent: 0,
        retransmitsServed: 0,
        lateHeartbeats: 0,
        framesSent: 10,
        framesReceived: 9,
        sendErrors: 0,
      },
      eventLoop: { lagMs: 2, maxLagMs: 30 },
      crm,
    };
    return { status, cib: this.get(name).cib, directors, nowMs: 1_800_000_000_000 + this.clock };
  }
}

test("power loss: the new DC counts one node_lost failover and one move; transitions timed; text passes promtool", async (t) => {
  const bus = new Bus();
  bus.start("n1", cib());
  bus.start("n2", cib());
  await bus.bothUp();
  assert.deepEqual([...(bus.hosts.get("n1") as Host).running], [RSC]);
  // the first DC started it: no move, no failover
  const before = parseExposition(hbdMetricsText(bus.snapshot("n1"), bus.rec.get("n1") as MonitorRecorder));
  assert.equal(sampleValue(before, "tandem_resource_moves_total", { resource: RSC }), undefined);
  assert.equal(sampleValue(before, "tandem_resource_running", { resource: RSC, node: "n1" }), 1);
  bus.ctl.delete("n1");
  (bus.hosts.get("n1") as Host).running.clear();
  bus.peer("n2", "n1", "dead");
  await bus.settle();
  assert.deepEqual([...(bus.hosts.get("n2") as Host).running], [RSC]);

  const rec = bus.rec.get("n2") as MonitorRecorder;
  const text = hbdMetricsText(bus.snapshot("n2"), rec);
  const s = parseExposition(text);
  assert.equal(sampleValue(s, "tandem_failovers_total", { resource: RSC, cause: "node_lost" }), 1, text);
  assert.equal(sampleValue(s, "tandem_resource_moves_total", { resource: RSC }), 1);
  assert.equal(sampleValue(s, "tandem_peer_deaths_total", { node: "n1", cause: "deadtime" }), 1);
  assert.equal(sampleValue(s, "tandem_dc", { dc: "n2" }), 1);
  assert.equal(sampleValue(s, "tandem_is_dc"), 1);
  assert.ok((sampleValue(s, "tandem_dc_changes_total") ?? 0) >= 2, "n1 then n2 as DC");
  assert.equal(sampleValue(s, "tandem_resource_running", { resource: RSC, node: "n2" }), 1);
  assert.equal(sampleValue(s, "tandem_resource_running", { resource: RSC, node: "n1" }), 0);
  assert.equal(sampleValue(s, "tandem_frames_dropped_total", { reason: "bad_auth" }), 2);
  assert.equal(sampleValue(s, "tandem_node_state", { node: "n1", state: "dead" }), 1);
  const transitions = sampleValue(s, "tandem_transition_duration_seconds_count");
  assert.ok(transitions !== undefined && transitions >= 1, "the failover transition was timed");
  assert.equal(sampleValue(s, "tandem_transitions_finished_total", { result: "complete" }), transitions);
  // the start ran on n2's executor: its duration (120 ms) lands in the 0.25 s bucket, not the 0.1 s one
  assert.equal(
    sampleValue(s, "tandem_resource_operation_duration_seconds_bucket", {
      resource: RSC,
      op: "start",
      le: "0.1",
    }),
    0,
  );
  assert.equal(
    sampleValue(s, "tandem_resource_operation_duration_seconds_bucket", {
      resource: RSC,
      op: "start",
      le: "0.25",
    }),
    1,
  );
  assert.equal(
    sampleValue(s, "tandem_resource_operation_failures_total", { resource: RSC, op: "monitor" }),
    undefined,
    "a probe's rc 7 is no failure",
  );
  const missing = promtoolMissing();
  if (missing) return t.skip(missing);
  const check = promtoolCheck(text);
  assert.equal(check.code, 0, check.output);
  assert.equal(check.output.trim(), "", check.output);
});

test("a recurring monitor failure that moves the resource is a resource_failed failover; a planned move is not a failover", async () => {
  const bus = new Bus();
  bus.start("n1", cib(1));
  bus.start("n2", cib(1));
  await bus.bothUp();
  (bus.hosts.get("n1") as Host).running.delete(RSC); // the VIP vanished under the agent
  await bus.advance(10_000);
  assert.deepEqual([...(bus.hosts.get("n2") as Host).running], [RSC]);
  const rec = bus.rec.get("n1") as MonitorRecorder; // n1 stayed DC
  let s = parseExposition(hbdMetricsText(bus.snapshot("n1"), rec));
  assert.equal(sampleValue(s, "tandem_failovers_total", { resource: RSC, cause: "resource_failed" }), 1);
  assert.equal(sampleValue(s, "tandem_monitor_failures_total", { resource: RSC }), 1);
  assert.equal(
    sampleValue(s, "tandem_resource_operation_failures_total", { resource: RSC, op: "monitor" }),
    1,
  );
  assert.equal(sampleValue(s, "tandem_resource_failcount", { resource: RSC, node: "n1" }), 1);
  assert.equal(
    sampleValue(s, "tandem_resource_failed", { resource: RSC, node: "n1" }),
    0,
    "its latest op there is the stop",
  );
  // a planned move back (hbctl resource move RSC n1 after a cleanup): a move, no new failover
  bus.get("n1").admin({ op: "cleanup", rsc: RSC });
  await bus.settle();
  bus.get("n1").admin({ op: "move", rsc: RSC, node: "n1" });
  await bus.settle();
  assert.deepEqual([...(bus.hosts.get("n1") as Host).running], [RSC]);
  s = parseExposition(hbdMetricsText(bus.snapshot("n1"), rec));
  assert.equal(sampleValue(s, "tandem_resource_moves_total", { resource: RSC }), 2);
  assert.equal(sampleValue(s, "tandem_failovers_total", { resource: RSC, cause: "resource_failed" }), 1);
  assert.equal(
    sampleValue(s, "tandem_resource_failcount", { resource: RSC, node: "n1" }),
    undefined,
    "cleanup reset it",
  );
});

test("the status page: nodes, DC, resources, failures, real servers, recent events escaped, no script, refresh", async () => {
  const bus = new Bus();
  bus.start("n1", cib(1));
  bus.start("n2", cib(1));
  await bus.bothUp();
  (bus.hosts.get("n1") as Host).running.delete(RSC);
  await bus.advance(10_000);
  const rec = bus.rec.get("n1") as MonitorRecorder;
  bus.logger("n1").warn({ event: "stall" }, "stalled 5 ms");
  bus.logger("n1").warn({ event: "stall" }, "stalled 7 ms");
  bus.logger("n1").warn({ event: "test" }, "<script>alert(1)</script> & more");
  const director: HbdSnapshot["directors"][number] = {
    name: "ldirectord.cf",
    ageMs: 1000,
    status: {
      pid: 9,
      configFile: "/etc/ha.d/ldirectord.cf",
      backend: "nft",
      phase: "running",
      startedAt: 0,
      updatedAt: 0,
      tableChanges: 3,
      services: [
        {
          key: "tcp:10.0.0.100:80",
          scheduler: "wrr",
          quorumUp: true,
          reals: [
            {
              key: "10.0.1.1:80",
              method: "masq",
              weight: 1,
              role: "real",
              active: 2,
              inactive: 1,
              health: "up",
              lastCheck: { ok: true, at: 0, message: "HTTP 200", durationMs: 4 },
            },
            {
              key: "10.0.1.2:80",
              method: "masq",
              role: "real",
              active: 0,
              inactive: 0,
              health: "down",
              lastCheck: { ok: false, at: 0, message: "connection refused", durationMs: 1 },
            },
          ],
        },
      ],
    },
  };
  const html = hbdPage(bus.snapshot("n1", [director]), rec);
  assert.match(html, /<meta http-equiv="refresh" content="5">/);
  assert.doesNotMatch(html, /<script/i, "no script, and logged text is escaped");
  assert.match(html, /&#60;script&#62;alert\(1\)&#60;\/script&#62; &#38; more/);
  assert.match(html, /DC: n1/);
  assert.match(html, /<table id="nodes">[\s\S]*<td>n2<\/td><td class="ok">active<\/td>/);
  assert.match(
    html,
    new RegExp(`<table id="resources">[\\s\\S]*<td>${RSC}</td>[\\s\\S]*<td class="ok">n2</td><td></td>`),
  );
  assert.match(
    html,
    new RegExp(`<table id="failures">[\\s\\S]*<td>${RSC}</td><td>n1</td><td>fail count 1</td>`),
  );
  assert.match(
    html,
    /<table id="reals">[\s\S]*10\.0\.1\.2:80<\/td><td class="bad">down<\/td><td class="dim">not in table<\/td>/,
  );
  assert.match(html, /<table id="events">[\s\S]*monitor-failed/);
  assert.match(html, /<td>stall \(2 times, latest shown\)<\/td><td>stalled 7 ms<\/td>/);
  assert.doesNotMatch(html, /stalled 5 ms/);
  const s = parseExposition(hbdMetricsText(bus.snapshot("n1", [director]), rec));
  assert.equal(sampleValue(s, "tandem_director_real_health", { real: "10.0.1.2:80", health: "down" }), 1);
  assert.equal(sampleValue(s, "tandem_director_real_weight", { real: "10.0.1.2:80" }), undefined);
  assert.equal(sampleValue(s, "tandem_director_real_in_table", { real: "10.0.1.2:80" }), 0);
  assert.equal(sampleValue(s, "tandem_director_real_check_duration_seconds", { real: "10.0.1.1:80" }), 0.004);
  assert.equal(sampleValue(s, "tandem_director_table_changes_total", { director: "ldirectord.cf" }), 3);
  assert.equal(sampleValue(s, "tandem_director_up", { director: "ldirectord.cf" }), 1);
});
