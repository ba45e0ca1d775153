/**
 * IPVS backend adapter: runs ipvsadm through execa. Reads with `ipvsadm -S -n`
 * plus `ipvsadm -L -n --thresholds` (thresholds are not in -S), applies a
 * change list as one `ipvsadm -R` batch on stdin (one process; the kernel
 * applies it command by command, so the batch order from reconcile() is what
 * keeps the pool from ever being empty).
 *
 * This machine has no IPVS, so only construction is tested here; the command
 * text is tested through ipvs.ts.
 */
import { execa } from "execa";
import type { BackendCapabilities, Table, TableBackend, TableChange } from "../model.js";
import { IPVS_CAPABILITIES, mergeIpvsThresholds, parseIpvsadmSave, renderIpvsadmBatch } from "./ipvs.js";

/** Present when the kernel has IPVS (the automatic backend choice looks here). */
export const IPVS_PROC_FILE = "/proc/net/ip_vs";

export interface IpvsBackendOptions {
  /** ipvsadm binary; default "ipvsadm" from PATH. */
  readonly ipvsadm?: string;
  /** Per-command timeout in ms; default 10 s. */
  readonly timeoutMs?: number;
  /** Called with each batch before it runs (for logs). */
  readonly onBatch?: (batch: string) => void;
}

export class IpvsBackend implements TableBackend {
  readonly capabilities: BackendCapabilities = IPVS_CAPABILITIES;
  private readonly bin: string;
  private readonly timeoutMs: number;

  constructor(private readonly opts: IpvsBackendOptions = {}) {
    this.bin = opts.ipvsadm ?? "ipvsadm";
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  /** The kernel table now. Unparseable lines are skipped (a newer ipvsadm may print options we do not know). */
  async read(): Promise<Table> {
    const save = await execa(this.bin, ["-S", "-n"], { timeout: this.timeoutMs });
    const thresholds = await execa(this.bin, ["-L", "-n", "--thresholds"], { timeout: this.timeoutMs });
    return mergeIpvsThresholds(parseIpvsadmSave(save.stdout).value, thresholds.stdout);
  }

  /** Applies the ordered change list as one `ipvsadm -R` batch. */
  async apply(changes: readonly TableChange[], _desired: Table): Promise<void> {
    const batch = renderIpvsadmBatch(changes);
    if (batch === "") return;
    this.opts.onBatch?.(batch);
    await execa(this.bin, ["-R"], { input: batch, timeout: this.timeoutMs });
  }
}
