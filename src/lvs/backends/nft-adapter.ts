/**
 * The nftables backend's process adapter: reads the tables back with
 * `nft -j list table`, applies a whole desired table as ONE `nft -f -`
 * transaction (atomic: the kernel commits all of it or none), then purges
 * persistence entries of removed reals and, optionally, kills their flows with
 * the `conntrack` tool (IPVS's expire_nodest_conn; Debian package `conntrack`).
 * Connection counts come from /proc/net/nf_conntrack (NAT) and the DR pin sets.
 */
import { readFile } from "node:fs/promises";
import { runCollect } from "../../exec/child.js";
import type { Table, TableBackend, TableChange } from "../model.js";
import {
  EMPTY_OBJECTS,
  NFT_CAPABILITIES,
  type NftObjects,
  type NftOptions,
  parseNftJson,
  pinSetName,
  renderNftBatch,
  renderPurge,
  serviceId as serviceIdOf,
} from "./nft.js";

export interface NftAdapterOptions extends NftOptions {
  /** nft binary. Default "nft". */
  readonly nft?: string;
  /** conntrack binary. Default "conntrack". */
  readonly conntrack?: string;
  /** Kill the flows of deleted reals (conntrack -D for NAT; DR pins always leave with their real). Default false. */
  readonly killFlows?: boolean;
  /** Where NAT connection counts are read. Default /proc/net/nf_conntrack. */
  readonly conntrackProc?: string;
  /** Recount connections at most this often (ms); 0 = never count. Default 2000. */
  readonly connStatsIntervalMs?: number;
  /** Called with warnings (e.g. conntrack missing). */
  readonly warn?: (msg: string) => void;
}

/** Active (established) and inactive connections of one real of one service. */
export interface ConnCounts {
  readonly active: number;
  readonly inactive: number;
}

/** A table backend as the director uses it: the model's contract plus clean-up and connection counts. */
export interface DirectorBackend extends TableBackend {
  readonly name: string;
  /** Removes everything this instance owns (cleanstop with nothing else left). */
  clear(): Promise<void>;
  /** Connection counts by service key then real key. */
  connections(table: Table): Promise<Map<string, Map<string, ConnCounts>>>;
  /** The commands sent by the last apply (for logs and tests). */
  readonly lastBatch: string;
}

export class NftError extends Error {
  override readonly name = "NftError";
}

/** Parses /proc/net/nf_conntrack text into counts per (VIP:port) -> (RIP:port). Exported for tests. */
export function countConntrack(text: string, table: Table): Map<string, Map<string, ConnCounts>> {
  const byVip = new Map<string, string>();
  for (const s of table.services) if (s.address) byVip.set(`${s.protocol} ${s.address}:${s.port}`, s.key);
  const out = new Map<string, Map<string, { active: number; inactive: number }>>();
  const vips = [
    ...new Set(table.services.map((s) => s.address).filter((a): a is string => a !== undefined)),
  ].map((a) => `dst=${a} `);
  for (const line of text.split("\n")) {
    // most entries are not ours (e.g. the checks' own connections): skip them before splitting
    if (!vips.some((v) => line.includes(v))) continue;
    const f = line.trim().split(/\s+/);
    const proto = f[2];
    if (proto !== "tcp" && proto !== "udp") continue;
    const kv = f.filter((x) => x.includes("="));
    const get = (name: string, nth: number): string | undefined =>
      kv.filter((x) => x.startsWith(`${name}=`))[nth]?.slice(name.length + 1);
    const svc = byVip.get(`${proto} ${get("dst", 0)}:${get("dport", 0)}`);
    if (!svc) continue;
    const real = `${get("src", 1)}:${get("sport", 1)}`;
    const m = out.get(svc) ?? new Map();
    out.set(svc, m);
    const c = m.get(real) ?? { active: 0, inactive: 0 };
    if (proto === "tcp" ? f.includes("ESTABLISHED") : true) c.active++;
    else c.inactive++;
    m.set(real, c);
  }
  return out;
}

export class NftBackend implements DirectorBackend {
  readonly name = "nft";
  readonly capabilities = NFT_CAPABILITIES;
  private readonly table: string;
  private conntrackMissing = false;
  lastBatch = "";
  /** The table applied before (whose deleted reals get their flows killed). */
  private previous: Table = { services: [] };

  constructor(private readonly opts: NftAdapterOptions = {}) {
    this.table = opts.table ?? "tandem_lvs";
  }

  private async nft(
    args: string[],
    input?: string,
  ): Promise<{ ok: boolean; stdout: string; stderr: string }> {
    const r = await runCollect(this.opts.nft ?? "nft", args, {
      timeoutMs: 20_000,
      ...(input !== undefined ? { input } : {}),
    });
    return { ok: r.exitCode === 0, stdout: r.stdout, stderr: r.stderr };
  }

