#!/usr/bin/python3
"""Peer side of bench/compare_allocation.sh: the allocation models in scipy/numpy, timed on the
same covariance files as pfopt (DIR/cov_n<N>.csv, R's generator of the shared benchmark data).

    /usr/bin/python3 bench/allocation_peers.py MODEL DIR N [N ...]

MODEL:
  rp-trust-exact  risk parity (equal budgets): scipy.optimize.minimize(method="trust-exact") on
                  Spinu's function 1/2 x'Sx - b'ln x with exact gradient and Hessian, gtol 1e-13
                  (reaches max |RC - b| ~ 1e-15, the accuracy pfopt delivers)
  rp-newton-cg    the same with method="Newton-CG" (faster, but stops near 1e-9)
  hrp             HRP, single linkage on sqrt((1 - rho) / 2) of the covariance's correlation:
                  scipy.cluster.hierarchy.linkage + to_tree().pre_order() + the recursive
                  bisection in numpy (PyPortfolioOpt's algorithm without pandas)
  bl              Black-Litterman posterior (returns and covariance) in numpy, the formulas of
                  PyPortfolioOpt's BlackLittermanModel: market prior (equal weights, delta 2.5),
                  absolute views on every 10th asset (Q = prior + 0.02), Omega = diag(tau P S P'),
                  tau 0.05

Timing: the mean time per call of a batch of about 0.2 s of calls, 15 batches (9 for n >= 500),
median/min/max printed as
  model <M> n <N> median_s <t> min_s <t> max_s <t> batch_calls <B> batches <R> error <e>
(error: max |RC - b| for risk parity, 0 otherwise); the answer goes to
DIR/peer_<M>_n<N>.csv (weights, or the posterior returns for bl). Run with one BLAS thread
(the script sets it) so that both sides use one core.
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import scipy.cluster.hierarchy as sch  # noqa: E402
import scipy.spatial.distance as ssd  # noqa: E402
from scipy import optimize  # noqa: E402


def risk_parity(sigma, method):
    n = len(sigma)
    b = np.ones(n) / n
    x0 = b / np.sqrt(np.diag(sigma))
    x0 *= np.sqrt(b.sum() / (x0 @ sigma @ x0))

    def f(x):
        return 0.5 * x @ sigma @ x - b @ np.log(x) if np.all(x > 0) else np.inf

    def g(x):
        return sigma @ x - b / x

    def h(x):
        return sigma + np.diag(b / x**2)

    if method == "trust-exact":
        res = optimize.minimize(f, x0, jac=g, hess=h, method="trust-exact",
                                options={"gtol": 1e-13})
    else:
        res = optimize.minimize(f, x0, jac=g, hess=h, method="Newton-CG",
                                options={"xtol": 1e-15})
    w = res.x / res.x.sum()
    rc = w * (sigma @ w) / (w @ sigma @ w)
    return w, float(np.abs(rc - b).max())


def hrp(sigma):
    sd = np.sqrt(np.diag(sigma))
    corr = sigma / np.outer(sd, sd)
    dist = np.sqrt(np.clip((1.0 - corr) / 2.0, 0.0, 1.0))
    link = sch.linkage(ssd.squareform(dist, checks=False), "single")
    order = np.array(sch.to_tree(link, rd=False).pre_order())
    w = np.ones(len(sigma))
    clusters = [order]
    inv = 1.0 / np.diag(sigma)

    def cluster_var(items):
        u = inv[items] / inv[items].sum()
        return u @ sigma[np.ix_(items, items)] @ u

    while clusters:
        clusters = [c[j:k] for c in clusters for j, k in ((0, len(c) // 2), (len(c) // 2, len(c)))
                    if len(c) > 1]
        for i in range(0, len(clusters), 2):
            a, b = clusters[i], clusters[i + 1]
            va, vb = cluster_var(a), cluster_var(b)
            alpha = 1 - va / (va + vb)
            w[a] *= alpha
            w[b] *= 1 - alpha
    return w, 0.0


def black_litterman_inputs(sigma):
    n = len(sigma)
    tau, delta = 0.05, 2.5
    pi = delta * sigma @ (np.ones(n) / n)
    picks = np.arange(0, n, 10)
    p = np.zeros((len(picks), n))
    p[np.arange(len(picks)), picks] = 1.0
    q = pi[picks] + 0.02
    return pi, p, q, tau


def black_litterman(sigma, inputs):
    pi, p, q, tau = inputs
    tau_sigma_p = tau * sigma @ p.T
    omega = np.diag(np.diag(p @ tau_sigma_p))
    a = p @ tau_sigma_p + omega
    mu = pi + tau_sigma_p @ np.linalg.solve(a, q - p @ pi)
    cov = sigma + tau * sigma - tau_sigma_p @ np.linalg.solve(a, tau_sigma_p.T)
    return mu, cov


def main():
    model, directory, sizes = sys.argv[1], sys.argv[2], [int(s) for s in sys.argv[3:]]
    for n in sizes:
        sigma = np.loadtxt(f"{directory}/cov_n{n}.csv", delimiter=",")
        if model.startswith("rp-"):
            method = model[3:]
            solve = lambda: risk_parity(sigma, method)  # noqa: E731
        elif model == "hrp":
            solve = lambda: hrp(sigma)  # noqa: E731
        elif model == "bl":
            inputs = black_litterman_inputs(sigma)
            solve = lambda: (black_litterman(sigma, inputs)[0], 0.0)  # noqa: E731
        else:
            raise SystemExit("model must be rp-trust-exact, rp-newton-cg, hrp or bl")
        answer, error = solve()  # warm-up
        start = time.perf_counter()
        solve()
        once = time.perf_counter() - start
        batch = max(1, int(0.2 / max(once, 1e-7)))
        batches = 9 if n >= 500 else 15
        per_call = []
        for _ in range(batches):
            start = time.perf_counter()
            for _ in range(batch):
                solve()
            per_call.append((time.perf_counter() - start) / batch)
        per_call.sort()
        print(f"model {model} n {n} median_s {per_call[len(per_call) // 2]:.9g} "
              f"min_s {per_call[0]:.9g} max_s {per_call[-1]:.9g} batch_calls {batch} "
              f"batches {batches} error {error:.3g}", flush=True)
        np.savetxt(f"{directory}/peer_{model}_n{n}.csv", answer, fmt="%.17g")


if __name__ == "__main__":
    main()
