// Goal: parseHaresources reads Heartbeat's haresources (groups, continuation, comments, IP forms) with exact messages. Method: table-driven cases on small texts and fixtures.
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatDiagnostic } from "../../../src/base/diag.js";
import { parseHaresources } from "../../../src/config/haresources.js";
import type { IpSpec } from "../../../src/config/model.js";
import { readFixture } from "../../helpers.js";

const F = "/etc/ha.d/haresources";

function render(text: string, nodes?: readonly string[]): string[] {
  return parseHaresources(text, F, nodes === undefined ? {} : { nodes }).diagnostics.map(formatDiagnostic);
}

test("fixture: the LVS-DR director pair", () => {
  const r = parseHaresources(readFixture("config", "haresources-lvs-dr"), F, {
    nodes: ["primarylb", "backuplb"],
  });
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(r.value, [
    {
      key: "IPaddr::192.168.1.100/24/eth0",
      node: "primarylb",
      at: { file: F, line: 2 },
      resources: [
        {
          type: "IPaddr",
          args: ["192.168.1.100/24/eth0"],
          ip: { ip: "192.168.1.100", cidrNetmask: 24, nic: "eth0" },
          at: { file: F, line: 2 },
        },
        { type: "ldirectord", args: ["ldirectord.cf"], at: { file: F, line: 2 } },
      ],
    },
  ]);
});

test("fixture: continuation lines, comments, bare IPs, labels, upper-case node", () => {
  const r = parseHaresources(readFixture("config", "haresources-mixed"), F, { nodes: ["alice", "bob"] });
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(
    r.value.map((g) => [g.key, g.node, g.at.line]),
    [
      ["192.168.1.106/24/eth0/192.168.1.255", "alice", 4],
      ["10.0.0.5", "bob", 8],
      ["IPaddr2::10.0.0.7/24/eth1:web", "alice", 9],
    ],
  );
  const [g1, g2, g3] = r.value;
  assert.deepEqual(
    g1?.resources.map((x) => [x.type, x.args, x.at.line]),
    [
      ["IPaddr", ["192.168.1.106/24/eth0/192.168.1.255"], 4],
      ["Filesystem", ["/dev/sda1", "/data", "ext3"], 5],
      ["apache", ["/etc/apache2/apache2.conf"], 6],
    ],
  );
  assert.deepEqual(g1?.resources[0]?.ip, {
    ip: "192.168.1.106",
    cidrNetmask: 24,
    nic: "eth0",
    broadcast: "192.168.1.255",
  });
  assert.deepEqual(
    g2?.resources.map((x) => [x.type, x.args]),
    [
      ["IPaddr", ["10.0.0.5"]],
      ["mysql", []],
    ],
  );
  assert.deepEqual(g3?.resources[0]?.ip, { ip: "10.0.0.7", cidrNetmask: 24, nic: "eth1", label: "web" });
  assert.deepEqual(g3?.resources[1]?.args, ["ops@example.com", "failover"]);
});

// ---------------------------------------------------------------- IP forms

