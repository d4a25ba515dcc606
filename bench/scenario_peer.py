#!/usr/bin/python3
"""Peer timings for bench/compare_cvar.sh and bench/compare_robust.sh (same data, same run).

  scenario_peer.py generate-cvar DIR T N     seeded scenarios -> DIR/cvar_T<T>_n<N>.f64
  scenario_peer.py time-cvar DIR T N SOLVER  SOLVER = highs | cvxopt: minimum CVaR (alpha 0.05,
                                             long-only, sum w = 1) as the Rockafellar-Uryasev
                                             LP, the way PyPortfolioOpt/cvxpy and fPortfolio
                                             pose it; prints "SOLVER T N seconds cvar"
  scenario_peer.py generate-robust DIR N     seeded mu, Sigma -> DIR/robust_n<N>.f64
  scenario_peer.py time-robust DIR N         cvxopt.solvers.coneqp on the ellipsoidal robust
                                             MAX_UTILITY (delta 2, T 500, 95 %, long-only);
                                             prints "cvxopt N seconds objective"
Weights go to DIR/<solver>_..._w.csv so that the shell script can compare the answers. Data
files are little-endian float64, row-major; the C++ side (bench/models_timing.cc) reads the
same files. Run with /usr/bin/python3 (numpy, scipy, cvxopt).
"""

import os
import sys
import time

import numpy as np

ALPHA = 0.05


def cvar_path(d, T, n):
    return os.path.join(d, "cvar_T%d_n%d.f64" % (T, n))


def robust_path(d, n):
    return os.path.join(d, "robust_n%d.f64" % n)


def generate_cvar(d, T, n):
    rng = np.random.default_rng(1000 + n)
    k = 5
    factors = rng.standard_normal((T, k)) * 0.01
    loadings = rng.uniform(0.0, 1.0, (n, k))
    r = 0.5 * factors @ loadings.T + rng.standard_t(4, (T, n)) * 0.01 + 0.0003
    r.astype("<f8").tofile(cvar_path(d, T, n))


def true_cvar(r, w):
    losses = np.sort(-(r @ w))[::-1]
    K = ALPHA * len(losses)
    kf = int(np.floor(K))
    return (losses[:kf].sum() + (K - kf) * losses[kf]) / K


def time_cvar(d, T, n, solver):
    r = np.fromfile(cvar_path(d, T, n), dtype="<f8").reshape(T, n)
    K = ALPHA * T
    # x = [w (n) | a | u (T)]: min a + 1/K sum u, u_t >= -r_t'w - a, u >= 0, sum w = 1, 0 <= w <= 1.
    start = time.perf_counter()
    if solver == "highs":
        from scipy import sparse
        from scipy.optimize import linprog
        c = np.concatenate([np.zeros(n), [1.0], np.full(T, 1.0 / K)])
        a_ub = sparse.hstack([sparse.csr_matrix(-r), sparse.csr_matrix(-np.ones((T, 1))),
                              -sparse.identity(T)]).tocsr()
        a_eq = np.concatenate([np.ones(n), [0.0], np.zeros(T)])[None, :]
        res = linprog(c, A_ub=a_ub, b_ub=np.zeros(T), A_eq=a_eq, b_eq=[1.0],
                      bounds=[(0, 1)] * n + [(None, None)] + [(0, None)] * T, method="highs")
        w = res.x[:n]
    else:
        import cvxopt
        cvxopt.solvers.options["show_progress"] = False
        nv = n + 1 + T
        rows, cols, vals = [], [], []
        # scenario rows
        for t in range(T):
            for j in range(n):
                rows.append(t); cols.append(j); vals.append(-r[t, j])
            rows.append(t); cols.append(n); vals.append(-1.0)
            rows.append(t); cols.append(n + 1 + t); vals.append(-1.0)
        m = T
        for j in range(n):  # 0 <= w <= 1
            rows.append(m); cols.append(j); vals.append(-1.0); m += 1
            rows.append(m); cols.append(j); vals.append(1.0); m += 1
        for t in range(T):  # u >= 0
            rows.append(m); cols.append(n + 1 + t); vals.append(-1.0); m += 1
        h = np.zeros(m)
        h[T + 1:T + 2 * n:2] = 1.0
        G = cvxopt.spmatrix(vals, rows, cols, (m, nv))
        A = cvxopt.matrix(np.concatenate([np.ones(n), [0.0], np.zeros(T)])[None, :])
        c = cvxopt.matrix(np.concatenate([np.zeros(n), [1.0], np.full(T, 1.0 / K)]))
        sol = cvxopt.solvers.lp(c, G, cvxopt.matrix(h), A, cvxopt.matrix(1.0))
        w = np.array(sol["x"]).ravel()[:n]
    seconds = time.perf_counter() - start
    np.savetxt(os.path.join(d, "%s_cvar_T%d_n%d_w.csv" % (solver, T, n)), w, fmt="%.17g")
    print("%s %d %d %.6f %.17g" % (solver, T, n, seconds, true_cvar(r, w)))


