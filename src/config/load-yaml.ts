/**
 * Assembles a ClusterConfig from cluster.yaml. Apart from load.ts because its
 * parser pulls in yaml and zod (about 180 ms of CPU at every hbd start on the
 * 2-core test machine under load, issue 15) which an /etc/ha.d configuration
 * never uses: hbd and hbctl verify import this module only for --config.
 */
import { type FileInput, type LoadResult, missing } from "./load.js";
import { parseClusterYaml } from "./yaml.js";

export function loadYaml(f: FileInput, localNode?: string): LoadResult {
  if (f.text === undefined) {
    return {
      diagnostics: [missing(f, "load.missing", "cannot read the configuration: file not found")],
      inert: [],
      files: [f.path],
    };
  }
  const r = parseClusterYaml(f.text, f.path, {
    ...(f.mode === undefined ? {} : { mode: f.mode }),
    ...(localNode === undefined ? {} : { localNode }),
  });
  const ok = r.value !== undefined && !r.diagnostics.some((d) => d.severity === "error");
  return {
    ...(ok && r.value ? { config: r.value } : {}),
    diagnostics: r.diagnostics,
    inert: [],
    files: [f.path],
  };
}
