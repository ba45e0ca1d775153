// Goal: ldirectord.cf parses with ldirectord 4.12's grammar, defaults and errors (file:line).
// Method: table-driven small files per directive (good value -> model field, bad value -> exact message).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { formatDiagnostic } from "../../../src/base/diag.js";
import { hostNamesIn, parseLdirectordCf } from "../../../src/lvs/config/ldirectord.js";
import type { DirectorConfig, VirtualService } from "../../../src/lvs/model.js";
import { readFixture, repoRoot } from "../../helpers.js";

const F = "ldirectord.cf";
const V = "virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n";

function diags(text: string, opts = {}): string[] {
  return parseLdirectordCf(text, F, opts).diagnostics.map(formatDiagnostic);
}
function cfg(text: string, opts = {}): DirectorConfig {
  const r = parseLdirectordCf(text, F, opts);
  assert.deepEqual(r.diagnostics.map(formatDiagnostic), []);
  return r.value;
}
function virt(text: string, opts = {}): VirtualService {
  const v = cfg(text, opts).virtuals[0];
  assert.ok(v);
  return v;
}

test("the repository's example ldirectord.cf parses clean", () => {
  const example = readFileSync(join(repoRoot, "examples", "heartbeat-lvs-dr", "ldirectord.cf"), "utf8");
  assert.deepEqual(cfg(example), cfg(readFixture("lvs", "example-dr.cf")), "fixture copy is in sync");
  const c = cfg(example);
  assert.equal(c.virtuals.length, 1);
  const v = c.virtuals[0]!;
  assert.equal(v.key, "tcp:192.168.1.110:80");
  assert.deepEqual(
    v.reals.map((r) => [r.ip, r.port, r.method, r.weight]),
    [
      ["192.168.1.21", 80, "gate", 3],
      ["192.168.1.22", 80, "gate", 1],
    ],
  );
  assert.deepEqual(v.fallback && [v.fallback.ip, v.fallback.port, v.fallback.method], [
    "127.0.0.1",
    80,
    "gate",
  ]);
  assert.deepEqual(c.global.logfile, { kind: "syslog", facility: "local0" });
  assert.equal(v.check.type, "connect");
  assert.equal(v.check.checkTimeoutMs, 3000);
  assert.equal(v.check.checkIntervalMs, 1000);
});

test("defaults are ldirectord 4.12's code values", () => {
  const c = cfg(V);
  const v = c.virtuals[0]!;
  assert.equal(c.global.quiescent, false);
  assert.equal(v.quiescent, false);
  assert.equal(c.global.readdQuiescent, false);
  assert.equal(c.global.autoreload, false);
  assert.equal(c.global.fork, false);
  assert.equal(c.global.supervised, false);
  assert.equal(v.cleanStop, true);
  assert.deepEqual(c.global.logfile, { kind: "file", path: "/var/log/ldirectord.log" });
  assert.deepEqual(v.alerts, { to: [], freqMs: 0, status: ["starting", "running", "stopping", "reloading"] });
  assert.equal(v.protocol, "tcp");
  assert.equal(v.scheduler, "wrr");
  assert.equal(v.ops, false);
  assert.equal(v.persistenceSec, undefined);
  assert.equal(v.fallback, undefined);
  assert.deepEqual(v.check, {
    type: "negotiate",
    negotiateEvery: 0,
    service: "http",
    request: "/",
    receive: "",
    httpMethod: "GET",
    login: "",
    passwd: "",
    database: "",
    secret: "",
    command: "/bin/true",
    checkTimeoutMs: 5000,
    negotiateTimeoutMs: 30000,
    checkIntervalMs: 10000,
    checkCount: 1,
    failureCount: 1,
    retry: 0,
    delayBeforeRetryMs: 1000,
  });
  assert.deepEqual(v.reals[0], {
    host: "10.0.0.2",
    ip: "10.0.0.2",
    port: 80,
    method: "gate",
    weight: 1,
    upperThreshold: 0,
    lowerThreshold: 0,
    at: { file: F, line: 2 },
  });
  assert.equal(v.inhibitOnFailure, false);
  assert.equal(v.quorum, undefined);
  assert.equal(v.hysteresis, 0);
});

