/**
 * Pure part of the IPVS backend: change list -> `ipvsadm -R` batch, and
 * `ipvsadm -S -n` / `ipvsadm -L -n [--thresholds]` output -> table values.
 *
 * Every command carries every option, because `ipvsadm -E` resets what it is
 * not given (scheduler to wlc, persistence off) and `-e` does too (method to
 * -g, weight 1, thresholds 0). So a quiesce is `-e ... -x U -y L -r ... -m -w 0`,
 * where ldirectord writes `-e ... -r ... -m -w 0` and so loses the thresholds.
 * Options are written in ldirectord's order (`-a <svc> -x U -y L -r rip -m -w W`),
 * so a command that ldirectord also issues is the same text.
 */
import { DiagnosticSink, type Parsed } from "../../base/diag.js";
import {
  type AddressFamily,
  type BackendCapabilities,
  type ForwardingMethod,
  hostPort,
  type Protocol,
  serviceKey,
  type Table,
  type TableChange,
  type TableReal,
  type TableService,
  type TableServiceSpec,
} from "../model.js";

/** What the kernel's IPVS (through ipvsadm 1.31) can do. */
export const IPVS_CAPABILITIES: BackendCapabilities = {
  name: "ipvs",
  schedulers: ["rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos"],
  methods: ["gate", "masq", "ipip"],
  protocols: ["tcp", "udp", "fwm"],
  persistence: true,
  thresholds: true,
  ipv6: true,
  schedFlags: ["sh-fallback", "sh-port", "mh-fallback", "mh-port", "flag-1", "flag-2", "flag-3"],
  ops: true,
};

const METHOD_FLAG: Record<ForwardingMethod, string> = { gate: "-g", masq: "-m", ipip: "-i" };

/** `-t vip:port`, `-u vip:port` or `-f mark [-6]`. */
export function ipvsServiceArg(s: TableServiceSpec): string {
  if (s.protocol === "fwm") return `-f ${s.fwmark ?? 0}${s.family === 6 ? " -6" : ""}`;
  return `${s.protocol === "udp" ? "-u" : "-t"} ${hostPort(s.address ?? "", s.port)}`;
}

function serviceOptions(s: TableServiceSpec): string {
  let o = `-s ${s.scheduler}`;
  if (s.persistenceSec !== undefined) {
    o += ` -p ${s.persistenceSec}`;
    if (s.netmask !== undefined) o += ` -M ${s.netmask}`;
  }
  if (s.schedFlags) o += ` -b ${s.schedFlags}`;
  if (s.ops && s.protocol === "udp") o += " -o";
  return o;
}

function realArgs(svc: string, r: TableReal): string {
  return `${svc} -x ${r.upperThreshold} -y ${r.lowerThreshold} -r ${hostPort(r.address, r.port)} ${METHOD_FLAG[r.method]} -w ${r.weight}`;
}

/** One ipvsadm command (without the program name) per change, in order. */
export function renderIpvsadmCommands(changes: readonly TableChange[]): string[] {
  return changes.map((c) => {
    const svc = ipvsServiceArg(c.service);
    switch (c.op) {
      case "add-service":
        return `-A ${svc} ${serviceOptions(c.service)}`;
      case "edit-service":
        return `-E ${svc} ${serviceOptions(c.service)}`;
      case "delete-service":
        return `-D ${svc}`;
      case "add-real":
        return `-a ${realArgs(svc, c.real)}`;
      case "edit-real":
        return `-e ${realArgs(svc, c.real)}`;
      case "delete-real":
        return `-d ${svc} -r ${hostPort(c.real.address, c.real.port)}`;
    }
    return "";
  });
}

/** The stdin of `ipvsadm -R` for a change list ("" when there is nothing to do). */
export function renderIpvsadmBatch(changes: readonly TableChange[]): string {
  const lines = renderIpvsadmCommands(changes);
  return lines.length ? `${lines.join("\n")}\n` : "";
}

// ---------------------------------------------------------------- reading back

/** Splits "1.2.3.4:80" or "[2001:db8::1]:80" into address and port. */
function splitHostPort(s: string): { address: string; port: number } | undefined {
  const m = /^\[([0-9A-Fa-f:.]+)\]:(\d+)$/.exec(s) ?? /^([0-9.]+):(\d+)$/.exec(s);
  return m ? { address: (m[1] as string).toLowerCase(), port: Number(m[2]) } : undefined;
}

interface SvcId {
  protocol: Protocol;
  family: AddressFamily;
  address?: string;
  port: number;
  fwmark?: number;
}

/** Reads `-t a:p` / `-u a:p` / `-f m [-6]` starting at tokens[i]; returns the id and the next index. */
function readServiceArg(t: readonly string[], i: number): { id: SvcId; next: number } | undefined {
  const flag = t[i];
  const arg = t[i + 1];
  if (arg === undefined) return undefined;
  if (flag === "-f" || flag === "--fwmark-service") {
    if (!/^\d+$/.test(arg)) return undefined;
    const v6 = t.slice(i + 2).includes("-6");
    return { id: { protocol: "fwm", family: v6 ? 6 : 4, port: 0, fwmark: Number(arg) }, next: i + 2 };
  }
  if (flag !== "-t" && flag !== "-u" && flag !== "--tcp-service" && flag !== "--udp-service")
    return undefined;
  const hp = splitHostPort(arg);
  if (!hp) return undefined;
  const family: AddressFamily = hp.address.includes(":") ? 6 : 4;
  return {
    id: { protocol: flag === "-u" || flag === "--udp-service" ? "udp" : "tcp", family, ...hp },
    next: i + 2,
  };
}

