// Goal: the haresources resource protocol (daemon/r1.ts) makes Heartbeat's decisions and never lets two
// nodes hold one group: start-up, takeover, failback on/off, the standby three-phase exchange, hb_takeover,
// legacy ip-request, and the refusals (crm mode, a silent peer).
// Method: two R1Engines (each taking the other for a Heartbeat node, which is what the engine mirrors)
// on a FIFO "wire"; group starts and stops settle later, as the controller's do; after every step the
// groups that may be running on each node (old and new during a change) must not overlap.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { AutoFailback } from "../../../src/config/model.js";
import { ALL, type Fields, FOREIGN, LOCAL, R1Engine, swapHold } from "../../../src/daemon/r1.js";

const GROUPS = [
  { key: "IPaddr::10.0.0.100", node: "a" },
  { key: "IPaddr::10.0.0.200", node: "b" },
];

type Step =
  | { kind: "msg"; from: string; to: string; fields: Map<string, string> }
  | { kind: "settle"; node: string };

class Pair {
  readonly engines = new Map<string, R1Engine>();
  /** Groups that may be running on a node: what it ran plus what it is starting. */
  readonly mayRun = new Map<string, Set<string>>();
  readonly running = new Map<string, Set<string>>();
  private readonly pendingHold = new Map<string, { keys: Set<string>; done: (() => void)[] }>();
  readonly queue: Step[] = [];
  readonly sent: { from: string; fields: Map<string, string> }[] = [];
  readonly alive = new Set<string>();
  /** Drops a message for good when it returns true (a packet the messaging layer gave up on). */
  drop: ((from: string, fields: ReadonlyMap<string, string>) => boolean) | undefined;
  readonly dropped: string[] = [];
  /** Groups whose stop fails on a node: they keep running there (blocked), as after a failed stop. */
  readonly failStop = new Map<string, Set<string>>();
  /** Each node's messages carry its generation and seq, as node.ts delivers them. */
  private readonly seqs = new Map<string, { hg: number; seq: number }>();
  now = 0;
  violations: string[] = [];

  constructor(autoFailback: AutoFailback, opts: { crmMode?: string; silentPeerMs?: number } = {}) {
    for (const n of ["a", "b"]) {
      this.mayRun.set(n, new Set());
      this.running.set(n, new Set());
      this.engines.set(
        n,
        new R1Engine(
          {
            localNode: n,
            autoFailback,
            groups: opts.crmMode === n ? [] : GROUPS,
            crmMode: opts.crmMode === n,
            ...(opts.silentPeerMs === undefined ? {} : { silentPeerMs: opts.silentPeerMs }),
          },
          {
            send: (fields: Fields, _dest?: string) => this.send(n, fields),
            hold: (keys, done) => this.hold(n, keys, done),
            stillHere: () => new Set(this.running.get(n)),
          },
        ),
      );
    }
  }

  engine(n: string): R1Engine {
    const e = this.engines.get(n);
    if (e === undefined) throw new Error(n);
    return e;
  }

  private send(from: string, fields: Fields): void {
    const mark = this.seqs.get(from) ?? { hg: 1, seq: 0 };
    mark.seq++;
    this.seqs.set(from, mark);
    const m = new Map([...fields, ["hg", mark.hg.toString(16)], ["seq", mark.seq.toString(16)]]);
    this.sent.push({ from, fields: m });
    if (this.drop?.(from, m) === true) {
      this.dropped.push(`${from}:${m.get("t")}:${m.get("info") ?? m.get("isstable")}`);
      return;
    }
    for (const to of ["a", "b"]) if (to !== from) this.queue.push({ kind: "msg", from, to, fields: m });
  }

  private hold(n: string, keys: ReadonlySet<string> | undefined, done: () => void): void {
    const target = new Set(keys ?? GROUPS.map((g) => g.key));
    const p = this.pendingHold.get(n);
    if (p === undefined) this.pendingHold.set(n, { keys: target, done: [done] });
    else {
      p.keys = target;
      p.done.push(done);
    }
    for (const k of target) this.mayRun.get(n)?.add(k);
    this.queue.push({ kind: "settle", node: n });
    this.check();
  }

