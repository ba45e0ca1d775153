/**
 * The full director topology for the cluster end-to-end tests (root only),
 * built on the failover benchmark's lab (bench/failover-lab.ts, tag `tdk`, so
 * namespaces are `tdk-<pid>-<n>-<role>`): a bridge in the client namespace `c`
 * (10.250.0.10), directors `a` (n1, 10.250.0.1) and `b` (n2, .2) running hbd,
 * real servers `rs1` (.3) and `rs2` (.4) answering HTTP on ports 80 and 8080
 * with their name (VIP on lo, arp_ignore: direct routing).
 *
 * Both hbd run `crm on` with a cib.xml converted from the haresources line
 *   n1 IPaddr2::VIP/24/eth0 lvs::tcp:VIP:8080=RS1,RS2::dr::eth0 ldirectord::ldirectord.cf
 * (monitors every `monitorMs`, optional migration-threshold), the director
 * being hb-director under resource.d/ldirectord: the group [VIP, lvs] plus the
 * warm director clone beside it (one hb-director per node, `--warm`, serving
 * only where the VIP is local; docs/ARCHITECTURE.md). The ldirectord primitive is
 * switched to the Heartbeat class so that each node's CONFIG_DIR/resource.d
 * wrapper is used: it gives the agent a per-node pid directory and
 * `--backend nft`: the shipped agent keeps ldirectord's /var/run/ldirectord.<cf>.pid
 * and hbd gives agents no per-node variable for it, so two nodes on one machine
 * would share the pid file and see each other's director as their own.
 *
 * Heartbeat media: ucast on eth0 (cut with an nft rule dropping UDP 694, so the
 * client network stays up) and optionally a serial cable (a socat pty pair).
 * cleanup() (finally and at exit) kills our hbd, helpers and directors by pid
 * and deletes the namespaces.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLIENT_IP, FailoverLab, ProbeLog, probeClientScript } from "../../../bench/failover-lab.js";
import type { Cib, Primitive, Resource } from "../../../src/cib/model.js";
import { serializeCib } from "../../../src/cib/serialize.js";
import { parseHaresources } from "../../../src/config/haresources.js";
import { shippedAgents } from "../../../src/config/read.js";
import { convertHaresources } from "../../../src/config/to-cib.js";
import type { StatusReport } from "../../../src/ipc/protocol.js";
import { repoRoot } from "../../helpers.js";
import type { NodeDirs } from "../daemon/lab.js";

export const VIP = "10.250.0.100";
export const NODES = ["n1", "n2"] as const;
export type NodeName = (typeof NODES)[number];
/** Namespace role of each director. */
export const ROLE: Readonly<Record<NodeName, string>> = { n1: "a", n2: "b" };
export const REALS = ["rs1", "rs2"] as const;
const REAL_IP: Readonly<Record<string, string>> = { rs1: "10.250.0.3", rs2: "10.250.0.4" };
const NODE_IP: Readonly<Record<NodeName, string>> = { n1: "10.250.0.1", n2: "10.250.0.2" };
const AUTHKEYS = "auth 1\n1 sha1 cluster-e2e-secret\n";
/** The marker of hb-director's command line (ldirectord agent: `node .../lvs/main.js`). */
const DIRECTOR_MARK = "lvs/main.js";

export interface ClusterOptions {
  readonly autoFailback?: "on" | "off";
  /** Add a serial medium (socat pty pair) next to ucast eth0. */
  readonly serial?: boolean;
  /** Interval of every recurring monitor (ms). Default 2000. */
  readonly monitorMs?: number;
  readonly migrationThreshold?: number;
  /** ha.cf timing; defaults keepalive 200ms, deadtime 2 (s), warntime 1, initdead 3. */
  readonly keepalive?: string;
  readonly deadtime?: string;
  readonly initdead?: string;
  /** ha.cf warntime; default 1 (s). */
  readonly warntime?: string;
  /** The probe client: a new connection every `probeEveryMs` (default 20), timeout `probeTimeoutMs` (default 1000). */
  readonly probeEveryMs?: number;
  readonly probeTimeoutMs?: number;
  /** A fallback server `fb` (10.250.0.5, DR, answering "fb") in ldirectord.cf: it serves when no real is up. */
  readonly fallback?: boolean;
  /**
   * The forwarding method of ldirectord.cf's reals: "gate" (DR, default) or "masq" (NAT: the reals
   * have no VIP and route the client's address via the VIP, so replies go back through the VIP
   * holder, which forwards; the directors get ip_forward=1 and send no redirects).
   */
  readonly method?: "gate" | "masq";
}

