/**
 * ldirectord.cf parser (ldirectord 4.12 grammar and code defaults). Pure: text
 * in, `DirectorConfig` + diagnostics (file:line) out; host names are resolved
 * through a synchronous callback the caller fills beforehand (`hostNamesIn()`
 * lists the names to look up).
 *
 * Compatible with ldirectord:
 * - `name = value` globals at column 0; `virtual =` / `virtual6 =` opens a block
 *   of lines indented by at least 4 spaces (a tab counts as 4); the first line
 *   that is not indented (a blank line included) closes it.
 * - unknown directives, the retired `timeout` / `connecttimeout`, a duplicated
 *   virtual service and bad values are errors (ldirectord exits 2);
 * - request, receive, login, passwd, database, secret, callback and logfile
 *   must be double-quoted; checkcommand, fallbackcommand, monitorfile,
 *   virtualhost, emailalert, servicename and comment may be;
 * - defaults are the code's (quiescent=no, checkinterval 10, failurecount 1,
 *   scheduler wrr, ...), with the checktimeout/negotiatetimeout mutual
 *   defaulting rule; globals apply wherever they appear in the file.
 *
 * Deliberate differences: every problem is reported (ldirectord stops at the
 * first); `#` starts a comment only outside double quotes (ldirectord cuts
 * inside quotes too); numbers must be whole values ("10s" is an error, where
 * ldirectord reads 10) but times may have a fraction of a second (0.5); an
 * indented line after a blank line gets a message saying why.
 */

import { DiagnosticSink, type Parsed } from "../../base/diag.js";
import {
  type AddressFamily,
  type CheckService,
  LDIRECTORD_DEFAULTS as D,
  DAEMON_PHASES,
  type DirectorConfig,
  type FallbackServer,
  type GlobalSettings,
  type Protocol,
  type RealServer,
  SERVICE_PORTS,
  serviceKey,
  type VirtualService,
} from "../model.js";
import { DIRECTIVES, MAY_QUOTE, RETIRED } from "./ldirectord-directives.js";
import { parseReal, parseVirtualHeader } from "./ldirectord-reals.js";
import {
  type Ctx,
  type GlobalOnly,
  type LdirectordParseOptions,
  type Mutable,
  portOf,
  resolveAddr,
  type Shared,
  V6_CHECKTYPES,
  V6_SERVICES,
  type VirtualDraft,
  WELL_KNOWN_PORTS,
} from "./ldirectord-values.js";

export { type LdirectordParseOptions, MAX_RANGE, WELL_KNOWN_PORTS } from "./ldirectord-values.js";

// ---------------------------------------------------------------- lines

/** Removes a `#` comment that is outside double quotes, then trailing blanks. */
function stripComment(s: string): string {
  let inQ = false;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '"') inQ = !inQ;
    else if (s[i] === "#" && !inQ) return s.slice(0, i).trimEnd();
  }
  return s.trimEnd();
}

function unquote(raw: string): { value: string; quoted: boolean } {
  const m = /^"(.*)"$/.exec(raw);
  return m ? { value: m[1] as string, quoted: true } : { value: raw, quoted: false };
}

// ---------------------------------------------------------------- parse

/** One `name = value` line; `raw` is the text after `=` (trimmed), undefined for a bare name. */
export interface DirectiveLine {
  readonly line: number;
  readonly name: string;
  readonly raw?: string;
  /** The line follows a virtual block that a blank line closed (for a better message). */
  readonly afterBlank?: boolean;
}

/** A virtual block: its header (`virtual = <header>`) and its directives. */
export interface VirtualBlock {
  readonly line: number;
  readonly family: AddressFamily;
  readonly header: string;
  readonly body: readonly DirectiveLine[];
}

/** The file as a sequence of global directives and virtual blocks (what both syntaxes produce). */
export type ConfigItem =
  | { readonly kind: "global"; readonly d: DirectiveLine }
  | { readonly kind: "virtual"; readonly v: VirtualBlock };

