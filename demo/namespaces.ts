/**
 * The demo as root: a real two-director LVS-DR cluster in network namespaces
 * named `tdemo-<pid>-<n>-<role>` (bench/failover-lab.ts), all on one bridge
 * 10.250.0.0/24 held by the client namespace:
 *
 *   c   client 10.250.0.10 (br0): a new HTTP connection to VIP:80 every 20 ms
 *   a   director n1 10.250.0.1     b   director n2 10.250.0.2
 *   rs1 real server 10.250.0.21    rs2 real server 10.250.0.22 (VIP on lo, DR)
 *
 * haresources `n1 ldirectord-demo::ldirectord.cf IPaddr2::VIP/24/eth0`: the
 * active director runs hb-director (Tandem's ldirectord, nftables DR, wrr over
 * both reals, connect checks) through resource.d/ldirectord, then takes the VIP
 * (director first, so the VIP never answers without forwarding); hb-director
 * picks nftables (no IPVS here) and eth0, the route to the reals. See AGENT
 * for why the agent is wrapped. Timing: TIMING below.
 */
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FailoverLab, ProbeLog, probeClientScript } from "../bench/failover-lab.js";
import type { NodeDirs } from "../test/e2e/daemon/lab.js";
import {
  hbctlOk,
  ROOT,
  resourcesOn,
  StepError,
  type Steps,
  showStatus,
  since,
  sleep,
  statusOf,
} from "./common.js";

const VIP = "10.250.0.100";
const REALS = [
  { role: "rs1", ip: "10.250.0.21" },
  { role: "rs2", ip: "10.250.0.22" },
] as const;
const PROBE_EVERY_MS = 20;
const PROBE_TIMEOUT_MS = 250;
/** Helpers exit by themselves after this, even if the demo is SIGKILLed. */
const HELPER_MAX_MS = 10 * 60 * 1000;
/**
 * keepalive 50ms / deadtime 300ms: the benchmark's 20ms / 100ms saw a spurious death here while
 * the agents start node processes on a loaded two-core machine; the director's start (about 1 s)
 * dominates the failover anyway.
 */
const TIMING = { keepalive: "50ms", deadtime: "300ms", warntime: "150ms" };
const HACF = (peer: string) =>
  `udpport 694\nucast eth0 ${peer}\nkeepalive ${TIMING.keepalive}\ndeadtime ${TIMING.deadtime}\nwarntime ${TIMING.warntime}\ninitdead 1\nauto_failback on\nnode n1\nnode n2\ncrm off\n`;
/**
 * The director's resource: `ldirectord-demo`, a site-local Heartbeat agent in each node's
 * CONFIG_DIR/resource.d (searched before the shipped agents) that runs the shipped
 * resource.d/ldirectord with LDIRECTORD_PIDDIR set to the node's run dir. Two nodes on one
 * machine would otherwise share /var/run/ldirectord.<cf>.pid (hbd gives agents a fixed
 * environment), and each would take the other's director for its own.
 */
const AGENT = "ldirectord-demo";
const CF = "ldirectord.cf";
const PID_FILE = `ldirectord.${CF}.pid`;
const HARESOURCES = `n1 ${AGENT}::${CF} IPaddr2::${VIP}/24/eth0\n`;
const LDIRECTORD_CF = `checktimeout=1
checkinterval=1
quiescent=no
virtual=${VIP}:80
${REALS.map((r) => `\treal=${r.ip}:80 gate 1`).join("\n")}
\tservice=http
\tscheduler=wrr
\tprotocol=tcp
\tchecktype=connect
`;

const realServer = (name: string) =>
  `require("node:http").createServer((q, s) => s.end(${JSON.stringify(`${name}\n`)})).listen(80, "0.0.0.0");` +
  `setTimeout(() => process.exit(0), ${HELPER_MAX_MS});`;