/** The real server: GET /health answers ok, anything else its name. */
const serverScript = (name: string) => `const http = require("node:http");
for (const port of [80, 8080]) http.createServer((q, s) => s.end(q.url === "/health" ? "ok" : ${JSON.stringify(name)})).listen(port, "0.0.0.0");`;

/** The fallback server of ClusterOptions.fallback. */
export const FALLBACK = "fb";
const FALLBACK_IP = "10.250.0.5";

const ldirectordCf = (o: ClusterOptions): string => {
  const cf = o.method === "masq" ? LDIRECTORD_CF.replaceAll(":80 gate 1", ":80 masq 1") : LDIRECTORD_CF;
  return o.fallback ? cf.replace("\tservice=http", `\tfallback=${FALLBACK_IP}:80 gate\n\tservice=http`) : cf;
};

const LDIRECTORD_CF = `checkinterval=1\nnegotiatetimeout=1\nfailurecount=1\nquiescent=no\nautoreload=no\nvirtual=${VIP}:80\n\treal=${REAL_IP.rs1}:80 gate 1\n\treal=${REAL_IP.rs2}:80 gate 1\n\tservice=http\n\trequest="/health"\n\treceive="ok"\n\tscheduler=rr\n\tprotocol=tcp\n\tchecktype=negotiate\n`;

export const HARESOURCES = `n1 IPaddr2::${VIP}/24/eth0 lvs::tcp:${VIP}:8080=${REAL_IP.rs1},${REAL_IP.rs2}::dr::eth0 ldirectord::ldirectord.cf\n`;

/** The haresources group converted to a CIB, with fast monitors, ldirectord as a Heartbeat-class agent. */
export function clusterCib(o: ClusterOptions): Cib {
  const groups = parseHaresources(HARESOURCES, "haresources", { nodes: [...NODES] });
  if (groups.value === undefined || groups.diagnostics.some((d) => d.severity === "error"))
    throw new Error(`haresources: ${JSON.stringify(groups.diagnostics)}`);
  const cib = convertHaresources(groups.value, {
    autoFailback: o.autoFailback ?? "on",
    nodes: [...NODES],
    agents: { target: "tandem", shipped: shippedAgents(), inResourceD: () => false }, // Tandem's IPaddr2
  });
  const ms = o.monitorMs ?? 2000;
  const tune = (p: Primitive): Primitive => {
    const operations = p.operations.map((op) =>
      op.name === "monitor"
        ? { ...op, id: `${p.id}-monitor-${ms}ms`, interval: `${ms}ms`, intervalMs: ms }
        : op,
    );
    if (p.type !== "ldirectord") return { ...p, operations };
    const cf = p.instanceAttributes.flatMap((s) => s.nvpairs).find((n) => n.name === "configfile")?.value;
    const { provider: _provider, ...rest } = p;
    return {
      ...rest,
      class: "heartbeat",
      operations,
      instanceAttributes: [
        {
          kind: "instance_attributes",
          id: `${p.id}-instance_attributes`,
          nvpairs: [{ id: `${p.id}-instance_attributes-p1`, name: "1", value: cf ?? "ldirectord.cf" }],
        },
      ],
    };
  };
  const resources: Resource[] = cib.configuration.resources.map((r) =>
    r.kind === "primitive"
      ? tune(r)
      : r.kind === "group"
        ? { ...r, members: r.members.map(tune) }
        : r.child.kind === "primitive"
          ? { ...r, child: tune(r.child) }
          : r,
  );
  const threshold = o.migrationThreshold;
  const rscDefaults =
    threshold === undefined
      ? cib.configuration.rscDefaults
      : cib.configuration.rscDefaults.map((s, i) =>
          i === 0
            ? {
                ...s,
                nvpairs: [
                  ...s.nvpairs,
                  {
                    id: `${s.id}-migration-threshold`,
                    name: "migration-threshold",
                    value: String(threshold),
                  },
                ],
              }
            : s,
        );
  return { ...cib, configuration: { ...cib.configuration, resources, rscDefaults } };
}

