/**
 * The Transport contract suite (src/comm/transport.ts states the contract).
 * Every implementation runs it through a fixture: the in-memory network, UDP
 * ucast/bcast/mcast on loopback, serial over a socat pty pair.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Clock, PeerAddress, ReceivedFrame, Transport } from "../../src/comm/transport.js";

export interface ContractEndpoints {
  /** Sends by default to `b` (directed), to everyone (broadcast), or down the line (link). */
  readonly a: Transport;
  readonly b: Transport;
  /** A third endpoint; required unless addressing is "link". */
  readonly c?: Transport;
  /** Releases what the fixture started besides the transports (the suite closes those). */
  readonly dispose?: () => Promise<void>;
}

export interface TransportFixture {
  readonly name: string;
  /** The clock the fixture injected into its transports. */
  readonly clock: Clock;
  /** Fresh endpoints for one test. */
  open(): Promise<ContractEndpoints>;
  /** A frame of exactly `size` bytes, different for each tag, that the medium can carry. */
  frame(size: number, tag: number): Uint8Array;
  readonly minFrameBytes: number;
  /** The `to` that reaches `t` (directed media). */
  addressOf?(t: Transport): PeerAddress;
  /** What `receiver` reports as `from` for frames of `sender`. */
  fromOf(sender: Transport, receiver: Transport): PeerAddress;
  /** A `to` the medium cannot parse (directed media whose addresses have a syntax). */
  readonly badAddress?: string;
  /** How long to wait before concluding a frame will not come, ms. */
  readonly quietMs: number;
}

/** Arbitrary bytes of the given size: a 4-byte tag, then a pattern. */
export function opaqueFrame(size: number, tag: number): Uint8Array {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + tag) & 255;
  new DataView(b.buffer).setUint32(0, tag >>> 0);
  return b;
}

/** A classic-text frame (`>>>\n ... <<<\n`) of exactly `size` bytes (>= 20). */
export function classicFrame(size: number, tag: number): Uint8Array {
  const head = `>>>\nt=${String(tag).padStart(6, "0")}\nx=`;
  const tail = "\n<<<\n";
  const pad = size - head.length - tail.length;
  assert.ok(pad >= 0, `classic frame needs at least ${head.length + tail.length} bytes`);
  let fill = "";
  for (let i = 0; i < pad; i++) fill += String.fromCharCode(97 + ((i + tag) % 26));
  return new TextEncoder().encode(head + fill + tail);
}

export interface Inbox {
  readonly frames: ReceivedFrame[];
  /** Waits until at least n frames arrived; fails after timeoutMs. */
  waitFor(n: number, timeoutMs?: number): Promise<void>;
  stop(): void;
}