test("timeout defaulting rule: checktimeout and negotiatetimeout default to each other", () => {
  const cases: [string, string, number, number][] = [
    // [global lines, virtual lines, effective checktimeout s, negotiatetimeout s]
    ["", "", 5, 30],
    ["checktimeout=3\n", "", 3, 3],
    ["negotiatetimeout=7\n", "", 7, 7],
    ["checktimeout=3\nnegotiatetimeout=7\n", "", 3, 7],
    ["checktimeout=3\n", "\tnegotiatetimeout=9\n", 9, 9],
    ["negotiatetimeout=7\n", "\tchecktimeout=2\n", 2, 2],
    ["checktimeout=3\nnegotiatetimeout=7\n", "\tchecktimeout=2\n", 2, 2],
    ["", "\tchecktimeout=2\n\tnegotiatetimeout=4\n", 2, 4],
  ];
  for (const [g, vl, ct, nt] of cases) {
    const v = virt(`${g}${V}${vl}`);
    assert.deepEqual(
      [v.check.checkTimeoutMs, v.check.negotiateTimeoutMs],
      [ct * 1000, nt * 1000],
      `${g}|${vl}`,
    );
  }
});

test("globals apply wherever they appear, virtual values override them", () => {
  const v = virt(`${V}quiescent=yes\nfailurecount=3\nemailalert=ops@example.com\n`);
  assert.equal(v.quiescent, true);
  assert.equal(v.check.failureCount, 3);
  assert.deepEqual(v.alerts.to, ["ops@example.com"]);
  const w = virt(`quiescent=yes\nfailurecount=3\n${V}\tquiescent=no\n\tfailurecount=2\n`);
  assert.equal(w.quiescent, false);
  assert.equal(w.check.failureCount, 2);
});

/** [global line, accessor, expected] */
const GOOD_GLOBAL: [string, (c: DirectorConfig) => unknown, unknown][] = [
  ["checktimeout=3", (c) => c.global.checkTimeoutMs, 3000],
  ["checktimeout = 0.5", (c) => c.global.checkTimeoutMs, 500],
  ["negotiatetimeout=20", (c) => c.global.negotiateTimeoutMs, 20000],
  ["checkinterval=2", (c) => c.global.checkIntervalMs, 2000],
  ["failurecount=4", (c) => c.global.failureCount, 4],
  ["fallback=127.0.0.1:80", (c) => c.virtuals[0]?.fallback?.ip, "127.0.0.1"],
  ["fallback=127.0.0.1", (c) => c.virtuals[0]?.fallback?.port, 80],
  ["fallback=127.0.0.1:http-alt masq", (c) => c.virtuals[0]?.fallback?.port, 8080],
  ["fallback=localhost:81 ipip", (c) => c.virtuals[0]?.fallback?.method, "ipip"],
  ['fallbackcommand="/usr/local/bin/sorry"', (c) => c.virtuals[0]?.fallbackCommand, "/usr/local/bin/sorry"],
  ["fallbackcommand=/usr/local/bin/sorry", (c) => c.virtuals[0]?.fallbackCommand, "/usr/local/bin/sorry"],
  ["autoreload=yes", (c) => c.global.autoreload, true],
  ['callback="/usr/local/bin/changed"', (c) => c.global.callback, "/usr/local/bin/changed"],
  ['logfile="/tmp/ld.log"', (c) => c.global.logfile, { kind: "file", path: "/tmp/ld.log" }],
  ['logfile="daemon"', (c) => c.global.logfile, { kind: "syslog", facility: "daemon" }],
  [
    "emailalert=a@example.com, b@example.com",
    (c) => c.virtuals[0]?.alerts.to,
    ["a@example.com", "b@example.com"],
  ],
  ['emailalert="a@example.com"', (c) => c.global.emailAlert, ["a@example.com"]],
  ["emailalertfrom=ld@example.com", (c) => c.global.emailAlertFrom, "ld@example.com"],
  ["emailalertfreq=60", (c) => c.virtuals[0]?.alerts.freqMs, 60000],
  ["emailalertstatus=none", (c) => c.virtuals[0]?.alerts.status, []],
  ["emailalertstatus=starting, stopping", (c) => c.global.emailAlertStatus, ["starting", "stopping"]],
  [
    "emailalertstatus=all",
    (c) => c.global.emailAlertStatus,
    ["starting", "running", "stopping", "reloading"],
  ],
  ["smtp=mail.example.com", (c) => c.virtuals[0]?.alerts.smtp, "mail.example.com"],
  ["execute=other.cf", (c) => c.global.execute, ["other.cf"]],
  ["supervised=yes", (c) => c.global.supervised, true],
  ["fork=yes", (c) => c.global.fork, true],
  ["quiescent=yes", (c) => c.virtuals[0]?.quiescent, true],
  ["readdquiescent=yes", (c) => c.global.readdQuiescent, true],
  ["cleanstop=no", (c) => c.virtuals[0]?.cleanStop, false],
  ["maintenancedir=/etc/ha.d/maint", (c) => c.global.maintenanceDir, "/etc/ha.d/maint"],
  ["retry=2", (c) => c.virtuals[0]?.check.retry, 2],
  ["delay_before_retry=0.2", (c) => c.virtuals[0]?.check.delayBeforeRetryMs, 200],
  ["inhibit_on_failure=yes", (c) => c.virtuals[0]?.inhibitOnFailure, true],
  ["quorum=2", (c) => c.virtuals[0]?.quorum, 2],
  ["hysteresis=0", (c) => c.virtuals[0]?.hysteresis, 0],
  ["quiescent=yes # trailing comment", (c) => c.global.quiescent, true],
];

