// Goal: the serial medium honours the Transport contract with Heartbeat's line framing; the deframer is robust.
// Method: the contract suite over a socat pty pair (started and killed by PID here), plus pure framing tables.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { openTransport } from "../../../src/comm/media.js";
import { openSerialTransport, SERIAL_DEFAULT_MAX_FRAME } from "../../../src/comm/serial.js";
import { SerialDeframer, serialPayload } from "../../../src/comm/serial-framing.js";
import { type Clock, TransportError } from "../../../src/comm/transport.js";
import type { Medium } from "../../../src/config/model.js";
import { classicFrame, inbox, sleep, transportContract } from "../../contract/transport.js";

const clock: Clock = { now: () => performance.now() };
const at = { file: "test", line: 1 };
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** Starts `socat` with two linked ptys; resolves once both links exist (bounded wait). */
async function ptyPair(): Promise<{ a: string; b: string; stop: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "tandem-pty-"));
  const [a, b] = [join(dir, "a"), join(dir, "b")];
  const socat: ChildProcess = spawn("socat", [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], {
    stdio: "ignore",
  });
  const exited = new Promise<void>((r) => socat.once("exit", () => r()));
  for (let i = 0; i < 200 && !(existsSync(a) && existsSync(b)); i++) await sleep(10);
  assert.ok(existsSync(a) && existsSync(b), "socat did not create the pty links within 2 s");
  return {
    a,
    b,
    async stop() {
      if (socat.exitCode === null && socat.signalCode === null) process.kill(socat.pid as number, "SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const serial = (device: string): Medium => ({ kind: "serial", device, baud: 115200, at });

transportContract({
  name: "serial over a socat pty pair",
  clock,
  minFrameBytes: 20,
  quietMs: 40,
  frame: classicFrame,
  fromOf: (_sender, receiver) => receiver.localAddress,
  async open() {
    const p = await ptyPair();
    const a = await openTransport(serial(p.a), { clock });
    const b = await openTransport(serial(p.b), { clock });
    return { a, b, dispose: p.stop };
  },
});

test("serial refuses frames that are not classic text, strips the UDP trailing NUL", async () => {
  const p = await ptyPair();
  const a = await openSerialTransport(serial(p.a) as never, { clock });
  const b = await openSerialTransport(serial(p.b) as never, { clock });
  try {
    assert.equal(a.maxFrameBytes, SERIAL_DEFAULT_MAX_FRAME);
    assert.equal(a.send(enc("###\nt=x\n%%%\n")), "bad-frame");
    assert.equal(a.send(enc(">>>\nt=x\n>>>\nu=y\n<<<\n")), "bad-frame");
    const box = inbox(b);
    assert.equal(a.send(enc(">>>\nt=status\n<<<\n\0")), "accepted");
    await box.waitFor(1);
    assert.equal(dec(box.frames[0]?.data as Uint8Array), ">>>\nt=status\n<<<\n");
  } finally {
    await Promise.all([a.close(), b.close()]);
    await p.stop();
  }
});

test("a missing serial device fails with no-device", async () => {
  await assert.rejects(
    openTransport(serial("/nonexistent/ttyS99")),
    (e: unknown) => e instanceof TransportError && e.code === "no-device",
  );
});

test("serialPayload accepts exactly the frames the line reader can find again", () => {
  const cases: [string, string | undefined][] = [
    [">>>\n<<<\n", undefined],
    [">>>\nt=a\n<<<\n", undefined],
    [">>>\nt=a\r\n<<<\n", undefined],
    [">>>\nt=<<<\n<<<\n", undefined],
    ["", "empty"],
    [">>>\nt=a\n<<<", "not-classic"],
    ["x>>>\nt=a\n<<<\n", "not-classic"],
    [">>>\nt=a\n<<<\nx", "not-classic"],
    [">>>\n<<<\nt=a\n<<<\n", "nested-marker"],
    [">>>\nt=a\n>>>\r\n<<<\n", "nested-marker"],
    [">>>\nt=\0a\n<<<\n", "contains-nul"],
  ];
  for (const [text, problem] of cases) {
    const r = serialPayload(enc(text));
    if (problem === undefined) assert.equal(dec(r as Uint8Array), text, JSON.stringify(text));
    else assert.equal(r, problem, JSON.stringify(text));
  }
});

test("the deframer skips noise, survives any chunking, and drops cut or oversize frames", () => {
  const stream = "garbage\n\0>>>\r\nt=1\r\n<<<\r\nnoise>>>\n>>>\nt=2\n>>>\nt=3\n<<<\n>>>\nt=4\n<<<\n";
  const expected = [">>>\nt=1\n<<<\n", ">>>\nt=3\n<<<\n", ">>>\nt=4\n<<<\n"];
  const bytes = enc(stream);
  for (const chunk of [1, 2, 3, 7, bytes.length]) {
    const d = new SerialDeframer(1024);
    const out: string[] = [];
    for (let i = 0; i < bytes.length; i += chunk) out.push(...d.push(bytes.subarray(i, i + chunk)).map(dec));
    assert.deepEqual(out, expected, `chunk ${chunk}`);
    assert.equal(d.stats.truncated, 1);
  }
  const small = new SerialDeframer(16);
  const got = small.push(
    enc(`>>>\nt=${"x".repeat(40)}\n<<<\n>>>\nok=1\n<<<\n${"y".repeat(100)}\n>>>\nok=2\n<<<\n`),
  );
  assert.deepEqual(got.map(dec), [">>>\nok=1\n<<<\n", ">>>\nok=2\n<<<\n"]);
  assert.equal(small.stats.oversize, 1);
});

test("the write queue is bounded: a burst beyond it answers backlog, and every accepted frame arrives", async () => {
  const p = await ptyPair();
  const a = await openSerialTransport(serial(p.a) as never, {
    clock,
    maxFrameBytes: 1024,
    maxQueuedBytes: 2048,
  });
  const b = await openSerialTransport(serial(p.b) as never, { clock, maxFrameBytes: 1024 });
  try {
    const box = inbox(b);
    const results = Array.from({ length: 6 }, (_, i) => a.send(classicFrame(1024, i)));
    // One frame goes straight to the writer, two fill the 2 KiB queue, the rest are refused.
    assert.deepEqual(results, ["accepted", "accepted", "accepted", "backlog", "backlog", "backlog"]);
    await box.waitFor(3);
    assert.deepEqual(
      box.frames.map((f) => f.data),
      [0, 1, 2].map((i) => classicFrame(1024, i)),
    );
    assert.equal(a.stats().sendRefused, 3);
  } finally {
    await Promise.all([a.close(), b.close()]);
    await p.stop();
  }
});