const goodIp: { word: string; ip: IpSpec }[] = [
  { word: "IPaddr::10.0.0.5", ip: { ip: "10.0.0.5" } },
  { word: "IPaddr::10.0.0.5/24", ip: { ip: "10.0.0.5", cidrNetmask: 24 } },
  { word: "IPaddr::10.0.0.5/1", ip: { ip: "10.0.0.5", cidrNetmask: 1 } },
  { word: "IPaddr::10.0.0.5/32", ip: { ip: "10.0.0.5", cidrNetmask: 32 } },
  { word: "IPaddr::10.0.0.5/24/eth0", ip: { ip: "10.0.0.5", cidrNetmask: 24, nic: "eth0" } },
  {
    word: "IPaddr::10.0.0.5/24/10.0.0.255",
    ip: { ip: "10.0.0.5", cidrNetmask: 24, broadcast: "10.0.0.255" },
  },
  {
    word: "IPaddr::10.0.0.5/24/eth0/10.0.0.255",
    ip: { ip: "10.0.0.5", cidrNetmask: 24, nic: "eth0", broadcast: "10.0.0.255" },
  },
  { word: "IPaddr::10.0.0.5/255.255.255.0", ip: { ip: "10.0.0.5", cidrNetmask: 24 } },
  { word: "IPaddr::10.0.0.5/255.255.255.255/eth0", ip: { ip: "10.0.0.5", cidrNetmask: 32, nic: "eth0" } },
  { word: "IPaddr::10.0.0.5/128.0.0.0", ip: { ip: "10.0.0.5", cidrNetmask: 1 } },
  { word: "IPaddr::10.0.0.5/24/eth0.100", ip: { ip: "10.0.0.5", cidrNetmask: 24, nic: "eth0.100" } },
  { word: "IPaddr::10.0.0.5/24/eth0:0", ip: { ip: "10.0.0.5", cidrNetmask: 24, nic: "eth0", label: "0" } },
  {
    word: "IPaddr2::10.0.0.5/24/eth0:vip",
    ip: { ip: "10.0.0.5", cidrNetmask: 24, nic: "eth0", label: "vip" },
  },
  {
    word: "IPaddr2::10.0.0.5/24/eth0:vip/10.0.0.255",
    ip: { ip: "10.0.0.5", cidrNetmask: 24, nic: "eth0", label: "vip", broadcast: "10.0.0.255" },
  },
  { word: "SendArp::10.0.0.5/24/eth0", ip: { ip: "10.0.0.5", cidrNetmask: 24, nic: "eth0" } },
  {
    word: "SendArp::10.0.0.5/24/eth0:arp",
    ip: { ip: "10.0.0.5", cidrNetmask: 24, nic: "eth0", label: "arp" },
  },
  { word: "IPaddr::0.0.0.0", ip: { ip: "0.0.0.0" } },
  {
    word: "IPaddr::255.255.255.255/32/enp0s31f6",
    ip: { ip: "255.255.255.255", cidrNetmask: 32, nic: "enp0s31f6" },
  },
  // bare IPv4 words mean IPaddr::<word>
  { word: "10.0.0.5", ip: { ip: "10.0.0.5" } },
  { word: "10.0.0.5/24", ip: { ip: "10.0.0.5", cidrNetmask: 24 } },
  { word: "10.0.0.5/24/eth0", ip: { ip: "10.0.0.5", cidrNetmask: 24, nic: "eth0" } },
  {
    word: "10.0.0.5/24/eth0/10.0.0.255",
    ip: { ip: "10.0.0.5", cidrNetmask: 24, nic: "eth0", broadcast: "10.0.0.255" },
  },
];

for (const c of goodIp) {
  test(`IP form accepted: ${c.word}`, () => {
    const r = parseHaresources(`n1 ${c.word}\n`, F);
    assert.deepEqual(r.diagnostics, []);
    const rsc = r.value[0]?.resources[0];
    assert.deepEqual(rsc?.ip, c.ip);
    assert.equal(r.value[0]?.key, c.word);
    if (!c.word.includes("::")) assert.deepEqual([rsc?.type, rsc?.args], ["IPaddr", [c.word]]);
  });
}

