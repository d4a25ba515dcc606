#!/usr/bin/python3
"""Reference risk-budgeting portfolios for pfopt (tests/data/risk_parity/reference.json).

Independent of pfopt: scipy and numpy only. Run from the repository root:
    /usr/bin/python3 tests/data/risk_parity/generate.py

Definitions (docs/risk_parity.md):
- Without bounds: the long-only w with w_i (Sigma w)_i / (w'Sigma w) = b_i, sum w = 1.
  Solved here by scipy.optimize.minimize (trust-exact, exact gradient and Hessian) on Spinu's
  function 1/2 x'Sigma x - b'ln x, then polished by scipy.optimize.root ('hybr') on the
  equations x_i (Sigma x)_i = b_i.
- With bounds lb <= w <= ub and sum w = B: x(lambda) = argmin 1/2 x'Sigma x - lambda b'ln x
  over the box, lambda such that sum x = B (Richard & Roncalli 2019). Solved here by SLSQP for
  the inner problem and brentq for lambda; then the active set is read off and the reduced
  equations (Sigma x)_i = lambda b_i / x_i on the free assets, x = bound on the others,
  sum x = B, are polished by scipy.optimize.root.
"""
import json
import sys

import numpy as np
import scipy
from scipy import optimize


def spinu_unbounded(sigma, b):
    n = len(b)
    x0 = b / np.sqrt(np.diag(sigma))
    x0 *= np.sqrt(b.sum() / (x0 @ sigma @ x0))
    f = lambda x: 0.5 * x @ sigma @ x - b @ np.log(x) if np.all(x > 0) else np.inf
    g = lambda x: sigma @ x - b / x
    h = lambda x: sigma + np.diag(b / x**2)
    res = optimize.minimize(f, x0, jac=g, hess=h, method="trust-exact",
                            options={"gtol": 1e-12, "maxiter": 1000})
    x = res.x
    sol = optimize.root(lambda y: y * (sigma @ y) - b, x, method="hybr", tol=1e-15)
    x = sol.x
    return x / x.sum()


def inner_box(sigma, b, lam, lo, hi, x0):
    f = lambda x: 0.5 * x @ sigma @ x - lam * b @ np.log(x)
    g = lambda x: sigma @ x - lam * b / x
    lo_eff = np.maximum(lo, 1e-12)
    res = optimize.minimize(f, np.clip(x0, lo_eff, hi), jac=g, method="SLSQP",
                            bounds=list(zip(lo_eff, hi)),
                            options={"ftol": 1e-15, "maxiter": 2000})
    return res.x


def bounded(sigma, b, lo, hi, budget):
    x_u = spinu_unbounded(sigma, b)
    x_u = x_u / np.sqrt(x_u @ sigma @ x_u)  # x(lambda = 1)
    state = {"x": np.clip(x_u, lo, hi)}

    def gap(s):
        x = inner_box(sigma, b, s * s, lo, hi, s * x_u)
        state["x"] = x
        return x.sum() - budget

    s_lo, s_hi = 1e-3, 1e3
    s = optimize.brentq(gap, s_lo, s_hi, xtol=1e-14)
    x = inner_box(sigma, b, s * s, lo, hi, s * x_u)
    # Polish on the active set.
    tol = 1e-7
    at_lo = x <= lo + tol
    at_hi = x >= hi - tol
    free = ~(at_lo | at_hi)
    fixed = np.where(at_lo, lo, np.where(at_hi, hi, 0.0))

    def equations(z):
        xf, lam = z[:-1], z[-1]
        full = fixed.copy()
        full[free] = xf
        r = (sigma @ full)[free] * xf - lam * b[free]
        return np.append(r, full.sum() - budget)

    sol = optimize.root(equations, np.append(x[free], s * s), method="hybr", tol=1e-15)
    full = fixed.copy()
    full[free] = sol.x[:-1]
    lam = sol.x[-1]
    # The polished point must satisfy the KKT signs of the bounded problem.
    grad = sigma @ full - lam * b / full
    assert np.all(grad[at_lo] >= -1e-10) and np.all(grad[at_hi] <= 1e-10), "active set"
    assert np.all(full[free] > lo[free]) and np.all(full[free] < hi[free]), "free set"
    return full, int(at_lo.sum()), int(at_hi.sum())


def factor_covariance(n, seed):
    rng = np.random.default_rng(seed)
    k = max(1, n // 2)
    f = rng.standard_normal((n, k))
    return f @ f.T / k + np.diag(rng.uniform(0.01, 0.05, n))


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    with open(root + "/tests/data/pypfopt/reference.json") as f:
        stock_cov = np.array(json.load(f)["risk_models"]["sample_cov"]["values"])
    cases = []
    rng = np.random.default_rng(11)
    for name, sigma in [("factor_n5", factor_covariance(5, 1)),
                        ("factor_n10", factor_covariance(10, 2)),
                        ("factor_n40", factor_covariance(40, 3)),
                        ("stock_sample_cov", stock_cov)]:
        n = len(sigma)
        for budgets_name, b in [("equal", np.ones(n) / n),
                                ("unequal", rng.uniform(0.2, 3.0, n))]:
            b = b / b.sum()
            w = spinu_unbounded(sigma, b)
            case = {"name": name + "_" + budgets_name, "budgets": b.tolist(),
                    "weights": w.tolist()}
            if not name.startswith("stock"):
                case["covariance"] = sigma.tolist()
            cases.append(case)
    # Bounded cases on the stock covariance.
    n = len(stock_cov)
    bounded_cases = []
    for name, b, lo, hi, budget in [
            ("max_0.06", np.ones(n) / n, np.zeros(n), np.full(n, 0.06), 1.0),
            ("min_0.045", np.ones(n) / n, np.full(n, 0.045), np.ones(n), 1.0),
            ("unequal_0.03_0.09", rng.uniform(0.2, 3.0, n), np.full(n, 0.03), np.full(n, 0.09),
             1.0),
            ("budget_2_max_0.15", np.ones(n) / n, np.zeros(n), np.full(n, 0.15), 2.0)]:
        b = b / b.sum()
        w, n_lo, n_hi = bounded(stock_cov, b, lo, hi, budget)
        bounded_cases.append({"name": name, "budgets": b.tolist(), "lower": lo.tolist(),
                              "upper": hi.tolist(), "budget": budget, "weights": w.tolist(),
                              "at_lower": n_lo, "at_upper": n_hi})
    out = {"meta": {"scipy": scipy.__version__, "numpy": np.__version__,
                    "script": "tests/data/risk_parity/generate.py",
                    "stock_covariance": "tests/data/pypfopt/reference.json risk_models.sample_cov"},
           "unbounded": cases, "bounded": bounded_cases}
    with open(root + "/tests/data/risk_parity/reference.json", "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
