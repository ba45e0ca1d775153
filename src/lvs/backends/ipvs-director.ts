/**
 * The IPVS backend as the director uses it: ipvs-adapter's IpvsBackend plus
 * clean-up (delete the services this instance owns) and ActiveConn/InActConn
 * from `ipvsadm -L -n`.
 */
import { execa } from "execa";
import type { Table, TableChange } from "../model.js";
import { reconcile } from "../reconcile.js";
import { parseIpvsadmList } from "./ipvs.js";
import { IpvsBackend, type IpvsBackendOptions } from "./ipvs-adapter.js";
import type { ConnCounts, DirectorBackend } from "./nft-adapter.js";

export class IpvsDirectorBackend implements DirectorBackend {
  readonly name = "ipvs";
  private readonly inner: IpvsBackend;
  lastBatch = "";
  /** Services this instance applied (only these are removed by clear()). */
  private readonly owned = new Set<string>();

  constructor(private readonly opts: IpvsBackendOptions = {}) {
    this.inner = new IpvsBackend({
      ...opts,
      onBatch: (b) => {
        this.lastBatch = b;
        opts.onBatch?.(b);
      },
    });
  }

  get capabilities() {
    return this.inner.capabilities;
  }

  read(): Promise<Table> {
    return this.inner.read();
  }

  async apply(changes: readonly TableChange[], desired: Table): Promise<void> {
    for (const s of desired.services) this.owned.add(s.key);
    await this.inner.apply(changes, desired);
  }

  async clear(): Promise<void> {
    const actual = await this.inner.read();
    const changes = reconcile({ services: [] }, actual, { owned: (k) => this.owned.has(k) });
    if (changes.length) await this.inner.apply(changes, { services: [] });
  }

  async connections(): Promise<Map<string, Map<string, ConnCounts>>> {
    const r = await execa(this.opts.ipvsadm ?? "ipvsadm", ["-L", "-n"], {
      timeout: this.opts.timeoutMs ?? 10_000,
    });
    const out = new Map<string, Map<string, ConnCounts>>();
    for (const row of parseIpvsadmList(r.stdout)) {
      const m = out.get(row.service) ?? new Map<string, ConnCounts>();
      out.set(row.service, m);
      m.set(row.real, { active: row.numbers[1] ?? 0, inactive: row.numbers[2] ?? 0 });
    }
    return out;
  }
}
