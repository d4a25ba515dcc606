#!/usr/bin/python3
"""Writes the load benchmark's request: max Sharpe over N assets x T days of seeded daily
returns (6 decimals, as a client would send them). Usage: make_request.py N T OUT.json"""
import json
import random
import sys

n, periods, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rng = random.Random(42)
market = [rng.gauss(0.0004, 0.009) for _ in range(periods)]
strategies = []
for i in range(n):
    beta = 0.5 + i / n
    returns = [round(beta * m + rng.gauss(0.0001 * (i % 7), 0.008), 6) for m in market]
    strategies.append({"id": f"asset_{i:02d}", "returns": returns})
request = {
    "portfolio_id": "bench",
    "strategies": strategies,
    "objective": "MAX_SHARPE",
    "method": "MEAN_VARIANCE",
    "constraints": {"max_weight": 0.25},
    "risk_parameters": {"risk_free_rate": 0.02},
}
with open(out, "w") as f:
    json.dump(request, f, separators=(",", ":"))