const badIp: { word: string; want: string }[] = [
  {
    word: "IPaddr::10.0.0.256",
    want: `IPaddr argument "10.0.0.256": "10.0.0.256" is not a valid IPv4 address: "256" is above 255`,
  },
  {
    word: "10.0.0.256/24",
    want: `IPaddr argument "10.0.0.256/24": "10.0.0.256" is not a valid IPv4 address: "256" is above 255`,
  },
  {
    word: "IPaddr::10.0.0",
    want: `IPaddr argument "10.0.0": "10.0.0" is not an IPv4 address (expected four numbers separated by dots, such as 10.0.0.5)`,
  },
  {
    word: "IPaddr2::vip.example.com/24",
    want: `IPaddr2 argument "vip.example.com/24": "vip.example.com" is not an IPv4 address (expected four numbers separated by dots, such as 10.0.0.5)`,
  },
  {
    word: "010.0.0.5",
    want: `IPaddr argument "010.0.0.5": "010.0.0.5" is not a valid IPv4 address: "010" has a leading zero, which some tools read as octal`,
  },
  {
    word: "10.0.0.5/33",
    want: `IPaddr argument "10.0.0.5/33": netmask "33" is out of range: the number of bits must be 1 to 32`,
  },
  {
    word: "10.0.0.5/0",
    want: `IPaddr argument "10.0.0.5/0": netmask "0" is out of range: the number of bits must be 1 to 32`,
  },
  {
    word: "10.0.0.5/0.0.0.0",
    want: `IPaddr argument "10.0.0.5/0.0.0.0": netmask "0.0.0.0" is out of range: the number of bits must be 1 to 32`,
  },
  {
    word: "10.0.0.5/eth0",
    want: `IPaddr argument "10.0.0.5/eth0": netmask "eth0" must be a number of bits from 1 to 32 or a dotted netmask such as 255.255.255.0`,
  },
  {
    word: "10.0.0.5/255.0.255.0",
    want: `IPaddr argument "10.0.0.5/255.0.255.0": netmask "255.0.255.0" is not a valid netmask (its one bits must be contiguous, as in 255.255.255.0)`,
  },
  {
    word: "10.0.0.5/24/eth0/10.0.0.300",
    want: `IPaddr argument "10.0.0.5/24/eth0/10.0.0.300": broadcast address: "10.0.0.300" is not a valid IPv4 address: "300" is above 255`,
  },
  {
    word: "10.0.0.5/24/10.0.1.256",
    want: `IPaddr argument "10.0.0.5/24/10.0.1.256": broadcast address: "10.0.1.256" is not a valid IPv4 address: "256" is above 255`,
  },
  {
    word: "10.0.0.5/24/eth0/bcast",
    want: `IPaddr argument "10.0.0.5/24/eth0/bcast": broadcast address: "bcast" is not an IPv4 address (expected four numbers separated by dots, such as 10.0.0.5)`,
  },
  {
    word: "10.0.0.5/24/10.0.0.255/10.0.0.255",
    want: `IPaddr argument "10.0.0.5/24/10.0.0.255/10.0.0.255": the third field "10.0.0.255" looks like a broadcast address, but in the form IP/bits/iface/broadcast it must be an interface`,
  },
  {
    word: "10.0.0.5/24/eth0/10.0.0.255/x",
    want: `IPaddr argument "10.0.0.5/24/eth0/10.0.0.255/x": too many "/" fields: the forms are IP, IP/bits, IP/bits/iface, IP/bits/broadcast and IP/bits/iface/broadcast`,
  },
  { word: "10.0.0.5/", want: `IPaddr argument "10.0.0.5/": the netmask field after "10.0.0.5/" is empty` },
  {
    word: "10.0.0.5//eth0",
    want: `IPaddr argument "10.0.0.5//eth0": the netmask field after "10.0.0.5/" is empty`,
  },
  {
    word: "10.0.0.5/24/",
    want: `IPaddr argument "10.0.0.5/24/": the interface field after "10.0.0.5/24/" is empty`,
  },
  {
    word: "10.0.0.5/24/eth0/",
    want: `IPaddr argument "10.0.0.5/24/eth0/": the broadcast field after "10.0.0.5/24/eth0/" is empty`,
  },
  {
    word: "IPaddr2::10.0.0.5/24/eth0:",
    want: `IPaddr2 argument "10.0.0.5/24/eth0:": interface "eth0:" is not of the form iface:label (one ":" followed by a label)`,
  },
  {
    word: "IPaddr2::10.0.0.5/24/eth0:a:b",
    want: `IPaddr2 argument "10.0.0.5/24/eth0:a:b": interface "eth0:a:b" is not of the form iface:label (one ":" followed by a label)`,
  },
  {
    word: "IPaddr2::10.0.0.5/24/:vip",
    want: `IPaddr2 argument "10.0.0.5/24/:vip": interface ":vip" has no name before the ":"`,
  },
  {
    word: "IPaddr2::10.0.0.5/24/averyverylongname",
    want: `IPaddr2 argument "10.0.0.5/24/averyverylongname": interface "averyverylongname" is longer than 15 characters (the Linux limit)`,
  },
  {
    word: "IPaddr2::10.0.0.5/24/eth0:toolonglabel",
    want: `IPaddr2 argument "10.0.0.5/24/eth0:toolonglabel": interface label "eth0:toolonglabel" is longer than 15 characters (the Linux limit)`,
  },
  { word: "IPaddr", want: `IPaddr needs an IP address argument, e.g. IPaddr::10.0.0.5/24/eth0` },
  { word: "SendArp", want: `SendArp needs an IP address argument, e.g. SendArp::10.0.0.5/24/eth0` },
  { word: "IPaddr::", want: `resource "IPaddr::" has an empty argument (number 1); remove the extra "::"` },
];

for (const c of badIp) {
  test(`IP form refused: ${c.word}`, () => {
    const r = parseHaresources(`n1 ${c.word}\n`, F);
    assert.deepEqual(r.diagnostics.map(formatDiagnostic), [`${F}:1: error: ${c.want}`]);
    assert.equal(r.value[0]?.resources[0]?.ip, undefined);
  });
}

