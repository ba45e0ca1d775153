// Goal: every ha.cf directive Heartbeat 3.0.6 knows is parsed with its own syntax, and bad values give
// exact file:line messages. Method: table-driven; each row is a valid base config with one change, and the
// full list of rendered diagnostics (or a check on the typed value) is asserted.
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatDiagnostic } from "../../../src/base/diag.js";
import { type HaCf, type HaCfOptions, KNOWN_DIRECTIVES, parseHaCf } from "../../../src/config/hacf.js";
import { parseHbBool, parseHbTime } from "../../../src/config/values.js";

const F = "/etc/ha.d/ha.cf";

/** A clean configuration; rows replace (or with `null` remove) directives by key. */
const BASE: Record<string, string> = {
  keepalive: "keepalive 1",
  deadtime: "deadtime 10",
  initdead: "initdead 30",
  ucast1: "ucast eth0 10.0.0.2",
  ucast2: "ucast eth1 10.1.0.2",
  node: "node alpha beta",
  auto_failback: "auto_failback on",
};

function build(over: Record<string, string | null> = {}, extra: string[] = []): string {
  const lines: string[] = [];
  for (const v of Object.values({ ...BASE, ...over })) if (v !== null) lines.push(v);
  lines.push(...extra);
  return lines.join("\n") + "\n";
}

function run(text: string, opts: HaCfOptions = {}): { cfg: HaCf; out: string[] } {
  const r = parseHaCf(text, F, opts);
  return { cfg: r.value, out: r.diagnostics.filter((d) => d.severity !== "info").map(formatDiagnostic) };
}

test("the base config is clean and gets Heartbeat's values", () => {
  const { cfg, out } = run(build());
  assert.deepEqual(out, []);
  assert.deepEqual(cfg.timing, {
    keepaliveMs: 1000,
    deadtimeMs: 10000,
    warntimeMs: 5000,
    initdeadMs: 30000,
    deadpingMs: 10000,
  });
  assert.deepEqual(cfg.nodes, ["alpha", "beta"]);
  assert.equal(cfg.media.length, 2);
  assert.equal(cfg.udpPort, 694);
  assert.equal(cfg.autoFailback, "on");
  assert.equal(cfg.pacemaker, "off");
});

test("defaults match heartbeat -D", () => {
  const { cfg } = run("ucast eth0 10.0.0.2\nucast eth1 10.0.1.2\nnode a\n");
  assert.equal(cfg.timing.keepaliveMs, 1000);
  assert.equal(cfg.timing.deadtimeMs, 30000);
  assert.equal(cfg.timing.warntimeMs, 15000);
  assert.equal(cfg.timing.initdeadMs, 30000);
  assert.equal(cfg.baud, 19200);
  assert.equal(cfg.autoFailback, "legacy");
  assert.equal(cfg.msgfmt, "classic");
  assert.equal(cfg.maxRexmitDelayMs, 250);
  assert.equal(cfg.hbgenmethod, "file");
  assert.equal(cfg.uuidfrom, "file");
  assert.equal(cfg.autojoin, "none");
  assert.equal(cfg.clusterName, "linux-ha");
  assert.equal(cfg.logBadPackets, true);
  assert.equal(cfg.realtime, true);
});

test("time syntax: seconds, ms, us; 2s rejected", () => {
  const cases: [string, number | undefined][] = [
    ["2", 2000],
    ["0.1", 100],
    [".5", 500],
    ["500ms", 500],
    ["500 ms", 500],
    ["1000us", 1],
    ["1500usec", 2],
    ["499us", 0],
    ["2s", undefined],
    ["-1", undefined],
    ["ms", undefined],
    ["1e3", undefined],
    ["", undefined],
  ];
  for (const [t, ms] of cases) assert.equal(parseHbTime(t), ms, t);
});

test("boolean syntax, case-insensitive", () => {
  for (const t of ["true", "On", "YES", "y", "1"]) assert.equal(parseHbBool(t), true, t);
  for (const t of ["false", "OFF", "no", "N", "0"]) assert.equal(parseHbBool(t), false, t);
  for (const t of ["2", "enabled", ""]) assert.equal(parseHbBool(t), undefined, t);
});

interface Row {
  name: string;
  over?: Record<string, string | null>;
  extra?: string[];
  opts?: HaCfOptions;
  /** Exact rendered diagnostics (errors and warnings). */
  out?: string[];
  check?: (c: HaCf) => void;
}

