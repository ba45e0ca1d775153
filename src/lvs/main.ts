#!/usr/bin/env node
/**
 * hb-director: the ldirectord-equivalent daemon (runs in the foreground; the
 * resource agent resource.d/ldirectord backgrounds it and keeps the pid file).
 *
 *   hb-director --config FILE [--backend auto|nft|ipvs] [--pidfile P] [--state-file S]
 *               [--device DEV] [--table NAME] [--kill-flows] [--notify-command CMD]
 *               [--concurrency N] [--check-reuse N] [--warm] [--metrics-listen ADDR] [--check]
 *
 * --warm: a warm-standby director (docs/ARCHITECTURE.md "Warm director"): the
 * health checks and the table run on every node; the nft NAT rules serve only
 * where the VIP is a local address (`fib daddr type local`), the DR rules only
 * frames sent to this host (`meta pkttype host`); on SIGTERM the table stays
 * --warm-linger ms (default 3000) for clients with a stale ARP entry. IPVS is
 * warm by nature (it sees only packets delivered to a local address).
 *
 * Exit codes: 0 clean stop (or --check passed), 2 configuration error (including a
 * configuration file that is missing, unreadable or not a regular file), 1 other failure.
 * SIGTERM/SIGINT stop (cleanstop per virtual), SIGHUP reloads.
 */
