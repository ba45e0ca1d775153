/**
 * IPv4 helpers and the decoder for the IP argument of Heartbeat's IPaddr,
 * IPaddr2 and SendArp resources (`IP[/bits[/iface[:label]][/broadcast]]`).
 * Pure: text in, value or a reason out.
 */
import type { IpSpec } from "./model.js";

/** Linux interface names are at most 15 bytes (IFNAMSIZ 16 with the NUL). */
export const MAX_IFNAME = 15;

const DOTTED = /^\d+\.\d+\.\d+\.\d+$/;

/** True for text that starts like an IPv4 address (`digits.digits.digits.digits`), as Heartbeat tests bare IP tokens. */
export function looksLikeIpv4(text: string): boolean {
  return /^\d+\.\d+\.\d+\.\d+/.test(text);
}

/**
 * Why `text` is not a valid dotted-quad IPv4 address, or undefined when it is.
 * Octets are decimal 0..255; a leading zero is refused because some tools read it as octal.
 */
export function ipv4Problem(text: string): string | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d+$/.test(p))) {
    return `"${text}" is not an IPv4 address (expected four numbers separated by dots, such as 10.0.0.5)`;
  }
  for (const p of parts) {
    if (Number(p) > 255) {
      return `"${text}" is not a valid IPv4 address: "${p}" is above 255`;
    }
    if (p.length > 1 && p.startsWith("0")) {
      return `"${text}" is not a valid IPv4 address: "${p}" has a leading zero, which some tools read as octal`;
    }
  }
  return undefined;
}

/** The 32-bit value of a valid dotted quad (check with ipv4Problem first). */
export function ipv4ToNumber(text: string): number {
  return text.split(".").reduce((acc, p) => acc * 256 + Number(p), 0);
}

/** Prefix length of a dotted netmask such as 255.255.255.0, or undefined when it is not a contiguous mask. */
export function netmaskBits(text: string): number | undefined {
  if (ipv4Problem(text) !== undefined) return undefined;
  const n = ipv4ToNumber(text);
  for (let bits = 0; bits <= 32; bits++) {
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    if (mask === n) return bits;
  }
  return undefined;
}

export type IpDecode =
  | { readonly ok: true; readonly spec: IpSpec }
  | { readonly ok: false; readonly reason: string };

const FORMS = "IP, IP/bits, IP/bits/iface, IP/bits/broadcast and IP/bits/iface/broadcast";

function fail(reason: string): IpDecode {
  return { ok: false, reason };
}

/** Decodes the netmask field: a prefix length 1..32 or a contiguous dotted netmask. */
function decodeBits(field: string): number | string {
  if (/^\d+$/.test(field)) {
    const bits = Number(field);
    if (bits >= 1 && bits <= 32) return bits;
    return `netmask "${field}" is out of range: the number of bits must be 1 to 32`;
  }
  if (DOTTED.test(field)) {
    const bits = netmaskBits(field);
    if (bits === 0) return `netmask "${field}" is out of range: the number of bits must be 1 to 32`;
    if (bits !== undefined) return bits;
    return `netmask "${field}" is not a valid netmask (its one bits must be contiguous, as in 255.255.255.0)`;
  }
  return `netmask "${field}" must be a number of bits from 1 to 32 or a dotted netmask such as 255.255.255.0`;
}

/** Decodes `iface` or `iface:label` into nic and label, checking Linux name limits. */
function decodeIface(field: string): { nic: string; label?: string } | string {
  const colon = field.indexOf(":");
  const nic = colon < 0 ? field : field.slice(0, colon);
  const label = colon < 0 ? undefined : field.slice(colon + 1);
  if (nic === "") return `interface "${field}" has no name before the ":"`;
  if (label !== undefined) {
    if (label === "" || label.includes(":")) {
      return `interface "${field}" is not of the form iface:label (one ":" followed by a label)`;
    }
    if (field.length > MAX_IFNAME) {
      return `interface label "${field}" is longer than ${MAX_IFNAME} characters (the Linux limit)`;
    }
    return { nic, label };
  }
  if (nic.length > MAX_IFNAME) {
    return `interface "${nic}" is longer than ${MAX_IFNAME} characters (the Linux limit)`;
  }
  return { nic };
}

/**
 * Decodes the first argument of IPaddr / IPaddr2 / SendArp:
 * `IP`, `IP/bits`, `IP/bits/iface`, `IP/bits/broadcast` (a dotted quad in the
 * third field is the broadcast address) or `IP/bits/iface/broadcast`. The
 * interface may be `iface:label`. `bits` may also be a dotted netmask, which
 * is converted to a prefix length (the IPaddr agent accepts both).
 */
export function decodeIpArg(arg: string): IpDecode {
  const fields = arg.split("/");
  if (fields.length > 4) return fail(`too many "/" fields: the forms are ${FORMS}`);
  const [ip = "", bitsField, third, fourth] = fields;
  const ipBad = ipv4Problem(ip);
  if (ipBad !== undefined) return fail(ipBad);
  let spec: IpSpec = { ip };
  if (bitsField === undefined) return { ok: true, spec };
  if (bitsField === "") return fail(`the netmask field after "${ip}/" is empty`);
  const bits = decodeBits(bitsField);
  if (typeof bits === "string") return fail(bits);
  spec = { ...spec, cidrNetmask: bits };
  if (third === undefined) return { ok: true, spec };
  if (third === "") return fail(`the interface field after "${ip}/${bitsField}/" is empty`);
  let broadcast: string | undefined;
  if (DOTTED.test(third)) {
    if (fourth !== undefined) {
      return fail(
        `the third field "${third}" looks like a broadcast address, but in the form IP/bits/iface/broadcast it must be an interface`,
      );
    }
    broadcast = third;
  } else {
    const iface = decodeIface(third);
    if (typeof iface === "string") return fail(iface);
    spec = { ...spec, nic: iface.nic, ...(iface.label !== undefined ? { label: iface.label } : {}) };
    if (fourth === "") return fail(`the broadcast field after "${ip}/${bitsField}/${third}/" is empty`);
    broadcast = fourth;
  }
  if (broadcast === undefined) return { ok: true, spec };
  const bad = ipv4Problem(broadcast);
  if (bad !== undefined) return fail(`broadcast address: ${bad}`);
  return { ok: true, spec: { ...spec, broadcast } };
}
