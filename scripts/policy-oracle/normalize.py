#!/usr/bin/env python3
"""shared/tools/oracle/lib/normalize.py with order lines that are well defined
when the graph has a loop (orders A then B and B then A).

Everything but the `order` lines comes from the shared normalizer (imported,
ORACLE_LIB or ../../../shared/tools/oracle/lib). Its order lines walk the
graph with a memo that a loop leaves half-filled, in the iteration order of a
Python set of action ids (which changes from run to run), so the order lines
of a looping graph changed between runs of the same CIB. Here, with `x ~> y`
meaning a path from x to y in the graph (through any actions) and the kept
actions those printed as `action` lines:

  * `order X -> B` for kept X != B in different strongly connected
    components, X ~> B, when no kept Y lies strictly between them (X ~> Y ~> B
    with Y in neither X's component nor B's);
  * inside one component (a loop), `order X -> B` when a path from X to B
    passes through no other kept action.

On a graph without a loop both rules give exactly the shared normalizer's
lines (its transitive reduction); src/policy/oracle.ts orderLines follows
the same rules.
"""
import os
import sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.environ.get("ORACLE_LIB") or os.path.join(HERE, "..", "..", "..", "shared", "tools", "oracle", "lib"))
import normalize as shared  # noqa: E402


def components(nodes, succ):
    """Tarjan's strongly connected components: {node: component index} (iterative)."""
    index, low, comp, stack, on = {}, {}, {}, [], set()
    counter = [0]
    ncomp = 0
    for root in sorted(nodes, key=int):
        if root in index:
            continue
        work = [(root, iter(sorted(succ.get(root, ()), key=int)))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            pushed = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(succ.get(w, ()), key=int))))
                    pushed = True
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            if pushed:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp[w] = ncomp
                    if w == v:
                        break
                ncomp += 1
    return comp


def order_edges(actions, preds, keep):
    """(x, b) pairs of kept action ids, by the rules in the module docstring."""
    nodes = set(actions) | set(preds)
    for ps in preds.values():
        nodes |= ps
    succ = {}
    for b, ps in preds.items():
        for a in ps:
            succ.setdefault(a, set()).add(b)
    comp = components(nodes, succ)
    cpreds = {}
    for b, ps in preds.items():
        for a in ps:
            if comp[a] != comp[b]:
                cpreds.setdefault(comp[b], set()).add(comp[a])
    kept_in = {}
    for k in keep:
        kept_in.setdefault(comp[k], set()).add(k)
    memo = {}

    def anc(c):
        """Components strictly before component c."""
        if c not in memo:
            out = set()
            for p in cpreds.get(c, ()):
                out.add(p)
                out |= anc(p)
            memo[c] = out
        return memo[c]

    def direct(x):
        """Kept actions reached from x through unkept ones only."""
        out, seen, todo = set(), {x}, list(succ.get(x, ()))
        while todo:
            y = todo.pop()
            if y in seen:
                continue
            seen.add(y)
            if y in keep:
                out.add(y)
            else:
                todo.extend(succ.get(y, ()))
        return out

    sys.setrecursionlimit(max(10000, 4 * len(nodes)))
    edges = set()
    for b in keep:
        before = [c for c in anc(comp[b]) if c in kept_in]
        for cx in before:
            if any(cy != cx and cx in anc(cy) for cy in before):
                continue
            edges |= {(x, b) for x in kept_in[cx]}
        for x in kept_in[comp[b]] - {b}:
            if b in direct(x):
                edges.add((x, b))
    return edges


def main():
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--sim", required=True)
    ap.add_argument("--graph", required=True)
    ap.add_argument("--rerun")
    ap.add_argument("--all", action="store_true")
    ap.add_argument("--scores", action="store_true")
    ap.add_argument("--name", default="")
    a = ap.parse_args()

    sim = ET.parse(a.sim).getroot()
    actions, preds = shared.parse_graph(a.graph)
    keep = {aid for aid, (lab, core) in actions.items() if lab and (core or a.all)}
    seq = shared.transition_order(sim)
    kept_labels = {actions[aid][0] for aid in keep}
    ordered = []
    for lab in seq:
        if lab in kept_labels and lab not in ordered:
            ordered.append(lab)
    for lab in sorted(kept_labels - set(ordered)):  # never ran: sorted
        ordered.append(lab)
    edges = {(actions[x][0], actions[b][0]) for x, b in order_edges(actions, preds, keep)}
    pos = {lab: i for i, lab in enumerate(ordered)}
    out = ["# oracle v1 %s" % a.name]
    out += shared.node_lines(sim.find("revised_cluster_status"))
    out += shared.resources_lines(sim.find("revised_cluster_status"))
    out += shared.summary_lines(sim)
    out += ["action %s" % lab for lab in ordered]
    out += ["order %s -> %s" % e for e in sorted(edges, key=lambda e: (pos[e[1]], pos[e[0]]))]
    if a.rerun:
        rr = ET.parse(a.rerun).getroot()
        pending = [l for l in shared.summary_lines(rr) if not l.endswith(" blocked")]
        out.append("stable %s" % ("yes" if not pending else "no"))
    if a.scores:
        out += shared.score_lines(sim)
    print("\n".join(out))


if __name__ == "__main__":
    main()