def generate_robust(d, n):
    rng = np.random.default_rng(2000 + n)
    k = max(1, n // 2)
    f = rng.standard_normal((n, k))
    sigma = f @ f.T / k + np.diag(rng.uniform(0.01, 0.05, n))
    mu = rng.uniform(0.02, 0.6, n)
    np.concatenate([mu, sigma.ravel()]).astype("<f8").tofile(robust_path(d, n))


def time_robust(d, n):
    import cvxopt
    from scipy import stats
    cvxopt.solvers.options.update({"show_progress": False, "abstol": 1e-10, "reltol": 1e-10,
                                   "feastol": 1e-10})
    data = np.fromfile(robust_path(d, n), dtype="<f8")
    mu, sigma = data[:n], data[n:].reshape(n, n)
    delta, T = 2.0, 500
    k = np.sqrt(stats.chi2.ppf(0.95, n)) / np.sqrt(T)
    start = time.perf_counter()
    L = np.linalg.cholesky(sigma)
    nv = n + 1  # w | tau >= ||L'w||
    P = np.zeros((nv, nv))
    P[:n, :n] = delta * sigma
    q = np.concatenate([-mu, [k]])
    g_lin = np.vstack([np.hstack([-np.eye(n), np.zeros((n, 1))]),
                       np.hstack([np.eye(n), np.zeros((n, 1))])])
    h_lin = np.concatenate([np.zeros(n), np.ones(n)])
    g_soc = np.zeros((n + 1, nv))
    g_soc[0, n] = -1.0
    g_soc[1:, :n] = -L.T
    G = np.vstack([g_lin, g_soc])
    h = np.concatenate([h_lin, np.zeros(n + 1)])
    A = np.concatenate([np.ones(n), [0.0]])[None, :]
    M = cvxopt.matrix
    sol = cvxopt.solvers.coneqp(M(P), M(q), M(G), M(h), {"l": 2 * n, "q": [n + 1], "s": []},
                                M(A), M(1.0))
    w = np.array(sol["x"]).ravel()[:n]
    seconds = time.perf_counter() - start
    objective = mu @ w - k * np.sqrt(w @ sigma @ w) - 0.5 * delta * w @ sigma @ w
    np.savetxt(os.path.join(d, "cvxopt_robust_n%d_w.csv" % n), w, fmt="%.17g")
    print("cvxopt %d %.6f %.17g" % (n, seconds, objective))


def main():
    cmd, d = sys.argv[1], sys.argv[2]
    os.makedirs(d, exist_ok=True)
    if cmd == "generate-cvar":
        generate_cvar(d, int(sys.argv[3]), int(sys.argv[4]))
    elif cmd == "time-cvar":
        time_cvar(d, int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    elif cmd == "generate-robust":
        generate_robust(d, int(sys.argv[3]))
    elif cmd == "time-robust":
        time_robust(d, int(sys.argv[3]))
    else:
        raise SystemExit("unknown command " + cmd)


if __name__ == "__main__":
    main()