export function inbox(t: Transport): Inbox {
  const frames: ReceivedFrame[] = [];
  const stop = t.onFrame((f) => frames.push(f));
  return {
    frames,
    stop,
    async waitFor(n, timeoutMs = 3000) {
      const deadline = performance.now() + timeoutMs;
      while (frames.length < n) {
        if (performance.now() > deadline)
          assert.fail(`${t.id}: got ${frames.length} of ${n} frames in ${timeoutMs} ms`);
        await sleep(2);
      }
    },
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Registers the contract tests for one implementation. */
export function transportContract(fx: TransportFixture): void {
  /** Opens endpoints, runs `body`, and always closes everything. */
  async function withEndpoints(body: (e: ContractEndpoints) => Promise<void>): Promise<void> {
    const e = await fx.open();
    try {
      await body(e);
    } finally {
      await Promise.all([e.a, e.b, e.c].map((t) => t?.close()));
      await e.dispose?.();
    }
  }

  describe(`transport contract: ${fx.name}`, () => {
    test("delivers a frame with its sender, medium, link and receipt time", () =>
      withEndpoints(async ({ a, b }) => {
        const box = inbox(b);
        const frame = fx.frame(Math.max(fx.minFrameBytes, 64), 1);
        const before = fx.clock.now();
        assert.equal(a.send(frame), "accepted");
        await box.waitFor(1);
        const after = fx.clock.now();
        const got = box.frames[0] as ReceivedFrame;
        assert.deepEqual(got.data, frame);
        assert.equal(got.from, fx.fromOf(a, b));
        assert.equal(got.medium, b.id);
        assert.equal(got.link, b.link);
        assert.ok(
          got.receivedAtMs >= before && got.receivedAtMs <= after,
          `${got.receivedAtMs} in [${before}, ${after}]`,
        );
        assert.equal(a.stats().framesSent, 1);
        assert.equal(a.stats().bytesSent, frame.length);
        assert.equal(b.stats().framesReceived, 1);
        assert.equal(b.stats().bytesReceived, frame.length);
      }));

    test("keeps send order within a link", () =>
      withEndpoints(async ({ a, b }) => {
        const box = inbox(b);
        const sent = Array.from({ length: 100 }, (_, i) => fx.frame(Math.max(fx.minFrameBytes, 100), i));
        for (const f of sent) assert.equal(a.send(f), "accepted");
        await box.waitFor(sent.length);
        assert.deepEqual(
          box.frames.map((f) => f.data),
          sent,
        );
      }));

    test("carries every size up to maxFrameBytes, exactly", () =>
      withEndpoints(async ({ a, b }) => {
        const box = inbox(b);
        const max = a.maxFrameBytes;
        const sizes = [fx.minFrameBytes, fx.minFrameBytes + 1, Math.min(1500, max), max - 1, max];
        for (const [i, size] of sizes.entries()) {
          const f = fx.frame(size, i);
          assert.equal(a.send(f), "accepted", `size ${size}`);
          await box.waitFor(i + 1);
          assert.deepEqual(box.frames[i]?.data, f, `size ${size}`);
        }
      }));

    test("refuses oversize and empty frames with a result, not an exception", () =>
      withEndpoints(async ({ a, b }) => {
        const box = inbox(b);
        assert.equal(a.send(fx.frame(a.maxFrameBytes + 1, 1)), "oversize");
        assert.equal(a.send(new Uint8Array(0)), "bad-frame");
        assert.equal(a.stats().sendRefused, 2);
        assert.equal(a.stats().framesSent, 0);
        await sleep(fx.quietMs);
        assert.equal(box.frames.length, 0);
      }));

    test("the sender keeps ownership: changing a frame after send does not change what arrives", () =>
      withEndpoints(async ({ a, b }) => {
        const box = inbox(b);
        const frame = fx.frame(Math.max(fx.minFrameBytes, 64), 7);
        const copy = frame.slice();
        assert.equal(a.send(frame), "accepted");
        frame.fill(0x41, 4, frame.length - 5);
        await box.waitFor(1);
        assert.deepEqual(box.frames[0]?.data, copy);
      }));

    test("holds frames that arrive before the first handler and hands them over in order", () =>
      withEndpoints(async ({ a, b }) => {
        const sent = [1, 2, 3].map((i) => fx.frame(Math.max(fx.minFrameBytes, 40), i));
        for (const f of sent) a.send(f);
        const deadline = performance.now() + 3000;
        while (b.stats().framesReceived < 3 && performance.now() < deadline) await sleep(2);
        const box = inbox(b);
        assert.deepEqual(
          box.frames.map((f) => f.data),
          sent,
        );
      }));

    test("a throwing handler is counted and reported; other handlers still get the frame", () =>
      withEndpoints(async ({ a, b }) => {
        const errors: string[] = [];
        b.onError((e) => errors.push(e.code));
        b.onFrame(() => {
          throw new Error("boom");
        });
        const box = inbox(b);
        a.send(fx.frame(Math.max(fx.minFrameBytes, 32), 1));
        await box.waitFor(1);
        assert.equal(b.stats().handlerErrors, 1);
        assert.deepEqual(errors, ["io"]);
      }));

    test("close() is idempotent, refuses sends and delivers nothing afterwards", () =>
      withEndpoints(async ({ a, b }) => {
        let calls = 0;
        b.onFrame(() => calls++);
        // A frame in flight when the receiver closes must not reach its handler.
        assert.equal(a.send(fx.frame(Math.max(fx.minFrameBytes, 32), 1)), "accepted");
        const first = b.close();
        const second = b.close();
        assert.equal(b.closed, true);
        await Promise.all([first, second]);
        assert.equal(b.send(fx.frame(Math.max(fx.minFrameBytes, 32), 2)), "closed");
        const late = b.onFrame(() => calls++);
        late();
        a.send(fx.frame(Math.max(fx.minFrameBytes, 32), 3));
        await sleep(fx.quietMs);
        assert.equal(calls, 0);
        await a.close();
        assert.equal(a.send(fx.frame(Math.max(fx.minFrameBytes, 32), 4)), "closed");
      }));

    test("addressing: per-peer, broadcast or point-to-point as the medium declares", () =>
      withEndpoints(async ({ a, b, c }) => {
        const f = (tag: number) => fx.frame(Math.max(fx.minFrameBytes, 48), tag);
        if (a.addressing === "link") {
          assert.equal(a.send(f(1), "elsewhere"), "unsupported");
          return;
        }
        assert.ok(c, "non-link media need a third endpoint");
        const [ab, ac, aa] = [inbox(b), inbox(c), inbox(a)];
        if (a.addressing === "broadcast") {
          assert.equal(a.send(f(1), fx.fromOf(a, b)), "unsupported");
          assert.equal(a.send(f(2)), "accepted");
          await ab.waitFor(1);
          await ac.waitFor(1);
          await sleep(fx.quietMs);
          assert.equal(aa.frames.length, 0, "own frames are not delivered back");
          assert.deepEqual([ab.frames.length, ac.frames.length], [1, 1]);
          return;
        }
        const addressOf = fx.addressOf as (t: Transport) => PeerAddress;
        assert.equal(a.send(f(1), addressOf(c)), "accepted");
        await ac.waitFor(1);
        assert.equal(ac.frames[0]?.from, fx.fromOf(a, c));
        assert.equal(a.send(f(2)), "accepted");
        await ab.waitFor(1);
        await sleep(fx.quietMs);
        assert.deepEqual(
          ab.frames.map((x) => x.data),
          [f(2)],
          "b gets only the frame for its address",
        );
        assert.deepEqual(
          ac.frames.map((x) => x.data),
          [f(1)],
        );
        assert.equal(c.send(f(3), addressOf(a)), "accepted");
        await aa.waitFor(1);
        assert.equal(aa.frames[0]?.from, fx.fromOf(c, a));
        if (fx.badAddress !== undefined) assert.equal(a.send(f(4), fx.badAddress), "bad-address");
      }));
  });
}