  private settle(n: string): void {
    const p = this.pendingHold.get(n);
    if (p === undefined) return;
    this.pendingHold.delete(n);
    if (!this.alive.has(n)) return;
    const next = new Set(p.keys);
    for (const k of this.running.get(n) ?? []) if (this.failStop.get(n)?.has(k) === true) next.add(k);
    this.running.set(n, next);
    this.mayRun.set(n, new Set(next));
    for (const d of p.done) d();
  }

  private check(): void {
    const a = this.mayRun.get("a") ?? new Set();
    for (const k of this.mayRun.get("b") ?? [])
      if (a.has(k)) this.violations.push(`${k} on both at ${this.now}`);
  }

  /** Both nodes up and active, each taking the other for a Heartbeat node. */
  startBoth(): void {
    for (const n of ["a", "b"]) this.alive.add(n);
    this.engine("a").onPeer("b", true, "heartbeat", this.now);
    this.engine("b").onPeer("a", true, "heartbeat", this.now);
    this.engine("a").onLocalActive(this.now);
    this.engine("b").onLocalActive(this.now);
    this.engine("a").onPeerActive(this.now);
    this.engine("b").onPeerActive(this.now);
    this.run();
  }

  /** Node `n` dies (power loss): its resources vanish; the peer sees it dead. */
  kill(n: string, shutdown = false): void {
    this.alive.delete(n);
    this.running.set(n, new Set());
    this.mayRun.set(n, new Set());
    this.queue.splice(
      0,
      this.queue.length,
      ...this.queue.filter((s) => (s.kind === "msg" ? s.from !== n && s.to !== n : s.node !== n)),
    );
    const other = n === "a" ? "b" : "a";
    this.engine(other).onPeer(n, false, "heartbeat", this.now, shutdown);
    this.run();
  }

  /** Node `n` restarts with a fresh engine and becomes active next to its peer. */
  restart(n: string, autoFailback: AutoFailback): void {
    this.seqs.set(n, { hg: (this.seqs.get(n)?.hg ?? 1) + 1, seq: 0 });
    this.engines.set(
      n,
      new R1Engine(
        { localNode: n, autoFailback, groups: GROUPS },
        { send: (f) => this.send(n, f), hold: (k, d) => this.hold(n, k, d) },
      ),
    );
    this.alive.add(n);
    const other = n === "a" ? "b" : "a";
    this.engine(n).onPeer(other, true, "heartbeat", this.now);
    this.engine(other).onPeer(n, true, "heartbeat", this.now);
    this.engine(n).onLocalActive(this.now);
    this.run();
  }

  /** Delivers messages and settles changes until quiet; ticks the clock by `stepMs` when idle (bounded). */
  run(forMs = 0, stepMs = 100): void {
    const end = this.now + forMs;
    for (let i = 0; i < 10_000; i++) {
      const s = this.queue.shift();
      if (s === undefined) {
        if (this.now >= end) return;
        this.now += stepMs;
        for (const n of this.alive) this.engine(n).tick(this.now);
        continue;
      }
      if (s.kind === "settle") this.settle(s.node);
      else if (this.alive.has(s.to) && this.alive.has(s.from))
        this.engine(s.to).onMessage(s.from, s.fields, this.now);
      this.check();
    }
    throw new Error("the pair never went quiet");
  }

  held(n: string): string[] {
    return [...(this.running.get(n) ?? [])].sort();
  }
}

const A = "IPaddr::10.0.0.100";
const B = "IPaddr::10.0.0.200";

test("swapHold turns the peer's view into ours", () => {
  assert.equal(swapHold(LOCAL), FOREIGN);
  assert.equal(swapHold(FOREIGN), LOCAL);
  assert.equal(swapHold(ALL), ALL);
});

test("two nodes starting together each take their own group, at once, and both become stable", () => {
  const p = new Pair("on");
  p.startBoth();
  p.run(500);
  assert.deepEqual(p.held("a"), [A]);
  assert.deepEqual(p.held("b"), [B]);
  assert.equal(p.engine("a").report().rscstatus, "local");
  assert.equal(p.engine("b").report().rscstatus, "local");
  assert.ok(p.now < 10_000, "no RQSTDELAY wait");
  assert.deepEqual(p.violations, []);
});

