/**
 * Namespace lab for the director's end-to-end tests (root only). Everything
 * lives in namespaces named `tdl-<pid>-<n>-<role>` joined by a bridge inside
 * the `sw` namespace; nothing touches the host's interfaces and no route
 * leaves the namespaces. cleanup() (also on process exit) kills only the
 * processes the lab started, by pid, and deletes its namespaces and temp dir.
 *
 * Layout (like shared/reference/lvs-nftables-lab.md): client .100/25, director
 * .2/25 + .129/25 with the VIP .10/32, real servers .131.. /25 whose default
 * route is the director (NAT), each running a node:http server.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseNftJson } from "../../../src/lvs/backends/nft.js";
import type { Table } from "../../../src/lvs/model.js";

let counter = 0;

export const NET = "10.77.0";
export const VIP = `${NET}.10`;

/** A node:http real server: GET / answers its name (keep-alive), /health answers ok (503 "sick" after SIGUSR1, ok again after SIGUSR2). */
const SERVER = `const http = require("http"); const [name, port] = process.argv.slice(2); let sick = false;
process.on("SIGUSR1", () => (sick = true)); process.on("SIGUSR2", () => (sick = false));
const s = http.createServer((req, res) => { if (req.url === "/health") { res.writeHead(sick ? 503 : 200); res.end(sick ? "sick" : "ok"); return; } res.end(name); });
s.keepAliveTimeout = 60000; s.listen(+port, () => console.log("ready"));`;

/**
 * The client: "new IP PORT N" makes N sequential new connections; "loop IP PORT MS"
 * new connections for MS ms; "ka IP PORT MS" one keep-alive connection with a GET every 50 ms.
 * Prints JSON {names: {name: count}, errors, order?, sockets}.
 */
const CLIENT = `const http = require("http"); const [mode, ip, port, arg, lport] = process.argv.slice(2);
const out = { names: {}, errors: 0, order: [], sockets: 0, errorText: [] };
const agent = mode === "ka" ? new http.Agent({ keepAlive: true, maxSockets: 1 }) : undefined;
function get(i) { return new Promise((res) => { const r = http.get({ host: ip, port: +port, ...(lport ? { localPort: +lport + i } : {}), path: "/", agent: agent ?? false, timeout: 1500, headers: agent ? {} : { connection: "close" } }, (rs) => { let d = ""; rs.on("data", (b) => (d += b)); rs.on("end", () => res(d)); });
  r.on("socket", (s) => { if (!s._seen) { s._seen = true; out.sockets++; } }); r.on("timeout", () => r.destroy(new Error("timeout"))); r.on("error", (e) => res("error:" + (e.code || e.message))); }); }
(async () => { const end = Date.now() + (mode === "new" ? 1e9 : +arg); const n = mode === "new" ? +arg : 1e9;
  for (let i = 0; i < n && Date.now() < end; i++) { const name = await get(i); if (name.startsWith("error:")) { out.errors++; out.errorText.push(name); } else out.names[name] = (out.names[name] || 0) + 1; out.order.push(name); if (mode === "ka") await new Promise((r) => setTimeout(r, 50)); }
  console.log(JSON.stringify(out)); agent?.destroy(); })();`;

export interface ClientResult {
  names: Record<string, number>;
  errors: number;
  order: string[];
  sockets: number;
  errorText: string[];
}

export class LvsLab {
  readonly prefix = `tdl-${process.pid}-${++counter}`;
  readonly tmp: string;
  private readonly namespaces: string[] = [];
  private readonly children: ChildProcess[] = [];
  readonly servers = new Map<string, ChildProcess>();
  private readonly onExit = (): void => this.cleanup();

  constructor() {
    this.tmp = mkdtempSync(join(tmpdir(), `${this.prefix}-`));
    writeFileSync(join(this.tmp, "srv.cjs"), SERVER);
    writeFileSync(join(this.tmp, "cl.cjs"), CLIENT);
    process.on("exit", this.onExit);
  }

  ns(role: string): string {
    return `${this.prefix}-${role}`;
  }

  run(role: string, ...cmd: string[]): string {
    return execFileSync("ip", ["netns", "exec", this.ns(role), ...cmd], {
      encoding: "utf8",
      timeout: 15_000,
      stdio: ["ignore", "pipe", "pipe"],
    });
  }

  private addNs(role: string): void {
    execFileSync("ip", ["netns", "add", this.ns(role)]);
    this.namespaces.push(this.ns(role));
    this.run(role, "ip", "link", "set", "lo", "up");
  }