test("IP resource with extra arguments: warning, first argument still decoded", () => {
  const r = parseHaresources("n1 IPaddr::10.0.0.5/24::eth1\n", F);
  assert.deepEqual(r.diagnostics.map(formatDiagnostic), [
    `${F}:1: warning: IPaddr uses only its first argument; "eth1" is ignored (write IPaddr::IP/bits/iface/broadcast)`,
  ]);
  assert.deepEqual(r.value[0]?.resources[0]?.ip, { ip: "10.0.0.5", cidrNetmask: 24 });
});

test("other resource types are not decoded as IPs (IPv6addr keeps its text)", () => {
  const r = parseHaresources("n1 IPv6addr::2001:db8::10/64 Delay::1::0\n", F);
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(
    r.value[0]?.resources.map((x) => [x.type, x.args, x.ip]),
    [
      ["IPv6addr", ["2001:db8", "10/64"], undefined],
      ["Delay", ["1", "0"], undefined],
    ],
  );
});

// ---------------------------------------------------------------- lines, words and arguments

test("continuation: group starts where its node is, resources keep their physical lines", () => {
  const text = [
    "# comment", // 1
    "", // 2
    "n1 \\", // 3
    "   IPaddr::10.0.0.5/24/eth0 \\   # a comment after the backslash", // 4
    "\tFilesystem::/dev/sda1::/data::ext3 \\", // 5
    "   apache", // 6
    "n2 10.0.0.6 \\", // 7
    "   mysql#db", // 8
    "n1 x\\", // 9 (a backslash glued to a word still separates words)
    "y", // 10
  ].join("\n");
  const r = parseHaresources(text, F);
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(
    r.value.map((g) => [g.node, g.key, g.at.line, g.resources.map((x) => [x.type, x.at.line])]),
    [
      [
        "n1",
        "IPaddr::10.0.0.5/24/eth0",
        3,
        [
          ["IPaddr", 4],
          ["Filesystem", 5],
          ["apache", 6],
        ],
      ],
      [
        "n2",
        "10.0.0.6",
        7,
        [
          ["IPaddr", 7],
          ["mysql", 8],
        ],
      ],
      [
        "n1",
        "x",
        9,
        [
          ["x", 9],
          ["y", 10],
        ],
      ],
    ],
  );
});

test("continuation: an error in a continued resource points at its physical line", () => {
  assert.deepEqual(render("n1 IPaddr::10.0.0.5/24 \\\n  apache \\\n  10.0.0.6/40\nn2 b\n"), [
    `${F}:3: error: IPaddr argument "10.0.0.6/40": netmask "40" is out of range: the number of bits must be 1 to 32`,
  ]);
});

test("a file whose last line ends with a backslash keeps that group", () => {
  const r = parseHaresources("n1 a \\", F);
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(
    r.value.map((g) => g.key),
    ["a"],
  );
});

test("a continuation into a blank line ends the group there", () => {
  assert.deepEqual(render("n1 a \\\n\nb\n"), [
    `${F}:3: error: node "b" has no resources: a line reads "NODE RESOURCE [RESOURCE ...]"`,
  ]);
});

test("CRLF line ends", () => {
  const r = parseHaresources("n1 10.0.0.5/24 apache\r\nn2 b \\\r\n c\r\n", F);
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(
    r.value.map((g) => [g.key, g.resources.map((x) => x.type)]),
    [
      ["10.0.0.5/24", ["IPaddr", "apache"]],
      ["b", ["b", "c"]],
    ],
  );
});

test("arguments split on ::", () => {
  const r = parseHaresources(
    "n1 Filesystem::/dev/sda1::/data::ext3::noatime,rw ldirectord::ldirectord.cf apache\n",
    F,
  );
  assert.deepEqual(
    r.value[0]?.resources.map((x) => [x.type, x.args]),
    [
      ["Filesystem", ["/dev/sda1", "/data", "ext3", "noatime,rw"]],
      ["ldirectord", ["ldirectord.cf"]],
      ["apache", []],
    ],
  );
});