test("a dead peer's group is taken over; with auto_failback on it goes back when the peer returns", () => {
  const p = new Pair("on");
  p.startBoth();
  p.kill("b");
  assert.deepEqual(p.held("a"), [A, B]);
  assert.equal(p.engine("a").report().rscstatus, "all");
  p.restart("b", "on");
  p.run(3000);
  assert.deepEqual(p.held("a"), [A]);
  assert.deepEqual(p.held("b"), [B]);
  assert.deepEqual(p.violations, []);
  // The returning node asked nothing: the holder gave back its foreign group with a standby of type foreign.
  assert.ok(
    p.sent.some(
      (s) =>
        s.from === "a" && s.fields.get("t") === "ask_resources" && s.fields.get("rsc_hold") === "foreign",
    ),
  );
});

test("with auto_failback off the returning node stays passive", () => {
  const p = new Pair("off");
  p.startBoth();
  p.kill("a");
  p.restart("a", "off");
  p.run(15_000);
  assert.deepEqual(p.held("a"), []);
  assert.deepEqual(p.held("b"), [A, B]);
  assert.equal(p.engine("a").report().rscstatus, "none");
  assert.deepEqual(p.violations, []);
});

test("a clean shutdown (shutdone) hands the groups over at once", () => {
  const p = new Pair("on");
  p.startBoth();
  p.kill("b", true);
  assert.deepEqual(p.held("a"), [A, B]);
});

test("standby all: the three-phase exchange moves every group, releasing before acquiring", () => {
  const p = new Pair("off");
  p.startBoth();
  assert.equal(p.engine("a").requestStandby(ALL), undefined);
  p.run(1000);
  assert.deepEqual(p.held("a"), []);
  assert.deepEqual(p.held("b"), [A, B]);
  assert.equal(p.engine("a").report().rscstatus, "none");
  assert.equal(p.engine("b").report().rscstatus, "all");
  const infos = p.sent
    .filter((s) => s.fields.get("t") === "ask_resources")
    .map((s) => `${s.from}:${s.fields.get("info")}`);
  assert.deepEqual(infos, ["a:me", "b:other", "a:done", "b:done"]);
  assert.deepEqual(p.violations, []);
});

test("a standby request this node would itself ignore (in flux) is not sent: the peer is not left waiting", () => {
  const p = new Pair("off");
  p.startBoth();
  assert.equal(p.engine("a").requestStandby(ALL), undefined);
  // a is now in the middle of its standby: a second request (ipfail asking again) is refused locally.
  const before = p.sent.length;
  assert.match(p.engine("a").requestStandby(ALL) ?? "", /in flux/);
  assert.equal(p.sent.length, before, "nothing sent for the refused request");
  p.run(1000);
  assert.deepEqual(p.held("b"), [A, B]);
  assert.deepEqual(p.violations, []);
});

test("hb_takeover local from a: b runs hb_standby foreign and a gets its own group back", () => {
  const p = new Pair("off");
  p.startBoth();
  p.engine("a").requestStandby(ALL);
  p.run(1000);
  assert.equal(p.engine("a").requestTakeover(LOCAL), undefined);
  p.run(1000);
  assert.deepEqual(p.held("a"), [A]);
  assert.deepEqual(p.held("b"), [B]);
  assert.deepEqual(p.violations, []);
});

test("standby requests are refused while the other side is in flux, and time out without a reply", () => {
  const p = new Pair("on");
  p.startBoth();
  // b dies silently (no death seen yet): a's request gets no answer for 10 s.
  p.alive.delete("b");
  p.engine("a").requestStandby(ALL);
  p.run(500);
  assert.equal(p.engine("a").report().standby, "me");
  p.run(11_000);
  assert.equal(p.engine("a").report().standby, "not");
  assert.deepEqual(p.held("a"), [A]);
});

