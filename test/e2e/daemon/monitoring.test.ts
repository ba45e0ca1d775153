// Goal: issue 16 parts 3 and 4 on real processes: hbd with ha.cf `metrics_listen` serves /metrics
// (Prometheus text that `promtool check metrics` accepts and a real Prometheus server scrapes) and a
// status page (plain HTML, no script, reloads itself) on the same listener; a bare port binds
// loopback only; hb-director --metrics-listen serves the director's metrics and hbd's page shows its
// real servers with their health; after a power-loss failover the survivor's metrics count one
// node_lost failover and its page shows the dead node. The page is rendered by Debian's headless
// Chromium (DOM dumped and checked; a screenshot taken with --disable-javascript).
// Method: two namespaces joined by a veth pair (tdc-<pid>-*); n1 listens on 10.250.0.1:9664, n2 on
// `metrics_listen 9664` (127.0.0.1 inside its namespace); the real hb-director (nft backend) in n2's
// namespace checks two reals in n1's (one answering, one not); Prometheus and Chromium run in n2's
// namespace; HTTP requests are made with Node's fetch inside the namespaces. Every process started
// here is killed by pid and the namespaces deleted in `finally` (and at exit).
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { repoRoot } from "../../helpers.js";
import { parseExposition, promtoolCheck, promtoolMissing, sampleValue } from "../../prom-check.js";
import { CrmLab } from "../crm/lab.js";
import { skipReason } from "./lab.js";

const VIP = "10.250.0.100";
const RSC = "IPaddr2_10_250_0_100";
const DIRECTOR = join(repoRoot, "dist", "src", "lvs", "main.js");
const hacf = (peer: string, listen: string) =>
  `udpport 694\nucast eth0 ${peer}\nkeepalive 100ms\ndeadtime 2\nwarntime 1\ninitdead 4\nauto_failback off\nnode n1\nnode n2\ncrm off\nmetrics_listen ${listen}\n`;
const AUTHKEYS = "auth 1\n1 sha1 monitoring-e2e\n";
const LDIRECTORD_CF = `checktimeout=1
checkinterval=1
failurecount=1
quiescent=no
virtual=10.250.0.200:80
	real=10.250.0.1:8080 masq 2
	real=10.250.0.1:8081 masq 1
	checktype=connect
	scheduler=wrr
`;

/** Why this test cannot run: not root, or a tool missing (under CI=true a missing tool is a failure). */
function missingTools(): string | undefined {
  const root = skipReason();
  if (root) return root;
  const tools = ["prometheus", "chromium"].filter(
    (t) => spawnSync(t, ["--version"], { encoding: "utf8" }).status !== 0,
  );
  const prom = promtoolMissing();
  if (prom) tools.push("promtool");
  if (tools.length === 0) return undefined;
  if (process.env.CI === "true")
    throw new Error(`missing under CI=true: ${tools.join(", ")} (.ci/run installs prometheus and chromium)`);
  return `needs ${tools.join(", ")} (apt-get install prometheus chromium)`;
}

interface Fetched {
  readonly status?: number;
  readonly type?: string;
  readonly csp?: string;
  readonly body?: string;
  readonly error?: string;
}