test("global directives: good values", () => {
  for (const [line, get, want] of GOOD_GLOBAL) assert.deepEqual(get(cfg(`${line}\n${V}`)), want, line);
});

/** [global line, exact message] (the error is on line 1) */
const BAD_GLOBAL: [string, string][] = [
  ["checktimeout=0", 'checktimeout must be a positive number of seconds, not "0"'],
  ["checktimeout=10s", 'checktimeout must be a positive number of seconds, not "10s"'],
  ["negotiatetimeout=-1", 'negotiatetimeout must be a positive number of seconds, not "-1"'],
  ["checkinterval=", 'checkinterval must be a positive number of seconds, not ""'],
  ["checkcount=0", 'checkcount must be a positive integer, not "0"'],
  ["failurecount=x", 'failurecount must be a positive integer, not "x"'],
  ["fallback=127.0.0.1:80 nat", 'forward method must be gate, masq or ipip, not "nat"'],
  ["fallback=a b c", 'invalid fallback server "a b c": expected host[:port] [gate|masq|ipip]'],
  ["fallbackcommand=", "fallbackcommand needs a value"],
  ["autoreload=true", "autoreload must be 'yes' or 'no', not \"true\""],
  ["callback=/bin/x", 'callback must be a double-quoted string, e.g. callback="/usr/local/sbin/ld-changed"'],
  [
    "logfile=/var/log/ld.log",
    'logfile must be a double-quoted string, e.g. logfile="/var/log/ldirectord.log"',
  ],
  [
    'logfile="local9"',
    'logfile "local9" is neither an absolute path nor a syslog facility (daemon, local0..local7, ...)',
  ],
  ["emailalert=", "emailalert: no email address specified"],
  ["emailalert=root", 'emailalert: "root" is not an email address'],
  ["emailalertfrom=nobody", 'emailalertfrom: "nobody" is not an email address'],
  ["emailalertfreq=soon", 'emailalertfreq must be a non-negative number of seconds, not "soon"'],
  [
    "emailalertstatus=sleeping",
    'invalid email alert status "sleeping": expected all, none, starting, running, stopping, reloading',
  ],
  [
    "emailalertstatus=none, running",
    'invalid email alert status: "none" cannot be combined with other values',
  ],
  ["smtp=mail server", 'invalid SMTP server address "mail server"'],
  ["fork=1", "fork must be 'yes' or 'no', not \"1\""],
  ["supervised=maybe", "supervised must be 'yes' or 'no', not \"maybe\""],
  ["quiescent=on", "quiescent must be 'yes' or 'no', not \"on\""],
  ['quiescent="yes"', "quiescent must be 'yes' or 'no', not \"\"yes\"\""],
  ["readdquiescent=", "readdquiescent must be 'yes' or 'no', not \"\""],
  ["cleanstop=off", "cleanstop must be 'yes' or 'no', not \"off\""],
  ["maintenancedir=", "maintenancedir needs a value"],
  ["retry=-1", 'retry must be a non-negative integer, not "-1"'],
  ["delay_before_retry=x", 'delay_before_retry must be a non-negative number of seconds, not "x"'],
  ["inhibit_on_failure=1", "inhibit_on_failure must be 'yes' or 'no', not \"1\""],
  ["quorum=0", 'quorum must be a positive integer, not "0"'],
  ["hysteresis=a", 'hysteresis must be a non-negative integer, not "a"'],
  ["timeout=5", "timeout directive deprecated in favour of checktimeout and negotiatetimeout"],
  ["connecttimeout=5", "connecttimeout directive deprecated in favour of negotiatetimeout"],
  ["frobnicate=yes", 'unknown directive "frobnicate"'],
  ["real=10.0.0.3:80 gate", '"real" is only valid inside a virtual block (indent it by 4 spaces or a tab)'],
  ["scheduler=rr", '"scheduler" is only valid inside a virtual block (indent it by 4 spaces or a tab)'],
  ["checktimeout", "checktimeout needs a value: write checktimeout = ..."],
  ["what is this", 'cannot parse "what is this": expected name = value'],
];

