#!/usr/bin/python3
"""Reference values for src/estimate/online_moments_test.cc, computed by pandas (an independent
implementation of exponentially weighted moments) and numpy (batch sample statistics).

Run from the repository root:  /usr/bin/python3 tests/data/online_moments/generate.py
Writes tests/data/online_moments/reference.json.
"""
import json
import os

import numpy as np
import pandas as pd

rng = np.random.default_rng(20260501)
T, n = 300, 4
A = rng.normal(size=(n, n))
X = rng.normal(size=(T, n)) @ A.T * 0.01 + np.array([0.001, -0.002, 0.0005, 0.003])
frame = pd.DataFrame(X)

cases = []
for half_life in (5.0, 40.0):
    ewm = frame.ewm(halflife=half_life, adjust=True)
    mean = ewm.mean().iloc[-1].to_numpy()
    cov = ewm.cov(bias=False).iloc[-n:].to_numpy()
    cases.append({"half_life": half_life, "mean": mean.tolist(), "covariance": cov.tolist()})

out = {
    "source": "pandas %s ewm(halflife, adjust=True).mean() / .cov(bias=False); numpy %s"
              % (pd.__version__, np.__version__),
    "observations": X.tolist(),
    "batch": {"mean": X.mean(axis=0).tolist(), "covariance": np.cov(X, rowvar=False, ddof=1).tolist()},
    "exponential": cases,
}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference.json")
with open(path, "w") as f:
    json.dump(out, f)
print("wrote", path)