// Line numbers: BASE has 7 lines, so the first `extra` line is line 8.
const rows: Row[] = [
  // ---- timing
  {
    name: "keepalive ms",
    over: { keepalive: "keepalive 200ms", deadtime: "deadtime 1" },
    check: (c) => assert.equal(c.timing.keepaliveMs, 200),
  },
  {
    name: "keepalive 2s",
    over: { keepalive: "keepalive 2s" },
    out: [
      `${F}:1: error: keepalive: invalid value "2s": expected a time: seconds ("2", "0.5"), or a number with ms or us ("500ms"); "2s" is not valid`,
    ],
  },
  {
    name: "keepalive 500 ms splits into two values",
    over: { keepalive: "keepalive 500 ms" },
    out: [
      `${F}:1: error: keepalive takes one value, but this line has 2 ("500", "ms"): ha.cf splits values at spaces and commas, so write "500ms"`,
    ],
  },
  {
    name: "keepalive 0",
    over: { keepalive: "keepalive 0" },
    out: [`${F}:1: error: keepalive: must be greater than 0 (got "0")`],
  },
  {
    name: "keepalive 1,deadtime 10 fails",
    over: { keepalive: "keepalive 1,deadtime 10" },
    out: [
      `${F}:1: error: keepalive takes one value, but this line has 3 ("1", "deadtime", "10"): ha.cf splits values at spaces and commas`,
    ],
  },
  {
    name: "deadtime <= 2x keepalive",
    over: { keepalive: "keepalive 2", deadtime: "deadtime 4" },
    out: [`${F}:2: error: deadtime (4000 ms) must be more than twice keepalive (2000 ms)`],
  },
  {
    name: "deadtime ms",
    over: { keepalive: "keepalive 100ms", deadtime: "deadtime 500ms", initdead: "initdead 10" },
    check: (c) => assert.equal(c.timing.deadtimeMs, 500),
  },
  {
    name: "initdead < deadtime",
    over: { initdead: "initdead 5" },
    out: [`${F}:3: error: initdead (5000 ms) must not be smaller than deadtime (10000 ms)`],
  },
  {
    name: "initdead < 10 s warns",
    over: { keepalive: "keepalive 100ms", deadtime: "deadtime 1", initdead: "initdead 5" },
    out: [
      `${F}:3: warning: initdead (5000 ms) may be too small: Heartbeat recommends at least 10 s so a booting peer's network (e.g. switch spanning tree) can settle`,
    ],
  },
  {
    name: "initdead < 2x deadtime warns (Tandem)",
    over: { initdead: "initdead 15" },
    out: [
      `${F}:3: warning: initdead (15000 ms) is less than twice deadtime (10000 ms): at boot the peer may be declared dead before its links are up, and both nodes start the resources`,
    ],
  },
  {
    name: "initdead default for small deadtime is 12 s",
    over: { initdead: null, keepalive: "keepalive 500ms", deadtime: "deadtime 5" },
    check: (c) => assert.equal(c.timing.initdeadMs, 12000),
  },
  {
    name: "initdead default for mid deadtime is 2x",
    over: { initdead: null, deadtime: "deadtime 8" },
    check: (c) => assert.equal(c.timing.initdeadMs, 16000),
  },
  { name: "warntime default is deadtime/2", check: (c) => assert.equal(c.timing.warntimeMs, 5000) },
  {
    name: "warntime 0 is fatal",
    extra: ["warntime 0"],
    out: [`${F}:8: error: warntime: must be greater than 0 (got "0")`],
  },
  {
    name: "warntime >= deadtime warns (Tandem)",
    extra: ["warntime 10"],
    out: [
      `${F}:8: warning: warntime (10000 ms) is not below deadtime (10000 ms): a peer will be declared dead without any late-heartbeat warning first`,
    ],
  },
  {
    name: "warntime <= keepalive warns (Tandem)",
    extra: ["warntime 1"],
    out: [
      `${F}:8: warning: warntime (1000 ms) is not above keepalive (1000 ms): every heartbeat will be reported late`,
    ],
  },
  { name: "deadping ok", extra: ["deadping 20"], check: (c) => assert.equal(c.timing.deadpingMs, 20000) },
  {
    name: "deadping too small",
    extra: ["deadping 2"],
    out: [`${F}:8: error: deadping (2000 ms) must be more than twice keepalive (1000 ms)`],
  },
  { name: "deadping defaults to deadtime", check: (c) => assert.equal(c.timing.deadpingMs, 10000) },
  {
    name: "keepalive twice: last wins with a warning",
    extra: ["keepalive 2"],
    out: [`${F}:8: warning: keepalive is set again (first on line 1); the last value wins`],
    check: (c) => assert.equal(c.timing.keepaliveMs, 2000),
  },
  // ---- udpport, baud and ordering
  {
    name: "udpport before media",
    over: { keepalive: "udpport 1694\nkeepalive 1" },
    check: (c) =>
      assert.deepEqual(
        c.media.map((m) => ("port" in m ? m.port : 0)),
        [1694, 1694],
      ),
  },
  {
    name: "udpport after media keeps Heartbeat semantics and warns",
    extra: ["udpport 1694", "bcast eth2"],
    out: [
      `${F}:8: warning: udpport must precede the media it applies to: the media on line(s) 4, 5 keep the earlier port; move udpport above them`,
    ],
    check: (c) =>
      assert.deepEqual(
        c.media.map((m) => ("port" in m ? m.port : 0)),
        [694, 694, 1694],
      ),
  },
  {
    name: "udpport 0",
    extra: ["udpport 0"],
    out: [`${F}:8: error: udpport: invalid value "0": expected a port number from 1 to 65535`],
  },
  {
    name: "udpport 70000",
    extra: ["udpport 70000"],
    out: [`${F}:8: error: udpport: invalid value "70000": expected a port number from 1 to 65535`],
  },
  {
    name: "baud 115200 then serial",
    extra: ["baud 115200", "serial /dev/ttyS0"],
    check: (c) =>
      assert.deepEqual(c.media[2], {
        kind: "serial",
        device: "/dev/ttyS0",
        baud: 115200,
        at: { file: F, line: 9 },
      }),
  },
  {
    name: "baud bad",
    extra: ["baud 12345"],
    out: [
      `${F}:8: error: baud: invalid value "12345": expected one of 9600, 19200, 38400, 57600, 115200, 230400, 460800`,
    ],
  },
  {
    name: "baud twice",
    extra: ["baud 9600", "baud 19200"],
    out: [`${F}:9: error: baud may be given only once (first given on line 8)`],
  },
  {
    name: "baud after serial warns",
    extra: ["serial /dev/ttyS0", "baud 9600"],
    out: [
      `${F}:9: warning: baud must precede the serial media it applies to: the serial link(s) on line(s) 8 keep the earlier speed; move baud above them`,
    ],
    check: (c) => assert.equal((c.media[2] as { baud: number }).baud, 19200),
  },
  // ---- media
  {
    name: "bcast two interfaces",
    extra: ["bcast eth2 eth3"],
    check: (c) =>
      assert.deepEqual(
        c.media.slice(2).map((m) => (m.kind === "bcast" ? m.iface : "")),
        ["eth2", "eth3"],
      ),
  },
  {
    name: "udp renamed to bcast",
    extra: ["udp eth2"],
    out: [`${F}:8: warning: directive 'udp' is the old name of 'bcast'; write 'bcast'`],
    check: (c) => assert.equal(c.media[2]?.kind, "bcast"),
  },
  {
    name: "bcast bad interface",
    extra: ["bcast this-name-is-too-long0"],
    out: [
      `${F}:8: error: bcast: invalid value "this-name-is-too-long0": expected an interface name (1 to 15 characters, e.g. eth0)`,
    ],
  },
  {
    name: "mcast",
    extra: ["mcast eth0 225.0.0.1 694 1 0"],
    check: (c) =>
      assert.deepEqual(c.media[2], {
        kind: "mcast",
        iface: "eth0",
        group: "225.0.0.1",
        port: 694,
        ttl: 1,
        loop: false,
        at: { file: F, line: 8 },
      }),
  },
  {
    name: "mcast ttl 5",
    extra: ["mcast eth0 225.0.0.1 694 5 0"],
    out: [
      `${F}:8: error: mcast: invalid value "5": expected a TTL from 0 to 4 (Heartbeat refuses larger values)`,
    ],
  },
  {
    name: "mcast loop 2",
    extra: ["mcast eth0 225.0.0.1 694 1 2"],
    out: [`${F}:8: error: mcast: invalid value "2": expected loop 0 or 1`],
  },
  {
    name: "mcast unicast group",
    extra: ["mcast eth0 10.0.0.1 694 1 0"],
    out: [
      `${F}:8: error: mcast: invalid value "10.0.0.1": expected an IPv4 multicast group (224.0.0.0 to 239.255.255.255)`,
    ],
  },
  {
    name: "mcast too few fields",
    extra: ["mcast eth0 225.0.0.1"],
    out: [`${F}:8: error: mcast: expected "mcast IFACE GROUP PORT TTL LOOP"`],
  },
  {
    name: "mcast6",
    extra: ["mcast6 eth0 ff02::1:2 694 1 0"],
    check: (c) => assert.equal(c.media[2]?.kind, "mcast6"),
  },
  {
    name: "mcast6 bad group",
    extra: ["mcast6 eth0 fe80::1 694 1 0"],
    out: [`${F}:8: error: mcast6: invalid value "fe80::1": expected an IPv6 multicast group (ff00::/8)`],
  },
  {
    name: "ucast takes one peer; extra ignored",
    extra: ["ucast eth2 10.2.0.2 10.2.0.3"],
    out: [
      `${F}:8: warning: ucast takes one peer per line; "10.2.0.3" is ignored (as Heartbeat does): add a ucast line per peer`,
    ],
  },
  {
    name: "ucast missing peer",
    extra: ["ucast eth2"],
    out: [`${F}:8: error: ucast: expected "ucast IFACE PEER_ADDRESS"`],
  },
  {
    name: "ucast bad address",
    extra: ["ucast eth2 10.0.0.300"],
    out: [`${F}:8: error: ucast: invalid value "10.0.0.300": expected an IPv4 address`],
  },
  {
    name: "ucast host name warns",
    extra: ["ucast eth2 peer.example"],
    out: [
      `${F}:8: warning: ucast: peer "peer.example" is a host name; it is resolved once at start, so use an address to keep heartbeats independent of DNS`,
    ],
  },
  {
    name: "ucast6",
    extra: ["ucast6 eth0 fe80::2%eth0"],
    check: (c) =>
      assert.deepEqual(c.media[2], {
        kind: "ucast6",
        iface: "eth0",
        peer: "fe80::2%eth0",
        port: 694,
        at: { file: F, line: 8 },
      }),
  },
  {
    name: "serial relative path",
    extra: ["serial ttyS0"],
    out: [
      `${F}:8: error: serial: invalid value "ttyS0": expected an absolute device path such as /dev/ttyS0`,
    ],
  },
  {
    name: "no media",
    over: { ucast1: null, ucast2: null },
    out: [`${F}: error: no heartbeat media defined: add ucast, bcast, mcast or serial lines`],
  },
  {
    name: "single medium without ping nodes warns",
    over: { ucast2: null },
    out: [
      `${F}:4: warning: only one heartbeat medium and no ping nodes: if that link fails, both nodes will take the resources (split brain); add a second link (another ucast or a serial cable) or ping nodes`,
    ],
  },
  { name: "single medium with a ping node is fine", over: { ucast2: "ping 10.0.0.254" }, out: [] },
  {
    name: "hbaping unsupported",
    extra: ["hbaping fc0"],
    out: [
      `${F}:8: error: hbaping (Fibre Channel HBA ping) is not supported: it was never finished in Heartbeat either`,
    ],
  },
  {
    name: "rds unsupported",
    extra: ["rds x"],
    out: [`${F}:8: error: the rds medium is not supported: use ucast, mcast or serial`],
  },
  {
    name: "tipc unsupported",
    extra: ["tipc x"],
    out: [`${F}:8: error: the tipc medium is not supported: use ucast, mcast or serial`],
  },
  // ---- ping nodes
  {
    name: "ping two nodes",
    extra: ["ping 10.0.0.254 10.0.1.254"],
    check: (c) =>
      assert.deepEqual(
        c.pingNodes.map((p) => p.name),
        ["10.0.0.254", "10.0.1.254"],
      ),
  },
  {
    name: "ping bad",
    extra: ["ping gateway"],
    out: [`${F}:8: error: ping: invalid value "gateway": expected an IPv4 address`],
  },
  { name: "ping6", extra: ["ping6 2001:db8::1"], check: (c) => assert.equal(c.pingNodes[0]?.kind, "ping6") },
  {
    name: "ping_group",
    extra: ["ping_group routers 10.0.0.253 10.0.0.254"],
    check: (c) =>
      assert.deepEqual(c.pingNodes[0], {
        kind: "ping_group",
        name: "routers",
        addresses: ["10.0.0.253", "10.0.0.254"],
        at: { file: F, line: 8 },
      }),
  },
  {
    name: "ping_group without addresses",
    extra: ["ping_group routers"],
    out: [`${F}:8: error: ping_group: expected "ping_group NAME ADDRESS [ADDRESS...]"`],
  },
  {
    name: "ping_group bad address",
    extra: ["ping_group routers 10.0.0.1 nope"],
    out: [`${F}:8: error: ping_group: invalid value "nope": expected IPv4 addresses`],
  },
  // ---- nodes
  {
    name: "nodes split on commas and lower-cased",
    over: { node: "node Alpha,BETA" },
    check: (c) => assert.deepEqual(c.nodes, ["alpha", "beta"]),
  },
  {
    name: "node listed twice",
    extra: ["node alpha"],
    out: [`${F}:8: warning: node "alpha" is listed more than once`],
  },
  {
    name: "no nodes",
    over: { node: null },
    out: [`${F}: error: no nodes defined: add "node NAME" lines for every cluster member`],
  },
  {
    name: "node name too long",
    extra: [`node ${"x".repeat(101)}`],
    out: [`${F}:8: error: node name "${"x".repeat(101)}" is longer than 100 characters`],
  },
  {
    name: "local node not configured",
    opts: { localNode: "Gamma" },
    out: [
      `${F}: error: this node "gamma" is not among the configured nodes (alpha, beta); node names must match "uname -n" or /etc/ha.d/nodeinfo`,
    ],
  },
  { name: "local node configured (case-insensitive)", opts: { localNode: "ALPHA" }, out: [] },
  // ---- failback and CRM
  {
    name: "auto_failback off",
    over: { auto_failback: "auto_failback off" },
    check: (c) => assert.equal(c.autoFailback, "off"),
  },
  {
    name: "auto_failback yes = on",
    over: { auto_failback: "auto_failback yes" },
    check: (c) => assert.equal(c.autoFailback, "on"),
  },
  {
    name: "keepalive twice, too big",
    extra: ["keepalive 5"],
    out: [
      `${F}:8: warning: keepalive is set again (first on line 1); the last value wins`,
      `${F}:2: error: deadtime (10000 ms) must be more than twice keepalive (5000 ms)`,
    ],
  },
  {
    name: "auto_failback bad",
    over: { auto_failback: "auto_failback maybe" },
    out: [`${F}:7: error: auto_failback: invalid value "maybe": expected on, off or legacy`],
  },
  {
    name: "auto_failback unset warns (legacy default)",
    over: { auto_failback: null },
    out: [
      `${F}: warning: auto_failback is not set, so it defaults to "legacy" (the preferred node always takes its groups back and hb_standby is refused); set "auto_failback on" or "off"`,
    ],
  },
  {
    name: "auto_failback legacy warns",
    over: { auto_failback: "auto_failback legacy" },
    out: [
      `${F}:7: warning: auto_failback legacy is deprecated: use "on" (resources return to their preferred node) or "off" (they stay where they are)`,
    ],
  },
  { name: "no legacy warning in CRM mode", over: { auto_failback: null }, extra: ["crm on"], out: [] },
  {
    name: "nice_failback on = auto_failback off",
    over: { auto_failback: "nice_failback on" },
    out: [
      `${F}:7: warning: nice_failback is obsolete: use "auto_failback off" (nice_failback on means auto_failback off)`,
    ],
    check: (c) => assert.equal(c.autoFailback, "off"),
  },
  {
    name: "pacemaker respawn",
    extra: ["pacemaker respawn"],
    check: (c) => assert.equal(c.pacemaker, "respawn"),
  },
  { name: "crm yes (2.1 alias)", extra: ["crm yes"], check: (c) => assert.equal(c.pacemaker, "on") },
  {
    name: "pacemaker twice",
    extra: ["crm on", "pacemaker on"],
    out: [`${F}:9: error: pacemaker/crm may be given only once (first given on line 8)`],
  },
  {
    name: "pacemaker bad",
    extra: ["pacemaker sometimes"],
    out: [
      `${F}:8: error: pacemaker: invalid value "sometimes": expected on, off, respawn, minimal, manual, ccm-only, valgrind`,
    ],
  },
  {
    name: "pacemaker valgrind treated as on",
    extra: ["pacemaker valgrind"],
    out: [
      `${F}:8: warning: pacemaker valgrind: Tandem treats this as "on" (its resource manager is built in and cannot be started separately or under valgrind)`,
    ],
  },
  {
    name: "crm_daemon_dir inert",
    extra: ["crm_daemon_dir /usr/lib/pacemaker"],
    check: (c) => assert.equal(c.inert[0]?.directive, "crm_daemon_dir"),
  },
  {
    name: "crmd_spawns_pengine bad",
    extra: ["crmd_spawns_pengine perhaps"],
    out: [
      `${F}:8: error: crmd_spawns_pengine: invalid value "perhaps": expected a boolean (on/off, yes/no, true/false, y/n, 1/0)`,
    ],
  },
  {
    name: "autojoin any warns",
    extra: ["autojoin any"],
    out: [
      `${F}:8: warning: autojoin any: Tandem admits only nodes listed with "node"; list every member explicitly`,
    ],
  },
  {
    name: "autojoin bad",
    extra: ["autojoin some"],
    out: [`${F}:8: error: autojoin: invalid value "some": expected one of none, other, any`],
  },
  {
    name: "autojoin with haresources is fatal",
    extra: ["autojoin other"],
    opts: { haresourcesPresent: true },
    out: [
      `${F}:8: warning: autojoin other: Tandem admits only nodes listed with "node"; list every member explicitly`,
      `${F}:8: error: autojoin conflicts with haresources resource management (as in Heartbeat): list the nodes and set autojoin none`,
    ],
  },
  // ---- clients
  {
    name: "respawn",
    extra: ["respawn hacluster /usr/lib/heartbeat/ipfail -d"],
    check: (c) =>
      assert.deepEqual(c.respawn[0], {
        user: "hacluster",
        path: "/usr/lib/heartbeat/ipfail",
        args: ["-d"],
        at: { file: F, line: 8 },
      }),
  },
  {
    name: "respawn relative path",
    extra: ["respawn hacluster ipfail"],
    out: [`${F}:8: error: respawn: program path "ipfail" must be absolute`],
  },
  {
    name: "respawn missing path",
    extra: ["respawn hacluster"],
    out: [`${F}:8: error: respawn: expected "respawn USER /absolute/path [args...]"`],
  },
  {
    name: "failfast",
    extra: ["failfast root /usr/bin/watcher"],
    check: (c) => assert.equal(c.failfast[0]?.path, "/usr/bin/watcher"),
  },
  {
    name: "apiauth accepted without effect",
    extra: ["apiauth ipfail uid=hacluster", "apiauth ping gid=haclient,admin"],
    check: (c) => {
      assert.deepEqual(
        c.apiauth.map((a) => [a.client, a.uids, a.gids]),
        [
          ["ipfail", ["hacluster"], []],
          ["ping", [], ["haclient", "admin"]],
        ],
      );
      assert.deepEqual(
        c.inert.map((i) => i.directive),
        ["apiauth", "apiauth"],
      );
    },
  },
  {
    name: "apiauth without uid or gid",
    extra: ["apiauth ipfail"],
    out: [`${F}:8: error: apiauth: expected "apiauth CLIENT uid=... and/or gid=..."`],
  },
  {
    name: "apiauth bad token",
    extra: ["apiauth ipfail user=x"],
    out: [
      `${F}:8: error: apiauth: invalid value "user=x": expected uid=USER[,USER...] or gid=GROUP[,GROUP...]`,
    ],
  },
  {
    name: "apiauth duplicate",
    extra: ["apiauth ipfail uid=a", "apiauth ipfail uid=b"],
    out: [`${F}:9: error: apiauth: client "ipfail" is already defined on line 8`],
  },
  // ---- identity, logging and the rest
  {
    name: "uuidfrom nodename",
    extra: ["uuidfrom nodename"],
    check: (c) => assert.equal(c.uuidfrom, "nodename"),
  },
  {
    name: "uuidfrom bad",
    extra: ["uuidfrom disk"],
    out: [`${F}:8: error: uuidfrom: invalid value "disk": expected one of file, nodename`],
  },
  {
    name: "hbgenmethod time",
    extra: ["hbgenmethod time"],
    check: (c) => assert.equal(c.hbgenmethod, "time"),
  },
  {
    name: "hbgenmethod bad",
    extra: ["hbgenmethod clock"],
    out: [`${F}:8: error: hbgenmethod: invalid value "clock": expected one of file, time`],
  },
  {
    name: "logfile",
    extra: ["logfile /var/log/ha-log"],
    check: (c) => assert.equal(c.logfile, "/var/log/ha-log"),
  },
  {
    name: "debugfile",
    extra: ["debugfile /var/log/ha-debug"],
    check: (c) => assert.equal(c.debugfile, "/var/log/ha-debug"),
  },
  {
    name: "logfacility local0 (used: hbd logs to syslog)",
    extra: ["logfacility local0"],
    check: (c) => assert.deepEqual([c.logfacility, c.inert.length], ["local0", 0]),
  },
  {
    name: "logfacility bad",
    extra: ["logfacility local9"],
    out: [
      `${F}:8: error: logfacility: invalid value "local9": expected a syslog facility (daemon, local0..local7, ...) or none`,
    ],
  },
  {
    name: "use_logd (inert)",
    extra: ["use_logd yes"],
    check: (c) => assert.equal(c.inert[0]?.directive, "use_logd"),
  },
  {
    name: "conn_logd_time bad",
    extra: ["conn_logd_time soon"],
    out: [
      `${F}:8: error: conn_logd_time: invalid value "soon": expected a time: seconds ("2", "0.5"), or a number with ms or us ("500ms"); "2s" is not valid`,
    ],
  },
  {
    name: "syslogmsgfmt (inert)",
    extra: ["syslogmsgfmt false"],
    check: (c) => assert.equal(c.inert[0]?.directive, "syslogmsgfmt"),
  },
  { name: "log_badpack off", extra: ["log_badpack off"], check: (c) => assert.equal(c.logBadPackets, false) },
  { name: "debug 3", extra: ["debug 3"], check: (c) => assert.equal(c.debugLevel, 3) },
  {
    name: "debug 256",
    extra: ["debug 256"],
    out: [`${F}:8: error: debug: invalid value "256": expected an integer from 0 to 255`],
  },
  {
    name: "realtime off, rtprio",
    extra: ["realtime off", "rtprio 70"],
    check: (c) => assert.deepEqual([c.realtime, c.rtprio, c.inert.length], [false, 70, 0]),
  },
  {
    name: "rtprio bad",
    extra: ["rtprio 200"],
    out: [`${F}:8: error: rtprio: invalid value "200": expected an integer from 1 to 99`],
  },
  {
    name: "memreserve (inert)",
    extra: ["memreserve 8000"],
    check: (c) => assert.deepEqual([c.inert[0]?.directive, c.inert[0]?.value], ["memreserve", "8000"]),
  },
  {
    name: "memreserve bad",
    extra: ["memreserve lots"],
    out: [`${F}:8: error: memreserve: invalid value "lots": expected a size in KiB`],
  },
  {
    name: "watchdog",
    extra: ["watchdog /dev/watchdog"],
    check: (c) => assert.equal(c.watchdog, "/dev/watchdog"),
  },
  {
    name: "watchdog twice",
    extra: ["watchdog /dev/watchdog", "watchdog /dev/watchdog1"],
    out: [`${F}:9: error: watchdog may be given only once (first given on line 8)`],
  },
  {
    name: "watchdog relative",
    extra: ["watchdog watchdog"],
    out: [
      `${F}:8: error: watchdog: invalid value "watchdog": expected an absolute device path such as /dev/watchdog`,
    ],
  },
  {
    name: "stonith (inert)",
    extra: ["stonith baytech /etc/ha.d/conf/stonith.baytech"],
    check: (c) => assert.equal(c.inert[0]?.directive, "stonith"),
  },
  {
    name: "stonith missing config",
    extra: ["stonith baytech"],
    out: [`${F}:8: error: stonith: invalid value "baytech": expected "stonith TYPE CONFIGFILE"`],
  },
  {
    name: "stonith_host with a plugin Tandem runs: a device",
    extra: ["stonith_host * null alpha beta", "stonith_host alpha external/ssh Beta"],
    check: (c) => {
      assert.deepEqual(
        c.stonithHosts?.map((d) => [d.from, d.plugin, d.agent, d.hosts.join(",")]),
        [
          ["*", "null", "fence_null", "alpha,beta"],
          ["alpha", "external/ssh", "fence_ssh", "beta"],
        ],
      );
      assert.deepEqual(c.inert, []);
    },
  },
  {
    name: "stonith_host with another plugin: a warning, not used",
    extra: ["stonith_host * baytech 10.0.0.3 mylogin mysecret"],
    out: [
      `${F}:8: warning: stonith_host: Heartbeat plugin "baytech" has no Tandem fence agent (ssh, external/ssh, meatware, null do): this device is not used; with crm on, configure a fence agent in cib.xml`,
    ],
    check: (c) => {
      assert.equal(c.stonithHosts, undefined);
      assert.equal(c.inert[0]?.directive, "stonith_host");
    },
  },
  {
    name: "stonith_host fencing a stranger",
    extra: ["stonith_host * meatware gamma"],
    out: [`${F}:8: warning: stonith_host meatware: gamma is not a node of this cluster`],
  },
  {
    name: "coredumps (inert)",
    extra: ["coredumps true"],
    check: (c) => assert.equal(c.inert[0]?.directive, "coredumps"),
  },
  {
    name: "coreroot (inert)",
    extra: ["coreroot /var/lib/heartbeat/cores"],
    check: (c) => assert.equal(c.inert[0]?.directive, "coreroot"),
  },
  {
    name: "msgfmt netstring",
    extra: ["msgfmt netstring"],
    check: (c) => assert.equal(c.msgfmt, "netstring"),
  },
  {
    name: "msgfmt bad",
    extra: ["msgfmt xml"],
    out: [`${F}:8: error: msgfmt: invalid value "xml": expected one of classic, netstring`],
  },
  {
    name: "compression bz2 (inert)",
    extra: ["compression bz2"],
    check: (c) => assert.equal(c.inert[0]?.directive, "compression"),
  },
  {
    name: "compression bad",
    extra: ["compression lz4"],
    out: [`${F}:8: error: compression: invalid value "lz4": expected one of zlib, bz2`],
  },
  {
    name: "compression_threshold 0",
    extra: ["compression_threshold 0"],
    out: [`${F}:8: error: compression_threshold: invalid value "0": expected a size in KiB greater than 0`],
  },
  {
    name: "traditional_compression (inert)",
    extra: ["traditional_compression no"],
    check: (c) => assert.equal(c.inert[0]?.directive, "traditional_compression"),
  },
  {
    name: "max_rexmit_delay",
    extra: ["max_rexmit_delay 100"],
    check: (c) => assert.equal(c.maxRexmitDelayMs, 100),
  },
  {
    name: "max_rexmit_delay 0",
    extra: ["max_rexmit_delay 0"],
    out: [`${F}:8: error: max_rexmit_delay: invalid value "0": expected a delay in ms greater than 0`],
  },
  {
    name: "hopfudge (inert)",
    extra: ["hopfudge 2"],
    check: (c) => assert.equal(c.inert[0]?.directive, "hopfudge"),
  },
  {
    name: "hopfudge bad",
    extra: ["hopfudge 300"],
    out: [`${F}:8: error: hopfudge: invalid value "300": expected an integer from 0 to 255`],
  },
  {
    name: "cluster name",
    extra: ["cluster lvs-pair"],
    check: (c) => assert.equal(c.clusterName, "lvs-pair"),
  },
  {
    name: "quorum_server (inert)",
    extra: ["quorum_server qs.example"],
    check: (c) => assert.equal(c.inert[0]?.directive, "quorum_server"),
  },
  { name: "env", extra: ["env FOO=bar baz"], check: (c) => assert.deepEqual(c.env, { FOO: "bar baz" }) },
  {
    name: "env bad",
    extra: ["env =x"],
    out: [`${F}:8: error: env: invalid value "=x": expected NAME=value`],
  },
  {
    name: "use_apphbd (inert)",
    extra: ["use_apphbd no"],
    check: (c) => assert.equal(c.inert[0]?.directive, "use_apphbd"),
  },
  {
    name: "normalpoll (inert)",
    extra: ["normalpoll true"],
    check: (c) => assert.equal(c.inert[0]?.directive, "normalpoll"),
  },
  {
    name: "record_config_changes (inert)",
    extra: ["record_config_changes on"],
    check: (c) => assert.equal(c.inert[0]?.directive, "record_config_changes"),
  },
  {
    name: "record_pengine_inputs (inert)",
    extra: ["record_pengine_inputs on"],
    check: (c) => assert.equal(c.inert[0]?.directive, "record_pengine_inputs"),
  },
  {
    name: "enable_config_writes bad",
    extra: ["enable_config_writes sure"],
    out: [
      `${F}:8: error: enable_config_writes: invalid value "sure": expected a boolean (on/off, yes/no, true/false, y/n, 1/0)`,
    ],
  },
  // ---- lexical rules
  {
    name: "unknown directive",
    extra: ["keepalived 1"],
    out: [`${F}:8: error: unknown directive "keepalived"`],
  },
  {
    name: "directive names are case-sensitive",
    extra: ["Keepalive 1"],
    out: [`${F}:8: error: unknown directive "Keepalive" (directive names are lower case: "keepalive")`],
  },
  {
    name: "comments anywhere, CRLF",
    extra: ["# a comment", "  debug 2 # trailing\r"],
    check: (c) => assert.equal(c.debugLevel, 2),
  },
  { name: "missing value", extra: ["deadtime"], out: [`${F}:8: error: deadtime: missing value`] },
  {
    name: "line too long",
    extra: [`cluster ${"x".repeat(5200)}`],
    out: [`${F}:8: error: line is longer than 5120 bytes`],
  },
];

