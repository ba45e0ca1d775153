// Goal: the installed hbctl, hb_standby and hb_takeover (package.json "bin": the CommonJS bundles of scripts/bundle-bins.mjs) answer exactly as the full program does, start without Node's ES module loader for the calls scripts make (status, standby, online, takeover: issue 15 §3), and hand every other call to the full program.
// Method: the built bins run as child processes against a real IpcServer on a temp socket that records the requests; each quick form is compared with the same call through dist/src/cli/main.js (tsc's ES modules); a --require hook in the child lists the files it loaded and the ES loader's internal modules.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { VERSION } from "../../../src/base/version.js";
import { IpcServer } from "../../../src/daemon/ipc-server.js";
import { IpcRefusal, type StatusReport } from "../../../src/ipc/protocol.js";
import { repoRoot } from "../../helpers.js";

const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
  bin: Record<string, string>;
};
const bin = (name: string): string => join(repoRoot, pkg.bin[name] ?? "");
const FULL = join(repoRoot, "dist", "src", "cli", "main.js");

const REPORT = {
  version: VERSION,
  node: "n1",
  cluster: "linux-ha",
  pid: 1,
  uptimeMs: 1000,
  generation: 3,
  commUp: true,
  managedBy: "haresources",
  timing: { keepaliveMs: 100, deadtimeMs: 1000, warntimeMs: 500, initdeadMs: 2000 },
  media: [],
  counters: {},
  eventLoop: { lagMs: 0, maxLagMs: 0 },
  nodes: [{ name: "n1", type: "normal", status: "active", local: true, links: [] }],
} as unknown as StatusReport;

let dir = "";
let sock = "";
let hook = "";
let server: IpcServer;
const calls: string[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "tandem-bins-"));
  sock = join(dir, "hbd.sock");
  hook = join(dir, "loaded.cjs");
  writeFileSync(
    hook,
    `process.on("exit", () => require("node:fs").writeSync(2, "\\nLOADED " + JSON.stringify({ files: Object.keys(require.cache).filter((f) => f !== __filename), esmLoader: process.moduleLoadList.includes("NativeModule internal/modules/esm/loader") }) + "\\n"));\n`,
  );
  server = await IpcServer.listen({
    path: sock,
    report: () => REPORT,
    command: (method, params) => {
      calls.push(`${method} ${JSON.stringify(params)}`);
      if (params.node === "nope") throw new IpcRefusal("nope is not a cluster node", "refused");
      return { message: `${method} ok` };
    },
  });
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  out: string;
  err: string;
  code: number | null;
  calls: string[];
  loaded?: { files: string[]; esmLoader: boolean };
}

function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  calls.length = 0;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--require", hook, file, ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (b: Buffer) => {
      out += b.toString();
    });
    child.stderr.on("data", (b: Buffer) => {
      err += b.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const m = /\nLOADED (.*)\n$/.exec(err);
      resolve({
        out,
        err: m ? err.slice(0, m.index) : err,
        code,
        calls: [...calls],
        ...(m?.[1] ? { loaded: JSON.parse(m[1]) } : {}),
      });
    });
  });
}

const without = (r: Run) => ({ out: r.out, err: r.err, code: r.code, calls: r.calls });

test("hbctl's quick forms answer as the full program does, from one CommonJS file without the ES module loader", async () => {
  for (const args of [
    ["status"],
    ["status", "--json"],
    ["standby", "n2"],
    ["standby", "foreign", "--json"],
    ["online"],
    ["takeover", "local"],
    ["standby", "nope"],
  ]) {
    const quick = await run(bin("hbctl"), [...args, "--socket", sock]);
    const full = await run(FULL, [...args, "--socket", sock]);
    assert.deepEqual(without(quick), without(full), args.join(" "));
    assert.deepEqual(quick.loaded, { files: [bin("hbctl")], esmLoader: false }, args.join(" "));
  }
  const refused = await run(bin("hbctl"), ["standby", "nope", "--socket", sock]);
  assert.equal(refused.code, 2);
  assert.match(refused.err, /^hbctl: hbd refused the request: nope is not a cluster node/);
  const down = await run(bin("hbctl"), ["status", "--socket", join(dir, "absent.sock")]);
  assert.equal(down.code, 3);
  assert.match(down.err, /hbd is not running/);
});

