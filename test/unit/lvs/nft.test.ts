// Goal: the nft backend renders exactly the lab-proven rule shapes (NAT/DR, rr/wrr/sh, persistence, fallback, reject) and reads its own tables back exactly. Method: table-driven renders of small tables, and parsing real `nft -j list table` output captured from a namespace (fixtures).
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  EMPTY_OBJECTS,
  NftRenderError,
  parseNftJson,
  parseServiceComment,
  renderNftBatch,
  renderPurge,
  rendezvousSlots,
  serviceComment,
  serviceId,
  wrrSequence,
} from "../../../src/lvs/backends/nft.js";
import type { Table, TableReal, TableService } from "../../../src/lvs/model.js";
import { readFixture } from "../../helpers.js";

const real = (
  address: string,
  port: number,
  weight: number,
  method: TableReal["method"] = "masq",
  role: TableReal["role"] = "real",
): TableReal => ({
  key: `${address}:${port}`,
  address,
  port,
  method,
  weight,
  upperThreshold: 0,
  lowerThreshold: 0,
  role,
});
const svc = (
  address: string,
  port: number,
  reals: TableReal[],
  over: Partial<TableService> = {},
): TableService => ({
  key: `tcp:${address}:${port}`,
  protocol: "tcp",
  family: 4,
  address,
  port,
  scheduler: "wrr",
  ops: false,
  reals,
  ...over,
});
const render = (t: Table, device?: string): string =>
  renderNftBatch(t, EMPTY_OBJECTS, device ? { table: "tl", device } : { table: "tl" });

test("smooth WRR sequences: exact shares, interleaved", () => {
  const cases: [number[], number[]][] = [
    [
      [3, 1, 1],
      [0, 1, 0, 2, 0],
    ],
    [
      [3, 1],
      [0, 0, 1, 0],
    ],
    [
      [1, 1, 1],
      [0, 1, 2],
    ],
    [
      [6, 2],
      [0, 0, 1, 0],
    ],
    [
      [2, 0, 2],
      [0, 2],
    ],
    [[0, 0], []],
  ];
  for (const [w, want] of cases) assert.deepEqual(wrrSequence(w), want, `weights ${w}`);
  assert.throws(() => wrrSequence([5000, 1]), NftRenderError);
});

test("rendezvous slots follow weights and removing a real moves only its slots", () => {
  const reals = [
    { key: "a:80", weight: 3 },
    { key: "b:80", weight: 1 },
    { key: "c:80", weight: 1 },
  ];
  const s = rendezvousSlots(reals);
  assert.equal(s.length, 256);
  const share = (i: number) => s.filter((x) => x === i).length;
  assert.ok(share(0) > 120 && share(0) < 190, `a got ${share(0)}`);
  const without = rendezvousSlots([reals[0]!, { key: "b:80", weight: 0 }, reals[2]!]);
  for (let i = 0; i < 256; i++) if (s[i] !== 1) assert.equal(without[i], s[i], `slot ${i} moved`);
  assert.ok(!without.includes(1));
});

test("NAT wrr: one dnat rule over numgen with the slots in smooth-WRR order; quiesced reals hold no slot", () => {
  const out = render({
    services: [
      svc("10.0.0.10", 80, [
        real("10.0.0.131", 80, 3),
        real("10.0.0.132", 8080, 1),
        real("10.0.0.133", 80, 0),
      ]),
    ],
  });
  const id = serviceId("tcp:10.0.0.10:80");
  const lines = out.split("\n");
  assert.ok(
    lines.includes("add chain ip tl pre { type nat hook prerouting priority dstnat; policy accept; }"),
  );
  assert.ok(
    lines.includes(
      `add rule ip tl pre ip daddr 10.0.0.10 tcp dport 80 dnat ip to numgen inc mod 4 map @${id}_slots`,
    ),
  );
  assert.ok(
    lines.includes(
      `add element ip tl ${id}_slots { 0 : 10.0.0.131 . 80, 1 : 10.0.0.131 . 80, 2 : 10.0.0.132 . 8080, 3 : 10.0.0.131 . 80 }`,
    ),
  );
  assert.ok(
    lines.includes(
      `add element ip tl ${id}_reals { 10.0.0.131 . 80 : 3, 10.0.0.132 . 8080 : 1, 10.0.0.133 . 80 : 0 }`,
    ),
  );
  // flushes come before fills, so the batch replaces and never appends
  assert.ok(
    lines.indexOf(`flush map ip tl ${id}_slots`) <
      lines.indexOf(lines.find((l) => l.startsWith(`add element ip tl ${id}_slots`))!),
  );
  assert.ok(!out.includes("netdev"));
});