for (const r of rows) {
  test(`ha.cf: ${r.name}`, () => {
    const { cfg, out } = run(build(r.over, r.extra), r.opts);
    if (r.out) assert.deepEqual(out, r.out);
    else assert.deepEqual(out, [], "expected no diagnostics");
    r.check?.(cfg);
  });
}

test("every directive Heartbeat 3.0.6 knows is recognised", () => {
  const heartbeat =
    `keepalive deadtime warntime initdead deadping udpport bcast mcast mcast6 ucast ucast6 serial baud node ping ping6
    ping_group hbaping auto_failback nice_failback respawn failfast apiauth pacemaker crm crm_daemon_dir crmd_spawns_pengine
    autojoin uuidfrom hbgenmethod logfile debugfile logfacility use_logd conn_logd_time syslogmsgfmt log_badpack debug
    realtime rtprio memreserve watchdog stonith stonith_host coredumps coreroot msgfmt compression compression_threshold
    traditional_compression max_rexmit_delay hopfudge cluster quorum_server env use_apphbd normalpoll record_config_changes
    record_pengine_inputs enable_config_writes udp rds tipc`.split(/\s+/);
  const missing = heartbeat.filter((d) => !KNOWN_DIRECTIVES.includes(d));
  assert.deepEqual(missing, []);
  // and each is covered by at least one row above
  const covered = new Set(
    rows
      .flatMap((r) => [...Object.values(r.over ?? {}), ...(r.extra ?? [])])
      .map((l) => (l ?? "").split(/\s+/)[0]),
  );
  for (const k of Object.values(BASE)) covered.add(k.split(/\s+/)[0]);
  covered.add("pacemaker");
  const uncovered = heartbeat.filter((d) => !covered.has(d));
  assert.deepEqual(uncovered, []);
});

test("every problem is reported, not just the first", () => {
  const r = parseHaCf(
    "keepalive 2s\nbogus 1\ndebug 999\nnode a\nucast eth0 10.0.0.2\nucast eth1 10.0.1.2\n",
    F,
  );
  assert.deepEqual(
    r.diagnostics.filter((d) => d.severity === "error").map((d) => d.line),
    [1, 2, 3],
  );
});
