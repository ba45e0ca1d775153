#!/usr/bin/env python3
"""Disagreeing seeds of scripts/policy-random.py by cause (docs/POLICY-COMPAT.md).

  python3 scripts/policy-oracle/classify.py OUT/report.json OUT

Each seed counts once, in the first class that applies: order-cycle (orders and the
chains of groups form a cycle), colocation-cycle-or-repeated-pair, unmanaged
(is-managed=false), other.
"""
import json, sys, re, xml.etree.ElementTree as ET
rep = json.load(open(sys.argv[1])); d = sys.argv[2]
def cls(seed):
    t = ET.parse(f"{d}/s{seed:05d}.xml").getroot()
    groups = {g.get("id"): [p.get("id") for p in g.findall("primitive")] for g in t.iter("group")}
    top = lambda r: r
    mem = lambda r: groups.get(r, [r])
    # order graph on primitives: first's members -> then's members, plus group internal chain
    edges = {}
    def add(a, b): edges.setdefault(a, set()).add(b)
    for g, ms in groups.items():
        for a, b in zip(ms, ms[1:]): add(a, b)
    for o in t.iter("rsc_order"):
        for a in mem(o.get("first")):
            for b in mem(o.get("then")): add(a, b)
    def cyc():
        state = {}
        def dfs(u):
            state[u] = 1
            for v in edges.get(u, ()):
                if state.get(v) == 1 or (v not in state and dfs(v)): return True
            state[u] = 2; return False
        return any(u not in state and dfs(u) for u in list(edges))
    # colocation cycle or repeated pair (resource level, groups as units)
    cg = {}; pairs = set(); rep_pair = False
    for c in t.iter("rsc_colocation"):
        a, b = c.get("rsc"), c.get("with-rsc")
        k = frozenset((a, b))
        if k in pairs: rep_pair = True
        pairs.add(k); cg.setdefault(a, set()).add(b)
    def ccyc():
        state = {}
        def dfs(u):
            state[u] = 1
            for v in cg.get(u, ()):
                if state.get(v) == 1 or (v not in state and dfs(v)): return True
            state[u] = 2; return False
        return any(u not in state and dfs(u) for u in list(cg))
    unmanaged = any(nv.get("name") == "is-managed" and nv.get("value") == "false" for nv in t.iter("nvpair"))
    if cyc(): return "order-cycle"
    if rep_pair or ccyc(): return "colocation-cycle-or-repeated-pair"
    if unmanaged: return "unmanaged"
    return "other"
out = {}
for s in rep["disagreements"]: out.setdefault(cls(s), []).append(s)
for k, v in out.items(): print(k, len(v), v)
