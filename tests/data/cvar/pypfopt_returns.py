#!/usr/bin/python3
"""The weekly and monthly return histories of PyPortfolioOpt's CVaR tests on stock_prices.csv.

PyPortfolioOpt's resampled CVaR cases (tests/data/pypfopt/reference.json, `cvar_cvxopt`,
"weekly" and "monthly" data) use df.resample('W' / 'M').first() of examples/data/stock_prices.csv,
then returns_from_prices (pct_change, rows that are all NaN dropped) and dropna(): this script
writes those returns so that the C++ test feeds the optimiser exactly the same scenarios.
Regenerate from the repository root (pandas 1.5.3, the version of the reference):
    /usr/bin/python3 tests/data/cvar/pypfopt_returns.py
Writes pypfopt_returns.json next to this script (floats as repr: exact).
"""

import json
import os

import pandas as pd


def main():
    root = os.path.dirname(os.path.abspath(__file__))
    prices = pd.read_csv(os.path.join(root, "../../../examples/data/stock_prices.csv"),
                         parse_dates=True, index_col="date")
    out = {"meta": {"command": "/usr/bin/python3 tests/data/cvar/pypfopt_returns.py",
                    "pandas": pd.__version__, "tickers": list(prices.columns)}}
    for name, rule in [("weekly", "W"), ("monthly", "M")]:
        resampled = prices.resample(rule).first()
        returns = resampled.pct_change().dropna(how="all").dropna()
        out[name] = [[float(v) for v in row] for row in returns.values]
    with open(os.path.join(root, "pypfopt_returns.json"), "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
