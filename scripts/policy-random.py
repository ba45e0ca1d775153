#!/usr/bin/env python3
"""Randomised comparison of Tandem's policy engine with real Pacemaker 2.1.5.

  python3 scripts/policy-random.py [--seeds A:B] [--jobs N] [--out DIR] [--minimise K]

For every seed in [A, B) a CIB of 2-4 nodes and 2-8 ocf:pacemaker:Dummy
primitives is generated (random groups, location/colocation/order
constraints with random scores and kinds, stickiness, running resources,
failed monitors with fail counts, migration-threshold, is-managed=false,
standby and offline nodes), then decided by crm_simulate (through
scripts/policy-oracle/oracle.sh, clock 2024-01-01T00:00:00Z) and by Tandem
(dist/, so `npm run build` first). A seed agrees when the `# oracle v1`
texts are equal, or shared/tools/oracle/lib/compare.py accepts Tandem's.
Disagreements are tagged by which lines differ and by the features of the
CIB, and the first K of them are minimised (constraints, then resources,
then status, dropped one at a time while the disagreement stays) into
DIR/min-SEED.xml with their .expected and .tandem.
Needs: apt-get install pacemaker pacemaker-cli-utils; ../shared/tools/oracle
(SHARED_ORACLE overrides) for gen_scenarios.py and normalize.py.
"""
import argparse, collections, concurrent.futures, json, os, random, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHARED = os.environ.get("SHARED_ORACLE", os.path.join(ROOT, "..", "shared", "tools", "oracle"))
sys.path.insert(0, SHARED)
from gen_scenarios import Cib, loc, compute_digests  # noqa: E402

NOW_ISO = "2024-01-01T00:00:00Z"
INF = "INFINITY"


def gen(seed):
    """A random CIB description (plain data, so it can be shrunk)."""
    r = random.Random(seed)
    nn = r.randint(2, 4)
    nodes = ["n%d" % (i + 1) for i in range(nn)]
    k = r.randint(2, 8)
    prims = ["r%d" % (i + 1) for i in range(k)]
    d = {"nodes": nodes, "prims": prims, "groups": [], "cons": [], "meta": {}, "run": [],
         "fail": [], "standby": [], "offline": [],
         "stick": r.choice([0, 0, 50, 100, 200])}
    pool = prims[:]
    r.shuffle(pool)
    gi = 0
    while len(pool) >= 2 and r.random() < 0.5:
        size = min(len(pool), r.randint(2, 3))
        d["groups"].append(("g%d" % (gi + 1), sorted(pool[:size], key=prims.index)))
        pool = pool[size:]
        gi += 1
    grouped = {m for _, ms in d["groups"] for m in ms}
    tops = [p for p in prims if p not in grouped] + [g for g, _ in d["groups"]]
    scores = ["-INFINITY", "-100", "50", "100", "200", INF]
    for i in range(r.randint(0, 5)):
        kind = r.choice(["loc", "loc", "col", "col", "ord"])
        a = r.choice(tops)
        if kind == "loc":
            d["cons"].append(("loc", "l%d" % i, a, r.choice(nodes), r.choice(scores)))
        else:
            b = r.choice([t for t in tops if t != a] or [a])
            if b == a:
                continue
            if kind == "col":
                d["cons"].append(("col", "c%d" % i, a, b, r.choice(["-INFINITY", "-100", "100", INF])))
            else:
                d["cons"].append(("ord", "o%d" % i, a, b, r.choice(["Mandatory", "Mandatory", "Optional"]),
                                  r.choice(["true", "true", "false"])))
    for p in prims:
        if r.random() < 0.12:
            d["meta"].setdefault(p, {})["is-managed"] = "false"
        if r.random() < 0.15:
            d["meta"].setdefault(p, {})["migration-threshold"] = str(r.choice([1, 2, 3]))
        if r.random() < 0.55:
            n = r.choice(nodes)
            if r.random() < 0.2:
                d["fail"].append((n, p, r.choice([1, 1, 2, 3])))
            else:
                d["run"].append((n, p))
    for n in nodes[1:]:
        x = r.random()
        if x < 0.12:
            d["standby"].append(n)
        elif x < 0.22:
            d["offline"].append(n)
    return d


