#!/usr/bin/python3
"""Seeded random portfolio QPs and their solutions by independent solvers.

Writes, next to this script:
  markets.json    the random markets (factor-model covariance, expected returns), one per
                  (n, seed), stored losslessly (see "Covariance" below);
  reference.json  the problems (family, objective, constraints) and for each one the reference
                  solution: weights, objective value, solver, status, KKT residuals, which
                  constraints bind, and a cross-check by a second method.

Regenerate (from the repository root; needs R with quadprog, and python3-cvxopt/numpy):
  /usr/bin/python3 tests/data/random_qp/generate.py

The output is deterministic: the same tool versions give byte-identical files (no timestamps).

Covariance. Sigma = M M' * 2^-28 + diag(d), with M an n x k matrix of integers (k = max(1, n/2)
factors, |M_ij| < 2^15) and d > 0 stored as doubles. Every partial sum of M M' is an integer
below 2^53, so M M' is exact in double arithmetic in any summation order, the scaling by 2^-28
is exact, and adding d is one correctly rounded addition: numpy here and Eigen in the C++ test
build bit-identical matrices, and the data stay small (the full 500 x 500 covariance in decimal
would be ~6 MB on its own). Volatilities are 10-40 % a year, 30-80 % of the variance systematic,
with a common "market" factor (positive first-factor loadings).

Families (per market):
  long_only  MIN_VOLATILITY, 0 <= w <= 1 (pfopt's defaults: no bounds are passed), sum w = 1.
  boxed      MAX_UTILITY (delta in [2, 5]), w <= u = c/n with c in [2.5, 3], and a positive
             floor 0.25/n on about a fifth of the assets (the others 0).
  sectors    3-6 sectors; caps at 75 % / 85 % of the unconstrained weight of the two largest
             sectors and a floor above the unconstrained weight of the smallest one.
             MIN_VOLATILITY (odd seeds) or EFFICIENT_RETURN (even seeds; target half way between
             the constrained min-volatility return and the constrained maximum return).
  turnover   MAX_UTILITY (delta in [2, 5]), 0 <= w <= 1, a random fully invested current
             portfolio w0 > 0 and sum |w - w0| <= T with T = min(U(0.1, 0.3), half the
             distance to the turnover-free optimum).
Every limit a family is about is checked to bind with a positive multiplier in the reference.

Reference solvers. Each problem's reference is the final active set of an independent solver,
whose KKT system is then solved exactly ("polished": numpy, iterative refinement with residuals
in x86 extended precision); the point is accepted only if it is a KKT point at rounding level
(primal feasibility, stationarity, complementarity and multiplier signs all <= 1e-12), which
proves it optimal, and unique in w since Sigma is positive definite. The solver's raw answer
is stored beside it (`raw_weights`, `raw_kkt`, `raw_max_weight_diff`).
  long_only, boxed, sectors: R quadprog::solve.QP (Goldfarb-Idnani dual active set), called
    once for all problems through Rscript; data go both ways as raw little-endian doubles (no
    decimal conversion); the active set is quadprog's `iact`. Raw quadprog answers are within
    ~1e-13 of the polished ones (it leaves bounds violated by up to ~3e-13 at n = 500).
    Cross-check: cvxopt (tolerances 1e-12) polished on its own active set.
  turnover: the epigraph form over x = [w | t], t_i >= |w_i - w0_i|, sum t <= T, has a singular
    Hessian, which quadprog rejects; it is solved by cvxopt.solvers.qp with abstol = reltol =
    feastol = 1e-12 and maxiters 400, and the active set taken where z_i > s_i (cvxopt often
    stalls short of 1e-12, status "unknown"; its raw answers are within ~2e-8). If polishing
    failed the raw answer would be recorded and the `solver` field would say so.
    Cross-check: quadprog on the split form w = w0 + u - v, u, v >= 0 with a ridge 1e-10 I on
    (u, v) (needed for quadprog; it moves the answer by ~1e-10 to 1e-8, so it is a cross-check
    only).
"""

import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np
import cvxopt
import cvxopt.solvers

HERE = os.path.dirname(os.path.abspath(__file__))
COMMAND = "/usr/bin/python3 tests/data/random_qp/generate.py"

