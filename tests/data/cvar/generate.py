#!/usr/bin/python3
"""Seeded CVaR problems and their solutions by independent solvers.

Writes reference.json next to this script. Regenerate from the repository root with
    /usr/bin/python3 tests/data/cvar/generate.py
(`/usr/bin/python3`: the python3 first on PATH lacks scipy and cvxopt). Deterministic: the same
tool versions give a byte-identical file (no timestamps).

Scenario returns are integers times 2^-14 (|k| <= 2^12, so returns within +-25 %), written as
the integers: numpy here and Eigen in the C++ test hold bit-identical matrices. A market is a
factor model with Student-t noise (fat tails, which is what CVaR is for).

Each problem is the Rockafellar-Uryasev program of pfopt's definitions (docs/cvar.md):
    minimise  objective(w) [+ lambda_cvar * (a + 1/K sum_t u_t)]
    s.t.      u_t >= -r_t'w - a, u_t >= 0, K = alpha T,
              sum w = budget, lb <= w <= ub, sector rows, turnover / leverage through
              auxiliary variables, mu'w >= target, a + 1/K sum u <= cvar_limit.
Linear programs are solved by scipy.optimize.linprog with HiGHS (dual simplex, tolerances
1e-10) AND by cvxopt.solvers.lp (interior point, tolerances 1e-11; it often ends "unknown",
short of those); the generator asserts that the two agree (objective within 1e-8) and stores
HiGHS's vertex solution as the reference.
Problems with a quadratic term are solved by cvxopt.solvers.qp (tolerances 1e-11) and, as a
cross-check, by HiGHS on the same problem with the quadratic term replaced by its tangent
planes at cvxopt's solution (sequential linear programming to convergence), so every reference
is confirmed by a second method. For every reference the true CVaR of its weights is recomputed
from the sorted losses (`true_cvar`), as the C++ test does for pfopt's.
"""

import json
import math
import os
import platform

import cvxopt
import numpy as np
import scipy
from scipy import sparse
from scipy.optimize import linprog

SCALE_LOG2 = -14
cvxopt.solvers.options.update({"show_progress": False, "abstol": 1e-11, "reltol": 1e-11,
                               "feastol": 1e-11, "maxiters": 500})


