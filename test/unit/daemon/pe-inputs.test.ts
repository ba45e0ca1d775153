// Goal: every transition the DC runs leaves its policy input on disk (bounded by pe-input-series-max,
// numbering kept across restarts), and `hbctl simulate --replay` recomputes exactly the transition the DC ran.
// Method: a lone controller with a fake executor and the real PeInputStore in a temp dir; the built CLI replays.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import type { Cib } from "../../../src/cib/model.js";
import { parseCib } from "../../../src/cib/parse.js";
import { executionDate, policyClock, stampExecutionDate } from "../../../src/cib/pe-input.js";
import { serializeCib } from "../../../src/cib/serialize.js";
import { convertHaresources } from "../../../src/config/to-cib.js";
import { Controller } from "../../../src/daemon/controller.js";
import { PeInputStore } from "../../../src/daemon/pe-inputs.js";
import type { MembershipEvent } from "../../../src/membership/types.js";
import { schedule } from "../../../src/policy/schedule.js";
import type { Transition } from "../../../src/policy/types.js";
import { doneResult, repoRoot } from "../../helpers.js";

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "tandem-pe-"));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const at = { file: "haresources", line: 1 };
const cib0 = (): Cib =>
  convertHaresources(
    [
      {
        key: "IPaddr2::10.0.0.100",
        node: "n1",
        at,
        resources: [
          { type: "IPaddr2", args: ["10.0.0.100/24/eth0"], at },
          { type: "Dummy", args: [], at },
        ],
      },
    ],
    { autoFailback: "on", nodes: ["n1", "n2"] },
  );

/** The CIB with crm_config pe-input-series-max=`n`. */
const withSeriesMax = (cib: Cib, n: number): Cib => ({
  ...cib,
  configuration: {
    ...cib.configuration,
    crmConfig: [
      ...cib.configuration.crmConfig,
      {
        kind: "cluster_property_set",
        id: "pe-opts",
        nvpairs: [{ id: "pe-opts-max", name: "pe-input-series-max", value: String(n) }],
      },
    ],
  },
});

test("policy clock and execution-date survive a serialize/parse round trip", () => {
  const now = 1_800_000_123_456;
  assert.equal(policyClock(now), 1_800_000_123_000);
  const back = parseCib(serializeCib(stampExecutionDate(cib0(), now))).value as Cib;
  assert.equal(executionDate(back), 1_800_000_123_000);
  assert.equal(executionDate(cib0()), undefined);
});

test("the DC saves each transition's input; replaying it gives the same transition, in code and through hbctl", async () => {
  const state = tmp();
  const store = new PeInputStore(state);
  const running = new Set<string>();
  let clock = 0;
  const saved: { file: string; t: Transition }[] = [];
  const c: Controller = new Controller(
    { localNode: "n1", nodes: ["n1", "n2"], cib: cib0(), dcWaitMs: 0 },
    {
      now: () => 1_800_000_000_777 + clock,
      monotonic: () => clock,
      exec: (r) => {
        if (r.op === "start") running.add(r.rscId);
        if (r.op === "stop") running.delete(r.rscId);
        return Promise.resolve(doneResult(r, r.op === "monitor" && !running.has(r.rscId) ? 7 : 0));
      },
      timers: { setTimeout: () => ({}), clearTimeout: () => {} },
      send: () => {},
      savePolicyInput: (cib, nowMs) => {
        const file = store.save(cib, nowMs) as string;
        saved.push({ file, t: c.lastTransition as Transition });
        return file;
      },
    },
  );
  c.onMembership({ kind: "local-status", atMs: 0, previous: "up", status: "active" } as MembershipEvent);
  for (let i = 0; i < 100 && !(c.idle && running.size === 2); i++) {
    await new Promise((r) => setImmediate(r));
    clock += 50;
    c.tick();
  }
  assert.equal(running.size, 2, "the group started");
  assert.ok(saved.length >= 1, "at least one transition saved its input");
  assert.deepEqual(
    readdirSync(store.dir).sort(),
    saved.map((_, i) => `pe-input-${i}.xml`),
  );
  const cli = join(repoRoot, "dist", "src", "cli", "main.js");
  for (const [i, s] of saved.entries()) {
    const cib = parseCib(readFileSync(s.file, "utf8"), s.file).value as Cib;
    const now = executionDate(cib) as number;
    assert.deepEqual(schedule(cib, now), s.t, `input ${i} replays to the same transition`);
    const r = spawnSync(
      process.execPath,
      [cli, "simulate", "--replay", String(i), "--state-dir", state, "--json"],
      { encoding: "utf8" },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).transition, JSON.parse(JSON.stringify(s.t)));
  }
  const first = saved[0] as { t: Transition };
  assert.ok(
    first.t.actions.some((a) => a.op === "start"),
    "the first saved transition starts something",
  );
  const list = spawnSync(process.execPath, [cli, "simulate", "--list-inputs", "--state-dir", state], {
    encoding: "utf8",
  });
  assert.equal(list.status, 0, list.stderr);
  assert.match(list.stdout, /^0\t2027-01-15T08:00:00\.000Z\t.*pe-input-0\.xml$/m);
  const latest = spawnSync(process.execPath, [cli, "simulate", "--replay", "latest", "--state-dir", state], {
    encoding: "utf8",
  });
  assert.equal(latest.status, 0, latest.stderr);
  const missing = spawnSync(process.execPath, [cli, "simulate", "--replay", "99", "--state-dir", state], {
    encoding: "utf8",
  });
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /no saved policy input 99 in .*pengine \(saved: 0\.\./);
});

test("only the newest pe-input-series-max inputs are kept, numbering continues after a restart, 0 saves none", () => {
  const state = tmp();
  const cib = withSeriesMax(cib0(), 3);
  const a = new PeInputStore(state);
  for (let i = 0; i < 5; i++) a.save(cib, 1_000_000 + i * 1000);
  assert.deepEqual(readdirSync(a.dir).sort(), ["pe-input-2.xml", "pe-input-3.xml", "pe-input-4.xml"]);
  const b = new PeInputStore(state); // a restarted hbd
  assert.match(b.save(cib, 9_000_000) ?? "", /pe-input-5\.xml$/);
  assert.deepEqual(readdirSync(b.dir).sort(), ["pe-input-3.xml", "pe-input-4.xml", "pe-input-5.xml"]);
  assert.equal(b.save(withSeriesMax(cib0(), 0), 9_001_000), undefined);
  assert.equal(readdirSync(b.dir).length, 3);
});
