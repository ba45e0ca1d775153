// Goal: the membership state tables say what reference §3.10 and §6 say, for every (input, state) pair.
// Method: walk each table and compare it with the rule it encodes, written independently here.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  LINK_TRANSITIONS,
  LOCAL_TRANSITIONS,
  NODE_TRANSITIONS,
  PING_TRANSITIONS,
} from "../../../src/membership/transitions.js";

const NODE_STATES = ["init", "up", "active", "dead"] as const;

test("peer table: a peer is what its newest status says; shutdown and silence make it dead", () => {
  const expectedFor = {
    "heard-init": "init",
    "heard-up": "up",
    "heard-active": "active",
    shutdown: "dead",
    silent: "dead",
  };
  for (const [input, row] of Object.entries(NODE_TRANSITIONS)) {
    assert.deepEqual(Object.keys(row).sort(), [...NODE_STATES].sort(), input);
    for (const s of NODE_STATES)
      assert.equal(row[s], expectedFor[input as keyof typeof expectedFor], `${input} from ${s}`);
  }
});

test("link and ping tables: any packet (reply) brings it up, silence kills it, from every state", () => {
  for (const s of ["init", "up", "dead"] as const) {
    assert.equal(LINK_TRANSITIONS.packet[s], "up");
    assert.equal(LINK_TRANSITIONS.silent[s], "dead");
  }
  for (const s of ["init", "ping", "dead"] as const) {
    assert.equal(PING_TRANSITIONS.reply[s], "ping");
    assert.equal(PING_TRANSITIONS.silent[s], "dead");
  }
});

test("local table: init -> up -> active, never back to init, and dead is final", () => {
  const walk = (...inputs: (keyof typeof LOCAL_TRANSITIONS)[]) =>
    inputs.reduce<(typeof NODE_STATES)[number]>((s, i) => LOCAL_TRANSITIONS[i][s], "init");
  assert.equal(walk("started"), "up");
  assert.equal(walk("comm-up"), "init");
  assert.equal(walk("started", "comm-up"), "active");
  assert.equal(walk("started", "comm-up", "started"), "active");
  for (const i of Object.keys(LOCAL_TRANSITIONS) as (keyof typeof LOCAL_TRANSITIONS)[]) {
    assert.equal(LOCAL_TRANSITIONS[i].dead, "dead", i);
    for (const s of NODE_STATES) assert.notEqual(s !== "init" && LOCAL_TRANSITIONS[i][s] === "init", true);
  }
});
