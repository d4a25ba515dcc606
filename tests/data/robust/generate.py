#!/usr/bin/python3
"""Seeded robust mean-variance problems solved by cvxopt's cone solver.

Writes reference.json next to this script. Regenerate from the repository root with
    /usr/bin/python3 tests/data/robust/generate.py
(`/usr/bin/python3`: the python3 first on PATH lacks scipy and cvxopt). Deterministic: no
timestamps; floats written with repr.

Definitions (docs/robust.md, docs/api.md "Robust optimisation, precisely"): annualised mu and
Sigma from T observations, n assets.
  ellipsoid: worst-case return WR(w) = mu'w - kappa sqrt(w'(Sigma/T)w),
             kappa = sqrt(scipy.stats.chi2.ppf(confidence, n)) unless given;
  box:       WR(w) = mu'w - z/sqrt(T) sum_i sigma_i |w_i|,
             z = scipy.stats.norm.ppf((1 + confidence)/2) unless given.
Each problem is written as a second-order cone program and solved by cvxopt.solvers.coneqp
(or conelp), tolerances 1e-11, WITHOUT the frontier reduction pfopt uses:
  ellipsoid: an extra variable tau >= ||L'w|| (Sigma = L L'), i.e. the cone [tau; L'w] in
             Q^(n+1); the objective or target uses mu'w - kappa / sqrt(T) tau;
  box:       variables s >= w, s >= -w (always, even for long-only problems), WR = mu'w - c's;
  EFFICIENT_RISK: the cone [target; L'w] in Q^(n+1);
  MAX_SHARPE: homogenised (y = k w, k >= 0): minimise y'Sigma y s.t. WR(y) - rf k >= 1 (a
             convex constraint: WR is concave), every constraint a'w <= b written a'y <= b k.
Objectives: MAX_UTILITY (max WR - delta/2 w'Sigma w - gamma||w||^2), MAX_RETURN (max WR -
gamma||w||^2), EFFICIENT_RISK, EFFICIENT_RETURN (min w'Sigma w s.t. WR >= target), MAX_SHARPE.
Constraints: bounds, budget, sector limits. Each reference records the solver status, the
objective, and WR of its weights.
"""

import json
import os
import platform

import cvxopt
import numpy as np
import scipy
from scipy import stats

cvxopt.solvers.options.update({"show_progress": False, "abstol": 1e-11, "reltol": 1e-11,
                               "feastol": 1e-11, "maxiters": 300})


