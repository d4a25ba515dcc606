#!/usr/bin/env bash
# Builds the libFuzzer targets (preset `fuzz`: clang, ASan + UBSan) and runs each for a bounded
# time (default 45 s each):
#   request_fuzzer  the service's request parsing, from the example requests and
#                   services/rest/fuzz/corpus;
#   avro_fuzzer     the stream's Avro decoding of every record type (the quote's flat path
#                   against avro-c), from services/stream/fuzz/corpus.
# A crash, sanitizer report, leak, hang or failed check fails (exit != 0); the input that caused
# it is left in build/fuzz/artifacts/.
# Usage: scripts/fuzz.sh [seconds per target]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-45}"
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$(nproc)" --target request_fuzzer avro_fuzzer
mkdir -p build/fuzz/artifacts
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# fuzz NAME BINARY CORPUS_DIR [libFuzzer flags...]
fuzz() {
  local name=$1 binary=$2 corpus=$3
  shift 3
  echo "fuzz: $name for ${seconds} s"
  local status=0
  "$binary" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix=build/fuzz/artifacts/ "$@" \
    >"build/fuzz/$name.log" 2>&1 || status=$?
  grep -v -E '^#[0-9]+.*(NEW|REDUCE|pulse|INITED)' "build/fuzz/$name.log" | tail -40 || true
  if ((status != 0)); then
    echo "fuzz: $name FAILED (exit $status); the input is in build/fuzz/artifacts/" >&2
    exit 1
  fi
  echo "fuzz: $name, no failure in ${seconds} s"
}

mkdir -p "$work/request" "$work/avro"
cp examples/requests/*.json services/rest/fuzz/corpus/* "$work/request/"
cp services/stream/fuzz/corpus/* "$work/avro/"
fuzz request_fuzzer build/fuzz/services/rest/request_fuzzer "$work/request" -max_len=8192 \
  -dict=services/rest/fuzz/request.dict
fuzz avro_fuzzer build/fuzz/services/stream/avro_fuzzer "$work/avro" -max_len=4096
