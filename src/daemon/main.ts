#!/usr/bin/env node
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { hostname, setPriority } from "node:os";
import { join } from "node:path";
import { formatDiagnostic, hasErrors, sortDiagnostics } from "../base/diag.js";
import { ExitCode } from "../base/errors.js";
import { jsonLogger } from "../base/json-log.js";
import { LogSink } from "../base/log-sink.js";
import { Prng } from "../base/prng.js";
import { urandomSeed } from "../base/random.js";
import { VERSION } from "../base/version.js";
import type { Cib } from "../cib/model.js";
import { parseCib } from "../cib/parse.js";
import { openTransport } from "../comm/media.js";
import { openPingMonitor, type PingMonitor, pingIntervalMs } from "../comm/ping.js";
import { linkName, type Transport } from "../comm/transport.js";
import { monotonicClock } from "../comm/udp.js";
import { hostNaming } from "../config/host.js";
import { type LoadResult, loadHaD } from "../config/load.js";
import type { ClusterConfig, Medium } from "../config/model.js";
import {
  shippedAgents as listShippedAgents,
  passwdEntry,
  readHaD,
  readHost,
  readInput,
  resourceDirs,
  SHIPPED_AGENTS_DIR,
} from "../config/read.js";
import { supervisedClients } from "../config/respawn.js";
import { convertHaresources } from "../config/to-cib.js";
import { defaultHaEnv } from "../exec/env.js";
import { FenceRunner } from "../exec/fence.js";
import { createExecutor, realTimers } from "../exec/process.js";
import type { StatusReport } from "../ipc/protocol.js";
import { AlertRunner } from "./alert-runner.js";
import { restoreExtraCaCerts } from "./ca-env.js";
import { CibStore, compareCibVersions, formatCibVersion } from "./cib-store.js";
import { haresourcesCib } from "./crm-cib.js";
import { parseHbdFlags } from "./flags.js";
import { Hbd } from "./hbd.js";
import { IpcServer, resolveGroup, SOCKET_NAME } from "./ipc-server.js";
import { HbdMonitor } from "./monitor-shell.js";
import { RateLimiter, tickPeriodMs } from "./node.js";
import { PeInputStore } from "./pe-inputs.js";
import { PeerMarksWriter, readPeerMarks } from "./peer-marks.js";
import { RespawnSupervisor, realRespawnPort } from "./respawn.js";
import { SdNotifier } from "./sd-notify.js";
import { systemdNotifySend } from "./sd-notify-send.js";
import { bumpGeneration, claimPidFile, nodeUuid, releasePidFile, startupFailureLine } from "./state.js";
import { TickLoop, wakePeriodMs } from "./tick-loop.js";
/**
 * hbd: the Tandem daemon, the real shell around HeartbeatNode (node.ts).
 * It validates the configuration, claims RUN_DIR/hbd.pid, bumps the
 * generation in STATE_DIR/hb_generation (written atomically before use),
 * opens every medium and ping node, serves RUN_DIR/hbd.sock for hbctl, and
 * runs one tick loop (tick-loop.ts: a timer re-armed to the node's next
 * deadline) that also measures the event loop's lag (warning when it reaches
 * half of warntime).
 *
 * Signals: SIGTERM/SIGINT leave the cluster cleanly (Heartbeat's shutdown
 * messages, so peers do not wait for deadtime), SIGHUP reloads authkeys.
 * Logs: log-sink.ts (Heartbeat's ha-log lines in logfile/debugfile/syslog,
 * pino JSON on stdout; --log-format switches).
 *
 * Exit codes: 0 stopped cleanly (or --check passed), 1 already running or a
 * failure while running, 2 usage, 6 configuration error, 7 the state or run
 * directory is unusable at start (full disk, a file where a directory must
 * be, permissions): one line on stderr says what, where and what to do.
 */
// first: V8 settings that must apply before the other modules allocate (issue 15 footprint)
import { applyTimingFlags } from "./v8-flags.js";
import { Watchdog } from "./watchdog.js";

export { DEFAULT_RUN_DIR, DEFAULT_STATE_DIR } from "./flags.js";

/**
 * hbd's start-up and life, in a function rather than at the module's top level: the shipped hbd is
 * a CommonJS bundle (dist/src/bin/hbd.cjs, scripts/bundle-bins.mjs), which has no top-level await.
 * Node's ES module loader, which an ES module entry starts, was ~2.9 MB of hbd's RSS (issue 15).
 */