test("hbctl hands every other call to the full program", async () => {
  const version = await run(bin("hbctl"), ["--version"]);
  assert.equal(version.out, `${VERSION}\n`);
  assert.equal(version.loaded?.esmLoader, true);
  const help = await run(bin("hbctl"), ["standby", "--help"]);
  assert.equal(help.code, 0);
  assert.match(help.out, /hb_standby/);
  const usage = await run(bin("hbctl"), ["standby", "n1", "n2", "--socket", sock]);
  assert.equal(usage.code, 2);
  assert.deepEqual(usage.calls, []);
  const watch = await run(bin("hbctl"), ["status", "--watch", "--count", "1", "--socket", sock]);
  assert.equal(watch.code, 0);
  assert.match(watch.out, /n1/);
});

test("hb_standby and hb_takeover: one CommonJS file each, Heartbeat's forms, $HBD_SOCKET", async () => {
  const s = await run(bin("hb_standby"), ["foreign"], { HBD_SOCKET: sock });
  assert.deepEqual(without(s), {
    out: "standby ok\n",
    err: "",
    code: 0,
    calls: ['standby {"which":"foreign"}'],
  });
  assert.deepEqual(s.loaded, { files: [bin("hb_standby")], esmLoader: false });
  const t = await run(bin("hb_takeover"), [], { HBD_SOCKET: sock });
  assert.deepEqual(without(t), {
    out: "takeover ok\n",
    err: "",
    code: 0,
    calls: ['takeover {"which":"all"}'],
  });
  assert.deepEqual(t.loaded, { files: [bin("hb_takeover")], esmLoader: false });
  const bad = await run(bin("hb_takeover"), ["most"], { HBD_SOCKET: sock });
  assert.equal(bad.code, 1);
  assert.match(bad.err, /wrong resources\(most\)/);
});

test("hbctl simulate's plain forms run from the simulate bundle (no ES module loader, no commander) and answer as the full program", async () => {
  const cib = join(repoRoot, "test", "fixtures", "policy", "02-group-steady-state.xml");
  const simBundle = join(repoRoot, "dist", "src", "bin", "hbctl-simulate.cjs");
  for (const args of [
    ["simulate", cib, "--now", "2024-01-01T00:00:00Z"],
    ["simulate", cib, "--node-fail", "n1", "--json", "--now=2024-01-01T00:00:00Z"],
    ["simulate", cib, "--node-down", "nosuch"],
    ["simulate", join(dir, "absent.xml")],
  ]) {
    const quick = await run(bin("hbctl"), args);
    const full = await run(FULL, args);
    assert.deepEqual(without(quick), without(full), args.join(" "));
    assert.deepEqual(quick.loaded, { files: [bin("hbctl"), simBundle], esmLoader: false }, args.join(" "));
  }
  const help = await run(bin("hbctl"), ["simulate", "--help"]);
  assert.equal(help.code, 0);
  assert.equal(help.loaded?.esmLoader, true, "--help goes to the full program");
});

test("simulate runs without V8's optimising compilers below 8 MB of CIB, with TurboFan but no inlining above (bench:policy figures)", async () => {
  const { simulateFlags, BASELINE_ONLY_BELOW_BYTES } = await import("../../../src/cli/fast-main.js");
  assert.deepEqual(simulateFlags(562_523), ["--max-opt=1"], "100 primitives on 16 nodes");
  assert.deepEqual(
    simulateFlags(BASELINE_ONLY_BELOW_BYTES),
    ["--no-turbo-inlining"],
    "large CIBs keep TurboFan",
  );
  assert.deepEqual(simulateFlags(undefined), [], "--replay / --list-inputs / an unreadable file");
});