test("global directives: bad values give exact messages at file:line", () => {
  for (const [line, msg] of BAD_GLOBAL)
    assert.deepEqual(diags(`${line}\n${V}`), [`${F}:1: error: ${msg}`], line);
});

/** [virtual-block line, accessor, expected] */
const GOOD_VIRTUAL: [string, (v: VirtualService) => unknown, unknown][] = [
  ['request="index.html"', (v) => v.check.request, "/index.html"],
  ['request="/x"', (v) => v.check.request, "/x"],
  ['request="http://www.example.com/"', (v) => v.check.request, "http://www.example.com/"],
  ['receive="Test # Page"', (v) => v.check.receive, "Test # Page"],
  ["checktype=connect", (v) => v.check.type, "connect"],
  ["checktype=external-perl", (v) => v.check.type, "external-perl"],
  ["checktype=5", (v) => [v.check.type, v.check.negotiateEvery], ["combined", 5]],
  ['checkcommand="/usr/bin/check x"', (v) => v.check.command, "/usr/bin/check x"],
  ["checkcommand=/usr/bin/check", (v) => v.check.command, "/usr/bin/check"],
  ["checktimeout=2", (v) => v.check.checkTimeoutMs, 2000],
  ["negotiatetimeout=3", (v) => v.check.negotiateTimeoutMs, 3000],
  ["failurecount=3", (v) => v.check.failureCount, 3],
  ["checkport=8080", (v) => v.check.checkPort, 8080],
  ['login="u"', (v) => v.check.login, "u"],
  ['passwd="p"', (v) => v.check.passwd, "p"],
  ['database="d"', (v) => v.check.database, "d"],
  ['secret="s"', (v) => v.check.secret, "s"],
  ["scheduler=sh", (v) => v.scheduler, "sh"],
  ["persistent=300", (v) => v.persistenceSec, 300],
  ["protocol=udp", (v) => v.protocol, "udp"],
  ["service=https", (v) => v.check.service, "https"],
  ["service=ftp", (v) => [v.check.login, v.check.passwd], ["anonymous", "ldirectord@lb1"]],
  ["service=sip", (v) => v.check.login, "ldirectord@lb1"],
  ["httpmethod=head", (v) => v.check.httpMethod, "HEAD"],
  ["virtualhost=www.example.com", (v) => v.check.virtualHost, "www.example.com"],
  ['virtualhost="www.example.com"', (v) => v.check.virtualHost, "www.example.com"],
  [
    "fallback=10.0.0.9:8080 masq",
    (v) => v.fallback && [v.fallback.ip, v.fallback.port, v.fallback.method],
    ["10.0.0.9", 8080, "masq"],
  ],
  ["fallbackcommand=/bin/sorry", (v) => v.fallbackCommand, "/bin/sorry"],
  ["quiescent=yes", (v) => v.quiescent, true],
  ["emailalert=x@y.z", (v) => v.alerts.to, ["x@y.z"]],
  ["emailalertfreq=0", (v) => v.alerts.freqMs, 0],
  ["emailalertstatus=running", (v) => v.alerts.status, ["running"]],
  ['monitorfile="/var/log/mon"', (v) => v.check.monitorFile, "/var/log/mon"],
  ["cleanstop=no", (v) => v.cleanStop, false],
  ["smtp=127.0.0.1", (v) => v.alerts.smtp, "127.0.0.1"],
  ["schedflags=sh-port,sh-fallback", (v) => v.schedFlags, "sh-port,sh-fallback"],
  ["servicename=Web", (v) => v.serviceName, "Web"],
  ['comment="front end"', (v) => v.comment, "front end"],
  ["retry=1", (v) => v.check.retry, 1],
  ["delay_before_retry=2", (v) => v.check.delayBeforeRetryMs, 2000],
  ["inhibit_on_failure=yes", (v) => v.inhibitOnFailure, true],
  ["quorum=3", (v) => v.quorum, 3],
  ["real=10.0.0.3 masq", (v) => v.reals[1] && [v.reals[1].port, v.reals[1].method], [0, "masq"]],
  ["real=10.0.0.3:http ipip 0", (v) => v.reals[1] && [v.reals[1].port, v.reals[1].weight], [80, 0]],
  [
    'real=10.0.0.3:80 gate 2 "/a", "b"',
    (v) => v.reals[1] && [v.reals[1].request, v.reals[1].receive],
    ["/a", "b"],
  ],
  ['real=10.0.0.3:80 gate "a" "b"', (v) => v.reals[1] && [v.reals[1].request, v.reals[1].weight], ["/a", 1]],
  [
    "real=10.0.0.3:80 gate 5 l:10 u:100",
    (v) => v.reals[1] && [v.reals[1].lowerThreshold, v.reals[1].upperThreshold],
    [10, 100],
  ],
  ["real=localhost:80 gate", (v) => v.reals[1]?.ip, "127.0.0.1"],
  ["real=web1:80 gate", (v) => v.reals[1]?.ip, "10.9.9.9"],
  ["# a comment", (v) => v.reals.length, 1],
];