/** Value following an option, e.g. opt(["-s","wrr"], "-s") = "wrr". */
function opt(t: readonly string[], ...names: string[]): string | undefined {
  for (let i = 0; i < t.length - 1; i++) if (names.includes(t[i] as string)) return t[i + 1];
  return undefined;
}

/**
 * Parses `ipvsadm -S -n` output into a table (thresholds are not in it: merge
 * them with `mergeIpvsThresholds`). Lines that do not parse are reported and skipped.
 */
export function parseIpvsadmSave(text: string, label = "ipvsadm -S -n"): Parsed<Table> {
  const sink = new DiagnosticSink(label);
  const services = new Map<string, { spec: TableServiceSpec; reals: TableReal[] }>();
  text.split("\n").forEach((raw, idx) => {
    const line = raw.trim();
    if (line === "") return;
    const t = line.split(/\s+/);
    if (t[0] === "ipvsadm") t.shift();
    const cmd = t[0];
    const sa = readServiceArg(t, 1);
    if ((cmd !== "-A" && cmd !== "-a") || !sa) {
      sink.warning(idx + 1, "ipvs.unparsed", `cannot parse ipvsadm line "${line}"`);
      return;
    }
    const key = serviceKey(sa.id);
    const rest = t.slice(sa.next);
    if (cmd === "-A") {
      const persist = opt(rest, "-p", "--persistent");
      const netmask = opt(rest, "-M", "--netmask");
      const flags = opt(rest, "-b", "--sched-flags");
      const spec: TableServiceSpec = {
        key,
        ...sa.id,
        scheduler: opt(rest, "-s", "--scheduler") ?? "wlc",
        ...(persist === undefined ? {} : { persistenceSec: Number(persist) }),
        ...(persist === undefined || netmask === undefined ? {} : { netmask }),
        ...(flags === undefined ? {} : { schedFlags: flags }),
        ops: rest.includes("-o") || rest.includes("--ops"),
      };
      services.set(key, { spec, reals: services.get(key)?.reals ?? [] });
      return;
    }
    const s = services.get(key);
    const hp = splitHostPort(opt(rest, "-r", "--real-server") ?? "");
    if (!s || !hp) {
      sink.warning(idx + 1, "ipvs.unparsed", `cannot parse ipvsadm line "${line}"`);
      return;
    }
    const method: ForwardingMethod = rest.includes("-m") ? "masq" : rest.includes("-i") ? "ipip" : "gate";
    s.reals.push({
      key: hostPort(hp.address, hp.port),
      ...hp,
      method,
      weight: Number(opt(rest, "-w", "--weight") ?? 1),
      upperThreshold: Number(opt(rest, "-x", "--u-threshold") ?? 0),
      lowerThreshold: Number(opt(rest, "-y", "--l-threshold") ?? 0),
      role: "unknown",
    });
  });
  const out: TableService[] = [...services.values()].map((s) => ({ ...s.spec, reals: s.reals }));
  return { value: { services: out }, diagnostics: sink.items };
}

/** One destination row of an `ipvsadm -L -n` style listing: the numeric columns after the address. */
export interface IpvsListRow {
  readonly service: string;
  readonly real: string;
  /** Forward column (`Masq`, `Route`, `Tunnel`, `Local`) when present. */
  readonly forward?: string;
  readonly numbers: readonly number[];
}

/**
 * Parses `ipvsadm -L -n` (Forward Weight ActiveConn InActConn) or
 * `ipvsadm -L -n --thresholds` (Uthreshold Lthreshold ActiveConn InActConn) rows.
 */
export function parseIpvsadmList(text: string): IpvsListRow[] {
  const rows: IpvsListRow[] = [];
  let service: string | undefined;
  for (const raw of text.split("\n")) {
    const s = /^(TCP|UDP|FWM)\s+(\S+)(\s+IPv6)?\s/.exec(`${raw} `);
    if (s) {
      const proto = (s[1] as string).toLowerCase() as Protocol;
      if (proto === "fwm")
        service = serviceKey({ protocol: "fwm", family: s[3] ? 6 : 4, port: 0, fwmark: Number(s[2]) });
      else {
        const hp = splitHostPort(s[2] as string);
        service = hp
          ? serviceKey({ protocol: proto, family: hp.address.includes(":") ? 6 : 4, ...hp })
          : undefined;
      }
      continue;
    }
    const r = /^\s+->\s+(\S+)\s+(?:([A-Za-z]+)\s+)?([\d\s]+)$/.exec(raw.trimEnd());
    const hp = r ? splitHostPort(r[1] as string) : undefined;
    if (!r || !hp || service === undefined) continue;
    rows.push({
      service,
      real: hostPort(hp.address, hp.port),
      ...(r[2] === undefined ? {} : { forward: r[2] }),
      numbers: (r[3] as string).trim().split(/\s+/).map(Number),
    });
  }
  return rows;
}

/** Fills thresholds from `ipvsadm -L -n --thresholds` into a table read with `-S -n`. */
export function mergeIpvsThresholds(table: Table, thresholdsText: string): Table {
  const th = new Map(parseIpvsadmList(thresholdsText).map((r) => [`${r.service} ${r.real}`, r.numbers]));
  return {
    services: table.services.map((s) => ({
      ...s,
      reals: s.reals.map((r) => {
        const n = th.get(`${s.key} ${r.key}`);
        return n && n.length >= 2 ? { ...r, upperThreshold: n[0] ?? 0, lowerThreshold: n[1] ?? 0 } : r;
      }),
    })),
  };
}
