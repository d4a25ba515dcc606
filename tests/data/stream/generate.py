#!/usr/bin/python3
"""Reference values for the rebalancer's tests (services/stream/stages/*_test.cc), computed
independently of pfopt with numpy and cvxopt from the Casablanca data in examples/data/casablanca/.

  metrics:   expected return w'mu, risk sqrt(w'Sigma w), Sharpe sqrt(52) (w'mu - rf) / risk of the
             published initial weights (weekly statistics, rf = 0.0018 per week);
  max_sharpe: the long-only, fully invested maximum-Sharpe portfolio with L2 regularisation
             gamma in PyPortfolioOpt's homogenised form
                 min y'Sigma y + gamma ||y||^2  s.t. (mu - rf)'y = 1, sum(y) = kappa, 0 <= y <= kappa
             (w = y / kappa; kappa = sum(y) eliminates itself), solved by cvxopt's QP solver at
             tight tolerances, for gamma 0 and 0.002 (the ladder's first rung).

Run from the repository root: /usr/bin/python3 tests/data/stream/generate.py
"""
import json
import os

import cvxopt
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
load = lambda name: json.load(open(os.path.join(here, "..", "..", "..", "examples", "data", "casablanca", name)))
mean = load("mean_returns.json")
cov = load("covariance.json")
weights = load("initial_weights.json")
tickers = list(mean.keys())
mu = np.array([mean[t] for t in tickers])
sigma = np.array([[cov[a][b] for b in tickers] for a in tickers])
w0 = np.array([weights[t] for t in tickers])
rf, ppy = 0.0018, 52.0

er = float(w0 @ mu)
risk = float(np.sqrt(w0 @ sigma @ w0))
metrics = {"expected_return": er, "risk": risk, "sharpe_ratio": float(np.sqrt(ppy) * (er - rf) / risk)}


def max_sharpe(gamma):
    # With y >= 0 the constraints y <= kappa = sum(y) always hold, so kappa is eliminated:
    #   min y'(Sigma + gamma I) y  s.t. (mu - rf)'y = 1, y >= 0,  w = y / sum(y).
    n = len(mu)
    P = 2 * (sigma + gamma * np.eye(n))
    q = np.zeros(n)
    A = (mu - rf).reshape(1, n)
    b = np.array([1.0])
    G = -np.eye(n)
    h = np.zeros(n)
    cvxopt.solvers.options.update({"show_progress": False, "abstol": 1e-13, "reltol": 1e-13,
                                   "feastol": 1e-13, "maxiters": 200})
    m = cvxopt.matrix
    sol = cvxopt.solvers.qp(m(P), m(q), m(G), m(h), m(A), m(b))
    y = np.array(sol["x"]).ravel()
    y[y < 1e-12 * y.max()] = 0.0
    w = y / y.sum()
    return {"gamma": gamma, "status": sol["status"], "weights": dict(zip(tickers, w.tolist())),
            "sharpe_ratio": float(np.sqrt(ppy) * (w @ mu - rf) / np.sqrt(w @ sigma @ w))}


out = {
    "source": "numpy %s, cvxopt %s (tests/data/stream/generate.py)" % (np.__version__, cvxopt.__version__),
    "tickers": tickers,
    "risk_free_rate": rf,
    "periods_per_year": ppy,
    "metrics_of_initial_weights": metrics,
    "max_sharpe": [max_sharpe(0.0), max_sharpe(0.002)],
}
with open(os.path.join(here, "reference.json"), "w") as f:
    json.dump(out, f, indent=1)
print(json.dumps(out, indent=1))