test("virtual directives: good values", () => {
  const opts = { hostname: "lb1", resolveHost: (n: string) => (n === "web1" ? "10.9.9.9" : undefined) };
  for (const [line, get, want] of GOOD_VIRTUAL)
    assert.deepEqual(get(virt(`${V}\t${line}\n`, opts)), want, line);
});

/** [virtual-block line, exact message] (the error is on line 3) */
const BAD_VIRTUAL: [string, string][] = [
  ["request=/index.html", 'request must be a double-quoted string, e.g. request="/index.html"'],
  ['request=""', "request must not be empty"],
  ["receive=ok", 'receive must be a double-quoted string, e.g. receive="Test Page"'],
  ["login=u", 'login must be a double-quoted string, e.g. login="user"'],
  ["passwd=p", 'passwd must be a double-quoted string, e.g. passwd="secret"'],
  ["database=d", 'database must be a double-quoted string, e.g. database="dbname"'],
  ["secret=s", 'secret must be a double-quoted string, e.g. secret="radius-secret"'],
  [
    "checktype=tcp",
    'checktype must be "connect", "negotiate", "on", "off", "ping", "external", "external-perl" or a positive number, not "tcp"',
  ],
  ["checkcommand=", "checkcommand needs a value"],
  ["checkport=70000", 'checkport must be a positive integer up to 65535, not "70000"'],
  ["scheduler=WRR", 'invalid scheduler "WRR", should be only lowercase letters (a-z)'],
  ["persistent=forever", 'persistent must be a positive integer, not "forever"'],
  ["netmask=24", 'invalid netmask "24": dotted quad notation is required'],
  ["protocol=fwm", 'protocol must be tcp or udp if the virtual service is an address and port, not "fwm"'],
  ["ops=1", "ops must be 'yes' or 'no', not \"1\""],
  [
    "service=gopher",
    'service must be one of dns, ftp, http, https, http_proxy, imap, imaps, ldap, ldaps, mysql, nntp, none, oracle, pgsql, pop, pops, radius, simpletcp, sip, smtp, submission, not "gopher"',
  ],
  ["httpmethod=POST", 'httpmethod must be GET or HEAD, not "POST"'],
  [
    "schedflags=sh port",
    'invalid schedflags "sh port": expected a comma-separated list such as sh-port,sh-fallback',
  ],
  ["fallback6=[::1]:80", 'cannot specify "fallback6" here.  please use "fallback" instead'],
  ["real6=[::1]:80 gate", 'cannot specify "real6" here.  please use "real" instead'],
  ["real=10.0.0.3:80", "forward method must be gate, masq or ipip"],
  ["real=10.0.0.3:80 route", 'forward method must be gate, masq or ipip, not "route"'],
  ["real=10.0.0.3:80 gate 1 extra", 'Invalid real server line, around "extra"'],
  ["real=10.0.0.3:80 gate l:10 u:5", "real server lower threshold l:10 is above its upper threshold u:5"],
  ["real=10.0.0.3:80 gate 9999999999", "real server weight must be at most 2147483647, not 9999999999"],
  ["real=nohost:80 gate", "invalid address (nohost) for real server (could not resolve host)"],
  ["real=10.0.0.3:nosuchport gate", "invalid port (nosuchport) for real server (could not resolve port)"],
  ["real=10.0.0.300:80 gate", "invalid address (10.0.0.300) for real server (could not resolve host)"],
  [
    "real=10.0.0.9->10.0.0.3:80 gate",
    "Invalid Range: 10.0.0.9-10.0.0.3: the first address must not be greater than the last",
  ],
  [
    "real=10.0.0.0->10.2.0.0:80 gate",
    "range 10.0.0.0->10.2.0.0 has 131073 addresses; at most 65536 are expanded",
  ],
  ["real=10.0.0.3->nohost:80 gate", "invalid address (nohost) for real server (could not resolve end host)"],
  ["real=:80 gate", 'invalid address for real server (wrong format): ":80 gate"'],
  ["real=10.0.0.2:80 gate", "real server 10.0.0.2:80 is listed twice in virtual service tcp:10.0.0.1:80"],
  ["autoreload=yes", '"autoreload" is a global directive: move it to column 0, outside the virtual block'],
  ["virtual=10.0.0.5:80", '"virtual" must start at column 0 (a virtual block cannot be nested)'],
  ["timeout=3", "timeout directive deprecated in favour of checktimeout and negotiatetimeout"],
  ["connecttimeout=3", "connecttimeout directive deprecated in favour of negotiatetimeout"],
  ['load="x"', 'unknown directive "load"'],
];

