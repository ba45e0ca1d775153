/**
 * The one adapter of src/config that touches the file system: it reads the
 * configuration files into FileInputs for the pure loaders in load.ts.
 */
import { accessSync, constants, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { HostFacts } from "./host.js";
import type { FileInput, HaDInputs } from "./load.js";

export const DEFAULT_CONFIG_DIR = "/etc/ha.d";
/** hbd's state directory (its CIB is STATE_DIR/crm/cib.xml). */
export const DEFAULT_STATE_DIR = "/var/lib/tandem";
/** Heartbeat 2.1's CIB, imported by `crm on` when Tandem has none. */
export const HEARTBEAT_CIB = "/var/lib/heartbeat/crm/cib.xml";
/** Heartbeat's resource directory, searched after CONFIG_DIR/resource.d. */
export const HEARTBEAT_RESOURCE_DIR = "/etc/ha.d/resource.d";
/** Tandem's own agents (resource.d/ of the package): OCF provider "tandem". */
export const SHIPPED_AGENTS_DIR = fileURLToPath(new URL("../../../resource.d", import.meta.url));

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

/** Where hbd looks for things on this host (see readHost). */
export interface HostPaths {
  readonly configDir: string;
  readonly stateDir?: string;
  /** Heartbeat's cib.xml (default HEARTBEAT_CIB; tests point it elsewhere). */
  readonly heartbeatCib?: string;
}

/** Heartbeat resource directories in lookup order: CONFIG_DIR/resource.d, then /etc/ha.d/resource.d. */
export function resourceDirs(configDir: string): string[] {
  const own = join(configDir, "resource.d");
  return own === HEARTBEAT_RESOURCE_DIR ? [own] : [own, HEARTBEAT_RESOURCE_DIR];
}

/** Names of Tandem's shipped agents. */
export function shippedAgents(dir = SHIPPED_AGENTS_DIR): Set<string> {
  try {
    return new Set(
      readdirSync(dir, { withFileTypes: true })
        .filter((d) => d.isFile() && !d.name.startsWith("."))
        .map((d) => d.name),
    );
  } catch {
    return new Set();
  }
}

/**
 * Whether something is at `path`. A path we may not look at (EACCES, a
 * non-root user and /var/lib/heartbeat) or one under a file (ENOTDIR) counts
 * as absent: these are probes, and the step that uses the file reports it.
 */
function fileExists(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false }) !== undefined;
  } catch {
    return false;
  }
}

/** Why a watchdog device cannot be used; it is not opened here (opening a watchdog arms it). */
function watchdogProblem(device: string): string | undefined {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(device, { throwIfNoEntry: false });
  } catch (e) {
    return `cannot be checked (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
  }
  if (st === undefined) return "no such device";
  if (!st.isCharacterDevice() && !st.isFIFO() && !st.isFile()) return "not a character device";
  try {
    accessSync(device, constants.W_OK);
  } catch (e) {
    return `cannot be opened for writing (${(e as NodeJS.ErrnoException).code ?? String(e)})`;
  }
  return undefined;
}

/** The real HostFacts for the checks of host.ts. */
export function readHost(p: HostPaths): HostFacts {
  const candidates: { origin: "state" | "config" | "heartbeat"; path: string }[] = [
    { origin: "state", path: join(p.stateDir ?? DEFAULT_STATE_DIR, "crm", "cib.xml") },
    { origin: "config", path: join(p.configDir, "cib.xml") },
    { origin: "heartbeat", path: p.heartbeatCib ?? HEARTBEAT_CIB },
  ];
  return {
    resourceDirs: resourceDirs(p.configDir),
    shippedDir: SHIPPED_AGENTS_DIR,
    initDir: "/etc/init.d",
    ocfRoot: "/usr/lib/ocf",
    shipped: shippedAgents(),
    exists: fileExists,
    watchdogProblem,
    cibCandidates: candidates.map((c) => ({ ...c, exists: fileExists(c.path) })),
    read: readInput,
    isExecutable,
    userExists: (name) => passwdEntry(name) !== undefined,
  };
}

function isExecutable(path: string): boolean {
  try {
    if (statSync(path).isFile() !== true) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** uid and gid of a user from /etc/passwd (respawn USER), or undefined. */
export function passwdEntry(name: string, file = "/etc/passwd"): { uid: number; gid: number } | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  for (const line of text.split("\n")) {
    const [user, , uid, gid] = line.split(":");
    if (user === name && uid !== undefined && gid !== undefined)
      return { uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}
