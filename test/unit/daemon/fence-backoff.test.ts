// fencing.ts FenceBackoff: the DC's hold on transitions after failed fencing.
import assert from "node:assert/strict";
import { test } from "node:test";
import { FenceBackoff } from "../../../src/daemon/fencing.js";

test("the wait doubles per failure of one target up to the maximum, and a success resets the count", () => {
  const b = new FenceBackoff({ minMs: 100, maxMs: 350, maxAttempts: 10 });
  assert.equal(b.holdUntil, 0);
  assert.deepEqual(b.failed("n2", 1000), { attempts: 1, waitMs: 100 });
  assert.equal(b.holdUntil, 1100);
  assert.deepEqual(b.failed("n2", 2000), { attempts: 2, waitMs: 200 });
  assert.deepEqual(b.failed("n2", 3000), { attempts: 3, waitMs: 350 });
  assert.deepEqual(b.failed("n3", 4000), { attempts: 1, waitMs: 100 }, "counted per target");
  b.succeeded("n2");
  assert.deepEqual(b.failed("n2", 5000), { attempts: 1, waitMs: 100 });
});

test("after maxAttempts it waits for an outside change; release lets it try again", () => {
  const b = new FenceBackoff({ maxAttempts: 2 });
  b.failed("n2", 0);
  b.release();
  assert.equal(b.holdUntil, 1000, "a timed hold is not released by a change");
  assert.deepEqual(b.failed("n2", 0), { attempts: 2, waitMs: null });
  assert.equal(b.holdUntil, Number.POSITIVE_INFINITY);
  b.release();
  assert.equal(b.holdUntil, 0);
});
