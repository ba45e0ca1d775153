// Goal: the package's hbd wrapper starts node without NODE_EXTRA_CA_CERTS (Node 20 loads that file at
// every start: ~100 ms CPU and ~4 MB of hbd's RSS here) and hbd puts the administrator's value back
// for the children that inherit its environment (alert agents), whatever it was (unset, empty, a path).
// Method: the wrapper's shell lines run by /bin/sh (with `set -u`) in front of `env`; then
// restoreExtraCaCerts on the environment they produce; and the real node on the wrapper's output:
// a missing file makes node warn at start, so no warning means node never saw the variable.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { CA_HANDOVER, restoreExtraCaCerts, WRAPPER_CA_LINES } from "../../../src/daemon/ca-env.js";

/** The environment the wrapper's lines hand to the program they exec (`env` instead of node). */
function wrapped(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? "/usr/bin:/bin", ...extra };
  const r = spawnSync("/bin/sh", ["-c", `set -u\n${WRAPPER_CA_LINES}exec env -0`], { env, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return Object.fromEntries(
    r.stdout
      .split("\0")
      .filter((l) => l.includes("="))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
}

test("the wrapper hands NODE_EXTRA_CA_CERTS over under another name; hbd puts it back", () => {
  const env = wrapped({ NODE_EXTRA_CA_CERTS: "/etc/ssl/extra ca.pem" });
  assert.equal(env.NODE_EXTRA_CA_CERTS, undefined, "node starts without it");
  assert.equal(env[CA_HANDOVER], "/etc/ssl/extra ca.pem");
  restoreExtraCaCerts(env);
  assert.equal(env.NODE_EXTRA_CA_CERTS, "/etc/ssl/extra ca.pem");
  assert.equal(env[CA_HANDOVER], undefined, "the hand-over name does not reach the children");
});

test("unset or empty, it stays so; a value set afresh in hbd's environment wins", () => {
  const none = wrapped({});
  assert.equal(none.NODE_EXTRA_CA_CERTS, undefined);
  assert.equal(none[CA_HANDOVER], undefined);
  restoreExtraCaCerts(none);
  assert.equal(none.NODE_EXTRA_CA_CERTS, undefined);
  const empty = wrapped({ NODE_EXTRA_CA_CERTS: "" });
  assert.equal(empty.NODE_EXTRA_CA_CERTS, undefined);
  restoreExtraCaCerts(empty);
  assert.equal(empty.NODE_EXTRA_CA_CERTS, undefined);
  const both: NodeJS.ProcessEnv = { [CA_HANDOVER]: "/a.pem", NODE_EXTRA_CA_CERTS: "/b.pem" };
  restoreExtraCaCerts(both);
  assert.deepEqual(both, { NODE_EXTRA_CA_CERTS: "/b.pem" });
});

test("node started by the wrapper's lines does not load the file (no warning for a missing one)", () => {
  const run = (lines: string) =>
    spawnSync("/bin/sh", ["-c", `${lines}exec "${process.execPath}" -e 0`], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", NODE_EXTRA_CA_CERTS: "/nonexistent/tandem-ca.pem" },
      encoding: "utf8",
    });
  assert.match(run("").stderr, /extra certs/i, "without the lines node warns (the check can fail)");
  assert.equal(run(WRAPPER_CA_LINES).stderr, "");
});
