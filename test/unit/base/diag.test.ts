// Goal: the diagnostic format is exactly what `hbctl verify` promises (file:line: severity: reason).
import assert from "node:assert/strict";
import { test } from "node:test";
import { DiagnosticSink, formatDiagnostic, sortDiagnostics } from "../../../src/base/diag.js";

test("formats file:line: severity: message", () => {
  const s = new DiagnosticSink("/etc/ha.d/ha.cf");
  s.error(12, "x", "bad thing");
  s.warning(0, "y", "whole file");
  assert.equal(formatDiagnostic(s.items[0]!), "/etc/ha.d/ha.cf:12: error: bad thing");
  assert.equal(formatDiagnostic(s.items[1]!), "/etc/ha.d/ha.cf: warning: whole file");
  assert.equal(s.hasErrors, true);
});

test("sorts by file then line, stable", () => {
  const a = new DiagnosticSink("b");
  a.error(3, "x", "1");
  a.error(1, "x", "2");
  const b = new DiagnosticSink("a");
  b.warning(9, "x", "3");
  const sorted = sortDiagnostics([...a.items, ...b.items]).map((d) => d.message);
  assert.deepEqual(sorted, ["3", "2", "1"]);
});
