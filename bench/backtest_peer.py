#!/usr/bin/python3
"""Peer for the backtest benchmark (bench/compare_backtest.sh): the same walk-forward
optimisation loop written the usual way in Python - pandas for the window's returns and the
estimates (PyPortfolioOpt's formulas: compounded mean historical return, Ledoit-Wolf with
scikit-learn's shrinkage), cvxopt for each optimisation - so that pfopt and this loop can be
timed on the same prices in the same run.

    backtest_peer.py generate OUT.csv ASSETS YEARS SEED   seeded one-factor daily prices
    backtest_peer.py run PRICES.csv CASE [WEIGHTS.csv]    CASE = max_sharpe | min_volatility
        prints: seconds (the loop, not reading the CSV) then one line per rebalance:
        date w_1 ... w_n   (the target weights; "failed" when cvxopt finds no solution)

The loop follows docs/backtest.md: rebalance at s0 (the 253rd price) and at the last trading
day of each month except the last row; eligible = every asset (the generated prices have no
gaps); current weights = the previous targets drifted with prices; the turnover limit is not
applied to the first investment; a failed optimisation keeps the drifted weights. With
WEIGHTS.csv (pfopt's weights.csv of the same run) the current weights are pfopt's holdings of
the previous day drifted to the rebalance date instead, so that every rebalance of the two
programs solves the same problem even after one of them failed somewhere.
"""
import sys
import time

import numpy as np
import pandas as pd
from cvxopt import matrix, solvers

solvers.options["show_progress"] = False
solvers.options["abstol"] = 1e-10
solvers.options["reltol"] = 1e-10
solvers.options["feastol"] = 1e-10

WINDOW = 252
MAX_WEIGHT = 0.25      # max_sharpe request: max_weight
TURNOVER_LIMIT = 0.2   # max_sharpe request: turnover_limit


def generate(path, assets, years, seed):
    rng = np.random.default_rng(seed)
    periods = WINDOW + 261 * years
    alpha = -0.0002 + 0.0006 * rng.random(assets)
    beta = 0.5 + rng.random(assets)
    sigma = 0.01 + 0.015 * rng.random(assets)
    factor = 0.0004 + 0.01 * rng.standard_normal(periods - 1)
    noise = rng.standard_normal((periods - 1, assets)) * sigma
    returns = alpha + np.outer(factor, beta) + noise
    prices = 100.0 * np.vstack([np.ones(assets), np.cumprod(1.0 + returns, axis=0)])
    dates = pd.bdate_range("1998-01-05", periods=periods).strftime("%Y-%m-%d")
    frame = pd.DataFrame(prices, index=dates, columns=[f"S{i}" for i in range(assets)])
    frame.index.name = "date"
    frame.to_csv(path, float_format="%.12g")


def ledoit_wolf(x):
    """scikit-learn's ledoit_wolf (as PyPortfolioOpt calls it), not annualised."""
    t, n = x.shape
    x = x - x.mean(axis=0)
    x2 = x ** 2
    emp_cov_trace = x2.sum(axis=0) / t
    mu = emp_cov_trace.sum() / n
    beta_ = np.sum(x2.T @ x2)
    delta_ = np.sum((x.T @ x) ** 2) / t ** 2
    beta = (beta_ / t - delta_) / (n * t)
    delta = (delta_ - 2.0 * mu * emp_cov_trace.sum() + n * mu ** 2) / n
    beta = min(beta, delta)
    shrinkage = 0.0 if beta == 0 else beta / delta
    emp_cov = x.T @ x / t
    return (1.0 - shrinkage) * emp_cov + shrinkage * mu * np.eye(n)


def min_volatility(sigma):
    n = sigma.shape[0]
    g = np.vstack([-np.eye(n), np.eye(n)])
    h = np.hstack([np.zeros(n), np.ones(n)])
    sol = solvers.qp(matrix(2.0 * sigma), matrix(np.zeros(n)), matrix(g), matrix(h),
                     matrix(np.ones((1, n))), matrix(1.0))
    return np.array(sol["x"]).ravel() if sol["status"] == "optimal" else None


