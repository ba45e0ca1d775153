// Goal: administrative requests (move, ban, clear, stop/start, cleanup, cib apply, Heartbeat standby/takeover) are checked where they are asked, applied by the DC (directly, or handed over from a non-DC in an `admin` message), replicated and persisted, and move resources as expected; refusals change nothing.
// Method: two Controllers on an in-memory bus with fake executors (per-node running sets), membership fed by hand, fake timers on a manual clock.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Cib } from "../../../src/cib/model.js";
import { serializeCib } from "../../../src/cib/serialize.js";
import { Controller, type CrmMessage, parseCrmMessage } from "../../../src/daemon/controller.js";
import { dispatchCommand } from "../../../src/daemon/ipc-server.js";
import type { ActionRequest, ActionResult } from "../../../src/exec/types.js";
import { IpcRefusal } from "../../../src/ipc/protocol.js";
import type { MembershipEvent } from "../../../src/membership/types.js";
import { doneResult } from "../../helpers.js";
import { G1, G2, P1, P2, twoGroupsCib } from "./two-groups.js";

const haCib = twoGroupsCib;

class Host {
  readonly running = new Set<string>();
  failStart = new Set<string>();
  exec(req: ActionRequest): Promise<ActionResult> {
    let rc = 0;
    if (req.op === "start") {
      if (this.failStart.has(req.rscId)) rc = 1;
      else this.running.add(req.rscId);
    } else if (req.op === "stop") this.running.delete(req.rscId);
    else if (req.op === "monitor") rc = this.running.has(req.rscId) ? 0 : 7;
    const r: ActionResult = doneResult(req, rc, rc === 0 || rc === 7 ? "" : "failed");
    return Promise.resolve(r);
  }
}

class Pair {
  clock = 1000;
  readonly hosts = { n1: new Host(), n2: new Host() };
  readonly ctl = new Map<string, Controller>();
  readonly persisted: Record<string, Cib[]> = { n1: [], n2: [] };
  /** Nodes whose CIB saves fail with ENOSPC. */
  readonly diskFull = new Set<string>();
  readonly sent: { from: string; msg: CrmMessage }[] = [];
  private queue: { from: string; to: string | undefined; payload: string }[] = [];
  /** Every timer armed, by node (fired only by a test, by hand). */
  readonly timeouts: { node: string; fn: () => void; ms: number }[] = [];

  constructor() {
    for (const name of ["n1", "n2"] as const) {
      const c = new Controller(
        { localNode: name, nodes: ["n1", "n2"], cib: haCib(), dcWaitMs: 500 },
        {
          now: () => 1_800_000_000_000 + this.clock,
          monotonic: () => this.clock,
          exec: (r) => this.hosts[name].exec(r),
          timers: {
            setTimeout: (fn: () => void, ms: number) => {
              this.timeouts.push({ node: name, fn, ms });
              return {};
            },
            clearTimeout: () => {},
          },
          send: (msg, dest) => {
            this.sent.push({ from: name, msg });
            this.queue.push({ from: name, to: dest, payload: JSON.stringify(msg) });
          },
          persist: (cib) => {
            if (this.diskFull.has(name))
              throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
            this.persisted[name]?.push(cib);
          },
        },
      );
      this.ctl.set(name, c);
    }
  }

  get(n: string): Controller {
    return this.ctl.get(n) as Controller;
  }

  async up(): Promise<void> {
    const ev = (c: Controller, e: object) => c.onMembership({ atMs: this.clock, ...e } as MembershipEvent);
    ev(this.get("n1"), { kind: "node-status", node: "n2", previous: "init", status: "up", cause: "heard" });
    ev(this.get("n2"), { kind: "node-status", node: "n1", previous: "init", status: "up", cause: "heard" });
    for (const n of ["n1", "n2"]) ev(this.get(n), { kind: "local-status", previous: "up", status: "active" });
    ev(this.get("n1"), { kind: "node-status", node: "n2", previous: "up", status: "active", cause: "heard" });
    ev(this.get("n2"), { kind: "node-status", node: "n1", previous: "up", status: "active", cause: "heard" });
    await this.settle();
  }

  async settle(): Promise<void> {
    for (let i = 0; i < 300; i++) {
      const batch = this.queue.splice(0);
      for (const m of batch)
        for (const [name, c] of this.ctl)
          if (name !== m.from && (m.to === undefined || m.to === name)) c.onMessage(m.from, m.payload);
      await new Promise((r) => setImmediate(r));
      this.clock += 100;
      for (const c of this.ctl.values()) c.tick();
      if (
        i > 10 &&
        batch.length === 0 &&
        this.queue.length === 0 &&
        [...this.ctl.values()].every((c) => c.idle)
      )
        return;
    }
    assert.fail("the pair did not settle");
  }

