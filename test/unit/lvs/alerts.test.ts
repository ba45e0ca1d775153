// Goal: email alerts reach an SMTP server with the right envelope and text, honour emailalertstatus and emailalertfreq, and the notify command gets every event. Method: a tiny SMTP sink on 127.0.0.1 (node:net) and a shell script that records its arguments.
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Alerter, sendMail, smtpTarget } from "../../../src/lvs/alerts.js";
import type { EmailAlertSettings } from "../../../src/lvs/model.js";

interface Received {
  helo: string;
  from: string;
  to: string[];
  data: string;
}
let sink: Server;
let port = 0;
const mails: Received[] = [];
let rejectRcpt = false;
const tmp = mkdtempSync(join(tmpdir(), "tdl-alerts-"));

before(async () => {
  sink = createServer((s) => {
    let buf = "";
    let inData = false;
    const cur: Received = { helo: "", from: "", to: [], data: "" };
    s.write("220 sink ESMTP\r\n");
    s.on("data", (b) => {
      buf += b.toString();
      for (let i = buf.indexOf("\r\n"); i >= 0; i = buf.indexOf("\r\n")) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (inData) {
          if (line === ".") {
            inData = false;
            mails.push({ ...cur, to: [...cur.to] });
            s.write("250 queued\r\n");
          } else cur.data += `${line}\n`;
        } else if (/^EHLO/i.test(line)) {
          cur.helo = line;
          s.write("250-sink\r\n250 OK\r\n");
        } else if (/^MAIL FROM:/i.test(line)) {
          cur.from = line.slice(10);
          s.write("250 OK\r\n");
        } else if (/^RCPT TO:/i.test(line)) {
          cur.to.push(line.slice(8));
          s.write(rejectRcpt ? "550 no such user\r\n" : "250 OK\r\n");
        } else if (line === "DATA") {
          inData = true;
          s.write("354 go\r\n");
        } else if (line === "QUIT") {
          s.end("221 bye\r\n");
        } else s.write("500 what\r\n");
      }
    });
  });
  await new Promise<void>((r) => sink.listen(0, "127.0.0.1", r));
  port = (sink.address() as { port: number }).port;
});

after(() => {
  sink.close();
  rmSync(tmp, { recursive: true, force: true });
});

const settings = (over: Partial<EmailAlertSettings> = {}): EmailAlertSettings => ({
  to: ["ops@example.com", "oncall@example.com"],
  freqMs: 0,
  status: ["starting", "running", "stopping", "reloading"],
  smtp: `127.0.0.1:${port}`,
  from: "director@example.com",
  ...over,
});

test("smtp target parsing", () => {
  assert.deepEqual(smtpTarget("mail.example.com"), { host: "mail.example.com", port: 25 });
  assert.deepEqual(smtpTarget("127.0.0.1:2525"), { host: "127.0.0.1", port: 2525 });
  assert.deepEqual(smtpTarget("[::1]:2525"), { host: "::1", port: 2525 });
});

test("sendMail: envelope, headers and dot-stuffing", async () => {
  mails.length = 0;
  await sendMail(`127.0.0.1:${port}`, {
    from: "a@b",
    to: ["c@d"],
    subject: "hi",
    body: "line1\n.hidden dot\nend",
  });
  assert.equal(mails.length, 1);
  assert.equal(mails[0]?.from, "<a@b>");
  assert.deepEqual(mails[0]?.to, ["<c@d>"]);
  assert.match(mails[0]?.data ?? "", /^Subject: hi$/m);
  assert.match(mails[0]?.data ?? "", /^\.\.hidden dot$/m);
  rejectRcpt = true;
  await assert.rejects(
    sendMail(`127.0.0.1:${port}`, { from: "a@b", to: ["c@d"], subject: "x", body: "" }),
    /550/,
  );
  rejectRcpt = false;
});

test("alerts: a real going down mails every recipient; emailalertstatus filters phases; failures are warnings", async () => {
  mails.length = 0;
  const warnings: string[] = [];
  const a = new Alerter({ warn: (m) => warnings.push(m) });
  await a.emit(
    {
      kind: "real-down",
      service: "tcp:10.0.0.1:80",
      real: "10.0.0.2:80",
      message: "negotiate timed out",
      phase: "running",
    },
    settings(),
    1000,
  );
  assert.equal(mails.length, 1);
  assert.deepEqual(mails[0]?.to, ["<ops@example.com>", "<oncall@example.com>"]);
  assert.match(
    mails[0]?.data ?? "",
    /Subject: hb-director: real server 10\.0\.0\.2:80 of tcp:10\.0\.0\.1:80 is down/,
  );
  assert.match(mails[0]?.data ?? "", /negotiate timed out/);
  await a.emit(
    { kind: "real-up", service: "s", real: "r", message: "ok", phase: "starting" },
    settings({ status: ["running"] }),
    2000,
  );
  assert.equal(mails.length, 1, "no mail in a phase not listed");
  await a.emit(
    { kind: "real-up", service: "s", real: "r", message: "ok", phase: "running" },
    settings({ smtp: "127.0.0.1:1" }),
    2000,
  );
  assert.equal(warnings.length, 1);
  assert.match(warnings[0] ?? "", /failed/);
});

