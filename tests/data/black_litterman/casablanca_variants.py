#!/usr/bin/python3
"""Can the Casablanca weights the original system published be reproduced? (docs/black_litterman.md)

Runs 1440 readings of the set-up of ../specs/streaming.md section 6 and prints how far the
closest long-only max-Sharpe portfolio lies from the published weights (max abs difference),
then the Sharpe ratios that explain the difference. numpy and cvxopt only; run from the
repository root:  /usr/bin/python3 tests/data/black_litterman/casablanca_variants.py

Variants: market weights equal or proportional to the mean returns; prior with or without rf;
tau 0.025, 0.05, 0.1, 0.5, 1; Omega proportional or Idzorek (confidence 0.6); prior or posterior
covariance in the optimisation; max-Sharpe hurdle rf or 0; L2 regularisation
(PyPortfolioOpt's, on the homogenised variable) 0 or 1e-6 ... 10.
"""
import itertools
import json

import numpy as np
from cvxopt import matrix, solvers

DIR = "examples/data/casablanca/"
VIEWS = {"AKT": 0.001, "ATW": 0.0, "BOA": 0.0, "BCP": 0.0, "MDP": 0.0, "MUT": 0.0,
         "IAM": -0.003, "RIS": -0.001, "TGC": 0.002, "ADI": 0.003, "IMO": 0.0}
RF, BENCH = 0.0018, 0.0045


def max_sharpe(mu, sigma, hurdle, gamma):
    n = len(mu)
    solvers.options["show_progress"] = False
    sol = solvers.qp(matrix(2 * (sigma + gamma * np.eye(n))), matrix(np.zeros(n)),
                     matrix(-np.eye(n)), matrix(np.zeros(n)),
                     matrix((mu - hurdle).reshape(1, -1)), matrix(1.0))
    y = np.array(sol["x"]).ravel()
    return y / y.sum()


def main():
    cov = json.load(open(DIR + "covariance.json"))
    means = json.load(open(DIR + "mean_returns.json"))
    published = json.load(open(DIR + "initial_weights.json"))
    t = list(VIEWS)
    n = len(t)
    s = np.array([[cov[a][b] for b in t] for a in t])
    m = np.array([means[a] for a in t])
    w_pub = np.array([published[a] for a in t])
    w_pub /= w_pub.sum()
    q = np.array([VIEWS[a] for a in t])
    results = []
    for market, add_rf, tau, omega, cov_name, hurdle, gamma in itertools.product(
            ["equal", "mean"], [0, 1], [0.025, 0.05, 0.1, 0.5, 1.0], ["proportional", "idzorek"],
            ["prior", "posterior"], [RF, 0.0], [0, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10]):
        w_mkt = np.ones(n) / n if market == "equal" else m / m.sum()
        delta = (BENCH - RF) / (w_mkt @ s @ w_mkt)
        pi = delta * s @ w_mkt + add_rf * RF
        alpha = 1.0 if omega == "proportional" else 0.4 / 0.6
        om = np.diag(tau * alpha * np.diag(s))
        a = tau * s + om
        mu = pi + tau * s @ np.linalg.solve(a, q - pi)
        post_cov = s + tau * s - tau * s @ np.linalg.solve(a, tau * s)
        w = max_sharpe(mu, s if cov_name == "prior" else post_cov, hurdle, gamma)
        results.append((float(np.abs(w - w_pub).max()), market, add_rf, tau, omega, cov_name,
                        hurdle, gamma))
    results.sort(key=lambda r: r[0])
    print(f"{len(results)} variants; closest: max |w - published| = {results[0][0]:.3f} "
          f"({results[0][1:]})")

    def sharpe(w, mu, sigma):
        return np.sqrt(52) * (w @ mu - RF) / np.sqrt(w @ sigma @ w)

    w_hist = max_sharpe(m, s, RF, 0.0)
    print(f"published weights: Sharpe under the historical means {sharpe(w_pub, m, s):.2f} "
          f"(long-only max there {sharpe(w_hist, m, s):.2f}); "
          f"max |w - mean/sum(mean)| = {np.abs(w_pub - m / m.sum()).max():.3f}; "
          f"rank order of the means: {list(np.argsort(-w_pub)) == list(np.argsort(-m))}")


if __name__ == "__main__":
    main()
