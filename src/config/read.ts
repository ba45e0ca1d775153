/**
 * The one adapter of src/config that touches the file system: it reads the
 * configuration files into FileInputs for the pure loaders in load.ts.
 */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { FileInput, HaDInputs } from "./load.js";

export const DEFAULT_CONFIG_DIR = "/etc/ha.d";

export function readInput(path: string): FileInput {
  try {
    const st = statSync(path);
    if (!st.isFile()) return { path, readError: `${path} is not a regular file` };
    return { path, text: readFileSync(path, "utf8"), mode: st.mode & 0o7777 };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { path };
    return { path, readError: `cannot read ${path}: ${code ?? String(e)}` };
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
