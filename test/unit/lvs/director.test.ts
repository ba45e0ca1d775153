// Goal: the director loop takes reals in and out as their checks pass and fail, survives bad reloads, applies good reloads without touching other reals, writes its status, and cleans up on stop. Method: the real Director with an in-memory backend and real HTTP servers on 127.0.0.1, at a 100 ms checkinterval.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { parseLdirectordCf } from "../../../src/lvs/config/ldirectord.js";
import {
  checkSpecFor,
  Director,
  DirectorConfigError,
  type DirectorLogger,
} from "../../../src/lvs/director.js";
import { MemoryBackend } from "./memory-backend.js";

const tmp = mkdtempSync(join(tmpdir(), "tdl-director-"));
const servers: Server[] = [];
const ports: number[] = [];
const healthy = [true, true, true];
const logs: string[] = [];
const log: DirectorLogger = {
  info: (_o, m) => logs.push(`info ${m}`),
  warn: (_o, m) => logs.push(`warn ${m}`),
  error: (_o, m) => logs.push(`error ${m}`),
};

before(async () => {
  for (let i = 0; i < 3; i++) {
    const s = createServer((req, res) => {
      if (req.url === "/health") res.writeHead(healthy[i] ? 200 : 503).end(healthy[i] ? "ok" : "sick");
      else res.end(`rs${i}`);
    });
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
    servers.push(s);
    ports.push((s.address() as { port: number }).port);
  }
});

after(() => {
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
  rmSync(tmp, { recursive: true, force: true });
});

function cf(reals: number[], extra = ""): string {
  return `checkinterval=0.1
negotiatetimeout=0.3
failurecount=2
${extra}
virtual=10.9.9.9:80
${reals.map((i) => `\treal=127.0.0.1:${ports[i]} masq ${i + 1}`).join("\n")}
\tfallback=127.0.0.2:80 masq
\tservice=http
\trequest="/health"
\treceive="ok"
`;
}

const weightsOf = (b: MemoryBackend): Record<string, number> =>
  Object.fromEntries(
    (b.table.services[0]?.reals ?? []).map((r) => [
      r.role === "fallback" ? "fallback" : String(ports.indexOf(r.port)),
      r.weight,
    ]),
  );

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return cond();
}

test("start, failure, fallback, recovery, reloads, status and clean stop", async () => {
  const file = join(tmp, "ld.cf");
  const status = join(tmp, "status.json");
  writeFileSync(file, cf([0, 1]));
  const backend = new MemoryBackend();
  const d = new Director({ configFile: file, backend, log, statusFile: status });
  await d.start();
  try {
    await scenario(d, backend, file, status);
  } finally {
    await d.stop();
  }
  assert.deepEqual(backend.table, { services: [] });
  assert.equal(JSON.parse(readFileSync(status, "utf8")).phase, "stopping");
});