def max_sharpe(mu, sigma, current, turnover):
    """Homogenised max Sharpe: variables (y, kappa, t); w = y / kappa."""
    n = len(mu)
    k = n + 1 + (n if turnover else 0)
    p = np.zeros((k, k))
    p[:n, :n] = 2.0 * sigma
    rows, rhs = [], []

    def row():
        return np.zeros(k)

    for i in range(n):
        r = row(); r[i] = -1.0; rows.append(r); rhs.append(0.0)                  # y >= 0
        r = row(); r[i] = 1.0; r[n] = -MAX_WEIGHT; rows.append(r); rhs.append(0.0)  # y <= .25 kappa
    r = row(); r[n] = -1.0; rows.append(r); rhs.append(0.0)                       # kappa >= 0
    if turnover:
        for i in range(n):  # |y_i - kappa c_i| <= t_i
            r = row(); r[i] = 1.0; r[n] = -current[i]; r[n + 1 + i] = -1.0; rows.append(r); rhs.append(0.0)
            r = row(); r[i] = -1.0; r[n] = current[i]; r[n + 1 + i] = -1.0; rows.append(r); rhs.append(0.0)
        r = row(); r[n + 1:] = 1.0; r[n] = -TURNOVER_LIMIT; rows.append(r); rhs.append(0.0)
    a = np.zeros((2, k))
    a[0, :n] = mu
    a[1, :n] = 1.0
    a[1, n] = -1.0
    try:
        sol = solvers.qp(matrix(p), matrix(np.zeros(k)), matrix(np.array(rows)), matrix(rhs),
                         matrix(a), matrix([1.0, 0.0]))
    except ValueError:
        return None
    if sol["status"] != "optimal":
        return None
    x = np.array(sol["x"]).ravel()
    return x[:n] / x[n]


def run(path, case, ours_path=None):
    prices = pd.read_csv(path, index_col=0, dtype={"date": str})
    ours = pd.read_csv(ours_path, index_col=0, dtype={"date": str}) if ours_path else None
    start = time.perf_counter()
    returns = prices.pct_change()
    dates = list(prices.index)
    months = pd.Series([d[:7] for d in dates])
    month_end = (months != months.shift(-1)).to_numpy()
    held = None  # target weights of the last trade, drifted
    last_trade = None
    lines = []
    for t in range(WINDOW, len(dates) - 1):
        if not (t == WINDOW or month_end[t]):
            continue
        window = returns.iloc[t - WINDOW + 1: t + 1]
        if ours is not None and t > WINDOW:
            before = ours.loc[dates[t - 1]].to_numpy()
            growth = prices.iloc[t].to_numpy() / prices.iloc[t - 1].to_numpy()
            current = before * growth / np.sum(before * growth)
        elif held is not None:
            growth = prices.iloc[t].to_numpy() / prices.iloc[last_trade].to_numpy()
            current = held * growth / np.sum(held * growth)
        else:
            current = np.zeros(prices.shape[1])
        if case == "min_volatility":
            weights = min_volatility(252.0 * ledoit_wolf(window.to_numpy()))
        else:
            mu = (1.0 + window).prod() ** (252.0 / window.count()) - 1.0
            sigma = window.cov().to_numpy() * 252.0
            weights = max_sharpe(mu.to_numpy(), sigma, current, held is not None)
        if weights is None:
            lines.append(dates[t] + " failed")
            if held is not None:  # keep the drifted holdings: they are the new reference
                held, last_trade = current, t
            continue
        held, last_trade = weights, t
        lines.append(dates[t] + " " + " ".join("%.10f" % w for w in weights))
    seconds = time.perf_counter() - start
    print("%.6f" % seconds)
    print("\n".join(lines))


if __name__ == "__main__":
    if sys.argv[1] == "generate":
        generate(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    else:
        run(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else None)
