#!/usr/bin/env bash
# Builds the libFuzzer targets (preset `fuzz`: clang, ASan + UBSan) and fuzzes the request
# parsing for a bounded time (default 45 s), starting from the example requests and the seed
# corpus in services/rest/fuzz/corpus. A crash, sanitizer report, leak or hang fails (exit != 0);
# the input that caused it is left in build/fuzz/artifacts/.
# Usage: scripts/fuzz.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-45}"
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$(nproc)" --target request_fuzzer
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
cp examples/requests/*.json services/rest/fuzz/corpus/* "$corpus/"
mkdir -p build/fuzz/artifacts
echo "fuzz: request_fuzzer for ${seconds} s"
status=0
build/fuzz/services/rest/request_fuzzer "$corpus" -max_total_time="$seconds" -max_len=8192 \
  -timeout=10 -rss_limit_mb=2048 -dict=services/rest/fuzz/request.dict -print_final_stats=1 \
  -artifact_prefix=build/fuzz/artifacts/ >build/fuzz/fuzz.log 2>&1 || status=$?
grep -v -E '^#[0-9]+.*(NEW|REDUCE|pulse|INITED)' build/fuzz/fuzz.log | tail -40 || true
if ((status != 0)); then
  echo "fuzz: FAILED (exit $status); the input is in build/fuzz/artifacts/" >&2
  exit 1
fi
echo "fuzz: no crash in ${seconds} s"
