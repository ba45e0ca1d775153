// Goal: reconcile() produces the minimal ordered change list (make before break), never touches
// services it does not own, and no step of a batch leaves a serving service without destinations.
// Method: hand-built tables for the order classes, plus a fast-check property over random tables.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { parseLdirectordCf } from "../../../src/lvs/config/ldirectord.js";
import type { ForwardingMethod, Table, TableReal, TableService } from "../../../src/lvs/model.js";
import { activePool, applyChanges, reconcile, stopChanges } from "../../../src/lvs/reconcile.js";

function svc(key: string, reals: TableReal[], extra: Partial<TableService> = {}): TableService {
  const [proto, rest] = key.split(/:(.*)/) as [string, string];
  const [address, port] = rest.split(":") as [string, string];
  return {
    key,
    protocol: proto as "tcp",
    family: 4,
    address,
    port: Number(port),
    scheduler: "wrr",
    ops: false,
    reals,
    ...extra,
  };
}
function dest(
  ip: string,
  weight: number,
  method: ForwardingMethod = "masq",
  role: TableReal["role"] = "real",
): TableReal {
  return {
    key: `${ip}:80`,
    address: ip,
    port: 80,
    method,
    weight,
    upperThreshold: 0,
    lowerThreshold: 0,
    role,
  };
}
const S = "tcp:10.0.0.1:80";
const ops = (cs: ReturnType<typeof reconcile>) =>
  cs.map((c) => `${c.op} ${c.service.key}${"real" in c ? ` ${c.real.key} w${c.real.weight}` : ""}`);
const rows = (t: Table) =>
  t.services
    .flatMap((s) => [
      `${s.key} ${s.scheduler} ${s.persistenceSec ?? "-"}`,
      ...s.reals.map((r) => `${s.key} ${r.key} ${r.method} ${r.weight}`),
    ])
    .sort();

test("no differences, no changes", () => {
  const t = { services: [svc(S, [dest("10.0.0.11", 3), dest("10.0.0.12", 0)])] };
  assert.deepEqual(reconcile(t, t), []);
  // role is not a difference (read-back tables do not know it)
  assert.deepEqual(
    reconcile(t, {
      services: [svc(S, [dest("10.0.0.11", 3, "masq", "unknown"), dest("10.0.0.12", 0, "masq", "unknown")])],
    }),
    [],
  );
});

test("order: new services, service edits, adds and raises, neutral edits, lowers, removes, owned deletes", () => {
  const actual: Table = {
    services: [
      svc(S, [
        dest("10.0.0.11", 3),
        dest("10.0.0.12", 1),
        dest("10.0.0.13", 0),
        dest("10.0.0.14", 1),
        dest("10.0.0.15", 1),
      ]),
      svc("tcp:10.0.0.9:80", [dest("10.0.0.11", 1)]),
      svc("tcp:10.0.0.8:80", [dest("10.0.0.11", 1)]),
    ],
  };
  const desired: Table = {
    services: [
      svc(
        S,
        [dest("10.0.0.11", 0), dest("10.0.0.12", 1, "gate"), dest("10.0.0.13", 2), dest("10.0.0.16", 1)],
        { scheduler: "rr" },
      ),
      svc("tcp:10.0.0.2:80", [dest("10.0.0.21", 1)]),
    ],
  };
  const changes = reconcile(desired, actual, { owned: (k) => k === "tcp:10.0.0.9:80" });
  assert.deepEqual(ops(changes), [
    "add-service tcp:10.0.0.2:80",
    "add-real tcp:10.0.0.2:80 10.0.0.21:80 w1",
    `edit-service ${S}`,
    `edit-real ${S} 10.0.0.13:80 w2`,
    `add-real ${S} 10.0.0.16:80 w1`,
    `edit-real ${S} 10.0.0.12:80 w1`,
    `edit-real ${S} 10.0.0.11:80 w0`,
    `delete-real ${S} 10.0.0.14:80 w1`,
    `delete-real ${S} 10.0.0.15:80 w1`,
    "delete-service tcp:10.0.0.9:80",
  ]);
  const after = applyChanges(actual, changes);
  assert.deepEqual(rows(after), rows({ services: [...desired.services, actual.services[2]!] }));
});

test("service edits: scheduler, persistence on/off, netmask, flags (order-insensitive), ops", () => {
  const base = svc(S, []);
  const cases: [Partial<TableService>, Partial<TableService>, boolean][] = [
    [{}, { scheduler: "sh" }, true],
    [{}, { persistenceSec: 300 }, true],
    [{ persistenceSec: 300 }, {}, true],
    [{ persistenceSec: 300, netmask: "255.255.255.0" }, { persistenceSec: 300 }, true],
    [{ netmask: "255.255.255.0" }, {}, false],
    [{ schedFlags: "sh-port,sh-fallback" }, { schedFlags: "sh-fallback,sh-port" }, false],
    [{}, { ops: true }, true],
  ];
  for (const [a, d, edit] of cases) {
    const ch = reconcile({ services: [{ ...base, ...d }] }, { services: [{ ...base, ...a }] });
    assert.deepEqual(ops(ch), edit ? [`edit-service ${S}`] : [], JSON.stringify([a, d]));
  }
});

test("services not owned are left alone; stopChanges honours cleanstop", () => {
  const foreign: Table = { services: [svc("tcp:10.9.9.9:80", [dest("10.0.0.11", 1)])] };
  assert.deepEqual(reconcile({ services: [] }, foreign), []);
  const c = parseLdirectordCf(
    "virtual=10.0.0.1:80\n\treal=10.0.0.11:80 masq\nvirtual=10.0.0.1:81\n\treal=10.0.0.11:81 masq\n\tcleanstop=no\n",
    "t.cf",
  ).value;
  const actual: Table = {
    services: [svc(S, [dest("10.0.0.11", 1)]), svc("tcp:10.0.0.1:81", []), ...foreign.services],
  };
  assert.deepEqual(ops(stopChanges(c, actual)), [`delete-service ${S}`]);
});

test("property: the batch reaches the desired table and never empties a serving pool", () => {
  const ip = fc.integer({ min: 1, max: 8 }).map((i) => `10.0.0.${i}`);
  const dests = fc.uniqueArray(
    fc.record({
      ip,
      w: fc.integer({ min: 0, max: 3 }),
      m: fc.constantFrom<ForwardingMethod>("masq", "gate"),
    }),
    {
      selector: (d) => d.ip,
      maxLength: 6,
    },
  );
  fc.assert(
    fc.property(dests, dests, fc.constantFrom("wrr", "rr"), (a, d, sched) => {
      const actual: Table = {
        services: [
          svc(
            S,
            a.map((x) => dest(x.ip, x.w, x.m)),
          ),
        ],
      };
      const desired: Table = {
        services: [
          svc(
            S,
            d.map((x) => dest(x.ip, x.w, x.m)),
            { scheduler: sched },
          ),
        ],
      };
      const changes = reconcile(desired, actual);
      let t = actual;
      const before = activePool(actual, S).length;
      const after = activePool(desired, S).length;
      for (const c of changes) {
        t = applyChanges(t, [c]);
        if (before > 0 && after > 0) assert.ok(activePool(t, S).length > 0, `empty after ${c.op}`);
      }
      assert.deepEqual(rows(t), rows(desired));
      assert.deepEqual(reconcile(desired, t), []);
    }),
    { numRuns: 300, seed: 7 },
  );
});
