/**
 * Order lines of a graph with a loop of orders, as
 * scripts/policy-oracle/normalize.py prints them: with `x ~> y` a path from
 * x to y (through any actions) and the labelled actions those printed,
 * `order X -> B` for labelled X != B in different strongly connected
 * components when X ~> B and no labelled Y lies strictly between them (in a
 * component after X's and before B's); inside one component, when a path
 * from X to B passes through no other labelled action. On a graph without a
 * loop these are the transitive reduction oracle.ts computes. Pure.
 */

/** Strongly connected components (Tarjan, iterative): component index per node, in `0..n-1`. */
export function components(n: number, succ: readonly (readonly number[])[]): number[] {
  const index = new Array<number>(n).fill(-1);
  const low = new Array<number>(n).fill(0);
  const comp = new Array<number>(n).fill(-1);
  const onStack = new Array<boolean>(n).fill(false);
  const stack: number[] = [];
  let counter = 0;
  let ncomp = 0;
  const open = (v: number, work: [number, number][]): void => {
    index[v] = low[v] = counter++;
    stack.push(v);
    onStack[v] = true;
    work.push([v, 0]);
  };
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    const work: [number, number][] = [];
    open(root, work);
    while (work.length > 0) {
      const top = work[work.length - 1] as [number, number];
      const [v, k] = top;
      const next = succ[v] ?? [];
      if (k < next.length) {
        top[1] = k + 1;
        const w = next[k] as number;
        if (index[w] === -1) open(w, work);
        else if (onStack[w]) low[v] = Math.min(low[v] as number, index[w] as number);
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low[parent[0]] = Math.min(low[parent[0]] as number, low[v] as number);
      if (low[v] !== index[v]) continue;
      for (let w = -1; w !== v; ) {
        w = stack.pop() as number;
        onStack[w] = false;
        comp[w] = ncomp;
      }
      ncomp++;
    }
  }
  return comp;
}

/** Does the graph (`preds` per node) have a loop? */
export function hasLoop(preds: ReadonlyMap<number, readonly number[]>, n: number): boolean {
  const state = new Uint8Array(n); // 0 new, 1 open, 2 done
  for (let root = 0; root < n; root++) {
    if (state[root] !== 0) continue;
    const work: [number, number][] = [[root, 0]];
    state[root] = 1;
    while (work.length > 0) {
      const top = work[work.length - 1] as [number, number];
      const ps = preds.get(top[0]) ?? [];
      if (top[1] < ps.length) {
        const w = ps[top[1]++] as number;
        if (state[w] === 1) return true;
        if (state[w] === 0) {
          state[w] = 1;
          work.push([w, 0]);
        }
        continue;
      }
      state[top[0]] = 2;
      work.pop();
    }
  }
  return false;
}

/** The (before, after) pairs of labelled nodes to print for a graph with a loop (module comment). */
export function loopOrderPairs(
  n: number,
  preds: ReadonlyMap<number, readonly number[]>,
  labelled: ReadonlySet<number>,
): [number, number][] {
  const succ: number[][] = Array.from({ length: n }, () => []);
  for (const [b, ps] of preds) for (const a of ps) succ[a]?.push(b);
  const comp = components(n, succ);
  const cpreds = new Map<number, Set<number>>();
  for (const [b, ps] of preds)
    for (const a of ps) {
      const ca = comp[a] as number;
      const cb = comp[b] as number;
      if (ca === cb) continue;
      const s = cpreds.get(cb);
      if (s) s.add(ca);
      else cpreds.set(cb, new Set([ca]));
    }
  const keptIn = new Map<number, number[]>();
  for (const k of labelled) keptIn.set(comp[k] as number, [...(keptIn.get(comp[k] as number) ?? []), k]);
  const memo = new Map<number, Set<number>>();
  const anc = (c: number): Set<number> => {
    const known = memo.get(c);
    if (known) return known;
    const out = new Set<number>();
    for (const p of cpreds.get(c) ?? []) {
      out.add(p);
      for (const x of anc(p)) out.add(x);
    }
    memo.set(c, out);
    return out;
  };
  const direct = (x: number): Set<number> => {
    const out = new Set<number>();
    const seen = new Set([x]);
    const todo = [...(succ[x] ?? [])];
    while (todo.length > 0) {
      const y = todo.pop() as number;
      if (seen.has(y)) continue;
      seen.add(y);
      if (labelled.has(y)) out.add(y);
      else todo.push(...(succ[y] ?? []));
    }
    return out;
  };
  const pairs: [number, number][] = [];
  for (const b of labelled) {
    const cb = comp[b] as number;
    const before = [...anc(cb)].filter((c) => keptIn.has(c));
    for (const cx of before)
      if (!before.some((cy) => cy !== cx && anc(cy).has(cx)))
        for (const x of keptIn.get(cx) ?? []) pairs.push([x, b]);
    for (const x of keptIn.get(cb) ?? []) if (x !== b && direct(x).has(b)) pairs.push([x, b]);
  }
  return pairs;
}
