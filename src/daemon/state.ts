/**
 * hbd's files: the generation number and node UUID in the state directory
 * (Heartbeat's hb_generation and hb_uuid formats), and the pid file in the
 * run directory. Every write is atomic: temp file, fsync, rename, fsync of
 * the directory.
 */
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { urandomBytes } from "../base/random.js";
import { type GenerationMethod, nextGeneration } from "../membership/generation.js";

export const GENERATION_FILE = "hb_generation";
export const UUID_FILE = "hb_uuid";
export const PID_FILE = "hbd.pid";

/** Writes `data` to `path` atomically (temp, fsync, rename, directory fsync). */
export function writeFileAtomic(path: string, data: Uint8Array | string, mode = 0o644): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    const fd = openSync(tmp, "w", mode);
    try {
      const buf = typeof data === "string" ? Buffer.from(data) : data;
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true }); // a full disk must not leave zero-byte temp files behind
    throw e;
  }
  const dir = openSync(dirname(path), "r");
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

/** Heartbeat's hb_generation: the number right-aligned in 15 columns, then a newline (16 bytes). */
export function formatGeneration(n: number): string {
  return `${String(n).padStart(15, " ")}\n`;
}

/** Parses hb_generation; undefined when absent or not a number. */
export function parseGeneration(text: string): number | undefined {
  const t = text.trim();
  return /^\d{1,15}$/.test(t) ? Number(t) : undefined;
}

function readOptional(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

/**
 * This start's generation: the stored one plus one (or per `method`), written
 * back before it is used, so a crash can never reuse a generation.
 */
export function bumpGeneration(
  stateDir: string,
  method: GenerationMethod,
  nowMs: number,
): { generation: number; previous?: number } {
  mkdirSync(stateDir, { recursive: true, mode: 0o755 });
  const path = join(stateDir, GENERATION_FILE);
  const raw = readOptional(path);
  const previous = raw === undefined ? undefined : parseGeneration(raw.toString("latin1"));
  const generation = nextGeneration(previous, method, nowMs);
  writeFileAtomic(path, formatGeneration(generation));
  return previous === undefined ? { generation } : { generation, previous };
}

/**
 * The node UUID: `file` reads STATE_DIR/hb_uuid (16 raw bytes), creating a
 * random one on first start; `nodename` derives it from the name (its bytes,
 * zero-padded or cut to 16), for read-only media.
 */
export function nodeUuid(stateDir: string, uuidfrom: "file" | "nodename", node: string): Uint8Array {
  if (uuidfrom === "nodename") {
    const out = new Uint8Array(16);
    out.set(Buffer.from(node, "utf8").subarray(0, 16));
    return out;
  }
  const path = join(stateDir, UUID_FILE);
  const raw = readOptional(path);
  if (raw !== undefined && raw.length === 16) return new Uint8Array(raw);
  const uuid = urandomBytes(16);
  uuid[6] = ((uuid[6] ?? 0) & 0x0f) | 0x40; // RFC 4122 version 4
  uuid[8] = ((uuid[8] ?? 0) & 0x3f) | 0x80;
  mkdirSync(stateDir, { recursive: true, mode: 0o755 });
  writeFileAtomic(path, uuid, 0o600);
  return new Uint8Array(uuid);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Claims RUN_DIR/hbd.pid. Returns the pid of a live hbd that already holds
 * it (and claims nothing), else undefined after writing ours.
 */
export function claimPidFile(runDir: string): number | undefined {
  mkdirSync(runDir, { recursive: true, mode: 0o755 });
  const path = join(runDir, PID_FILE);
  const raw = readOptional(path);
  const other = raw === undefined ? undefined : Number.parseInt(raw.toString("latin1").trim(), 10);
  if (
    other !== undefined &&
    Number.isSafeInteger(other) &&
    other > 0 &&
    other !== process.pid &&
    alive(other)
  )
    return other;
  writeFileAtomic(path, `${process.pid}\n`);
  return undefined;
}

/** Removes our pid file (only if it still names us). */
export function releasePidFile(runDir: string): void {
  const path = join(runDir, PID_FILE);
  const raw = readOptional(path);
  if (raw !== undefined && raw.toString("latin1").trim() === String(process.pid))
    rmSync(path, { force: true });
}

/**
 * The one line hbd prints when a start-up step on its state or run directory
 * fails: what it was doing, where, why, and what to do.
 */
export function startupFailureLine(what: string, dir: string, e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const where = err.path ?? dir;
  const why: Record<string, string> = {
    ENOSPC: `the file system is full: free space there or use another --state-dir/--run-dir`,
    EDQUOT: `the disk quota is exhausted: free space there`,
    EEXIST: `a file is in the way where a directory is needed: move it aside`,
    ENOTDIR: `a file is in the way where a directory is needed: move it aside`,
    EISDIR: `a directory is in the way where a file is needed: move it aside`,
    EACCES: `permission denied: run hbd as root or fix the owner and mode`,
    EPERM: `operation not permitted: run hbd as root or fix the owner and mode`,
    EROFS: `the file system is read-only: remount it read-write or use another directory`,
  };
  const code = err.code ?? "error";
  const fix = Object.hasOwn(why, code) ? why[code] : err.message;
  return `hbd: cannot ${what} in ${dir}: ${where}: ${code}: ${fix}; not started`;
}
