// Goal: resource.d/ldirectord keeps ldirectord's command line and status exit codes (0 running, 1 stale pid, 2 config error, 3 stopped), works Heartbeat-style (`ldirectord ldirectord.cf start`) and as OCF (monitor 0/7), and reloads on `reload`. Method: the agent runs the real hb-director inside a private namespace (checktype on, so no traffic is needed), with its pid directory and HA_DIR in a temp dir.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { repoRoot } from "../../helpers.js";
import { LvsLab, waitFor } from "./lab.js";

let lab: LvsLab;
const GOOD =
  "checkinterval=1\nvirtual=10.77.1.10:80\n\treal=10.77.1.11:80 masq 2\n\tchecktype=on\n\tscheduler=wrr\n";

function agent(args: string[], extraEnv: Record<string, string> = {}): { code: number | null; out: string } {
  const r = spawnSync(
    "ip",
    ["netns", "exec", lab.ns("dir"), join(repoRoot, "resource.d/ldirectord"), ...args],
    {
      encoding: "utf8",
      timeout: 30_000,
      env: {
        PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin",
        HA_DIR: lab.tmp,
        LDIRECTORD_PIDDIR: lab.tmp,
        HB_DIRECTOR_ARGS: "--backend nft --table tdl_agent",
        ...extraEnv,
      },
    },
  );
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

const pidOf = (): number => Number(readFileSync(join(lab.tmp, "ldirectord.ld.cf.pid"), "utf8").trim());
const table = (): string => {
  try {
    return lab.run("dir", "nft", "list", "table", "ip", "tdl_agent");
  } catch {
    return "";
  }
};

before(() => {
  lab = new LvsLab();
  lab.build(0);
  writeFileSync(join(lab.tmp, "ld.cf"), GOOD);
});

after(() => {
  // stop whatever the agent started (by its pid file), then the namespaces
  try {
    process.kill(pidOf(), "SIGKILL");
  } catch {
    // not running
  }
  lab?.cleanup();
});

test("Heartbeat-style calls: status 3, start, status 0, reload, stop, status 3", async () => {
  assert.equal(agent(["ld.cf", "status"]).code, 3);
  const start = agent(["ld.cf", "start"]);
  assert.equal(start.code, 0, start.out);
  const st = agent(["ld.cf", "status"]);
  assert.equal(st.code, 0);
  assert.match(st.out, /running with pid: \d+/);
  assert.match(table(), /10\.77\.1\.11 \. 80 : 0x0*2\b/);
  assert.equal(agent(["ld.cf", "start"]).code, 0, "start when running is a no-op success");
  writeFileSync(join(lab.tmp, "ld.cf"), GOOD.replace("masq 2", "masq 5"));
  assert.equal(agent(["ld.cf", "reload"]).code, 0);
  assert.ok((await waitFor(() => /10\.77\.1\.11 \. 80 : 0x0*5\b/.test(table()), 5000)) >= 0, table());
  assert.equal(agent(["ld.cf", "stop"]).code, 0);
  assert.equal(agent(["ld.cf", "status"]).code, 3);
  assert.equal(table(), "", "cleanstop removed the table");
  assert.equal(agent(["ld.cf", "stop"]).code, 0, "stop when stopped succeeds");
});

test("a dead director leaves a stale pid file: status 1, OCF monitor 7", async () => {
  writeFileSync(join(lab.tmp, "ld.cf"), GOOD);
  assert.equal(agent(["ld.cf", "start"]).code, 0);
  const pid = pidOf();
  process.kill(pid, "SIGKILL");
  assert.ok((await waitFor(() => spawnSync("kill", ["-0", String(pid)]).status !== 0, 3000)) >= 0);
  const st = agent(["ld.cf", "status"]);
  assert.equal(st.code, 1, st.out);
  assert.match(st.out, /stale pid file/);
  assert.equal(agent(["monitor"], { OCF_RESKEY_configfile: "ld.cf", OCF_RESOURCE_INSTANCE: "lvs" }).code, 7);
  assert.equal(agent(["ld.cf", "stop"]).code, 0);
  assert.equal(agent(["ld.cf", "status"]).code, 3);
});

test("a configuration error gives exit 2 for every command, like ldirectord", () => {
  writeFileSync(join(lab.tmp, "bad.cf"), "virtual=10.77.1.10:80\n\treal=10.77.1.11:80 masq\n\tbogus=1\n");
  const st = agent(["bad.cf", "status"]);
  assert.equal(st.code, 2, st.out);
  assert.match(st.out, /bad\.cf:3/);
  assert.equal(agent(["bad.cf", "start"]).code, 2);
  // an unsupported scheduler on this backend is a configuration error too
  writeFileSync(
    join(lab.tmp, "wlc.cf"),
    "virtual=10.77.1.10:80\n\treal=10.77.1.11:80 masq\n\tscheduler=wlc\n",
  );
  assert.equal(agent(["wlc.cf", "status"]).code, 2);
  // OCF: generic error, validate-all: not configured
  assert.equal(
    agent(["monitor"], { OCF_RESKEY_configfile: join(lab.tmp, "bad.cf"), OCF_RESOURCE_INSTANCE: "lvs" }).code,
    7,
  );
  assert.equal(
    agent(["validate-all"], { OCF_RESKEY_configfile: join(lab.tmp, "bad.cf"), OCF_RESOURCE_INSTANCE: "lvs" })
      .code,
    6,
  );
});

test("OCF calls: start, monitor 0, stop, monitor 7; meta-data", () => {
  const env = { OCF_RESKEY_configfile: "ld.cf", OCF_RESOURCE_INSTANCE: "lvs" };
  assert.equal(agent(["monitor"], env).code, 7);
  assert.equal(agent(["start"], env).code, 0);
  assert.equal(agent(["monitor"], env).code, 0);
  assert.equal(agent(["stop"], env).code, 0);
  assert.equal(agent(["monitor"], env).code, 7);
  const md = agent(["meta-data"], env);
  assert.equal(md.code, 0);
  assert.match(md.out, /<resource-agent name="ldirectord"/);
});
