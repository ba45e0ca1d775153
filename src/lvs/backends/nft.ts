/**
 * The nftables backend's pure half: renders a desired `Table` as ONE `nft -f`
 * transaction (the scheme proven in shared/reference/lvs-nftables-lab.md) and
 * parses `nft -j list table ...` back into a `Table`.
 *
 * NAT (masq) services live in table `ip NAME`: chain `pre` (nat, prerouting,
 * dstnat) does `dnat ip to numgen inc mod N map @<id>_slots` (exact smooth
 * WRR; rr = equal weights) or `jhash ip saddr mod 256 map` (sh, weighted
 * rendezvous slots so removing a real only moves its clients); persistence is
 * a timeout map looked up first and filled by chain `rec` (dstnat + 5); a
 * service with no slot answers NEW connections with a TCP reset in chain `rej`
 * (dstnat - 5); established ones (quiesced reals) go on.
 *
 * DR (gate) services live in table `netdev NAME` on the ingress hook of one
 * device. Each real of a service has a pin set `<id>_p_<ip hex>` (client
 * ip . port, timeout = flow timeout) and an ingress rule forwarding the
 * packets found in it (refreshing the pin); a TCP SYN skips every pin (a new
 * connection, even on a reused client port, is scheduled afresh, as IPVS
 * does). Unpinned packets go to persistence (if any), then are hashed
 * (`jhash ip saddr . tcp sport`) into a verdict map that jumps to one chain
 * per slotted real doing `delete` of the key from the other reals' pin sets,
 * `update` of its own, then `fwd ip to RIP device D` (packet-path delete
 * works on sets, not on maps, with nft 1.0.6). A quiesced real keeps its set
 * (established flows drain); a removed real's set is deleted with it, so its
 * pins vanish. Limit: a SYN answered by persistence is forwarded without
 * moving its pin, so an older pin of that client port at another real would
 * catch the rest of that connection (needs the persistence entry to differ
 * from a pin younger than the flow timeout).
 *
 * Every service also keeps a metadata map `<id>_reals` (real ip . port ->
 * weight | role bit) whose comment holds the service definition: read-back is
 * exact, including quiesced (weight 0) reals that hold no slot.
 *
 * Conntrack keeps NAT bindings and the pin sets keep DR flows, so replacing
 * the slots never touches established connections (weight 0 = quiescent).
 */
import type { BackendCapabilities, Table, TableReal, TableService, TableServiceSpec } from "../model.js";
import { realKey, serviceKey } from "../model.js";

/** What the nft backend can do (checked by the config validator). */
export const NFT_CAPABILITIES: BackendCapabilities = {
  name: "nft",
  schedulers: ["rr", "wrr", "sh"],
  methods: ["masq", "gate"],
  protocols: ["tcp", "udp"],
  persistence: true,
  thresholds: false,
  ipv6: false,
  schedFlags: ["sh-port"],
  ops: false,
};

export interface NftOptions {
  /** Table name (both families). Default "tandem_lvs". */
  readonly table?: string;
  /** Device of the netdev ingress hook; required when a service uses gate (DR). */
  readonly device?: string;
  /** jhash seed. Default 0x5eed. */
  readonly hashSeed?: number;
  /** DR flow pinning timeout (s). Default 900 (IPVS's TCP established timeout). */
  readonly flowTimeoutSec?: number;
  /**
   * Warm director (kept on both nodes): every NAT service rule also matches
   * `fib daddr type local` (serves only where the VIP is a local address),
   * every DR rule `meta pkttype host` (only frames sent to this host's MAC:
   * the VIP holder's, or the old holder's while clients' ARP entries still
   * name it). A VIP move then switches traffic without touching the table.
   */
  readonly localOnly?: boolean;
}

export type NftFamily = "ip" | "netdev";

/** A dynamic element pointing at a real (persistence map entry or DR pin), for purges and counts. */
export interface NftDynamicEntry {
  readonly family: NftFamily;
  /** The map or set holding it. */
  readonly map: string;
  /** The element key in nft syntax ("10.0.0.100" or "10.0.0.100 . 40000"). */
  readonly key: string;
  /** The real it points at: "ip" (DR) or "ip:port" (NAT). */
  readonly target: string;
}

