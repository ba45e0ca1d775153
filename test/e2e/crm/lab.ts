/**
 * The resource manager's namespace lab: DaemonLab (test/e2e/daemon/lab.ts)
 * with its own namespace prefix `tdc-<pid>-<n>-<role>`, haresources written
 * next to ha.cf, and address checks through `ip -n`. Cleanup (kill our hbd
 * pids, delete our namespaces and temp dir) runs in finally and at exit.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { DaemonLab, type NodeDirs } from "../daemon/lab.js";

let counter = 0;

export class CrmLab extends DaemonLab {
  readonly crmPrefix = `tdc-${process.pid}-${++counter}`;

  override ns(role: string): string {
    return `${this.crmPrefix}-${role}`;
  }

  /** ha.cf, authkeys and haresources for `node`. */
  configureCrm(node: string, hacf: string, authkeys: string, haresources: string): NodeDirs {
    const dirs = this.configure(node, hacf, authkeys);
    writeFileSync(join(dirs.etc, "haresources"), haresources);
    return dirs;
  }

  /** Whether `ip` is configured on eth0 in namespace `role`. */
  hasAddress(role: string, ip: string): boolean {
    const out = execFileSync("ip", ["-n", this.ns(role), "-4", "-o", "addr", "show", "dev", "eth0"], {
      encoding: "utf8",
      timeout: 5000,
    });
    return out.includes(` ${ip}/`);
  }
}