def market(seed, periods, n):
    rng = np.random.default_rng(seed)
    k = max(1, n // 4)
    factors = rng.standard_normal((periods, k)) * 0.01
    loadings = rng.uniform(0.2, 1.2, (n, k))
    noise = rng.standard_t(4, (periods, n)) * 0.006
    drift = rng.uniform(-0.0002, 0.0008, n)
    r = factors @ loadings.T + noise + drift
    ints = np.clip(np.round(r * 2 ** -SCALE_LOG2), -4096, 4096).astype(np.int64)
    returns = ints * 2.0 ** SCALE_LOG2
    mu = 252 * returns.mean(axis=0) + rng.uniform(-0.02, 0.02, n)
    sigma = 252 * np.cov(returns.T, bias=False)
    return ints, returns, mu, sigma


def true_cvar(returns, w, alpha):
    losses = -returns @ w
    periods = len(losses)
    k = alpha * periods
    kf = min(int(math.floor(k)), periods - 1)
    order = np.sort(losses)[::-1]
    var = order[kf]
    return float((order[:kf].sum() + (k - kf) * var) / k), float(var)


class Lp:
    """Variables x = [w (n) | t (n, turnover) | s (n, leverage) | a | u (T)]."""

    def __init__(self, problem, returns, mu):
        self.p = problem
        self.R = returns
        self.mu = mu
        periods, n = returns.shape
        self.n, self.T = n, periods
        self.turn = "turnover_limit" in problem or problem["weights"].get("turnover", 0) > 0
        self.lev = "leverage_limit" in problem
        self.nt = n if self.turn else 0
        self.ns = n if self.lev else 0
        self.ia = n + self.nt + self.ns
        self.nv = self.ia + 1 + periods
        self.K = problem["alpha"] * periods

    def rows(self):
        p, n, T, nv, ia = self.p, self.n, self.T, self.nv, self.ia
        ub_rows, ub_rhs = [], []

        def row(entries, rhs):
            r = np.zeros(nv)
            for j, v in entries:
                r[j] += v
            ub_rows.append(r)
            ub_rhs.append(rhs)

        for name, limit in p.get("sector_upper", {}).items():
            row([(i, 1.0) for i in range(n) if p["sectors"][i] == name], limit)
        for name, limit in p.get("sector_lower", {}).items():
            row([(i, -1.0) for i in range(n) if p["sectors"][i] == name], -limit)
        w0 = np.array(p.get("current_weights", [0.0] * n))
        if self.turn:
            for i in range(n):
                row([(i, 1.0), (n + i, -1.0)], w0[i])
                row([(i, -1.0), (n + i, -1.0)], -w0[i])
            if "turnover_limit" in p:
                row([(n + i, 1.0) for i in range(n)], p["turnover_limit"])
        if self.lev:
            o = n + self.nt
            for i in range(n):
                row([(i, 1.0), (o + i, -1.0)], 0.0)
                row([(i, -1.0), (o + i, -1.0)], 0.0)
            row([(o + i, 1.0) for i in range(n)], p["leverage_limit"])
        if "target_return" in p:
            row([(i, -self.mu[i]) for i in range(n)], -p["target_return"])
        dense = np.array(ub_rows).reshape(-1, nv)
        # Scenario rows: -r_t'w - a - u_t <= 0.
        scen = sparse.hstack([sparse.csr_matrix(-self.R), sparse.csr_matrix((T, self.nt + self.ns)),
                              sparse.csr_matrix(-np.ones((T, 1))), -sparse.identity(T)])
        a_ub = sparse.vstack([sparse.csr_matrix(dense), scen]).tocsr()
        b_ub = np.concatenate([np.array(ub_rhs), np.zeros(T)])
        if "cvar_limit" in p:
            r = np.zeros(nv)
            r[ia] = 1.0
            r[ia + 1:] = 1.0 / self.K
            a_ub = sparse.vstack([a_ub, sparse.csr_matrix(r)]).tocsr()
            b_ub = np.append(b_ub, p["cvar_limit"])
        a_eq = np.zeros((1, nv))
        a_eq[0, :n] = 1.0
        b_eq = np.array([p.get("budget", 1.0)])
        lb = np.array(p.get("lower_bounds", [0.0] * n))
        ub = np.array(p.get("upper_bounds", [1.0] * n))
        bounds = ([(lb[i], ub[i]) for i in range(n)] + [(0, None)] * (self.nt + self.ns) +
                  [(None, None)] + [(0, None)] * T)
        return a_ub, b_ub, a_eq, b_eq, bounds

    def linear_cost(self):
        c = np.zeros(self.nv)
        wts = self.p["weights"]
        c[:self.n] -= wts.get("return", 0.0) * self.mu
        if self.turn:
            c[self.n:self.n + self.nt] = wts.get("turnover", 0.0)
        lc = wts.get("cvar", 0.0)
        c[self.ia] = lc
        c[self.ia + 1:] = lc / self.K
        return c

    def quadratic(self, sigma):
        wts = self.p["weights"]
        P = np.zeros((self.nv, self.nv))
        P[:self.n, :self.n] = 2 * wts.get("variance", 0.0) * sigma + 2 * wts.get("l2", 0.0) * np.eye(self.n)
        return P

    def highs(self, c):
        a_ub, b_ub, a_eq, b_eq, bounds = self.rows()
        res = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds,
                      method="highs-ds",
                      options={"primal_feasibility_tolerance": 1e-10,
                               "dual_feasibility_tolerance": 1e-10, "presolve": True})
        assert res.status == 0, res.message
        return res.x, res.fun

    def cvxopt_form(self):
        a_ub, b_ub, a_eq, b_eq, bounds = self.rows()
        g = [a_ub.toarray()]
        h = [b_ub]
        for j, (lo, hi) in enumerate(bounds):
            if lo is not None and np.isfinite(lo):
                r = np.zeros(self.nv)
                r[j] = -1.0
                g.append(r[None, :])
                h.append([-lo])
            if hi is not None and np.isfinite(hi):
                r = np.zeros(self.nv)
                r[j] = 1.0
                g.append(r[None, :])
                h.append([hi])
        G = np.vstack(g)
        hv = np.concatenate([np.asarray(x, dtype=float).ravel() for x in h])
        return (cvxopt.sparse(cvxopt.matrix(G)), cvxopt.matrix(hv), cvxopt.matrix(a_eq),
                cvxopt.matrix(b_eq))

    def cvxopt_lp(self, c):
        G, h, A, b = self.cvxopt_form()
        sol = cvxopt.solvers.lp(cvxopt.matrix(c), G, h, A, b, solver=None)
        return np.array(sol["x"]).ravel(), sol["primal objective"], sol["status"]

    def cvxopt_qp(self, P, c):
        G, h, A, b = self.cvxopt_form()
        sol = cvxopt.solvers.qp(cvxopt.matrix(P), cvxopt.matrix(c), G, h, A, b)
        x = np.array(sol["x"]).ravel()
        return x, 0.5 * x @ P @ x + c @ x, sol["status"]


