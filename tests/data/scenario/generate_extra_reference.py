#!/usr/bin/python3
"""Independent reference optima for the scenario optimiser's tests (extra_reference.json).

Cases beyond the shared allopy reference (reference.json): the information ratio, CVaR with a
return floor, volatility and CVaR caps together, linear matrix constraints, another percentile,
a user-given CVaR cube, the active options, a rebalanced minimum volatility, another time unit
and an infeasible problem.

Everything here is written from the definitions in docs/scenario.md with NumPy and SciPy only
(no pfopt code):
- metrics: allopy's formulas (numpy.percentile for the CVaR cutoff);
- smooth problems: scipy SLSQP with analytic gradients, tight tolerances, several starts; the
  best feasible answer is kept and the spread of the local answers is recorded;
- CVaR problems: the exact Rockafellar-Uryasev linear program (HiGHS dual simplex) with the
  smooth concave/convex parts outer-approximated by tangent planes, iterated until the LP's
  bound meets the achieved value; and, as a cross-check, SLSQP on the pieces of the CVaR met so
  far (cutting planes of the k-worst-trials mean), iterated until no piece is violated. The two
  methods must agree; the script stops if they do not.

Run from the repository root:  /usr/bin/python3 tests/data/scenario/generate_extra_reference.py
"""
import json
import math
import os
import sys

import numpy as np
from scipy.optimize import linprog, minimize

HERE = os.path.dirname(os.path.abspath(__file__))
CUBE = np.load(os.path.join(HERE, "cube_20x2000x6_seed7.npy"))
T, N, A = CUBE.shape


# --- allopy's definitions ------------------------------------------------------------------

def yearly_covariance(cube, time_unit):
    blocks = cube.shape[0] // time_unit
    covs = []
    for k in range(blocks):
        y = np.prod(1.0 + cube[k * time_unit:(k + 1) * time_unit], axis=0) - 1.0
        covs.append(np.cov(y, rowvar=False, ddof=1))
    return np.mean(covs, axis=0)


class Data:
    def __init__(self, cube, time_unit=4, cvar_cube=None):
        self.cube = cube
        self.time_unit = time_unit
        self.years = cube.shape[0] / time_unit
        self.cov = yearly_covariance(cube, time_unit)
        self.g = np.prod(1.0 + cube, axis=0) - 1.0
        self.cvar_cube = cube[:3 * time_unit] if cvar_cube is None else cvar_cube
        self.gc = np.prod(1.0 + self.cvar_cube, axis=0) - 1.0

    def returns(self, w, rebalance, cvar=False):
        if rebalance:
            c = self.cvar_cube if cvar else self.cube
            return np.prod(1.0 + c @ w, axis=0) - 1.0
        return (self.gc if cvar else self.g) @ w

    def expected(self, w, rebalance=False):
        g = 1.0 + self.returns(w, rebalance)
        return np.mean(np.sign(g) * np.abs(g) ** (1.0 / self.years)) - 1.0

    def expected_grad(self, w, rebalance=False):
        p = 1.0 / self.years
        if not rebalance:
            g = 1.0 + self.g @ w
            return (p * g ** (p - 1.0)) @ self.g / len(g)
        u = 1.0 + self.cube @ w                      # T x N
        growth = np.prod(u, axis=0)                  # N
        inner = np.einsum("tna,tn->na", self.cube, 1.0 / u)
        return (p * growth ** p) @ inner / len(growth)

    def vol(self, w):
        return math.sqrt(max(0.0, w @ self.cov @ w))

    def cvar(self, w, percentile=5.0, rebalance=False):
        """allopy's CVaR: the mean of the returns <= numpy.percentile (ties included)."""
        r = self.returns(w, rebalance, cvar=True)
        cut = np.percentile(r, percentile)
        return float(np.mean(r[r <= cut]))

    def cvar_returns_and_jacobian(self, w, rebalance):
        """Cumulative returns on the CVaR data and their Jacobian (trials x assets)."""
        if not rebalance:
            return self.gc @ w, self.gc
        u = 1.0 + self.cvar_cube @ w                 # T x N
        growth = np.prod(u, axis=0)
        inner = np.einsum("tna,tn->na", self.cvar_cube, 1.0 / u)
        return growth - 1.0, growth[:, None] * inner

    def tail_mean(self, w, percentile=5.0, rebalance=False):
        """The mean of the k = floor(p/100 (N - 1)) + 1 smallest returns (the Rockafellar-Uryasev
        CVaR), which the optimisers use. Equal to allopy's figure unless a trial ties exactly
        with the k-th smallest, as happens at the vertices of the CVaR linear program."""
        r = np.sort(self.returns(w, rebalance, cvar=True))
        return float(np.mean(r[:tail_size(len(r), percentile)]))


