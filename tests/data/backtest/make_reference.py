#!/usr/bin/python3
"""Independent reference for pfopt's backtester: equal-weight and buy-and-hold strategies on
examples/data/stock_prices.csv, simulated with pandas (Debian's python3-pandas) from the rules
written in docs/backtest.md, without any pfopt code. Writes reference.json beside this script.

Regenerate (from the repository root):
    /usr/bin/python3 tests/data/backtest/make_reference.py

The rules, restated: rows without any price are dropped; simple returns are NaN when either
price is missing; the start s0 is the first row (at or after `start`) with `window` return rows
up to it; an asset is eligible at t if it has a price at t and at least `min_observations`
observed returns in the window (rolling: rows t-window+1..t, expanding: rows 1..t); monthly
(quarterly) rebalancing trades at the last row of each month (quarter) and at s0, never at the
last simulated row; holdings are units; a held asset without a price keeps its last price; the
post-trade wealth W' solves W' = W - sum_i c_i |w_i W' - h_i| (solved here with brentq); wealth
is recorded before the trade of a period.
"""
import json
import math
import os

import numpy as np
import pandas as pd
from scipy.optimize import brentq

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))

CONFIGS = [
    {"name": "monthly_rolling", "window": 252, "window_type": "rolling", "min_observations": 252,
     "rebalance": "monthly", "cost_bps": 10.0, "asset_cost_bps": {}, "start": "", "end": "",
     "risk_free_rate": 0.0, "periods_per_year": 252},
    {"name": "quarterly_expanding", "window": 126, "window_type": "expanding",
     "min_observations": 63, "rebalance": "quarterly", "cost_bps": 25.0,
     "asset_cost_bps": {"AAPL": 0.0, "GOOG": 50.0}, "start": "2005-01-01", "end": "2015-12-31",
     "risk_free_rate": 0.02, "periods_per_year": 252},
]


def simulate(prices, cfg, buy_and_hold):
    returns = prices / prices.shift(1) - 1.0  # NaN where either price is missing
    observed = returns.notna().astype(int)
    n = len(prices)
    dates = list(prices.index)
    s0 = cfg["window"]
    while cfg["start"] and dates[s0] < cfg["start"]:
        s0 += 1
    end = n - 1
    while cfg["end"] and dates[end] > cfg["end"]:
        end -= 1
    month = pd.Series([d[:7] for d in dates])
    quarter = pd.Series([d[:4] + str((int(d[5:7]) - 1) // 3) for d in dates])
    key = month if cfg["rebalance"] == "monthly" else quarter
    last_of_block = (key != key.shift(-1)).to_numpy()

    cost = pd.Series(cfg["cost_bps"] / 1e4, index=prices.columns)
    for asset, bps in cfg["asset_cost_bps"].items():
        cost[asset] = bps / 1e4

    units = pd.Series(0.0, index=prices.columns)
    last_price = prices.iloc[: s0 + 1].ffill().iloc[-1]
    cash = 0.0
    wealth_series, trades = [], []
    invested = False
    for t in range(s0, end + 1):
        last_price = last_price.where(prices.iloc[t].isna(), prices.iloc[t])
        if t == s0:
            wealth = 1.0
            cash = 1.0
        else:
            held_value = (units * last_price).fillna(0.0)
            wealth = cash + held_value[units != 0].sum()
        wealth_series.append(wealth)
        if t == end:
            continue
        if buy_and_hold:
            trade = not invested
        else:
            trade = t == s0 or bool(last_of_block[t])
        if not trade:
            continue
        first = t - cfg["window"] + 1 if cfg["window_type"] == "rolling" else 1
        counts = observed.iloc[first: t + 1].sum()
        eligible = [a for a in prices.columns
                    if not math.isnan(prices.iloc[t][a]) and counts[a] >= cfg["min_observations"]]
        target = pd.Series(0.0, index=prices.columns)
        if eligible:
            target[eligible] = 1.0 / len(eligible)
        held = (units * last_price).where(units != 0, 0.0)

        def excess(w_after):
            return w_after - wealth + (cost * (target * w_after - held).abs()).sum()

        after = wealth if excess(wealth) == 0.0 else brentq(excess, 0.5 * wealth, wealth,
                                                             xtol=1e-17, rtol=8.9e-16, maxiter=500)
        turnover = float((target - held / wealth).abs().sum())
        trades.append({"date": dates[t], "turnover": turnover, "cost": wealth - after,
                       "wealth_before": wealth, "eligible": len(eligible)})
        units = pd.Series(0.0, index=prices.columns)
        units[eligible] = target[eligible] * after / prices.iloc[t][eligible]
        cash = after * (1.0 - target.sum())
        invested = invested or bool(eligible)
    return dates[s0: end + 1], np.array(wealth_series), trades


def metrics(dates, wealth, trades, cfg):
    f = cfg["periods_per_year"]
    w = pd.Series(wealth, index=dates)
    r = w.pct_change().iloc[1:]
    rf_p = (1.0 + cfg["risk_free_rate"]) ** (1.0 / f) - 1.0
    years = len(r) / f
    excess = r - rf_p
    drawdown = 1.0 - w / w.cummax()
    trough = drawdown.idxmax()
    peak = w.loc[:trough].idxmax()
    after_trough = w.loc[trough:].iloc[1:]
    recovered = after_trough[after_trough >= w.loc[peak]]
    later = trades[1:]
    return {
        "total_return": w.iloc[-1] - 1.0,
        "annual_return": w.iloc[-1] ** (1.0 / years) - 1.0,
        "annual_volatility": r.std(ddof=1) * math.sqrt(f),
        "sharpe_ratio": excess.mean() / r.std(ddof=1) * math.sqrt(f),
        "sortino_ratio": excess.mean() / math.sqrt((excess.clip(upper=0.0) ** 2).mean())
        * math.sqrt(f),
        "max_drawdown": drawdown.max(),
        "drawdown_peak": peak,
        "drawdown_trough": trough,
        "drawdown_recovery": recovered.index[0] if len(recovered) else "",
        "calmar_ratio": (w.iloc[-1] ** (1.0 / years) - 1.0) / drawdown.max(),
        "hit_rate": float((r > 0).mean()),
        "rebalances": len(trades),
        "initial_turnover": trades[0]["turnover"],
        "average_turnover": float(np.mean([x["turnover"] for x in later])) if later else 0.0,
        "annual_turnover": sum(x["turnover"] for x in later) / years,
        "costs": sum(x["cost"] / x["wealth_before"] for x in trades),
        "cost_amount": sum(x["cost"] for x in trades),
    }


def main():
    prices = pd.read_csv(os.path.join(ROOT, "examples", "data", "stock_prices.csv"), index_col=0,
                         dtype={"date": str})
    prices = prices.dropna(how="all")
    out = {"source": "tests/data/backtest/make_reference.py (pandas " + pd.__version__ + ")",
           "prices": "examples/data/stock_prices.csv", "configs": []}
    for cfg in CONFIGS:
        entry = {"config": cfg, "strategies": []}
        for name, bh in (("equal_weight", False), ("buy_and_hold", True)):
            dates, wealth, trades = simulate(prices, cfg, bh)
            entry["periods"] = [dates[0], dates[-1], len(dates)]
            entry["strategies"].append({
                "name": name, "metrics": metrics(dates, wealth, trades, cfg),
                "wealth": [float(x) for x in wealth], "rebalances": trades})
        out["configs"].append(entry)
    with open(os.path.join(HERE, "reference.json"), "w") as handle:
        json.dump(out, handle, separators=(",", ":"))
        handle.write("\n")


if __name__ == "__main__":
    main()