test("virtual directives: bad values give exact messages at file:line", () => {
  for (const [line, msg] of BAD_VIRTUAL)
    assert.deepEqual(diags(`${V}\t${line}\n`), [`${F}:3: error: ${msg}`], line);
});

test("warnings: checkcount deprecated, ignored settings, port of DR reals, hysteresis", () => {
  const cases: [string, string[]][] = [
    [
      "checkcount=2\n" + V,
      [`${F}:1: warning: checkcount option is deprecated and slated for removal.  please see 'failurecount'`],
    ],
    [
      "supervised\n" + V,
      [`${F}:1: warning: please update your config not to use a bare supervised directive`],
    ],
    [
      V + "\tcheckinterval=2\n",
      [
        `${F}:1: warning: checkinterval in virtual service at line 1 is ignored when fork=no (the global checkinterval applies)`,
      ],
    ],
    [
      V + "\tnetmask=255.255.255.0\n",
      [`${F}:1: warning: virtual service tcp:10.0.0.1:80: netmask is ignored without persistent`],
    ],
    [
      V + "\tops=yes\n",
      [`${F}:1: warning: virtual service tcp:10.0.0.1:80: ops only applies to udp services`],
    ],
    [
      V + "\treal=10.0.0.3:8080 gate\n",
      [
        `${F}:3: warning: real server 10.0.0.3:8080: gate cannot change the port, so the virtual's port 80 is used`,
      ],
    ],
    [
      V + '\thttpmethod=HEAD\n\treceive="x"\n',
      [`${F}:1: warning: virtual service tcp:10.0.0.1:80: with httpmethod HEAD leave receive empty`],
    ],
    [
      V + "\tquorum=2\n\thysteresis=2\n",
      [`${F}:1: warning: virtual service tcp:10.0.0.1:80: hysteresis 2 must be below quorum 2; using 1`],
    ],
  ];
  for (const [text, want] of cases) assert.deepEqual(diags(text), want, text);
  assert.equal(parseLdirectordCf(`checkcount=2\n${V}`, F).value.virtuals[0]?.check.checkCount, 2);
  assert.equal(virt("fork=yes\n" + V + "\tcheckinterval=2\n").check.checkIntervalMs, 2000);
  assert.equal(
    parseLdirectordCf(V + "\tcheckinterval=2\n", F).value.virtuals[0]?.check.checkIntervalMs,
    10000,
  );
});