test("legacy (auto_failback legacy): the preferred node asks with ip-request, the holder gives the group", () => {
  const p = new Pair("legacy");
  p.startBoth();
  p.run(500);
  // Each asked for its group with ip-request; nobody held it, so each got weown=no, ok=OK and took it.
  assert.deepEqual(p.held("a"), [A]);
  assert.deepEqual(p.held("b"), [B]);
  p.kill("b");
  assert.deepEqual(p.held("a"), [A, B]);
  p.restart("b", "legacy");
  p.run(1000);
  assert.deepEqual(p.held("a"), [A]);
  assert.deepEqual(p.held("b"), [B]);
  assert.ok(
    p.sent.some(
      (s) => s.from === "a" && s.fields.get("t") === "ip-request-resp" && s.fields.get("weown") === "yes",
    ),
  );
  assert.deepEqual(p.violations, []);
  assert.match(p.engine("a").requestStandby(ALL) ?? "", /nice_failback/);
});

test("a crm-mode node next to a Heartbeat peer runs nothing and says why; it manages again once the peer left", () => {
  const p = new Pair("on", { crmMode: "a" });
  p.startBoth();
  const r = p.engine("a").report();
  assert.equal(r.mode, "refused");
  assert.match(r.refusal ?? "", /crm on/);
  assert.deepEqual(p.held("a"), []);
  p.kill("b");
  assert.equal(p.engine("a").report().mode, "alone");
});

test("a Heartbeat peer that never speaks the protocol (crm on there) is refused within the silent-peer time", () => {
  const p = new Pair("on", { silentPeerMs: 5000 });
  // b is a crm-mode Heartbeat node: it never answers. Only a runs an engine here.
  p.alive.add("a");
  const a = p.engine("a");
  a.onPeer("b", true, "heartbeat", 0);
  a.onLocalActive(0);
  a.onPeerActive(0);
  for (let t = 100; t <= 6000; t += 100) a.tick(t);
  const r = a.report();
  assert.equal(r.mode, "refused");
  assert.match(r.refusal ?? "", /does not speak the haresources resource protocol/);
});

test("with a Tandem peer the engine does not restrict the controller", () => {
  const holds: (ReadonlySet<string> | undefined)[] = [];
  const e = new R1Engine(
    { localNode: "a", autoFailback: "on", groups: GROUPS },
    {
      send: () => {},
      hold: (k, d) => {
        holds.push(k);
        d();
      },
    },
  );
  e.onPeer("b", true, "tandem", 0);
  e.onLocalActive(0);
  assert.equal(e.restricted, false);
  assert.ok(holds.every((h) => h === undefined));
  assert.equal(e.report().mode, "tandem-peer");
});

test("holdFromRunning: Heartbeat's sets from what runs here", async () => {
  const { holdFromRunning, NONE } = await import("../../../src/daemon/r1.js");
  const run = (keys: string[]) => (k: string) => keys.includes(k);
  assert.equal(holdFromRunning(GROUPS, "a", run([])), NONE);
  assert.equal(holdFromRunning(GROUPS, "a", run([A])), LOCAL);
  assert.equal(holdFromRunning(GROUPS, "a", run([B])), FOREIGN);
  assert.equal(holdFromRunning(GROUPS, "b", run([A, B])), ALL);
});

/** Drops the first message from `from` matching `t` and `info` (or `isstable` for resource messages). */
function dropOnce(p: Pair, from: string, t: string, what: string): void {
  let done = false;
  p.drop = (f, m) => {
    if (done || f !== from || m.get("t") !== t) return false;
    if ((t === "resource" ? m.get("isstable") : m.get("info")) !== what) return false;
    done = true;
    return true;
  };
}

function settled(p: Pair): void {
  for (const n of ["a", "b"]) {
    const r = p.engine(n).report();
    assert.notEqual(r.rscstatus, "transition", `${n}: ${JSON.stringify(r)}`);
    assert.equal(r.standby, "not", `${n}: ${JSON.stringify(r)}`);
    assert.equal(r.peerStable, true, `${n}: ${JSON.stringify(r)}`);
  }
}

test("flux recovery: the taker's `other` lost for good: the requester cancels after 10 s and the taker stops waiting too", () => {
  const p = new Pair("off");
  p.startBoth();
  dropOnce(p, "b", "ask_resources", "other");
  assert.equal(p.engine("a").requestStandby(ALL), undefined);
  p.run(13_000);
  assert.deepEqual(p.dropped, ["b:ask_resources:other"]);
  assert.deepEqual(p.held("a"), [A]);
  assert.deepEqual(p.held("b"), [B]);
  settled(p);
  assert.deepEqual(p.violations, []);
});

