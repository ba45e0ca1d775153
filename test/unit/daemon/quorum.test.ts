// Goal: the DC schedules with quorum as Heartbeat's CCM computes it (more than half of the configured nodes, or one
// of two: the twonodes tiebreaker), so no-quorum-policy=stop keeps a lone node of three from starting anything
// (simulator seed 7663) while a lone node of a pair still takes over.
// Method: Controllers on an in-memory bus, membership fed by hand, fake executors that record what runs; a manual clock.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Cib } from "../../../src/cib/model.js";
import { parseCib } from "../../../src/cib/parse.js";
import { Controller, type CrmMessage } from "../../../src/daemon/controller.js";
import type { ActionRequest, ActionResult } from "../../../src/exec/types.js";
import type { MembershipEvent } from "../../../src/membership/types.js";
import { doneResult } from "../../helpers.js";

function cib(nodes: readonly string[], policy: string): Cib {
  const xml = `<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.0"><configuration>
<crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/>${policy === "" ? "" : `<nvpair id="o2" name="no-quorum-policy" value="${policy}"/>`}</cluster_property_set></crm_config>
<nodes>${nodes.map((n) => `<node id="${n}" uname="${n}"/>`).join("")}</nodes>
<resources><primitive id="rsc" class="ocf" provider="heartbeat" type="Dummy"/></resources>
<constraints><rsc_location id="pref" rsc="rsc" node="n1" score="100"/></constraints></configuration><status/></cib>`;
  const p = parseCib(xml);
  if (p.value === undefined) throw new Error(JSON.stringify(p.diagnostics));
  return p.value;
}

class Bus {
  clock = 1000;
  readonly running = new Map<string, Set<string>>();
  readonly ctl = new Map<string, Controller>();
  private queue: { from: string; to: string | undefined; payload: string }[] = [];

  constructor(
    private readonly nodes: readonly string[],
    private readonly policy: string,
  ) {}

  start(name: string): void {
    const running = new Set<string>();
    this.running.set(name, running);
    const exec = (req: ActionRequest): Promise<ActionResult> => {
      let rc = 0;
      if (req.op === "start") running.add(req.rscId);
      else if (req.op === "stop") running.delete(req.rscId);
      else if (req.op === "monitor") rc = running.has(req.rscId) ? 0 : 7;
      return Promise.resolve(doneResult(req, rc));
    };
    const c = new Controller(
      { localNode: name, nodes: this.nodes, cib: cib(this.nodes, this.policy), dcWaitMs: 100 },
      {
        now: () => 1_800_000_000_000 + this.clock,
        monotonic: () => this.clock,
        exec,
        timers: { setTimeout: () => 0, clearTimeout: () => {} },
        send: (msg: CrmMessage, dest?: string) =>
          this.queue.push({ from: name, to: dest, payload: JSON.stringify(msg) }),
        persist: () => {},
      },
    );
    this.ctl.set(name, c);
  }

  /** `observer`'s membership reports `node` (itself: local-status) as `status`. */
  see(observer: string, node: string, status: "active" | "dead"): void {
    const c = this.ctl.get(observer) as Controller;
    const e =
      node === observer
        ? { kind: "local-status", previous: "up", status }
        : {
            kind: "node-status",
            node,
            previous: status === "dead" ? "init" : "dead",
            status,
            cause: "heard",
          };
    c.onMembership({ atMs: this.clock, ...e } as MembershipEvent);
  }

  async settle(): Promise<void> {
    for (let i = 0; i < 100; i++) {
      for (const m of this.queue.splice(0))
        for (const [name, c] of this.ctl)
          if (name !== m.from && (m.to === undefined || m.to === name)) c.onMessage(m.from, m.payload);
      await new Promise((r) => setImmediate(r));
      this.clock += 50;
      for (const c of this.ctl.values()) c.tick();
    }
  }

  ran(name: string): string[] {
    return [...(this.running.get(name) ?? [])];
  }
}

/** n1 up with every other node seen dead; settled. */
async function alone(nodes: readonly string[], policy: string): Promise<Bus> {
  const bus = new Bus(nodes, policy);
  bus.start("n1");
  for (const n of nodes.slice(1)) bus.see("n1", n, "dead");
  bus.see("n1", "n1", "active");
  await bus.settle();
  return bus;
}

test("a lone node of three has no quorum: no-quorum-policy=stop starts nothing until a second node joins", async () => {
  const bus = await alone(["n1", "n2", "n3"], "stop");
  assert.deepEqual(bus.ran("n1"), [], "alone: no quorum, nothing starts");
  bus.start("n2");
  bus.see("n2", "n3", "dead");
  bus.see("n2", "n2", "active");
  bus.see("n2", "n1", "active");
  bus.see("n1", "n2", "active");
  await bus.settle();
  assert.deepEqual(bus.ran("n1"), ["rsc"], "two of three: quorum, rsc starts on its preferred node");
  assert.deepEqual(bus.ran("n2"), []);
});

test("no-quorum-policy=ignore starts even without quorum", async () => {
  const bus = await alone(["n1", "n2", "n3"], "ignore");
  assert.deepEqual(bus.ran("n1"), ["rsc"]);
});

test("a lone node of a pair keeps quorum (Heartbeat's twonodes tiebreaker) with the default no-quorum-policy", async () => {
  const bus = await alone(["n1", "n2"], "");
  assert.deepEqual(bus.ran("n1"), ["rsc"]);
});