test("metrics and status page: promtool, a real Prometheus scrape, loopback default, director reals, failover counted, Chromium", {
  skip: missingTools(),
  timeout: 150_000,
}, async (t) => {
  const lab = new CrmLab();
  const children: ChildProcess[] = [];
  const killAll = () => {
    for (const c of children)
      if (c.pid !== undefined && c.exitCode === null && c.signalCode === null)
        try {
          process.kill(c.pid, "SIGKILL");
        } catch {
          // gone
        }
  };
  process.on("exit", killAll);
  const out = new Map<string, string>();
  /** Starts a program in namespace `role`; its output is kept under `name`. */
  const run = (role: string, name: string, cmd: string[]): ChildProcess => {
    const c = spawn("ip", ["netns", "exec", lab.ns(role), ...cmd], { stdio: ["ignore", "pipe", "pipe"] });
    out.set(name, "");
    const add = (b: Buffer) => out.set(name, `${out.get(name) ?? ""}${b.toString()}`.slice(-100_000));
    c.stdout?.on("data", add);
    c.stderr?.on("data", add);
    children.push(c);
    return c;
  };
  const fetchIn = (role: string, url: string): Fetched => {
    const script = `fetch(${JSON.stringify(url)}, { signal: AbortSignal.timeout(5000) }).then(async (r) => console.log(JSON.stringify({ status: r.status, type: r.headers.get("content-type"), csp: r.headers.get("content-security-policy"), body: await r.text() })), (e) => console.log(JSON.stringify({ error: String(e.cause?.code ?? e.message) })))`;
    const r = spawnSync("ip", ["netns", "exec", lab.ns(role), process.execPath, "-e", script], {
      encoding: "utf8",
      timeout: 15_000,
    });
    try {
      return JSON.parse(r.stdout) as Fetched;
    } catch {
      return { error: `no answer: ${r.stdout}${r.stderr}` };
    }
  };
  const metricsIn = (role: string, url: string) => {
    const f = fetchIn(role, url);
    return f.status === 200 && f.body !== undefined ? parseExposition(f.body) : undefined;
  };
  const logs = () =>
    `--- n1\n${lab.log("n1").slice(-4000)}\n--- n2\n${lab.log("n2").slice(-4000)}\n${[...out].map(([k, v]) => `--- ${k}\n${v.slice(-3000)}`).join("\n")}`;
  const chromium = (args: string[]) =>
    spawnSync(
      "ip",
      [
        "netns",
        "exec",
        lab.ns("b"),
        "chromium",
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        `--user-data-dir=${join(lab.tmp, "chromium")}`,
        ...args,
      ],
      {
        encoding: "utf8",
        timeout: 60_000,
      },
    );
  try {
    lab.pair("a", "b");
    const d1 = lab.configureCrm(
      "n1",
      hacf("10.250.0.2", "10.250.0.1:9664"),
      AUTHKEYS,
      `n1 IPaddr2::${VIP}/24/eth0\n`,
    );
    const d2 = lab.configureCrm("n2", hacf("10.250.0.1", "9664"), AUTHKEYS, `n1 IPaddr2::${VIP}/24/eth0\n`);
    const piddir = join(lab.tmp, "director");
    mkdirSync(piddir);
    const cf = join(piddir, "ldirectord.cf");
    writeFileSync(cf, LDIRECTORD_CF);
    // one real answers (a TCP listener in n1's namespace), the other does not
    run("a", "real", [
      process.execPath,
      "-e",
      "require('node:net').createServer((s) => s.end()).listen(8080, '10.250.0.1')",
    ]);
    run("b", "hb-director", [
      process.execPath,
      DIRECTOR,
      "--config",
      cf,
      "--backend",
      "nft",
      "--table",
      `tdm_${process.pid}`,
      "--state-file",
      join(piddir, "ldirectord.ldirectord.cf.status.json"),
      "--metrics-listen",
      "127.0.0.1:9665",
    ]);
    // where hbd looks for director status files (the agent's variable); startHbd passes our environment on
    const saved = process.env.LDIRECTORD_PIDDIR;
    process.env.LDIRECTORD_PIDDIR = piddir;
    lab.startHbd("a", "n1", d1);
    lab.startHbd("b", "n2", d2);
    if (saved === undefined) delete process.env.LDIRECTORD_PIDDIR;
    else process.env.LDIRECTORD_PIDDIR = saved;

    // 1. n1 runs the VIP; its /metrics (on the veth address) says so, and promtool accepts the text.
    const placed = await lab.waitFor(
      () => {
        const s = metricsIn("a", "http://10.250.0.1:9664/metrics");
        return (
          s !== undefined &&
          sampleValue(s, "tandem_resource_running", { resource: RSC, node: "n1" }) === 1 &&
          sampleValue(s, "tandem_node_state", { node: "n2", state: "active" }) === 1
        );
      },
      25_000,
      250,
    );
    if (!placed)
      assert.fail(
        `n1's metrics never showed the VIP on n1 with n2 active\n${JSON.stringify(fetchIn("a", "http://10.250.0.1:9664/metrics")).slice(0, 3000)}\n${logs()}`,
      );
    const m1 = fetchIn("a", "http://10.250.0.1:9664/metrics");
    assert.equal(m1.type, "text/plain; version=0.0.4; charset=utf-8");
    const check = promtoolCheck(m1.body ?? "");
    assert.equal(check.code, 0, check.output);
    assert.equal(check.output.trim(), "", `promtool lint:\n${check.output}`);
    const s1 = parseExposition(m1.body ?? "");
    assert.equal(sampleValue(s1, "tandem_build_info", { node: "n1" }), 1);
    assert.equal(sampleValue(s1, "tandem_link_state", { node: "n2", link: "eth0", state: "up" }), 1);
    assert.ok(
      (sampleValue(s1, "tandem_node_last_heard_age_seconds", { node: "n2" }) ?? 99) < 2,
      "n2 heard recently",
    );
    assert.ok(
      (sampleValue(s1, "tandem_resource_operation_duration_seconds_count", { resource: RSC, op: "start" }) ??
        0) >= 1,
      "the VIP's start was timed",
    );
    assert.ok((sampleValue(s1, "tandem_medium_frames_received_total") ?? 0) > 0);

    // 2. n2's bare port is loopback only: refused on its veth address, served on 127.0.0.1 inside its namespace.
    const outside = fetchIn("a", "http://10.250.0.2:9664/metrics");
    assert.equal(outside.error, "ECONNREFUSED", JSON.stringify(outside).slice(0, 300));
    const inside = fetchIn("b", "http://127.0.0.1:9664/metrics");
    assert.equal(inside.status, 200, JSON.stringify(inside).slice(0, 300));
    assert.equal(fetchIn("b", "http://127.0.0.1:9664/").csp?.includes("default-src 'none'"), true);

    // 3. The director's reals: hb-director's own listener and hbd's (from the status file) agree.
    const reals = await lab.waitFor(
      () => {
        const s = metricsIn("b", "http://127.0.0.1:9664/metrics");
        return (
          s !== undefined &&
          sampleValue(s, "tandem_director_real_health", { real: "10.250.0.1:8080", health: "up" }) === 1 &&
          sampleValue(s, "tandem_director_real_health", { real: "10.250.0.1:8081", health: "down" }) === 1
        );
      },
      15_000,
      250,
    );
    if (!reals)
      assert.fail(
        `hbd never showed the director's reals\n${JSON.stringify(fetchIn("b", "http://127.0.0.1:9664/metrics")).slice(0, 4000)}\n${logs()}`,
      );
    const dm = fetchIn("b", "http://127.0.0.1:9665/metrics");
    assert.equal(dm.status, 200, JSON.stringify(dm).slice(0, 300));
    assert.equal(promtoolCheck(dm.body ?? "").code, 0);
    const ds = parseExposition(dm.body ?? "");
    assert.equal(sampleValue(ds, "tandem_director_real_weight", { real: "10.250.0.1:8080" }), 2);
    assert.equal(sampleValue(ds, "tandem_director_real_in_table", { real: "10.250.0.1:8081" }), 0);
    assert.ok((sampleValue(ds, "tandem_director_table_changes_total") ?? 0) >= 2, "service and real added");
    assert.ok(
      (sampleValue(ds, "tandem_director_real_check_failures_total", { real: "10.250.0.1:8081" }) ?? 0) >= 1,
    );
    assert.ok(
      sampleValue(ds, "tandem_director_real_check_duration_seconds", { real: "10.250.0.1:8080" }) !==
        undefined,
    );

    // 4. A real Prometheus server scrapes all three targets.
    const promDir = join(lab.tmp, "prometheus");
    mkdirSync(promDir);
    writeFileSync(
      join(promDir, "prometheus.yml"),
      `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: tandem\n    static_configs:\n      - targets: ["127.0.0.1:9664", "10.250.0.1:9664", "127.0.0.1:9665"]\n`,
    );
    run("b", "prometheus", [
      "prometheus",
      `--config.file=${join(promDir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(promDir, "data")}`,
      "--web.listen-address=127.0.0.1:9090",
      "--log.level=warn",
    ]);
    const query = (q: string) => {
      const f = fetchIn("b", `http://127.0.0.1:9090/api/v1/query?query=${encodeURIComponent(q)}`);
      try {
        return JSON.parse(f.body ?? "") as {
          data?: { result?: { metric: Record<string, string>; value: [number, string] }[] };
        };
      } catch {
        return {};
      }
    };
    const scraped = await lab.waitFor(
      () => {
        const up = query("up")?.data?.result ?? [];
        return (
          up.length === 3 &&
          up.every((r) => r.value[1] === "1") &&
          (query('tandem_node_state{state="active"}')?.data?.result?.length ?? 0) >= 4
        );
      },
      30_000,
      500,
    );
    if (!scraped)
      assert.fail(
        `Prometheus did not scrape all targets\n${JSON.stringify(fetchIn("b", "http://127.0.0.1:9090/api/v1/targets")).slice(0, 3000)}\n${logs()}`,
      );
    const dc = query("tandem_dc")
      ?.data?.result?.map((r) => `${r.metric.instance}:${r.metric.dc}`)
      .sort();
    t.diagnostic(`Prometheus: tandem_dc ${JSON.stringify(dc)}`);
    assert.equal(
      new Set(query("tandem_dc")?.data?.result?.map((r) => r.metric.dc)).size,
      1,
      "both nodes name the same DC",
    );

    // 5. The status page in headless Chromium: the DOM as rendered, and a screenshot with JavaScript off.
    const dom = chromium(["--dump-dom", "http://127.0.0.1:9664/"]);
    assert.equal(dom.status, 0, dom.stderr.slice(-2000));
    assert.match(dom.stdout, /<title>Tandem: linux-ha \(n2\)<\/title>/);
    assert.match(dom.stdout, /<meta http-equiv="refresh" content="5">/);
    assert.match(dom.stdout, /<table id="nodes">[\s\S]*<td>n1<\/td><td class="ok">active<\/td>/);
    assert.match(
      dom.stdout,
      new RegExp(`<table id="resources">[\\s\\S]*<td>${RSC}</td>[\\s\\S]*<td class="ok">n1</td>`),
    );
    assert.match(
      dom.stdout,
      /<table id="reals">[\s\S]*10\.250\.0\.1:8080<\/td><td class="ok">up<\/td><td>2<\/td>/,
    );
    assert.match(dom.stdout, /<table id="reals">[\s\S]*10\.250\.0\.1:8081<\/td><td class="bad">down<\/td>/);
    assert.match(dom.stdout, /<table id="events">/);
    assert.doesNotMatch(dom.stdout, /<script/i);

    // 6. Power loss of n1: n2 takes the VIP and counts one node_lost failover; its page shows n1 dead.
    await new Promise((r) => setTimeout(r, 5000)); // past n1's first 5 s (deadtime + 2 s advertised)
    assert.ok(await lab.plainDeadtime(d2.sock, "n1", 2000), "n2 never applied n1's plain deadtime");
    lab.kill("n1", "SIGKILL");
    lab.exec("a", "ip", "link", "set", "eth0", "down");
    const moved = await lab.waitFor(() => lab.hasAddress("b", VIP), 10_000, 50);
    if (!moved) assert.fail(`VIP did not move to n2\n${logs()}`);
    const counted = await lab.waitFor(
      () => {
        const s = metricsIn("b", "http://127.0.0.1:9664/metrics");
        return (
          s !== undefined &&
          sampleValue(s, "tandem_failovers_total", { resource: RSC, cause: "node_lost" }) === 1
        );
      },
      10_000,
      200,
    );
    const after = fetchIn("b", "http://127.0.0.1:9664/metrics");
    if (!counted)
      assert.fail(
        `no node_lost failover counted on n2\n${(after.body ?? "")
          .split("\n")
          .filter((l) => /failover|moves|peer_deaths|dc/.test(l))
          .join("\n")}\n${logs()}`,
      );
    const s2 = parseExposition(after.body ?? "");
    assert.equal(sampleValue(s2, "tandem_peer_deaths_total", { node: "n1", cause: "deadtime" }), 1);
    assert.equal(sampleValue(s2, "tandem_resource_moves_total", { resource: RSC }), 1);
    assert.equal(sampleValue(s2, "tandem_is_dc"), 1);
    assert.equal(sampleValue(s2, "tandem_node_state", { node: "n1", state: "dead" }), 1);
    assert.ok(
      (sampleValue(s2, "tandem_transition_duration_seconds_count") ?? 0) >= 1,
      "n2's failover transition was timed",
    );
    const promDead = await lab.waitFor(
      () =>
        (query('tandem_failovers_total{cause="node_lost"}')?.data?.result ?? []).some(
          (r) => r.value[1] === "1",
        ),
      10_000,
      500,
    );
    assert.ok(promDead, "Prometheus never saw the failover");
    const page = chromium(["--dump-dom", "http://127.0.0.1:9664/"]);
    assert.match(page.stdout, /<table id="nodes">[\s\S]*<td>n1<\/td><td class="bad">dead<\/td>/);
    assert.match(
      page.stdout,
      new RegExp(`<table id="resources">[\\s\\S]*<td>${RSC}</td>[\\s\\S]*<td class="ok">n2</td>`),
    );
    assert.match(page.stdout, /<table id="events">[\s\S]*node n1: is dead/);
    const png = join(process.env.TANDEM_ARTIFACTS ?? lab.tmp, "status-page.png");
    const shot = chromium([
      "--disable-javascript",
      "--window-size=1280,1400",
      `--screenshot=${png}`,
      "http://127.0.0.1:9664/",
    ]);
    assert.equal(shot.status, 0, shot.stderr.slice(-2000));
    assert.ok(existsSync(png), "no screenshot written");
    assert.deepEqual(
      [...readFileSync(png).subarray(0, 8)],
      [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
      "not a PNG",
    );
    const size = statSync(png).size;
    t.diagnostic(`status page screenshot: ${png} (${size} bytes)`);
    assert.ok(size > 20_000, `the screenshot is ${size} bytes: a blank page?`);
  } finally {
    killAll();
    process.off("exit", killAll);
    lab.cleanup();
  }
});