test("flux recovery: the giver's `done` lost for good: it says it again and the peer takes the groups", () => {
  const p = new Pair("off");
  p.startBoth();
  dropOnce(p, "a", "ask_resources", "done");
  assert.equal(p.engine("a").requestStandby(ALL), undefined);
  p.run(25_000);
  assert.deepEqual(p.dropped, ["a:ask_resources:done"]);
  assert.deepEqual(p.held("a"), []);
  assert.deepEqual(p.held("b"), [A, B]);
  settled(p);
  assert.equal(p.engine("a").report().rscstatus, "none");
  assert.equal(p.engine("b").report().rscstatus, "all");
  assert.deepEqual(p.violations, []);
});

test("flux recovery: the taker's `done` lost for good: the giver's repeated `done` gets it again", () => {
  const p = new Pair("off");
  p.startBoth();
  dropOnce(p, "b", "ask_resources", "done");
  assert.equal(p.engine("a").requestStandby(ALL), undefined);
  p.run(25_000);
  assert.deepEqual(p.dropped, ["b:ask_resources:done"]);
  assert.deepEqual(p.held("b"), [A, B]);
  settled(p);
  assert.equal(p.engine("a").report().rscstatus, "none");
  // b took the groups once: the repeated `done` was answered, not acted on again
  assert.equal(p.sent.filter((x) => x.from === "b" && x.fields.get("info") === "done").length, 2);
  assert.deepEqual(p.violations, []);
});

test("flux recovery: the peer's isstable=1 lost for good: asked again (info=resend), it answers", () => {
  const p = new Pair("off");
  p.drop = (from, m) => from === "b" && m.get("t") === "resource" && p.now < 1000;
  p.startBoth();
  p.run(500);
  assert.ok(p.dropped.includes("b:resource:1"), p.dropped.join(" "));
  assert.equal(p.engine("a").report().rscstatus, "transition");
  p.run(15_000);
  settled(p);
  assert.deepEqual(p.held("a"), [A]);
  assert.deepEqual(p.held("b"), [B]);
  assert.ok(p.sent.some((x) => x.from === "a" && x.fields.get("info") === "resend"));
  assert.deepEqual(p.violations, []);
});

test("a peer's `starting` retransmitted after its later `resource` message is stale: no takeover of its groups", () => {
  const p = new Pair("off");
  p.startBoth();
  p.run(500);
  assert.deepEqual(p.held("b"), [B]);
  const first = p.sent.find((x) => x.from === "b" && x.fields.get("t") === "starting");
  assert.ok(first !== undefined);
  // the packet was lost and retransmitted: it arrives after b's resource messages
  p.queue.push({ kind: "msg", from: "b", to: "a", fields: first.fields });
  p.run(500);
  assert.deepEqual(p.held("a"), [A]);
  assert.deepEqual(p.held("b"), [B]);
  assert.deepEqual(p.violations, []);
});

test("a stop that fails during a standby: the group is not said released; the standby is cancelled on both sides", () => {
  const p = new Pair("off");
  p.startBoth();
  p.run(500);
  p.failStop.set("a", new Set([A]));
  assert.equal(p.engine("a").requestStandby(ALL), undefined);
  p.run(2000);
  assert.deepEqual(p.held("a"), [A]);
  assert.deepEqual(p.held("b"), [B]);
  assert.deepEqual(p.engine("a").report().held, [A]);
  const infos = p.sent
    .filter((x) => x.fields.get("t") === "ask_resources")
    .map((x) => `${x.from}:${x.fields.get("info")}`);
  assert.deepEqual(infos, ["a:me", "b:other"], "no 'done': nothing was released");
  settled(p);
  assert.equal(p.engine("a").report().rscstatus, "local");
  assert.equal(p.engine("b").report().rscstatus, "local");
  assert.deepEqual(p.violations, []);
  // once the failure is cleaned up, a standby works again
  p.failStop.delete("a");
  assert.equal(p.engine("a").requestStandby(ALL), undefined);
  p.run(2000);
  assert.deepEqual(p.held("a"), []);
  assert.deepEqual(p.held("b"), [A, B]);
  assert.deepEqual(p.violations, []);
});