def tail_size(n, percentile):
    return int(math.floor((n - 1) * (percentile / 100.0))) + 1


def masked(w):
    v = np.array(w, dtype=float)
    v[0] = 0.0
    return v


MASK = np.ones(A)
MASK[0] = 0.0


# --- a problem, in the terms of the docs ----------------------------------------------------
# goal: ("max", q) / ("min", q) / ("ratio", active); bounds: list of (q, limit); a quantity q is
# (kind, active) with kind in {"ret", "vol", "cvar"}.

def quantity(data, q, w, percentile, rebalance):
    kind, active = q
    v = masked(w) if active else w
    if kind == "ret":
        return data.expected(v, rebalance)
    if kind == "vol":
        return data.vol(v)
    return data.tail_mean(v, percentile, rebalance)


def quantity_grad(data, q, w, rebalance):
    kind, active = q
    v = masked(w) if active else w
    if kind == "ret":
        g = data.expected_grad(v, rebalance)
    else:
        s = data.vol(v)
        g = data.cov @ v / s
    return g * MASK if active else g


def violation(case, data, w):
    viol = 0.0
    for q, limit in case["bounds"]:
        value = quantity(data, q, w, case["percentile"], case["rebalance"])
        viol = max(viol, value - limit if q[0] == "vol" else limit - value)
    viol = max(viol, np.max(case["lb"] - w), np.max(w - case["ub"]))
    if case["sum_to_1"]:
        viol = max(viol, abs(np.sum(w) - 1.0))
    for row, b in zip(case["a_eq"], case["b_eq"]):
        viol = max(viol, abs(row @ w - b))
    for row, b in zip(case["a_in"], case["b_in"]):
        viol = max(viol, row @ w - b)
    return viol


def objective_value(case, data, w):
    kind = case["goal"][0]
    if kind == "ratio":
        active = case["goal"][1]
        v = masked(w) if active else w
        return data.expected(v, case["rebalance"]) / data.vol(v)
    return quantity(data, case["goal"][1], w, case["percentile"], case["rebalance"])


def linear_scipy_constraints(case):
    cons = []
    if case["sum_to_1"]:
        cons.append({"type": "eq", "fun": lambda w: np.sum(w) - 1.0, "jac": lambda w: np.ones(A)})
    for row, b in zip(case["a_eq"], case["b_eq"]):
        cons.append({"type": "eq", "fun": lambda w, r=row, b=b: r @ w - b,
                     "jac": lambda w, r=row: r})
    for row, b in zip(case["a_in"], case["b_in"]):
        cons.append({"type": "ineq", "fun": lambda w, r=row, b=b: b - r @ w,
                     "jac": lambda w, r=row: -r})
    return cons


# --- smooth problems: SLSQP, several starts --------------------------------------------------

