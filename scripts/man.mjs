#!/usr/bin/env node
// Man pages generated from the same source as --help: each program's --help
// output (and, for hbctl, every subcommand's) is rendered to roff, so the two
// cannot drift. tandem-ha.cf(5) is rendered from the README's "### ha.cf"
// section, the reference for how Tandem reads ha.cf.
// Usage: node scripts/man.mjs OUTDIR   (after `npm run build`; writes *.8 and *.5)
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const version = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version;
const DATE = process.env.SOURCE_DATE_EPOCH
  ? new Date(Number(process.env.SOURCE_DATE_EPOCH) * 1000).toISOString().slice(0, 10)
  : "";

export const PROGRAMS = [
  { name: "hbd", js: "dist/src/bin/hbd.cjs", section: 8 },
  { name: "hbctl", js: "dist/src/cli/main.js", section: 8, subcommands: true },
  { name: "hb-director", js: "dist/src/lvs/main.js", section: 8 },
];

const FILES = {
  hbd: [
    [
      "/etc/ha.d/ha.cf, /etc/ha.d/authkeys, /etc/ha.d/haresources",
      "Heartbeat configuration (see tandem-ha.cf(5))",
    ],
    ["/var/lib/tandem", "persistent state: CIB, generation number, saved policy inputs"],
    ["/run/tandem/hbd.sock", "control socket used by hbctl; /run/tandem/hbd.pid"],
    ["/lib/systemd/system/hbd.service", "the systemd unit (Type=notify)"],
  ],
  hbctl: [["/run/tandem/hbd.sock", "hbd's control socket (--socket to choose another)"]],
  "hb-director": [["/etc/ha.d/ldirectord.cf", "the director configuration (ldirectord's format, or YAML)"]],
};