test("NAT rr ignores weights; sh hashes the source into 256 slots; sh-port adds the source port", () => {
  const rr = render({
    services: [svc("10.0.0.10", 80, [real("10.0.0.1", 80, 5), real("10.0.0.2", 80, 1)], { scheduler: "rr" })],
  });
  assert.match(rr, /numgen inc mod 2 map/);
  const sh = render({
    services: [svc("10.0.0.10", 80, [real("10.0.0.1", 80, 1), real("10.0.0.2", 80, 1)], { scheduler: "sh" })],
  });
  assert.match(sh, /dnat ip to jhash ip saddr mod 256 seed 0x5eed map @s[0-9a-f]{8}_slots/);
  const shp = render({
    services: [svc("10.0.0.10", 80, [real("10.0.0.1", 80, 1)], { scheduler: "sh", schedFlags: "sh-port" })],
  });
  assert.match(shp, /jhash ip saddr \. tcp sport mod 256/);
});

test("NAT persistence: lookup first, record at dstnat+5, netmask applied", () => {
  const out = render({
    services: [
      svc("10.0.0.11", 443, [real("10.0.0.1", 443, 1)], { persistenceSec: 300, netmask: "255.255.255.240" }),
    ],
  });
  const id = serviceId("tcp:10.0.0.11:443");
  const lines = out.split("\n");
  const lookup = lines.indexOf(
    `add rule ip tl pre ip daddr 10.0.0.11 tcp dport 443 dnat ip to ip saddr & 255.255.255.240 map @${id}_persist`,
  );
  const sched = lines.findIndex((l) => l.includes("numgen inc mod 1"));
  assert.ok(lookup >= 0 && sched > lookup, "persistence lookup precedes the scheduler");
  assert.ok(
    lines.includes(
      `add map ip tl ${id}_persist { typeof ip saddr : ip daddr . tcp dport; flags timeout; timeout 300s; size 262144; }`,
    ),
  );
  assert.ok(
    lines.includes(
      `add rule ip tl rec ct original ip daddr 10.0.0.11 meta l4proto tcp ct original proto-dst 443 ct state new update @${id}_persist { ip saddr & 255.255.255.240 timeout 300s : ip daddr . tcp dport }`,
    ),
  );
});

test("fallback only: the slots hold the fallback; nothing at all: a TCP reset instead of a dnat", () => {
  const fb = render({
    services: [
      svc("10.0.0.10", 80, [real("10.0.0.131", 80, 0), real("10.0.0.2", 8080, 1, "masq", "fallback")]),
    ],
  });
  assert.match(fb, /\{ 0 : 10\.0\.0\.2 \. 8080 \}/);
  assert.match(fb, /10\.0\.0\.2 \. 8080 : 1073741825/);
  assert.ok(!fb.includes("reject"));
  const none = render({ services: [svc("10.0.0.10", 80, [real("10.0.0.131", 80, 0)])] });
  assert.ok(
    none.includes("add rule ip tl rej ip daddr 10.0.0.10 tcp dport 80 ct state new reject with tcp reset"),
  );
  assert.ok(!/dnat ip to numgen/.test(none));
  const udp = render({ services: [svc("10.0.0.10", 53, [], { protocol: "udp", key: "udp:10.0.0.10:53" })] });
  assert.ok(udp.includes("ip daddr 10.0.0.10 udp dport 53 ct state new reject\n"));
});