/** Splits ldirectord.cf text into items, reporting layout errors (indentation, syntax). */
function tokenize(text: string, sink: DiagnosticSink): ConfigItem[] {
  const items: ConfigItem[] = [];
  const lines = text.split(/\r?\n/);
  let body: DirectiveLine[] | undefined;
  let afterBlank = false;
  const split = (line: number, s: string): DirectiveLine | undefined => {
    const m = /^([A-Za-z0-9_-]+)\s*(?:=\s*(.*))?$/.exec(s);
    if (!m) {
      sink.error(line, "ldcf.syntax", `cannot parse "${s}": expected name = value`);
      return undefined;
    }
    return { line, name: m[1] as string, ...(m[2] === undefined ? {} : { raw: m[2].trim() }) };
  };
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] as string;
    const line = i + 1;
    if (body) {
      if (/^\s*#/.test(raw)) continue;
      const expanded = stripComment(raw.replace(/\t/g, "    "));
      const m = /^ {4,}(\S.*)$/.exec(expanded);
      if (m) {
        const d = split(line, m[1] as string);
        if (d) body.push(d);
        continue;
      }
      afterBlank = expanded.trim() === "";
      body = undefined;
    }
    if (/^\s*(#|$)/.test(raw)) continue;
    const text1 = stripComment(raw);
    const vm = /^virtual(6)?\s*=\s*(.*)$/.exec(text1);
    if (vm) {
      body = [];
      items.push({ kind: "virtual", v: { line, family: vm[1] ? 6 : 4, header: (vm[2] ?? "").trim(), body } });
      afterBlank = false;
      continue;
    }
    if (/^\s/.test(text1)) {
      sink.error(
        line,
        "ldcf.indent",
        afterBlank
          ? "indented line outside a virtual block: a blank line ends a virtual block in ldirectord.cf"
          : "indented line outside a virtual block: global directives start at column 0",
      );
      continue;
    }
    const d = split(line, text1);
    if (d) items.push({ kind: "global", d: afterBlank ? { ...d, afterBlank } : d });
  }
  return items;
}

/** Parses ldirectord.cf text. The value is always returned; with errors it is partial and must not be applied. */
export function parseLdirectordCf(
  text: string,
  file: string,
  options: LdirectordParseOptions = {},
): Parsed<DirectorConfig> {
  const sink = new DiagnosticSink(file);
  const items = tokenize(text, sink);
  return interpretItems(items, sink, options);
}

/**
 * Gives items (from ldirectord.cf or the YAML form) their meaning: values,
 * scopes, defaults, resolution, cross-checks. Diagnostics go to `sink`.
 */
export function interpretItems(
  items: readonly ConfigItem[],
  sink: DiagnosticSink,
  options: LdirectordParseOptions = {},
): Parsed<DirectorConfig> {
  const file = sink.file;
  const opts = { servicePorts: WELL_KNOWN_PORTS, ...options };
  const g: Shared & GlobalOnly = { execute: [] };
  const drafts: VirtualDraft[] = [];

  const dispatch = (d: DirectiveLine, current: VirtualDraft | undefined): void => {
    const { line, name } = d;
    const inVirtual = current !== undefined;
    const bare = d.raw === undefined;
    const { value, quoted: q } = bare ? { value: "", quoted: false } : unquote(d.raw ?? "");
    const c: Ctx = { sink, line, name, value, quoted: q && MAY_QUOTE.has(name), opts };
    const cq: Ctx = q && !MAY_QUOTE.has(name) ? { ...c, value: d.raw ?? "" } : c;
    if (Object.hasOwn(RETIRED, name)) {
      sink.error(line, "ldcf.retired", RETIRED[name] as string);
      return;
    }
    if (name === "virtual" || name === "virtual6") {
      sink.error(line, "ldcf.scope", `"${name}" must start at column 0 (a virtual block cannot be nested)`);
      return;
    }
    const blankHint = d.afterBlank ? "; note that a blank line ends a virtual block" : "";
    if (name === "real" || name === "real6") {
      if (!current) {
        sink.error(
          line,
          "ldcf.scope",
          `"${name}" is only valid inside a virtual block (indent it by 4 spaces or a tab)${blankHint}`,
        );
        return;
      }
      if ((name === "real6") !== (current.family === 6)) {
        sink.error(
          line,
          "ldcf.invalid",
          `cannot specify "${name}" here.  please use "real${current.family === 6 ? "6" : ""}" instead`,
        );
        return;
      }
      current.explicit.push(name);
      parseReal(cq, current);
      return;
    }
    const spec = Object.hasOwn(DIRECTIVES, name) ? DIRECTIVES[name] : undefined;
    if (!spec) {
      sink.error(line, "ldcf.unknown", `unknown directive "${name}"`);
      return;
    }
    if (inVirtual && spec.scope === "global") {
      sink.error(
        line,
        "ldcf.scope",
        `"${name}" is a global directive: move it to column 0, outside the virtual block`,
      );
      return;
    }
    if (!inVirtual && spec.scope === "virtual") {
      sink.error(
        line,
        "ldcf.scope",
        `"${name}" is only valid inside a virtual block (indent it by 4 spaces or a tab)${blankHint}`,
      );
      return;
    }
    if (bare) {
      if (name === "supervised") {
        g.supervised = true;
        sink.warning(
          line,
          "ldcf.deprecated",
          "please update your config not to use a bare supervised directive",
        );
      } else sink.error(line, "ldcf.syntax", `${name} needs a value: write ${name} = ...`);
      return;
    }
    if (current) {
      if (
        (name === "fallback" || name === "fallback6") &&
        (name === "fallback6") !== (current.family === 6)
      ) {
        sink.error(
          line,
          "ldcf.invalid",
          `cannot specify "${name}" here.  please use "fallback${current.family === 6 ? "6" : ""}" instead`,
        );
        return;
      }
      current.explicit.push(name);
      spec.handle(cq, current);
    } else spec.handle(cq, g);
  };

  for (const item of items) {
    if (item.kind === "global") {
      dispatch(item.d, undefined);
      continue;
    }
    const { v } = item;
    const draft: VirtualDraft = { line: v.line, family: v.family, reals: [], explicit: [] };
    const c: Ctx = {
      sink,
      line: v.line,
      name: v.family === 6 ? "virtual6" : "virtual",
      value: v.header,
      quoted: false,
      opts,
    };
    parseVirtualHeader(c, v.family, draft);
    drafts.push(draft);
    for (const d of v.body) dispatch(d, draft);
  }

  const global = finishGlobal(g);
  const virtuals: VirtualService[] = [];
  const seen = new Map<string, number>();
  for (const d of drafts) {
    const v = finishVirtual(d, g, global, sink, opts);
    if (!v) continue;
    const first = seen.get(v.key);
    if (first !== undefined) {
      sink.error(
        d.line,
        "ldcf.duplicate",
        `duplicate virtual server ${v.key} (first defined at line ${first})`,
      );
      continue;
    }
    seen.set(v.key, d.line);
    virtuals.push(v);
  }
  if (!global.fork) {
    for (const d of drafts) {
      if (d.checkIntervalMs !== undefined && d.endpoint)
        sink.warning(
          d.line,
          "ldcf.ignored",
          `checkinterval in virtual service at line ${d.line} is ignored when fork=no (the global checkinterval applies)`,
        );
    }
  }
  return { value: { file, global, virtuals }, diagnostics: sink.items };
}

function finishGlobal(g: Shared & GlobalOnly): GlobalSettings {
  const opt = <K extends string, V>(k: K, v: V | undefined): { [P in K]?: V } =>
    (v === undefined ? {} : { [k]: v }) as { [P in K]?: V };
  return {
    ...opt("checkTimeoutMs", g.checkTimeoutMs),
    ...opt("negotiateTimeoutMs", g.negotiateTimeoutMs),
    checkIntervalMs: g.checkIntervalMs ?? D.checkIntervalMs,
    checkCount: g.checkCount ?? D.checkCount,
    failureCount: g.failureCount ?? D.failureCount,
    ...opt("fallback", g.fallback),
    ...opt("fallback6", g.fallback6),
    ...opt("fallbackCommand", g.fallbackCommand),
    autoreload: g.autoreload ?? D.autoreload,
    ...opt("callback", g.callback),
    logfile: g.logfile ?? { kind: "file", path: D.logfile },
    ...(g.logfile === undefined ? {} : { logfileSet: true }),
    emailAlert: g.emailAlert ?? [],
    ...opt("emailAlertFrom", g.emailAlertFrom),
    emailAlertFreqMs: g.emailAlertFreqMs ?? D.emailAlertFreqMs,
    emailAlertStatus: g.emailAlertStatus ?? [...DAEMON_PHASES],
    ...opt("smtp", g.smtp),
    execute: g.execute,
    supervised: g.supervised ?? D.supervised,
    fork: g.fork ?? D.fork,
    quiescent: g.quiescent ?? D.quiescent,
    readdQuiescent: g.readdQuiescent ?? D.readdQuiescent,
    cleanStop: g.cleanStop ?? D.cleanStop,
    ...opt("maintenanceDir", g.maintenanceDir),
    retry: g.retry ?? D.retry,
    delayBeforeRetryMs: g.delayBeforeRetryMs ?? D.delayBeforeRetryMs,
    inhibitOnFailure: g.inhibitOnFailure ?? false,
    ...opt("quorum", g.quorum),
    hysteresis: g.hysteresis ?? D.hysteresis,
  };
}

/** Service ldirectord infers from a virtual's port. */
export function serviceForPort(port: number): CheckService {
  for (const [s, p] of Object.entries(SERVICE_PORTS)) if (p === port) return s as CheckService;
  return "none";
}

function finishVirtual(
  d: VirtualDraft,
  g: Shared & GlobalOnly,
  global: GlobalSettings,
  sink: DiagnosticSink,
  opts: LdirectordParseOptions & { servicePorts: ReadonlyMap<string, number> },
): VirtualService | undefined {
  const ep = d.endpoint;
  if (!ep) return undefined;
  const protocol: Protocol =
    ep.kind === "fwmark"
      ? "fwm"
      : (d.protocol ?? (d.portText === "53" || d.portText === "domain" ? "udp" : "tcp"));
  const vport = ep.kind === "addr" ? ep.port : 0;
  const key = serviceKey({
    protocol,
    family: ep.family,
    ...(ep.kind === "addr" ? { address: ep.ip } : { fwmark: ep.mark }),
    port: vport,
  });
  if (ep.kind === "addr" && vport === 0 && d.persistenceSec === undefined)
    sink.error(
      d.line,
      "ldcf.invalid",
      `virtual service ${key}: port 0 is only valid together with persistent`,
    );

  // Timeout defaulting rule (ldirectord ld_setup).
  const checkTimeoutMs =
    d.checkTimeoutMs ?? d.negotiateTimeoutMs ?? g.checkTimeoutMs ?? g.negotiateTimeoutMs ?? D.checkTimeoutMs;
  const negotiateTimeoutMs =
    d.negotiateTimeoutMs ??
    d.checkTimeoutMs ??
    g.negotiateTimeoutMs ??
    g.checkTimeoutMs ??
    D.negotiateTimeoutMs;

  const explicitService = d.service !== undefined;
  const service: CheckService = d.service ?? (ep.kind === "fwmark" ? "none" : serviceForPort(vport));
  const hostLogin = `ldirectord@${opts.hostname ?? "localhost"}`;
  const login =
    d.login ??
    (explicitService && service === "ftp"
      ? "anonymous"
      : explicitService && service === "sip"
        ? hostLogin
        : "");
  const passwd = d.passwd ?? (explicitService && service === "ftp" ? hostLogin : "");
  const checkType = d.checkType ?? "negotiate";

  if (ep.family === 6) {
    if (!V6_CHECKTYPES.has(checkType))
      sink.error(
        d.line,
        "ldcf.ipv6",
        `virtual service ${key}: checktype ${checkType} is not supported for IPv6`,
      );
    if (!V6_SERVICES.has(service))
      sink.error(d.line, "ldcf.ipv6", `virtual service ${key}: service ${service} is not supported for IPv6`);
  }

  // Fallback: the virtual's own, else the global one of its family.
  const spec = ep.family === 6 ? (d.fallback6 ?? g.fallback6) : (d.fallback ?? g.fallback);
  let fallback: FallbackServer | undefined;
  if (spec) {
    const ip = resolveAddr(spec.host, ep.family, opts);
    const port = spec.port === undefined ? vport : portOf(spec.port, opts.servicePorts);
    if (ip === undefined)
      sink.error(
        spec.at.line,
        "ldcf.resolve",
        `invalid IPv${ep.family} address or could not resolve for fallback server: ${spec.host}`,
      );
    else if (port === undefined)
      sink.error(spec.at.line, "ldcf.resolve", `invalid port (${spec.port}) for fallback server`);
    else fallback = { host: spec.host, ip, port, method: spec.method, weight: 1, at: spec.at };
  }

  // Reals: no duplicates; DR and tunnel cannot map ports on address services.
  const reals: RealServer[] = [];
  const realSeen = new Set<string>();
  for (const r of d.reals) {
    const effPort = ep.kind === "addr" && (r.port === 0 || r.method !== "masq") ? vport : r.port;
    const k = `${r.ip}:${effPort}`;
    if (realSeen.has(k)) {
      sink.error(
        r.at.line,
        "ldcf.duplicate",
        `real server ${r.ip}:${effPort} is listed twice in virtual service ${key}`,
      );
      continue;
    }
    realSeen.add(k);
    if (ep.kind === "addr" && r.port !== 0 && r.port !== vport && r.method !== "masq")
      sink.warning(
        r.at.line,
        "ldcf.port-ignored",
        `real server ${r.ip}:${r.port}: ${r.method} cannot change the port, so the virtual's port ${vport} is used`,
      );
    reals.push(r);
  }
  if (d.netmask !== undefined && d.persistenceSec === undefined)
    sink.warning(d.line, "ldcf.ignored", `virtual service ${key}: netmask is ignored without persistent`);
  if (d.ops === true && protocol !== "udp")
    sink.warning(d.line, "ldcf.ignored", `virtual service ${key}: ops only applies to udp services`);
  if (d.checkPort !== undefined && checkType === "off")
    sink.info(d.line, "ldcf.ignored", `virtual service ${key}: checkport is unused with checktype off`);
  if ((d.httpMethod ?? "GET") === "HEAD" && (d.receive ?? "") !== "")
    sink.warning(
      d.line,
      "ldcf.head-receive",
      `virtual service ${key}: with httpmethod HEAD leave receive empty`,
    );

  const quorum = d.quorum ?? g.quorum;
  let hysteresis = d.hysteresis ?? g.hysteresis ?? D.hysteresis;
  if (quorum !== undefined && hysteresis >= quorum) {
    sink.warning(
      d.line,
      "ldcf.hysteresis",
      `virtual service ${key}: hysteresis ${hysteresis} must be below quorum ${quorum}; using ${quorum - 1}`,
    );
    hysteresis = quorum - 1;
  }
  const status = d.emailAlertStatus ?? global.emailAlertStatus;
  const smtp = d.smtp ?? global.smtp;
  const v: Mutable<VirtualService> = {
    key,
    endpoint: ep,
    protocol,
    scheduler: d.scheduler ?? D.scheduler,
    ops: d.ops ?? false,
    check: {
      type: checkType,
      negotiateEvery: d.negotiateEvery ?? 0,
      service,
      ...(d.checkPort === undefined ? {} : { checkPort: d.checkPort }),
      request: d.request ?? D.request,
      receive: d.receive ?? D.receive,
      httpMethod: d.httpMethod ?? D.httpMethod,
      ...(d.virtualHost === undefined ? {} : { virtualHost: d.virtualHost }),
      login,
      passwd,
      database: d.database ?? "",
      secret: d.secret ?? "",
      command: d.command ?? D.checkCommand,
      ...(d.monitorFile === undefined ? {} : { monitorFile: d.monitorFile }),
      checkTimeoutMs,
      negotiateTimeoutMs,
      checkIntervalMs: global.fork ? (d.checkIntervalMs ?? global.checkIntervalMs) : global.checkIntervalMs,
      checkCount: d.checkCount ?? global.checkCount,
      failureCount: d.failureCount ?? global.failureCount,
      retry: d.retry ?? global.retry,
      delayBeforeRetryMs: d.delayBeforeRetryMs ?? global.delayBeforeRetryMs,
    },
    reals,
    quiescent: d.quiescent ?? global.quiescent,
    inhibitOnFailure: d.inhibitOnFailure ?? global.inhibitOnFailure,
    hysteresis,
    cleanStop: d.cleanStop ?? global.cleanStop,
    alerts: {
      to: d.emailAlert ?? global.emailAlert,
      freqMs: d.emailAlertFreqMs ?? global.emailAlertFreqMs,
      status,
      ...(smtp === undefined ? {} : { smtp }),
      ...(global.emailAlertFrom === undefined ? {} : { from: global.emailAlertFrom }),
    },
    explicit: [...new Set(d.explicit)],
    at: { file: sink.file, line: d.line },
  };
  if (d.persistenceSec !== undefined) v.persistenceSec = d.persistenceSec;
  if (d.netmask !== undefined) v.netmask = d.netmask;
  if (d.schedFlags !== undefined) v.schedFlags = d.schedFlags;
  if (fallback) v.fallback = fallback;
  const fbc = d.fallbackCommand ?? g.fallbackCommand;
  if (fbc !== undefined) v.fallbackCommand = fbc;
  if (quorum !== undefined) v.quorum = quorum;
  if (d.serviceName !== undefined) v.serviceName = d.serviceName;
  if (d.comment !== undefined) v.comment = d.comment;
  return v;
}

/**
 * Host names (not numeric addresses) the file asks to resolve, with the
 * family wanted, so an I/O caller can look them up first and pass
 * `resolveHost`.
 */
export function hostNamesIn(text: string, file = "ldirectord.cf"): { name: string; family: AddressFamily }[] {
  const out = new Map<string, { name: string; family: AddressFamily }>();
  parseLdirectordCf(text, file, {
    resolveHost: (name, family) => {
      out.set(`${family}/${name}`, { name, family });
      return family === 4 ? "0.0.0.0" : "::";
    },
  });
  return [...out.values()];
}
