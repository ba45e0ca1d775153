// Goal: the "Done when" list for hb-director on nftables NAT: exact wrr 30/10, a dead real leaves within checkinterval x failurecount + checktimeout with no failed new connection after, quiescent keeps an established keep-alive connection, fallback in and out, a reload adding a real disturbs nothing, a bad reload keeps the old config, clean stop. Method: client, director and three real-server namespaces on a bridge inside a namespace, node:http real servers, the real hb-director program in the director namespace, nft read back from the kernel.
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { repoRoot } from "../../helpers.js";
import { LvsLab, NET, waitFor, weights } from "./lab.js";

const RS1 = `${NET}.131:80`;
const RS2 = `${NET}.132:80`;
const RS3 = `${NET}.133:80`;
const FB = `fallback ${NET}.2:8080`;
const S80 = `tcp:${NET}.10:80`;
const S81 = `tcp:${NET}.10:81`;
const INTERVAL = 1;
const FAILURES = 2;
const TIMEOUT = 1;

let lab: LvsLab;
let director: ChildProcess;
let logs = "";
let cfg: string;
let statusFile: string;

function config(extraReal = ""): string {
  return `# test director
checktimeout=${TIMEOUT}
negotiatetimeout=${TIMEOUT}
checkinterval=${INTERVAL}
failurecount=${FAILURES}
autoreload=yes
quiescent=no

virtual=${NET}.10:80
	real=${NET}.131:80 masq 3
	real=${NET}.132:80 masq 1
${extraReal}	fallback=${NET}.2:8080 masq
	service=http
	request="/health"
	receive="ok"
	scheduler=wrr

virtual=${NET}.10:81
	real=${NET}.131:80 masq 1
	real=${NET}.132:80 masq 1
	service=http
	checkport=80
	request="/health"
	receive="ok"
	scheduler=rr
	quiescent=yes
`;
}

const table80 = () => weights(lab.table(), S80);
const table81 = () => weights(lab.table(), S81);

before(async () => {
  lab = new LvsLab();
  lab.build(3);
  await lab.server("rs1", "rs1", 80);
  await lab.server("rs2", "rs2", 80);
  await lab.server("rs3", "rs3", 80);
  await lab.server("dir", "fallback", 8080);
  cfg = join(lab.tmp, "ldirectord.cf");
  statusFile = join(lab.tmp, "status.json");
  writeFileSync(cfg, config());
  director = lab.spawnIn("dir", [
    process.execPath,
    join(repoRoot, "dist/src/lvs/main.js"),
    "--config",
    cfg,
    "--backend",
    "nft",
    "--state-file",
    statusFile,
  ]);
  director.stderr?.on("data", (b: Buffer) => (logs += b.toString()));
  const ok = await waitFor(
    () => table80()[RS1] === 3 && table80()[RS2] === 1 && table81()[RS1] === 1 && table81()[RS2] === 1,
    10_000,
  );
  assert.ok(ok >= 0, `director did not bring both reals up: ${JSON.stringify(lab.table())}\n${logs}`);
});

after(() => {
  lab?.cleanup();
});

test("wrr 3:1 over 40 new connections gives exactly 30 / 10", () => {
  const r = lab.client("new", 80, 40);
  assert.equal(r.errors, 0, r.errorText.join(" "));
  assert.deepEqual(r.names, { rs1: 30, rs2: 10 });
});

test("quiescent keeps an established keep-alive connection working; new connections avoid the quiesced real", async () => {
  const ka = lab.clientBg("ka", 81, 3500);
  await new Promise((r) => setTimeout(r, 300));
  // the rr service at :81 gave this connection to some real; make that one fail its checks
  lab.signal("rs1", "SIGUSR1");
  lab.signal("rs2", "SIGUSR1");
  // both sick: :81 (quiescent) keeps both at weight 0; :80 (not quiescent) falls back
  const t = await waitFor(() => table81()[RS1] === 0 && table81()[RS2] === 0, 6000);
  assert.ok(t >= 0, JSON.stringify(lab.table()));
  const res = await ka;
  assert.equal(res.errors, 0, res.errorText.join(" "));
  assert.equal(res.sockets, 1, "one connection all along");
  assert.equal(Object.keys(res.names).length, 1, `one backend: ${JSON.stringify(res.names)}`);
  assert.ok(Object.values(res.names)[0]! > 40, "kept answering while quiesced");
  // a new connection to the quiesced service is refused at once (no slot left)
  const fresh = lab.client("new", 81, 2);
  assert.equal(fresh.errors, 2);
  assert.match(fresh.errorText.join(" "), /ECONNREFUSED/);
});

test("all reals down brings the fallback in; one back removes it", async () => {
  // rs1 and rs2 are sick since the previous test
  const t = await waitFor(() => JSON.stringify(table80()) === JSON.stringify({ [FB]: 1 }), 6000);
  assert.ok(t >= 0, JSON.stringify(table80()));
  const r = lab.client("new", 80, 6);
  assert.deepEqual(r.names, { fallback: 6 });
  lab.signal("rs2", "SIGUSR2");
  const back = await waitFor(() => JSON.stringify(table80()) === JSON.stringify({ [RS2]: 1 }), 4000);
  assert.ok(back >= 0, JSON.stringify(table80()));
  assert.deepEqual(lab.client("new", 80, 6).names, { rs2: 6 });
  assert.equal(table81()[RS2], 1, "the quiescent service restores the weight");
  lab.signal("rs1", "SIGUSR2");
  assert.ok((await waitFor(() => table80()[RS1] === 3, 4000)) >= 0);
});

