#!/usr/bin/env node
// `npm run package`: builds tandem_<version>_<arch>.deb with dpkg-deb.
//   /usr/lib/tandem      dist/src, resource.d, package.json, production node_modules
//   /usr/sbin/hbd, /usr/sbin/hb-director, /usr/bin/hbctl, /usr/bin/hb_standby, /usr/bin/hb_takeover
//   /usr/share/heartbeat/hb_standby, hb_takeover (Heartbeat's own diverted aside: packaging/debian/preinst)
//   /lib/systemd/system/hbd.service, /etc/logrotate.d/tandem (the only conffile; /etc/ha.d is never shipped)
//   man pages hbd(8) hbctl(8) hb-director(8) tandem-ha.cf(5) from --help (scripts/man.mjs)
//   /usr/share/doc/tandem: README, docs/, examples/
// Usage: node scripts/package.mjs [--out DIR] [--no-build]
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  closeSync,
  copyFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { writeManPages } from "./man.mjs";

const root = new URL("..", import.meta.url).pathname;
const args = process.argv.slice(2);
const outDir = args.includes("--out") ? args[args.indexOf("--out") + 1] : root;
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const version = pkg.version;
const run = (cmd, argv, opts = {}) => execFileSync(cmd, argv, { stdio: "inherit", ...opts });

function debArch() {
  try {
    return execFileSync("dpkg", ["--print-architecture"], { encoding: "utf8" }).trim();
  } catch {
    return { x64: "amd64", arm64: "arm64", arm: "armhf", ia32: "i386" }[process.arch] ?? process.arch;
  }
}

const arch = debArch();
const nodeArch = process.arch;
if (!args.includes("--no-build")) run("npm", ["run", "build"], { cwd: root });

const stage = mkdtempSync(join(tmpdir(), "tandem-deb-"));
const r = (p) => join(stage, p);
const mkdir = (p, mode = 0o755) => {
  mkdirSync(r(p), { recursive: true });
  chmodSync(r(p), mode);
};
const write = (p, text, mode = 0o644) => {
  mkdirSync(dirname(r(p)), { recursive: true });
  writeFileSync(r(p), text);
  chmodSync(r(p), mode);
};
const gz = (text) => gzipSync(Buffer.from(text), { level: 9 });