/** Named objects found in the kernel (so a render can delete stale ones) plus dynamic entries. */
export interface NftObjects {
  readonly maps: readonly {
    readonly family: NftFamily;
    readonly name: string;
    readonly timeoutSec?: number;
  }[];
  /** Named sets (DR pin sets), same shape as maps. */
  readonly sets: NftObjects["maps"];
  readonly chains: readonly { readonly family: NftFamily; readonly name: string }[];
  readonly dynamic: readonly NftDynamicEntry[];
}

export const EMPTY_OBJECTS: NftObjects = { maps: [], sets: [], chains: [], dynamic: [] };

const FALLBACK_BIT = 0x40000000;
const WEIGHT_MASK = 0x3fffffff;
const SH_SLOTS = 256;
const DR_MIN_SLOTS = 256;
const MAX_SLOTS = 4096;

export class NftRenderError extends Error {
  override readonly name = "NftRenderError";
}

// ---------------------------------------------------------------- helpers

/** FNV-1a 32-bit hash (stable names and rendezvous scores). */
export function fnv32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Stable nft object prefix of a service ("s" + 8 hex digits of its key's hash). */
export function serviceId(key: string): string {
  return `s${fnv32(key).toString(16).padStart(8, "0")}`;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * Smooth weighted round robin over weights/gcd: each entry appears weight/gcd
 * times, interleaved (3:1:1 -> a b a c a). Returns indexes into `weights`.
 */
export function wrrSequence(weights: readonly number[]): number[] {
  const g = weights.reduce((a, w) => (w > 0 ? gcd(a, w) : a), 0);
  if (g === 0) return [];
  const w = weights.map((x) => (x > 0 ? x / g : 0));
  const total = w.reduce((a, b) => a + b, 0);
  if (total > MAX_SLOTS)
    throw new NftRenderError(`weights need ${total} slots (more than ${MAX_SLOTS}); use smaller weights`);
  const current = w.map(() => 0);
  const out: number[] = [];
  for (let n = 0; n < total; n++) {
    let best = -1;
    for (let i = 0; i < w.length; i++) {
      current[i] = (current[i] ?? 0) + (w[i] ?? 0);
      if ((w[i] ?? 0) > 0 && (best < 0 || (current[i] ?? 0) > (current[best] ?? 0))) best = i;
    }
    current[best] = (current[best] ?? 0) - total;
    out.push(best);
  }
  return out;
}

/**
 * Weighted rendezvous hashing of `n` slots over reals (by key): a slot keeps
 * its real as long as that real stays, so removing one moves only its slots.
 */
export function rendezvousSlots(reals: readonly { key: string; weight: number }[], n = SH_SLOTS): number[] {
  const out: number[] = [];
  for (let s = 0; s < n; s++) {
    let best = -1;
    let bestScore = Number.NEGATIVE_INFINITY;
    reals.forEach((r, i) => {
      if (r.weight <= 0) return;
      const u = (fnv32(`${s}/${r.key}`) + 0.5) / 2 ** 32;
      const score = -r.weight / Math.log(u);
      if (score > bestScore) {
        bestScore = score;
        best = i;
      }
    });
    if (best >= 0) out.push(best);
  }
  return out;
}

function ipHex(ip: string): string {
  return ip
    .split(".")
    .map((o) => Number(o).toString(16).padStart(2, "0"))
    .join("");
}

/** The DR pin set of one real of a service: `<id>_p_<ip in hex>`. */
export function pinSetName(id: string, address: string): string {
  return `${id}_p_${ipHex(address)}`;
}

/** Inverse of pinSetName's suffix ("0a00008d" -> "10.0.0.141"); undefined when not a pin set. */
function pinSetReal(name: string): string | undefined {
  const m = /_p_([0-9a-f]{8})$/.exec(name);
  return m?.[1]
    ?.match(/../g)
    ?.map((h) => String(Number.parseInt(h, 16)))
    .join(".");
}

function familyOf(s: TableService): NftFamily {
  const methods = new Set(s.reals.map((r) => r.method));
  if (methods.size > 1)
    throw new NftRenderError(
      `${s.key}: nft needs one forwarding method per service (found ${[...methods].join(", ")})`,
    );
  const m = [...methods][0] ?? "masq";
  if (m === "ipip")
    throw new NftRenderError(`${s.key}: ipip (tunnel) forwarding is not supported by the nft backend`);
  return m === "gate" ? "netdev" : "ip";
}

function validate(s: TableService): void {
  if (s.protocol === "fwm" || s.address === undefined)
    throw new NftRenderError(`${s.key}: firewall-mark services are not supported by the nft backend`);
  if (s.family !== 4) throw new NftRenderError(`${s.key}: IPv6 is not supported by the nft backend`);
  if (!NFT_CAPABILITIES.schedulers.includes(s.scheduler))
    throw new NftRenderError(
      `${s.key}: scheduler ${s.scheduler} is not supported by the nft backend (rr, wrr, sh)`,
    );
  if (s.port === 0)
    throw new NftRenderError(`${s.key}: port 0 services are not supported by the nft backend`);
}

/** The metadata comment: "tcp:10.0.0.1:80 wrr [p300] [m255.255.255.0] [fsh-port]". */
export function serviceComment(s: TableServiceSpec): string {
  const parts = [s.key, s.scheduler];
  if (s.persistenceSec !== undefined) parts.push(`p${s.persistenceSec}`);
  if (s.netmask !== undefined) parts.push(`m${s.netmask}`);
  if (s.schedFlags) parts.push(`f${s.schedFlags}`);
  return parts.join(" ");
}

/** Inverse of serviceComment; undefined when the comment is not ours. */
export function parseServiceComment(c: string): TableServiceSpec | undefined {
  const [key, scheduler, ...rest] = c.trim().split(/\s+/);
  const m = /^(tcp|udp):(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(key ?? "");
  if (!m || !scheduler) return undefined;
  let spec: TableServiceSpec = {
    key: key ?? "",
    protocol: m[1] as "tcp" | "udp",
    family: 4,
    address: m[2] ?? "",
    port: Number(m[3]),
    scheduler,
    ops: false,
  };
  for (const r of rest) {
    if (r.startsWith("p")) spec = { ...spec, persistenceSec: Number(r.slice(1)) };
    else if (r.startsWith("m")) spec = { ...spec, netmask: r.slice(1) };
    else if (r.startsWith("f")) spec = { ...spec, schedFlags: r.slice(1) };
  }
  return spec;
}

const q = (s: string): string => JSON.stringify(s);

// ---------------------------------------------------------------- render

interface ServicePlan {
  readonly s: TableService;
  readonly id: string;
  readonly family: NftFamily;
  /** Index into s.reals per slot. */
  readonly slots: number[];
}

function planService(s: TableService): ServicePlan {
  validate(s);
  const family = familyOf(s);
  const live = s.reals.map((r) => ({
    key: r.key,
    weight: r.weight > 0 ? (s.scheduler === "rr" ? 1 : r.weight) : 0,
  }));
  let slots: number[];
  if (s.scheduler === "sh") slots = rendezvousSlots(live);
  else {
    const seq = wrrSequence(live.map((r) => r.weight));
    slots = seq;
    if (family === "netdev" && seq.length > 0) {
      // DR hashes each new flow into the slots: repeat the sequence so every real keeps its share
      const reps = Math.max(1, Math.floor(Math.max(DR_MIN_SLOTS, seq.length) / seq.length));
      slots = Array.from({ length: reps }, () => seq).flat();
    }
  }
  if (family === "ip" && s.reals.some((r) => r.port === 0))
    throw new NftRenderError(`${s.key}: NAT reals need a port`);
  return { s, id: serviceId(s.key), family, slots };
}

function metaMap(f: NftFamily, t: string, p: ServicePlan): string[] {
  const m = `${p.id}_reals`;
  const els = p.s.reals.map(
    (r) =>
      `${r.address} . ${r.port || p.s.port} : ${(Math.min(r.weight, WEIGHT_MASK) | (r.role === "fallback" ? FALLBACK_BIT : 0)) >>> 0}`,
  );
  return [
    `add map ${f} ${t} ${m} { typeof ip daddr . tcp dport : meta mark; comment ${q(serviceComment(p.s))}; }`,
    `flush map ${f} ${t} ${m}`,
    ...(els.length ? [`add element ${f} ${t} ${m} { ${els.join(", ")} }`] : []),
  ];
}

/**
 * The service match. Warm (localOnly): NAT needs the VIP local (`fib daddr
 * type local`: the reals' replies come back through the holder); DR takes
 * what is sent to this host's MAC (`meta pkttype host`): only the holder gets
 * frames for the VIP, except a client whose ARP entry still names the old
 * holder after a move: the old holder's identical table forwards them to the
 * same real instead of dropping them, so a planned move loses nothing.
 */
function match(s: TableServiceSpec, opts: NftOptions, dr = false): string {
  const local = opts.localOnly ? (dr ? " meta pkttype host" : " fib daddr type local") : "";
  return `ip daddr ${s.address} ${s.protocol} dport ${s.port}${local}`;
}

function saddrKey(s: TableServiceSpec): string {
  return s.netmask && s.netmask !== "255.255.255.255" ? `ip saddr & ${s.netmask}` : "ip saddr";
}

function hashExpr(s: TableServiceSpec, opts: NftOptions, dr: boolean): string {
  const seed = `seed 0x${(opts.hashSeed ?? 0x5eed).toString(16)}`;
  if (s.scheduler === "sh") {
    const byPort = (s.schedFlags ?? "").split(",").includes("sh-port");
    return `jhash ip saddr${byPort ? ` . ${s.protocol} sport` : ""} mod ${SH_SLOTS} ${seed}`;
  }
  return dr ? `jhash ip saddr . ${s.protocol} sport mod __N__ ${seed}` : "numgen inc mod __N__";
}

/** Groups of statements for one family; order: create, flush, delete stale, fill. */
interface Batch {
  create: string[];
  flush: string[];
  del: string[];
  fill: string[];
}

/** Whether an existing timeout map or set has another timeout (nft cannot change it: recreate). */
function timeoutChanged(objs: NftObjects["maps"], f: NftFamily, name: string, sec: number): boolean {
  const cur = objs.find((m) => m.family === f && m.name === name);
  return cur !== undefined && cur.timeoutSec !== undefined && cur.timeoutSec !== sec;
}

function renderNat(t: string, plans: ServicePlan[], objects: NftObjects, opts: NftOptions): Batch {
  const f = "ip";
  const b: Batch = {
    create: [
      `add table ${f} ${t}`,
      `add chain ${f} ${t} pre { type nat hook prerouting priority dstnat; policy accept; }`,
      `add chain ${f} ${t} rej { type filter hook prerouting priority -105; policy accept; }`,
      `add chain ${f} ${t} rec { type filter hook prerouting priority -95; policy accept; }`,
    ],
    flush: [`flush chain ${f} ${t} pre`, `flush chain ${f} ${t} rej`, `flush chain ${f} ${t} rec`],
    del: [],
    fill: [],
  };
  for (const p of plans) {
    const { s, id } = p;
    const slots = `${id}_slots`;
    b.create.push(`add map ${f} ${t} ${slots} { typeof numgen inc mod 2 : ip daddr . tcp dport; }`);
    b.flush.push(`flush map ${f} ${t} ${slots}`);
    b.fill.push(...metaMap(f, t, p));
    if (p.slots.length)
      b.fill.push(
        `add element ${f} ${t} ${slots} { ${p.slots.map((i, n) => `${n} : ${s.reals[i]?.address} . ${s.reals[i]?.port}`).join(", ")} }`,
      );
    if (s.persistenceSec !== undefined) {
      const pm = `${id}_persist`;
      if (timeoutChanged(objects.maps, f, pm, s.persistenceSec)) b.del.push(`delete map ${f} ${t} ${pm}`);
      b.fill.push(
        `add map ${f} ${t} ${pm} { typeof ip saddr : ip daddr . tcp dport; flags timeout; timeout ${s.persistenceSec}s; size 262144; }`,
        `add rule ${f} ${t} pre ${match(s, opts)} dnat ip to ${saddrKey(s)} map @${pm}`,
        `add rule ${f} ${t} rec ct original ip daddr ${s.address} meta l4proto ${s.protocol} ct original proto-dst ${s.port} ct state new update @${pm} { ${saddrKey(s)} timeout ${s.persistenceSec}s : ip daddr . ${s.protocol} dport }`,
      );
    }
    if (p.slots.length)
      b.fill.push(
        `add rule ${f} ${t} pre ${match(s, opts)} dnat ip to ${hashExpr(s, {}, false).replace("__N__", String(p.slots.length))} map @${slots}`,
      );
    else
      b.fill.push(
        `add rule ${f} ${t} rej ${match(s, opts)} ct state new ${s.protocol === "tcp" ? "reject with tcp reset" : "reject"}`,
      );
  }
  return b;
}

function renderDr(t: string, plans: ServicePlan[], objects: NftObjects, opts: NftOptions): Batch {
  const f = "netdev";
  const dev = opts.device;
  if (!dev) throw new NftRenderError("DR (gate) services need the director's device (--device)");
  const d = `device ${q(dev)}`;
  const b: Batch = {
    create: [
      `add table ${f} ${t}`,
      `add chain ${f} ${t} ingress { type filter hook ingress ${d} priority 0; policy accept; }`,
    ],
    flush: [`flush chain ${f} ${t} ingress`],
    del: [],
    fill: [],
  };
  const pinTimeout = opts.flowTimeoutSec ?? 900;
  for (const p of plans) {
    const { s, id } = p;
    const slots = `${id}_slots`;
    const pm = `${id}_persist`;
    const proto = s.protocol;
    const key = `ip saddr . ${proto} sport`;
    const pin = (r: TableReal): string => pinSetName(id, r.address);
    const reals = [...new Map(s.reals.map((r) => [r.address, r])).values()];
    b.create.push(`add map ${f} ${t} ${slots} { typeof numgen inc mod 2 : verdict; }`);
    b.flush.push(`flush map ${f} ${t} ${slots}`);
    b.fill.push(...metaMap(f, t, p));
    // one pin set per real (also quiesced ones: their established flows go on); a set leaves with its real
    for (const r of reals) {
      if (timeoutChanged(objects.sets, f, pin(r), pinTimeout)) b.del.push(`delete set ${f} ${t} ${pin(r)}`);
      b.fill.push(
        `add set ${f} ${t} ${pin(r)} { typeof ${key}; flags timeout,dynamic; timeout ${pinTimeout}s; size 262144; }`,
      );
    }
    if (s.persistenceSec !== undefined) {
      if (timeoutChanged(objects.maps, f, pm, s.persistenceSec)) b.del.push(`delete map ${f} ${t} ${pm}`);
      b.fill.push(
        `add map ${f} ${t} ${pm} { typeof ip saddr : ip daddr; flags timeout; timeout ${s.persistenceSec}s; size 262144; }`,
      );
    }
    const used = [...new Set(p.slots.map((i) => (s.reals[i] as TableReal).address))];
    for (const addr of used) {
      const chain = `${id}_r_${ipHex(addr)}`;
      b.create.push(`add chain ${f} ${t} ${chain}`);
      b.flush.push(`flush chain ${f} ${t} ${chain}`);
      // a new flow moves its key: out of every other real's pins, into this one's
      const moves = reals
        .filter((o) => o.address !== addr)
        .map((o) => `delete @${pin(o)} { ${key} } `)
        .join("");
      const rec = s.persistenceSec !== undefined ? ` update @${pm} { ${saddrKey(s)} : ${addr} }` : "";
      b.fill.push(
        `add rule ${f} ${t} ${chain} ${moves}update @${pinSetName(id, addr)} { ${key} }${rec} fwd ip to ${addr} ${d}`,
      );
    }
    // a TCP SYN (a new connection, maybe on a reused client port) skips the pins and is scheduled afresh
    const notSyn = proto === "tcp" ? " tcp flags & (syn | ack) != syn" : "";
    for (const r of reals)
      b.fill.push(
        `add rule ${f} ${t} ingress ${match(s, opts, true)}${notSyn} ${key} @${pin(r)} update @${pin(r)} { ${key} } fwd ip to ${r.address} ${d}`,
      );
    if (s.persistenceSec !== undefined)
      b.fill.push(
        `add rule ${f} ${t} ingress ${match(s, opts, true)} fwd ip to ${saddrKey(s)} map @${pm} ${d}`,
      );
    if (p.slots.length) {
      b.fill.push(
        `add element ${f} ${t} ${slots} { ${p.slots.map((i, n) => `${n} : jump ${id}_r_${ipHex(s.reals[i]?.address ?? "")}`).join(", ")} }`,
        `add rule ${f} ${t} ingress ${match(s, opts, true)} ${hashExpr(s, opts, true).replace("__N__", String(p.slots.length))} vmap @${slots}`,
      );
    }
    // no slot: nothing matches, the director's own stack answers the VIP with a reset
  }
  return b;
}

function staleDeletes(f: NftFamily, t: string, objects: NftObjects, b: Batch): void {
  const wanted = new Set(
    [...b.create, ...b.fill]
      .map((l) => new RegExp(`^add (map|set|chain) ${f} ${t} (\\S+)`).exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => `${m[1]}:${m[2]}`),
  );
  // slot maps jump to per-real chains, whose rules update the other maps and sets: delete in that order
  const staleMaps = objects.maps
    .filter((m) => m.family === f && !wanted.has(`map:${m.name}`))
    .map((m) => m.name);
  const slotsFirst = (x: string): number => (x.endsWith("_slots") ? 0 : 1);
  for (const m of staleMaps.filter((x) => slotsFirst(x) === 0)) b.del.push(`delete map ${f} ${t} ${m}`);
  for (const c of objects.chains)
    if (c.family === f && !wanted.has(`chain:${c.name}`)) b.del.push(`delete chain ${f} ${t} ${c.name}`);
  for (const m of staleMaps.filter((x) => slotsFirst(x) === 1)) b.del.push(`delete map ${f} ${t} ${m}`);
  // pin sets of removed reals (their rules are flushed or deleted above): their pins go with them
  for (const x of objects.sets)
    if (x.family === f && !wanted.has(`set:${x.name}`)) b.del.push(`delete set ${f} ${t} ${x.name}`);
}

/**
 * The whole desired table as one nft transaction. `current` names the objects
 * that exist now (from parseNftJson), so stale ones are deleted; a family with
 * no service left loses its table.
 */
export function renderNftBatch(desired: Table, current: NftObjects, opts: NftOptions = {}): string {
  const t = opts.table ?? "tandem_lvs";
  const plans = desired.services.map(planService);
  const out: string[] = [];
  const exists = (f: NftFamily): boolean =>
    current.maps.some((m) => m.family === f) || current.chains.some((c) => c.family === f);
  for (const f of ["ip", "netdev"] as const) {
    const mine = plans.filter((p) => p.family === f);
    if (mine.length === 0) {
      if (exists(f)) out.push(`delete table ${f} ${t}`);
      continue;
    }
    const b = f === "ip" ? renderNat(t, mine, current, opts) : renderDr(t, mine, current, opts);
    staleDeletes(f, t, current, b);
    out.push(...b.create, ...b.flush, ...b.del, ...b.fill);
  }
  return `${out.join("\n")}\n`;
}

/**
 * A second, best-effort batch deleting persistence / flow entries that point
 * at reals no longer present (IPVS drops the templates of deleted reals;
 * DR pins need no purge: a removed real's pin set is deleted with it by the
 * main batch, so `killFlows` only matters for NAT (conntrack, in the adapter).
 */
export function renderPurge(
  table: Table,
  current: NftObjects,
  opts: NftOptions & { killFlows?: boolean } = {},
): string {
  const t = opts.table ?? "tandem_lvs";
  const alive = new Map<string, Set<string>>();
  for (const s of table.services) {
    const id = serviceId(s.key);
    alive.set(id, new Set(s.reals.flatMap((r) => [r.address, `${r.address}:${r.port || s.port}`])));
  }
  const out: string[] = [];
  for (const e of current.dynamic) {
    const [id, kind] = e.map.split("_");
    if (!id || kind === "p" || (kind === "flows" && !opts.killFlows)) continue;
    const live = alive.get(id);
    if (live?.has(e.target)) continue;
    if (!live) continue; // the whole service went away: its maps are deleted by the main batch
    out.push(`delete element ${e.family} ${t} ${e.map} { ${e.key} }`);
  }
  return out.length ? `${out.join("\n")}\n` : "";
}

// ---------------------------------------------------------------- read back

type Json = Record<string, unknown>;

function keyText(k: unknown): string | undefined {
  if (typeof k === "string" || typeof k === "number") return String(k);
  if (k && typeof k === "object") {
    const o = k as Json;
    if (Array.isArray(o.concat)) {
      const parts = o.concat.map(keyText);
      return parts.every((p) => p !== undefined) ? parts.join(" . ") : undefined;
    }
    if (o.elem && typeof o.elem === "object") return keyText((o.elem as Json).val);
    if ("val" in o) return keyText(o.val);
  }
  return undefined;
}

function ipNum(ip: string): number {
  return ip.split(".").reduce((a, o) => a * 256 + Number(o), 0);
}

function elems(m: Json): [unknown, unknown][] {
  const e = m.elem;
  if (!Array.isArray(e)) return [];
  return e.filter((x): x is [unknown, unknown] => Array.isArray(x) && x.length === 2);
}

/**
 * Parses the JSON of `nft -j list table ip NAME` and/or `... netdev NAME`
 * (several documents may be given) into the table and the named objects.
 */
export function parseNftJson(...docs: readonly string[]): { table: Table; objects: NftObjects } {
  const services: TableService[] = [];
  const maps: { family: NftFamily; name: string; timeoutSec?: number }[] = [];
  const sets: { family: NftFamily; name: string; timeoutSec?: number }[] = [];
  const chains: { family: NftFamily; name: string }[] = [];
  const dynamic: NftDynamicEntry[] = [];
  for (const doc of docs) {
    if (!doc.trim()) continue;
    const items = ((JSON.parse(doc) as Json).nftables ?? []) as Json[];
    for (const it of items) {
      if (it.chain) {
        const c = it.chain as Json;
        chains.push({ family: c.family as NftFamily, name: String(c.name) });
      }
      if (it.set) {
        const st = it.set as Json;
        const family = st.family as NftFamily;
        const name = String(st.name);
        sets.push(
          typeof st.timeout === "number" ? { family, name, timeoutSec: st.timeout } : { family, name },
        );
        const target = pinSetReal(name);
        const e = st.elem;
        if (target && Array.isArray(e))
          for (const k of e) {
            const key = keyText(k);
            if (key) dynamic.push({ family, map: name, key, target });
          }
      }
      if (!it.map) continue;
      const m = it.map as Json;
      const family = m.family as NftFamily;
      const name = String(m.name);
      maps.push(typeof m.timeout === "number" ? { family, name, timeoutSec: m.timeout } : { family, name });
      if (name.endsWith("_reals") && typeof m.comment === "string") {
        const spec = parseServiceComment(m.comment);
        if (!spec) continue;
        const reals: TableReal[] = elems(m).map(([k, v]) => {
          const [address = "", port = "0"] = (keyText(k) ?? "").split(" . ");
          const n = Number(keyText(v) ?? 0);
          return {
            key: realKey({ address, port: Number(port) }),
            address,
            port: Number(port),
            method: family === "netdev" ? "gate" : "masq",
            weight: n & WEIGHT_MASK,
            upperThreshold: 0,
            lowerThreshold: 0,
            role: n & FALLBACK_BIT ? "fallback" : "real",
          };
        });
        reals.sort((a, b) => ipNum(a.address) - ipNum(b.address) || a.port - b.port);
        services.push({ ...spec, key: serviceKey(spec), reals });
      } else if (name.endsWith("_persist") || name.endsWith("_flows")) {
        for (const [k, v] of elems(m)) {
          const key = keyText(k);
          const target = keyText(v);
          if (key && target) dynamic.push({ family, map: name, key, target: target.replace(" . ", ":") });
        }
      }
    }
  }
  services.sort((a, b) => a.key.localeCompare(b.key));
  return { table: { services }, objects: { maps, sets, chains, dynamic } };
}