/** A legacy pair that each came up alone (a partition): each holds every group. */
function bothAloneLegacy(): Pair {
  const p = new Pair("legacy");
  for (const n of ["a", "b"]) {
    p.alive.add(n);
    p.engine(n).onLocalActive(p.now);
  }
  p.run(100);
  return p;
}

test("legacy: both came up alone (a partition) holding every group; when they meet each gets its own back", () => {
  const p = bothAloneLegacy();
  assert.deepEqual(p.held("a"), [A, B]);
  assert.deepEqual(p.held("b"), [A, B]);
  p.violations = [];
  // b learns of a first: its ip-request reaches a before a knows b runs Heartbeat, and is dropped
  p.engine("b").onPeer("a", true, "heartbeat", p.now);
  p.run(0);
  p.engine("a").onPeer("b", true, "heartbeat", p.now);
  p.run(5000);
  assert.deepEqual(p.held("a"), [A]);
  assert.deepEqual(p.held("b"), [B]);
  assert.ok(
    p.sent.filter((x) => x.from === "b" && x.fields.get("t") === "ip-request").length >= 2,
    "b asked again",
  );
});

test("legacy: an ip-request lost for good is asked again", () => {
  const p = new Pair("legacy");
  p.alive.add("b");
  p.engine("b").onLocalActive(p.now);
  p.run(100);
  assert.deepEqual(p.held("b"), [A, B]);
  p.alive.add("a");
  let dropped = 0;
  p.drop = (f, m) => f === "a" && m.get("t") === "ip-request" && dropped++ === 0;
  p.engine("b").onPeer("a", true, "heartbeat", p.now);
  p.engine("a").onPeer("b", true, "heartbeat", p.now);
  p.engine("a").onLocalActive(p.now);
  p.run(5000);
  assert.deepEqual(p.dropped, ["a:ip-request:undefined"]);
  assert.deepEqual(p.held("a"), [A]);
  assert.deepEqual(p.held("b"), [B]);
  assert.deepEqual(p.violations, []);
});

test("legacy: an ip-request repeated while the holder still stops the group is answered once, after the stop", () => {
  const p = new Pair("legacy");
  p.alive.add("b");
  p.engine("b").onLocalActive(p.now);
  p.run(100);
  p.alive.add("a");
  p.engine("b").onPeer("a", true, "heartbeat", p.now);
  const ask = new Map([
    ["t", "ip-request"],
    ["ipaddr", A],
  ]);
  p.engine("b").onMessage("a", ask, p.now);
  p.engine("b").onMessage("a", ask, p.now); // before b's stop settled
  const answers = p.sent.filter((x) => x.from === "b" && x.fields.get("t") === "ip-request-resp");
  assert.equal(answers.length, 0, "no early 'we do not own it'");
  p.run(100);
  const after = p.sent.filter((x) => x.from === "b" && x.fields.get("t") === "ip-request-resp");
  assert.equal(after.length, 1);
  assert.equal(after[0]?.fields.get("weown"), "yes");
  assert.deepEqual(p.held("b"), [B]);
});

test("a peer refused as silent (its messages all lost) that speaks R1 later is negotiated with again", () => {
  const p = new Pair("off", { silentPeerMs: 5000 });
  p.alive.add("a");
  p.alive.add("b");
  p.drop = (f) => f === "b" && p.now < 6000; // every R1 message of b lost for good
  p.engine("a").onPeer("b", true, "heartbeat", p.now);
  p.engine("b").onPeer("a", true, "heartbeat", p.now);
  p.engine("a").onLocalActive(p.now);
  p.engine("b").onLocalActive(p.now);
  p.engine("a").onPeerActive(p.now);
  p.run(6000);
  assert.equal(p.engine("a").report().mode, "refused");
  assert.deepEqual(p.held("a"), []);
  p.run(25_000); // b asks again (resend) once it has waited on a
  assert.equal(p.engine("a").report().mode, "heartbeat-peer");
  // A, stopped by a's refusal, is b's to take as an orphan (b thought a held it): each group runs once
  assert.deepEqual([...p.held("a"), ...p.held("b")].sort(), [A, B]);
  settled(p);
  assert.deepEqual(p.violations, []);
});