export class ClusterLab extends FailoverLab {
  readonly dirs = new Map<NodeName, NodeDirs>();
  private socat: ChildProcess | undefined;
  private probeLog: ProbeLog | undefined;
  readonly ttys = { n1: "", n2: "" };

  constructor(readonly opts: ClusterOptions = {}) {
    super("tdk");
  }

  /** The probe client's log (started by start()). */
  get client(): ProbeLog {
    if (this.probeLog === undefined) throw new Error("start() first");
    return this.probeLog;
  }

  /** Namespaces, real servers, the serial cable, both nodes' configuration; then hbd on both and the client. */
  start(): void {
    this.bridged(["a", "b"], "c");
    for (const rs of REALS) {
      if (this.opts.method === "masq") {
        this.attach(rs, `${REAL_IP[rs]}/24`);
        this.exec(rs, "ip", "route", "add", `${CLIENT_IP}/32`, "via", VIP);
      } else this.attachDrReal(rs, `${REAL_IP[rs]}/24`, VIP);
      this.spawnIn(rs, serverScript(rs));
    }
    if (this.opts.method === "masq")
      for (const node of NODES)
        this.exec(
          ROLE[node],
          "sysctl",
          "-qw",
          "net.ipv4.ip_forward=1",
          "net.ipv4.conf.all.send_redirects=0",
          "net.ipv4.conf.eth0.send_redirects=0",
        );
    if (this.opts.fallback) {
      this.attachDrReal(FALLBACK, `${FALLBACK_IP}/24`, VIP);
      this.spawnIn(FALLBACK, serverScript(FALLBACK));
    }
    if (this.opts.serial) {
      this.ttys.n1 = join(this.tmp, "ttyA");
      this.ttys.n2 = join(this.tmp, "ttyB");
      this.socat = spawn(
        "socat",
        [`pty,raw,echo=0,link=${this.ttys.n1}`, `pty,raw,echo=0,link=${this.ttys.n2}`],
        {
          stdio: "ignore",
        },
      );
      this.helpers.push(this.socat);
      for (let i = 0; i < 50 && !(existsSync(this.ttys.n1) && existsSync(this.ttys.n2)); i++)
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
      if (!existsSync(this.ttys.n1) || !existsSync(this.ttys.n2)) throw new Error("socat made no pty pair");
    }
    const xml = serializeCib(clusterCib(this.opts));
    for (const node of NODES) {
      const peer = NODES.find((n) => n !== node) ?? "n1";
      const d = this.configureCrm(node, this.hacf(node, peer), AUTHKEYS, HARESOURCES);
      writeFileSync(join(d.etc, "cib.xml"), xml);
      writeFileSync(join(d.etc, "ldirectord.cf"), ldirectordCf(this.opts));
      mkdirSync(join(d.etc, "resource.d"), { recursive: true });
      const wrapper = join(d.etc, "resource.d", "ldirectord");
      writeFileSync(
        wrapper,
        `#!/bin/sh\n# this node's director: its own pid directory, the nftables backend, warm (the clone's warm=true)\nLDIRECTORD_PIDDIR=${d.run} HB_DIRECTOR_ARGS="--backend nft" OCF_RESKEY_warm=true exec ${join(repoRoot, "resource.d", "ldirectord")} "$@"\n`,
      );
      chmodSync(wrapper, 0o755);
      this.adoptPidFile(this.directorPidFile(node), DIRECTOR_MARK);
      this.dirs.set(node, d);
    }
    for (const node of NODES) this.startNode(node);
    this.probeLog = new ProbeLog(
      this.spawnIn(
        "c",
        probeClientScript({
          host: VIP,
          port: 80,
          everyMs: this.opts.probeEveryMs ?? 20,
          timeoutMs: this.opts.probeTimeoutMs ?? 1000,
          maxRunMs: 1_800_000,
        }),
      ),
    );
  }