const lineCases: { name: string; text: string; nodes?: string[]; want: string[] }[] = [
  { name: "empty file", text: "", want: [] },
  { name: "comments only", text: "# nothing\n   # here\n", want: [] },
  {
    name: "node without resources",
    text: "n1 a\nn2   # nothing\n",
    want: [`${F}:2: error: node "n2" has no resources: a line reads "NODE RESOURCE [RESOURCE ...]"`],
  },
  {
    name: "line starting with a resource",
    text: "IPaddr::10.0.0.5 apache\n10.0.0.6 mysql\n",
    want: [
      `${F}:1: error: line starts with the resource "IPaddr::10.0.0.5": each line must start with the name of its preferred node`,
      `${F}:2: error: line starts with the resource "10.0.0.6": each line must start with the name of its preferred node`,
    ],
  },
  {
    name: "empty argument",
    text: "n1 Filesystem::/dev/sda1::::ext3\n",
    want: [
      `${F}:1: error: resource "Filesystem::/dev/sda1::::ext3" has an empty argument (number 2); remove the extra "::"`,
    ],
  },
  {
    name: "no script name",
    text: "n1 ::foo\n",
    want: [`${F}:1: error: resource "::foo" has no script name before "::"`],
  },
  {
    name: "path or malformed IP as a resource",
    text: "n1 10.0.0/24\n",
    want: [
      `${F}:1: error: resource "10.0.0/24" is neither a script name (in resource.d or init.d) nor an IPv4 address`,
    ],
  },
  {
    name: "unknown node",
    text: "n1 a\nn3 b\n",
    nodes: ["N1", "n2"],
    want: [
      `${F}:2: error: unknown node "n3": the preferred node must be one of the configured nodes: n1, n2`,
    ],
  },
  {
    name: "node names compare case-insensitively",
    text: "N1 a\nn2 b\n",
    nodes: ["n1", "N2"],
    want: [],
  },
  {
    name: "no nodes configured",
    text: "n1 a\n",
    nodes: [],
    want: [
      `${F}:1: error: unknown node "n1": the preferred node must be one of the configured nodes (none are)`,
    ],
  },
  {
    name: "duplicate group key",
    text: "n1 10.0.0.5 apache\nn2 10.0.0.5 mysql\n",
    want: [
      `${F}:2: error: group key "10.0.0.5" is already used by the group on line 1: the first resource of each line names its group and must be unique`,
    ],
  },
  {
    name: "same IP under two nodes, written differently",
    text: "n1 10.0.0.5 apache\nn2 mysql \\\n  IPaddr2::10.0.0.5/24/eth0\n",
    want: [
      `${F}:3: warning: address 10.0.0.5 is also in the group on line 1 (node n1): each group starts it on its own, so two nodes could run it at once; keep it in one group`,
    ],
  },
  {
    name: "same resource in two groups",
    text: "n1 10.0.0.5 apache\nn2 10.0.0.6 apache\n",
    want: [
      `${F}:2: warning: resource "apache" is also in the group on line 1 (node n1): each group starts it on its own, so two nodes could run it at once; keep it in one group`,
    ],
  },
  {
    name: "same resource twice in one group",
    text: "n1 10.0.0.5 apache \\\n apache\n",
    want: [`${F}:2: warning: resource "apache" appears twice in this group (first on line 1)`],
  },
  {
    name: "several problems are all reported",
    text: "n1 10.0.0.5/33 a\nn9 b\nn2\nn1 10.0.0.5/33 c\n",
    nodes: ["n1", "n2"],
    want: [
      `${F}:1: error: IPaddr argument "10.0.0.5/33": netmask "33" is out of range: the number of bits must be 1 to 32`,
      `${F}:2: error: unknown node "n9": the preferred node must be one of the configured nodes: n1, n2`,
      `${F}:3: error: node "n2" has no resources: a line reads "NODE RESOURCE [RESOURCE ...]"`,
      `${F}:4: error: IPaddr argument "10.0.0.5/33": netmask "33" is out of range: the number of bits must be 1 to 32`,
      `${F}:4: error: group key "10.0.0.5/33" is already used by the group on line 1: the first resource of each line names its group and must be unique`,
    ],
  },
];

for (const c of lineCases) {
  test(`diagnostics: ${c.name}`, () => {
    assert.deepEqual(render(c.text, c.nodes), c.want);
  });
}

test("node names are lower-cased and groups keep file order; duplicate-key groups are dropped", () => {
  const r = parseHaresources("Alice a\nBOB b\nalice a\n", F);
  assert.deepEqual(
    r.value.map((g) => [g.node, g.key]),
    [
      ["alice", "a"],
      ["bob", "b"],
    ],
  );
  assert.deepEqual(
    r.diagnostics.map((d) => [d.line, d.code]),
    [[3, "haresources.duplicate-key"]],
  );
});