def solve_smooth(case, data, extra_cuts=(), starts=12, seed=1):
    reb = case["rebalance"]
    goal = case["goal"]
    sign = -1.0 if goal[0] in ("max", "ratio") else 1.0

    def f(w):
        if goal[0] == "ratio":
            q_ret, q_vol = ("ret", goal[1]), ("vol", goal[1])
            e = quantity(data, q_ret, w, 5.0, reb)
            s = quantity(data, q_vol, w, 5.0, reb)
            ge = quantity_grad(data, q_ret, w, reb)
            gs = quantity_grad(data, q_vol, w, reb)
            return sign * e / s, sign * (ge * s - e * gs) / s ** 2
        q = goal[1]
        return (sign * quantity(data, q, w, 5.0, reb), sign * quantity_grad(data, q, w, reb))

    cons = linear_scipy_constraints(case)
    for q, limit in case["bounds"]:
        if q[0] == "cvar":
            continue
        s = -1.0 if q[0] == "vol" else 1.0  # ineq: s * (q - limit) >= 0
        cons.append({"type": "ineq",
                     "fun": lambda w, q=q, limit=limit, s=s: s * (quantity(data, q, w, 5.0, reb) - limit),
                     "jac": lambda w, q=q, s=s: s * quantity_grad(data, q, w, reb)})
    for grad, limit in extra_cuts:  # linear CVaR pieces: grad . w >= limit
        cons.append({"type": "ineq", "fun": lambda w, g=grad, c=limit: g @ w - c,
                     "jac": lambda w, g=grad: g})
    rng = np.random.default_rng(seed)
    lb, ub = case["lb"], case["ub"]
    results = []
    for s in range(starts):
        if s == 0:
            x0 = np.clip(np.where(np.isfinite(lb + ub), 0.5 * (lb + ub), 1.0 / A), lb, ub)
        else:
            x0 = rng.uniform(np.maximum(lb, -1), np.minimum(ub, 1))
        if case["sum_to_1"] and np.all(lb >= 0):
            x0 = x0 / max(np.sum(x0), 1e-12)
        r = minimize(f, x0, jac=True, method="SLSQP", bounds=list(zip(lb, ub)), constraints=cons,
                     options={"ftol": 1e-16, "maxiter": 3000})
        w = np.clip(r.x, lb, ub)
        results.append((w, violation(case, data, w)))
    feasible = [(objective_value(case, data, w), w) for w, v in results if v <= 1e-10]
    if not feasible:
        raise RuntimeError(case["name"] + ": no feasible SLSQP result")
    best = max(feasible, key=lambda t: t[0]) if sign < 0 else min(feasible, key=lambda t: t[0])
    spread = max(abs(v - best[0]) for v, _ in feasible)
    return best[1], {"method": "SLSQP, analytic gradients, %d starts" % starts,
                     "feasible_starts": len(feasible), "spread_of_feasible_results": spread}


# --- CVaR problems (buy-and-hold): exact RU LP + tangent planes -------------------------------

