#!/usr/bin/env node
// Bundles the start-up-sensitive commands after tsc (issue 15 §3, §5), with
// esbuild (in package-lock.json as tsx's dependency and a devDependency).
// Node's ES module loader costs CPU per module (resolve, realpath, read,
// compile, link) and for itself; measured on the 2-core test machine:
//
// - hbd: dist/src/daemon/main.js is rewritten in place as an ES module bundle
//   with code splitting: a start reads ~13 files instead of ~112. Dynamic
//   import() stays lazy (its code goes to a chunk in dist/src/chunks/, loaded
//   on demand); packages under node_modules stay external. In place, because
//   systemd's wrapper, the man pages and every test start that path.
// - hbctl, hb_standby, hb_takeover: CommonJS single files in dist/src/bin/
//   (package.json "bin"): no ES module loader at all for the calls scripts make
//   (src/cli/fast-main.ts); anything else imports the full hbctl program,
//   dist/src/cli/main.js, which tsc's output still is.
//
// The input is tsc's output, so the code is the code tsc emitted (no second
// TypeScript compiler); the bundles carry source maps chained to tsc's, back
// to src/. Bundles and chunks sit at the same depth below the package root as
// every dist/src/DIR/, so `new URL("../../../package.json", import.meta.url)`
// (base/version.ts, config/read.ts) still resolves where it did (in the
// CommonJS files import.meta.url is the file's own URL).
// Every other file under dist/ stays as tsc wrote it (tests import those).
//
// Usage: node scripts/bundle-bins.mjs   (npm run build runs it after tsc)
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const dist = join(root, "dist", "src");
const MARK = "// tandem: bundled by scripts/bundle-bins.mjs";

const { build } = await import("esbuild");

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  packages: "external",
  sourcemap: "linked",
  write: false, // an entry is also an input: everything is read before anything is written
  logLevel: "warning",
};

const outputs = [];

// hbd, in place
const hbd = join(dist, "daemon", "main.js");
if (readFileSync(hbd, "utf8").includes(MARK)) {
  console.error("bundle-bins: dist/src/daemon/main.js is already a bundle: run tsc first (npm run build)");
  process.exit(1);
}
const chunks = join(dist, "chunks");
rmSync(chunks, { recursive: true, force: true });
outputs.push(
  ...(
    await build({
      ...common,
      entryPoints: { "daemon/main": hbd },
      outdir: dist,
      chunkNames: "chunks/[name]-[hash]",
      splitting: true,
      format: "esm",
      banner: { js: MARK },
      minifyWhitespace: true,
    })
  ).outputFiles,
);

// hbctl and Heartbeat's two tools, as CommonJS
const cjs = {
  ...common,
  format: "cjs",
  define: { "import.meta.url": "__tandem_import_meta_url" },
  banner: {
    js: `"use strict";\n${MARK}\nconst __tandem_import_meta_url = require("node:url").pathToFileURL(__filename).href;`,
  },
  // the full program stays tsc's ES modules, imported only when the quick forms do not apply
  external: ["../cli/main.js", "../bin/hbctl-simulate.cjs"],
};
const bins = [
  [
    "hbctl",
    {
      contents: 'import { runBin } from "./fast-main.js";\nrunBin();\n',
      resolveDir: join(dist, "cli"),
      sourcefile: "hbctl-bin.js",
    },
  ],
  // hbctl simulate's plain forms (loaded by fast-main.ts only for them): parser, policy, renderer
  [
    "hbctl-simulate",
    {
      contents:
        'export { runSimulate } from "./commands/simulate.js";\nexport { TandemError } from "../base/errors.js";\n',
      resolveDir: join(dist, "cli"),
      sourcefile: "hbctl-simulate-bin.js",
    },
  ],
  // hbd as installed (package.json "bin", the Debian wrapper, the tests' labs): CommonJS, so that
  // no ES module loader starts (~2.9 MB of RSS, issue 15); its lazy parts stay lazy (init on use)
  ["hbd", join(dist, "daemon", "main.js")],
  ["hb_standby", join(dist, "cli", "hb-standby.js")],
  ["hb_takeover", join(dist, "cli", "hb-takeover.js")],
];
for (const [name, entry] of bins) {
  const outfile = join(dist, "bin", `${name}.cjs`);
  const r = await build({
    ...cjs,
    ...(typeof entry === "string" ? { entryPoints: [entry] } : { stdin: entry }),
    outfile,
    // hbd's source text stays in its heap for its life: without indentation and comments (the source
    // map still leads back to src/)
    ...(name === "hbd" ? { minifyWhitespace: true } : {}),
    ...(typeof entry === "string" || name === "hbctl-simulate"
      ? {}
      : { banner: { js: `#!/usr/bin/env node\n${cjs.banner.js}` } }),
  });
  outputs.push(...r.outputFiles);
}

for (const f of outputs) {
  mkdirSync(dirname(f.path), { recursive: true });
  writeFileSync(f.path, f.contents);
}
const chunkCount = new Set(
  outputs.filter((f) => f.path.endsWith(".js") && f.path.startsWith(chunks)).map((f) => f.path),
).size;
if (chunkCount > 0 && !existsSync(chunks)) throw new Error("bundle-bins: chunks not written");
console.log(
  `bundle-bins: ${relative(root, hbd)} (${chunkCount} lazy chunks in dist/src/chunks), ${bins.map(([n]) => `dist/src/bin/${n}.cjs`).join(", ")}`,
);