  where(): string {
    return ["n1", "n2"]
      .map((n) => `${n}:${[...this.hosts[n as "n1" | "n2"].running].sort().join("+")}`)
      .join(" ");
  }
}

test("move and clear asked on the non-DC are handed to the DC, applied, replicated, persisted, and move the group", async () => {
  const p = new Pair();
  await p.up();
  assert.equal(p.get("n2").dc, "n1");
  assert.equal(p.where(), `n1:${P1} n2:${P2}`);
  const epoch = p.get("n1").cib.epoch;
  const pending = p.get("n2").admin({ op: "move", rsc: P1, node: "n2" });
  assert.ok(
    p.sent.some((s) => s.from === "n2" && s.msg.k === "admin"),
    "an admin message went to the DC",
  );
  await p.settle();
  const r = await pending;
  assert.match(r.message, /cli-prefer-IPaddr2_10\.0\.0\.1 = INFINITY .*applied by the DC n1/);
  assert.equal(p.where(), `n1: n2:${P1}+${P2}`);
  for (const n of ["n1", "n2"]) {
    assert.equal(p.get(n).cib.epoch, epoch + 1, `${n} epoch`);
    assert.equal(p.persisted[n]?.at(-1)?.epoch, epoch + 1, `${n} persisted`);
    assert.ok(p.get(n).cib.configuration.constraints.locations.some((l) => l.id === `cli-prefer-${G1}`));
  }
  p.get("n1").admin({ op: "clear", rsc: G1 });
  await p.settle();
  assert.equal(p.where(), `n1:${P1} n2:${P2}`, "auto_failback on: cleared, the group goes home");
  assert.equal(p.get("n2").cib.epoch, epoch + 2);
});

test("refusals are thrown where they are asked and change nothing; no DC is 'unavailable'", async () => {
  const p = new Pair();
  assert.throws(
    () => p.get("n2").admin({ op: "stop", rsc: G1 }),
    (e: unknown) => e instanceof IpcRefusal && e.code === "unavailable",
  );
  await p.up();
  const epoch = p.get("n1").cib.epoch;
  assert.throws(
    () => p.get("n2").admin({ op: "ban", rsc: "nope", node: "n1" }),
    (e: unknown) => e instanceof IpcRefusal && e.code === "refused" && /no resource nope/.test(e.message),
  );
  assert.throws(
    () => p.get("n1").admin({ op: "cib-apply", xml: "<cib>", file: "x.xml" }),
    /x\.xml:\d+: error/,
  );
  await p.settle();
  assert.equal(p.get("n1").cib.epoch, epoch);
  assert.equal(p.persisted.n1?.at(-1)?.epoch ?? epoch, epoch);
  // A request the non-DC accepted but the DC refuses (its copy differs) is dropped there.
  p.get("n1").onMessage("n2", JSON.stringify({ k: "admin", req: { op: "stop", rsc: "gone" } }));
  await p.settle();
  assert.equal(p.get("n1").cib.epoch, epoch);
});

test("stop/start through target-role, ban, and cleanup after a failed start", async () => {
  const p = new Pair();
  await p.up();
  p.get("n2").admin({ op: "stop", rsc: G1 });
  await p.settle();
  assert.equal(p.where(), `n1: n2:${P2}`);
  p.get("n1").admin({ op: "start", rsc: G1 });
  await p.settle();
  assert.equal(p.where(), `n1:${P1} n2:${P2}`);
  // P2 fails to start on n1: banned from n2, it cannot run anywhere and stays failed until a cleanup.
  p.hosts.n1.failStart.add(P2);
  p.get("n1").admin({ op: "ban", rsc: G2 });
  await p.settle();
  assert.equal(p.where(), `n1:${P1} n2:`);
  const failCount = (c: Controller) =>
    c.cib.status
      .find((s) => s.uname === "n1")
      ?.transientAttributes.flatMap((s) => s.nvpairs)
      .find((x) => x.name.startsWith(`fail-count-${P2}`))?.value;
  assert.equal(failCount(p.get("n2")), "INFINITY", "the failed start is recorded (start-failure-is-fatal)");
  p.hosts.n1.failStart.clear();
  const pending = p.get("n2").admin({ op: "cleanup", rsc: G2, node: "n1" });
  await p.settle();
  assert.match((await pending).message, /cleaned up IPaddr2_10_0_0_2 on n1 .*applied by the DC n1/);
  assert.equal(p.where(), `n1:${P1}+${P2} n2:`, "after cleanup it is probed and started");
  assert.equal(failCount(p.get("n2")), undefined, "the fail count is gone");
});

