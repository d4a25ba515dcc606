#!/usr/bin/env bash
# Times every scenario method on the generated 40 x 10 000 x 10 cube (bench/scenario_bench.cc)
# and prints the table of bench/README.md: our median time, allopy's, and the ratio.
#
# allopy itself cannot be installed here (no PyPI), so its figures are the ones the scenario
# issue measured on this machine: maximize_returns(max_vol) 29 ms, minimize_volatility 1.4 ms,
# minimize_cvar 129 ms, maximize_sharpe_ratio 70 ms (1.4 s with rebalance), maximize_eva
# (max_vol = 0.03) 39 ms, maximize_info_ratio 106 ms.
#
# Usage: bench/scenario_vs_allopy.sh [BUILD_DIR] [REPETITIONS]   (default build/release, 9)
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build/release}"
repetitions="${2:-9}"
bench="$build/bench/scenario_bench"
if [[ ! -x "$bench" ]]; then
  echo "build it first: scripts/build.sh ${build##*/} --target scenario_bench" >&2
  exit 2
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$bench" --benchmark_repetitions="$repetitions" --benchmark_min_time=0.2 \
  --benchmark_format=json >"$out"
/usr/bin/python3 - "$out" <<'PY'
import json, statistics, sys
runs = json.load(open(sys.argv[1]))["benchmarks"]
allopy_ms = {
    "BM_MaximizeReturnsMaxVol": ("maximize_returns(max_vol=0.12)", 29.0),
    "BM_MinimizeVolatility": ("minimize_volatility()", 1.4),
    "BM_MinimizeCvar": ("minimize_cvar()", 129.0),
    "BM_MaximizeSharpeRatio": ("maximize_sharpe_ratio()", 70.0),
    "BM_MaximizeSharpeRatioRebalanced": ("maximize_sharpe_ratio(), rebalance", 1400.0),
    "BM_MaximizeEva": ("maximize_eva(max_vol=0.03)", 39.0),
    "BM_MaximizeInfoRatio": ("maximize_info_ratio()", 106.0),
    "BM_MaximizeReturnsMaxCvar": ("maximize_returns(max_cvar=-0.15)", None),
    "BM_MinimizeTrackingError": ("minimize_tracking_error(min_ret=0.07)", None),
    "BM_LoadNpy": ("load the 32 MB .npy cube", None),
    "BM_LoadNpyAndBuildData": ("load + build the data (G, Sigma)", None),
}
scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}
cpu, real = {}, {}
for run in runs:
    if run.get("run_type") != "iteration":
        continue
    name = run["run_name"] if "run_name" in run else run["name"]
    cpu.setdefault(name, []).append(run["cpu_time"] * scale[run["time_unit"]])
    real.setdefault(name, []).append(run["real_time"] * scale[run["time_unit"]])
print("| method | pfopt median CPU (ms) | pfopt median wall (ms) | allopy (ms) | ratio (CPU) |")
print("|---|---:|---:|---:|---:|")
for name, (label, peer) in allopy_ms.items():
    if name not in cpu:
        continue
    c, w = statistics.median(cpu[name]), statistics.median(real[name])
    ratio = "%.0fx" % (peer / c) if peer else "-"
    print("| %s | %.3f | %.3f | %s | %s |" % (label, c, w, "%g" % peer if peer else "-", ratio))
PY
