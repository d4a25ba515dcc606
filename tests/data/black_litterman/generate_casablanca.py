#!/usr/bin/python3
"""Independent reference for the Casablanca Black-Litterman start-up
(tests/data/black_litterman/casablanca_reference.json). numpy and cvxopt only.
Run from the repository root:  /usr/bin/python3 tests/data/black_litterman/generate_casablanca.py

Set-up (docs/black_litterman.md, weekly units): equal market weights (the data carry no
capitalisations); delta = (0.0045 - rf) / (w_mkt' Sigma w_mkt), rf = 0.0018;
Pi = delta Sigma w_mkt + rf; absolute views with Idzorek confidence 0.6
(Omega_kk = tau (1 - c) / c Sigma_kk), tau = 0.05; posterior by the textbook formulas written
out below; long-only max Sharpe over (mu_BL, Sigma_BL) at rf by cvxopt on the homogenised QP
min y'Sigma y s.t. (mu - rf)'y = 1, y >= 0 (w = y / sum y), then polished by solving the KKT
system on the support exactly.
"""
import json

import cvxopt
import numpy as np
from cvxopt import matrix, solvers

TICKERS = ["AKT", "ATW", "BOA", "BCP", "MDP", "MUT", "IAM", "RIS", "TGC", "ADI", "IMO"]
VIEWS = {"AKT": 0.001, "ATW": 0.0, "BOA": 0.0, "BCP": 0.0, "MDP": 0.0, "MUT": 0.0,
         "IAM": -0.003, "RIS": -0.001, "TGC": 0.002, "ADI": 0.003, "IMO": 0.0}
RF, BENCH, TAU, CONF = 0.0018, 0.0045, 0.05, 0.6


def main():
    cov = json.load(open("examples/data/casablanca/covariance.json"))
    n = len(TICKERS)
    s = np.array([[cov[a][b] for b in TICKERS] for a in TICKERS])
    w_mkt = np.ones(n) / n
    delta = (BENCH - RF) / (w_mkt @ s @ w_mkt)
    pi = delta * s @ w_mkt + RF
    q = np.array([VIEWS[t] for t in TICKERS])
    p = np.eye(n)
    omega = np.diag([TAU * (1 - CONF) / CONF * (p[k] @ s @ p[k]) for k in range(n)])
    m = np.linalg.inv(p @ (TAU * s) @ p.T + omega)
    mu = pi + TAU * s @ p.T @ m @ (q - p @ pi)
    sigma = s + TAU * s - TAU * s @ p.T @ m @ p @ (TAU * s)
    solvers.options.update({"show_progress": False, "abstol": 1e-14, "reltol": 1e-14,
                            "feastol": 1e-14})
    sol = solvers.qp(matrix(2 * sigma), matrix(np.zeros(n)), matrix(-np.eye(n)),
                     matrix(np.zeros(n)), matrix((mu - RF).reshape(1, -1)), matrix(1.0))
    y = np.array(sol["x"]).ravel()
    support = y > 1e-9 * y.max()
    # Exact solution on the support: min y'S y s.t. a'y = 1 -> y = S^-1 a / (a'S^-1 a).
    a = (mu - RF)[support]
    ys = np.linalg.solve(sigma[np.ix_(support, support)], a)
    ys /= a @ ys
    y = np.zeros(n)
    y[support] = ys
    w = y / y.sum()
    # KKT of the long-only problem: the gradient excluded assets see is not better.
    lam = 2.0 / (a @ np.linalg.solve(sigma[np.ix_(support, support)], a))
    reduced = 2 * sigma @ y - lam * (mu - RF)
    assert np.all(reduced[~support] >= -1e-12), reduced
    out = {"meta": {"numpy": np.__version__, "cvxopt": cvxopt.__version__,
                    "script": "tests/data/black_litterman/generate_casablanca.py"},
           "tickers": TICKERS, "risk_aversion": delta, "prior": pi.tolist(),
           "posterior_returns": mu.tolist(), "posterior_covariance": sigma.tolist(),
           "max_sharpe_weights": w.tolist()}
    json.dump(out, open("tests/data/black_litterman/casablanca_reference.json", "w"), indent=1)


if __name__ == "__main__":
    main()
