#!/usr/bin/env bash
# Formatting (clang-format) and static analysis (clang-tidy, allow-list in .clang-tidy).
# Usage: scripts/lint.sh          check everything, non-zero exit on findings
#        scripts/lint.sh --fix    reformat the sources in place (no clang-tidy)
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t sources < <(git ls-files '*.cc' '*.h' 2>/dev/null || find include src services apps bench examples tests -name '*.cc' -o -name '*.h')

if [[ "${1:-}" == "--fix" ]]; then
  clang-format -i "${sources[@]}"
  exit 0
fi

echo "lint: clang-format on ${#sources[@]} files"
clang-format --dry-run --Werror "${sources[@]}"

# clang-tidy needs a compilation database: the ci preset's build writes one.
if [[ ! -f build/ci/compile_commands.json ]]; then scripts/build.sh ci >/dev/null; fi
mapfile -t tidy_sources < <(printf '%s\n' "${sources[@]}" | grep -E '^(src|services|apps)/.*\.cc$' | grep -v '_test\.cc$')
echo "lint: clang-tidy on ${#tidy_sources[@]} files"
printf '%s\n' "${tidy_sources[@]}" |
  xargs -P "$(nproc)" -n 2 clang-tidy -p build/ci --quiet --extra-arg=-Wno-unknown-warning-option 2>&1 |
  grep -v -E '^[0-9]+ warnings? generated|^Suppressed|^Use -header-filter|non-user code' |
  tee /tmp/pfopt-clang-tidy.log
if grep -q -E '(error|warning):' /tmp/pfopt-clang-tidy.log; then
  echo "lint: clang-tidy found problems" >&2
  exit 1
fi
echo "lint: clean"
