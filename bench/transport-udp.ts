/**
 * Round-trip latency of the UDP ucast transport over loopback: 2000 pings,
 * one at a time (A sends, B echoes, A times the answer), after 200 warm-up
 * rounds. Bounded: a lost ping counts after 1 s; the run stops after 60 s.
 * Run: `npx tsc -p . && node dist/bench/transport-udp.js [count]`.
 */
import dgram from "node:dgram";
import { openTransport } from "../src/comm/media.js";
import type { Medium } from "../src/config/model.js";

const count = Number(process.argv[2] ?? 2000);
const warmup = 200;
const at = { file: "bench", line: 0 };

async function freePort(): Promise<number> {
  const s = dgram.createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", r));
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const port = await freePort();
const medium = (peer: string): Medium => ({ kind: "ucast", iface: "lo", peer, port, at });
const a = await openTransport(medium("127.0.0.2"), { bindAddress: "127.0.0.1" });
const b = await openTransport(medium("127.0.0.1"), { bindAddress: "127.0.0.2" });
b.onFrame((f) => b.send(f.data));

let waiting: ((ok: boolean) => void) | undefined;
a.onFrame(() => waiting?.(true));
const frame = new Uint8Array(256); // about one Heartbeat status message
const rtts: number[] = [];
let lost = 0;
const stopAt = performance.now() + 60_000;

for (let i = 0; i < warmup + count && performance.now() < stopAt; i++) {
  const t0 = performance.now();
  const ok = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 1000);
    waiting = (v) => {
      clearTimeout(timer);
      resolve(v);
    };
    a.send(frame);
  });
  if (!ok) lost++;
  else if (i >= warmup) rtts.push((performance.now() - t0) * 1000);
}
await Promise.all([a.close(), b.close()]);

rtts.sort((x, y) => x - y);
const q = (p: number) => rtts[Math.min(rtts.length - 1, Math.floor(p * rtts.length))]?.toFixed(1) ?? "n/a";
console.log(`udp ucast loopback round trip, ${rtts.length} pings of ${frame.length} bytes (${lost} lost)`);
console.log(`p50 ${q(0.5)} us  p99 ${q(0.99)} us  max ${q(1)} us`);
