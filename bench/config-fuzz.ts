/**
 * Config-parser fuzzing, the long run: the property of test/unit/config/fuzz.test.ts
 * (never a throw; every diagnostic names the file and a line inside the text; no
 * value only with an error) for every parser, for a time budget each, with a
 * fresh random seed. Prints cases/s per parser and any counterexample (with
 * the seed to replay it); exits 1 if one was found.
 *
 * Run: `npm run bench:fuzz -- [--seconds 20] [--seed N] [--only ha.cf,cib.xml] [--json]`.
 */
import { parseArgs } from "node:util";
import fc from "fast-check";
import { checkParse, fuzzTargets, inputArb } from "../test/config-fuzz.js";

interface Row {
  parser: string;
  cases: number;
  seconds: number;
  casesPerSecond: number;
  failure?: string;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      seconds: { type: "string", default: "20" },
      seed: { type: "string" },
      only: { type: "string" },
      json: { type: "boolean", default: false },
    },
  });
  const seconds = Number(values.seconds);
  if (!(seconds > 0)) throw new Error(`--seconds must be a positive number, not "${values.seconds}"`);
  const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed);
  const only = values.only?.split(",");
  const rows: Row[] = [];
  for (const target of fuzzTargets()) {
    if (only && !only.includes(target.name)) continue;
    let cases = 0;
    const start = process.hrtime.bigint();
    const r = fc.check(
      fc.property(inputArb(target), (text) => {
        cases++;
        checkParse(target, text);
      }),
      { numRuns: Number.MAX_SAFE_INTEGER, interruptAfterTimeLimit: seconds * 1000, seed },
    );
    const secs = Number(process.hrtime.bigint() - start) / 1e9;
    const row: Row = { parser: target.name, cases, seconds: secs, casesPerSecond: Math.round(cases / secs) };
    if (r.failed)
      row.failure = `${String(r.errorInstance)}; counterexample ${JSON.stringify(r.counterexample)}`;
    rows.push(row);
    if (!values.json)
      console.log(
        `${target.name.padEnd(14)} ${String(cases).padStart(9)} cases in ${secs.toFixed(1)} s = ${String(row.casesPerSecond).padStart(7)} cases/s  ${row.failure ? `FAILED: ${row.failure}` : "no failure"}`,
      );
  }
  if (values.json) console.log(JSON.stringify({ seed, rows }, null, 2));
  else console.log(`seed ${seed} (replay with --seed ${seed})`);
  process.exitCode = rows.some((r) => r.failure) ? 1 : 0;
}

main();