async function main(): Promise<void> {
  const OCF_ROOT = "/usr/lib/ocf";

  // the package's wrapper started node without NODE_EXTRA_CA_CERTS (ca-env.ts): back for the children
  restoreExtraCaCerts(process.env);

  /** The command line (flags.ts: commander only for --help, --version and errors). */
  const flags = await parseHbdFlags(process.argv.slice(2));

  // cluster.yaml's parser (yaml + zod) is loaded only for --config: it was ~180 ms CPU of every start (issue 15)
  const yamlLoader = flags.config ? await import("../config/load-yaml.js") : undefined;

  function load(): { result: LoadResult; node: string | undefined } {
    if (flags.config && yamlLoader) {
      const node = flags.node ?? hostname();
      return { result: yamlLoader.loadYaml(readInput(flags.config), node), node };
    }
    const inputs = readHaD(flags.configDir, flags.node, hostname());
    const host = readHost({
      configDir: flags.configDir,
      stateDir: flags.stateDir,
      heartbeatCib: flags.heartbeatCib,
    });
    return { result: loadHaD({ ...inputs, host }), node: inputs.localNode };
  }

  const { result, node: nodeName } = (() => {
    try {
      return load();
    } catch (e) {
      process.stderr.write(
        `hbd: the configuration could not be read: ${(e as Error).message}; not started\n`,
      );
      process.exit(ExitCode.config);
    }
  })();
  for (const d of sortDiagnostics(result.diagnostics)) process.stderr.write(`hbd: ${formatDiagnostic(d)}\n`);
  const config = result.config;
  if (!config || nodeName === undefined) {
    process.stderr.write("hbd: configuration error, not started\n");
    process.exit(ExitCode.config);
  }
  if (flags.check) {
    process.stdout.write("hbd: configuration valid\n");
    process.exit(ExitCode.ok);
  }
  /** V8 settings that depend on the timing (v8-flags.ts: no optimising compiler at slow keepalives). */
  const timingV8Flags = applyTimingFlags(config.timing.keepaliveMs);
  const localNode = nodeName.toLowerCase();
  const gid = flags.group === undefined ? undefined : resolveGroup(flags.group);
  if (flags.group !== undefined && gid === undefined) {
    process.stderr.write(`hbd: --group ${flags.group}: no such group\n`);
    process.exit(ExitCode.usage);
  }

  const logSink = new LogSink({
    node: localNode,
    pid: process.pid,
    fileFormat: flags.logFormat === "json" ? "json" : "heartbeat",
    stdoutFormat: flags.logFormat === "heartbeat" ? "heartbeat" : "json",
    ...(config.logfile === undefined ? {} : { logfile: config.logfile }),
    ...(config.debugfile === undefined ? {} : { debugfile: config.debugfile }),
    ...(config.logfacility === undefined ? {} : { facility: config.logfacility }),
  });
  /** ha.cf metrics_listen: /metrics and the status page (monitor-shell.ts); inert without it. */
  const monitor = new HbdMonitor(config.metricsListen, localNode, () => monotonicClock.now());
  /** pino's records without pino (json-log.ts: same bytes, ~55 ms less CPU at start). */
  const logger = jsonLogger(
    {
      base: { node: localNode },
      level: config.debugLevel > 0 || config.debugfile !== undefined ? "debug" : "info",
    },
    monitor.tap(logSink),
  );

  for (const d of result.diagnostics.filter((x) => x.severity === "warning"))
    logger.warn({ event: "config-warning", file: d.file, line: d.line, code: d.code }, formatDiagnostic(d));

  /**
   * Heartbeat's `realtime on` (its default) exists so that a busy CPU cannot
   * delay heartbeats or the dead-time check into a false death. Heartbeat, a
   * single-threaded C process, uses SCHED_FIFO. hbd does NOT: a Node process's
   * main thread waits on its own V8 and libuv helper threads, and under FIFO on
   * a busy or single CPU it starves them and hangs (seen here: main thread at
   * 100 % while the helpers it waited for never ran). hbd instead takes the
   * highest normal priority, nice -20 on every thread (threads started later
   * inherit it), which a CPU hog at nice 0 cannot outweigh. `rtprio` is kept
   * for compatibility and has no effect. Without the privilege hbd keeps running
   * and says so. mlockall, the other half of Heartbeat's realtime, is not
   * available to Node.
   */
  function applyRealtime(realtime: boolean): void {
    if (!realtime) return;
    let threads: string[];
    try {
      threads = readdirSync("/proc/self/task");
    } catch {
      threads = [String(process.pid)];
    }
    const failed: string[] = [];
    for (const tid of threads) {
      try {
        setPriority(Number(tid), -20);
      } catch (e) {
        failed.push(`${tid}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    }
    if (failed.length === 0) {
      logger.info(
        { event: "realtime", nice: -20, threads: threads.length },
        "scheduling: nice -20 on every thread",
      );
    } else {
      logger.warn(
        { event: "realtime-failed", err: failed.join(", ") },
        `realtime on, but the priority could not be raised (${failed[0]}); CPU contention can delay heartbeats`,
      );
    }
  }

  // Before the rest of the start (the CIB, the media, the agents' directories): on a loaded machine
  // the start to the first heartbeat runs at the priority the heartbeats will have (issue 15 §5).
  applyRealtime(config.realtime);

  /** Runs a start-up step on the state or run directory; a failure is one clear line and exit 7 (ExitCode.startup). */
  function startupStep<T>(what: string, dir: string, step: () => T): T {
    try {
      return step();
    } catch (e) {
      process.stderr.write(`${startupFailureLine(what, dir, e)}\n`);
      if (pidClaimed) releasePidFile(flags.runDir);
      logger.flush();
      process.exit(ExitCode.startup);
    }
  }

  let pidClaimed = false;
  const holder = startupStep("claim the pid file", flags.runDir, () => claimPidFile(flags.runDir));
  if (holder !== undefined) {
    process.stderr.write(`hbd: already running (pid ${holder}, ${join(flags.runDir, "hbd.pid")})\n`);
    process.exit(ExitCode.warnings);
  }
  pidClaimed = true;

  const { generation, previous } = startupStep("write the generation number", flags.stateDir, () =>
    bumpGeneration(flags.stateDir, config.hbgenmethod, Date.now()),
  );
  if (previous === undefined)
    logger.warn({ event: "generation" }, `No Previous generation - starting at ${generation}`);
  const uuid = startupStep("write the node UUID", flags.stateDir, () =>
    nodeUuid(flags.stateDir, config.uuidfrom, localNode),
  );
  /** Peers' generation/seq high-water marks of the last run: a recording of their frames is a replay (peer-marks.ts). */
  const storedMarks = readPeerMarks(flags.stateDir);
  if (storedMarks.error !== undefined)
    logger.warn({ event: "peer-marks" }, `${storedMarks.error}; starting without peers' high-water marks`);
  const PEER_MARKS_SAVE_MS = 2000;
  const peerMarks = new PeerMarksWriter(flags.stateDir, PEER_MARKS_SAVE_MS, (m) =>
    logger.warn({ event: "peer-marks" }, m),
  );

  const transports: Transport[] = [];
  let stopping = false;
  const pings: PingMonitor[] = [];
  let ipc: IpcServer | undefined;

  /** Releases everything this process holds; never throws. */
  async function release(): Promise<void> {
    for (const t of retryTimers) clearTimeout(t);
    for (const p of pings) await p.close().catch(() => {});
    for (const t of transports) await t.close().catch(() => {});
    await ipc?.close().catch(() => {});
    await monitor.close().catch(() => {});
    releasePidFile(flags.runDir);
  }

  /**
   * Opens every medium. One that cannot be opened yet (an interface without
   * carrier or address at boot, a serial device not yet present) does not stop
   * hbd: its link is reported dead and opening is retried with backoff, as a
   * Heartbeat node bound to its device would simply start hearing on it later.
   */
  const RETRY_MIN_MS = 1000;
  const RETRY_MAX_MS = 10_000;
  const retryTimers = new Set<NodeJS.Timeout>();
  let addToNode: ((t: Transport) => void) | undefined;
  /** The tick loop, once started (below): inputs poke it. */
  let tickLoop: TickLoop | undefined;
  const pokeLoop = (): void => tickLoop?.poke();

  function watch(t: Transport): void {
    t.onError((e) =>
      logger.warn({ event: "medium-error", link: t.link, medium: t.id, code: e.code }, e.message),
    );
  }

  async function openMedium(m: Medium, attempt: number): Promise<void> {
    try {
      const t = await openTransport(m, { clock: monotonicClock });
      if (stopping) {
        await t.close().catch(() => {});
        return;
      }
      watch(t);
      transports.push(t);
      addToNode?.(t);
      if (attempt > 0)
        logger.info({ event: "medium-open", medium: t.id, attempts: attempt + 1 }, `medium ${t.id} opened`);
    } catch (e) {
      const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(attempt, 4));
      if (attempt === 0 || attempt % 30 === 0) {
        logger.error(
          {
            event: "medium-failed",
            medium: `${m.kind} ${linkName(m)}`,
            err: (e as Error).message,
            retryMs: delay,
          },
          `cannot open a medium (retrying every ${delay / 1000} s): ${(e as Error).message}`,
        );
      }
      if (stopping) return;
      const timer = setTimeout(() => {
        retryTimers.delete(timer);
        void openMedium(m, attempt + 1);
      }, delay);
      retryTimers.add(timer);
    }
  }

  await Promise.all(config.media.map((m) => openMedium(m, 0)));
  if (transports.length === 0) {
    process.stderr.write("hbd: no medium could be opened yet; retrying in the background (see the log)\n");
  }

  let loadText = "";
  let loadReadAt = Number.NEGATIVE_INFINITY;
  function loadavg(): string {
    const now = monotonicClock.now();
    if (now - loadReadAt >= 1000) {
      loadReadAt = now;
      try {
        loadText = readFileSync("/proc/loadavg", "utf8").trim();
      } catch {
        loadText = "0.00 0.00 0.00 1/1 1";
      }
    }
    return loadText;
  }

  // ---------------------------------------------------------------- the resource manager

  /**
   * The CIB at start. haresources mode (crm off): the conversion of haresources,
   * keeping the stored copy's node attributes and version (crm-cib.ts
   * haresourcesCib). CRM mode: the stored copy, else CONFIG_DIR/cib.xml, else an
   * empty configuration. A stored file that fails its digest is refused (logged)
   * and the newest good previous version is used.
   */
  function initialCib(store: CibStore, cfg: ClusterConfig): Cib {
    const loaded = store.load();
    for (const r of loaded.refused) logger.error({ event: "cib-refused" }, r);
    if (loaded.file !== undefined && loaded.refused.length > 0)
      logger.warn({ event: "cib-fallback", file: loaded.file }, `using the last good CIB ${loaded.file}`);
    if (loaded.movedAside !== undefined)
      logger.warn(
        { event: "cib-moved-aside", file: loaded.movedAside },
        `the refused ${cibStore.path} was moved to ${loaded.movedAside} (kept for inspection)`,
      );
    const empty = convertHaresources([], { autoFailback: cfg.autoFailback, nodes: cfg.nodes });
    if (cfg.pacemaker === "off") {
      const converted = convertHaresources(cfg.groups, {
        autoFailback: cfg.autoFailback,
        nodes: cfg.nodes,
        agents: hostNaming(readHost({ configDir: flags.configDir })),
        ...(cfg.stonithHosts === undefined ? {} : { stonith: cfg.stonithHosts }),
        ...(cfg.alerts === undefined ? {} : { alerts: cfg.alerts }),
      });
      return haresourcesCib(converted, loaded.cib);
    }
    if (loaded.cib !== undefined) return loaded.cib;
    return importCib(result.cibSource?.origin === "state" ? undefined : result.cibSource?.path) ?? empty;
  }

  /**
   * crm on without a CIB of its own: CONFIG_DIR/cib.xml, else Heartbeat 2.1's
   * /var/lib/heartbeat/crm/cib.xml (load.ts chose which and checked it parses),
   * imported once: it is saved to STATE_DIR at start, which wins from then on.
   */
  function importCib(seed: string | undefined): Cib | undefined {
    if (seed === undefined || !existsSync(seed)) return undefined;
    const p = parseCib(readFileSync(seed, "utf8"), seed);
    if (p.value === undefined) {
      logger.error({ event: "cib-refused", file: seed }, `${seed}: not a valid CIB; starting empty`);
      return undefined;
    }
    logger.info(
      { event: "cib-imported", file: seed, stateDir: flags.stateDir },
      `CIB imported from ${seed} into ${join(flags.stateDir, "crm", "cib.xml")}; edit it there from now on (hbctl cib)`,
    );
    return p.value;
  }

  const peInputs = new PeInputStore(flags.stateDir);
  const cibStore = new CibStore(flags.stateDir, undefined, () => peInputs.shed()); // inputs never block a CIB write
  const startCib = initialCib(cibStore, config);
  const storedVersion = cibStore.load().cib;
  if (storedVersion === undefined || compareCibVersions(storedVersion, startCib) !== 0)
    startupStep("save the CIB", flags.stateDir, () => cibStore.save(startCib));
  const rscTmp = join(flags.runDir, "rsctmp");
  startupStep("create rsctmp", flags.runDir, () => mkdirSync(rscTmp, { recursive: true, mode: 0o755 }));
  const executor = createExecutor({
    ocfProviderDirs: { tandem: SHIPPED_AGENTS_DIR },
    resourceDirs: [...resourceDirs(flags.configDir), SHIPPED_AGENTS_DIR],
    haEnv: { ...defaultHaEnv, HA_D: flags.configDir, HA_DIR: flags.configDir, HA_RSCTMP: rscTmp },
  });
  // ---- fencing
  /**
   * Fence agents (docs/FENCING.md): CONFIG_DIR/resource.d/stonith, Tandem's
   * resource.d/stonith, then /usr/sbin (the fence-agents package speaks the same
   * stdin protocol). fence_meatware's confirmations live in RUN_DIR/fence.
   */
  const fenceRunner = new FenceRunner({
    agentDirs: [
      join(flags.configDir, "resource.d", "stonith"),
      join(SHIPPED_AGENTS_DIR, "stonith"),
      "/usr/sbin",
    ],
    env: {
      PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin",
      TANDEM_FENCE_DIR: join(flags.runDir, "fence"),
      HA_D: flags.configDir,
    },
    onOutput: (device, line) => logger.warn({ event: "fence-agent", device }, `${device}: ${line}`),
  });
  /** ocf:heartbeat:T runs resource-agents' T when installed; Tandem's own T only when it is not (verify warns). */
  const shippedAgents = new Set(
    [...listShippedAgents()].filter((t) => !existsSync(join(OCF_ROOT, "resource.d", "heartbeat", t))),
  );
  logger.info(
    {
      event: "cib",
      version: formatCibVersion(startCib),
      mode: config.pacemaker === "off" ? "haresources" : "crm",
    },
    `CIB ${formatCibVersion(startCib)} loaded`,
  );

  /** Alert agents (CIB <alerts>; haresources: ha.cf `alert` lines), run beside the transitions, never awaited. */
  const alertRunner = new AlertRunner({ log: logger });

  /** The node itself, composed from the real adapters (hbd.ts; the simulator composes the same from its own). */
  const hbd = new Hbd(
    {
      config,
      localNode,
      generation,
      uuid,
      version: VERSION,
      startCib,
      shippedAgents,
      peerMarks: storedMarks.marks,
      pingdAttribute: flags.pingdAttribute,
    },
    {
      clock: monotonicClock,
      wallClockMs: () => Date.now(),
      timers: realTimers,
      transports,
      prng: new Prng(urandomSeed()),
      exec: monitor.timed((req) => executor.exec(req)),
      deviceOp: monitor.timed((req) => fenceRunner.deviceOp(req)),
      fence: (r) => fenceRunner.run(r.device, r.action, r.target, r.timeoutMs),
      disk: {
        persistCib: (cib) => cibStore.save(cib),
        savePolicyInput: (cib, nowMs) => peInputs.save(cib, nowMs),
        savePeerMarks: (marks, nowMs, force) => peerMarks.save(marks, nowMs, force),
      },
      log: logger,
      loadavg,
      alert: (e) => alertRunner.handle(e, () => hbd.controller.cib),
    },
  );
  addToNode = (t) => {
    hbd.addTransport(t);
    // after the node's own handler (handlers run in the order they were added); before the loop starts,
    // it registers every transport itself
    if (tickLoop !== undefined) t.onFrame(pokeLoop);
  };

  /** What `hbctl status` reports (also the status page's and the metrics' snapshot). */
  function statusReport(): StatusReport {
    return { ...hbd.report(process.pid), ...watchdogReport() };
  }

  const timing = config.timing;
  for (const p of config.pingNodes) {
    const m = openPingMonitor(p, {
      intervalMs: pingIntervalMs(timing.keepaliveMs, timing.deadpingMs),
      deadpingMs: timing.deadpingMs,
      clock: monotonicClock,
    });
    m.onEvent((e) => {
      hbd.onPing(p.name, e.type !== "down");
      pokeLoop();
    });
    m.onError((e) => logger.warn({ event: "ping-error", peer: p.name, code: e.code }, e.message));
    pings.push(m);
  }

  try {
    ipc = await IpcServer.listen({
      path: join(flags.runDir, SOCKET_NAME),
      ...(gid === undefined ? {} : { gid }),
      report: statusReport,
      command: (method, params) => {
        try {
          return hbd.command(method, params);
        } finally {
          pokeLoop();
        }
      },
      log: logger,
    });
  } catch (e) {
    logger.error(
      { event: "ipc-failed", err: (e as Error).message },
      `cannot serve the control socket: ${(e as Error).message}`,
    );
    process.stderr.write(`hbd: control socket: ${(e as Error).message}\n`);
    await release();
    logger.flush();
    process.exit(ExitCode.warnings);
  }

  await monitor.listen(
    { status: statusReport, cib: () => hbd.controller.cib, dc: () => hbd.controller.dc },
    logger,
  );

  // ---------------------------------------------------------------- the tick loop

  const tickMs = tickPeriodMs(timing.keepaliveMs, timing.deadtimeMs);
  const wakeMs = wakePeriodMs(tickMs, timing.keepaliveMs);
  const lagWarnMs = Math.max(tickMs, timing.warntimeMs / 2);
  const lagLog = new RateLimiter(10_000);
  hbd.start();
  logger.info(
    {
      event: "started",
      generation,
      tickMs,
      wakeMs,
      ...(timingV8Flags.length > 0 ? { v8: timingV8Flags.join(" ") } : {}),
      pid: process.pid,
      socket: ipc.path,
    },
    `hbd ${VERSION} running as ${localNode}`,
  );
  /** ha.cf `respawn` programs (not ipfail, not Heartbeat API clients: config/respawn.ts), supervised as Heartbeat. */
  const respawn = startRespawn();
  function startRespawn(): RespawnSupervisor {
    const env: Record<string, string> = { HA_D: flags.configDir, HA_CF: join(flags.configDir, "ha.cf") };
    for (const [k, v] of Object.entries(config?.env ?? {})) env[`HA_${k}`] = v;
    const clients = supervisedClients(config?.respawn ?? [], config?.apiauth ?? []);
    const port = realRespawnPort(
      (u) => passwdEntry(u),
      () => monotonicClock.now(),
    );
    const r = new RespawnSupervisor(clients, env, port, logger);
    r.start();
    return r;
  }
  /** systemd Type=notify (sd-notify.ts): ready once heartbeating and serving hbctl. */
  const sd = SdNotifier.fromEnv(process.env, process.pid, {
    send: systemdNotifySend,
    timers: {
      setInterval: (fn, ms) => setInterval(fn, ms).unref(),
      clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
    },
    onError: (m) => logger.warn({ event: "sd-notify-failed" }, m),
  });
  sd?.ready(`heartbeating as ${localNode}, ${transports.length}/${config.media.length} media open`);
  /** ha.cf `watchdog`: tickled from the tick loop while hbd runs normally, disarmed ("V") at a clean shutdown. */
  let watchdog: Watchdog | undefined;
  let watchdogError: string | undefined;
  /** The watchdog line of `hbctl status`. */
  function watchdogReport(): Pick<StatusReport, "watchdog"> {
    if (config?.watchdog === undefined) return {};
    const error = watchdogError === undefined ? {} : { error: watchdogError };
    return { watchdog: { device: config.watchdog, armed: watchdog !== undefined, ...error } };
  }
  if (config.watchdog !== undefined) {
    try {
      watchdog = Watchdog.open({ path: config.watchdog, intervalMs: Math.min(timing.keepaliveMs, 1000) });
      logger.info({ event: "watchdog", device: config.watchdog }, `watchdog ${config.watchdog} armed`);
    } catch (e) {
      watchdogError = (e as Error).message;
      logger.error(
        { event: "watchdog-failed", device: config.watchdog, err: (e as Error).message },
        `cannot open the watchdog ${config.watchdog}: ${(e as Error).message}; running without it`,
      );
    }
  }
  /**
   * The tick loop (tick-loop.ts): one timer re-armed to the node's next deadline, at most `wakeMs`
   * apart; frames, hbctl commands and ping verdicts poke it (they can bring a deadline closer).
   */
  tickLoop = new TickLoop(
    {
      periodMs: wakeMs,
      nextDeadline: () => hbd.node.nextWakeMs(),
      turn: (now, lag) => {
        hbd.node.lag.lagMs = lag;
        hbd.node.lag.maxLagMs = Math.max(hbd.node.lag.maxLagMs, lag);
        if (lag >= lagWarnMs && lagLog.allow("lag", now) !== false)
          logger.warn(
            { event: "event-loop-lag", lagMs: Math.round(lag), warntimeMs: timing.warntimeMs },
            `event loop lag ${Math.round(lag)} ms approaches warntime ${timing.warntimeMs} ms`,
          );
        hbd.tick();
        const logProblem = logSink.takeProblem();
        if (logProblem !== undefined) process.stderr.write(`hbd: logging: ${logProblem}\n`);
        if (!stopping) watchdog?.tickle(now);
      },
    },
    { clock: monotonicClock, timers: realTimers },
  );
  for (const t of transports) t.onFrame(pokeLoop);
  tickLoop.start();

  // ---------------------------------------------------------------- signals

  /** Upper bound for stopping this node's resources at shutdown. */
  const RELEASE_LIMIT_MS = 120_000;

  async function stop(signal: string): Promise<void> {
    if (stopping) return;
    stopping = true;
    logger.info({ event: "signal", signal }, `${signal}: shutting down`);
    sd?.stopping(`${signal}: stopping resources and leaving the cluster`);
    watchdog?.close(); // a clean shutdown is not watched: disarm at once, however long the stops take
    hbd.beginShutdown();
    // Resources go first (bounded by their stop timeouts), then the goodbye: the peer takes over only
    // after this node has let go, so the VIP is never up on both.
    setTimeout(() => process.exit(ExitCode.warnings), RELEASE_LIMIT_MS + 5000).unref();
    await respawn.stop(); // Heartbeat stops its clients before giving up resources
    const failed = await Promise.race([
      hbd.releaseLocal(),
      new Promise<undefined>((r) => setTimeout(() => r(undefined), RELEASE_LIMIT_MS).unref()),
    ]);
    if (failed === undefined)
      logger.error({ event: "release-timeout" }, "stopping resources took too long; leaving anyway");
    tickLoop?.stop();
    hbd.finishShutdown();
    await new Promise((r) => setTimeout(r, 50)); // let the shutdown datagrams leave
    await alertRunner.drain(2000); // the stops' alerts (agents keep running detached if slower)
    await release();
    logger.info({ event: "stopped" }, "hbd stopped");
    logger.flush();
    process.exit(ExitCode.ok);
  }

  /** SIGHUP: re-reads the configuration; a bad file (or a bug reading it) is logged and the running one stays. */
  function reload(): void {
    try {
      logSink.reopen();
    } catch (e) {
      process.stderr.write(`hbd: cannot reopen the log files: ${(e as Error).message}\n`);
    }
    let r: LoadResult;
    try {
      r = load().result;
    } catch (e) {
      logger.error(
        { event: "reload-failed", err: (e as Error).stack ?? String(e) },
        `SIGHUP: the configuration could not be read (${(e as Error).message}); keeping the running configuration`,
      );
      return;
    }
    if (!r.config || hasErrors(r.diagnostics)) {
      for (const d of sortDiagnostics(r.diagnostics).filter((x) => x.severity === "error"))
        logger.error({ event: "reload-failed", file: d.file, line: d.line }, formatDiagnostic(d));
      logger.error(
        { event: "reload-failed" },
        "SIGHUP: configuration has errors; keeping the running configuration",
      );
      return;
    }
    hbd.node.setAuthKeys(r.config.auth);
    logger.info({ event: "reloaded" }, "SIGHUP: configuration reloaded (authentication keys applied)");
  }

  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGHUP", reload);
}

main().catch((e: unknown) => {
  // As a rejected top-level await ended hbd: Node prints it as an uncaught exception, exit code 1.
  setImmediate(() => {
    throw e;
  });
});
