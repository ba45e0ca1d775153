/**
 * The one adapter of src/config that touches the file system: it reads the
 * configuration files into FileInputs for the pure loaders in load.ts.
 */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { FileInput, HaDInputs } from "./load.js";

export const DEFAULT_CONFIG_DIR = "/etc/ha.d";

const ERRNO_TEXT: Readonly<Record<string, string>> = {
  ENOENT: "no such file or directory",
  ENOTDIR: "a component of the path is a file, not a directory",
  ELOOP: "too many levels of symbolic links (a symlink loop?)",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EISDIR: "is a directory",
  ENAMETOOLONG: "file name too long",
  EIO: "input/output error",
  ENOSPC: "no space left on device",
  EROFS: "read-only file system",
  EEXIST: "already exists",
  EMFILE: "too many open files",
  EDQUOT: "disk quota exceeded",
};

/** `PATH: what is wrong (CODE)` for a file-system error, for messages a user reads. */
export function describeFsError(path: string, e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === undefined) return `${path}: ${e instanceof Error ? e.message : String(e)}`;
  const text = Object.hasOwn(ERRNO_TEXT, code) ? ERRNO_TEXT[code] : undefined;
  return `${path}: ${text ?? (e as Error).message} (${code})`;
}

/** Why `path` cannot be read as a configuration file (not a regular file, a symlink loop...), or undefined. */
export function notAFileProblem(path: string): string | undefined {
  try {
    const st = statSync(path);
    if (st.isFile()) return undefined;
    const what = st.isDirectory()
      ? "a directory"
      : st.isFIFO()
        ? "a FIFO"
        : st.isSocket()
          ? "a socket"
          : st.isCharacterDevice() || st.isBlockDevice()
            ? "a device"
            : "not a regular file";
    return `${path}: is ${what}, not a regular file`;
  } catch (e) {
    return `cannot read ${describeFsError(path, e)}`;
  }
}

export function readInput(path: string): FileInput {
  try {
    const st = statSync(path);
    if (!st.isFile()) return { path, readError: notAFileProblem(path) ?? `${path} is not a regular file` };
    return { path, text: readFileSync(path, "utf8"), mode: st.mode & 0o7777 };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { path };
    return { path, readError: `cannot read ${describeFsError(path, e)}` };
  }
}

/**
 * Reads ha.cf, authkeys, haresources and nodeinfo from a Heartbeat config
 * directory. The local node name is `localNode` if given, else the first line
 * of DIR/nodeinfo (as Heartbeat), else `fallbackNode` (hbd passes uname -n).
 */
export function readHaD(dir: string, localNode?: string, fallbackNode?: string): HaDInputs {
  const nodeinfo = readInput(join(dir, "nodeinfo")).text?.split("\n")[0]?.trim();
  const node = localNode ?? (nodeinfo ? nodeinfo : fallbackNode);
  return {
    hacf: readInput(join(dir, "ha.cf")),
    authkeys: readInput(join(dir, "authkeys")),
    haresources: readInput(join(dir, "haresources")),
    ...(node === undefined ? {} : { localNode: node }),
  };
}
