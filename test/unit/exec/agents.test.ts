// Goal: the shipped resource.d agents keep the OCF contract (meta-data, validate-all, idempotent start/stop, monitor codes, OCF_ERR_CONFIGURED with a reason) and Heartbeat's `script args action` convention. Method: run them through the real executor with state in a temp dir; no root needed (network agents are only asked to validate bad parameters here; the namespace tests exercise them fully).
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { XMLParser } from "fast-xml-parser";
import { defaultHaEnv } from "../../../src/exec/env.js";
import { createExecutor } from "../../../src/exec/process.js";
import type { AgentSpec } from "../../../src/exec/types.js";
import { repoRoot } from "../../helpers.js";

const agentsDir = join(repoRoot, "resource.d");
const state = mkdtempSync(join(tmpdir(), "tdx-agents-"));
after(() => rmSync(state, { recursive: true, force: true }));
const ex = createExecutor({
  ocfProviderDirs: { tandem: agentsDir },
  resourceDirs: [agentsDir],
  haEnv: { ...defaultHaEnv, HA_RSCTMP: state },
  defaultTimeoutMs: 10_000,
});
const ocf = (type: string, params: Record<string, string> = {}): AgentSpec => ({
  class: "ocf",
  type,
  provider: "tandem",
  params,
});
const run = (rscId: string, agent: AgentSpec, op: string) => ex.exec({ rscId, agent, op });
const rc = async (rscId: string, agent: AgentSpec, op: string) => (await run(rscId, agent, op)).rc;

const shipped = readdirSync(agentsDir, { withFileTypes: true })
  .filter((d) => d.isFile() && !d.name.startsWith("."))
  .map((d) => d.name); // resource.d/stonith holds the fence agents (test/unit/exec/fence.test.ts)

test("every shipped agent prints OCF meta-data naming itself, with start/stop/monitor", async () => {
  assert.deepEqual(shipped.sort(), [
    "Delay",
    "Dummy",
    "IPaddr",
    "IPaddr2",
    "MailTo",
    "SendArp",
    "ldirectord",
    "lvs",
    "realserver",
  ]);
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "" });
  for (const name of shipped) {
    const r = await run("m", ocf(name), "meta-data");
    assert.equal(r.rc, 0, name);
    const xml = parser.parse(r.stdoutTail.length < 4096 ? r.stdoutTail : "");
    assert.equal(xml["resource-agent"]?.name, name, `${name} meta-data`);
    const actions = [xml["resource-agent"].actions.action].flat().map((a: { name: string }) => a.name);
    for (const a of ["start", "stop", "monitor", "validate-all", "meta-data"])
      assert.ok(actions.includes(a), `${name} ${a}`);
  }
});

test("every shipped agent answers an unknown action with OCF_ERR_UNIMPLEMENTED", async () => {
  const params: Record<string, Record<string, string>> = {
    IPaddr: { ip: "192.0.2.1", nic: "lo", arp_count: "0" },
    IPaddr2: { ip: "192.0.2.1", nic: "lo", arp_count: "0" },
    SendArp: { ip: "192.0.2.1", nic: "lo" },
    MailTo: { email: "a@b" },
    lvs: { mode: "nat", services: "tcp:192.0.2.1:80=192.0.2.2" },
    realserver: { vip: "192.0.2.1" },
  };
  for (const name of shipped)
    assert.equal(await rc("u", ocf(name, params[name] ?? {}), "frobnicate"), 3, name);
});

test("Dummy: idempotent start/stop, monitor 0/7, Heartbeat call with status words", async () => {
  const d = ocf("Dummy");
  assert.equal(await rc("d1", d, "monitor"), 7);
  assert.equal(await rc("d1", d, "start"), 0);
  assert.equal(await rc("d1", d, "start"), 0);
  assert.equal(await rc("d1", d, "monitor"), 0);
  assert.equal(await rc("d2", d, "monitor"), 7, "instances are separate");
  assert.equal(await rc("d1", d, "stop"), 0);
  assert.equal(await rc("d1", d, "stop"), 0);
  assert.equal(await rc("d1", d, "monitor"), 7);
  const hb: AgentSpec = { class: "heartbeat", type: "Dummy", args: ["hb1"] };
  const st = await run("x", hb, "monitor");
  assert.deepEqual([st.rc, st.exitCode, st.stdoutTail], [7, 3, "INFO: Resource is stopped\n"]);
  assert.equal(await rc("x", hb, "start"), 0);
  const on = await run("x", hb, "monitor");
  assert.deepEqual([on.rc, on.stdoutTail], [0, "INFO: Running OK\n"]);
  const fail = await run("d3", ocf("Dummy", { fail: "start" }), "start");
  assert.deepEqual([fail.rc, fail.reason], [1, "start fails on request (fail=start)"]);
  assert.equal((await run("d3", ocf("Dummy", { op_sleep: "x" }), "start")).rc, 6);
});