test("virtual forms: ip:port, host:port, ip:service, fwmark, virtual6; protocol and service inference", () => {
  const opts = {
    resolveHost: (n: string, fam: number) =>
      n === "www" ? (fam === 4 ? "10.1.1.1" : "2001:db8::1") : undefined,
  };
  const rows: [string, string, string, string][] = [
    // [virtual line, key, protocol, service]
    ["virtual=10.0.0.1:80", "tcp:10.0.0.1:80", "tcp", "http"],
    ["virtual=10.0.0.1:https", "tcp:10.0.0.1:443", "tcp", "https"],
    ["virtual=www:25", "tcp:10.1.1.1:25", "tcp", "smtp"],
    ["virtual=10.0.0.1:53", "udp:10.0.0.1:53", "udp", "dns"],
    ["virtual=10.0.0.1:domain", "udp:10.0.0.1:53", "udp", "dns"],
    ["virtual=10.0.0.1:8080", "tcp:10.0.0.1:8080", "tcp", "none"],
    ["virtual=7", "fwm:7", "fwm", "none"],
    ["virtual6=[2001:DB8::10]:80", "tcp:[2001:db8::10]:80", "tcp", "http"],
    ["virtual6=www:80", "tcp:[2001:db8::1]:80", "tcp", "http"],
    ["virtual6=9", "fwm6:9", "fwm", "none"],
  ];
  for (const [line, key, proto, service] of rows) {
    const six = line.startsWith("virtual6");
    const realLine = six
      ? "\treal6=[2001:db8::2]:80 gate\n"
      : line === "virtual=7"
        ? "\treal=10.0.0.2 gate\n"
        : "\treal=10.0.0.2 gate\n";
    const v = virt(`${line}\n${realLine}`, opts);
    assert.deepEqual([v.key, v.protocol, v.check.service], [key, proto, service], line);
  }
  assert.equal(virt("virtual=7\n\tprotocol=fwm\n").protocol, "fwm");
  const bad: [string, string][] = [
    ["virtual=[2001:db8::1]:80", 'cannot specify an IPv6 address here. please use "virtual6" instead.'],
    [
      "virtual6=[2001:zz::1]:80",
      'invalid address for virtual server "[2001:zz::1]:80": expected ip:port, host:port, ip:service, [ipv6]:port (virtual6) or a firewall mark',
    ],
    ["virtual6=[2001:db8:::1]:80", "invalid ipv6 address for virtual server"],
    [
      "virtual=10.0.0.1",
      'invalid address for virtual server "10.0.0.1": expected ip:port, host:port, ip:service, [ipv6]:port (virtual6) or a firewall mark',
    ],
    ["virtual=nohost:80", "invalid address (nohost) for virtual server (could not resolve host)"],
    ["virtual=10.0.0.1:gopherx", "invalid port (gopherx) for virtual server (could not resolve port)"],
    ["virtual=10.0.0.1:70000", "invalid port (70000) for virtual server (could not resolve port)"],
    ["virtual=0", "invalid firewall mark 0: expected 1..4294967295"],
    ["virtual=10.0.0.1:0", "virtual service tcp:10.0.0.1:0: port 0 is only valid together with persistent"],
  ];
  for (const [line, msg] of bad) assert.deepEqual(diags(`${line}\n`, opts), [`${F}:1: error: ${msg}`], line);
  assert.deepEqual(diags("virtual=7\n\tprotocol=tcp\n"), [
    `${F}:2: error: protocol must be fwm if the virtual service is a fwmark (a number), not "tcp"`,
  ]);
  assert.deepEqual(diags("virtual6=[2001:db8::1]:21\n\tservice=ftp\n\tchecktype=ping\n"), [
    `${F}:1: error: virtual service tcp:[2001:db8::1]:21: checktype ping is not supported for IPv6`,
    `${F}:1: error: virtual service tcp:[2001:db8::1]:21: service ftp is not supported for IPv6`,
  ]);
  assert.deepEqual(diags("virtual6=[2001:db8::1]:80\n\tnetmask=129\n"), [
    `${F}:2: error: invalid netmask "129": a prefix length between 1 and 128 is required`,
  ]);
  assert.equal(virt("virtual6=[2001:db8::1]:80\n\tpersistent=60\n\tnetmask=64\n").netmask, "64");
});

test("real ranges a->b expand to one real per address", () => {
  const v = virt("virtual=10.0.0.1:80\n\treal=10.0.0.254->10.0.1.2:8080 masq 2\n");
  assert.deepEqual(
    v.reals.map((r) => `${r.ip}:${r.port}/${r.weight}`),
    ["10.0.0.254:8080/2", "10.0.0.255:8080/2", "10.0.1.0:8080/2", "10.0.1.1:8080/2", "10.0.1.2:8080/2"],
  );
  assert.ok(v.reals.every((r) => r.at.line === 2));
  assert.deepEqual(diags("virtual6=[2001:db8::1]:80\n\treal6=[2001:db8::2]->[2001:db8::3]:80 gate\n"), [
    `${F}:2: error: Address range for IPv6 is not supported yet`,
  ]);
});