test("DR: netdev ingress on the device, per-real pin sets first (SYNs skip them), hashed vmap to one chain per real", () => {
  const out = render(
    {
      services: [
        svc("10.0.0.12", 80, [real("10.0.0.141", 80, 3, "gate"), real("10.0.0.142", 80, 1, "gate")]),
      ],
    },
    "eth0",
  );
  const id = serviceId("tcp:10.0.0.12:80");
  const lines = out.split("\n");
  assert.ok(
    lines.includes(
      'add chain netdev tl ingress { type filter hook ingress device "eth0" priority 0; policy accept; }',
    ),
  );
  const set = (hex: string): string =>
    `add set netdev tl ${id}_p_${hex} { typeof ip saddr . tcp sport; flags timeout,dynamic; timeout 900s; size 262144; }`;
  const pinRule = (hex: string, ip: string): number =>
    lines.indexOf(
      `add rule netdev tl ingress ip daddr 10.0.0.12 tcp dport 80 tcp flags & (syn | ack) != syn ip saddr . tcp sport @${id}_p_${hex} update @${id}_p_${hex} { ip saddr . tcp sport } fwd ip to ${ip} device "eth0"`,
    );
  const pin1 = pinRule("0a00008d", "10.0.0.141");
  const pin2 = pinRule("0a00008e", "10.0.0.142");
  const hash = lines.indexOf(
    `add rule netdev tl ingress ip daddr 10.0.0.12 tcp dport 80 jhash ip saddr . tcp sport mod 256 seed 0x5eed vmap @${id}_slots`,
  );
  const sets = [lines.indexOf(set("0a00008d")), lines.indexOf(set("0a00008e"))];
  assert.ok(sets.every((i) => i >= 0 && i < pin1) && pin1 >= 0 && pin2 > pin1 && hash > pin2, out);
  // a new flow leaves the other reals' pins before it is pinned to this one
  assert.ok(
    lines.includes(
      `add rule netdev tl ${id}_r_0a00008d delete @${id}_p_0a00008e { ip saddr . tcp sport } update @${id}_p_0a00008d { ip saddr . tcp sport } fwd ip to 10.0.0.141 device "eth0"`,
    ),
  );
  assert.ok(!out.includes("_flows"));
  // UDP has no SYN: pins hold for the timeout; a quiesced real keeps its set (drain) but gets no slot
  const udp = render(
    {
      services: [
        svc("10.0.0.12", 53, [real("10.0.0.141", 53, 1, "gate"), real("10.0.0.142", 53, 0, "gate")], {
          protocol: "udp",
          key: "udp:10.0.0.12:53",
        }),
      ],
    },
    "eth0",
  );
  const uid = serviceId("udp:10.0.0.12:53");
  assert.ok(
    udp.includes(
      `add rule netdev tl ingress ip daddr 10.0.0.12 udp dport 53 ip saddr . udp sport @${uid}_p_0a00008e update @${uid}_p_0a00008e { ip saddr . udp sport } fwd ip to 10.0.0.142 device "eth0"\n`,
    ),
    udp,
  );
  assert.ok(udp.includes(`add set netdev tl ${uid}_p_0a00008e { typeof ip saddr . udp sport;`));
  assert.ok(!udp.includes(`add chain netdev tl ${uid}_r_0a00008e`));
  const el = lines.find((l) => l.startsWith(`add element netdev tl ${id}_slots`)) ?? "";
  assert.equal((el.match(/jump s[0-9a-f]+_r_0a00008d/g) ?? []).length, 192, "3:1 over 256 slots");
  assert.throws(
    () => render({ services: [svc("10.0.0.12", 80, [real("10.0.0.141", 80, 1, "gate")])] }),
    /device/,
  );
});

