/**
 * The director loop: check rounds -> health -> desiredTable -> reconcile ->
 * backend apply, plus configuration (auto)reload, clean stop, alerts and the
 * status file that `hbctl lvs status` reads.
 *
 * Every real is checked on its own timer (next check at last start +
 * checkinterval), so a hung server never delays another one. Results feed the pure health state machine as they arrive; any
 * change requests a reconcile, and reconciles are serialised and coalesced
 * (one batch at a time, the latest desired table wins).
 */
import { createHash } from "node:crypto";
import { appendFile, readdir, readFile, stat } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { type Diagnostic, formatDiagnostic, hasErrors } from "../base/diag.js";
import { isoTime } from "../base/iso-time.js";
import { type AlertEvent, Alerter } from "./alerts.js";
import type { ConnCounts, DirectorBackend } from "./backends/nft-adapter.js";
import { closeKeptConnection, closeKeptConnections } from "./checks/http.js";
import { CheckRunner, type CheckSpec, runCheck } from "./checks/runner.js";
import { checkSpecFor } from "./checks/spec.js";
import { parseLdirectordCf } from "./config/ldirectord.js";
import { desiredTable, validateForBackend } from "./desired.js";
import { applyCheckResults, type CheckFeed, configRealKey, initialHealth, setMaintenance } from "./health.js";
import type {
  CheckResult,
  DaemonPhase,
  DirectorConfig,
  HealthState,
  HealthTransition,
  RealServer,
  Table,
  VirtualService,
} from "./model.js";
import { reconcile } from "./reconcile.js";
import { type DirectorStatus, StatusFileWriter, statusServices } from "./status.js";

/** The logger the director writes to (pino fits). */
export interface DirectorLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface DirectorOptions {
  readonly configFile: string;
  readonly backend: DirectorBackend;
  readonly log: DirectorLogger;
  /** JSON status written after every round and every table change. */
  readonly statusFile?: string | undefined;
  /** Checks in flight at most. Default 256. */
  readonly checkConcurrency?: number;
  readonly notifyCommand?: string | undefined;
  /** Parses a configuration text (default: ldirectord.cf, or YAML by the caller's choice). */
  readonly parse?: (
    text: string,
    file: string,
  ) => { value: DirectorConfig; diagnostics: readonly Diagnostic[] };
  /**
   * http/https checks one kept-alive connection carries (default 1: a new
   * connection per check, as ldirectord; see check-http.ts).
   */
  readonly checkReuse?: number;
  /** Called with each configuration put in force (start and every reload). */
  readonly onConfig?: (config: DirectorConfig) => void;
}

/** A configuration that cannot be used (parse errors or what the backend cannot do). */
export class DirectorConfigError extends Error {
  override readonly name = "DirectorConfigError";
  constructor(readonly diagnostics: readonly Diagnostic[]) {
    super(
      diagnostics
        .filter((d) => d.severity === "error")
        .map(formatDiagnostic)
        .join("\n"),
    );
  }
}

export type { DirectorStatus, StatusReal, StatusService } from "./status.js";

interface RealSlot {
  readonly service: string;
  readonly real: string;
  spec: RealServer;
  virtual: VirtualService;
  lastStart: number;
  running: boolean;
  /** Removed by a reload. */
  gone: boolean;
  timer?: NodeJS.Timeout | undefined;
  /** combined checktype: successful connects since the last negotiate. */
  connectsSinceNegotiate: number;
  forceNegotiate: boolean;
  /** The checks of this real, built once per configuration (the http check caches its URL per spec object). */
  specs?: { readonly negotiate: CheckSpec; readonly connect: CheckSpec } | undefined;
  /** This real's entry of Director.checkCounts. */
  counts: { checks: number; failures: number };
}