def solve_ru_lp(case, data, iterations=400):
    """Variables: w (A), s (epigraph of a smooth objective), then per CVaR block (zeta, u_1..u_N)."""
    pct = case["percentile"]
    goal = case["goal"]
    blocks = [(q, limit) for q, limit in case["bounds"] if q[0] == "cvar"]
    cvar_goal = goal[0] == "max" and goal[1][0] == "cvar"
    if cvar_goal:
        blocks = [(goal[1], None)] + blocks
    smooth_goal = not cvar_goal
    nb = len(blocks)
    nvar = A + 1 + nb * (1 + N)
    k = tail_size(data.gc.shape[0], pct)

    def block_offset(b):
        return A + 1 + b * (1 + N)

    c = np.zeros(nvar)
    if cvar_goal:
        off = block_offset(0)
        c[off] = -1.0
        c[off + 1:off + 1 + N] = 1.0 / k
    else:
        c[A] = -1.0 if goal[0] == "max" else 1.0
    a_ub, b_ub = [], []
    for b, (q, limit) in enumerate(blocks):
        off = block_offset(b)
        gc = data.gc * (MASK if q[1] else 1.0)
        # u_i >= zeta - r_i  ->  zeta - G_i w - u_i <= 0
        rows = np.zeros((N, nvar))
        rows[:, :A] = -gc
        rows[:, off] = 1.0
        rows[np.arange(N), off + 1 + np.arange(N)] = -1.0
        a_ub.extend(rows)
        b_ub.extend(np.zeros(N))
        if limit is not None:  # zeta - sum u / k >= limit
            row = np.zeros(nvar)
            row[off] = -1.0
            row[off + 1:off + 1 + N] = 1.0 / k
            a_ub.append(row)
            b_ub.append(-limit)
    for row, bb in zip(case["a_in"], case["b_in"]):
        full = np.zeros(nvar)
        full[:A] = row
        a_ub.append(full)
        b_ub.append(bb)
    a_eq, b_eq = [], []
    if case["sum_to_1"]:
        row = np.zeros(nvar)
        row[:A] = 1.0
        a_eq.append(row)
        b_eq.append(1.0)
    for row, bb in zip(case["a_eq"], case["b_eq"]):
        full = np.zeros(nvar)
        full[:A] = row
        a_eq.append(full)
        b_eq.append(bb)
    bounds = [(lo, hi) for lo, hi in zip(case["lb"], case["ub"])] + [(None, None)]
    for _ in range(nb):
        bounds += [(None, None)] + [(0.0, None)] * N
    if not smooth_goal:
        bounds[A] = (0.0, 0.0)
    smooth_bounds = [(q, limit) for q, limit in case["bounds"] if q[0] != "cvar"]
    cuts_ub, cuts_b = [], []
    w = np.clip(np.where(np.isfinite(case["lb"] + case["ub"]), 0.5 * (case["lb"] + case["ub"]), 0.1),
                case["lb"], case["ub"])
    if smooth_goal:
        bounds[A] = (-10.0, 10.0)
    gap = float("inf")
    for it in range(iterations):
        # Tangent planes at w.
        if smooth_goal:
            q = goal[1]
            val = quantity(data, q, w, pct, False)
            grad = quantity_grad(data, q, w, False)
            row = np.zeros(nvar)
            if goal[0] == "max":  # s <= val + grad (x - w)
                row[A] = 1.0
                row[:A] = -grad
            else:  # s >= val + grad (x - w)  (convex objective)
                row[A] = -1.0
                row[:A] = grad
            cuts_ub.append(row)
            cuts_b.append(val - grad @ w if goal[0] == "max" else -(val - grad @ w))
        for q, limit in smooth_bounds:
            val = quantity(data, q, w, pct, False)
            grad = quantity_grad(data, q, w, False)
            row = np.zeros(nvar)
            if q[0] == "vol":  # val + grad (x - w) <= limit
                row[:A] = grad
                cuts_ub.append(row)
                cuts_b.append(limit - val + grad @ w)
            else:  # ret: val + grad (x - w) >= limit
                row[:A] = -grad
                cuts_ub.append(row)
                cuts_b.append(val - grad @ w - limit)
        res = linprog(c, A_ub=np.array(a_ub + cuts_ub), b_ub=np.array(b_ub + cuts_b),
                      A_eq=np.array(a_eq) if a_eq else None, b_eq=np.array(b_eq) if b_eq else None,
                      bounds=bounds, method="highs-ds",
                      options={"primal_feasibility_tolerance": 1e-10,
                               "dual_feasibility_tolerance": 1e-10})
        if res.status != 0:
            raise RuntimeError(case["name"] + ": LP " + res.message)
        w = np.clip(res.x[:A], case["lb"], case["ub"])
        if not smooth_goal:
            bound_value = -res.fun
            achieved = objective_value(case, data, w)
        else:
            bound_value = res.x[A]
            achieved = objective_value(case, data, w)
        gap = abs(bound_value - achieved)
        smooth_violation = 0.0
        for q, limit in smooth_bounds:
            v = quantity(data, q, w, pct, False)
            smooth_violation = max(smooth_violation, v - limit if q[0] == "vol" else limit - v)
        if gap <= 1e-13 and smooth_violation <= 1e-13:
            break
    return w, {"method": "Rockafellar-Uryasev LP (HiGHS dual simplex) + tangent planes",
               "iterations": it + 1, "final_gap": gap}