test("a peer that restarts within the deadtime cancels our pending request; auto_failback then gives its group back", () => {
  const p = new Pair("on");
  p.startBoth();
  p.kill("b");
  assert.deepEqual(p.held("a"), [A, B]);
  // a's auto-failback goes out as b restarts: b's new run never sees it
  p.restart("b", "on");
  p.run(5000);
  assert.deepEqual(p.held("a"), [A]);
  assert.deepEqual(p.held("b"), [B]);
  settled(p);
  assert.deepEqual(p.violations, []);
});

test("a node shutting down keeps saying what it holds until its stops are done (haresources seed 1284)", () => {
  const p = new Pair("off");
  p.startBoth();
  assert.deepEqual(p.held("a"), [A]);
  p.engine("a").onShutdown();
  const said = p.sent.filter((s) => s.from === "a" && s.fields.get("info") === "shutdown");
  assert.equal(said.length, 1);
  // "none" here let a peer starting meanwhile take A beside the stop still running on a
  assert.equal(said[0]?.fields.get("rsc_hold"), "local");
  assert.equal(said[0]?.fields.get("isstable"), "0");
});

test("a give-up after a partition that the peer's death overtook does not zero what we hold when it ends (haresources seed 1242)", () => {
  const p = new Pair("off");
  p.startBoth();
  const a = p.engine("a");
  p.kill("b");
  assert.deepEqual(p.held("a"), [A, B]);
  // b returns as after a partition: a gives everything up; before its stops are done, b dies again
  a.onPeer("b", true, "heartbeat", p.now, false, true);
  p.kill("b");
  assert.deepEqual(p.held("a"), [A, B]);
  assert.equal(a.report().rscstatus, "all");
  // b restarts: a's answer to its `starting` says a holds every group, so b takes none beside a
  p.alive.add("b");
  p.engine("b").onPeer("a", true, "heartbeat", p.now);
  a.onPeer("b", true, "heartbeat", p.now);
  p.engine("b").onLocalActive(p.now);
  p.run(1000);
  assert.deepEqual(p.held("b"), []);
  assert.deepEqual(p.violations, []);
});

test("a give-up after a partition cancelled by a failed stop is done again once the failure is cleaned up (haresources seed 3204)", () => {
  const p = bothAloneLegacy();
  assert.deepEqual(p.held("a"), [A, B]);
  // a partition heals: both give up, but b's stop of A fails: b keeps A (blocked there)
  p.failStop.set("b", new Set([A]));
  p.violations = [];
  p.engine("a").onPeer("b", true, "heartbeat", p.now, false, true);
  p.engine("b").onPeer("a", true, "heartbeat", p.now, false, true);
  p.run(5000);
  assert.ok(p.held("b").includes(A), "b keeps A, stuck");
  assert.ok(!p.held("a").includes(A));
  // the operator cleans the failure up on b: b gives up again, and A goes to its preferred node a
  p.failStop.delete("b");
  p.engine("b").onCleanup(p.now);
  p.run(5000);
  assert.deepEqual(p.held("a"), [A]);
  assert.deepEqual(p.held("b"), [B]);
  // without a give-up cancelled by a failed stop, a cleanup changes nothing
  const sentBefore = p.sent.length;
  p.engine("a").onCleanup(p.now);
  p.run(1000);
  assert.deepEqual(p.held("a"), [A]);
  assert.equal(p.sent.filter((x, i) => i >= sentBefore && x.fields.get("t") === "ip-request").length, 0);
});