def objective_value(problem, returns, mu, sigma, w):
    wts = problem["weights"]
    cvar, _ = true_cvar(returns, w, problem["alpha"])
    w0 = np.array(problem.get("current_weights", [0.0] * len(w)))
    return (-wts.get("return", 0.0) * mu @ w + wts.get("variance", 0.0) * w @ sigma @ w +
            wts.get("cvar", 0.0) * cvar + wts.get("turnover", 0.0) * np.abs(w - w0).sum() +
            wts.get("l2", 0.0) * w @ w)


PROBLEMS = [
    # id, seed, T, n, alpha, weights, extra constraints
    ("min_cvar_long_only", 11, 500, 10, 0.05, {"cvar": 1.0}, {}),
    ("min_cvar_bounds_sectors", 12, 1000, 20, 0.05, {"cvar": 1.0},
     {"upper_bounds": 0.2, "sectors": 4, "sector_upper": {"S0": 0.35}, "sector_lower": {"S3": 0.3}}),
    ("efficient_return", 13, 1000, 20, 0.1, {"cvar": 1.0}, {"target": 0.5}),
    ("efficient_risk", 14, 500, 10, 0.05, {"return": 1.0}, {"cvar_factor": 1.3}),
    ("turnover_limit", 15, 500, 15, 0.05, {"cvar": 1.0}, {"turnover_limit": 0.3}),
    ("shorts_leverage", 16, 800, 12, 0.05, {"cvar": 1.0},
     {"lower_bounds": -0.5, "leverage_limit": 1.6}),
    ("market_neutral", 17, 600, 8, 0.05, {"cvar": 1.0},
     {"budget": 0.0, "lower_bounds": -1.0, "target_abs": 0.1}),
    ("large_2000x30", 18, 2000, 30, 0.05, {"cvar": 1.0}, {}),
    ("alpha_0.01", 19, 2000, 20, 0.01, {"cvar": 1.0}, {}),
    ("k_below_one", 20, 60, 6, 0.01, {"cvar": 1.0}, {}),
    ("multi_return_variance_cvar", 21, 300, 8, 0.05,
     {"return": 1.0, "variance": 2.0, "cvar": 1.0}, {}),
    ("multi_variance_cvar_turnover_l2", 22, 300, 10, 0.05,
     {"variance": 1.0, "cvar": 5.0, "turnover": 0.01, "l2": 0.1}, {"current": True}),
    ("min_cvar_l2", 23, 400, 10, 0.05, {"cvar": 1.0, "l2": 0.5}, {}),
    ("min_variance_cvar_limit", 24, 400, 10, 0.05, {"variance": 1.0}, {"cvar_factor": 1.05}),
    ("multi_return_turnover", 25, 400, 12, 0.05, {"return": 1.0, "cvar": 2.0, "turnover": 0.05},
     {"current": True, "upper_bounds": 0.3}),
]


