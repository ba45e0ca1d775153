/**
 * Heartbeat's cable-pull acceptance topology (issue 12), shared by
 * test/e2e/cluster/ipfail.test.ts and the cable-pull trials of
 * `npm run bench:failover` (bench/failover-cable.ts): FailoverLab namespaces
 * (`<tag>-<pid>-*`): a (n1, 10.250.0.1), b (n2, .2) and the ping node p (.9)
 * on client c's bridge; the directors heartbeat over ucast on eth0 and over a
 * serial cable (socat pty pair) that stays up when eth0 is cut;
 * `respawn hacluster /usr/lib/heartbeat/ipfail`; haresources (crm off) with the
 * VIP and a script that exists only in CONFIG_DIR/resource.d, or (crm on) a
 * cib.xml whose location rule reads pingd; HTTP servers in a and b answer their
 * node name on port 80 (the VIP lands on whichever holds it); a client in c
 * fetches the VIP. stop() kills socat and everything the lab started (by pid)
 * and deletes the namespaces.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FailoverLab, ProbeLog, probeClientScript } from "../../../bench/failover-lab.js";
import type { NodeDirs } from "../daemon/lab.js";

export const VIP = "10.250.0.100";
export const PING = "10.250.0.9";
const AUTHKEYS = "auth 1\n1 sha1 ipfail-e2e-secret\n";
const NODE_IP = { n1: "10.250.0.1", n2: "10.250.0.2" } as const;
export const ROLE = { n1: "a", n2: "b" } as const;
export type Name = keyof typeof ROLE;

const script = (state: string) =>
  `#!/bin/sh\ncase "$1" in\nstart) echo started > ${state} ;;\nstop) rm -f ${state} ;;\nstatus) if [ -e ${state} ]; then echo running; else echo stopped; fi ;;\nesac\nexit 0\n`;

const server = (name: string) =>
  `require("node:http").createServer((q, s) => s.end(${JSON.stringify(name)})).listen(80, "0.0.0.0");`;

/** A CIB for crm on: the VIP prefers n1 (auto failback), banned where pingd is undefined or <= 0. */
const CIB = `<cib crm_feature_set="3.16.1" validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0">
  <configuration>
    <crm_config><cluster_property_set id="opts">
      <nvpair id="opts-stonith" name="stonith-enabled" value="false"/>
      <nvpair id="opts-quorum" name="no-quorum-policy" value="ignore"/>
    </cluster_property_set></crm_config>
    <nodes/>
    <resources>
      <primitive id="vip" class="ocf" provider="heartbeat" type="IPaddr2">
        <instance_attributes id="vip-ia">
          <nvpair id="vip-ia-ip" name="ip" value="${VIP}"/>
          <nvpair id="vip-ia-mask" name="cidr_netmask" value="24"/>
          <nvpair id="vip-ia-nic" name="nic" value="eth0"/>
        </instance_attributes>
        <operations><op id="vip-mon" name="monitor" interval="2s" timeout="20s"/></operations>
      </primitive>
    </resources>
    <constraints>
      <rsc_location id="prefer-n1" rsc="vip" node="n1" score="100"/>
      <rsc_location id="loc-connected" rsc="vip"><rule id="loc-connected-rule" score="-INFINITY" boolean-op="or"><expression id="loc-connected-e1" attribute="pingd" operation="not_defined"/><expression id="loc-connected-e2" attribute="pingd" operation="lte" value="0" type="number"/></rule></rsc_location>
    </constraints>
  </configuration>
  <status/>
</cib>
`;

export interface IpfailOptions {
  readonly crm: boolean;
  /** Namespace tag; default "tdi". */
  readonly tag?: string;
  /** ha.cf timing; defaults keepalive 200ms, deadtime 2, warntime 1, initdead 3, deadping 2. */
  readonly keepalive?: string;
  readonly deadtime?: string;
  readonly warntime?: string;
  readonly initdead?: string;
  readonly deadping?: string;
  /** The HTTP client: a new connection every `probeEveryMs` (default 50), timeout `probeTimeoutMs` (500). */
  readonly probeEveryMs?: number;
  readonly probeTimeoutMs?: number;
  /** The client exits by itself after this (default 170 s). */
  readonly maxRunMs?: number;
}

export interface IpfailSetup {
  readonly lab: FailoverLab;
  readonly dirs: Record<Name, NodeDirs>;
  readonly client: ProbeLog;
  readonly state: Record<Name, string>;
  /** When n1's hbd was spawned. */
  readonly startedAt: number;
  readonly on: (n: Name) => boolean;
  readonly holder: () => Name | "?";
  readonly tails: () => string;
  readonly stop: () => void;
}