def market(seed, n):
    rng = np.random.default_rng(seed)
    k = max(1, n // 3)
    loadings = rng.normal(0.0, 1.0, (n, k)) * 0.12
    loadings[:, 0] = np.abs(loadings[:, 0]) + 0.05
    specific = rng.uniform(0.1, 0.3, n) ** 2
    sigma = loadings @ loadings.T + np.diag(specific)
    mu = rng.uniform(0.02, 0.25, n)
    return mu, sigma


def radius(problem, n):
    if "kappa" in problem:
        return problem["kappa"]
    c = problem["confidence"]
    if problem["uncertainty"] == "ELLIPSOIDAL":
        return float(np.sqrt(stats.chi2.ppf(c, n)))
    return float(stats.norm.ppf(0.5 * (1.0 + c)))


def solve(problem, mu, sigma):
    """cvxopt cone program for one problem; returns the weights."""
    n = len(mu)
    T = problem["T"]
    r = radius(problem, n)
    ellipsoid = problem["uncertainty"] == "ELLIPSOIDAL"
    objective = problem["objective"]
    gamma = problem.get("l2_gamma", 0.0)
    delta = problem.get("risk_aversion", 1.0)
    rf = problem.get("risk_free_rate", 0.0)
    L = np.linalg.cholesky(sigma)
    lb = np.array(problem.get("lower_bounds", [0.0] * n))
    ub = np.array(problem.get("upper_bounds", [1.0] * n))
    budget = problem.get("budget", 1.0)
    sharpe = objective == "MAX_SHARPE"
    # Variables: w (n) | extra: tau (ellipsoid) or s (n, box) | k (homogenisation, Sharpe).
    ne = 1 if ellipsoid else n
    nv = n + ne + (1 if sharpe else 0)
    ik = n + ne
    c_box = r / np.sqrt(T) * np.sqrt(np.diag(sigma))
    kappa_t = r / np.sqrt(T)

    def wr_row():  # WR as a linear function of (w, extra)
        row = np.zeros(nv)
        row[:n] = mu
        if ellipsoid:
            row[n] = -kappa_t
        else:
            row[n:n + n] = -c_box
        return row

    lin_rows, lin_rhs = [], []  # G x <= h (orthant)

    def add(row, rhs):
        lin_rows.append(row)
        lin_rhs.append(rhs)

    scale_col = ik if sharpe else None

    def add_w_constraint(coef, rhs):  # coef'w <= rhs (homogenised in Sharpe)
        row = np.zeros(nv)
        row[:n] = coef
        if sharpe:
            row[ik] = -rhs
            add(row, 0.0)
        else:
            add(row, rhs)

    for i in range(n):
        e = np.zeros(n)
        e[i] = 1.0
        if np.isfinite(ub[i]):
            add_w_constraint(e, ub[i])
        if np.isfinite(lb[i]):
            add_w_constraint(-e, -lb[i])
    for name, limit in problem.get("sector_upper", {}).items():
        add_w_constraint(np.array([1.0 if s == name else 0.0 for s in problem["sectors"]]), limit)
    for name, limit in problem.get("sector_lower", {}).items():
        add_w_constraint(np.array([-1.0 if s == name else 0.0 for s in problem["sectors"]]), -limit)
    if not ellipsoid:  # s >= w, s >= -w
        for i in range(n):
            row = np.zeros(nv)
            row[i], row[n + i] = 1.0, -1.0
            add(row, 0.0)
            row = np.zeros(nv)
            row[i], row[n + i] = -1.0, -1.0
            add(row, 0.0)
    if sharpe:
        row = np.zeros(nv)
        row[ik] = -1.0
        add(row, 0.0)  # k >= 0
        add(-wr_row() + np.eye(nv)[ik] * rf, -1.0)  # WR(y) - rf k >= 1
    if objective == "EFFICIENT_RETURN":
        add(-wr_row(), -problem["target_return"])
    A = np.zeros((1, nv))
    A[0, :n] = 1.0
    b = np.array([0.0 if sharpe else budget])
    if sharpe:
        A[0, ik] = -budget
    # Cones.
    cones = []
    blocks_g, blocks_h = [], []
    if ellipsoid:  # [tau; L'w]
        g = np.zeros((n + 1, nv))
        g[0, n] = -1.0
        g[1:, :n] = -L.T
        blocks_g.append(g)
        blocks_h.append(np.zeros(n + 1))
        cones.append(n + 1)
    if objective == "EFFICIENT_RISK":  # [target; L'w]
        g = np.zeros((n + 1, nv))
        g[1:, :n] = -L.T
        h = np.zeros(n + 1)
        h[0] = problem["target_volatility"]
        blocks_g.append(g)
        blocks_h.append(h)
        cones.append(n + 1)
    G = np.vstack([np.array(lin_rows)] + blocks_g)
    h = np.concatenate([np.array(lin_rhs)] + blocks_h)
    dims = {"l": len(lin_rows), "q": cones, "s": []}
    P = np.zeros((nv, nv))
    q = np.zeros(nv)
    if objective == "MAX_UTILITY":
        P[:n, :n] = delta * sigma + 2 * gamma * np.eye(n)
        q = -wr_row()
    elif objective in ("MAX_RETURN", "EFFICIENT_RISK"):
        P[:n, :n] = 2 * gamma * np.eye(n)
        q = -wr_row()
    elif objective in ("EFFICIENT_RETURN", "MAX_SHARPE"):
        P[:n, :n] = 2 * (sigma + gamma * np.eye(n))
    M = cvxopt.matrix
    sol = None
    for tolerance in (1e-11, 1e-10, 1e-9):
        # cvxopt occasionally fails ("domain error") at the tightest tolerances; retry looser.
        cvxopt.solvers.options.update({"abstol": tolerance, "reltol": tolerance,
                                       "feastol": tolerance})
        try:
            if np.any(P):
                sol = cvxopt.solvers.coneqp(M(P), M(q), M(G), M(h), dims, M(A), M(b))
            else:
                sol = cvxopt.solvers.conelp(M(q), M(G), M(h), dims, M(A), M(b))
            break
        except (ValueError, ArithmeticError):
            continue
    cvxopt.solvers.options.update({"abstol": 1e-11, "reltol": 1e-11, "feastol": 1e-11})
    assert sol is not None, problem["id"]
    problem["_tolerance"] = tolerance
    x = np.array(sol["x"]).ravel()
    w = x[:n] / x[ik] if sharpe else x[:n]
    return w, sol["status"], r


def polish(problem, mu, sigma, w0, r):
    """Newton's method on the KKT system of the active set of cvxopt's answer.

    Active: bounds and sector rows within 1e-7 of their limit, box kinks |w_i| < 1e-7 (fixed at
    0), the budget, and the volatility / worst-case-return constraint when within 1e-7. On that
    set the problem is smooth, so Newton on the Lagrangian's stationarity (gradients exact,
    Hessian by central differences of the exact gradient) converges to the exact optimum. The
    polished point is accepted only if every inactive constraint still holds and every
    multiplier has the right sign (a KKT point, hence the optimum of this convex problem);
    otherwise the raw answer is kept. Independent of pfopt's method (no frontier search)."""
    n = len(mu)
    T = problem["T"]
    ellipsoid = problem["uncertainty"] == "ELLIPSOIDAL"
    objective = problem["objective"]
    gamma = problem.get("l2_gamma", 0.0)
    delta = problem.get("risk_aversion", 1.0)
    rf = problem.get("risk_free_rate", 0.0)
    lb = np.array(problem.get("lower_bounds", [0.0] * n))
    ub = np.array(problem.get("upper_bounds", [1.0] * n))
    kt = r / np.sqrt(T)
    cb = kt * np.sqrt(np.diag(sigma))
    tol = 1e-7
    # Signs of the weights (0 where a weight is at 0: there |w_i| is not differentiable and the
    # multiplier of w_i = 0, or of the bound at 0, carries the subgradient of c_i |w_i|).
    sign = np.where(np.abs(w0) < tol, 0.0, np.sign(w0))
    kink = (np.abs(w0) < tol) if not ellipsoid else np.zeros(n, bool)

    def vol(w):
        return np.sqrt(w @ sigma @ w)

    def wr(w):
        return mu @ w - (kt * vol(w) if ellipsoid else cb @ (sign * w))

    def grad_wr(w):
        return mu - (kt * sigma @ w / vol(w) if ellipsoid else cb * sign)

    def phi_grad(w):
        if objective == "MAX_UTILITY":
            return -(grad_wr(w) - delta * sigma @ w - 2 * gamma * w)
        if objective in ("MAX_RETURN", "EFFICIENT_RISK"):
            return -(grad_wr(w) - 2 * gamma * w)
        if objective == "EFFICIENT_RETURN":
            return 2 * sigma @ w + 2 * gamma * w
        v = vol(w)  # MAX_SHARPE: -(WR - rf) / sigma
        return -(grad_wr(w) * v - (wr(w) - rf) * sigma @ w / v) / v ** 2

    # Active linear equalities E w = e (each with its kind, for the multiplier sign).
    candidates = [(np.ones(n), problem.get("budget", 1.0), ("budget", None))]
    for i in range(n):
        e = np.eye(n)[i]
        if abs(w0[i] - lb[i]) < tol:
            candidates.append((e, lb[i], ("lower", i)))
        elif abs(w0[i] - ub[i]) < tol:
            candidates.append((e, ub[i], ("upper", i)))
        elif kink[i]:
            candidates.append((e, 0.0, ("kink", i)))
    sectors = problem.get("sectors", [])
    for name, limit in problem.get("sector_upper", {}).items():
        a = np.array([1.0 if x == name else 0.0 for x in sectors])
        if abs(a @ w0 - limit) < tol:
            candidates.append((a, limit, ("sector_upper", name)))
    for name, limit in problem.get("sector_lower", {}).items():
        a = np.array([1.0 if x == name else 0.0 for x in sectors])
        if abs(a @ w0 - limit) < tol:
            candidates.append((-a, -limit, ("sector_lower", name)))
    # The nonlinear constraint, written g(w) <= 0.
    g, g_grad = None, None
    if objective == "EFFICIENT_RISK" and vol(w0) > problem["target_volatility"] - tol:
        g = lambda w: vol(w) - problem["target_volatility"]
        g_grad = lambda w: sigma @ w / vol(w)
    if objective == "EFFICIENT_RETURN" and wr(w0) < problem["target_return"] + tol:
        g = lambda w: problem["target_return"] - wr(w)
        g_grad = lambda w: -grad_wr(w)

    def newton(active, use_g):
        E = np.array([c[0] for c in active])
        e = np.array([c[1] for c in active])
        gg = g if use_g else None
        m = len(e) + (1 if gg else 0)
        w = w0.copy()
        lam = np.zeros(m)

        def lagrangian_grad(w, lam):
            out = phi_grad(w) + E.T @ lam[:len(e)]
            if gg:
                out = out + lam[-1] * g_grad(w)
            return out

        def residual(w, lam):
            return np.concatenate([lagrangian_grad(w, lam), E @ w - e] + ([[gg(w)]] if gg else []))

        for _ in range(60):
            res = residual(w, lam)
            if np.abs(res).max() < 1e-15:
                break
            h = 1e-6
            H = np.zeros((n, n))
            for j in range(n):
                d = np.zeros(n)
                d[j] = h
                H[:, j] = (lagrangian_grad(w + d, lam) - lagrangian_grad(w - d, lam)) / (2 * h)
            H = 0.5 * (H + H.T)
            J = np.vstack([E] + ([g_grad(w)[None, :]] if gg else []))
            K = np.block([[H, J.T], [J, np.zeros((m, m))]])
            step = np.linalg.lstsq(K, -res, rcond=None)[0]
            w = w + step[:n]
            lam = lam + step[n:]
        return w, lam, np.abs(residual(w, lam)).max()

    # A primal active-set loop: Newton on the active set, then drop the constraint whose
    # multiplier has the wrong sign most (at most n rounds).
    active = list(candidates)
    use_g = g is not None
    for _ in range(n + 2):
        w, lam, residual_norm = newton(active, use_g)
        worst, worst_index = 1e-12, None
        for k, (_, _, kind) in enumerate(active):
            if kind[0] in ("budget", "kink"):
                continue
            # Rows are oriented "a'w <= b" except lower bounds, stored as e_i'w = lb_i. A bound
            # at 0 of the box set also absorbs the subgradient c_i of |w_i| there.
            slack = cb[kind[1]] if (not ellipsoid and kind[0] in ("lower", "upper") and
                                    [lb, ub][kind[0] == "upper"][kind[1]] == 0.0) else 0.0
            violation = lam[k] - slack if kind[0] == "lower" else -lam[k] - slack
            if violation > worst:
                worst, worst_index = violation, k
        if use_g and -lam[-1] > worst:
            worst, worst_index = -lam[-1], "g"
        if worst_index is None:
            break
        if worst_index == "g":
            use_g = False
        else:
            active.pop(worst_index)
    # Accept only a KKT point: stationarity to rounding, every constraint holds, right signs
    # (checked above), and at a box kink the multiplier within the subgradient [-c_i, c_i].
    ok = residual_norm < 1e-12 and worst_index is None
    ok = ok and np.all(w >= lb - 1e-12) and np.all(w <= ub + 1e-12)
    for k, (_, _, kind) in enumerate(active):
        if kind[0] == "kink":
            ok = ok and abs(lam[k]) <= cb[kind[1]] + 1e-12
    if not ellipsoid:
        free = np.array([not any(kind[0] == "kink" and kind[1] == i for _, _, kind in active)
                         for i in range(n)])
        moved = free & (sign != 0)
        ok = ok and np.all(np.sign(w[moved]) == sign[moved]) and np.all(np.abs(w[free & (sign == 0)]) < 1e-12)
    for name, limit in problem.get("sector_upper", {}).items():
        a = np.array([1.0 if x == name else 0.0 for x in sectors])
        ok = ok and a @ w <= limit + 1e-12
    for name, limit in problem.get("sector_lower", {}).items():
        a = np.array([1.0 if x == name else 0.0 for x in sectors])
        ok = ok and a @ w >= limit - 1e-12
    if objective == "EFFICIENT_RISK":
        ok = ok and vol(w) <= problem["target_volatility"] + 1e-12
    if objective == "EFFICIENT_RETURN":
        ok = ok and worst_case(problem, mu, sigma, w, r) >= problem["target_return"] - 1e-12
    return (w, True) if ok else (w0, False)


def worst_case(problem, mu, sigma, w, r):
    T = problem["T"]
    if problem["uncertainty"] == "ELLIPSOIDAL":
        return float(mu @ w - r / np.sqrt(T) * np.sqrt(w @ sigma @ w))
    return float(mu @ w - r / np.sqrt(T) * np.sqrt(np.diag(sigma)) @ np.abs(w))


def objective_value(problem, mu, sigma, w, wr):
    o = problem["objective"]
    gamma = problem.get("l2_gamma", 0.0)
    var = float(w @ sigma @ w)
    if o == "MAX_UTILITY":
        return wr - 0.5 * problem.get("risk_aversion", 1.0) * var - gamma * float(w @ w)
    if o in ("MAX_RETURN", "EFFICIENT_RISK"):
        return wr - gamma * float(w @ w)
    if o == "EFFICIENT_RETURN":
        return var + gamma * float(w @ w)
    return (wr - problem.get("risk_free_rate", 0.0)) / np.sqrt(var)


CASES = []
for uncertainty in ("ELLIPSOIDAL", "BOX"):
    for objective in ("MAX_UTILITY", "MAX_RETURN", "EFFICIENT_RISK", "EFFICIENT_RETURN",
                      "MAX_SHARPE"):
        for variant in ("long_only", "shorts_sectors"):
            CASES.append((uncertainty, objective, variant))


def main():
    problems = []
    # Two EFFICIENT_RISK problems whose volatility target does not bind.
    cases = CASES + [("ELLIPSOIDAL", "EFFICIENT_RISK", "loose_target"),
                     ("BOX", "EFFICIENT_RISK", "loose_target")]
    for index, (uncertainty, objective, variant) in enumerate(cases):
        seed = 100 + index
        n = [5, 8, 12, 20, 30][index % 5]
        mu, sigma = market(seed, n)
        rng = np.random.default_rng(seed + 7)
        problem = {"id": "%s_%s_%s" % (uncertainty.lower(), objective.lower(), variant),
                   "uncertainty": uncertainty, "objective": objective, "n": n,
                   "T": int(rng.integers(60, 1000)), "confidence": [0.9, 0.95, 0.99][index % 3]}
        if index % 4 == 3:
            problem["kappa"] = float(rng.uniform(0.5, 3.0))
        if objective == "MAX_UTILITY":
            problem["risk_aversion"] = float(rng.uniform(1.0, 6.0))
        if objective == "MAX_SHARPE":
            problem["risk_free_rate"] = 0.01
        if objective == "EFFICIENT_RISK":
            problem["target_volatility"] = float(np.sqrt(np.min(np.diag(sigma))) * 0.9)
            if variant == "loose_target":
                problem["target_volatility"] = 2.0
        if objective == "EFFICIENT_RETURN":
            problem["target_return"] = float(np.percentile(mu, 60) * 0.8)
        if variant in ("long_only", "loose_target"):
            problem["upper_bounds"] = [0.5] * n
            if index % 3 == 0 and objective not in ("EFFICIENT_RETURN", "MAX_SHARPE"):
                problem["l2_gamma"] = 0.05
        else:
            problem["lower_bounds"] = [-0.3] * n
            problem["upper_bounds"] = [0.6] * n
            problem["sectors"] = ["S%d" % (i % 3) for i in range(n)]
            problem["sector_upper"] = {"S0": 0.5}
            problem["sector_lower"] = {"S2": 0.1}
            if objective in ("MAX_UTILITY", "MAX_RETURN", "EFFICIENT_RISK") and \
                    uncertainty == "BOX":
                problem["l2_gamma"] = 0.02
        raw, status, r = solve(problem, mu, sigma)
        w, polished = polish(problem, mu, sigma, raw, r)
        wr = worst_case(problem, mu, sigma, w, r)
        problem["expected_returns"] = [float(v) for v in mu]
        problem["covariance"] = [[float(v) for v in row] for row in sigma]
        tolerance = problem.pop("_tolerance")
        problem["reference"] = {
            "solver": "cvxopt.solvers.coneqp/conelp",
            "tolerance": tolerance,
            "status": status,
            "radius": r,
            "polished": polished,
            "raw_max_weight_difference": float(np.abs(raw - w).max()),
            "weights": [float(v) for v in w],
            "worst_case_return": wr,
            "volatility": float(np.sqrt(w @ sigma @ w)),
            "objective": float(objective_value(problem, mu, sigma, w, wr)),
        }
        problems.append(problem)
    out = {"meta": {"command": "/usr/bin/python3 tests/data/robust/generate.py",
                    "versions": {"python": platform.python_version(), "numpy": np.__version__,
                                 "scipy": scipy.__version__, "cvxopt": cvxopt.__version__}},
           "problems": problems}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