async function scenario(d: Director, backend: MemoryBackend, file: string, status: string): Promise<void> {
  // at start nothing is trusted: the fallback serves until the first checks pass (one batch, no flapping)
  assert.deepEqual(weightsOf(backend), { fallback: 1 });
  assert.ok(
    await until(() => JSON.stringify(weightsOf(backend)) === JSON.stringify({ 0: 1, 1: 2 }), 2000),
    JSON.stringify(weightsOf(backend)),
  );
  // the real comes in before the fallback leaves, in one batch
  const out = backend.batches.find((b) =>
    b.some((c) => c.op === "delete-real" && c.real.role === "fallback"),
  );
  const ops = out?.map((c) => `${c.op} ${"real" in c ? c.real.role : ""}`) ?? [];
  assert.ok(
    ops.indexOf("add-real real") >= 0 && ops.indexOf("add-real real") < ops.indexOf("delete-real fallback"),
    ops.join(", "),
  );

  healthy[1] = false;
  assert.ok(
    await until(() => JSON.stringify(weightsOf(backend)) === JSON.stringify({ 0: 1 }), 2000),
    JSON.stringify(weightsOf(backend)),
  );
  assert.ok(
    logs.some((l) => /soft failure of 127\.0\.0\.1:\d+ .*1\/2: status 503/.test(l)),
    "failurecount 2: a soft failure first",
  );
  healthy[0] = false;
  assert.ok(await until(() => JSON.stringify(weightsOf(backend)) === JSON.stringify({ fallback: 1 }), 2000));
  const fallbackIn = backend.batches.at(-1)?.map((c) => c.op);
  assert.deepEqual(
    fallbackIn,
    ["add-real", "delete-real"],
    "the fallback comes in before the last real leaves",
  );
  healthy[0] = true;
  healthy[1] = true;
  assert.ok(await until(() => JSON.stringify(weightsOf(backend)) === JSON.stringify({ 0: 1, 1: 2 }), 2000));

  // a broken configuration is refused and the old one keeps running
  writeFileSync(file, "virtual=10.9.9.9:80\n\treal=bogus\n");
  await d.reload();
  assert.ok(logs.some((l) => l.startsWith("error configuration not reloaded")));
  assert.equal(d.current.virtuals[0]?.reals.length, 2);

  // adding a real: only that real is added
  const n = backend.batches.length;
  writeFileSync(file, cf([0, 1, 2]));
  await d.reload();
  assert.ok(await until(() => weightsOf(backend)["2"] === 3, 2000));
  const changes = backend.batches.slice(n).flat();
  assert.deepEqual(
    changes.map((c) => `${c.op} ${"real" in c ? ports.indexOf(c.real.port) : ""}`),
    ["add-real 2"],
  );

  // the status file: every real with health and last check
  await new Promise((r) => setTimeout(r, 250));
  const st = JSON.parse(readFileSync(status, "utf8"));
  assert.equal(st.backend, "memory");
  assert.equal(st.services[0].reals.length, 3);
  assert.ok(
    st.services[0].reals.every(
      (r: { health: string; lastCheck?: { message: string } }) =>
        r.health === "up" && r.lastCheck?.message === "status 200",
    ),
  );
}

test("a configuration the backend cannot do is refused at start", async () => {
  const file = join(tmp, "wlc.cf");
  writeFileSync(file, `virtual=10.9.9.9:80\n\treal=127.0.0.1:${ports[0]} masq\n\tscheduler=wlc\n`);
  const d = new Director({ configFile: file, backend: new MemoryBackend(), log });
  await assert.rejects(d.start(), (e: unknown) => e instanceof DirectorConfigError && /wlc/.test(e.message));
});

test("check specs follow ldirectord: checkport, per-real request/receive, external arguments, combined", () => {
  const text = `virtual=10.0.0.1:80
\treal=10.0.0.2:8080 masq 1 "/alt", "yes"
\tservice=http
\trequest="/h"
\tvirtualhost=www.example.com
virtual=10.0.0.1:443
\treal=10.0.0.3 gate
\tchecktype=external
\tcheckcommand="/usr/local/bin/chk"
virtual=10.0.0.1:25
\treal=10.0.0.4:25 masq
\tchecktype=3
\tcheckport=2525
`;
  const c = parseLdirectordCf(text, "t.cf");
  assert.deepEqual(c.diagnostics, []);
  const [http, ext, comb] = c.value.virtuals;
  assert.deepEqual(checkSpecFor(http!, http!.reals[0]!), {
    kind: "http",
    scheme: "http",
    host: "10.0.0.2",
    port: 8080,
    request: "/alt",
    method: "GET",
    virtualhost: "www.example.com",
    receive: "yes",
    timeoutMs: 30000,
  });
  assert.deepEqual(checkSpecFor(ext!, ext!.reals[0]!), {
    kind: "external",
    command: "/usr/local/bin/chk",
    args: ["10.0.0.1", "443", "10.0.0.3", "0"],
    timeoutMs: 5000,
  });
  assert.deepEqual(checkSpecFor(comb!, comb!.reals[0]!, false), {
    kind: "connect",
    host: "10.0.0.4",
    port: 2525,
    timeoutMs: 5000,
  });
});