/** roff-escapes one line of text (backslashes; a leading dot or quote would be a request). */
export function esc(line) {
  const s = line.replace(/\\/g, "\\e").replace(/-/g, "\\-");
  return /^[.']/.test(s) ? `\\&${s}` : s;
}

/** hbctl's help texts in one process: its commander tree (dist/src/cli/program.js), walked. */
async function hbctlHelps() {
  let text = "";
  const io = { out: (t) => (text += t), err: () => {}, exit: () => {} };
  const { buildProgram } = await import(join(root, "dist/src/cli/program.js"));
  const helps = new Map();
  const walk = (cmd, path) => {
    text = "";
    cmd.outputHelp();
    helps.set(path.join(" "), text);
    for (const c of cmd.commands) if (c.name() !== "help") walk(c, [...path, c.name()]);
  };
  walk(await buildProgram(io), []);
  return helps;
}

let helpCache;

function help(js, args) {
  const cached = helpCache?.get(args.join(" "));
  if (js.includes("/cli/") && cached !== undefined) return cached;
  const r = spawnSync(process.execPath, [join(root, js), ...args, "--help"], {
    encoding: "utf8",
    env: { ...process.env, COLUMNS: "80" },
  });
  if (r.status !== 0) throw new Error(`${js} ${args.join(" ")} --help exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** Subcommand names listed under "Commands:" of a help text (without `help`). */
export function subcommands(text) {
  const m = /\nCommands:\n([\s\S]*?)(\n\n|$)/.exec(text);
  if (!m) return [];
  return m[1]
    .split("\n")
    .filter((l) => /^ {2}\S/.test(l))
    .map((l) => l.trim().split(/\s+/)[0])
    .filter((n) => n !== "help");
}

/** Help text -> roff: the first lines become SYNOPSIS/DESCRIPTION, the rest is kept verbatim (.nf). */
export function renderHelp(text) {
  return [".nf", ...text.trimEnd().split("\n").map(esc), ".fi"].join("\n");
}

function page(p) {
  const top = help(p.js, []);
  const desc = top.split("\n").find((l, i) => i > 0 && l.trim() !== "") ?? p.name;
  const out = [
    `.TH ${p.name.toUpperCase()} ${p.section} "${DATE}" "tandem ${version}" "Tandem"`,
    ".SH NAME",
    `${esc(p.name)} \\- ${esc(desc.trim().replace(/\.$/, ""))}`,
    ".SH SYNOPSIS",
    esc(top.split("\n")[0].replace(/^Usage: /, "")),
    ".SH DESCRIPTION",
    `This page is generated from \\fB${esc(p.name)} \\-\\-help\\fR.`,
    renderHelp(top),
  ];
  if (p.subcommands) {
    out.push(".SH COMMANDS");
    const walk = (path, depth) => {
      for (const c of subcommands(help(p.js, path))) {
        const sub = [...path, c];
        out.push(`.SS "${esc(`${p.name} ${sub.join(" ")}`)}"`, renderHelp(help(p.js, sub)));
        if (depth < 3) walk(sub, depth + 1);
      }
    };
    walk([], 1);
  }
  out.push(".SH FILES");
  for (const [f, what] of FILES[p.name] ?? []) out.push(".TP", `.I ${esc(f)}`, esc(what));
  out.push(
    ".SH SEE ALSO",
    "hbd(8), hbctl(8), hb-director(8), tandem-ha.cf(5), /usr/share/doc/tandem/README.md",
  );
  return `${out.join("\n")}\n`;
}

/** Markdown (the README's ha.cf section) -> roff, enough for lists, tables and code spans. */
export function markdownToRoff(md) {
  const out = [];
  for (const raw of md.split("\n")) {
    const line = raw.replace(/`([^`]*)`/g, "\\fB$1\\fR").replace(/\*\*([^*]*)\*\*/g, "\\fB$1\\fR");
    if (raw.trim() === "") out.push(".PP");
    else if (/^\|\s*-+/.test(raw)) continue;
    else if (raw.startsWith("|")) {
      const cells = line
        .split("|")
        .slice(1, -1)
        .map((c) => c.trim().replace(/\\\|/g, "|"));
      out.push(
        ".TP",
        esc(cells[0] ?? "").replace(/\\e(f[BR])/g, "\\$1"),
        esc(cells.slice(1).join(" ")).replace(/\\e(f[BR])/g, "\\$1"),
      );
    } else if (/^- /.test(raw)) out.push(".IP \\(bu 2", esc(line.slice(2)).replace(/\\e(f[BR])/g, "\\$1"));
    else out.push(esc(line.trim()).replace(/\\e(f[BR])/g, "\\$1"));
  }
  return out.join("\n");
}

function hacfPage() {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const m = /\n### ha\.cf\n([\s\S]*?)\n##/.exec(readme);
  if (!m) throw new Error('README.md has no "### ha.cf" section');
  return `${[
    `.TH TANDEM-HA.CF 5 "${DATE}" "tandem ${version}" "Tandem"`,
    ".SH NAME",
    "tandem-ha.cf \\- how Tandem's hbd reads Heartbeat's /etc/ha.d/ha.cf",
    ".SH DESCRIPTION",
    "Generated from the README's ha.cf section. Heartbeat's own ha.cf(5), if installed, describes the directives themselves.",
    markdownToRoff(m[1]),
    ".SH SEE ALSO",
    "hbd(8), hbctl(8), ha.cf(5)",
  ].join("\n")}\n`;
}

export async function writeManPages(dir) {
  helpCache = await hbctlHelps();
  mkdirSync(dir, { recursive: true });
  const written = [];
  for (const p of PROGRAMS) {
    const f = join(dir, `${p.name}.${p.section}`);
    writeFileSync(f, page(p));
    written.push(f);
  }
  const f = join(dir, "tandem-ha.cf.5");
  writeFileSync(f, hacfPage());
  written.push(f);
  return written;
}

if (process.argv[1] && new URL(import.meta.url).pathname === process.argv[1]) {
  const dir = process.argv[2];
  if (!dir) {
    console.error("usage: node scripts/man.mjs OUTDIR");
    process.exit(2);
  }
  for (const f of await writeManPages(dir)) console.log(f);
}