def solve_cvar_by_pieces(case, data, rounds=300):
    """Cross-check: SLSQP with the CVaR replaced by the pieces (k-worst subsets) met so far.

    A CVaR objective becomes an epigraph variable t (maximise t, piece . w >= t)."""
    pct = case["percentile"]
    reb = case["rebalance"]
    k = tail_size(data.gc.shape[0], pct)
    cvar_bounds = [(q, limit) for q, limit in case["bounds"] if q[0] == "cvar"]
    cvar_goal = case["goal"][0] == "max" and case["goal"][1][0] == "cvar"
    smooth_bounds = [(q, limit) for q, limit in case["bounds"] if q[0] != "cvar"]
    goal_pieces, bound_pieces = [], []

    def worst_piece(q, w):
        """The k worst trials at w: (subset, their mean return)."""
        v = masked(w) if q[1] else w
        r, _ = data.cvar_returns_and_jacobian(v, reb)
        worst = np.argsort(r, kind="stable")[:k]
        return worst, float(np.mean(r[worst]))

    def piece(q, subset, x):
        """Mean return of `subset` at x and its gradient (rebalanced pieces are nonlinear)."""
        v = masked(x) if q[1] else x
        r, jac = data.cvar_returns_and_jacobian(v, reb)
        grad = jac[subset].mean(axis=0)
        return float(np.mean(r[subset])), grad * MASK if q[1] else grad

    n = A + (1 if cvar_goal else 0)
    lb = np.concatenate([case["lb"], [-1.0] if cvar_goal else []])
    ub = np.concatenate([case["ub"], [1.0] if cvar_goal else []])
    w = np.clip(np.where(np.isfinite(case["lb"] + case["ub"]), 0.5 * (case["lb"] + case["ub"]), 0.1),
                case["lb"], case["ub"])
    for _ in range(rounds):
        if cvar_goal:
            goal_pieces.append(worst_piece(case["goal"][1], w)[0])
        cons = []
        for c in linear_scipy_constraints(case):
            cons.append({"type": c["type"], "fun": lambda x, f=c["fun"]: f(x[:A]),
                         "jac": lambda x, j=c["jac"]: np.concatenate([j(x[:A]), np.zeros(n - A)])})
        for q, limit in smooth_bounds:
            sg = -1.0 if q[0] == "vol" else 1.0
            cons.append({"type": "ineq",
                         "fun": lambda x, q=q, limit=limit, sg=sg: sg * (quantity(data, q, x[:A], pct, reb) - limit),
                         "jac": lambda x, q=q, sg=sg: np.concatenate([sg * quantity_grad(data, q, x[:A], reb), np.zeros(n - A)])})
        for q, subset, limit in bound_pieces:
            cons.append({"type": "ineq",
                         "fun": lambda x, q=q, S=subset, c=limit: piece(q, S, x[:A])[0] - c,
                         "jac": lambda x, q=q, S=subset: np.concatenate([piece(q, S, x[:A])[1], np.zeros(n - A)])})
        for subset in goal_pieces:
            q = case["goal"][1]
            cons.append({"type": "ineq", "fun": lambda x, q=q, S=subset: piece(q, S, x[:A])[0] - x[A],
                         "jac": lambda x, q=q, S=subset: np.concatenate([piece(q, S, x[:A])[1], [-1.0]])})
        if cvar_goal:
            def f(x):
                grad = np.zeros(n)
                grad[A] = -1.0
                return -x[A], grad
        else:
            q = case["goal"][1]
            sign = -1.0 if case["goal"][0] == "max" else 1.0
            def f(x, q=q, sign=sign):
                return (sign * quantity(data, q, x[:A], pct, reb),
                        np.concatenate([sign * quantity_grad(data, q, x[:A], reb), np.zeros(n - A)]))
        x0 = np.concatenate([w, [worst_piece(case["goal"][1], w)[1]] if cvar_goal else []])
        r = minimize(f, x0, jac=True, method="SLSQP", bounds=list(zip(lb, ub)), constraints=cons,
                     options={"ftol": 1e-16, "maxiter": 3000})
        w = np.clip(r.x[:A], case["lb"], case["ub"])
        added = False
        for q, limit in cvar_bounds:
            subset, value = worst_piece(q, w)
            if value < limit - 1e-13:
                bound_pieces.append((q, subset, limit))
                added = True
        if cvar_goal:
            subset, value = worst_piece(case["goal"][1], w)
            if value < r.x[A] - 1e-13:
                added = True
        if not added:
            return w
    raise RuntimeError(case["name"] + ": piece method did not converge")


# --- the cases ------------------------------------------------------------------------------

