#!/usr/bin/python3
"""Reference values for pfopt's hierarchical clustering and HRP (tests/data/hrp/reference.json).

Independent of pfopt: scipy.cluster.hierarchy for the trees, numpy/pandas for the rest.
Run from the repository root:  /usr/bin/python3 tests/data/hrp/generate.py
Versions used: see the "meta" block of the output.

Contents:
- "linkage": seeded random point sets (on an integer grid, so that many distances tie; the
  clustered distances are their Euclidean distances), with scipy's linkage matrix and pre-order leaf order for
  each method. Checks the clustering and scipy's tie rules.
- "distance_of_distances": HRP on examples/data/stock_prices.csv with the original paper's
  distance of distances (Euclidean distance between the columns of sqrt((1 - rho) / 2)), for
  each linkage: returns = prices.pct_change().dropna(how="all"), rho = returns.corr(),
  Sigma = returns.cov() (pairwise, as PyPortfolioOpt's HRPOpt), the recursive bisection written
  below as in PyPortfolioOpt 1.5.6.
- "pandas_correlation": returns.corr() of those returns (pairwise-complete Pearson), in the
  column order of the file.
"""
import json
import sys

import numpy as np
import pandas as pd
import scipy
import scipy.cluster.hierarchy as sch
import scipy.spatial.distance as ssd

METHODS = ["single", "average", "complete", "ward"]


def leaf_order(z):
    return [int(i) for i in sch.to_tree(z, rd=False).pre_order()]


def linkage_cases():
    rng = np.random.default_rng(20240611)
    cases = []
    for n in [2, 3, 5, 8, 13, 30, 60]:
        for grid in [4, 1000]:  # coarse grid: many tied distances
            points = rng.integers(0, grid, size=(n, 3)).astype(float)
            # Distances between integer points are sqrt(integer): computed exactly alike in
            # any language, so the tests rebuild them from the points (ties included).
            d = ssd.squareform(ssd.pdist(points))
            for method in METHODS:
                z = sch.linkage(ssd.squareform(d, checks=False), method)
                cases.append({"n": n, "grid": grid, "method": method.upper(),
                              "points": points.tolist(), "linkage": z.tolist(),
                              "leaf_order": leaf_order(z)})
    return cases


def cluster_var(cov, items):
    c = cov.loc[items, items].values
    w = 1.0 / np.diag(c)
    w /= w.sum()
    return float(w @ c @ w)


def bisection(cov, ordered):
    w = pd.Series(1.0, index=ordered)
    clusters = [ordered]
    while clusters:
        clusters = [c[j:k] for c in clusters for j, k in ((0, len(c) // 2), (len(c) // 2, len(c)))
                    if len(c) > 1]
        for i in range(0, len(clusters), 2):
            a, b = clusters[i], clusters[i + 1]
            va, vb = cluster_var(cov, a), cluster_var(cov, b)
            alpha = 1 - va / (va + vb)
            w[a] *= alpha
            w[b] *= 1 - alpha
    return w


def stock_returns(root):
    prices = pd.read_csv(root + "/examples/data/stock_prices.csv", parse_dates=True,
                         index_col="date")
    return prices.pct_change().dropna(how="all")


def distance_of_distances_cases(root):
    returns = stock_returns(root)
    corr, cov = returns.corr(), returns.cov()
    d = np.sqrt(np.clip((1.0 - corr.values) / 2.0, 0.0, 1.0))
    dd = ssd.squareform(ssd.pdist(d.T))  # Euclidean distance between columns
    out = {}
    for method in METHODS:
        z = sch.linkage(ssd.squareform(dd, checks=False), method)
        order = [corr.index[i] for i in leaf_order(z)]
        w = bisection(cov, order)
        out[method.upper()] = {"weights": {t: float(w[t]) for t in returns.columns},
                               "leaf_order": order}
    return out


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    reference = {
        "meta": {"scipy": scipy.__version__, "numpy": np.__version__, "pandas": pd.__version__,
                 "script": "tests/data/hrp/generate.py"},
        "linkage": linkage_cases(),
        "distance_of_distances": distance_of_distances_cases(root),
        "pandas_correlation": stock_returns(root).corr().values.tolist(),
    }
    with open(root + "/tests/data/hrp/reference.json", "w") as f:
        json.dump(reference, f, indent=1)


if __name__ == "__main__":
    main()