def build(d, name):
    c = Cib(nodes=tuple(d["nodes"]), rsc_defaults={"resource-stickiness": str(d["stick"])} if d["stick"] else None,
            comment="policy-random " + name)
    grouped = {m: g for g, ms in d["groups"] for m in ms}
    done = set()
    for p in d["prims"]:
        g = grouped.get(p)
        if g is None:
            c.add(c.prim(p, meta=d["meta"].get(p)))
        elif g not in done:
            done.add(g)
            ms = next(ms for gg, ms in d["groups"] if gg == g)
            c.group(g, [c.prim(m, meta=d["meta"].get(m), ind="        ") for m in ms])
    for con in d["cons"]:
        if con[0] == "loc":
            c.con(loc(con[2], con[3], con[4], cid=con[1]))
        elif con[0] == "col":
            c.con('<rsc_colocation id="%s" rsc="%s" with-rsc="%s" score="%s"/>' % con[1:])
        else:
            c.con('<rsc_order id="%s" first="%s" then="%s" kind="%s" symmetrical="%s"/>' % con[1:])
    for n, p in d["run"]:
        c.running(n, p)
    for n, p, count in d["fail"]:
        c.monitor_failed(n, p, count=count)
    for n in d["standby"]:
        c.node_attrs[n]["standby"] = "on"
    for n in d["offline"]:
        c.state[n] = "offline"
    return c


DIGESTS = {}


def digests_for(c, path):
    """Every primitive is a parameterless Dummy: one digest per interval, asked once."""
    out = {}
    for n in c.nodes:
        for rid, hist in c.hist[n].items():
            for h in hist:
                if h["interval"] not in DIGESTS:
                    got = compute_digests(c, path)
                    for (_, _, iv), dg in got.items():
                        DIGESTS.setdefault(iv, dg)
                if h["interval"] in DIGESTS:
                    out[(rid, n, h["interval"])] = DIGESTS[h["interval"]]
    return out


def write_cib(d, path, name):
    c = build(d, name)
    with open(path, "w") as f:
        f.write(c.xml())
    dg = digests_for(c, path)
    with open(path, "w") as f:
        f.write(c.xml(dg))


def oracle(path):
    r = subprocess.run([os.path.join(HERE, "policy-oracle", "oracle.sh"), path],
                       capture_output=True, text=True, env=dict(os.environ, ORACLE_LIB=os.path.join(SHARED, "lib")))
    if r.returncode != 0:
        return None
    with open(path[:-4] + ".expected", "w") as f:
        f.write(r.stdout)
    return r.stdout


def tandem(paths):
    subprocess.run(["node", os.path.join(HERE, "policy-simulate-many.mjs"), NOW_ISO] + paths, check=True)
    out = {}
    for p in paths:
        try:
            out[p] = open(p + ".tandem").read()
        except FileNotFoundError:
            out[p] = None
    return out


def agree(exp_path, act_text, exp_text):
    if act_text is None:
        return False
    if act_text == exp_text:
        return True
    tmp = exp_path + ".act"
    with open(tmp, "w") as f:
        f.write(act_text)
    r = subprocess.run([sys.executable, os.path.join(SHARED, "lib", "compare.py"), exp_path, tmp],
                       capture_output=True, text=True)
    return r.returncode == 0


def diff_kinds(exp, act):
    """Which kinds of lines differ (rsc, summary, action, order, stable)."""
    if act is None:
        return ["tandem-error"]
    e = set(exp.splitlines()[1:])
    a = set(act.splitlines()[1:])
    kinds = sorted({l.split(" ")[0] for l in e ^ a})
    return kinds or ["order-sequence"]


def features(d):
    f = set()
    for con in d["cons"]:
        if con[0] == "loc":
            f.add("location")
        elif con[0] == "col":
            f.add("colocation-" + ("inf" if "INFINITY" in con[4] else "finite"))
        else:
            f.add("order-" + con[4].lower() + ("" if con[5] == "true" else "-asym"))
    if d["groups"]:
        f.add("group")
    if any(m.get("is-managed") == "false" for m in d["meta"].values()):
        f.add("unmanaged")
    if d["fail"]:
        f.add("failed-monitor")
    if d["standby"]:
        f.add("standby")
    if d["offline"]:
        f.add("offline")
    if d["stick"]:
        f.add("stickiness")
    return f