import { existsSync } from "node:fs";
import { rename, unlink, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { basename } from "node:path";
import { pino } from "pino";
import { Command, CommanderError, Option } from "../base/commander.js";
import type { Diagnostic } from "../base/diag.js";
import { VERSION } from "../base/version.js";
import { notAFileProblem } from "../config/read.js";
import { LISTEN_SYNTAX, parseListenAddress } from "../config/values.js";
import { runCollect } from "../exec/child.js";
import { type DirectorBackend, NftBackend } from "./backends/nft-adapter.js";
import { parseLdirectordCf } from "./config/ldirectord.js";
import { Director, DirectorConfigError } from "./director.js";
import { DirectorLogDestination, logTargetKey } from "./log-target.js";
import type { DirectorConfig } from "./model.js";
import { serveDirectorMonitor } from "./monitor-shell.js";

interface MainOptions {
  config: string;
  backend: string;
  pidfile?: string;
  stateFile?: string;
  device?: string;
  table: string;
  killFlows?: boolean;
  notifyCommand?: string;
  concurrency: string;
  checkReuse: string;
  connStatsInterval: string;
  check?: boolean;
  logFormat?: string;
  warm?: boolean;
  warmLinger: string;
  metricsListen?: string;
}

/** IPVS when the kernel has it, nftables otherwise (the selection rule). */
export function autoBackend(procIpVs = "/proc/net/ip_vs"): "ipvs" | "nft" {
  return existsSync(procIpVs) ? "ipvs" : "nft";
}

/** The YAML form's parser (config-yaml.ts: yaml + zod, loaded only for a *.yaml / *.yml file). */
type YamlParser = typeof import("./config/yaml.js").parseDirectorYaml;

/** Whether `file` is read as the YAML form. */
const isYaml = (file: string): boolean => /\.ya?ml$/i.test(file);

/** ldirectord.cf, or the YAML form for *.yaml / *.yml files (`parseYaml` given when isYaml(file)). */
export function parserFor(
  file: string,
  parseYaml?: YamlParser,
): (text: string, f: string) => { value: DirectorConfig; diagnostics: readonly Diagnostic[] } {
  if (!isYaml(file) || parseYaml === undefined) return parseLdirectordCf;
  return (text, f) => {
    const r = parseYaml(text, f);
    if (r.value) return { value: r.value, diagnostics: r.diagnostics };
    const bad: Diagnostic = {
      file: f,
      line: 1,
      severity: "error",
      code: "lvs.yaml",
      message: "not a director configuration",
    };
    return {
      value: { file: f, global: {} as DirectorConfig["global"], virtuals: [] },
      diagnostics: r.diagnostics.length ? r.diagnostics : [bad],
    };
  };
}

/** The device the route to `ip` leaves through (for the DR ingress hook). */
async function routeDevice(ip: string): Promise<string | undefined> {
  const r = await runCollect("ip", ["-j", "route", "get", ip], { timeoutMs: 10_000 });
  if (r.exitCode !== 0) return undefined;
  const j = JSON.parse(r.stdout) as { dev?: string }[];
  return j[0]?.dev;
}

/**
 * Default of --check-reuse: at 1,000 reals and 1 s checks a TCP handshake and
 * teardown per check is most of the director's CPU (bench:director).
 */
export const DEFAULT_CHECK_REUSE = 10;

/** Shown by --help and rendered into hb-director(8) by scripts/man.mjs. */
const DIRECTOR_HELP_AFTER = `
Examples:
  hb-director --config /etc/ha.d/ldirectord.cf --check
  hb-director -c /etc/ha.d/ldirectord.cf --state-file /run/tandem/director.json
  hb-director -c /etc/ha.d/ldirectord.cf --metrics-listen 9665   # /metrics and / on 127.0.0.1:9665
  hb-director -c /etc/ha.d/ldirectord.cf --check-reuse 1         # a new connection every http check, as ldirectord
  (usually started by the ldirectord resource agent in haresources or the CIB)

Exit status:
  0  stopped cleanly (SIGTERM, SIGINT, SIGQUIT), --check passed, --help, --version
  1  another failure (the backend could not be set up)
  2  configuration or usage error

Logs: ldirectord.cf's logfile as ldirectord reads it: logfile="/var/log/ldirectord.log"
  appends Heartbeat-format lines to that file; logfile="local0" (any syslog facility) sends
  them to syslog (/dev/log) tagged hb-director. Without logfile: stderr (--log-format).
  A reload follows a changed logfile at once.

Signals: SIGTERM/SIGINT/SIGQUIT stop (cleanstop per virtual), SIGHUP reloads the
  configuration and reopens the log file (logrotate).`;

async function main(argv: string[]): Promise<number> {
  const program = new Command("hb-director")
    .description(
      "Tandem's LVS director: ldirectord's job (health checks, weights, the IPVS or nftables table).",
    )
    .version(VERSION, "-V, --version", "print the version and exit")
    .requiredOption("-c, --config <file>", "ldirectord.cf configuration")
    .option("-b, --backend <name>", "auto, nft or ipvs", "auto")
    .option("--pidfile <file>", "pid file")
    .option("--state-file <file>", "status file read by `hbctl lvs status`")
    .option(
      "--device <dev>",
      "director device for DR (nft netdev ingress); default: the route to the first gate real",
    )
    .option("--table <name>", "nft table name", "tandem_lvs")
    .option("--kill-flows", "kill the flows of removed real servers (expire_nodest_conn)")
    .option("--notify-command <cmd>", "run `CMD EVENT SERVICE REAL` on every health event")
    .option("--concurrency <n>", "checks in flight at most", "256")
    .option(
      "--check-reuse <n>",
      "http/https checks one kept-alive connection to a real carries (1 = a new connection every check, as ldirectord); a failed check always drops it",
      String(DEFAULT_CHECK_REUSE),
    )
    .option(
      "--conn-stats-interval <ms>",
      "recount ActiveConn/InActConn from conntrack at most this often (0 = never)",
      "2000",
    )
    .option("--warm", "serve only where the VIP is a local address (run on both nodes; nft backend)")
    .option(
      "--warm-linger <ms>",
      "warm: keep the table this long after SIGTERM (clients whose ARP still names this node after a planned move)",
      "3000",
    )
    .option(
      "--metrics-listen <addr>",
      "serve /metrics (Prometheus) and a status page: PORT (127.0.0.1), IPV4:PORT or [IPV6]:PORT",
    )
    .option("--check", "validate the configuration and exit (0 ok, 2 errors)")
    .addOption(
      new Option(
        "--log-format <format>",
        "json: pino records on stderr (default); heartbeat: hbd's ha-log lines (`hb-director: [pid]: info: ...`)",
      ).choices(["json", "heartbeat"]),
    )
    .addHelpText("after", DIRECTOR_HELP_AFTER)
    .exitOverride();
  try {
    program.parse(argv, { from: "user" });
  } catch (e) {
    // --help and --version are not errors (commander reports them as exit code 0)
    return e instanceof CommanderError && e.exitCode === 0 ? 0 : 2;
  }
  const o = program.opts<MainOptions>();
  const fileProblem = notAFileProblem(o.config);
  if (fileProblem !== undefined) {
    process.stderr.write(`hb-director: ${fileProblem}\n`);
    return 2;
  }
  const metricsAt = o.metricsListen === undefined ? undefined : parseListenAddress(o.metricsListen);
  if (o.metricsListen !== undefined && metricsAt === undefined) {
    process.stderr.write(`hb-director: --metrics-listen ${o.metricsListen}: expected ${LISTEN_SYNTAX}\n`);
    return 2;
  }
  const checkReuse = Number(o.checkReuse);
  if (!/^\d+$/.test(o.checkReuse) || checkReuse < 1 || checkReuse > 1_000_000) {
    process.stderr.write(
      `hb-director: --check-reuse ${o.checkReuse}: expected a whole number from 1 to 1000000\n`,
    );
    return 2;
  }
  const backendName: string = o.backend === "auto" ? autoBackend() : o.backend;
  // hbd's logger (base/log-sink.ts): the same record fields and, with --log-format heartbeat, the same lines
  // hbd's logger (base/log-sink.ts) behind ldirectord.cf's `logfile` (a path or a syslog facility; log-target.ts)
  const destination = new DirectorLogDestination({
    node: hostname(),
    pid: process.pid,
    program: "hb-director",
    fileFormat: "heartbeat",
    stdoutFormat: o.logFormat === "heartbeat" ? "heartbeat" : "json",
    console: { write: (t) => process.stderr.write(t) },
  });
  const log = pino({ name: "hb-director", timestamp: pino.stdTimeFunctions.isoTime }, destination);
  const followLogfile = (c: DirectorConfig): void => {
    const target = c.global.logfileSet === true ? c.global.logfile : undefined;
    const before = destination.target;
    const after = logTargetKey(target);
    if (after === before) return;
    log.info({ logfile: after }, `logging to ${after} from now on`); // the last line where it logged so far
    destination.use(target);
    log.info({ logfile: after, before }, `logging to ${after} (was ${before})`);
    const problem = destination.takeProblem();
    if (problem !== undefined) process.stderr.write(`hb-director: ${problem}\n`);
  };
  if (backendName !== "nft" && backendName !== "ipvs") {
    process.stderr.write(`hb-director: unknown backend ${backendName} (auto, nft, ipvs)\n`);
    return 2;
  }
  // the YAML parser and the IPVS backend (execa) are loaded only when used: hb-director starts on every node
  const parse = parserFor(
    o.config,
    isYaml(o.config) ? (await import("./config/yaml.js")).parseDirectorYaml : undefined,
  );
  let device = o.device;
  if (!device) {
    try {
      const { readFileSync } = await import("node:fs");
      const parsed = parse(readFileSync(o.config, "utf8"), o.config);
      const gate = parsed.value.virtuals.flatMap((v) => v.reals).find((r) => r.method === "gate");
      if (gate) device = await routeDevice(gate.ip);
    } catch {
      // reported by the director's own load below
    }
  }
  const backend: DirectorBackend =
    backendName === "ipvs"
      ? new (await import("./backends/ipvs-director.js")).IpvsDirectorBackend()
      : new NftBackend({
          table: o.table,
          ...(device ? { device } : {}),
          killFlows: o.killFlows === true,
          localOnly: o.warm === true,
          connStatsIntervalMs: Number(o.connStatsInterval),
          warn: (m) => log.warn({}, m),
        });
  const director = new Director({
    configFile: o.config,
    backend,
    log,
    statusFile: o.stateFile,
    checkConcurrency: Number(o.concurrency) || 256,
    checkReuse,
    notifyCommand: o.notifyCommand,
    parse,
    ...(o.check ? {} : { onConfig: followLogfile }),
  });
  if (o.check) {
    try {
      await director.load();
      return 0;
    } catch (e) {
      process.stderr.write(`${(e as Error).message}\n`);
      return e instanceof DirectorConfigError ? 2 : 1;
    }
  }
  try {
    await director.start();
  } catch (e) {
    log.error({ err: (e as Error).message }, "cannot start");
    process.stderr.write(`hb-director: ${(e as Error).message}\n`);
    return e instanceof DirectorConfigError ? 2 : 1;
  }
  const monitor = metricsAt && (await serveDirectorMonitor(metricsAt, director, basename(o.config), log));
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (sig: string): void => {
      if (stopping) return;
      stopping = true;
      log.info({ signal: sig }, "stopping");
      // warm: a planned move stops this director while the VIP starts on the peer; clients still sending to
      // this node's MAC are forwarded (same table, same real) until the peer's gratuitous ARP reached them
      const linger = o.warm ? Math.max(0, Math.min(10_000, Number(o.warmLinger) || 0)) : 0;
      void new Promise((r) => setTimeout(r, linger))
        .then(() => director.stop())
        .then(() => monitor?.close())
        .then(async () => {
          if (o.pidfile) await unlink(o.pidfile).catch(() => undefined);
          destination.close(); // ends the syslog `logger` child's input: it sends what it has, then exits
          await new Promise((r) => setTimeout(r, 50));
          resolve(0);
        })
        .catch(() => resolve(1));
    };
    process.on("SIGTERM", () => stop("SIGTERM"));
    process.on("SIGINT", () => stop("SIGINT"));
    process.on("SIGQUIT", () => stop("SIGQUIT"));
    process.on("SIGHUP", () => {
      destination.reopen(); // logrotate (create mode) moved the file away
      void director.reload("SIGHUP");
    });
    // The pid file says "running, signals handled": written only now, whole (renamed into place). It was
    // written before the handlers, and a SIGHUP sent the moment it appeared killed hb-director (Node's
    // default action): the e2e rsyslog test's reload step failed so, 25 times in 30 in a tight loop.
    const pidfile = o.pidfile;
    if (pidfile)
      void writeFile(`${pidfile}.tmp`, `${process.pid}\n`)
        .then(() => rename(`${pidfile}.tmp`, pidfile))
        .catch((e: Error) => log.error({ err: e.message }, `cannot write the pid file ${pidfile}`));
  });
}

process.exitCode = await main(process.argv.slice(2));
// pino's destination flushes synchronously on fd 2; timers and sockets are closed by stop()
process.exit();