def base_case(name, optimizer, goal, bounds=(), **kw):
    active = optimizer == "active"
    case = {
        "name": name, "optimizer": optimizer, "goal": goal, "bounds": list(bounds),
        "percentile": kw.get("percentile", 5.0), "rebalance": kw.get("rebalance", False),
        "lb": np.array(kw.get("lb", [1.0] + [0.0] * (A - 1) if active else [0.0] * A)),
        "ub": np.array(kw.get("ub", [1.0] + [0.25] * (A - 1) if active else [1.0] * A)),
        "sum_to_1": kw.get("sum_to_1", not active),
        "a_eq": [np.array(r, dtype=float) for r in kw.get("a_eq", [])], "b_eq": kw.get("b_eq", []),
        "a_in": [np.array(r, dtype=float) for r in kw.get("a_in", [])], "b_in": kw.get("b_in", []),
        "method": kw["method"], "kwargs": kw.get("kwargs", {}), "time_unit": kw.get("time_unit", 4),
        "cvar_cube": kw.get("cvar_cube", "default"), "options": kw.get("options", {}),
    }
    return case


def cases():
    out = []
    out.append(base_case("A_max_info_ratio_active_sum0.5", "active", ("ratio", True),
                         method="maximize_info_ratio", a_eq=[[0, 1, 1, 1, 1, 1]], b_eq=[0.5]))
    out.append(base_case("P_min_cvar_minret0.04", "portfolio", ("max", ("cvar", False)),
                         [(("ret", False), 0.04)], method="minimize_cvar",
                         kwargs={"min_ret": 0.04}))
    out.append(base_case("P_max_ret_maxvol0.09_maxcvar-0.12", "portfolio", ("max", ("ret", False)),
                         [(("vol", False), 0.09), (("cvar", False), -0.12)],
                         method="maximize_returns", kwargs={"max_vol": 0.09, "max_cvar": -0.12}))
    out.append(base_case("P_min_vol_minret0.05_linear", "portfolio", ("min", ("vol", False)),
                         [(("ret", False), 0.05)], method="minimize_volatility",
                         kwargs={"min_ret": 0.05},
                         a_in=[[0, 0, 0, 1, 1, 0], [0, -1, 1, 0, 0, 0]], b_in=[0.35, 0.0],
                         a_eq=[[0, 0, 0, 0, 0, 1]], b_eq=[0.1]))
    out.append(base_case("P_max_sharpe_ub0.3", "portfolio", ("ratio", False),
                         method="maximize_sharpe_ratio", ub=[0.3] * A))
    out.append(base_case("P_min_cvar_p10", "portfolio", ("max", ("cvar", False)),
                         method="minimize_cvar", percentile=10.0, kwargs={"percentile": 10.0}))
    out.append(base_case("A_max_eva_te0.04_active_cvar-0.05", "active", ("max", ("ret", False)),
                         [(("vol", True), 0.04), (("cvar", True), -0.05)], method="maximize_eva",
                         kwargs={"max_vol": 0.04, "max_cvar": -0.05},
                         options={"as_active_cvar": True}))
    out.append(base_case("A_min_vol_active_ret0.03", "active", ("min", ("vol", False)),
                         [(("ret", True), 0.03)], method="minimize_volatility",
                         kwargs={"min_ret": 0.03}, options={"as_active_return": True}))
    out.append(base_case("A_min_te_total_vol", "active", ("min", ("vol", True)),
                         [(("ret", False), 0.07)], method="minimize_tracking_error",
                         kwargs={"min_ret": 0.07}))
    out.append(base_case("P_min_vol_minret0.05_rebal", "portfolio", ("min", ("vol", False)),
                         [(("ret", False), 0.05)], method="minimize_volatility",
                         kwargs={"min_ret": 0.05}, rebalance=True))
    out.append(base_case("P_max_ret_maxcvar-0.15_cvar5y", "portfolio", ("max", ("ret", False)),
                         [(("cvar", False), -0.15)], method="maximize_returns",
                         kwargs={"max_cvar": -0.15}, cvar_cube="full"))
    out.append(base_case("P_max_sharpe_semiannual", "portfolio", ("ratio", False),
                         method="maximize_sharpe_ratio", time_unit=2))
    out.append(base_case("P_min_cvar_rebal", "portfolio", ("max", ("cvar", False)),
                         method="minimize_cvar", rebalance=True))
    out.append(base_case("P_max_ret_maxcvar-0.10_rebal", "portfolio", ("max", ("ret", False)),
                         [(("cvar", False), -0.10)], method="maximize_returns",
                         kwargs={"max_cvar": -0.10}, rebalance=True))
    return out