test("cib apply on the non-DC: the DC replaces the configuration above both epochs and replicates it", async () => {
  const p = new Pair();
  await p.up();
  const cur = p.get("n1").cib;
  const next: Cib = {
    ...cur,
    epoch: cur.epoch + 5,
    status: [],
    configuration: {
      ...cur.configuration,
      resources: cur.configuration.resources.filter((r) => r.id !== G2),
      constraints: {
        ...cur.configuration.constraints,
        locations: cur.configuration.constraints.locations.filter((l) => l.rsc !== G2),
      },
    },
  };
  const xml = serializeCib(next);
  assert.throws(
    () => p.get("n2").admin({ op: "cib-apply", xml, file: "new.xml" }),
    /drops IPaddr2_10_0_0_2 \(running on n2\); stop it first/,
  );
  p.get("n2").admin({ op: "stop", rsc: G2 });
  await p.settle();
  assert.equal(p.where(), `n1:${P1} n2:`);
  const stopped = p.get("n1").cib.epoch;
  p.get("n2").admin({ op: "cib-apply", xml, file: "new.xml" });
  await p.settle();
  for (const n of ["n1", "n2"]) {
    assert.equal(p.get(n).cib.epoch, Math.max(stopped, cur.epoch + 5) + 1, n);
    assert.deepEqual(
      p.get(n).cib.configuration.resources.map((r) => r.id),
      [G1],
    );
    assert.equal(p.get(n).cibShow().counts.resources, 1);
  }
  assert.equal(p.where(), `n1:${P1} n2:`);
});

test("Heartbeat standby/takeover through the IPC dispatcher: local, foreign, all", async () => {
  const p = new Pair();
  await p.up();
  const on = (n: string, method: "standby" | "takeover", which: string) =>
    dispatchCommand(p.get(n), n, method, { which });
  on("n1", "standby", "local");
  await p.settle();
  assert.equal(p.where(), `n1: n2:${P1}+${P2}`, "hb_standby local on n1: its own group goes to n2");
  on("n1", "takeover", "local");
  await p.settle();
  assert.equal(p.where(), `n1:${P1} n2:${P2}`, "hb_takeover local on n1 brings it back");
  on("n2", "takeover", "foreign");
  await p.settle();
  assert.equal(p.where(), `n1: n2:${P1}+${P2}`, "hb_takeover foreign on n2 takes n1's group");
  on("n2", "standby", "all");
  await p.settle();
  assert.equal(p.where(), `n1:${P1}+${P2} n2:`, "hb_standby all on n2 hands everything to n1");
  assert.throws(() => dispatchCommand(p.get("n1"), "n1", "takeover", { which: "most" }), /not one of/);
  assert.throws(
    () => dispatchCommand(p.get("n1"), "n1", "cib-apply", { xml: "<cib/>" }, { haresources: true }),
    /haresources mode/,
  );
  assert.throws(
    () => dispatchCommand(p.get("n1"), "n1", "standby", { node: "n9" }),
    (e: unknown) => e instanceof IpcRefusal && e.code === "refused",
  );
  const show = dispatchCommand(p.get("n2"), "n2", "cib-show", {});
  assert.ok("xml" in show && show.dc === "n1" && show.xml.includes(`cli-prefer-${G1}`));
});

test("admin messages parse; malformed ones are not messages; the old attr form is still accepted", () => {
  const m = { k: "admin", req: { op: "move", rsc: "g", node: "n2" } };
  assert.deepEqual(parseCrmMessage(JSON.stringify(m)), m);
  for (const bad of [
    { k: "admin" },
    { k: "admin", req: { op: "move" } },
    { k: "admin", req: { op: "hb-standby", which: "most", node: "n1" } },
    { k: "admin", req: { op: "cib-apply", xml: 3 } },
    { k: "admin", req: { op: "explode", rsc: "g" } },
  ])
    assert.equal(parseCrmMessage(JSON.stringify(bad)), undefined, JSON.stringify(bad));
  assert.equal(parseCrmMessage('{"k":"attr","node":"n1","name":"standby","value":"on"}')?.k, "attr");
});