function sha(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

export { checkPortOf, checkSpecFor } from "./checks/spec.js";

export class Director {
  private config!: DirectorConfig;
  private configHash = "";
  private configMtime = 0;
  /** Hash of the file as last seen on disk (loaded or not). */
  private diskHash = "";
  private health: HealthState = { virtuals: new Map() };
  private slots: RealSlot[] = [];
  private readonly runner: CheckRunner;
  private readonly stopper = new AbortController();
  private phase: DaemonPhase = "starting";
  private ticker: NodeJS.Timeout | undefined;
  private applying: Promise<void> | undefined;
  private dirty = false;
  private applied: Table = { services: [] };
  private owned = new Set<string>();
  private readonly startedAt = Date.now();
  private lastRound: DirectorStatus["lastRound"];
  private firstRoundMs: number | undefined;
  private lastApplyError: string | undefined;
  private readonly alerter: Alerter;
  private reloading: Promise<void> | undefined;
  private tableChanges = 0;
  /** Checks and failed checks per `service|real` since start (the metrics' counters). */
  private readonly checkCounts = new Map<string, { checks: number; failures: number }>();
  /** The status file (written after every tick and table change). */
  private readonly statusFile: StatusFileWriter;
  /** Check periods with at least one finished check (tests and bench). */
  rounds = 0;
  /** Start/end (performance.now) of the checks finished since the last tick. */
  private readonly finished: { start: number; end: number }[] = [];

  constructor(private readonly opts: DirectorOptions) {
    this.statusFile = new StatusFileWriter(
      opts.statusFile,
      () => this.status(),
      (m) => opts.log.warn({}, m),
    );
    this.runner = new CheckRunner(opts.checkConcurrency ?? 256);
    this.alerter = new Alerter({
      notifyCommand: opts.notifyCommand,
      warn: (m) => opts.log.warn({}, m),
    });
  }

  /** The configuration in use. */
  get current(): DirectorConfig {
    return this.config;
  }

  get healthState(): HealthState {
    return this.health;
  }

  /** Reads and validates a configuration file; throws DirectorConfigError. */
  async load(): Promise<{ config: DirectorConfig; hash: string; mtime: number }> {
    const text = await readFile(this.opts.configFile, "utf8");
    const st = await stat(this.opts.configFile);
    const parsed = (this.opts.parse ?? parseLdirectordCf)(text, this.opts.configFile);
    const diags = [
      ...parsed.diagnostics,
      ...validateForBackend(parsed.value, this.opts.backend.capabilities),
    ];
    for (const d of diags)
      if (d.severity !== "error") this.opts.log.warn({ diagnostic: d }, formatDiagnostic(d));
    if (hasErrors(diags)) throw new DirectorConfigError(diags);
    return { config: parsed.value, hash: sha(text), mtime: st.mtimeMs };
  }

  /** Loads the configuration, brings the table to its state and starts checking. */
  async start(): Promise<void> {
    const { config, hash, mtime } = await this.load();
    this.config = config;
    this.opts.onConfig?.(config);
    this.configHash = hash;
    this.diskHash = hash;
    this.configMtime = mtime;
    const kernel = await this.opts.backend.read();
    // ldirectord trusts reals already in the table with weight > 0 until a check says otherwise
    const trusted = new Set(
      kernel.services.flatMap((s) =>
        s.reals.filter((r) => r.weight > 0 && r.role !== "fallback").map((r) => `${s.key}|${r.key}`),
      ),
    );
    this.health = initialHealth(config, {
      trusted: (s, r) => trusted.has(`${s}|${r}`) || trustedByAddress(kernel, s, r),
    });
    this.rebuildSlots();
    this.owned = new Set(config.virtuals.map((v) => v.key));
    this.opts.log.info(
      { config: this.opts.configFile, backend: this.opts.backend.name, virtuals: config.virtuals.length },
      "starting",
    );
    await this.reconcileNow();
    this.phase = "running";
    void this.round().then((ms) => {
      this.firstRoundMs = ms;
    });
    this.scheduleTicks();
  }

  private scheduleTicks(): void {
    if (this.ticker) clearInterval(this.ticker);
    const every = Math.max(
      50,
      Math.min(
        ...this.config.virtuals.map((v) => v.check.checkIntervalMs),
        this.config.global.checkIntervalMs,
      ),
    );
    this.ticker = setInterval(() => void this.tick(), every);
  }

  private rebuildSlots(): void {
    const old = new Map(this.slots.map((s) => [`${s.service}|${s.real}`, s]));
    this.slots = this.config.virtuals.flatMap((v) =>
      v.reals.map((r): RealSlot => {
        const real = configRealKey(r);
        const prev = old.get(`${v.key}|${real}`);
        old.delete(`${v.key}|${real}`);
        if (prev) {
          prev.spec = r;
          prev.virtual = v;
          releaseSpecs(prev);
          return prev;
        }
        const key = `${v.key}|${real}`;
        const counts = this.checkCounts.get(key) ?? { checks: 0, failures: 0 };
        this.checkCounts.set(key, counts);
        return {
          service: v.key,
          real,
          spec: r,
          virtual: v,
          lastStart: 0,
          running: false,
          gone: false,
          connectsSinceNegotiate: 0,
          forceNegotiate: true,
          counts,
        };
      }),
    );
    for (const s of old.values()) {
      s.gone = true;
      releaseSpecs(s);
      if (s.timer) clearTimeout(s.timer);
    }
  }

  private async tick(): Promise<void> {
    if (this.stopper.signal.aborted) return;
    await this.watchConfig();
    await this.maintenance();
    const done = this.finished.splice(0);
    if (done.length > 0) {
      const first = Math.min(...done.map((d) => d.start));
      const last = Math.max(...done.map((d) => d.end));
      this.lastRound = { checks: done.length, durationMs: Math.round(last - first), at: Date.now() };
      this.rounds++;
    }
    await this.remind();
    await this.statusFile.write();
  }

  /** Starts the check of every real that is not already running (start-up and reload). */
  round(): Promise<number> {
    const t0 = performance.now();
    return Promise.all(this.slots.map((s) => this.launch(s))).then(() => Math.round(performance.now() - t0));
  }

  private launch(s: RealSlot): Promise<void> {
    if (s.running || s.gone || this.stopper.signal.aborted) return Promise.resolve();
    if (s.timer) clearTimeout(s.timer);
    s.timer = undefined;
    return this.checkOne(s);
  }

  /**
   * Checks one real, then schedules its next check at lastStart + checkinterval
   * (at once when the check took the whole interval, e.g. a timeout), so a dead
   * real leaves within checkinterval x failurecount + checktimeout.
   */
  private async checkOne(s: RealSlot): Promise<void> {
    s.running = true;
    s.lastStart = Date.now();
    const start = performance.now();
    try {
      await this.checkUntilSettled(s);
    } finally {
      s.running = false;
    }
    this.finished.push({ start, end: performance.now() });
    if (this.finished.length > 100_000) this.finished.splice(0, 50_000);
    if (s.gone || this.stopper.signal.aborted) return;
    const delay = Math.max(0, s.lastStart + s.virtual.check.checkIntervalMs - Date.now());
    s.timer = setTimeout(() => void this.launch(s), delay);
  }

  /** One check of a real, fed to the health state machine, plus the retries it asks for (extension). */
  private async checkUntilSettled(s: RealSlot): Promise<void> {
    const v = s.virtual;
    const negotiate =
      v.check.type !== "combined" || s.forceNegotiate || s.connectsSinceNegotiate >= v.check.negotiateEvery;
    s.specs ??= {
      negotiate: checkSpecFor(v, s.spec, true, this.opts.checkReuse),
      connect: checkSpecFor(v, s.spec, false),
    };
    const spec = negotiate ? s.specs.negotiate : s.specs.connect;
    for (let attempt = 0; attempt < 100; attempt++) {
      const r = await this.runner.check(spec); // stop() ends it with runner.cancelAll()
      if (this.stopper.signal.aborted || s.gone) return; // stopping, or reloaded away meanwhile
      s.counts.checks++;
      if (!r.ok) s.counts.failures++;
      if (v.check.type === "combined") {
        if (!negotiate && r.ok) s.connectsSinceNegotiate++;
        if (negotiate) s.connectsSinceNegotiate = 0;
        s.forceNegotiate = !r.ok;
      }
      if (v.check.monitorFile)
        void appendFile(
          v.check.monitorFile,
          `[${isoTime(r.at)}] [${process.pid}] ${s.real} (${s.service}) ${r.ok ? "up" : "down"} ${r.message}\n`,
        ).catch(() => undefined);
      const retryInMs = await this.feed(s, r);
      if (retryInMs === undefined) return;
      await sleep(retryInMs, undefined, { signal: this.stopper.signal }).catch(() => undefined);
    }
  }

  /** Results waiting for the next batch (fed to the health state machine once per event-loop turn). */
  private feeding: { item: CheckFeed; done: (retryInMs: number | undefined) => void }[] = [];

  /**
   * Feeds one result to the health state machine with the others finished in
   * the same event-loop turn (one copy of each virtual's health per batch);
   * resolves with the retry delay the result asks for.
   */
  private feed(s: RealSlot, result: CheckResult): Promise<number | undefined> {
    return new Promise((done) => {
      if (this.feeding.push({ item: { service: s.service, real: s.real, result }, done }) === 1)
        setImmediate(() => this.flushFeed());
    });
  }

  private flushFeed(): void {
    const batch = this.feeding;
    this.feeding = [];
    if (this.stopper.signal.aborted) {
      for (const b of batch) b.done(undefined);
      return;
    }
    const step = applyCheckResults(
      this.health,
      this.config,
      batch.map((b) => b.item),
    );
    this.health = step.state;
    this.onTransitions(step.transitions);
    for (const [i, b] of batch.entries()) b.done(step.retryInMs[i]);
  }

  private onTransitions(ts: readonly HealthTransition[]): void {
    for (const t of ts) {
      if (t.kind === "soft-failure")
        this.opts.log.info(
          t,
          `soft failure of ${t.real} (${t.service}): ${t.failures}/${t.of}: ${t.message}`,
        );
      else if (t.kind === "real") {
        this.opts.log.info(t, `real server ${t.real} (${t.service}) ${t.up ? "up" : "down"}: ${t.message}`);
        this.alert({
          kind: t.up ? "real-up" : "real-down",
          service: t.service,
          real: t.real,
          message: t.message,
          phase: this.phase,
        });
      } else {
        this.opts.log.info(
          t,
          `${t.service}: ${t.up ? "reals serve again" : "no quorum, the fallback serves"}`,
        );
        this.alert({
          kind: t.up ? "fallback-out" : "fallback-in",
          service: t.service,
          message: t.up ? "real servers are back" : "no real server is up",
          phase: this.phase,
        });
        this.fallbackCommand(t.service, t.up ? "stop" : "start");
      }
    }
    if (ts.some((t) => t.kind !== "soft-failure")) this.requestApply();
  }

  private alert(e: AlertEvent): void {
    const v = this.config.virtuals.find((x) => x.key === e.service);
    if (!v) return;
    void this.alerter.emit(e, v.alerts, Date.now());
  }

  private async remind(): Promise<void> {
    const down = this.slots
      .filter((s) => this.health.virtuals.get(s.service)?.reals.get(s.real)?.up === false)
      .map((s) => ({ service: s.service, real: s.real, settings: s.virtual.alerts }));
    await this.alerter.remind(down, this.phase, Date.now());
  }

  private fallbackCommand(service: string, action: "start" | "stop"): void {
    const v = this.config.virtuals.find((x) => x.key === service);
    if (!v?.fallbackCommand || v.endpoint.kind !== "addr") return;
    const target = `${v.endpoint.ip}:${v.endpoint.port}`;
    void runCheck({
      kind: "external",
      command: v.fallbackCommand,
      args: [action, target, v.protocol],
      timeoutMs: v.check.checkTimeoutMs,
    }).then((r) => {
      if (!r.ok) this.opts.log.warn({ service, action }, `fallbackcommand ${action} failed: ${r.message}`);
    });
  }

  /** Asks for a reconcile; several requests while one runs collapse into one more. */
  requestApply(): void {
    this.dirty = true;
    if (!this.applying) this.applying = this.applyLoop().finally(() => (this.applying = undefined));
  }

  /** Resolves when no reconcile is pending or running. */
  async settled(): Promise<void> {
    while (this.applying) await this.applying;
  }

  private async applyLoop(): Promise<void> {
    for (let i = 0; this.dirty && i < 1000; i++) {
      this.dirty = false;
      await this.reconcileNow();
    }
  }

  private async reconcileNow(desiredOverride?: Table): Promise<void> {
    const desired = desiredOverride ?? desiredTable(this.config, this.health);
    try {
      const actual = await this.opts.backend.read();
      const changes = reconcile(desired, actual, { owned: (k) => this.owned.has(k) });
      if (changes.length > 0) {
        await this.opts.backend.apply(changes, desired);
        this.tableChanges += changes.length;
        for (const c of changes)
          this.opts.log.info(
            {
              op: c.op,
              service: c.service.key,
              ...("real" in c ? { real: c.real.key, weight: c.real.weight, role: c.real.role } : {}),
            },
            `${c.op} ${c.service.key}${"real" in c ? ` ${c.real.key} weight ${c.real.weight}` : ""}`,
          );
      }
      this.applied = desired;
      this.lastApplyError = undefined;
    } catch (e) {
      this.lastApplyError = (e as Error).message;
      this.opts.log.error({ err: (e as Error).message }, "table update failed; will retry");
      // retry on the next tick
      setTimeout(() => {
        if (!this.stopper.signal.aborted) this.requestApply();
      }, 1000).unref();
    }
    await this.statusFile.write();
  }

  /**
   * After every period: when the file changed on disk (mtime, then content
   * hash), run `callback` with the file name and, with autoreload, reload.
   */
  private async watchConfig(): Promise<void> {
    const g = this.config.global;
    if (!g.autoreload && !g.callback) return;
    try {
      const st = await stat(this.opts.configFile);
      if (st.mtimeMs === this.configMtime) return;
      const text = await readFile(this.opts.configFile, "utf8");
      this.configMtime = st.mtimeMs;
      const h = sha(text);
      if (h === this.diskHash) return;
      this.diskHash = h;
      if (g.callback) {
        const cb = g.callback;
        void runCheck({
          kind: "external",
          command: cb,
          args: [this.opts.configFile],
          timeoutMs: 30_000,
        }).then((r) => {
          if (!r.ok) this.opts.log.warn({ callback: cb }, `callback failed: ${r.message}`);
        });
      }
      if (g.autoreload && h !== this.configHash) await this.reload("autoreload");
    } catch (e) {
      this.opts.log.warn({ err: (e as Error).message }, "cannot stat the configuration");
    }
  }

  /** Re-reads the configuration; a bad one is logged and the old one keeps running. Never empties the table. */
  reload(why = "SIGHUP"): Promise<void> {
    if (!this.reloading) this.reloading = this.doReload(why).finally(() => (this.reloading = undefined));
    return this.reloading;
  }

  private async doReload(why: string): Promise<void> {
    let next: Awaited<ReturnType<Director["load"]>>;
    try {
      next = await this.load();
    } catch (e) {
      this.opts.log.error(
        { err: (e as Error).message, why },
        "configuration not reloaded; the old one keeps running",
      );
      return;
    }
    const was = this.phase;
    this.phase = "reloading";
    const oldKeys = this.config.virtuals.map((v) => v.key);
    this.config = next.config;
    this.opts.onConfig?.(next.config);
    this.configHash = next.hash;
    this.diskHash = next.hash;
    this.configMtime = next.mtime;
    this.health = initialHealth(next.config, { previous: this.health });
    this.rebuildSlots();
    // services of the old configuration that are gone are ours to delete
    this.owned = new Set([...oldKeys, ...next.config.virtuals.map((v) => v.key)]);
    this.opts.log.info({ why, virtuals: next.config.virtuals.length }, "configuration reloaded");
    this.requestApply();
    await this.settled();
    this.owned = new Set(next.config.virtuals.map((v) => v.key));
    this.phase = was === "reloading" ? "running" : was;
    this.scheduleTicks();
    void this.round(); // new reals are checked at once
  }

  private async maintenance(): Promise<void> {
    const dir = this.config.global.maintenanceDir;
    if (!dir) return;
    let names: Set<string>;
    try {
      names = new Set(await readdir(dir));
    } catch {
      return;
    }
    for (const s of this.slots) {
      const r = s.spec;
      const ids = [
        `${r.ip}:${r.port}`,
        r.ip,
        `${r.host}:${r.port}`,
        r.host,
        `${r.host.split(".")[0]}:${r.port}`,
        r.host.split(".")[0] ?? "",
      ];
      const on = ids.some((i) => names.has(i));
      const step = setMaintenance(this.health, this.config, s.service, s.real, on, Date.now());
      this.health = step.state;
      this.onTransitions(step.transitions);
    }
  }

  /** Stops checking; with cleanstop removes this instance's services (per virtual), then writes a last status. */
  async stop(): Promise<void> {
    this.phase = "stopping";
    if (this.ticker) clearInterval(this.ticker);
    for (const sl of this.slots) if (sl.timer) clearTimeout(sl.timer);
    this.stopper.abort();
    this.runner.cancelAll();
    closeKeptConnections();
    await this.settled();
    const clean = new Set(this.config.virtuals.filter((v) => v.cleanStop).map((v) => v.key));
    if (clean.size > 0) {
      try {
        const actual = await this.opts.backend.read();
        const keep: Table = { services: actual.services.filter((s) => !clean.has(s.key)) };
        if (keep.services.length === 0 && actual.services.every((s) => this.owned.has(s.key)))
          await this.opts.backend.clear();
        else {
          const changes = reconcile(keep, actual, { owned: (k) => clean.has(k) });
          if (changes.length) await this.opts.backend.apply(changes, keep);
        }
        this.applied = keep;
      } catch (e) {
        this.opts.log.error({ err: (e as Error).message }, "clean stop failed");
      }
    }
    this.opts.log.info({}, "stopped");
    await this.statusFile.write();
  }

  /** The status as written to the status file. */
  async status(): Promise<DirectorStatus> {
    let conns = new Map<string, Map<string, ConnCounts>>();
    try {
      conns = await this.opts.backend.connections(this.applied);
    } catch {
      // counts are best effort
    }
    const services = statusServices({
      config: this.config,
      applied: this.applied,
      health: this.health,
      conns,
      counts: (service, real) => this.checkCounts.get(`${service}|${real}`),
    });
    return {
      pid: process.pid,
      configFile: this.opts.configFile,
      backend: this.opts.backend.name,
      phase: this.phase,
      startedAt: this.startedAt,
      updatedAt: Date.now(),
      ...(this.lastRound ? { lastRound: this.lastRound } : {}),
      ...(this.firstRoundMs !== undefined ? { firstRoundMs: this.firstRoundMs } : {}),
      ...(this.lastApplyError ? { lastApplyError: this.lastApplyError } : {}),
      tableChanges: this.tableChanges,
      services,
    };
  }
}

/** Forgets a slot's checks (a reload re-specifies them) and closes their kept connection. */
function releaseSpecs(s: RealSlot): void {
  if (s.specs?.negotiate.kind === "http") closeKeptConnection(s.specs.negotiate);
  s.specs = undefined;
}

/** A kernel real that matches a configured real by address (gate reals take the virtual's port). */
function trustedByAddress(kernel: Table, service: string, real: string): boolean {
  const s = kernel.services.find((x) => x.key === service);
  const ip = real.replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
  return (
    s?.reals.some((r) => r.weight > 0 && r.role !== "fallback" && r.address === ip && real.endsWith(":0")) ??
    false
  );
}
