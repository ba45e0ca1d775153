/**
 * HMAC cost per heartbeat: src/comm/digest.ts's `HmacKey.hex` against
 * node:crypto's `createHmac(algo, key).update(m).digest("hex")` (what
 * src/comm/sign.ts does per packet), hot loop on a 350-byte message; and the
 * RSS a fresh node process pays to load each (issue 15). Hot: CPU time per
 * call, best of 5 rounds. Cold: wall time of single calls 10 ms apart (hbd's
 * keepalive 10 ms pattern, caches cold), median and 90th percentile.
 * Run: `npm run bench:digest [-- iterations]`.
 */
import { spawnSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { loadavg } from "node:os";
import { type DigestAlgo, HmacKey } from "../src/comm/digest.js";

const iterations = Number(process.argv[2] ?? 200_000);
const rounds = 5;
const msg = new Uint8Array(350).map((_, i) => (i * 31 + 7) & 0xff);
const key = new TextEncoder().encode("a heartbeat authkeys secret");

let sink = 0;

/** Best µs of CPU time per call of `f` over `rounds` runs of `iterations` calls (the machine is shared). */
function hot(f: () => string): number {
  for (let i = 0; i < iterations / 10; i++) sink += f().length; // warm-up / optimisation
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < rounds; r++) {
    const t0 = process.cpuUsage().user;
    for (let i = 0; i < iterations; i++) sink += f().length;
    best = Math.min(best, (process.cpuUsage().user - t0) / iterations);
  }
  return best;
}

/** Median and 90th percentile µs of single calls 10 ms apart. */
async function cold(f: () => string, samples = 150): Promise<[number, number]> {
  const us: number[] = [];
  for (let i = 0; i < samples; i++) {
    await new Promise((r) => setTimeout(r, 10));
    const t0 = process.hrtime.bigint();
    sink += f().length;
    us.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  us.sort((a, b) => a - b);
  return [us[samples >> 1]!, us[Math.floor(samples * 0.9)]!];
}

console.log(
  `load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}, ${iterations} calls x ${rounds} rounds`,
);
for (const algo of ["sha1", "md5", "sha256"] as DigestAlgo[]) {
  const hk = new HmacKey(algo, key);
  if (hk.hex(msg) !== createHmac(algo, key).update(msg).digest("hex")) throw new Error(`${algo} differs`);
  const ours = () => hk.hex(msg);
  const node = () => createHmac(algo, key).update(msg).digest("hex");
  const [oh, nh] = [hot(ours), hot(node)];
  const [[oc, oc90], [nc, nc90]] = [await cold(ours), await cold(node)];
  const f = (x: number) => x.toFixed(2);
  console.log(
    `HMAC-${algo.padEnd(6)} 350 B, µs per call: hot HmacKey.hex ${f(oh)} vs createHmac ${f(nh)}; ` +
      `cold (10 ms apart, median/p90) ${f(oc)}/${f(oc90)} vs ${f(nc)}/${f(nc90)}`,
  );
}
if (sink === 0) throw new Error("unreachable");

const digestUrl = new URL("../src/comm/digest.js", import.meta.url).href;
function rssAfter(what: string): number {
  const code = `${what}; globalThis.gc(); process.stdout.write(String(process.memoryUsage().rss));`;
  const r = spawnSync(process.execPath, ["--expose-gc", "--input-type=module", "-e", code], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return Number(r.stdout) / 1024;
}
const median = (f: () => number) => [f(), f(), f(), f(), f()].sort((a, b) => a - b)[2]!;
// Baseline: a fresh node that loads another small pure module (crc32.js), so the ESM loader is in both.
const crcUrl = JSON.stringify(new URL("../src/comm/crc32.js", import.meta.url).href);
const base = median(() => rssAfter(`await import(${crcUrl})`));
const ownRss = median(() =>
  rssAfter(
    `await import(${crcUrl}); const m = await import(${JSON.stringify(digestUrl)}); new m.HmacKey("sha1", new Uint8Array(8)).hex(new Uint8Array(350))`,
  ),
);
const nodeRss = median(() =>
  rssAfter(
    `await import(${crcUrl}); const c = await import("node:crypto"); c.createHmac("sha1", "k").update(new Uint8Array(350)).digest("hex")`,
  ),
);
console.log(
  `RSS of a fresh node (median of 5): with crc32.js ${base.toFixed(0)} KiB, +digest.js ${(ownRss - base).toFixed(0)} KiB, +node:crypto ${(nodeRss - base).toFixed(0)} KiB`,
);