  /** Bridge + client + director + real servers rs1..rsN (NAT routing: reals route back through the director). */
  build(reals: number): void {
    this.addNs("sw");
    this.run("sw", "ip", "link", "add", "br0", "type", "bridge");
    this.run("sw", "ip", "link", "set", "br0", "up");
    const hosts: [string, string[]][] = [
      ["cl", [`${NET}.100/25`]],
      ["dir", [`${NET}.2/25`, `${NET}.129/25`, `${VIP}/32`]],
      ...Array.from({ length: reals }, (_, i): [string, string[]] => [
        `rs${i + 1}`,
        [`${NET}.${131 + i}/25`],
      ]),
    ];
    hosts.forEach(([role, addrs], i) => {
      this.addNs(role);
      this.run(
        "sw",
        "ip",
        "link",
        "add",
        `p${i}`,
        "type",
        "veth",
        "peer",
        "name",
        "eth0",
        "netns",
        this.ns(role),
      );
      this.run("sw", "ip", "link", "set", `p${i}`, "master", "br0", "up");
      this.run(role, "ip", "link", "set", "eth0", "up");
      for (const a of addrs) this.run(role, "ip", "addr", "add", a, "dev", "eth0");
    });
    this.run("cl", "ip", "route", "add", `${NET}.128/25`, "via", `${NET}.2`);
    for (let i = 1; i <= reals; i++) this.run(`rs${i}`, "ip", "route", "add", "default", "via", `${NET}.129`);
    this.run(
      "dir",
      "sysctl",
      "-qw",
      "net.ipv4.ip_forward=1",
      "net.ipv4.conf.all.send_redirects=0",
      "net.ipv4.conf.eth0.send_redirects=0",
    );
  }

  spawnIn(role: string, cmd: string[], opts: { stdio?: "pipe" | "ignore" } = {}): ChildProcess {
    const c = spawn("ip", ["netns", "exec", this.ns(role), ...cmd], {
      stdio: ["ignore", opts.stdio ?? "pipe", "pipe"],
    });
    this.children.push(c);
    return c;
  }

  /** Starts the named http server in a namespace; resolves once it listens. */
  async server(role: string, name: string, port: number): Promise<ChildProcess> {
    const c = this.spawnIn(role, [process.execPath, join(this.tmp, "srv.cjs"), name, String(port)]);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`server ${name} did not start`)), 5000);
      c.stdout?.once("data", () => {
        clearTimeout(t);
        resolve();
      });
    });
    this.servers.set(name, c);
    return c;
  }

  /** Sends a signal to a server started by this lab (its node process is the child of `ip netns exec`, which execs). */
  signal(name: string, sig: NodeJS.Signals): void {
    const c = this.servers.get(name);
    if (c?.pid) process.kill(c.pid, sig);
  }

  /**
   * Runs the client to completion (synchronously). With `firstLocalPort`, connection i uses
   * client port firstLocalPort + i (otherwise the kernel picks ephemeral ports).
   */
  client(mode: "new" | "loop" | "ka", port: number, arg: number, firstLocalPort?: number): ClientResult {
    const extra = firstLocalPort === undefined ? [] : [String(firstLocalPort)];
    return JSON.parse(
      this.run(
        "cl",
        process.execPath,
        join(this.tmp, "cl.cjs"),
        mode,
        VIP,
        String(port),
        String(arg),
        ...extra,
      ),
    ) as ClientResult;
  }

  /** Starts the client in the background; resolves with its result when it ends. */
  clientBg(mode: "loop" | "ka", port: number, ms: number): Promise<ClientResult> {
    const c = this.spawnIn("cl", [
      process.execPath,
      join(this.tmp, "cl.cjs"),
      mode,
      VIP,
      String(port),
      String(ms),
    ]);
    let out = "";
    c.stdout?.on("data", (b: Buffer) => (out += b.toString()));
    return new Promise((resolve, reject) => {
      c.on("close", () => {
        try {
          resolve(JSON.parse(out) as ClientResult);
        } catch (e) {
          reject(e);
        }
      });
    });
  }

  /** The director's nft table as the backend reads it back. */
  table(name = "tandem_lvs"): Table {
    let doc = "";
    try {
      doc = this.run("dir", "nft", "-j", "list", "table", "ip", name);
    } catch {
      return { services: [] };
    }
    return parseNftJson(doc).table;
  }

  cleanup(): void {
    for (const c of this.children.splice(0))
      if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) {
        try {
          process.kill(c.pid, "SIGCONT");
        } catch {
          // gone
        }
        c.kill("SIGKILL");
      }
    for (const ns of this.namespaces.splice(0).reverse()) {
      try {
        execFileSync("ip", ["netns", "del", ns], { stdio: "ignore" });
      } catch {
        // already gone
      }
    }
    rmSync(this.tmp, { recursive: true, force: true });
    process.off("exit", this.onExit);
  }
}

/** Polls cond every 20 ms until it holds or timeoutMs passes; returns the time it took (ms) or -1. */
export async function waitFor(cond: () => boolean, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  for (let i = 0; i < 100_000 && Date.now() - t0 < timeoutMs; i++) {
    if (cond()) return Date.now() - t0;
    await new Promise((r) => setTimeout(r, 20));
  }
  return cond() ? Date.now() - t0 : -1;
}

/** Weights of a service's reals in a table, "ip:port" -> weight (fallbacks as "fallback ip:port"). */
export function weights(t: Table, key: string): Record<string, number> {
  const s = t.services.find((x) => x.key === key);
  return Object.fromEntries(
    (s?.reals ?? []).map((r) => [r.role === "fallback" ? `fallback ${r.key}` : r.key, r.weight]),
  );
}