try {
  // ---- the program
  const lib = "usr/lib/tandem";
  mkdir(lib);
  cpSync(join(root, "dist", "src"), r(`${lib}/dist/src`), { recursive: true });
  cpSync(join(root, "resource.d"), r(`${lib}/resource.d`), { recursive: true });
  const slim = {
    name: pkg.name,
    version,
    type: pkg.type,
    license: pkg.license,
    dependencies: pkg.dependencies,
  };
  write(`${lib}/package.json`, `${JSON.stringify(slim, null, 2)}\n`);
  copyFileSync(join(root, "package-lock.json"), r(`${lib}/package-lock.json`));
  run("npm", ["ci", "--omit=dev", "--ignore-scripts", "--prefer-offline", "--no-audit", "--no-fund"], {
    cwd: r(lib),
  });
  rmSync(r(`${lib}/package-lock.json`));
  rmSync(r(`${lib}/node_modules/.package-lock.json`), { force: true });
  // serialport's prebuilt bindings: keep only this architecture's
  const prebuilds = r(`${lib}/node_modules/@serialport/bindings-cpp/prebuilds`);
  for (const d of readdirSync(prebuilds))
    if (d !== `linux-${nodeArch}`) rmSync(join(prebuilds, d), { recursive: true, force: true });
  for (const f of readdirSync(join(prebuilds, `linux-${nodeArch}`)))
    if (f.includes(".musl.")) rmSync(join(prebuilds, `linux-${nodeArch}`, f));
  // what only a build from source or a repository needs
  for (const p of ["@serialport/bindings-cpp/src", "node-addon-api", "pino/index.html", "pino/docs"])
    rmSync(r(`${lib}/node_modules/${p}`), { recursive: true, force: true });
  const prune = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) prune(p);
      else if (/^\.(npmignore|gitattributes|gitignore|eslintrc.*|travis\.yml)$|\.d\.ts$|\.map$/.test(e.name))
        rmSync(p);
    }
  };
  prune(r(lib));

  // ---- commands: small wrappers so /usr/bin/node (Debian's nodejs) runs them
  // hbctl and Heartbeat's tools use no TLS: Node 20 loads NODE_EXTRA_CA_CERTS at every start (~60 ms CPU);
  // they run the one-file builds (dist/src/bin, scripts/bundle-bins.mjs). hbd opens no TLS either
  // (~100 ms CPU and ~4 MB RSS of its start): its wrapper hands the variable over under another name and
  // hbd puts it back for the children that inherit its environment (src/daemon/ca-env.ts). hb-director
  // keeps it (its https checks); it is started by an agent, whose environment hbd builds afresh.
  const wrap = (target, js, pre = "") =>
    write(target, `#!/bin/sh\n${pre}exec /usr/bin/node /${lib}/${js} "$@"\n`, 0o755);
  const noCa = "unset NODE_EXTRA_CA_CERTS\n";
  const { WRAPPER_CA_LINES } = await import(join(root, "dist", "src", "daemon", "ca-env.js"));
  wrap("usr/sbin/hbd", "dist/src/bin/hbd.cjs", WRAPPER_CA_LINES);
  wrap("usr/sbin/hb-director", "dist/src/lvs/main.js");
  wrap("usr/bin/hbctl", "dist/src/bin/hbctl.cjs", noCa);
  for (const [name, js] of [
    ["hb_standby", "dist/src/bin/hb_standby.cjs"],
    ["hb_takeover", "dist/src/bin/hb_takeover.cjs"],
  ]) {
    wrap(`usr/bin/${name}`, js, noCa);
    wrap(`usr/share/heartbeat/${name}`, js, noCa); // where Debian's Heartbeat had it (diverted, see preinst)
  }

  // ---- systemd, logrotate
  write("lib/systemd/system/hbd.service", readFileSync(join(root, "packaging", "hbd.service"), "utf8"));
  write("etc/logrotate.d/tandem", readFileSync(join(root, "packaging", "tandem.logrotate"), "utf8"));

  // ---- man pages (from --help)
  const manTmp = join(stage, "..", `${stage.split("/").pop()}-man`);
  for (const f of await writeManPages(manTmp)) {
    const name = f.split("/").pop();
    const section = name.split(".").pop();
    mkdir(`usr/share/man/man${section}`);
    writeFileSync(r(`usr/share/man/man${section}/${name}.gz`), gz(readFileSync(f)));
    chmodSync(r(`usr/share/man/man${section}/${name}.gz`), 0o644);
  }
  rmSync(manTmp, { recursive: true, force: true });

  // ---- documentation and examples (never /etc/ha.d)
  const doc = "usr/share/doc/tandem";
  mkdir(doc);
  write(`${doc}/README.md`, readFileSync(join(root, "README.md")));
  for (const f of readdirSync(join(root, "docs"))) write(`${doc}/${f}`, readFileSync(join(root, "docs", f)));
  cpSync(join(root, "examples"), r(`${doc}/examples`), { recursive: true });
  write(`${doc}/copyright`, readFileSync(join(root, "packaging", "debian", "copyright")));
  const when = new Date(
    process.env.SOURCE_DATE_EPOCH ? Number(process.env.SOURCE_DATE_EPOCH) * 1000 : Date.now(),
  )
    .toUTCString()
    .replace(/GMT$/, "+0000");
  writeFileSync(
    r(`${doc}/changelog.gz`),
    gz(
      `tandem (${version}) unstable; urgency=medium\n\n  * Release ${version}: see README.md.\n\n -- Tandem developers <tandem-devel@lists.example.org>  ${when}\n`,
    ),
  );

  // ---- normalise modes: directories 755, files 755 only when they are scripts (#!), else 644
  const isScript = (p) => {
    const b = Buffer.alloc(2);
    const fd = openSync(p, "r");
    try {
      return readSync(fd, b, 0, 2, 0) === 2 && b.toString() === "#!";
    } finally {
      closeSync(fd);
    }
  };
  const fix = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        chmodSync(p, 0o755);
        fix(p);
      } else if (e.isFile()) chmodSync(p, isScript(p) ? 0o755 : 0o644);
    }
  };
  fix(stage);

  // ---- control
  mkdir("DEBIAN");
  const size = Number(
    execFileSync("du", ["-sk", "--exclude=DEBIAN", stage], { encoding: "utf8" }).split("\t")[0],
  );
  write(
    "DEBIAN/control",
    readFileSync(join(root, "packaging", "debian", "control.in"), "utf8")
      .replace("@VERSION@", version)
      .replace("@ARCH@", arch)
      .replace("@SIZE@", String(size)),
  );
  write("DEBIAN/conffiles", "/etc/logrotate.d/tandem\n");
  for (const s of ["preinst", "postinst", "prerm", "postrm"])
    write(`DEBIAN/${s}`, readFileSync(join(root, "packaging", "debian", s)), 0o755);

  mkdirSync(outDir, { recursive: true });
  const deb = join(outDir, `tandem_${version}_${arch}.deb`);
  run("dpkg-deb", ["--root-owner-group", "-Zxz", "--build", stage, deb]);
  console.log(deb);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