test("the DC's verdict on a change handed to it reaches the asking node: a refusal is an error there", async () => {
  const p = new Pair();
  await p.up();
  const mark = p.sent.length;
  p.get("n1").onMessage(
    "n2",
    JSON.stringify({ k: "admin", req: { op: "move", rsc: "nope", node: "n2" }, rid: 7 }),
  );
  const verdict = p.sent.slice(mark).find((s) => s.msg.k === "admin-result")?.msg;
  assert.deepEqual(verdict, {
    k: "admin-result",
    rid: 7,
    ok: false,
    message: verdict?.k === "admin-result" ? verdict.message : "",
  });
  assert.match(JSON.stringify(verdict), /nope/);
  const asked = p.get("n2").admin({ op: "move", rsc: P1, node: "n2" });
  const rid = (p.sent.at(-1)?.msg as { rid?: number } | undefined)?.rid;
  p.get("n2").onMessage(
    "n1",
    JSON.stringify({ k: "admin-result", rid, ok: false, message: "its CIB differs" }),
  );
  await assert.rejects(
    Promise.resolve(asked),
    (e: unknown) =>
      e instanceof IpcRefusal && /the DC n1 refused: its CIB differs/.test(e.message) && e.code === "refused",
  );
});

test("a full disk on the DC: the change is refused with the reason (asked on the DC or the non-DC), nothing changes; freed, it applies", async () => {
  const p = new Pair();
  await p.up();
  const epoch = p.get("n1").cib.epoch;
  p.diskFull.add("n1");
  assert.throws(
    () => p.get("n1").admin({ op: "move", rsc: P1, node: "n2" }),
    (e: unknown) =>
      e instanceof IpcRefusal &&
      e.code === "refused" &&
      /CIB could not be saved on the DC n1 \(ENOSPC.*not applied/.test(e.message),
  );
  const viaPeer = assert.rejects(
    Promise.resolve(p.get("n2").admin({ op: "move", rsc: P1, node: "n2" })),
    (e: unknown) =>
      e instanceof IpcRefusal && /the DC n1 refused: the CIB could not be saved/.test(e.message),
  );
  await p.settle();
  await viaPeer;
  for (const n of ["n1", "n2"]) assert.equal(p.get(n).cib.epoch, epoch, `${n}: nothing applied`);
  assert.equal(p.where(), `n1:${P1} n2:${P2}`);
  p.diskFull.delete("n1");
  p.get("n1").admin({ op: "move", rsc: P1, node: "n2" });
  await p.settle();
  assert.equal(p.persisted.n1?.at(-1)?.epoch, epoch + 1);
  assert.equal(p.get("n2").cib.epoch, epoch + 1);
});

test("a change the DC never confirms is an error on the non-DC (exit 3): it was sent and may still apply", async () => {
  const p = new Pair();
  await p.up();
  const armed = p.timeouts.length;
  // The admin message is sent but the DC's answer never comes (lost, or an older DC that does not answer).
  const asked = p.get("n2").admin({ op: "move", rsc: P1, node: "n2" });
  const wait = p.timeouts.slice(armed).find((t) => t.node === "n2" && t.ms === 3000);
  assert.ok(wait, "n2 waits 3 s for the verdict");
  wait.fn();
  await assert.rejects(
    Promise.resolve(asked),
    (e: unknown) =>
      e instanceof IpcRefusal &&
      e.code === "unavailable" &&
      /not confirmed by the DC n1 within 3 s; it was sent and may still be applied/.test(e.message),
  );
});

test("hbctl standby NODE on the non-DC waits for the DC's verdict too (not a fire-and-forget)", async () => {
  const p = new Pair();
  await p.up();
  const armed = p.timeouts.length;
  const asked = dispatchCommand(p.get("n2"), "n2", "standby", { node: "n1" });
  assert.ok(asked instanceof Promise, "the answer waits for the DC");
  await p.settle();
  assert.match((await asked).message, /n1: standby=on \(applied by the DC n1\)/);
  assert.equal(p.where(), `n1: n2:${P1}+${P2}`);
  // Unanswered: exit 3 (unavailable), as any admin change.
  const lost = dispatchCommand(p.get("n2"), "n2", "online", { node: "n1" });
  p.timeouts
    .slice(armed)
    .filter((t) => t.node === "n2" && t.ms === 3000)
    .at(-1)
    ?.fn();
  await assert.rejects(
    Promise.resolve(lost),
    (e: unknown) => e instanceof IpcRefusal && e.code === "unavailable",
  );
});