test("layout: tabs count as 4 spaces, fewer than 4 spaces or a blank line end the block", () => {
  assert.equal(virt("virtual=10.0.0.1:80\n    real=10.0.0.2:80 gate\n  \t  scheduler=rr\n").scheduler, "rr");
  assert.deepEqual(diags("virtual=10.0.0.1:80\n   real=10.0.0.2:80 gate\n"), [
    `${F}:2: error: indented line outside a virtual block: global directives start at column 0`,
  ]);
  assert.deepEqual(diags("virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n\n\tscheduler=rr\n"), [
    `${F}:4: error: indented line outside a virtual block: a blank line ends a virtual block in ldirectord.cf`,
  ]);
  assert.deepEqual(diags("virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n\nscheduler=rr\n"), [
    `${F}:4: error: "scheduler" is only valid inside a virtual block (indent it by 4 spaces or a tab); note that a blank line ends a virtual block`,
  ]);
  // Comment lines (at any indentation) do not end a block; text after # is dropped.
  assert.equal(
    virt("virtual=10.0.0.1:80\n# note\n\treal=10.0.0.2:80 gate # first\n\tscheduler=sh\n").scheduler,
    "sh",
  );
  // CRLF files.
  assert.equal(virt("virtual=10.0.0.1:80\r\n\treal=10.0.0.2:80 gate\r\n\tscheduler=rr\r\n").scheduler, "rr");
});

test("duplicate virtual services are fatal, every error is reported", () => {
  assert.deepEqual(diags(`${V}virtual=10.0.0.1:http\n\treal=10.0.0.3:80 gate\n`), [
    `${F}:3: error: duplicate virtual server tcp:10.0.0.1:80 (first defined at line 1)`,
  ]);
  // Same address, other protocol: a different service.
  assert.deepEqual(diags(`${V}virtual=10.0.0.1:80\n\tprotocol=udp\n`), []);
  assert.deepEqual(diags("checktimeout=0\nfoo=1\n" + V + "\tscheduler=X\n"), [
    `${F}:1: error: checktimeout must be a positive number of seconds, not "0"`,
    `${F}:2: error: unknown directive "foo"`,
    `${F}:5: error: invalid scheduler "X", should be only lowercase letters (a-z)`,
  ]);
});

test("fallback: per virtual overrides global; global fallback6 for virtual6; names resolved", () => {
  const c = cfg(
    "fallback=127.0.0.1\nfallback6=[::1]:8080 masq\n" +
      "virtual=10.0.0.1:443\n\treal=10.0.0.2 gate\n" +
      "virtual=10.0.0.1:80\n\treal=10.0.0.2 gate\n\tfallback=10.0.0.9 masq\n" +
      "virtual6=[2001:db8::1]:80\n\treal6=[2001:db8::2] gate\n",
  );
  assert.deepEqual(
    c.virtuals.map((v) => v.fallback && `${v.fallback.ip}|${v.fallback.port}|${v.fallback.method}`),
    ["127.0.0.1|443|gate", "10.0.0.9|80|masq", "::1|8080|masq"],
  );
  assert.deepEqual(diags("fallback=nohost:80\n" + V), [
    `${F}:1: error: invalid IPv4 address or could not resolve for fallback server: nohost`,
  ]);
  assert.deepEqual(diags("fallback=127.0.0.1:nope\n" + V), [
    `${F}:1: error: invalid port (nope) for fallback server`,
  ]);
});

test("hostNamesIn lists the names to resolve before parsing", () => {
  const text =
    "fallback=sorry:80\nvirtual=www.example.com:80\n\treal=web1:80 gate\n\treal=10.0.0.2:80 gate\nvirtual6=www6:80\n\treal6=[2001:db8::2]:80 gate\n";
  assert.deepEqual(hostNamesIn(text), [
    { name: "www.example.com", family: 4 },
    { name: "web1", family: 4 },
    { name: "www6", family: 6 },
    { name: "sorry", family: 4 },
  ]);
  const map = new Map([
    ["4/www.example.com", "10.0.0.1"],
    ["4/web1", "10.0.0.3"],
    ["4/sorry", "10.0.0.9"],
    ["6/www6", "2001:db8::1"],
  ]);
  const c = cfg(text, { resolveHost: (n: string, f: number) => map.get(`${f}/${n}`) });
  assert.deepEqual(
    c.virtuals.map((v) => v.key),
    ["tcp:10.0.0.1:80", "tcp:[2001:db8::1]:80"],
  );
});