/** Per-node configuration: ha.cf, authkeys, haresources, ldirectord.cf and the agent wrapper. */
function configure(lab: FailoverLab, node: string, peerIp: string): NodeDirs {
  const d = lab.configureCrm(node, HACF(peerIp), `auth 1\n1 sha256 demo-${process.pid}\n`, HARESOURCES);
  writeFileSync(join(d.etc, CF), LDIRECTORD_CF);
  mkdirSync(join(d.etc, "resource.d"), { recursive: true });
  const wrapper = join(d.etc, "resource.d", AGENT);
  writeFileSync(
    wrapper,
    `#!/bin/sh\n# resource.d/ldirectord with a pid directory of this node's own\nLDIRECTORD_PIDDIR=${d.run} exec ${join(ROOT, "resource.d", "ldirectord")} "$@"\n`,
  );
  chmodSync(wrapper, 0o755);
  lab.adoptPidFile(join(d.run, PID_FILE), "lvs/main.js");
  return d;
}

/** The namespace demo's steps. */
export async function namespaceDemo(steps: Steps, onCleanup: (fn: () => void) => void): Promise<void> {
  const lab = new FailoverLab("tdemo");
  onCleanup(() => lab.cleanup());
  let client: ProbeLog | undefined;
  let d1: NodeDirs | undefined;
  let d2: NodeDirs | undefined;
  let n1Lost = false;
  const t0 = Date.now();
  const holder = (): string => {
    const a = !n1Lost && lab.hasAddress("a", VIP);
    const b = lab.hasAddress("b", VIP);
    return a && b ? "n1+n2!" : a ? "n1" : b ? "n2" : "none";
  };
  const logs = () =>
    ["n1", "n2"]
      .map((n) => {
        const lines = lab
          .log(n)
          .split("\n")
          .filter((l) => !/"event":"(stall|event-loop-lag|late-heartbeat)"/.test(l));
        return `--- ${n}\n${lines.slice(-15).join("\n")}`;
      })
      .join("\n");

  // one line per second: answers per real server and failures in that second, VIP holder
  let ticker: NodeJS.Timeout | undefined;
  const startTicker = () => {
    let from = Date.now();
    ticker = setInterval(() => {
      const to = Date.now();
      const k = client?.counts(from, to) ?? new Map<string, number>();
      from = to;
      const per = REALS.map((r) => `${r.role} ${String(k.get(r.role) ?? 0).padStart(3)}`).join("  ");
      console.log(
        `   [${since(t0)}] ${per}  failed ${String(k.get("-") ?? 0).padStart(3)}   VIP on ${holder()}`,
      );
    }, 1000);
  };
  onCleanup(() => clearInterval(ticker));

  /** Waits until the VIP is on `node` only, its director forwards, and both reals answer; bounded. */
  const servedBy = async (node: "n1" | "n2", sock: string, maxMs: number): Promise<void> => {
    const end = Date.now() + maxMs;
    while (Date.now() < end) {
      const t = Date.now();
      if (holder() === node && resourcesOn(statusOf(sock)) === node) {
        await sleep(600);
        const k = client?.counts(t, Date.now());
        if (REALS.every((r) => (k?.get(r.role) ?? 0) > 0) && (k?.get("-") ?? 0) === 0) return;
      } else await sleep(100);
    }
    throw new StepError(`the VIP was not served through ${node} within ${maxMs / 1000} s\n${logs()}`);
  };
  /** What the cluster did after `at`, from the hbd logs: deaths and resource operations, as offsets. */
  const timeline = (at: number): void => {
    const events: { t: number; text: string }[] = [];
    for (const n of ["n1", "n2"])
      for (const line of lab.log(n).split("\n")) {
        if (!line.includes('"event":"node-status"') && !line.includes('"event":"op-result"')) continue;
        try {
          const e = JSON.parse(line) as Record<string, unknown>;
          const t = Date.parse(String(e.time));
          if (!(t >= at) || String(e.msg).includes("for DC") || e.recurring === true) continue;
          if (e.event === "node-status" && e.status === "dead")
            events.push({ t, text: `${n} declares ${String(e.peer)} dead` });
          else if (e.event === "op-result" && (e.op === "start" || e.op === "stop"))
            events.push({ t, text: `${String(e.msg)} (took ${String(e.ms)} ms)` });
        } catch {
          // not a JSON line
        }
      }
    for (const e of events.sort((x, y) => x.t - y.t))
      console.log(`     +${String(e.t - at).padStart(5)} ms  ${e.text}`);
  };
  /** Longest gap between successful requests around an event at `at`, and the failures. */
  const interruption = async (at: number): Promise<string> => {
    await sleep(PROBE_TIMEOUT_MS + 200); // probes in flight finish
    const c = client!;
    return `longest interruption ${c.longestGap(at - 500, Date.now())} ms, ${c.failed(at, Date.now())} failed requests`;
  };

  await steps.run("build the lab: client, two directors, two real servers (namespaces tdemo-*)", () => {
    lab.bridged(["a", "b"], "c");
    for (const r of REALS) {
      lab.attachDrReal(r.role, `${r.ip}/24`, VIP);
      lab.spawnIn(r.role, realServer(r.role));
    }
    d1 = configure(lab, "n1", "10.250.0.2");
    d2 = configure(lab, "n2", "10.250.0.1");
    console.log(
      `   namespaces ${lab.ns("*")}; VIP ${VIP}:80; reals ${REALS.map((r) => r.ip).join(", ")} (DR)`,
    );
    console.log(
      `   haresources: ${HARESOURCES.trim()}; keepalive ${TIMING.keepalive}, deadtime ${TIMING.deadtime}`,
    );
  });

  await steps.run("start hbd on both directors and the client loop", async () => {
    if (d1 === undefined || d2 === undefined) throw new StepError("no lab");
    client = new ProbeLog(
      lab.spawnIn(
        "c",
        probeClientScript({
          host: VIP,
          port: 80,
          everyMs: PROBE_EVERY_MS,
          timeoutMs: PROBE_TIMEOUT_MS,
          maxRunMs: HELPER_MAX_MS,
        }),
      ),
    );
    lab.startHbd("a", "n1", d1);
    lab.startHbd("b", "n2", d2);
    startTicker();
    await servedBy("n1", d2.sock, 30_000);
    console.log(`   VIP served through n1 (both real servers answer) after ${since(t0).trim()}`);
    showStatus("n1", d1.sock);
  });

  await steps.run("hbctl standby n1: a planned move of VIP and director to n2", async () => {
    if (d1 === undefined || d2 === undefined) throw new StepError("no cluster");
    const at = Date.now();
    hbctlOk(["standby", "n1"], d1.sock);
    await servedBy("n2", d2.sock, 15_000);
    console.log(`   moved to n2: ${await interruption(at)}; from the hbd logs:`);
    timeline(at);
    showStatus("n2", d2.sock);
  });

  await steps.run("hbctl online n1: auto_failback moves everything home", async () => {
    if (d1 === undefined || d2 === undefined) throw new StepError("no cluster");
    const at = Date.now();
    hbctlOk(["online", "n1"], d2.sock);
    await servedBy("n1", d2.sock, 15_000);
    console.log(`   back on n1: ${await interruption(at)}; from the hbd logs:`);
    timeline(at);
  });

  await steps.run("power loss of n1: hbd and hb-director killed, eth0 down", async () => {
    if (d1 === undefined || d2 === undefined) throw new StepError("no cluster");
    await sleep(500 + Math.random() * 100);
    const at = Date.now();
    lab.kill("n1", "SIGKILL");
    lab.killPidFile(join(d1.run, PID_FILE), "lvs/main.js");
    lab.exec("a", "ip", "link", "set", "eth0", "down");
    n1Lost = true;
    console.log("   n1 is gone");
    await servedBy("n2", d2.sock, 15_000);
    console.log(`   failover to n2: ${await interruption(at)}; from the hbd logs:`);
    timeline(at);
    const peer = statusOf(d2.sock)?.nodes.find((n) => n.name === "n1");
    if (peer?.status !== "dead") throw new StepError(`n2 does not report n1 dead (${peer?.status})`);
    showStatus("n2", d2.sock);
  });
  clearInterval(ticker);
  const k = client?.counts(t0, Date.now());
  console.log(
    `\n   client total: ${REALS.map((r) => `${r.role} ${k?.get(r.role) ?? 0}`).join(", ")}, failed ${k?.get("-") ?? 0}`,
  );
}