test("emailalertfreq repeats 'inaccessible' mails while a real stays down, and stops when it is back", async () => {
  mails.length = 0;
  const a = new Alerter({ warn: () => undefined });
  const s = settings({ freqMs: 10_000 });
  await a.emit({ kind: "real-down", service: "v", real: "r", message: "down", phase: "running" }, s, 0);
  const down = [{ service: "v", real: "r", settings: s }];
  await a.remind(down, "running", 5_000);
  assert.equal(mails.length, 1, "not yet");
  await a.remind(down, "running", 10_000);
  assert.equal(mails.length, 2);
  assert.match(mails[1]?.data ?? "", /Inaccessible real server r/);
  await a.remind(down, "running", 15_000);
  assert.equal(mails.length, 2);
  await a.remind([], "running", 30_000);
  await a.remind(down, "running", 40_000);
  assert.equal(mails.length, 2, "forgotten once it was reported up");
});

test("the notify command gets kind, service and real, plus HB_DIRECTOR_* variables", async () => {
  const script = join(tmp, "notify.sh");
  const out = join(tmp, "notify.out");
  writeFileSync(script, `#!/bin/sh\necho "$1 $2 $3 $HB_DIRECTOR_MESSAGE $HB_DIRECTOR_PHASE" >> ${out}\n`);
  chmodSync(script, 0o755);
  const a = new Alerter({ notifyCommand: script, warn: () => undefined });
  await a.emit(
    { kind: "fallback-in", service: "tcp:10.0.0.1:80", message: "no real server is up", phase: "running" },
    settings({ to: [] }),
    0,
  );
  await a.emit(
    {
      kind: "real-up",
      service: "tcp:10.0.0.1:80",
      real: "10.0.0.2:80",
      message: "status 200",
      phase: "running",
    },
    settings({ to: [] }),
    0,
  );
  assert.equal(
    readFileSync(out, "utf8"),
    "fallback-in tcp:10.0.0.1:80  no real server is up running\nreal-up tcp:10.0.0.1:80 10.0.0.2:80 status 200 running\n",
  );
});

test("the director loop mails when a real server goes down (real Director, SMTP sink)", async () => {
  const { createServer: createHttp } = await import("node:http");
  const { writeFileSync } = await import("node:fs");
  const { Director } = await import("../../../src/lvs/director.js");
  const { MemoryBackend } = await import("./memory-backend.js");
  let healthy = true;
  const web = createHttp((_req, res) => res.writeHead(healthy ? 200 : 503).end(healthy ? "ok" : "sick"));
  await new Promise<void>((r) => web.listen(0, "127.0.0.1", r));
  const webPort = (web.address() as { port: number }).port;
  const file = join(tmp, "alert.cf");
  writeFileSync(
    file,
    `checkinterval=0.1\nnegotiatetimeout=0.3\nfailurecount=1\nemailalert="ops@example.com"\nsmtp=127.0.0.1:${port}\n` +
      `virtual=10.9.9.9:80\n\treal=127.0.0.1:${webPort} masq 1\n\tservice=http\n\treceive="ok"\n`,
  );
  const before = mails.length;
  const quiet = { info() {}, warn() {}, error() {} };
  const d = new Director({ configFile: file, backend: new MemoryBackend(), log: quiet });
  await d.start();
  try {
    const waitMail = async (re: RegExp) => {
      for (let i = 0; i < 200; i++) {
        if (mails.slice(before).some((m) => re.test(m.data))) return true;
        await new Promise((r) => setTimeout(r, 20));
      }
      return false;
    };
    await new Promise((r) => setTimeout(r, 600)); // the real is checked and comes up first
    healthy = false;
    assert.ok(await waitMail(new RegExp(`127\\.0\\.0\\.1:${webPort}`)), JSON.stringify(mails.slice(before)));
    const m = mails.slice(before).find((x) => x.data.includes(String(webPort)));
    assert.deepEqual(m?.to, ["<ops@example.com>"]);
  } finally {
    await d.stop();
    web.close();
  }
});