test("a real server that stops answering leaves within checkinterval x failurecount + checktimeout; then no new connection fails", async () => {
  const bound = (INTERVAL * FAILURES + TIMEOUT) * 1000;
  lab.signal("rs2", "SIGSTOP");
  const t0 = Date.now();
  const took = await waitFor(() => table80()[RS2] === undefined, bound + 2000);
  const elapsed = Date.now() - t0;
  try {
    assert.ok(took >= 0, "rs2 never left the table");
    // 250 ms for polling the table through `ip netns exec nft` and the nft transaction itself
    assert.ok(
      elapsed <= bound + (process.env.TDL_DEBUG ? 5000 : 250),
      `left after ${elapsed} ms, bound ${bound} ms; stopped at ${t0}\n${logs
        .split("\n")
        .filter((l) => l.includes("132"))
        .slice(-8)
        .join("\n")}`,
    );
    console.log(`# rs2 left the table ${elapsed} ms after it stopped answering (bound ${bound} ms)`);
    if (process.env.TDL_DEBUG) {
      await new Promise((r) => setTimeout(r, 500));
      console.log(
        logs
          .split("\n")
          .filter((l) => l.includes("132") && Number(/"time":(\d+)/.exec(l)?.[1]) > t0 - 2000)
          .map((l) => `${Number(/"time":(\d+)/.exec(l)?.[1]) - t0} ${JSON.parse(l).msg}`)
          .join("\n"),
      );
    }
    const r = lab.client("new", 80, 20);
    assert.equal(r.errors, 0, r.errorText.join(" "));
    assert.deepEqual(r.names, { rs1: 20 });
  } finally {
    lab.signal("rs2", "SIGCONT");
  }
  assert.ok((await waitFor(() => table80()[RS2] === 1, 5000)) >= 0);
});

test("hbctl lvs status shows the table, health, last check and conntrack counts", async () => {
  const ka = lab.clientBg("ka", 80, 6000);
  const hbctl = (...args: string[]) =>
    lab.run(
      "dir",
      process.execPath,
      join(repoRoot, "dist/src/cli/main.js"),
      "lvs",
      "status",
      "--state-file",
      statusFile,
      ...args,
    );
  const seen: string[] = [];
  // the status file is rewritten every checkinterval: wait for one written while the connection is up
  const t = await waitFor(() => {
    const json = JSON.parse(hbctl("--json"));
    const s80 = json.services.find((s: { key: string }) => s.key === S80);
    const active = s80.reals.reduce((a: number, r: { active: number }) => a + r.active, 0);
    seen.push(
      `${Date.now() - json.updatedAt}:${JSON.stringify(s80.reals.map((r: { active: number; inactive: number }) => [r.active, r.inactive]))}`,
    );
    return active >= 1;
  }, 5500);
  const out = hbctl();
  await ka;
  assert.ok(t >= 0, `an established connection counted: ${seen.join(" ")}`);
  assert.match(out, /Prot LocalAddress:Port Scheduler Flags/);
  assert.match(out, new RegExp(`TCP  ${NET}\\.10:80 wrr`));
  assert.match(out, new RegExp(`-> ${NET}\\.131:80 +Masq +3 +`));
  assert.match(out, /up +status 200/);
});

test("a config reload that adds a real server disturbs no other; a broken config keeps the old one", async () => {
  const ka = lab.clientBg("ka", 80, 4000);
  const loop = lab.clientBg("loop", 80, 4000);
  await new Promise((r) => setTimeout(r, 500));
  const mark = logs.length;
  writeFileSync(cfg, config(`\treal=${NET}.133:80 masq 2\n`)); // autoreload=yes picks it up
  const t = await waitFor(() => table80()[RS3] === 2, 5000);
  assert.ok(t >= 0, JSON.stringify(table80()));
  const [k, l] = await Promise.all([ka, loop]);
  assert.equal(k.errors, 0, k.errorText.join(" "));
  assert.equal(k.sockets, 1);
  assert.equal(l.errors, 0, l.errorText.join(" "));
  assert.ok((l.names.rs3 ?? 0) > 0, `rs3 served after the reload: ${JSON.stringify(l.names)}`);
  const changes = logs
    .slice(mark)
    .split("\n")
    .filter((x) => x.includes('"op"'))
    .map((x) => JSON.parse(x) as { op: string; real?: string });
  assert.deepEqual(
    changes.map((c) => `${c.op} ${c.real ?? ""}`),
    [`add-real ${RS3}`],
  );
  assert.deepEqual(table80(), { [RS1]: 3, [RS2]: 1, [RS3]: 2 });
  // a parse error keeps the old configuration and table
  writeFileSync(cfg, "virtual=10.77.0.10:80\n\treal=nonsense\n");
  const bad = await waitFor(() => logs.includes("configuration not reloaded"), 4000);
  assert.ok(bad >= 0, "the bad configuration was noticed");
  assert.deepEqual(table80(), { [RS1]: 3, [RS2]: 1, [RS3]: 2 });
  assert.equal(readFileSync(cfg, "utf8").includes("nonsense"), true);
});

test("SIGTERM with cleanstop removes the table and exits 0", async () => {
  const code = new Promise<number | null>((r) => director.on("exit", (c) => r(c)));
  director.kill("SIGTERM");
  assert.equal(await code, 0);
  assert.deepEqual(lab.table(), { services: [] });
});
