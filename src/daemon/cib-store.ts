/**
 * The CIB on disk: STATE_DIR/crm/cib.xml plus numbered previous versions
 * (cib-<serial>.xml, the newest `keep` of them). Every file is written
 * atomically (temp, fsync, rename, directory fsync) and opens with a digest
 * line, `<!-- tandem-cib sha256=<hex of the rest> -->`: a truncated or edited
 * file fails the check and is refused with a message saying which file and
 * why, and the newest previous version that passes is used instead.
 *
 * Only the configuration is persisted (the status section is written empty,
 * as Pacemaker does): status is rebuilt at start from membership and probes.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Cib } from "../cib/model.js";
import { parseCib } from "../cib/parse.js";
import { serializeCib } from "../cib/serialize.js";
import { writeFileAtomic } from "./state.js";

export const CIB_DIR = "crm";
export const CIB_FILE = "cib.xml";
/** Previous versions kept by default. */
export const DEFAULT_KEEP = 10;

const HEADER = /^<!-- tandem-cib sha256=([0-9a-f]{64}) -->\n/;
const HISTORY = /^cib-(\d{1,15})\.xml$/;

export {
  bumpEpoch,
  bumpUpdates,
  type CibVersion,
  compareCibVersions,
  compareConfigVersions,
  formatCibVersion,
} from "./cib-version.js";

import { hashHex } from "../comm/digest.js";

/** The digest line's SHA-256 (digest.ts: hbd does not load node:crypto, issue 15). */
const sha256 = (text: string): string => hashHex("sha256", Buffer.from(text, "utf8"));

/** The file text for a CIB: the digest line, then the XML with an empty status section. */
export function encodeCibFile(cib: Cib): string {
  const xml = serializeCib({ ...cib, status: [] });
  return `<!-- tandem-cib sha256=${sha256(xml)} -->\n${xml}`;
}

/** Checks and parses a CIB file's text; a reason when it must be refused. */
export function decodeCibFile(text: string): { ok: true; cib: Cib } | { ok: false; reason: string } {
  const m = HEADER.exec(text);
  if (m === null) return { ok: false, reason: "no tandem-cib digest line (truncated or not written by hbd)" };
  const xml = text.slice(m[0].length);
  if (sha256(xml) !== m[1])
    return {
      ok: false,
      reason: "digest mismatch (the file is truncated or was changed after it was written)",
    };
  const parsed = parseCib(xml);
  const errors = parsed.diagnostics.filter((d) => d.severity === "error");
  if (parsed.value === undefined || errors.length > 0)
    return { ok: false, reason: `not a valid CIB: ${errors[0]?.message ?? "unreadable"}` };
  return { ok: true, cib: parsed.value };
}

/** What `load` found. */
export interface LoadedCib {
  /** The CIB to use, undefined when there is no usable file at all. */
  readonly cib?: Cib;
  /** The file it came from. */
  readonly file?: string;
  /** Files refused, each with a sentence saying why (for the log). */
  readonly refused: readonly string[];
  /**
   * Where a refused cib.xml was moved (kept for inspection) after an older
   * version was used instead, so it is not refused again at every start.
   */
  readonly movedAside?: string;
}

/** Reads and writes one node's CIB under STATE_DIR/crm. */
export class CibStore {
  readonly dir: string;
  readonly path: string;

  constructor(
    stateDir: string,
    private readonly keep = DEFAULT_KEEP,
    /** Frees space in the state directory (hbd: drops the oldest saved policy inputs); returns whether it did. */
    private readonly makeRoom: () => boolean = () => false,
  ) {
    this.dir = join(stateDir, CIB_DIR);
    this.path = join(this.dir, CIB_FILE);
  }

  /** Serials of the previous versions on disk, newest first. */
  history(): number[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    return names
      .map((n) => HISTORY.exec(n)?.[1])
      .filter((s): s is string => s !== undefined)
      .map(Number)
      .sort((a, b) => b - a);
  }

  /** Writes `cib` (status dropped) as the current file and as a new previous version; prunes old versions. */
  /**
   * Throws when the CIB could not be written (then nothing of this save is
   * left on disk). On ENOSPC, space is made once (makeRoom) and the save retried.
   */
  save(cib: Cib): void {
    try {
      this.saveOnce(cib);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOSPC" || !this.makeRoom()) throw e;
      this.saveOnce(cib);
    }
  }

  private saveOnce(cib: Cib): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o750 });
    const text = encodeCibFile(cib);
    const serials = this.history();
    const next = (serials[0] ?? 0) + 1;
    const version = join(this.dir, `cib-${next}.xml`);
    writeFileAtomic(version, text, 0o600);
    try {
      writeFileAtomic(this.path, text, 0o600);
    } catch (e) {
      rmSync(version, { force: true }); // not saved: a later start must not find it as the newest version
      throw e;
    }
    for (const s of [next, ...serials].slice(this.keep))
      rmSync(join(this.dir, `cib-${s}.xml`), { force: true });
  }

  /**
   * The current file if it passes its digest and parses, else the newest
   * previous version that does; then a refused cib.xml is moved aside to
   * cib.xml.refused-N (see `movedAside`). Never throws for bad content.
   */
  load(): LoadedCib {
    const refused: string[] = [];
    let corruptCurrent = false;
    const candidates = [this.path, ...this.history().map((s) => join(this.dir, `cib-${s}.xml`))];
    for (const file of candidates) {
      let text: string;
      try {
        text = readFileSync(file, "utf8");
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== "ENOENT") refused.push(`${file}: cannot read (${code ?? String(e)})`);
        continue;
      }
      const r = decodeCibFile(text);
      if (r.ok) {
        const movedAside = corruptCurrent ? this.moveAside() : undefined;
        return { cib: r.cib, file, refused, ...(movedAside === undefined ? {} : { movedAside }) };
      }
      refused.push(`${file}: refused: ${r.reason}`);
      if (file === this.path) corruptCurrent = true;
    }
    return { refused };
  }

  /** Renames the refused cib.xml to cib.xml.refused-N (the first free N); undefined when that fails. */
  private moveAside(): string | undefined {
    for (let n = 1; n <= 1000; n++) {
      const to = `${this.path}.refused-${n}`;
      if (existsSync(to)) continue;
      try {
        renameSync(this.path, to);
        return to;
      } catch {
        return undefined;
      }
    }
    return undefined;
  }
}
