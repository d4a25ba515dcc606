#!/usr/bin/python3
"""Reference values of the normal and chi-square distributions, from scipy.stats.

Writes reference.json next to this script. Regenerate from the repository root with
    /usr/bin/python3 tests/data/distributions/generate.py
(`/usr/bin/python3`: the python3 first on PATH lacks scipy). Deterministic: no timestamps,
floats written with repr (shortest round-trip form).

scipy.stats.norm.ppf/cdf use cephes ndtri/ndtr; chi2.ppf/cdf use cephes chdtri/chdtr (the
inverse and the regularised incomplete gamma function), scipy.special.gammainc/gammaincc the
regularised incomplete gamma functions P(a, x) and Q(a, x). For the quantiles the script also
records the distribution function evaluated back at scipy's quantile (`roundtrip`), which shows
scipy's own accuracy.

`gamma_exact` is independent of scipy: P(a, x) for integer a by its series
P = e^-x x^a / a! * sum_n x^n / ((a+1)...(a+n)) in 60-digit decimal arithmetic (exact integers
for x^a and a!), and Q = 1 - P. scipy is off by up to ~3e-13 relative on some of these (e.g.
P(500, 250)), which is why the C++ test holds the scipy table to a looser tolerance than these.
"""

import json
import math
import os
from decimal import Decimal, getcontext
import platform

import numpy as np
import scipy
from scipy import special, stats

PROBABILITIES = [1e-300, 1e-100, 1e-20, 1e-10, 1e-6, 1e-3, 0.01, 0.025, 0.05, 0.1, 0.2, 0.25,
                 0.3, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7, 0.75, 0.8, 0.9, 0.95, 0.975, 0.99, 0.999,
                 1 - 1e-6, 1 - 1e-10, 1 - 2 ** -52]
DEGREES = [0.1, 0.5, 1, 1.5, 2, 3, 4, 5, 7, 10, 15, 20, 30, 50, 100, 250, 500, 1000, 5000, 1e4,
           1e5]


def main():
    out = {
        "meta": {
            "command": "/usr/bin/python3 tests/data/distributions/generate.py",
            "versions": {"python": platform.python_version(), "numpy": np.__version__,
                         "scipy": scipy.__version__},
            "definitions": {
                "normal_quantile": "scipy.stats.norm.ppf(p)",
                "normal_cdf": "scipy.stats.norm.cdf(x)",
                "chi2_quantile": "scipy.stats.chi2.ppf(p, k)",
                "chi2_cdf": "scipy.stats.chi2.cdf(x, k)",
                "gamma_p": "scipy.special.gammainc(a, x)",
                "gamma_q": "scipy.special.gammaincc(a, x)",
            },
        },
        "normal_quantile": [],
        "normal_cdf": [],
        "chi2_quantile": [],
        "chi2_cdf": [],
        "gamma_pq": [],
    }
    for p in PROBABILITIES:
        x = float(stats.norm.ppf(p))
        out["normal_quantile"].append({"p": p, "x": x})
    for x in [-38.0, -20.0, -8.0, -5.0, -3.0, -1.96, -1.0, -0.3, 0.0, 0.3, 1.0, 1.6448536269514722,
              1.96, 3.0, 5.0, 8.0]:
        out["normal_cdf"].append({"x": x, "p": float(stats.norm.cdf(x))})
    for k in DEGREES:
        for p in PROBABILITIES:
            if p < 1e-100 and k > 10:
                continue  # below the smallest normal double for large k
            x = float(stats.chi2.ppf(p, k))
            if not np.isfinite(x) or x == 0.0:
                continue
            roundtrip = float(stats.chi2.sf(x, k)) if p > 0.5 else float(stats.chi2.cdf(x, k))
            target = 1 - p if p > 0.5 else p
            out["chi2_quantile"].append({"p": p, "k": k, "x": x,
                                         "roundtrip_relative_error": abs(roundtrip - target) / target})
    for k in [1, 2, 5, 10, 50, 200, 1000]:
        for x in [0.01, 0.5, 1.0, k / 2, k, k + 1, 1.5 * k + 3, 3 * k + 10]:
            out["chi2_cdf"].append({"x": float(x), "k": k, "p": float(stats.chi2.cdf(x, k))})
    for a in [0.1, 0.5, 1.0, 2.5, 10.0, 12.5, 100.0, 2500.0, 50000.0]:
        for scale in [0.01, 0.5, 0.9, 1.0, 1.1, 2.0, 5.0]:
            x = a * scale
            out["gamma_pq"].append({"a": a, "x": x, "p": float(special.gammainc(a, x)),
                                    "q": float(special.gammaincc(a, x))})
    getcontext().prec = 60
    out["gamma_exact"] = []
    for a in [1, 3, 10, 50, 500, 2500]:
        for scale in [0.01, 0.5, 0.9, 1.0, 1.1, 2.0]:
            x = a * scale
            xd = Decimal(x)  # the exact double value of x
            term = Decimal(1)
            total = Decimal(1)
            n = 1
            while True:
                term = term * xd / Decimal(a + n)
                total += term
                if term < total * Decimal(10) ** -58:
                    break
                n += 1
            p = (-xd).exp() * xd ** a / Decimal(math.factorial(a)) * total
            q = 1 - p  # exact to ~1e-58: kept only where that is a relative accuracy of 1e-18
            out["gamma_exact"].append({"a": float(a), "x": x, "p": float(p),
                                       "q": float(q) if q > Decimal(10) ** -40 else None})
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
