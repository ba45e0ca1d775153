/** Command-line options of the simulator benches (sim.ts, cluster-sim.ts): `--name value`. */

export function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** A non-negative integer option; bad usage prints why and exits 2. */
export function integer(name: string, fallback: number): number {
  const text = option(name);
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) {
    console.error(`sim: --${name} needs a non-negative integer, got ${JSON.stringify(text)}`);
    process.exit(2);
  }
  return n;
}
