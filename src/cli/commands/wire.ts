/**
 * `hbctl wire decode --authkeys FILE [CAPTURE|-] [--json]`: decodes captured
 * Heartbeat packets (libpcap file or the JSONL vector format) and prints each
 * message with its verdict: an operator's tool for "why don't my nodes see
 * each other". Exit 0 when every packet verifies, 1 when some do not, 2 when
 * the input cannot be read.
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { formatDiagnostic } from "../../base/diag.js";
import { ExitCode } from "../../base/errors.js";
import type { CaptureRead } from "../../comm/capture.js";
import { readJsonlCapture } from "../../comm/capture.js";
import { readPcap } from "../../comm/pcap.js";
import { describePackets, formatReport, hints, summarize } from "../../comm/wire-report.js";
import { parseAuthkeys } from "../../config/authkeys.js";
import { readInput } from "../../config/read.js";
import type { CliIo } from "../io.js";
import { jsonDocument } from "../json.js";

interface DecodeOptions {
  authkeys: string;
  json?: boolean;
  fields?: boolean;
}

const PCAP_MAGICS = new Set([0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0x0a0d0d0a]);

function readCapture(
  bytes: Buffer,
): { ok: true; read: CaptureRead; kind: string } | { ok: false; reason: string } {
  if (bytes.length >= 4 && PCAP_MAGICS.has(bytes.readUInt32BE(0))) {
    const r = readPcap(bytes);
    return r.ok
      ? { ok: true, read: r, kind: `pcap (link type ${r.linkType})` }
      : { ok: false, reason: r.error.reason };
  }
  return { ok: true, read: readJsonlCapture(bytes.toString("utf8")), kind: "jsonl" };
}

export function runWireDecode(file: string | undefined, opts: DecodeOptions, io: CliIo): void {
  const keyFile = readInput(opts.authkeys);
  if (keyFile.text === undefined) {
    io.err(
      `hbctl wire decode: cannot read authkeys ${opts.authkeys}: ${keyFile.readError ?? "file not found"}`,
    );
    io.exit(ExitCode.usage);
    return;
  }
  const parsed = parseAuthkeys(keyFile.text, keyFile.path, keyFile.mode);
  // The mode rule protects a live node's secrets; a decoding session may use a copy, so it only warns here.
  for (const d of parsed.diagnostics)
    io.err(formatDiagnostic(d.code === "authkeys.mode" ? { ...d, severity: "warning" } : d));
  if (!parsed.value) {
    io.err("hbctl wire decode: the authkeys file has no usable key");
    io.exit(ExitCode.usage);
    return;
  }
  let bytes: Buffer;
  const name = file === undefined || file === "-" ? "<stdin>" : file;
  try {
    bytes = readFileSync(name === "<stdin>" ? 0 : name);
  } catch (e) {
    io.err(`hbctl wire decode: cannot read ${name}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    io.exit(ExitCode.usage);
    return;
  }
  const cap = readCapture(bytes);
  if (!cap.ok) {
    io.err(`hbctl wire decode: ${name}: ${cap.reason}`);
    io.exit(ExitCode.usage);
    return;
  }
  for (const s of cap.read.skipped) io.err(`${name}:${s.at}: skipped: ${s.reason}`);
  const records = describePackets(cap.read.packets, parsed.value);
  const bad = records.filter((r) => r.verdict !== "ok").length;
  if (opts.json) {
    io.out(
      jsonDocument({
        input: name,
        format: cap.kind,
        packets: records,
        senders: summarize(records),
        hints: hints(records),
        skipped: cap.read.skipped,
      }),
    );
  } else {
    io.out(formatReport(records, { fields: opts.fields !== false }));
  }
  io.exit(bad > 0 ? ExitCode.warnings : ExitCode.ok);
}

export function registerWire(program: Command, io: CliIo): void {
  const wire = program
    .command("wire")
    .summary("inspect Heartbeat packets")
    .description("Inspect Heartbeat wire traffic.");
  wire
    .command("decode")
    .summary("decode and verify captured packets")
    .description(
      "Decode captured Heartbeat packets and check their signatures with an authkeys file: prints each message " +
        "(time, source, type, fields) with its verdict (ok, bad signature, unknown key index, malformed: why), then a " +
        "summary per sender and hints.\n\nInput: a classic libpcap file (Ethernet, Linux cooked SLL/SLL2 or raw IPv4; " +
        "UDP) as written by `tcpdump -w`, or JSONL lines {t_ms, src, dst, hex}; `-` or nothing reads standard input.\n\n" +
        "Exit status: 0 every packet verified, 1 some did not, 2 the input could not be read.",
    )
    .argument("[capture]", "pcap or JSONL file, or - for standard input")
    .requiredOption("-k, --authkeys <file>", "authkeys file with the cluster's keys")
    .option("--json", "print JSON records")
    .option("--no-fields", "do not list each message's fields")
    .addHelpText(
      "after",
      "\nExamples:\n  tcpdump -i eth1 -w hb.pcap udp port 694\n  hbctl wire decode --authkeys /etc/ha.d/authkeys hb.pcap\n  hbctl wire decode -k authkeys --json capture.jsonl",
    )
    .action((file: string | undefined, opts: DecodeOptions) => runWireDecode(file, opts, io));
}