SIZES = [5, 10, 20, 50, 100, 200, 500]
SEEDS_PER_SIZE = {5: 3, 10: 3, 20: 3, 50: 2, 100: 2, 200: 2, 500: 1}
SCALE_LOG2 = -28  # Sigma = M M' * 2^SCALE_LOG2 + diag(d)
LOADING_BITS = 14  # M = round(F * 2^14)
ROOT_SEED = 20240611

CVXOPT_TIGHT = {"abstol": 1e-12, "reltol": 1e-12, "feastol": 1e-12, "maxiters": 400,
                "show_progress": False}
CVXOPT_DESIGN = {"abstol": 1e-10, "reltol": 1e-10, "feastol": 1e-10, "maxiters": 200,
                 "show_progress": False}

# Acceptance of a polished KKT point (absolute; the data are O(1) weights and O(0.1) Sigma).
POLISH_TOL = 1e-12


# --------------------------------------------------------------------------------------------
# Markets


def make_market(n, seed_index):
    rng = np.random.default_rng([ROOT_SEED, n, seed_index, 0])
    k = max(1, n // 2)
    vol = rng.uniform(0.10, 0.40, n)
    systematic = rng.uniform(0.3, 0.8, n)
    g = rng.standard_normal((n, k))
    g[:, 0] = np.abs(g[:, 0]) + 1.0  # common market factor: positive correlations on average
    g *= np.sqrt(systematic * vol**2 / (g**2).sum(axis=1))[:, None]
    loadings = np.rint(g * 2.0**LOADING_BITS).astype(np.int64)
    assert np.abs(loadings).max() < 2**15
    specific = (1.0 - systematic) * vol**2
    mu = rng.uniform(0.02, 0.25, n)
    market = {"id": "n%03d_s%d" % (n, seed_index), "n": n, "k": k, "seed_index": seed_index,
              "loadings": loadings, "specific_variance": specific, "expected_returns": mu}
    market["sigma"] = covariance(market)
    return market


def covariance(market):
    m = market["loadings"]
    mm = m @ m.T  # int64, exact
    assert np.abs(mm).max() < 2**53
    sigma = mm.astype(np.float64) * 2.0**SCALE_LOG2
    sigma[np.diag_indices_from(sigma)] += market["specific_variance"]
    return sigma


# --------------------------------------------------------------------------------------------
# QP data: minimise 1/2 x'Px + q'x  s.t.  A x = b,  G x <= h  (bounds are rows of G).


class Qp:
    def __init__(self, nx):
        self.nx = nx
        self.P = np.zeros((nx, nx))
        self.q = np.zeros(nx)
        self.A, self.b = [], []
        self.G, self.h, self.labels = [], [], []

    def eq(self, row, rhs):
        self.A.append(np.asarray(row, dtype=float))
        self.b.append(float(rhs))

    def le(self, row, rhs, label):
        self.G.append(np.asarray(row, dtype=float))
        self.h.append(float(rhs))
        self.labels.append(label)

    def finish(self):
        self.A = np.array(self.A).reshape(len(self.b), self.nx)
        self.b = np.array(self.b)
        self.G = np.array(self.G).reshape(len(self.h), self.nx)
        self.h = np.array(self.h)
        return self


def build_qp(market, prob):
    """The problem as a QP over x = [w] or, with turnover, x = [w | t]."""
    n = market["n"]
    sigma, mu = market["sigma"], market["expected_returns"]
    c = prob["constraints"]
    turnover = "turnover_limit" in c
    nx = 2 * n if turnover else n
    qp = Qp(nx)
    obj = prob["objective"]
    if obj in ("MIN_VOLATILITY", "EFFICIENT_RETURN"):
        qp.P[:n, :n] = 2.0 * sigma
    elif obj == "MAX_UTILITY":
        qp.P[:n, :n] = prob["risk_aversion"] * sigma
        qp.q[:n] = -mu
    else:
        raise ValueError(obj)
    e = np.eye(nx)
    row = np.zeros(nx)
    row[:n] = 1.0
    qp.eq(row, c.get("budget", 1.0))
    lower = c.get("lower_bounds", [0.0] * n)
    upper = c.get("upper_bounds", [1.0] * n)
    for i in range(n):
        qp.le(-e[i], -lower[i], ("bounds", "lower[%d]" % i))
    for i in range(n):
        qp.le(e[i], upper[i], ("bounds", "upper[%d]" % i))
    if "sectors" in c:
        for name, limit in c.get("sector_upper", {}).items():
            row = np.zeros(nx)
            row[:n] = [1.0 if s == name else 0.0 for s in c["sectors"]]
            qp.le(row, limit, ("sectors", "sector_upper[%s]" % name))
        for name, limit in c.get("sector_lower", {}).items():
            row = np.zeros(nx)
            row[:n] = [-1.0 if s == name else 0.0 for s in c["sectors"]]
            qp.le(row, -limit, ("sectors", "sector_lower[%s]" % name))
    if obj == "EFFICIENT_RETURN":
        row = np.zeros(nx)
        row[:n] = -mu
        qp.le(row, -prob["target_return"], ("target", "target_return"))
    if turnover:
        w0 = np.asarray(c["current_weights"])
        for i in range(n):  # w_i - t_i <= w0_i, -w_i - t_i <= -w0_i
            row = np.zeros(nx)
            row[i], row[n + i] = 1.0, -1.0
            qp.le(row, w0[i], ("turnover", "up[%d]" % i))
            row = np.zeros(nx)
            row[i], row[n + i] = -1.0, -1.0
            qp.le(row, -w0[i], ("turnover", "down[%d]" % i))
        row = np.zeros(nx)
        row[n:] = 1.0
        qp.le(row, c["turnover_limit"], ("turnover", "turnover_limit"))
    return qp.finish()


SPLIT_RIDGE = 1e-10


def build_split_qp(market, prob):
    """Turnover cross-check for quadprog: x = [u | v] >= 0, w = w0 + u - v, sum(u + v) <= T,
    with a ridge SPLIT_RIDGE * I on x (the split form's Hessian B'(delta Sigma)B is singular,
    which quadprog rejects). The ridge moves the answer by ~1e-10; only a cross-check."""
    n = market["n"]
    sigma, mu = market["sigma"], market["expected_returns"]
    c = prob["constraints"]
    delta = prob["risk_aversion"]
    w0 = np.asarray(c["current_weights"])
    split = np.hstack([np.eye(n), -np.eye(n)])
    qp = Qp(2 * n)
    qp.P = delta * split.T @ sigma @ split + SPLIT_RIDGE * np.eye(2 * n)
    qp.q = split.T @ (delta * sigma @ w0 - mu)
    qp.eq(split.sum(axis=0), c.get("budget", 1.0) - w0.sum())
    for i in range(2 * n):
        qp.le(-np.eye(2 * n)[i], 0.0, ("split", "nonnegative"))
    for i in range(n):
        qp.le(-split[i], w0[i], ("bounds", "lower[%d]" % i))
        qp.le(split[i], 1.0 - w0[i], ("bounds", "upper[%d]" % i))
    qp.le(np.ones(2 * n), c["turnover_limit"], ("turnover", "turnover_limit"))
    return qp.finish(), w0, split


def objective_value(market, prob, w):
    sigma, mu = market["sigma"], market["expected_returns"]
    variance = float(w @ sigma @ w)
    if prob["objective"] == "MAX_UTILITY":
        return float(mu @ w) - prob["risk_aversion"] / 2.0 * variance
    return variance


# --------------------------------------------------------------------------------------------
# Solvers, KKT checks, polishing


def solve_cvxopt(qp, opts):
    cvxopt.solvers.options.clear()
    cvxopt.solvers.options.update(opts)
    m = cvxopt.matrix
    res = cvxopt.solvers.qp(m(qp.P), m(qp.q), m(qp.G), m(qp.h), m(qp.A), m(qp.b))
    x = np.array(res["x"]).ravel()
    return {"status": res["status"], "x": x, "y": np.array(res["y"]).ravel(),
            "z": np.array(res["z"]).ravel(), "s": np.array(res["s"]).ravel(),
            "iterations": int(res["iterations"])}


def kkt(qp, x, y, z):
    """Residuals of a candidate (x, y, z); stationarity Px + q + A'y + G'z = 0, z >= 0."""
    slack = qp.h - qp.G @ x
    scale_h = np.maximum(1.0, np.abs(qp.h))
    return {
        "primal": float(max(np.max(np.maximum(-slack, 0.0) / scale_h, initial=0.0),
                            np.max(np.abs(qp.A @ x - qp.b), initial=0.0))),
        "dual": float(np.max(np.abs(qp.P @ x + qp.q + qp.A.T @ y + qp.G.T @ z))),
        "complementarity": float(np.max(np.abs(z * slack), initial=0.0)),
        "dual_sign": float(max(0.0, -np.min(z, initial=0.0))),
    }


def kkt_ok(r, tol=POLISH_TOL):
    return max(r.values()) <= tol


def solve_active_set(qp, active):
    """Solves the KKT system with the rows `active` of G held at equality. Returns x, y, z."""
    nx, p = qp.nx, len(qp.b)
    active = sorted(active)
    c = np.vstack([qp.A, qp.G[active]])
    rhs_c = np.concatenate([qp.b, qp.h[active]])
    k = np.block([[qp.P, c.T], [c, np.zeros((len(rhs_c), len(rhs_c)))]])
    rhs = np.concatenate([-qp.q, rhs_c])
    try:
        sol = np.linalg.solve(k, rhs)
        if not np.all(np.isfinite(sol)):
            raise np.linalg.LinAlgError("not finite")
        solver = np.linalg.solve
    except np.linalg.LinAlgError:
        sol = np.linalg.lstsq(k, rhs, rcond=None)[0]
        solver = lambda mat, r: np.linalg.lstsq(mat, r, rcond=None)[0]
    # Iterative refinement with residuals in extended precision (x86 long double).
    kl, rl = k.astype(np.longdouble), rhs.astype(np.longdouble)
    for _ in range(3):
        r = rl - kl @ sol.astype(np.longdouble)
        sol = sol + solver(k, r.astype(np.float64))
    x = sol[:nx]
    y = sol[nx:nx + p]
    z = np.zeros(len(qp.h))
    z[active] = sol[nx + p:]
    return x, y, z


def polish(qp, active):
    """Active-set polishing from an initial guess of the active set: solve the equality KKT
    system, then repair it (drop the most negative multiplier / add the most violated row)
    until the point is a KKT point. Returns (x, y, z, kkt, active, ok)."""
    active = set(int(i) for i in active)
    best = None
    for _ in range(50):
        x, y, z = solve_active_set(qp, active)
        r = kkt(qp, x, y, z)
        if best is None or max(r.values()) < max(best[3].values()):
            best = (x, y, z, r, sorted(active))
        if kkt_ok(r):
            return x, y, z, r, sorted(active), True
        slack = qp.h - qp.G @ x
        viol = np.where(slack < -POLISH_TOL, -slack, 0.0)
        neg = np.where(z < -POLISH_TOL, -z, 0.0)
        if neg.max(initial=0.0) >= viol.max(initial=0.0) and neg.max(initial=0.0) > 0:
            active.discard(int(np.argmax(neg)))
        elif viol.max(initial=0.0) > 0:
            active.add(int(np.argmax(viol)))
        else:
            break  # residuals not at rounding level for another reason (degenerate system)
    x, y, z, r, act = best
    return x, y, z, r, act, False


def binding(qp, x, z, tol_slack=1e-9, tol_mult=1e-9):
    """Number of G rows that hold at equality with a positive multiplier, by label group."""
    slack = qp.h - qp.G @ x
    out = {}
    for i, (group, name) in enumerate(qp.labels):
        if slack[i] <= tol_slack and z[i] > tol_mult:
            key = group
            if group == "bounds":
                key = "lower_bounds" if name.startswith("lower") else "upper_bounds"
            if group == "sectors":
                key = name.split("[")[0]  # sector_upper / sector_lower
            if group == "turnover":
                key = "turnover_limit" if name == "turnover_limit" else "turnover_rows"
            out[key] = out.get(key, 0) + 1
    return dict(sorted(out.items()))


R_SCRIPT = r"""
suppressMessages(library(quadprog))
dir <- commandArgs(trailingOnly = TRUE)[1]
man <- read.table(file.path(dir, "manifest.txt"), header = FALSE, stringsAsFactors = FALSE)
rd <- function(name, len) {
  readBin(file.path(dir, name), what = "double", n = len, size = 8, endian = "little")
}
for (r in seq_len(nrow(man))) {
  id <- man[r, 1]; n <- man[r, 2]; m <- man[r, 3]; meq <- man[r, 4]
  D <- matrix(rd(paste0(id, ".D"), n * n), n, n)
  d <- rd(paste0(id, ".d"), n)
  A <- matrix(rd(paste0(id, ".A"), n * m), n, m)
  b0 <- rd(paste0(id, ".b0"), m)
  res <- tryCatch(solve.QP(D, d, A, b0, meq = meq), error = function(e) e)
  con <- file(file.path(dir, paste0(id, ".out")), "wb")
  if (inherits(res, "error")) {
    writeBin(c(0, rep(NaN, n + m + 3)), con, size = 8, endian = "little")
    cat(id, ": quadprog error: ", conditionMessage(res), "\n", sep = "")
  } else {
    writeBin(c(1, res$solution, res$Lagrangian, res$value, res$iterations[1],
               length(res$iact), res$iact), con, size = 8, endian = "little")
  }
  close(con)
}
cat(R.version.string, "\n", sep = "")
cat("quadprog ", as.character(packageVersion("quadprog")), "\n", sep = "")
"""


def solve_quadprog_batch(items):
    """items: list of (id, qp). Returns ({id: result}, R version, quadprog version)."""
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        lines = []
        for pid, qp in items:
            # quadprog: min -d'x + 1/2 x'Dx  s.t.  A'x >= b0, the first meq columns equalities.
            amat = np.hstack([qp.A.T, -qp.G.T])
            b0 = np.concatenate([qp.b, -qp.h])
            np.ascontiguousarray(qp.P.T).astype("<f8").tofile(os.path.join(tmp, pid + ".D"))
            (-qp.q).astype("<f8").tofile(os.path.join(tmp, pid + ".d"))
            np.ascontiguousarray(amat.T).astype("<f8").tofile(os.path.join(tmp, pid + ".A"))
            b0.astype("<f8").tofile(os.path.join(tmp, pid + ".b0"))
            lines.append("%s %d %d %d" % (pid, qp.nx, amat.shape[1], len(qp.b)))
        with open(os.path.join(tmp, "manifest.txt"), "w") as f:
            f.write("\n".join(lines) + "\n")
        script = os.path.join(tmp, "solve.R")
        with open(script, "w") as f:
            f.write(R_SCRIPT)
        proc = subprocess.run(["Rscript", "--vanilla", script, tmp], check=True,
                              capture_output=True, text=True)
        versions = proc.stdout.strip().splitlines()[-2:]
        for pid, qp in items:
            raw = np.fromfile(os.path.join(tmp, pid + ".out"), dtype="<f8")
            n, p, mi = qp.nx, len(qp.b), len(qp.h)
            if raw[0] != 1.0:
                out[pid] = {"status": "error"}
                continue
            x = raw[1:1 + n]
            lag = raw[1 + n:1 + n + p + mi]
            rest = raw[1 + n + p + mi:]
            iact = rest[3:3 + int(rest[2])].astype(int) - 1  # 0-based columns of Amat
            # Multipliers in our sign convention: D x - d = Amat lambda  <=>
            # P x + q + A'(-lambda_eq) + G'(lambda_in) = 0. quadprog flips the sign of an
            # equality constraint internally when its multiplier would be negative and reports
            # |lambda| for equalities, so y is recovered from stationarity given z.
            z = lag[p:]
            y = np.linalg.lstsq(qp.A.T, -(qp.P @ x + qp.q + qp.G.T @ z), rcond=None)[0]
            assert np.allclose(np.abs(y), lag[:p], rtol=1e-6, atol=1e-12), (pid, y, lag[:p])
            out[pid] = {"status": "ok", "x": x, "y": y, "z": z,
                        "value": float(rest[0]), "iterations": int(rest[1]),
                        "active": [int(j - p) for j in iact if j >= p]}
    return out, versions


# --------------------------------------------------------------------------------------------
# Problem design


def design_solve(market, prob):
    qp = build_qp(market, prob)
    res = solve_cvxopt(qp, CVXOPT_DESIGN)
    assert res["status"] == "optimal", (prob["id"], res["status"])
    return res["x"][:market["n"]]


def max_return_lp(market, constraints):
    """max mu'w under the constraints (sectors only), by cvxopt's LP solver."""
    n = market["n"]
    prob = {"objective": "MIN_VOLATILITY", "constraints": constraints}
    qp = build_qp(market, prob)
    m = cvxopt.matrix
    cvxopt.solvers.options.clear()
    cvxopt.solvers.options.update({"show_progress": False})
    res = cvxopt.solvers.lp(m(-market["expected_returns"]), m(qp.G), m(qp.h), m(qp.A), m(qp.b))
    assert res["status"] == "optimal"
    return float(market["expected_returns"] @ np.array(res["x"]).ravel()[:n])


def make_problems(market):
    n, s, mid = market["n"], market["seed_index"], market["id"]
    mu = market["expected_returns"]
    problems = []

    def rng(family):
        return np.random.default_rng([ROOT_SEED, n, s, family])

    # 1. long-only minimum volatility (pfopt's default bounds: nothing passed).
    problems.append({"id": mid + "_long_only", "family": "long_only", "market": mid,
                     "objective": "MIN_VOLATILITY", "constraints": {"budget": 1.0}})

    # 2. boxed maximum utility.
    r = rng(2)
    delta = float(r.uniform(2.0, 5.0))
    cap = float(r.uniform(2.5, 3.0)) / n
    lower = np.where(r.uniform(size=n) < 0.2, 0.25 / n, 0.0)
    problems.append({"id": mid + "_boxed", "family": "boxed", "market": mid,
                     "objective": "MAX_UTILITY", "risk_aversion": delta,
                     "constraints": {"budget": 1.0, "lower_bounds": lower.tolist(),
                                     "upper_bounds": [cap] * n}})

    # 3. sectors.
    r = rng(3)
    num_sectors = min(int(r.integers(3, 7)), n)
    order = r.permutation(n)
    sector_of = [""] * n
    for rank, i in enumerate(order):
        sector_of[i] = "S%d" % (rank % num_sectors)
    names = ["S%d" % j for j in range(num_sectors)]
    objective = "EFFICIENT_RETURN" if s % 2 == 0 else "MIN_VOLATILITY"
    base = {"objective": "MIN_VOLATILITY", "constraints": {"budget": 1.0}}
    w_star = design_solve(market, base)
    if objective == "EFFICIENT_RETURN":
        target = float(mu @ w_star) + 0.5 * (float(mu.max()) - float(mu @ w_star))
        w_star = design_solve(market, {"objective": "EFFICIENT_RETURN", "target_return": target,
                                        "constraints": {"budget": 1.0}})
    weight = {name: float(sum(w_star[i] for i in range(n) if sector_of[i] == name))
              for name in names}
    by_weight = sorted(names, key=lambda name: -weight[name])
    upper = {by_weight[0]: round(0.75 * weight[by_weight[0]], 6),
             by_weight[1]: round(0.85 * weight[by_weight[1]], 6)}
    lowest = by_weight[-1]
    lower = {lowest: round(min(weight[lowest] + 0.05, 0.5), 6)}
    constraints = {"budget": 1.0, "sectors": sector_of,
                   "sector_upper": dict(sorted(upper.items())),
                   "sector_lower": lower}
    prob = {"id": mid + "_sectors", "family": "sectors", "market": mid, "objective": objective,
            "constraints": constraints}
    if objective == "EFFICIENT_RETURN":
        w_min = design_solve(market, {"objective": "MIN_VOLATILITY", "constraints": constraints})
        r_min = float(mu @ w_min)
        r_max = max_return_lp(market, constraints)
        prob["target_return"] = round(r_min + 0.5 * (r_max - r_min), 6)
        prob = {k: prob[k] for k in ("id", "family", "market", "objective", "target_return",
                                     "constraints")}
    problems.append(prob)

    # 4. turnover.
    r = rng(4)
    delta = float(r.uniform(2.0, 5.0))
    w0 = r.dirichlet(np.ones(n))
    w_free = design_solve(market, {"objective": "MAX_UTILITY", "risk_aversion": delta,
                                   "constraints": {"budget": 1.0}})
    distance = float(np.abs(w_free - w0).sum())
    limit = round(min(float(r.uniform(0.1, 0.3)), 0.5 * distance), 6)
    problems.append({"id": mid + "_turnover", "family": "turnover", "market": mid,
                     "objective": "MAX_UTILITY", "risk_aversion": delta,
                     "constraints": {"budget": 1.0, "current_weights": w0.tolist(),
                                     "turnover_limit": limit}})
    return problems


# The constraint group each family is about, which must bind in the reference.
MUST_BIND = {"long_only": [], "boxed": ["upper_bounds"], "sectors": ["sector_upper"],
             "turnover": ["turnover_limit"]}


# --------------------------------------------------------------------------------------------
# Output (compact JSON: arrays of numbers on one line; floats as Python's repr, i.e. the
# shortest decimal string that reads back as the same double, at most 17 significant digits)


def to_json(obj, indent=0):
    pad = " " * indent
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        items = [pad + " " + json.dumps(k) + ": " + to_json(v, indent + 1)
                 for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, (list, tuple)):
        if all(not isinstance(v, (dict, list, tuple)) for v in obj):
            return "[" + ", ".join(to_json(v) for v in obj) + "]"
        items = [pad + " " + to_json(v, indent + 1) for v in obj]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    if isinstance(obj, np.ndarray):
        return to_json(obj.tolist(), indent)
    if isinstance(obj, (bool, np.bool_)):
        return "true" if obj else "false"
    if isinstance(obj, (int, np.integer)):
        return str(int(obj))
    if isinstance(obj, (float, np.floating)):
        v = float(obj)
        assert np.isfinite(v)
        return repr(v)
    if obj is None:
        return "null"
    return json.dumps(obj)


def sci(v):
    return float("%.3g" % v)


def main():
    t_start = time.time()
    markets = [make_market(n, s) for n in SIZES for s in range(SEEDS_PER_SIZE[n])]
    by_id = {m["id"]: m for m in markets}
    problems = [p for m in markets for p in make_problems(m)]
    qps = {p["id"]: build_qp(by_id[p["market"]], p) for p in problems}
    print("designed %d problems on %d markets in %.1f s" %
          (len(problems), len(markets), time.time() - t_start), flush=True)

    t0 = time.time()
    qp_items = [(p["id"], qps[p["id"]]) for p in problems if p["family"] != "turnover"]
    splits = {p["id"]: build_split_qp(by_id[p["market"]], p) for p in problems
              if p["family"] == "turnover"}
    qp_items += [(pid + "__split", split[0]) for pid, split in splits.items()]
    quadprog, r_versions = solve_quadprog_batch(qp_items)
    print("quadprog: %d problems in %.1f s" % (len(qp_items), time.time() - t0), flush=True)

    worst = {}
    for p in problems:
        t0 = time.time()
        market, qp = by_id[p["market"]], qps[p["id"]]
        n = market["n"]
        quad = p["family"] != "turnover"
        ref = {}
        # cvxopt: the reference for turnover, a cross-check for the others.
        cv = solve_cvxopt(qp, CVXOPT_TIGHT)
        cx, cy, cz, ck, c_active, cok = polish(qp, np.nonzero(cv["z"] > cv["s"])[0])
        if quad:
            raw = quadprog[p["id"]]
            assert raw["status"] == "ok", p["id"]
            raw_x, raw_y, raw_z = raw["x"], raw["y"], raw["z"]
            x, y, z, r, active, ok = polish(qp, raw["active"])
            name = "quadprog::solve.QP"
            ref["raw_status"] = "ok"  # solve.QP raised no error
            ref["raw_iterations"] = raw["iterations"]
        else:
            raw_x, raw_y, raw_z = cv["x"], cv["y"], cv["z"]
            x, y, z, r, ok = cx, cy, cz, ck, cok
            name = "cvxopt.solvers.qp"
            ref["raw_status"] = cv["status"]  # "unknown": stalled short of the 1e-12 tolerances
            ref["raw_iterations"] = cv["iterations"]
        if ok:
            ref["solver"] = name + ", polished on its final active set"
        else:
            print("  WARNING %s: polishing failed (%s); recording the raw solution" %
                  (p["id"], r), flush=True)
            x, y, z = raw_x, raw_y, raw_z
            r = kkt(qp, x, y, z)
            ref["solver"] = name + " (raw: polishing failed)"
        ref["kkt"] = {k: sci(v) for k, v in r.items()}
        ref["verified"] = bool(kkt_ok(r))
        ref["raw_kkt"] = {k: sci(v) for k, v in kkt(qp, raw_x, raw_y, raw_z).items()}
        ref["raw_max_weight_diff"] = sci(np.abs(raw_x[:n] - x[:n]).max())
        if quad:
            assert cok, (p["id"], ck)
            ref["cross_check"] = {
                "solver": "cvxopt.solvers.qp, polished on its final active set",
                "cvxopt_status": cv["status"],
                "same_active_set": active == c_active,
                "max_weight_diff": sci(np.abs(cx[:n] - x[:n]).max())}
        else:
            _, w0, split = splits[p["id"]]
            sr = quadprog[p["id"] + "__split"]
            assert sr["status"] == "ok", p["id"]
            ref["cross_check"] = {
                "solver": "quadprog::solve.QP on w = w0 + u - v, u, v >= 0, ridge %g" %
                          SPLIT_RIDGE,
                "max_weight_diff": sci(np.abs(w0 + split @ sr["x"] - x[:n]).max())}
        w = x[:n]
        ref["binding"] = binding(qp, x, z)
        for group in MUST_BIND[p["family"]]:
            assert ref["binding"].get(group, 0) > 0, (p["id"], group, ref["binding"])
        if p["family"] == "turnover":
            used = float(np.abs(w - np.asarray(p["constraints"]["current_weights"])).sum())
            ref["turnover_used"] = used
        ref["objective"] = objective_value(market, p, w)
        ref["weights"] = w
        ref["raw_weights"] = raw_x[:n]
        p["reference"] = ref
        tag = "quadprog" if quad else "cvxopt"
        for key, v in (
                ("reference_kkt_residual", max(ref["kkt"].values())),
                ("raw_%s_kkt_residual" % tag, max(ref["raw_kkt"].values())),
                ("raw_%s_max_weight_diff" % tag, ref["raw_max_weight_diff"]),
                ("cvxopt_cross_check_max_weight_diff" if quad else
                 "turnover_quadprog_split_ridge_cross_check_max_weight_diff",
                 ref["cross_check"]["max_weight_diff"])):
            worst[key] = max(worst.get(key, 0.0), v)
        print("  %-20s %-16s %-50s kkt %.1e  binding %s  (%.1f s)" %
              (p["id"], p["objective"], ref["solver"], max(ref["kkt"].values()),
               ref["binding"], time.time() - t0), flush=True)

    versions = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "cvxopt": cvxopt.__version__,
        "R": r_versions[0],
        "quadprog": r_versions[1].split()[-1],
    }
    meta = {
        "description": "Seeded random long-only, boxed, sector and turnover portfolio QPs with "
                       "reference solutions by R quadprog and cvxopt (see README.md).",
        "command": COMMAND,
        "versions": versions,
        "root_seed": ROOT_SEED,
        "covariance": "Sigma = M M' * 2^scale_log2 + diag(specific_variance), M = markets.json "
                      "loadings (integers, M M' exact in double)",
        "scale_log2": SCALE_LOG2,
        "objectives": {"MIN_VOLATILITY": "w'Sigma w", "EFFICIENT_RETURN": "w'Sigma w",
                       "MAX_UTILITY": "mu'w - risk_aversion/2 w'Sigma w"},
        "kkt_acceptance": POLISH_TOL,
        "worst": worst,
    }
    market_out = {"meta": {"command": COMMAND, "scale_log2": SCALE_LOG2, "versions": versions},
                  "markets": {}}
    for m in markets:
        sigma = m["sigma"]
        n = m["n"]
        checks = [[i, j, float(sigma[i, j])] for i, j in
                  sorted({(0, 0), (0, n - 1), (n - 1, n - 1), (n // 2, n // 3), (n // 3, n // 3)})]
        market_out["markets"][m["id"]] = {
            "n": n, "k": m["k"], "seed_index": m["seed_index"],
            "expected_returns": m["expected_returns"],
            "specific_variance": m["specific_variance"],
            "sigma_check": checks,
            "loadings": m["loadings"],
        }
    with open(os.path.join(HERE, "markets.json"), "w") as f:
        f.write(to_json(market_out) + "\n")
    with open(os.path.join(HERE, "reference.json"), "w") as f:
        f.write(to_json({"meta": meta, "problems": problems}) + "\n")
    print("versions:", versions)
    print("worst:", meta["worst"])
    print("total %.1f s" % (time.time() - t_start))


if __name__ == "__main__":
    sys.exit(main())