test("maintenancedir: a file named ip:port forces that real down without checking; removing it brings it back", async () => {
  const dir = join(tmp, "maint");
  const { mkdirSync, unlinkSync } = await import("node:fs");
  mkdirSync(dir, { recursive: true });
  const file = join(tmp, "maint.cf");
  writeFileSync(file, cf([0, 1], `maintenancedir=${dir}`));
  const backend = new MemoryBackend();
  const d = new Director({ configFile: file, backend, log });
  await d.start();
  try {
    assert.ok(await until(() => JSON.stringify(weightsOf(backend)) === JSON.stringify({ 0: 1, 1: 2 }), 2000));
    writeFileSync(join(dir, `127.0.0.1:${ports[1]}`), "");
    assert.ok(
      await until(() => JSON.stringify(weightsOf(backend)) === JSON.stringify({ 0: 1 }), 2000),
      JSON.stringify(weightsOf(backend)),
    );
    assert.equal(
      d.healthState.virtuals.get("tcp:10.9.9.9:80")?.reals.get(`127.0.0.1:${ports[1]}`)?.maintenance,
      true,
    );
    unlinkSync(join(dir, `127.0.0.1:${ports[1]}`));
    assert.ok(await until(() => weightsOf(backend)["1"] === 2, 2000));
  } finally {
    await d.stop();
  }
});

test("callback runs with the file name when the file changes on disk; monitorfile gets one line per check", async () => {
  const { chmodSync, existsSync } = await import("node:fs");
  const script = join(tmp, "cb.sh");
  const mon = join(tmp, "monitor.log");
  writeFileSync(script, `#!/bin/sh\necho "$1" >> ${tmp}/cb.out\n`);
  chmodSync(script, 0o755);
  const file = join(tmp, "cb.cf");
  const text = (w: number) =>
    `checkinterval=0.1\ncallback="${script}"\nvirtual=10.9.9.9:80\n\treal=127.0.0.1:${ports[0]} masq ${w}\n\tservice=http\n\trequest="/health"\n\tmonitorfile="${mon}"\n`;
  writeFileSync(file, text(1));
  const backend = new MemoryBackend();
  const d = new Director({ configFile: file, backend, log });
  await d.start();
  try {
    await new Promise((r) => setTimeout(r, 150));
    writeFileSync(file, text(4));
    assert.ok(await until(() => existsSync(join(tmp, "cb.out")), 2000), "callback ran");
    assert.equal(readFileSync(join(tmp, "cb.out"), "utf8"), `${file}\n`);
    assert.equal(weightsOf(backend)["0"], 1, "no autoreload: the running configuration is unchanged");
    assert.match(
      readFileSync(mon, "utf8"),
      new RegExp(
        `^\\[\\d{4}-.*\\] \\[${process.pid}\\] 127\\.0\\.0\\.1:${ports[0]} \\(tcp:10\\.9\\.9\\.9:80\\) up status 200$`,
        "m",
      ),
    );
  } finally {
    await d.stop();
  }
});

test("stop() while a status write is in flight still leaves the status file at 'stopping' (race seen as a flake)", async () => {
  const file = join(tmp, "race.cf");
  const status = join(tmp, "race-status.json");
  writeFileSync(file, cf([0, 1]));
  for (let i = 0; i < 20; i++) {
    const d = new Director({ configFile: file, backend: new MemoryBackend(), log, statusFile: status });
    await d.start();
    // a periodic write starts (check results, reloads do this) and stop() comes before it ends
    void (d as unknown as { statusFile: { write(): Promise<void> } }).statusFile.write();
    await d.stop();
    assert.equal(JSON.parse(readFileSync(status, "utf8")).phase, "stopping", `round ${i}`);
  }
});