test("Delay sleeps on start and stop and tracks state", async () => {
  const d = ocf("Delay", { startdelay: "0.2", stopdelay: "0" });
  const s = await run("dl", d, "start");
  assert.equal(s.rc, 0);
  assert.ok(s.durationMs >= 190, `start took ${s.durationMs} ms`);
  assert.equal(await rc("dl", d, "monitor"), 0);
  assert.equal(await rc("dl", d, "stop"), 0);
  assert.equal(await rc("dl", d, "monitor"), 7);
  const hb = await run("dh", { class: "heartbeat", type: "Delay", args: ["0", "0"] }, "start");
  assert.equal(hb.rc, 0);
  const bad = await run("db", ocf("Delay", { startdelay: "soon" }), "start");
  assert.deepEqual([bad.rc, bad.reason], [6, "invalid delay 'soon' (seconds)"]);
});

test("network agents refuse bad parameters with OCF_ERR_CONFIGURED and a reason", async () => {
  const cases: [string, Record<string, string>, RegExp][] = [
    ["IPaddr2", {}, /parameter ip is required/],
    ["IPaddr2", { ip: "10.0.0.300" }, /invalid IPv4 address/],
    ["IPaddr2", { ip: "10.0.0.3", cidr_netmask: "33" }, /invalid netmask/],
    ["IPaddr2", { ip: "10.0.0.3", nic: "tdx-no-such-nic" }, /interface tdx-no-such-nic does not exist/],
    ["IPaddr2", { ip: "10.0.0.3", arp_mode: "loud" }, /invalid arp_mode/],
    ["IPaddr", { ip: "10.0.0.3", arp_count: "-1" }, /invalid arp_count/],
    ["SendArp", { ip: "10.0.0.3" }, /nic is required/],
    ["lvs", { mode: "tun", services: "tcp:10.0.0.1:80=10.0.0.2" }, /mode must be dr or nat/],
    ["lvs", { mode: "nat", services: "tcp:10.0.0.1:http=10.0.0.2" }, /bad port/],
    ["lvs", { mode: "dr", services: "tcp:10.0.0.1:80=10.0.0.2" }, /nic is required/],
    ["realserver", { vip: "10.0.0" }, /invalid vip/],
    ["MailTo", {}, /email is required/],
  ];
  for (const [type, params, reason] of cases) {
    const r = await run("bad", ocf(type, params), "validate-all");
    assert.equal(r.rc, 6, `${type} ${JSON.stringify(params)}: ${r.reason}`);
    assert.match(r.reason, reason);
  }
});

test("MailTo sends takeover and release mail through SMTP; Heartbeat call form", async () => {
  const mails: { from: string; rcpt: string[]; data: string }[] = [];
  const server = createServer((sock: Socket) => {
    let buf = "";
    let inData = false;
    let cur = { from: "", rcpt: [] as string[], data: "" };
    sock.write("220 tdx sink\r\n");
    sock.on("data", (chunk) => {
      buf += chunk.toString();
      let i = buf.indexOf("\r\n");
      while (i >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (inData) {
          if (line === ".") {
            inData = false;
            mails.push(cur);
            cur = { from: "", rcpt: [], data: "" };
            sock.write("250 queued\r\n");
          } else cur.data += `${line}\n`;
        } else if (/^HELO /i.test(line)) sock.write("250-tdx\r\n250 OK\r\n");
        else if (/^MAIL FROM:/i.test(line)) {
          cur.from = line.slice(10);
          sock.write("250 OK\r\n");
        } else if (/^RCPT TO:/i.test(line)) {
          cur.rcpt.push(line.slice(8));
          sock.write("250 OK\r\n");
        } else if (line === "DATA") {
          inData = true;
          sock.write("354 go\r\n");
        } else if (line === "QUIT") sock.end("221 bye\r\n");
        else sock.write("500 what\r\n");
        i = buf.indexOf("\r\n");
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  try {
    const port = (server.address() as { port: number }).port;
    const m = ocf("MailTo", {
      email: "ops@example.org,oncall@example.org",
      subject: "[lvs]",
      smtp_server: `127.0.0.1:${port}`,
      from: "ha@n1",
    });
    assert.equal(await rc("mail", m, "monitor"), 7);
    const s = await run("mail", m, "start");
    assert.equal(s.rc, 0, s.stderrTail);
    assert.equal(await rc("mail", m, "start"), 0, "second start sends nothing");
    assert.equal(await rc("mail", m, "monitor"), 0);
    assert.equal(await rc("mail", m, "stop"), 0);
    assert.equal(mails.length, 2);
    assert.deepEqual(mails[0]?.rcpt, ["<ops@example.org>", "<oncall@example.org>"]);
    assert.equal(mails[0]?.from, "<ha@n1>");
    assert.match(mails[0]?.data ?? "", /^Subject: \[lvs\] Takeover in progress on /m);
    assert.match(mails[1]?.data ?? "", /^Subject: \[lvs\] Migrating resource away from /m);
    // An unreachable server fails the start with a reason.
    const down = await run("mail2", ocf("MailTo", { email: "x@y", smtp_server: "127.0.0.1:1" }), "start");
    assert.equal(down.rc, 1);
    assert.match(down.reason, /cannot connect|no reply/);
  } finally {
    server.close();
  }
});
