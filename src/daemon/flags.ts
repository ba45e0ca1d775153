/**
 * hbd's command line. The usual forms (the options below with their values,
 * as systemd, the package's wrapper and the tests give them) are parsed here;
 * anything else (--help, --version, an unknown option or value, a missing
 * value, an argument) goes to commander, which prints help and errors as
 * before. Loading commander was ~23 ms of CPU of every start (issue 15).
 */

import { VERSION } from "../base/version.js";
import { DEFAULT_CONFIG_DIR, HEARTBEAT_CIB } from "../config/read.js";
import { PINGD_ATTRIBUTE } from "./ipfail-shell.js";

export const DEFAULT_STATE_DIR = "/var/lib/tandem";
export const DEFAULT_RUN_DIR = "/run/tandem";

export interface HbdFlags {
  configDir: string;
  config?: string;
  stateDir: string;
  runDir: string;
  node?: string;
  group?: string;
  check?: boolean;
  heartbeatCib: string;
  pingdAttribute: string;
  logFormat?: string;
}

/** Shown by --help and rendered into hbd(8) by scripts/man.mjs. */
const HBD_HELP_AFTER = `
Examples:
  hbd --check                          validate /etc/ha.d (ha.cf, authkeys, haresources) and exit
  hbd --config /etc/tandem/cluster.yaml --check
  systemctl enable --now hbd           run under systemd (hbd.service, Type=notify)

Exit status:
  0  stopped cleanly (SIGTERM/SIGINT), or --check found no error
  1  already running, the control socket could not be served, or an unknown option
  2  --group names no group
  6  configuration errors (printed as FILE:LINE: message)
  7  the state or run directory is unusable at start (full disk, a file in the
     way, permissions): one line says what, where and what to do

Signals:
  SIGTERM, SIGINT  stop this node's resources, say goodbye to the peers, exit
  SIGHUP           re-read authkeys and reopen logfile/debugfile (after logrotate)

Monitoring (off by default): ha.cf "metrics_listen 9664" (127.0.0.1 only) or
"metrics_listen 192.0.2.11:9664" serves /metrics (Prometheus) and a status
page at / (docs/MONITORING.md).

Alerts: the CIB's <alerts> (haresources: ha.cf "alert PATH [RECIPIENT] [NAME=VALUE...]"
or cluster.yaml "alerts:")
run alert agents with Pacemaker's CRM_alert_* environment, never waited for, killed at
their timeout, failures logged; e.g. in ha.cf:
  alert /usr/share/pacemaker/alerts/alert_file.sh.sample /var/log/cluster-alerts.log

Under systemd (NOTIFY_SOCKET set) hbd sends READY=1 once its media are open
and the control socket serves, WATCHDOG=1 every WatchdogSec/2, STOPPING=1 at
shutdown (through systemd-notify --pid).`;

const VALUE_FLAGS = {
  "--config-dir": "configDir",
  "--config": "config",
  "--state-dir": "stateDir",
  "--run-dir": "runDir",
  "--node": "node",
  "--group": "group",
  "--heartbeat-cib": "heartbeatCib",
  "--pingd-attribute": "pingdAttribute",
  "--log-format": "logFormat",
} as const satisfies Record<string, keyof HbdFlags>;
const LOG_FORMATS = ["heartbeat", "json"];
const PINGD_NAME = /^[A-Za-z_][\w.-]{0,63}$/;

/** The flags of the usual forms; undefined for anything commander must see (help, errors). */
export function parseFastFlags(argv: readonly string[]): HbdFlags | undefined {
  const flags: HbdFlags = {
    configDir: DEFAULT_CONFIG_DIR,
    stateDir: DEFAULT_STATE_DIR,
    runDir: DEFAULT_RUN_DIR,
    heartbeatCib: HEARTBEAT_CIB,
    pingdAttribute: PINGD_ATTRIBUTE,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? "";
    if (a === "--check") {
      flags.check = true;
      continue;
    }
    const eq = a.indexOf("=");
    const name = eq > 0 ? a.slice(0, eq) : a;
    const key = Object.hasOwn(VALUE_FLAGS, name) ? VALUE_FLAGS[name as keyof typeof VALUE_FLAGS] : undefined;
    if (key === undefined) return undefined;
    const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
    if (value === undefined || value === "" || value.startsWith("-")) return undefined;
    flags[key] = value;
  }
  if (flags.logFormat !== undefined && !LOG_FORMATS.includes(flags.logFormat)) return undefined;
  if (!PINGD_NAME.test(flags.pingdAttribute)) return undefined;
  return flags;
}

/** hbd's flags; commander handles (and exits on) help, version and usage errors. */
export async function parseHbdFlags(argv: readonly string[]): Promise<HbdFlags> {
  return parseFastFlags(argv) ?? (await commanderFlags(argv));
}

/** The same through commander (also what tests compare parseFastFlags with). */
export async function commanderFlags(argv: readonly string[]): Promise<HbdFlags> {
  const { Command, Option } = await import("../base/commander.js");
  const program = new Command("hbd")
    .description("Tandem cluster daemon (Heartbeat-compatible).")
    .version(VERSION, "-V, --version", "print the version and exit")
    .option("--config-dir <dir>", "Heartbeat configuration directory", DEFAULT_CONFIG_DIR)
    .option("--config <file>", "cluster.yaml instead of the Heartbeat files")
    .option(
      "--state-dir <dir>",
      "persistent state (CIB, generation number, saved policy inputs)",
      DEFAULT_STATE_DIR,
    )
    .option("--run-dir <dir>", "runtime files (socket hbd.sock, pid file)", DEFAULT_RUN_DIR)
    .option("--node <name>", "this node's name (default: CONFIG_DIR/nodeinfo, else uname -n)")
    .option("--group <name>", "let this group use the control socket too (mode 0660 instead of 0600)")
    .option(
      "--heartbeat-cib <file>",
      "Heartbeat 2.1's CIB, imported by crm on when there is no other",
      HEARTBEAT_CIB,
    )
    .option(
      "--pingd-attribute <name>",
      "crm on: the node attribute carrying the count of reachable ping nodes (as ocf:pacemaker:ping's name)",
      PINGD_ATTRIBUTE,
    )
    .option("--check", "validate the configuration and exit (0 ok, 6 errors, as Heartbeat)")
    .addOption(
      new Option(
        "--log-format <format>",
        "heartbeat: ha-log lines everywhere; json: pino records everywhere (default: ha-log lines in logfile, debugfile and syslog, JSON on stdout)",
      ).choices(["heartbeat", "json"]),
    )
    .addHelpText("after", HBD_HELP_AFTER)
    .parse([...process.argv.slice(0, 2), ...argv]);

  const flags = program.opts<HbdFlags>();
  if (!PINGD_NAME.test(flags.pingdAttribute))
    program.error(
      `hbd: --pingd-attribute ${JSON.stringify(flags.pingdAttribute)}: not a node attribute name`,
    );
  return flags;
}