def shrink_steps(d):
    """Smaller variants of d, most promising first."""
    for i in range(len(d["cons"])):
        yield dict(d, cons=d["cons"][:i] + d["cons"][i + 1:])
    for key in ("run", "fail", "standby", "offline"):
        for i in range(len(d[key])):
            yield dict(d, **{key: d[key][:i] + d[key][i + 1:]})
    for p in list(d["meta"]):
        for mk in list(d["meta"][p]):
            meta = {q: dict(v) for q, v in d["meta"].items()}
            del meta[p][mk]
            yield dict(d, meta=meta)
    if d["stick"]:
        yield dict(d, stick=0)
    for p in d["prims"]:
        if len(d["prims"]) <= 1:
            break
        used = any(p in con[2:4] for con in d["cons"])
        if used:
            continue
        groups = [(g, [m for m in ms if m != p]) for g, ms in d["groups"]]
        if any(len(ms) == 0 for _, ms in groups) or any(p == g for g, _ in d["groups"]):
            continue
        yield dict(d, prims=[q for q in d["prims"] if q != p], groups=groups,
                   run=[x for x in d["run"] if x[1] != p], fail=[x for x in d["fail"] if x[1] != p],
                   meta={q: v for q, v in d["meta"].items() if q != p})


def check(d, path, name):
    write_cib(d, path, name)
    exp = oracle(path)
    if exp is None:
        return None
    act = tandem([path])[path]
    return exp, act, agree(path[:-4] + ".expected", act, exp)


def minimise(d, out, seed, budget=60):
    path = os.path.join(out, "min-%d.xml" % seed)
    cur = d
    for _ in range(budget):
        for cand in shrink_steps(cur):
            res = check(cand, path, "min-%d" % seed)
            if res is not None and not res[2]:
                cur = cand
                break
        else:
            break
    res = check(cur, path, "min-%d" % seed)
    if res:
        with open(path + ".tandem", "w") as f:
            f.write(res[1] or "")
    return cur


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="0:2000")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", default="/tmp/policy-random")
    ap.add_argument("--minimise", type=int, default=0)
    ap.add_argument("--reuse", action="store_true", help="keep DIR's .expected files (Pacemaker's answers) from an earlier run")
    a = ap.parse_args()
    lo, hi = (int(x) for x in a.seeds.split(":"))
    os.makedirs(a.out, exist_ok=True)
    descs = {s: gen(s) for s in range(lo, hi)}
    paths = {s: os.path.join(a.out, "s%05d.xml" % s) for s in descs}
    def known(s):
        e = paths[s][:-4] + ".expected"
        return open(e).read() if a.reuse and os.path.exists(e) else None
    for s, d in descs.items():
        if known(s) is None:
            write_cib(d, paths[s], "s%05d" % s)
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as ex:
        exps = dict(zip(descs, ex.map(lambda s: known(s) or oracle(paths[s]), descs)))
    acts = {}
    plist = list(paths.values())
    for i in range(0, len(plist), 500):
        acts.update(tandem(plist[i:i + 500]))
    agreed, disagreed, oracle_failed = [], [], []
    by_kind, by_feature = collections.Counter(), collections.Counter()
    for s in descs:
        exp = exps[s]
        if exp is None:
            oracle_failed.append(s)
            continue
        act = acts[paths[s]]
        if agree(paths[s][:-4] + ".expected", act, exp):
            agreed.append(s)
        else:
            disagreed.append(s)
            by_kind[",".join(diff_kinds(exp, act))] += 1
            for f in features(descs[s]):
                by_feature[f] += 1
    report = {"seeds": "%d:%d" % (lo, hi), "agreed": len(agreed), "disagreed": len(disagreed),
              "oracle_failed": len(oracle_failed), "disagreements": disagreed[:200],
              "differing_lines": dict(by_kind.most_common()),
              "features_of_disagreements": dict(by_feature.most_common())}
    minimised = {}
    for s in disagreed[:a.minimise]:
        m = minimise(descs[s], a.out, s)
        minimised[s] = sorted(features(m))
    if minimised:
        report["minimised"] = minimised
    print(json.dumps(report, indent=1))
    with open(os.path.join(a.out, "report.json"), "w") as f:
        json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