test("both sides of a healed partition stuck on the same failed stop stay put until cleanup, not giving up again at every message (haresources seed 8269)", () => {
  const p = new Pair("on");
  for (const n of ["a", "b"]) {
    p.alive.add(n);
    p.engine(n).onLocalActive(p.now);
  }
  p.run(100);
  assert.deepEqual(p.held("a"), [A, B]);
  assert.deepEqual(p.held("b"), [A, B]);
  // the partition heals; both give up, and on both the stop of A fails: A stays (blocked) on each
  for (const n of ["a", "b"]) p.failStop.set(n, new Set([A]));
  const before = p.sent.length;
  p.engine("a").onPeer("b", true, "heartbeat", p.now, false, true);
  p.engine("b").onPeer("a", true, "heartbeat", p.now, false, true);
  // before the fix each side's resend made the other give up again at once, and so on: it never went quiet
  p.run(5000);
  assert.ok(p.held("a").includes(A) && p.held("b").includes(A), "A stays where its stop failed");
  assert.ok(p.sent.length - before < 40, `${p.sent.length - before} messages after the heal`);
  // the operator cleans the failure up on b: b gives up again and A stays on a alone
  p.failStop.delete("b");
  p.engine("b").onCleanup(p.now);
  p.run(5000);
  assert.ok(!p.held("b").includes(A), "b released A once its failure was cleaned up");
  assert.ok(p.held("a").includes(A));
});

test("a standby request overtaken on the wire by the isstable=0 its sender said after it is answered, not ignored as in flux (haresources seed 1521)", () => {
  const p = new Pair("on");
  p.startBoth();
  p.run(500);
  const b = p.engine("b");
  const msg = (seq: number, fields: [string, string][]) =>
    new Map<string, string>([...fields, ["hg", "9"], ["seq", seq.toString(16)]]);
  b.onMessage(
    "a",
    msg(100, [
      ["t", "resource"],
      ["rsc_hold", "local"],
      ["rtype", "full"],
      ["isstable", "1"],
    ]),
    p.now,
  );
  const before = p.sent.length;
  // a sent `me` (101) then isstable=0 (102); 102 arrives first
  b.onMessage(
    "a",
    msg(102, [
      ["t", "resource"],
      ["rsc_hold", "local"],
      ["rtype", "full"],
      ["isstable", "0"],
    ]),
    p.now,
  );
  b.onMessage(
    "a",
    msg(101, [
      ["t", "ask_resources"],
      ["rsc_hold", "local"],
      ["info", "me"],
    ]),
    p.now,
  );
  const answers = p.sent.slice(before).filter((x) => x.from === "b" && x.fields.get("t") === "ask_resources");
  assert.deepEqual(
    answers.map((x) => x.fields.get("info")),
    ["other"],
  );
  // an isstable=0 sent before the request still means the peer is in flux: ignored
  const q = new Pair("on");
  q.startBoth();
  q.run(500);
  const b2 = q.engine("b");
  b2.onMessage(
    "a",
    msg(200, [
      ["t", "resource"],
      ["rsc_hold", "local"],
      ["rtype", "full"],
      ["isstable", "0"],
    ]),
    q.now,
  );
  const before2 = q.sent.length;
  b2.onMessage(
    "a",
    msg(201, [
      ["t", "ask_resources"],
      ["rsc_hold", "local"],
      ["info", "me"],
    ]),
    q.now,
  );
  assert.equal(q.sent.slice(before2).filter((x) => x.fields.get("t") === "ask_resources").length, 0);
});

test("both refused each other as silent (every message lost a while): each says `starting` again and they negotiate (haresources seed 5057)", () => {
  const p = new Pair("on", { silentPeerMs: 5000 });
  p.alive.add("a");
  p.alive.add("b");
  p.drop = () => p.now < 7000; // every R1 message lost for good, both ways
  for (const [n, o] of [
    ["a", "b"],
    ["b", "a"],
  ] as const) {
    p.engine(n).onPeer(o, true, "heartbeat", p.now);
    p.engine(n).onLocalActive(p.now);
    p.engine(n).onPeerActive(p.now);
  }
  p.run(7000);
  assert.equal(p.engine("a").report().mode, "refused");
  assert.equal(p.engine("b").report().mode, "refused");
  p.run(30_000);
  assert.equal(p.engine("a").report().mode, "heartbeat-peer");
  assert.equal(p.engine("b").report().mode, "heartbeat-peer");
  assert.deepEqual(p.held("a"), [A]);
  assert.deepEqual(p.held("b"), [B]);
  assert.deepEqual(p.violations, []);
});
