// Goal: the exposition text hbd and hb-director serve is what Prometheus reads: valid names, escaped
// labels and HELP, counters ending in _total, cumulative histograms ending at +Inf, each series once;
// programming mistakes (a counter without _total, a label set twice) are refused, not served.
// Method: render families with every feature and check the text with Debian's promtool (`check metrics`,
// which also lints names and units) and with the strict parser in test/prom-check.ts.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Histogram, renderExposition, stateSet } from "../../../src/monitor/prom.js";
import { parseExposition, promtoolCheck, promtoolMissing, sampleValue } from "../../prom-check.js";

const h = new Histogram([0.1, 1, 10]);
for (const v of [0.05, 0.5, 0.7, 20]) h.observe(v);

const TEXT = renderExposition([
  {
    name: "tandem_example_frames_total",
    help: 'Frames with "quotes", a back\\slash\nand a newline.',
    type: "counter",
    samples: [
      { labels: { reason: 'bad "auth"\\x\ny' }, value: 3 },
      { labels: { reason: "replay" }, value: 0 },
    ],
  },
  { name: "tandem_example_age_seconds", help: "Age.", type: "gauge", samples: [{ value: 1.5 }] },
  { name: "tandem_example_empty", help: "No sample: left out.", type: "gauge", samples: [] },
  {
    name: "tandem_example_failcount",
    help: "INFINITY fail count.",
    type: "gauge",
    samples: [{ value: Number.POSITIVE_INFINITY }],
  },
  {
    name: "tandem_example_state",
    help: "A state set.",
    type: "gauge",
    samples: stateSet({ node: "n1" }, "state", ["up", "dead"], "active"),
  },
  {
    name: "tandem_example_duration_seconds",
    help: "Durations.",
    type: "histogram",
    samples: [{ labels: { op: "start" }, h: h.value() }],
  },
]);

test("rendered text passes the strict parser and keeps every value", () => {
  const s = parseExposition(TEXT);
  assert.equal(sampleValue(s, "tandem_example_frames_total", { reason: 'bad "auth"\\x\ny' }), 3);
  assert.equal(sampleValue(s, "tandem_example_age_seconds"), 1.5);
  assert.equal(sampleValue(s, "tandem_example_failcount"), Number.POSITIVE_INFINITY);
  assert.equal(TEXT.includes("tandem_example_empty"), false, "a family without samples is left out");
  // the state set: every known state plus the unknown current one, exactly one at 1
  assert.deepEqual(
    s.filter((x) => x.name === "tandem_example_state").map((x) => `${x.labels.state}=${x.value}`),
    ["up=0", "dead=0", "active=1"],
  );
  // histogram: 0.05 | 0.5, 0.7 | - | 20 -> cumulative 1, 3, 3, 4
  const b = (le: string) => sampleValue(s, "tandem_example_duration_seconds_bucket", { op: "start", le });
  assert.deepEqual([b("0.1"), b("1"), b("10"), b("+Inf")], [1, 3, 3, 4]);
  assert.equal(sampleValue(s, "tandem_example_duration_seconds_count", { op: "start" }), 4);
  assert.ok(
    Math.abs((sampleValue(s, "tandem_example_duration_seconds_sum", { op: "start" }) ?? 0) - 21.25) < 1e-9,
  );
});

test("promtool check metrics accepts the rendered text", (t) => {
  const missing = promtoolMissing();
  if (missing) return t.skip(missing);
  const r = promtoolCheck(TEXT);
  assert.equal(r.code, 0, r.output);
  assert.equal(r.output.trim(), "", `promtool complained:\n${r.output}`);
});

test("promtool and the parser catch what they must (the checks can fail)", (t) => {
  const bad = [
    '# TYPE x_total counter\nx_total{a="unterminated} 1\n',
    "# TYPE x gauge\nx 1\nx 2\n",
    '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n',
  ];
  for (const text of bad) assert.throws(() => parseExposition(text), Error, text);
  if (promtoolMissing()) return t.skip("promtool not installed");
  assert.notEqual(
    promtoolCheck("# TYPE x counter\nx 1\n").output.trim(),
    "",
    "promtool lints a counter without _total",
  );
});

test("programming mistakes are refused at render time", () => {
  const g = (name: string, type: "counter" | "gauge", labels: Record<string, string>[] = [{}]) =>
    renderExposition([{ name, help: "h", type, samples: labels.map((l) => ({ labels: l, value: 1 })) }]);
  assert.throws(() => g("tandem_x", "counter"), /_total/);
  assert.throws(() => g("tandem_x_total", "gauge"), /must not end in _total/);
  assert.throws(() => g("tandem-x", "gauge"), /not valid/);
  assert.throws(() => g("tandem_fail_count", "gauge"), /histogram suffixes/);
  assert.throws(() => g("tandem_x", "gauge", [{ "bad-label": "1" }]), /label name/);
  assert.throws(() => g("tandem_x", "gauge", [{ __x: "1" }]), /label name/);
  assert.throws(() => g("tandem_x", "gauge", [{ a: "1" }, { a: "1" }]), /twice/);
  assert.throws(() => new Histogram([1, 1]), /ascend/);
});