test("warm director (localOnly): NAT rules need the VIP to be a local address, DR rules a frame sent to this host", () => {
  const t: Table = {
    services: [
      svc("10.0.0.10", 80, [real("10.0.1.1", 80, 1)]),
      svc("10.0.0.11", 80, [], { persistenceSec: 300 }),
      svc("10.0.0.12", 80, [real("10.0.0.141", 80, 1, "gate")], { persistenceSec: 60 }),
    ],
  };
  const warm = renderNftBatch(t, EMPTY_OBJECTS, { table: "tl", device: "eth0", localOnly: true });
  const cold = renderNftBatch(t, EMPTY_OBJECTS, { table: "tl", device: "eth0" });
  const rules = (out: string): string[] =>
    out.split("\n").filter((l) => / (pre|rej|ingress) ip daddr /.test(l));
  // NAT: dnat, persistence dnat, reject; DR: pin, persistence, hash
  assert.equal(rules(warm).length, 6, warm);
  for (const r of rules(warm))
    assert.match(
      r,
      r.includes(" ingress ") ? / dport \d+ meta pkttype host / : / dport \d+ fib daddr type local /,
      r,
    );
  assert.equal(rules(cold).length, 6);
  assert.ok(
    !/fib daddr|pkttype/.test(cold),
    "without localOnly the table serves wherever the packet arrives",
  );
  // the rest of the transaction (sets, maps, chains, per-real chains) is the same: a switch is one batch
  const other = (out: string): string[] => out.split("\n").filter((l) => !rules(out).includes(l));
  assert.deepEqual(other(warm), other(cold));
});

test("unsupported shapes are clear errors, not silent substitutes", () => {
  const bad: [Partial<TableService>, TableReal[], RegExp][] = [
    [{ scheduler: "wlc" }, [real("10.0.0.1", 80, 1)], /scheduler wlc/],
    [{}, [real("10.0.0.1", 80, 1), real("10.0.0.2", 80, 1, "gate")], /one forwarding method/],
    [{}, [real("10.0.0.1", 80, 1, "ipip")], /ipip/],
    [{ family: 6 }, [], /IPv6/],
    [{ protocol: "fwm", fwmark: 7 }, [], /firewall-mark/],
  ];
  for (const [over, reals, msg] of bad)
    assert.throws(() => render({ services: [svc("10.0.0.10", 80, reals, over)] }, "eth0"), msg);
});

test("stale objects of removed services are deleted in a safe order; an empty table deletes the tables", () => {
  const objects = {
    maps: [
      { family: "netdev" as const, name: "sdead_slots" },
      { family: "netdev" as const, name: "sdead_flows", timeoutSec: 900 },
      { family: "ip" as const, name: "sdead_slots" },
    ],
    sets: [
      { family: "netdev" as const, name: "sdead_p_0a000001", timeoutSec: 900 },
      { family: "netdev" as const, name: `${serviceId("tcp:10.0.0.12:80")}_p_0a00008d`, timeoutSec: 600 },
    ],
    chains: [
      { family: "netdev" as const, name: "ingress" },
      { family: "netdev" as const, name: "sdead_r_0a000001" },
    ],
    dynamic: [],
  };
  const out = renderNftBatch(
    { services: [svc("10.0.0.12", 80, [real("10.0.0.141", 80, 1, "gate")])] },
    objects,
    { table: "tl", device: "eth0" },
  );
  const lines = out.split("\n");
  const a = lines.indexOf("delete map netdev tl sdead_slots");
  const b = lines.indexOf("delete chain netdev tl sdead_r_0a000001");
  const c = lines.indexOf("delete map netdev tl sdead_flows");
  const d = lines.indexOf("delete set netdev tl sdead_p_0a000001");
  assert.ok(a >= 0 && b > a && c > b && d > b, out);
  // a pin set whose timeout changed is recreated before it is filled again
  const pins = `${serviceId("tcp:10.0.0.12:80")}_p_0a00008d`;
  const del = lines.indexOf(`delete set netdev tl ${pins}`);
  assert.ok(del >= 0 && del < lines.findIndex((l) => l.startsWith(`add set netdev tl ${pins} `)), out);
  assert.ok(lines.includes("delete table ip tl"));
  assert.ok(!lines.includes("delete chain netdev tl ingress"));
  assert.equal(
    renderNftBatch({ services: [] }, objects, { table: "tl" }),
    "delete table ip tl\ndelete table netdev tl\n",
  );
  assert.equal(renderNftBatch({ services: [] }, EMPTY_OBJECTS, { table: "tl" }), "\n");
});

