/**
 * A simulated node's state directory: what survives a crash. The CIB is kept
 * as the file texts hbd writes (cib-store.ts encodeCibFile: digest line +
 * XML) and read back the way hbd reads them (the newest file that passes its
 * digest), so a torn write is refused as on a real disk. A crash can be
 * armed to strike during the next CIB write: the file is left torn (or not
 * written at all) and the node dies at that instant.
 */
import type { Cib } from "../cib/model.js";
import { decodeCibFile, encodeCibFile } from "../daemon/cib-store.js";
import type { HbdDisk } from "../daemon/hbd.js";
import type { PeerMark } from "../membership/types.js";

/** hbd saves peers' marks at most this often unless forced (main.ts PEER_MARKS_SAVE_MS). */
const PEER_MARKS_SAVE_MS = 2000;
/** Previous versions kept (cib-store.ts DEFAULT_KEEP + the current file). */
const KEEP = 11;

export type TornWrite = "torn" | "lost";

export class SimDisk implements HbdDisk {
  generation = 0;
  private files: string[] = [];
  private marks: ReadonlyMap<string, PeerMark> = new Map();
  private marksSavedAt = Number.NEGATIVE_INFINITY;
  /** Armed by the fault script: the next CIB write is interrupted by a crash. */
  crashOnWrite: TornWrite | undefined;
  /** Called when an armed write strikes (the host dies at once). */
  onCrash: () => void = () => {};
  writes = 0;
  tornWrites = 0;

  persistCib(cib: Cib): void {
    const text = encodeCibFile(cib);
    const torn = this.crashOnWrite;
    if (torn !== undefined) {
      this.crashOnWrite = undefined;
      this.tornWrites++;
      if (torn === "torn") this.files.push(text.slice(0, Math.floor(text.length / 2)));
      this.onCrash();
      throw new Error("simulated crash during the CIB write");
    }
    this.writes++;
    this.files.push(text);
    if (this.files.length > KEEP) this.files = this.files.slice(-KEEP);
  }

  savePolicyInput(): string | undefined {
    return undefined;
  }

  savePeerMarks(marks: ReadonlyMap<string, PeerMark>, nowMs: number, force = false): void {
    if (!force && nowMs - this.marksSavedAt < PEER_MARKS_SAVE_MS) return;
    this.marksSavedAt = nowMs;
    this.marks = new Map(marks);
  }

  /** The stored CIB as hbd would load it: the newest file that passes its digest. */
  loadCib(): Cib | undefined {
    for (let i = this.files.length - 1; i >= 0; i--) {
      const r = decodeCibFile(this.files[i] as string);
      if (r.ok) return r.cib;
    }
    return undefined;
  }

  peerMarks(): ReadonlyMap<string, PeerMark> {
    return this.marks;
  }
}
