#!/usr/bin/env python3
"""Independent reference for the monitoring engine (Tests/XinyongMonitoringTests).

Reads a JSON problem on standard input and writes the answers as JSON on standard output:
normalisation and aggregation with numpy/scipy-free formulas written from the definitions in
docs/monitoring.md, a whole indicator tree scored city by city, and Sobol indices by SALib
(its own Sobol-sequence sampling and its own estimators), so that the Swift engine is checked
against code that shares nothing with it but the definitions.
"""
import json
import math
import sys

import numpy as np
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import sobol as sobol_sample


def normalize(values, method, direction, low=None, high=None, target=None):
    x = np.asarray(values, dtype=float)
    lower = direction == "lower_is_better"
    if method == "min_max":
        lo, hi = x.min(), x.max()
        if hi <= lo:
            return np.ones_like(x)
        s = (x - lo) / (hi - lo)
        return 1 - s if lower else s
    if method == "z_score":
        sd = x.std()  # population sd (ddof=0)
        z = (x - x.mean()) / sd if sd > 0 else np.zeros_like(x)
        if lower:
            z = -z
        return np.array([0.5 * (1 + math.erf(v / math.sqrt(2))) for v in z])
    if method == "rank":
        n = len(x)
        if n < 2:
            return np.ones_like(x)
        key = -x if lower else x
        # average ranks for ties, written out rather than borrowed from the engine's approach
        ranks = np.empty(n)
        for i in range(n):
            ranks[i] = np.sum(key < key[i]) + (np.sum(key == key[i]) + 1) / 2
        return (ranks - 1) / (n - 1)
    if method == "goalposts":
        s = np.clip((x - low) / (high - low), 0, 1)
        return 1 - s if lower else s
    if method == "distance_to_target":
        if lower:
            return np.where(x <= target, 1.0, target / np.maximum(x, 1e-300))
        return np.clip(x / target, 0, 1)
    raise ValueError(method)


FLOOR = 0.01


def aggregate(shares, weights, method):
    """Weighted arithmetic or geometric mean; `shares` is (children,) or (children, cities)."""
    s = np.asarray(shares, dtype=float)
    w = np.asarray(weights, dtype=float)
    if method == "arithmetic":
        return np.tensordot(w, s, axes=1) / w.sum()
    return np.exp(np.tensordot(w, np.log(np.maximum(s, FLOOR)), axes=1) / w.sum())


def node_share(tree, node, leaf_shares, weights):
    n = tree["nodes"][node]
    if not n["children"]:
        return leaf_shares[n["leaf"]]
    method = tree["aggregation_by_level"][min(n["level"], len(tree["aggregation_by_level"]) - 1)]
    shares = [node_share(tree, c, leaf_shares, weights) for c in n["children"]]
    return aggregate(shares, [weights[c] for c in n["children"]], method)


def total_share(tree, leaf_shares, weights):
    shares = [node_share(tree, r, leaf_shares, weights) for r in tree["roots"]]
    return aggregate(shares, [weights[r] for r in tree["roots"]], tree["aggregation_by_level"][0])


def score_tree(problem):
    """Raw rolling values [leaf][city] → indicator points per city, normalised within each group."""
    tree = problem["tree"]
    raw = np.asarray(problem["raw"], dtype=float)
    groups = problem["groups"]
    leaves = [n for n in tree["nodes"] if not n["children"]]
    leaves.sort(key=lambda n: n["leaf"])
    shares = np.zeros_like(raw)
    for g in sorted(set(groups)):
        idx = [i for i, x in enumerate(groups) if x == g]
        for l, n in enumerate(leaves):
            shares[l, idx] = normalize(raw[l, idx], n["method"], n["direction"], n.get("low"), n.get("high"), n.get("target"))
    weights = [n["points"] for n in tree["nodes"]]
    return [float(v) for v in tree["total_points"] * total_share(tree, shares, weights)]


def scaled_weights(tree, factors, x, spread):
    weights = [n["points"] for n in tree["nodes"]]

    def scale(node, f):
        weights[node] *= f
        for c in tree["nodes"][node]["children"]:
            scale(c, f)

    for k, node in enumerate(factors):
        scale(node, 1 + spread * (2 * x[k] - 1))
    return weights


def sobol(problem):
    if problem["model"] == "ishigami":
        d = 3
        bounds = [[-math.pi, math.pi]] * 3
        names = ["x1", "x2", "x3"]

        def model(x):
            return math.sin(x[0]) + 7 * math.sin(x[1]) ** 2 + 0.1 * x[2] ** 4 * math.sin(x[0])
    else:
        tree = problem["tree"]
        factors = problem["factors"]
        leaf_shares = np.asarray(problem["leaf_shares"], dtype=float).T  # [leaf][city]: every city at once
        city = problem["city"]
        spread = problem["spread"]
        d = len(factors)
        bounds = [[0, 1]] * d
        names = [str(f) for f in factors]

        def model(x):
            w = scaled_weights(tree, factors, x, spread)
            values = total_share(tree, leaf_shares, w)
            return tree["total_points"] * (values[city] - float(np.mean(values)))

    sp = {"num_vars": d, "names": names, "bounds": bounds}
    X = sobol_sample.sample(sp, problem["samples"], calc_second_order=False, seed=problem.get("seed", 1))
    Y = np.array([model(row) for row in X])
    Si = sobol_analyze.analyze(sp, Y, calc_second_order=False, num_resamples=problem.get("resamples", 200), seed=problem.get("seed", 1))
    return {k: [float(v) for v in Si[k]] for k in ["S1", "S1_conf", "ST", "ST_conf"]}


def main():
    problem = json.load(sys.stdin)
    out = {}
    out["normalize"] = [list(map(float, normalize(c["values"], c["method"], c["direction"], c.get("low"), c.get("high"), c.get("target"))))
                        for c in problem.get("normalize", [])]
    out["aggregate"] = [float(aggregate(c["shares"], c["weights"], c["method"])) for c in problem.get("aggregate", [])]
    if "tree_scores" in problem:
        out["tree_scores"] = score_tree(problem["tree_scores"])
    out["sobol"] = [sobol(p) for p in problem.get("sobol", [])]
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
