/**
 * Parser for /etc/ha.d/haresources (reference: shared heartbeat.md section 4.1).
 *
 * ```
 * node resource [resource ...]        # one resource group per logical line
 * primarylb IPaddr::10.0.0.5/24/eth0 \
 *           ldirectord::ldirectord.cf
 * ```
 *
 * - `#` starts a comment (to the end of the physical line); a trailing `\`
 *   continues the logical line on the next physical line (the break separates
 *   words, as whitespace does).
 * - The first word is the preferred node (lower-cased); the rest are resources
 *   `Name` or `Name::arg1::arg2`. The first resource's text is the group key and
 *   must be unique.
 * - A bare IPv4 token (`10.0.0.5`, `10.0.0.5/24`, ...) means `IPaddr::<token>`.
 * - The first argument of IPaddr, IPaddr2 and SendArp is decoded into an IpSpec
 *   (bits map to the netmask and iface to the nic, unlike haresources2cib.py,
 *   see heartbeat.md section 7.2).
 *
 * Added beyond Heartbeat: the same resource (or the same IP address) in two
 * groups is a warning, since both groups would run it, possibly on two nodes.
 */
import { DiagnosticSink, type Parsed } from "../base/diag.js";
import { decodeIpArg, looksLikeIpv4 } from "./ipspec.js";
import type { LegacyResource, ResourceGroup, SourceRef } from "./model.js";

/** Resource scripts whose first argument is an IP specification. */
export const IP_RESOURCE_TYPES: readonly string[] = ["IPaddr", "IPaddr2", "SendArp"];

export interface HaresourcesOptions {
  /** Configured node names (from ha.cf or cluster.yaml); when given, every line's node must be one of them. */
  readonly nodes?: readonly string[];
}

export interface Word {
  readonly text: string;
  readonly line: number;
}

/** Splits the file into logical lines (words with their physical line), handling comments and `\` continuation. */
function logicalLines(text: string): Word[][] {
  const out: Word[][] = [];
  let current: Word[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = i + 1;
    const hash = raw.indexOf("#");
    let body = (hash < 0 ? raw : raw.slice(0, hash)).trimEnd();
    const continued = body.endsWith("\\");
    if (continued) body = body.slice(0, -1);
    for (const w of body.split(/\s+/)) if (w !== "") current.push({ text: w, line });
    if (!continued && current.length > 0) {
      out.push(current);
      current = [];
    }
  });
  if (current.length > 0) out.push(current);
  return out;
}

/** What makes two resources "the same" for the duplicate warning: the address for IP resources, else the text. */
function identity(r: LegacyResource, text: string): { key: string; label: string } {
  if (r.ip !== undefined) return { key: `ip:${r.ip.ip}`, label: `address ${r.ip.ip}` };
  return { key: `rsc:${text}`, label: `resource "${text}"` };
}

/** Decodes one resource word, reporting problems at its line. */
export function parseResourceWord(word: Word, file: string, sink: DiagnosticSink): LegacyResource {
  const at: SourceRef = { file, line: word.line };
  const text = looksLikeIpv4(word.text) ? `IPaddr::${word.text}` : word.text;
  const [type = "", ...args] = text.split("::");
  const resource: LegacyResource = { type, args, at };
  if (type === "") {
    sink.error(word.line, "haresources.resource", `resource "${word.text}" has no script name before "::"`);
    return resource;
  }
  if (type.includes("/")) {
    sink.error(
      word.line,
      "haresources.resource",
      `resource "${word.text}" is neither a script name (in resource.d or init.d) nor an IPv4 address`,
    );
    return resource;
  }
  const empty = args.indexOf("");
  if (empty >= 0) {
    sink.error(
      word.line,
      "haresources.resource",
      `resource "${word.text}" has an empty argument (number ${empty + 1}); remove the extra "::"`,
    );
  }
  if (!IP_RESOURCE_TYPES.includes(type)) return resource;
  const [ipArg, ...extra] = args;
  if (ipArg === undefined) {
    sink.error(
      word.line,
      "haresources.ip",
      `${type} needs an IP address argument, e.g. ${type}::10.0.0.5/24/eth0`,
    );
    return resource;
  }
  if (ipArg === "") return resource;
  const decoded = decodeIpArg(ipArg);
  if (!decoded.ok) {
    sink.error(word.line, "haresources.ip", `${type} argument "${ipArg}": ${decoded.reason}`);
    return resource;
  }
  if (extra.length > 0) {
    sink.warning(
      word.line,
      "haresources.ip-extra",
      `${type} uses only its first argument; "${extra.join("::")}" is ignored (write ${type}::IP/bits/iface/broadcast)`,
    );
  }
  return { ...resource, ip: decoded.spec };
}

/**
 * Parses a haresources file into resource groups, one per logical line, in
 * file order. With `opts.nodes`, a node name that is not configured is an
 * error (Heartbeat's "Bad nodename"). Groups with problems are still returned
 * where they can be (except a duplicate group key), so callers must check the
 * diagnostics.
 */
export function parseHaresources(
  text: string,
  file: string,
  opts: HaresourcesOptions = {},
): Parsed<ResourceGroup[]> {
  const sink = new DiagnosticSink(file);
  const configured = opts.nodes?.map((n) => n.toLowerCase());
  const groups: ResourceGroup[] = [];
  const keys = new Map<string, number>();
  const seen = new Map<string, { groupLine: number; node: string; line: number }>();

  for (const words of logicalLines(text)) {
    const [nodeWord, ...rscWords] = words as [Word, ...Word[]];
    const line = nodeWord.line;
    if (nodeWord.text.includes("::") || looksLikeIpv4(nodeWord.text)) {
      sink.error(
        line,
        "haresources.node",
        `line starts with the resource "${nodeWord.text}": each line must start with the name of its preferred node`,
      );
      continue;
    }
    const node = nodeWord.text.toLowerCase();
    if (configured !== undefined && !configured.includes(node)) {
      const list = configured.length > 0 ? `: ${configured.join(", ")}` : " (none are)";
      sink.error(
        line,
        "haresources.node",
        `unknown node "${node}": the preferred node must be one of the configured nodes${list}`,
      );
    }
    if (rscWords.length === 0) {
      sink.error(
        line,
        "haresources.empty",
        `node "${node}" has no resources: a line reads "NODE RESOURCE [RESOURCE ...]"`,
      );
      continue;
    }
    const resources = rscWords.map((w) => parseResourceWord(w, file, sink));
    const key = rscWords[0]!.text;
    const earlier = keys.get(key);
    if (earlier !== undefined) {
      sink.error(
        line,
        "haresources.duplicate-key",
        `group key "${key}" is already used by the group on line ${earlier}: the first resource of each line names its group and must be unique`,
      );
      continue;
    }
    keys.set(key, line);
    resources.forEach((r, i) => {
      const { key: id, label } = identity(r, rscWords[i]!.text);
      const prior = seen.get(id);
      if (prior === undefined) {
        seen.set(id, { groupLine: line, node, line: r.at.line });
      } else if (prior.groupLine === line) {
        sink.warning(
          r.at.line,
          "haresources.duplicate-resource",
          `${label} appears twice in this group (first on line ${prior.line})`,
        );
      } else {
        sink.warning(
          r.at.line,
          "haresources.duplicate-resource",
          `${label} is also in the group on line ${prior.groupLine} (node ${prior.node}): each group starts it on its own, so two nodes could run it at once; keep it in one group`,
        );
      }
    });
    groups.push({ key, node, resources, at: { file, line } });
  }
  return { value: groups, diagnostics: sink.items };
}
