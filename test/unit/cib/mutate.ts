/** One-character mutations of a document, for the scanner tests that compare two readers on them. */

/** A seeded linear congruential generator: rnd(n) is in [0, n). */
export function lcg(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s % n;
  };
}

/** `text` with the character at `at` deleted (mode 0), `ch` inserted before it (1) or put in its place (2). */
export function mutateOne(text: string, at: number, ch: string, mode: number): string {
  if (mode === 0) return text.slice(0, at) + text.slice(at + 1);
  if (mode === 1) return text.slice(0, at) + ch + text.slice(at);
  return text.slice(0, at) + ch + text.slice(at + 1);
}