test("service comments round-trip", () => {
  const s = svc("10.0.0.11", 443, [], {
    persistenceSec: 300,
    netmask: "255.255.255.0",
    scheduler: "sh",
    schedFlags: "sh-port",
  });
  assert.equal(serviceComment(s), "tcp:10.0.0.11:443 sh p300 m255.255.255.0 fsh-port");
  const { reals: _r, ...spec } = s;
  assert.deepEqual(parseServiceComment(serviceComment(s)), spec);
  assert.equal(parseServiceComment("something else"), undefined);
});

test("read-back of real nft -j output gives the rendered table back, dynamic entries and pin sets included", () => {
  const { table, objects } = parseNftJson(
    readFixture("lvs", "nft-list-ip.json"),
    readFixture("lvs", "nft-list-netdev.json"),
  );
  assert.deepEqual(
    table.services.map((s) => [
      s.key,
      s.scheduler,
      s.persistenceSec,
      s.netmask,
      s.reals.map((r) => `${r.key}/${r.method}/${r.weight}/${r.role}`),
    ]),
    [
      [
        "tcp:10.0.0.10:80",
        "wrr",
        undefined,
        undefined,
        ["10.0.0.131:80/masq/3/real", "10.0.0.132:8080/masq/1/real", "10.0.0.133:80/masq/0/real"],
      ],
      ["tcp:10.0.0.11:443", "sh", 300, "255.255.255.0", ["10.0.0.2:8443/masq/1/fallback"]],
      ["tcp:10.0.0.12:80", "wrr", 60, undefined, ["10.0.0.141:80/gate/2/real", "10.0.0.142:80/gate/1/real"]],
    ],
  );
  assert.ok(objects.chains.some((c) => c.family === "netdev" && c.name === "ingress"));
  assert.ok(objects.maps.some((m) => m.name.endsWith("_persist") && m.timeoutSec === 300));
  const dyn = objects.dynamic.map((d) => `${d.family} ${d.map.split("_")[1]} ${d.key} -> ${d.target}`).sort();
  assert.deepEqual(dyn, [
    "ip persist 10.9.9.0 -> 10.0.0.2:8443",
    "netdev p 10.9.9.7 . 40000 -> 10.0.0.141",
    "netdev persist 10.9.9.7 -> 10.0.0.141",
  ]);
  assert.deepEqual(
    objects.sets.map((x) => `${x.name.split("_").slice(1).join("_")} ${x.timeoutSec}`).sort(),
    ["p_0a00008d 900", "p_0a00008e 900"],
  );
  // purge: nothing while the reals exist; persistence entries once they are gone (DR pins go with their set)
  assert.equal(renderPurge(table, objects, { table: "tl" }), "");
  const gone: Table = {
    services: table.services.map((s) => ({
      ...s,
      reals: s.reals.filter((r) => r.address !== "10.0.0.141" && r.role !== "fallback"),
    })),
  };
  const p = renderPurge(gone, objects, { table: "tl" });
  assert.match(p, /delete element ip tl s[0-9a-f]+_persist \{ 10\.9\.9\.0 \}/);
  assert.match(p, /delete element netdev tl s[0-9a-f]+_persist \{ 10\.9\.9\.7 \}/);
  assert.ok(!p.includes("_p_"));
  assert.equal(renderPurge(gone, objects, { table: "tl", killFlows: true }), p);
  // ...because the main batch deletes the removed real's pin set
  const batch = renderNftBatch(gone, objects, { table: "tl", device: "eth0" });
  assert.match(batch, /^delete set netdev tl s[0-9a-f]+_p_0a00008d$/m);
  assert.ok(!/^add set netdev tl s[0-9a-f]+_p_0a00008d /m.test(batch));
});