def data_for(case):
    if case["cvar_cube"] == "full":
        return Data(CUBE, case["time_unit"], cvar_cube=CUBE)
    return Data(CUBE, case["time_unit"])


def to_json(v):
    return [float(x) for x in v]


def main():
    entries = {}
    for case in cases():
        data = data_for(case)
        has_cvar = any(q[0] == "cvar" for q, _ in case["bounds"]) or (case["goal"][0] != "ratio" and case["goal"][1][0] == "cvar")
        if has_cvar and case["rebalance"]:
            # Not convex: cutting planes of the nonlinear pieces with SLSQP, as a local optimum.
            w = solve_cvar_by_pieces(case, data)
            info = {"method": "SLSQP on the k-worst-trial pieces met so far (rebalanced "
                              "returns, local optimum)"}
        elif has_cvar:
            w, info = solve_ru_lp(case, data)
            w2 = solve_cvar_by_pieces(case, data)
            v1, v2 = objective_value(case, data, w), objective_value(case, data, w2)
            if abs(v1 - v2) > 1e-9 * max(1.0, abs(v1)):
                sys.exit("%s: the two CVaR methods disagree: %.15g vs %.15g" % (case["name"], v1, v2))
            info["piece_method_objective"] = v2
            info["piece_method_violation"] = violation(case, data, w2)
            # Keep the better of the two answers that meet every constraint.
            maximise = case["goal"][0] == "max"
            if violation(case, data, w2) <= 1e-10 and (
                    violation(case, data, w) > 1e-10 or (v2 > v1 if maximise else v2 < v1)):
                w = w2
                info["kept"] = "piece method"
            else:
                info["kept"] = "RU LP"
        else:
            w, info = solve_smooth(case, data)
        value = objective_value(case, data, w)
        entry = {
            "inputs": {
                "optimizer": case["optimizer"], "method": case["method"], "kwargs": case["kwargs"],
                "options": case["options"], "rebalance": case["rebalance"],
                "time_unit": case["time_unit"], "cvar_cube": case["cvar_cube"],
                "lower_bounds": to_json(case["lb"]), "upper_bounds": to_json(case["ub"]),
                "sum_to_1": case["sum_to_1"],
                "a_eq": [to_json(r) for r in case["a_eq"]], "b_eq": list(case["b_eq"]),
                "a_in": [to_json(r) for r in case["a_in"]], "b_in": list(case["b_in"]),
            },
            "objective_value": value,
            "allopy_cvar_at_weights": data.cvar(masked(w) if "active_cvar" in case["name"] else w,
                                                case["percentile"], case["rebalance"]),
            "weights": to_json(w),
            "max_violation": violation(case, data, w),
            "solver_info": info,
        }
        entries[case["name"]] = entry
        print("%-36s %.15g  viol %.1e  %s" % (case["name"], value, entry["max_violation"], info))
    # An infeasible request: the volatility cap is below the smallest volatility possible.
    data = Data(CUBE)
    minvol_case = base_case("min_vol", "portfolio", ("min", ("vol", False)),
                            method="minimize_volatility")
    w, _ = solve_smooth(minvol_case, data)
    entries["P_max_ret_maxvol0.02_infeasible"] = {
        "inputs": {"optimizer": "portfolio", "method": "maximize_returns",
                   "kwargs": {"max_vol": 0.02}},
        "smallest_volatility": data.vol(w),
    }
    with open(os.path.join(HERE, "extra_reference.json"), "w") as f:
        json.dump({"title": "Independent optima on the developer cube (generate_extra_reference.py)",
                   "versions": {"numpy": np.__version__,
                                "scipy": __import__("scipy").__version__},
                   "cases": entries}, f, indent=1)


if __name__ == "__main__":
    main()