  private hacf(node: NodeName, peer: NodeName): string {
    const o = this.opts;
    const serial = o.serial ? `baud 115200\nserial ${this.ttys[node]}\n` : "";
    return `udpport 694\nucast eth0 ${NODE_IP[peer]}\n${serial}keepalive ${o.keepalive ?? "200ms"}\ndeadtime ${o.deadtime ?? "2"}\nwarntime ${o.warntime ?? "1"}\ninitdead ${o.initdead ?? "3"}\nauto_failback ${o.autoFailback ?? "on"}\nnode n1\nnode n2\ncrm on\n`;
  }

  node(node: NodeName): NodeDirs {
    const d = this.dirs.get(node);
    if (d === undefined) throw new Error(`no node ${node}`);
    return d;
  }

  /** (Re)starts hbd of `node` in its namespace. */
  startNode(node: NodeName): ChildProcess {
    return this.startHbd(ROLE[node], node, this.node(node));
  }

  directorPidFile(node: NodeName): string {
    return join(this.tmp, node, "run", "ldirectord.ldirectord.cf.pid");
  }

  /** The pid of `node`'s running hb-director, or undefined. */
  directorPid(node: NodeName): number | undefined {
    try {
      const pid = Number(readFileSync(this.directorPidFile(node), "utf8").trim());
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(DIRECTOR_MARK) ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /** SIGKILLs `node`'s hb-director (a monitor failure, or part of a power loss); true when one was killed. */
  killDirector(node: NodeName): boolean {
    return this.killPidFile(this.directorPidFile(node), DIRECTOR_MARK);
  }

  /** Whether `node` holds the VIP on eth0. */
  vipOn(node: NodeName): boolean {
    return this.hasAddress(ROLE[node], VIP);
  }

  /** Which directors hold the VIP now. */
  vipHolders(): NodeName[] {
    return NODES.filter((n) => this.vipOn(n));
  }

  status(node: NodeName): StatusReport | undefined {
    const r = this.hbctl(["status", "--json", "--socket", this.node(node).sock]);
    if (r.code !== 0) return undefined;
    try {
      return JSON.parse(r.out) as StatusReport;
    } catch {
      return undefined;
    }
  }

  /** `hbctl ARGS --socket <node's socket>`. */
  ctl(node: NodeName, ...args: string[]): { out: string; err: string; code: number } {
    return this.hbctl([...args, "--socket", this.node(node).sock]);
  }

  /** Where the group's every member [VIP, lvs] runs as `node`'s status says (one node name), else undefined. */
  groupOn(node: NodeName, report = this.status(node)): string | undefined {
    const rs = (report?.crm?.resources ?? []).filter((r) => r.group !== undefined);
    if (rs.length !== 2) return undefined;
    const where = new Set(rs.map((r) => r.running.join(",")));
    return where.size === 1 ? [...where][0] : undefined;
  }

  /**
   * The group runs entirely on `node` (VIP there only, a director running there, both status views
   * agree, DC idle). The other node's warm director may run or not (not in standby).
   */
  settledOn(node: NodeName): boolean {
    const other = NODES.find((n) => n !== node) ?? "n1";
    if (!this.vipOn(node) || this.vipOn(other)) return false;
    if (this.directorPid(node) === undefined) return false;
    return NODES.every((n) => {
      const report = this.status(n);
      return report?.crm?.busy === false && this.groupOn(n, report) === node;
    });
  }

  /**
   * Waits (bounded) until the group runs entirely on `node` and then until both real servers have
   * answered the client through the VIP; throws with both logs otherwise. (hbctl calls block the test's
   * event loop, so the client's answers are only looked at once the cluster is settled.)
   */
  async settle(node: NodeName, maxMs: number): Promise<void> {
    if (!(await this.waitFor(() => this.settledOn(node), maxMs, 250)))
      throw new Error(
        `the group did not settle on ${node}\n${JSON.stringify(this.status("n2")?.crm)}\n${this.tails()}`,
      );
    const t = Date.now();
    if (!(await this.waitFor(() => this.bothRealsAnswered(t), 10_000, 50)))
      throw new Error(
        `the client was not answered by both reals: ${JSON.stringify(tally(this, t, Date.now()))}`,
      );
  }

  /** Waits (15 s) for `node` to run its warm director; returns its pid. */
  async warmDirector(node: NodeName): Promise<number> {
    if (!(await this.waitFor(() => this.directorPid(node) !== undefined, 15_000, 100)))
      throw new Error(`${node} runs no warm director\n${this.tails()}`);
    return this.directorPid(node) as number;
  }

  /**
   * Power loss of `lost`; waits (30 s) until `survivor` holds the VIP and the group, then (10 s) until
   * both reals answered through it. Returns when the survivor took over.
   */
  async powerLossTakeover(lost: NodeName, survivor: NodeName): Promise<number> {
    this.powerLoss(lost);
    // (settle() would wait for the VIP to leave the lost node's namespace: a dead node keeps its address)
    if (!(await this.waitFor(() => this.vipOn(survivor) && this.groupOn(survivor) === survivor, 30_000, 250)))
      throw new Error(`${survivor} did not take over\n${this.tails()}`);
    const took = Date.now();
    if (!(await this.waitFor(() => this.bothRealsAnswered(took), 10_000, 50)))
      throw new Error("no real answered after the takeover");
    return took;
  }

  /** Both real servers answered the client through the VIP after `t`. */
  bothRealsAnswered(t: number): boolean {
    return REALS.every((rs) => this.client.firstAnswer(rs, t) !== undefined);
  }

  /** Drops heartbeat packets (UDP 694) arriving on eth0 of both directors: the ucast medium is cut, the LAN stays. */
  cutUcast(): void {
    for (const node of NODES)
      execFileSync("ip", ["netns", "exec", this.ns(ROLE[node]), "nft", "-f", "-"], {
        input:
          "table inet tdk_cut {\n chain in { type filter hook input priority -10; policy accept; udp dport 694 drop; }\n}\n",
        timeout: 10_000,
      });
  }

  /** Undoes cutUcast() on `nodes` (default both, one after the other). */
  healUcast(nodes: readonly NodeName[] = NODES): void {
    for (const node of nodes) this.exec(ROLE[node], "nft", "delete", "table", "inet", "tdk_cut");
  }

  /** Pulls the serial cable (kills socat). */
  cutSerial(): void {
    const s = this.socat;
    if (s?.pid !== undefined && s.exitCode === null && s.signalCode === null) s.kill("SIGKILL");
  }

  /** Power loss of `node`: hbd and its director SIGKILLed, its links down. */
  powerLoss(node: NodeName): void {
    this.kill(node, "SIGKILL");
    this.killDirector(node);
    this.exec(ROLE[node], "ip", "link", "set", "eth0", "down");
    if (this.opts.serial) this.cutSerial();
  }

  /**
   * Power loss of `node` at a known time for the benchmark: its eth0 goes down through the namespace's
   * pre-started `ip -batch` (within a few ms), hbd and its director are SIGKILLed at once. Resolves with
   * the time of the call (`lostAt`) and the time ip confirmed the link down (`downAt`). Call
   * `linkSwitch(ROLE[node])` beforehand so that the switch is already running.
   */
  async powerCut(node: NodeName): Promise<{ lostAt: number; downAt: number }> {
    const lostAt = Date.now();
    const down = this.linkDown(ROLE[node]);
    this.kill(node, "SIGKILL");
    this.killDirector(node);
    if (this.opts.serial) this.cutSerial();
    return { lostAt, downAt: await down };
  }

  /**
   * Also kills, by pid, every process whose command line names this lab's temporary directory (a
   * director or an agent an hbd started just before it was killed: the pid-file pass of the base
   * cleanup cannot see a director that comes up afterwards, which then outlived the test), once at
   * once and once 300 ms later.
   */
  override cleanup(): void {
    const tmp = this.tmp;
    super.cleanup();
    for (const pass of [0, 1]) {
      if (pass) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
      for (const pid of processesNaming(tmp)) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // gone
        }
      }
    }
  }

  /** The last lines of both hbd logs, for failure messages. */
  tails(chars = 5000): string {
    return NODES.map((n) => `--- ${n}\n${this.log(n).slice(-chars)}`).join("\n");
  }
}

/** Pids (not this process) whose /proc command line contains `text`. */
function processesNaming(text: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync("/proc")) {
    const pid = Number(e);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(text)) out.push(pid);
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

/** "rs1=12 rs2=11 -=0": the client's answers in [from, to). */
export function tally(lab: ClusterLab, from: number, to: number): Record<string, number> {
  return Object.fromEntries(lab.client.counts(from, to));
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