/** Namespaces, serial cable, both nodes' configuration (hbd not started yet). */
async function build(o: IpfailOptions, lab: FailoverLab, track: (c: ChildProcess) => void) {
  lab.bridged(["a", "b"], "c");
  lab.attach("p", `${PING}/24`);
  const tty = { n1: join(lab.tmp, "ttyA"), n2: join(lab.tmp, "ttyB") };
  track(
    spawn("socat", [`pty,raw,echo=0,link=${tty.n1}`, `pty,raw,echo=0,link=${tty.n2}`], { stdio: "ignore" }),
  );
  if (!(await lab.waitFor(() => existsSync(tty.n1) && existsSync(tty.n2), 5000)))
    throw new Error("socat made no pty pair");
  const state: Record<Name, string> = { n1: "", n2: "" };
  const dirs = {} as Record<Name, NodeDirs>;
  for (const n of ["n1", "n2"] as const) {
    const peer: Name = n === "n1" ? "n2" : "n1";
    const hacf = `udpport 694\nucast eth0 ${NODE_IP[peer]}\nbaud 115200\nserial ${tty[n]}\nkeepalive ${o.keepalive ?? "200ms"}\ndeadtime ${o.deadtime ?? "2"}\nwarntime ${o.warntime ?? "1"}\ninitdead ${o.initdead ?? "3"}\ndeadping ${o.deadping ?? "2"}\nping ${PING}\nauto_failback on\nnode n1\nnode n2\ncrm ${o.crm ? "on" : "off"}\nrespawn hacluster /usr/lib/heartbeat/ipfail\n`;
    const d = lab.configureCrm(n, hacf, AUTHKEYS, o.crm ? "" : `n1 IPaddr2::${VIP}/24/eth0 web\n`);
    if (o.crm) writeFileSync(join(d.etc, "cib.xml"), CIB);
    mkdirSync(join(d.etc, "resource.d"), { recursive: true });
    state[n] = join(d.run, "web.state");
    writeFileSync(join(d.etc, "resource.d", "web"), script(state[n]));
    chmodSync(join(d.etc, "resource.d", "web"), 0o755);
    lab.spawnIn(ROLE[n], server(n));
    dirs[n] = d;
  }
  return { state, dirs };
}

/**
 * The topology of the file comment with hbd started on both and the client probing the VIP; resolves
 * once the VIP is on n1 (and, haresources, the script ran there) and n1 answered the client.
 * `beforeStart` runs once the configuration is written (e.g. `hbctl verify`).
 */
export async function ipfailSetUp(
  o: IpfailOptions,
  beforeStart?: (s: { lab: FailoverLab; dirs: Record<Name, NodeDirs> }) => void,
): Promise<IpfailSetup> {
  const lab = new FailoverLab(o.tag ?? "tdi");
  let socat: ChildProcess | undefined;
  const stop = () => {
    if (socat?.pid !== undefined && socat.exitCode === null) socat.kill("SIGKILL");
    lab.cleanup();
  };
  try {
    const { state, dirs } = await build(o, lab, (c) => {
      socat = c;
    });
    beforeStart?.({ lab, dirs });
    const startedAt = Date.now();
    for (const n of ["n1", "n2"] as const) lab.startHbd(ROLE[n], n, dirs[n]);
    const client = new ProbeLog(
      lab.spawnIn(
        "c",
        probeClientScript({
          host: VIP,
          port: 80,
          everyMs: o.probeEveryMs ?? 50,
          timeoutMs: o.probeTimeoutMs ?? 500,
          maxRunMs: o.maxRunMs ?? 170_000,
        }),
      ),
    );
    const on = (n: Name) => lab.hasAddress(ROLE[n], VIP);
    const holder = () => (on("n1") && !on("n2") ? "n1" : on("n2") && !on("n1") ? "n2" : "?");
    const tails = () => `--- n1\n${lab.log("n1").slice(-4000)}\n--- n2\n${lab.log("n2").slice(-4000)}`;
    if (!(await lab.waitFor(() => holder() === "n1" && (o.crm || existsSync(state.n1)), 30_000, 100)))
      throw new Error(`the VIP did not start on n1\n${tails()}`);
    if (!(await lab.waitFor(() => client.firstAnswer("n1", Date.now() - 500) !== undefined, 10_000, 50)))
      throw new Error("the client was not answered by n1");
    return { lab, dirs, client, state, startedAt, on, holder, tails, stop };
  } catch (e) {
    stop();
    throw e;
  }
}
