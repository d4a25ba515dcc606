#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs every test.
#   1. release build with warnings as errors (preset ci) and all CTest labels
#      (unit, integration, e2e, slow)
#   2. AddressSanitizer + UndefinedBehaviorSanitizer build of the unit tests
#   3. libFuzzer on the request parsing and on the Avro decoding, 45 s each (scripts/fuzz.sh;
#      PFOPT_FUZZ_SECONDS)
#   4. formatting and static analysis (scripts/lint.sh)
# Usage: scripts/test.sh [--quick]   (--quick: step 1 only)
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
scripts/setup.sh

echo "== build (ci preset) and run all tests"
scripts/build.sh ci
ctest --preset ci -j "$(nproc)"

if [[ "${1:-}" != "--quick" ]]; then
  echo "== sanitizers (asan-ubsan preset): unit tests"
  # Only the unit-test executables (each CTest unit test is the target of the same name): the
  # programs, examples and integration tests are not run under the sanitizers.
  cmake --preset asan-ubsan >/dev/null
  mapfile -t unit_targets < <(ctest --preset asan-ubsan -N | sed -n 's/^ *Test *#[0-9]*: //p')
  ((${#unit_targets[@]} > 0)) || { echo "no unit tests found"; exit 1; }
  scripts/build.sh asan-ubsan --target "${unit_targets[@]}"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --preset asan-ubsan -j "$(nproc)"

  echo "== fuzz (libFuzzer on request parsing and Avro decoding, bounded)"
  scripts/fuzz.sh "${PFOPT_FUZZ_SECONDS:-45}"

  echo "== lint"
  scripts/lint.sh
fi
echo "== all tests passed in $(($(date +%s) - start)) s"