  /** Table and objects as nft lists them (missing tables are empty). */
  async readState(): Promise<{ table: Table; objects: NftObjects }> {
    const docs: string[] = [];
    for (const fam of ["ip", "netdev"]) {
      const r = await this.nft(["-j", "list", "table", fam, this.table]);
      if (r.ok) docs.push(r.stdout);
      else if (!/No such file or directory/.test(r.stderr))
        throw new NftError(`nft list table ${fam} ${this.table}: ${r.stderr.trim()}`);
    }
    return docs.length ? parseNftJson(...docs) : { table: { services: [] }, objects: EMPTY_OBJECTS };
  }

  /** Objects seen by the last read(), reused by the apply() that follows it (saves one nft run per change). */
  private seen: NftObjects | undefined;

  async read(): Promise<Table> {
    const st = await this.readState();
    this.seen = st.objects;
    return st.table;
  }

  /** Renders the whole desired table (the change list only says that something differs): one atomic transaction. */
  async apply(_changes: readonly TableChange[], desired: Table): Promise<void> {
    const seen = this.seen;
    this.seen = undefined;
    const before = seen ? { objects: seen } : await this.readState();
    const batch = renderNftBatch(desired, before.objects, this.opts);
    const r = await this.nft(["-f", "-"], batch);
    if (!r.ok) throw new NftError(`nft rejected the batch (nothing changed): ${r.stderr.trim()}`);
    this.lastBatch = batch;
    await this.purge(desired);
  }

  /** Best effort after a committed apply: stale persistence entries, and flows of deleted reals when asked. */
  private async purge(desired: Table): Promise<void> {
    const after = await this.readState();
    const purge = renderPurge(desired, after.objects, {
      ...this.opts,
      killFlows: this.opts.killFlows ?? false,
    });
    if (purge) await this.nft(["-f", "-"], purge); // an entry may expire meanwhile: a failed purge is harmless
    const previous = this.previous;
    this.previous = desired;
    if (!this.opts.killFlows) return;
    const now = new Map(desired.services.map((s) => [s.key, new Set(s.reals.map((r) => r.key))]));
    for (const s of previous.services) {
      if (s.reals.some((r) => r.method === "gate")) continue; // DR pins went with the real's pin set
      for (const r of s.reals) {
        if (now.get(s.key)?.has(r.key) === true) continue;
        await this.killFlows(s.protocol, r.address, r.port);
      }
    }
  }

  private async killFlows(proto: string, address: string, port: number): Promise<void> {
    if (this.conntrackMissing) return;
    const args = ["-D", "-p", proto, "--reply-src", address, "--reply-port-src", String(port)];
    const r = await runCollect(this.opts.conntrack ?? "conntrack", args, { timeoutMs: 5000 });
    if (r.spawnError !== undefined) {
      this.conntrackMissing = true;
      this.opts.warn?.(
        "conntrack tool not installed (apt install conntrack): flows of removed reals are left to time out",
      );
    }
  }

  async clear(): Promise<void> {
    const st = await this.readState();
    const cmds = (["ip", "netdev"] as const)
      .filter(
        (f) => st.objects.maps.some((m) => m.family === f) || st.objects.chains.some((c) => c.family === f),
      )
      .map((f) => `delete table ${f} ${this.table}`);
    if (cmds.length) {
      const r = await this.nft(["-f", "-"], `${cmds.join("\n")}\n`);
      if (!r.ok) throw new NftError(`nft: ${r.stderr.trim()}`);
    }
  }

  private connCache: { at: number; table: Table; value: Map<string, Map<string, ConnCounts>> } | undefined;

  /** Counts, recomputed at most every connStatsIntervalMs (reading conntrack is the costly part of a status write). */
  async connections(table: Table): Promise<Map<string, Map<string, ConnCounts>>> {
    const every = this.opts.connStatsIntervalMs ?? 2000;
    if (every <= 0) return new Map();
    const c = this.connCache;
    if (c && c.table === table && Date.now() - c.at < every) return c.value;
    const value = await this.countConnections(table);
    this.connCache = { at: Date.now(), table, value };
    return value;
  }

  private async countConnections(table: Table): Promise<Map<string, Map<string, ConnCounts>>> {
    let text = "";
    try {
      text = await readFile(this.opts.conntrackProc ?? "/proc/net/nf_conntrack", "utf8");
    } catch {
      // no conntrack accounting visible here
    }
    const out = countConntrack(text, table);
    // DR: the director keeps no conntrack for the VIP; each real's pin set counts its pinned flows
    const st = await this.readState();
    for (const s of table.services) {
      if (!s.reals.some((r) => r.method === "gate")) continue;
      const m = new Map<string, ConnCounts>();
      for (const r of s.reals) {
        const pins = pinSetName(serviceIdOf(s.key), r.address);
        const n = st.objects.dynamic.filter((e) => e.family === "netdev" && e.map === pins).length;
        m.set(r.key, { active: n, inactive: 0 });
      }
      out.set(s.key, m);
    }
    return out;
  }
}
