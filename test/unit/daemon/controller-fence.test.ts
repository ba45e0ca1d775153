// Goal: the controller fences an unclean node (lost by deadtime, or with a failed stop) before its resources start elsewhere, retries a failed fencing with backoff, never fences itself, blocks without fencing, and does not fence a node that shut down cleanly.
// Method: two Controllers on an in-memory bus with fake executors and fake fence ports that write one shared, ordered event log; membership events fed by hand; a manual clock.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Cib } from "../../../src/cib/model.js";
import { parseCib } from "../../../src/cib/parse.js";
import { AlertFilter } from "../../../src/daemon/alerts.js";
import {
  Controller,
  type CrmMessage,
  type FenceRequest,
  type FenceResult,
} from "../../../src/daemon/controller.js";
import type { ActionRequest, ActionResult } from "../../../src/exec/types.js";
import { IpcRefusal } from "../../../src/ipc/protocol.js";
import type { MembershipEvent } from "../../../src/membership/types.js";
import { doneResult } from "../../helpers.js";

function cib(opts: { stonith: boolean; prefer: string }): Cib {
  const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.0"><configuration>
<crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="${opts.stonith}"/></cluster_property_set></crm_config>
<nodes><node id="n1" uname="n1"/><node id="n2" uname="n2"/></nodes>
<resources>
<primitive id="fence1" class="stonith" type="fence_null"><instance_attributes id="f"><nvpair id="f1" name="pcmk_host_list" value="n1 n2"/></instance_attributes></primitive>
<primitive id="rsc" class="ocf" provider="heartbeat" type="Dummy"/>
</resources>
<constraints><rsc_location id="pref" rsc="rsc" node="${opts.prefer}" score="100"/></constraints>
</configuration><status/></cib>`;
  const p = parseCib(xml);
  if (p.value === undefined) throw new Error(JSON.stringify(p.diagnostics));
  return p.value;
}

const ok = (req: ActionRequest, rc: number): ActionResult => doneResult(req, rc, rc === 0 ? "" : "failed");

class Cluster {
  clock = 1000;
  /** Everything that happened, in order: "n2 start rsc", "n2 fence n1 ok". */
  readonly log: string[] = [];
  readonly running = new Map<string, Set<string>>([
    ["n1", new Set()],
    ["n2", new Set()],
  ]);
  /** Actions that fail, as "node op rsc". */
  readonly failing = new Set<string>();
  /** Outcomes of the next fencings (true = success); empty: success. */
  readonly fenceOutcomes: boolean[] = [];
  /** Clock values at which fencings started. */
  readonly fenceTimes: number[] = [];
  readonly ctl = new Map<string, Controller>();
  /** What each controller reported for alerts (ports.alert), turned into events as hbd's runner does. */
  readonly alerts: string[] = [];
  private readonly filters = new Map<string, AlertFilter>();
  private queue: { from: string; to: string | undefined; payload: string }[] = [];

  constructor(private readonly cibAtStart: Cib) {}

  start(name: string): Controller {
    const running = this.running.get(name) as Set<string>;
    const c = new Controller(
      { localNode: name, nodes: ["n1", "n2"], cib: this.cibAtStart, dcWaitMs: 500 },
      {
        now: () => 1_800_000_000_000 + this.clock,
        monotonic: () => this.clock,
        exec: (req) => {
          if (req.op !== "monitor") this.log.push(`${name} ${req.op} ${req.rscId}`);
          let rc = 0;
          if (this.failing.has(`${name} ${req.op} ${req.rscId}`)) rc = 1;
          else if (req.op === "start") running.add(req.rscId);
          else if (req.op === "stop") running.delete(req.rscId);
          else if (req.op === "monitor") rc = running.has(req.rscId) ? 0 : 7;
          return Promise.resolve(ok(req, rc));
        },
        fence: (r: FenceRequest): Promise<FenceResult> => {
          const success = this.fenceOutcomes.shift() ?? true;
          this.fenceTimes.push(this.clock);
          this.log.push(`${name} fence ${r.target} ${r.action} ${r.device.id} ${success ? "ok" : "failed"}`);
          if (success) this.running.get(r.target)?.clear(); // the node is powered off: nothing runs there
          return Promise.resolve({ ok: success, reason: success ? "ok" : "device error", durationMs: 5 });
        },
        timers: { setTimeout: () => 0, clearTimeout: () => {} },
        send: (msg: CrmMessage, dest?: string) =>
          this.queue.push({ from: name, to: dest, payload: JSON.stringify(msg) }),
        alert: (input) => {
          if (!this.filters.has(name)) this.filters.set(name, new AlertFilter());
          const e = this.filters.get(name)?.accept(input);
          if (e === undefined) return;
          const what =
            e.kind === "node"
              ? `${e.node} ${e.state}`
              : e.kind === "resource"
                ? `${e.task}${e.intervalMs ? `(${e.intervalMs})` : ""} ${e.rsc} on ${e.node} rc ${e.rc}`
                : e.kind === "fencing"
                  ? e.desc
                  : `${e.name}=${e.value} on ${e.node}`;
          this.alerts.push(`${name}: ${e.kind} ${what}`);
        },
      },
    );
    this.ctl.set(name, c);
    return c;
  }

  get(name: string): Controller {
    return this.ctl.get(name) as Controller;
  }

  event(
    observer: string,
    node: string,
    status: "active" | "dead",
    cause = status === "dead" ? "deadtime" : "heard",
  ): void {
    this.get(observer).onMembership({
      kind: "node-status",
      atMs: this.clock,
      node,
      previous: status === "dead" ? "active" : "init",
      status,
      cause,
    } as MembershipEvent);
  }

  async settle(steps = 200, stepMs = 100): Promise<void> {
    for (let i = 0; i < steps; i++) {
      for (const m of this.queue.splice(0))
        for (const [name, c] of this.ctl)
          if (name !== m.from && (m.to === undefined || m.to === name)) c.onMessage(m.from, m.payload);
      await new Promise((r) => setImmediate(r));
      this.clock += stepMs;
      for (const c of this.ctl.values()) c.tick();
    }
  }

  async bothUp(): Promise<void> {
    this.start("n1");
    this.start("n2");
    this.event("n1", "n2", "active");
    this.event("n2", "n1", "active");
    for (const n of ["n1", "n2"])
      this.get(n).onMembership({
        kind: "local-status",
        atMs: this.clock,
        previous: "up",
        status: "active",
      } as MembershipEvent);
    await this.settle(40);
  }

  /** Power loss of `node`: its controller and resources are gone; the survivor sees it dead. */
  async powerLoss(node: string, cause = "deadtime"): Promise<void> {
    this.ctl.delete(node);
    this.running.get(node)?.clear();
    const other = node === "n1" ? "n2" : "n1";
    this.event(other, node, "dead", cause);
    await this.settle();
  }

  expectedOf(observer: string, node: string): string | undefined {
    return this.get(observer).cib.status.find((s) => s.uname === node)?.expected;
  }
}

const idx = (log: string[], entry: string): number => log.findIndex((l) => l.startsWith(entry));

test("a lost DC's node is fenced by the survivor before its resource starts there", async () => {
  const c = new Cluster(cib({ stonith: true, prefer: "n1" }));
  await c.bothUp();
  assert.equal(c.get("n2").dc, "n1");
  assert.ok(c.running.get("n1")?.has("rsc"));
  c.log.length = 0;
  await c.powerLoss("n1");
  const fence = idx(c.log, "n2 fence n1 reboot fence1 ok");
  const start = idx(c.log, "n2 start rsc");
  assert.ok(fence >= 0 && start > fence, c.log.join("; "));
  assert.equal(c.log.filter((l) => l.includes(" fence ")).length, 1, "fenced once");
  assert.equal(c.expectedOf("n2", "n1"), "down", "recorded as fenced");
});

test("the controller reports node, fencing, DC and resource events for alerts, in the order they happen", async () => {
  const c = new Cluster(cib({ stonith: true, prefer: "n1" }));
  await c.bothUp();
  const atStart = [...c.alerts];
  for (const want of [
    "n1: node n2 member",
    "n2: node n1 member",
    "n1: attribute #is_dc=true on n1",
    "n2: attribute #is_dc=true on n1",
  ])
    assert.ok(atStart.includes(want), `${want} missing: ${atStart.join("; ")}`);
  assert.ok(
    atStart.some((a) => /^n1: resource start rsc on n1 rc 0$/.test(a)),
    atStart.join("; "),
  );
  assert.equal(
    atStart.filter((a) => /resource monitor rsc/.test(a)).length,
    0,
    `probes that found nothing send nothing: ${atStart.join("; ")}`,
  );
  c.alerts.length = 0;
  await c.powerLoss("n1");
  const order = [
    "n2: node n1 lost",
    "n2: attribute #is_dc=true on n2",
    "n2: fencing Operation reboot of n1 by n2 for hbd@n2: OK",
    "n2: resource start rsc on n2 rc 0",
  ];
  const at = order.map((o) => c.alerts.indexOf(o));
  assert.ok(
    at.every((i, k) => i >= 0 && (k === 0 || i > (at[k - 1] as number))),
    c.alerts.join("; "),
  );
  assert.ok(
    c.alerts.every((a) => a.startsWith("n2: ")),
    "only the survivor reports",
  );
});

test("a lost non-DC node is fenced by the DC before its resource starts on the DC", async () => {
  const c = new Cluster(cib({ stonith: true, prefer: "n2" }));
  await c.bothUp();
  assert.ok(c.running.get("n2")?.has("rsc"));
  c.log.length = 0;
  await c.powerLoss("n2");
  const fence = idx(c.log, "n1 fence n2 reboot");
  assert.ok(fence >= 0 && idx(c.log, "n1 start rsc") > fence, c.log.join("; "));
});

test("a failed fencing starts nothing; it is retried with backoff until it succeeds", async () => {
  const c = new Cluster(cib({ stonith: true, prefer: "n1" }));
  await c.bothUp();
  c.log.length = 0;
  c.fenceOutcomes.push(false, false);
  await c.powerLoss("n1");
  const fences = c.log.filter((l) => l.includes(" fence "));
  assert.deepEqual(
    fences.map((l) => l.split(" ").at(-1)),
    ["failed", "failed", "ok"],
    c.log.join("; "),
  );
  assert.ok(
    idx(c.log, "n2 start rsc") > c.log.indexOf(fences[2] as string),
    "start only after the fencing succeeded",
  );
  const [t1 = 0, t2 = 0, t3 = 0] = c.fenceTimes;
  assert.ok(t2 - t1 >= 1000, `first retry after >= 1 s (${t2 - t1} ms)`);
  assert.ok(t3 - t2 >= 2000, `second retry after >= 2 s (${t3 - t2} ms)`);
});

test("fencing that keeps failing never starts the resource elsewhere", async () => {
  const c = new Cluster(cib({ stonith: true, prefer: "n1" }));
  await c.bothUp();
  c.log.length = 0;
  c.fenceOutcomes.push(...Array<boolean>(50).fill(false));
  await c.powerLoss("n1");
  await c.settle(600);
  assert.equal(idx(c.log, "n2 start rsc"), -1, c.log.join("; "));
  const attempts = c.log.filter((l) => l.includes(" fence ")).length;
  assert.ok(attempts >= 3 && attempts <= 10, `bounded attempts: ${attempts}`);
});

test("a node that shut down cleanly is not fenced", async () => {
  const c = new Cluster(cib({ stonith: true, prefer: "n1" }));
  await c.bothUp();
  c.log.length = 0;
  await c.get("n1").releaseLocal();
  await c.powerLoss("n1", "shutdown");
  assert.equal(c.log.filter((l) => l.includes(" fence ")).length, 0, c.log.join("; "));
  assert.ok(idx(c.log, "n2 start rsc") > idx(c.log, "n1 stop rsc"), c.log.join("; "));
  assert.equal(c.expectedOf("n2", "n1"), "down");
});

test("a failed stop on the DC with fencing: the peer fences the DC (never itself), then the resource starts there", async () => {
  const c = new Cluster(cib({ stonith: true, prefer: "n1" }));
  await c.bothUp();
  c.log.length = 0;
  c.failing.add("n1 stop rsc");
  c.get("n1").setStandby("n1", true);
  await c.settle();
  assert.ok(!c.log.some((l) => l.startsWith("n1 fence")), `n1 never fences: ${c.log.join("; ")}`);
  const fence = idx(c.log, "n2 fence n1 reboot");
  assert.ok(idx(c.log, "n1 stop rsc") < fence && fence >= 0, c.log.join("; "));
  assert.ok(idx(c.log, "n2 start rsc") > fence, c.log.join("; "));
});

test("a failed stop without fencing blocks the resource: it is not started elsewhere", async () => {
  const c = new Cluster(cib({ stonith: false, prefer: "n1" }));
  await c.bothUp();
  c.log.length = 0;
  c.failing.add("n1 stop rsc");
  c.get("n1").setStandby("n1", true);
  await c.settle();
  assert.ok(idx(c.log, "n1 stop rsc") >= 0, c.log.join("; "));
  assert.equal(idx(c.log, "n2 start rsc"), -1, c.log.join("; "));
  assert.equal(c.log.filter((l) => l.includes(" fence ")).length, 0);
});

test("without fencing a lost node's resource starts on the survivor at once (Heartbeat's assumption)", async () => {
  const c = new Cluster(cib({ stonith: false, prefer: "n1" }));
  await c.bothUp();
  c.log.length = 0;
  await c.powerLoss("n1");
  assert.ok(idx(c.log, "n2 start rsc") >= 0, c.log.join("; "));
  assert.equal(c.log.filter((l) => l.includes(" fence ")).length, 0);
});

test("hbctl fence reboot NODE: the DC fences the peer now, recovers its resource, and does not fence it again when it drops out", async () => {
  const c = new Cluster(cib({ stonith: true, prefer: "n2" }));
  await c.bothUp();
  assert.ok(c.running.get("n2")?.has("rsc"));
  c.log.length = 0;
  const r = await c.get("n1").fenceNode("N2", "reboot");
  assert.match(r.message, /^n2 fenced \(reboot\)/);
  await c.settle(40);
  assert.equal(c.expectedOf("n1", "n2"), "down", "recorded as fenced");
  assert.ok(c.running.get("n1")?.has("rsc"), `recovered on n1: ${c.log.join("; ")}`);
  await c.powerLoss("n2");
  assert.equal(c.log.filter((l) => l.includes(" fence ")).length, 1, `fenced once: ${c.log.join("; ")}`);
});

test("hbctl fence: never the node itself, never a stranger, and a failing device is an error", async () => {
  const c = new Cluster(cib({ stonith: true, prefer: "n1" }));
  await c.bothUp();
  const refused = (p: Promise<unknown>, re: RegExp) =>
    assert.rejects(p, (e: unknown) => e instanceof IpcRefusal && e.code === "refused" && re.test(e.message));
  await refused(c.get("n1").fenceNode("n1", "reboot"), /never fences itself/);
  await refused(c.get("n1").fenceNode("n9", "reboot"), /not a cluster node/);
  c.fenceOutcomes.push(false);
  await refused(c.get("n2").fenceNode("n1", "off"), /fencing n1 failed: .*device error/);
  assert.ok(c.running.get("n1")?.has("rsc"), "nothing moved");
});