def build(entry):
    pid, seed, periods, n, alpha, weights, extra = entry
    ints, returns, mu, sigma = market(seed, periods, n)
    problem = {"id": pid, "seed": seed, "alpha": alpha, "weights": weights}
    if "upper_bounds" in extra:
        problem["upper_bounds"] = [extra["upper_bounds"]] * n
    if "lower_bounds" in extra:
        problem["lower_bounds"] = [extra["lower_bounds"]] * n
        problem.setdefault("upper_bounds", [1.0] * n)
    if "sectors" in extra:
        problem["sectors"] = ["S%d" % (i % extra["sectors"]) for i in range(n)]
        problem["sector_upper"] = extra["sector_upper"]
        problem["sector_lower"] = extra["sector_lower"]
    if "budget" in extra:
        problem["budget"] = extra["budget"]
    if "turnover_limit" in extra or extra.get("current"):
        rng = np.random.default_rng(seed + 1000)
        w0 = rng.dirichlet(np.ones(n))
        problem["current_weights"] = [float(x) for x in w0]
    if "turnover_limit" in extra:
        problem["turnover_limit"] = extra["turnover_limit"]
    if "leverage_limit" in extra:
        problem["leverage_limit"] = extra["leverage_limit"]
    base = dict(problem)
    if "target" in extra or "target_abs" in extra or "cvar_factor" in extra:
        # Targets relative to what is attainable: solve min CVaR and max return first.
        lp0 = Lp(dict(base, weights={"cvar": 1.0}), returns, mu)
        x0, _ = lp0.highs(lp0.linear_cost())
        w_min = x0[:n]
        lp1 = Lp(dict(base, weights={"return": 1.0}), returns, mu)
        x1, _ = lp1.highs(lp1.linear_cost())
        r_lo, r_hi = float(mu @ w_min), float(mu @ x1[:n])
        if "target" in extra:
            problem["target_return"] = r_lo + extra["target"] * (r_hi - r_lo)
        if "target_abs" in extra:
            problem["target_return"] = extra["target_abs"]
        if "cvar_factor" in extra:
            problem["cvar_limit"] = true_cvar(returns, w_min, alpha)[0] * extra["cvar_factor"]
    lp = Lp(problem, returns, mu)
    c = lp.linear_cost()
    quadratic = weights.get("variance", 0.0) > 0 or weights.get("l2", 0.0) > 0
    if not quadratic:
        x, fun = lp.highs(c)
        xc, func, status = lp.cvxopt_lp(c)
        solver = "scipy.optimize.linprog HiGHS dual simplex"
        cross = {"solver": "cvxopt.solvers.lp", "status": status,
                 "objective_difference": abs(fun - func),
                 "max_weight_difference": float(np.abs(x[:n] - xc[:n]).max())}
        assert abs(fun - func) < 1e-8, (pid, fun, func)
    else:
        P = lp.quadratic(sigma)
        x, fun, status = lp.cvxopt_qp(P, c)
        solver = "cvxopt.solvers.qp (status %s)" % status
        # Cross-check: sequential LP with HiGHS, the quadratic replaced by tangent cuts
        # z >= f(x_k) + grad f(x_k)'(x - x_k) (Kelley, to convergence).
        cross = sequential_lp(lp, P, c, x)
        assert cross["objective_difference"] < 1e-7, (pid, cross)
    w = x[:n]
    cvar, var = true_cvar(returns, w, alpha)
    problem["reference"] = {
        "solver": solver,
        "weights": [float(v) for v in w],
        "objective": float(objective_value(problem, returns, mu, sigma, w)),
        "solver_objective": float(fun),
        "true_cvar": cvar,
        "var": var,
        "expected_return": float(mu @ w),
        "cross_check": cross,
    }
    problem["scenarios"] = ints.tolist()
    problem["expected_returns"] = [float(v) for v in mu]
    problem["covariance"] = [[float(v) for v in row] for row in sigma]
    return problem


def sequential_lp(lp, P, c, x_ref):
    n = lp.n
    a_ub, b_ub, a_eq, b_eq, bounds = lp.rows()
    cuts = []
    x = x_ref.copy()
    best = None
    for _ in range(200):
        g = P @ x
        fx = 0.5 * x @ P @ x
        cuts.append((g, fx - g @ x))
        # variables [x | z]; min c'x + z s.t. z >= g'x + const
        rows = sparse.vstack([sparse.hstack([a_ub, sparse.csr_matrix((a_ub.shape[0], 1))]),
                              sparse.csr_matrix(np.array([np.append(gk, -1.0) for gk, _ in cuts]))])
        rhs = np.concatenate([b_ub, [-ck for _, ck in cuts]])
        aeq = np.hstack([a_eq, np.zeros((1, 1))])
        res = linprog(np.append(c, 1.0), A_ub=rows, b_ub=rhs, A_eq=aeq, b_eq=b_eq,
                      bounds=bounds + [(None, None)], method="highs-ds",
                      options={"primal_feasibility_tolerance": 1e-10,
                               "dual_feasibility_tolerance": 1e-10})
        x = res.x[:-1]
        lower = res.fun
        upper = 0.5 * x @ P @ x + c @ x
        best = upper if best is None else min(best, upper)
        if best - lower < 1e-9:
            break
    ref = 0.5 * x_ref @ P @ x_ref + c @ x_ref
    return {"solver": "HiGHS sequential LP (tangent cuts of the quadratic)",
            "lower_bound": float(lower), "objective_difference": float(abs(ref - lower)),
            "reference_minus_lower_bound": float(ref - lower)}


def main():
    problems = [build(entry) for entry in PROBLEMS]
    out = {
        "meta": {
            "command": "/usr/bin/python3 tests/data/cvar/generate.py",
            "versions": {"python": platform.python_version(), "numpy": np.__version__,
                         "scipy": scipy.__version__, "cvxopt": cvxopt.__version__},
            "scale_log2": SCALE_LOG2,
            "definitions": "returns = scenarios * 2^scale_log2; loss = -r'w; K = alpha T; "
                           "CVaR = (sum of the floor(K) largest losses + (K - floor K) * next) / K; "
                           "objective = -l_return mu'w + l_variance w'Sw + l_cvar CVaR + "
                           "l_turnover sum|w - w0| + l_l2 ||w||^2",
        },
        "problems": problems,
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
