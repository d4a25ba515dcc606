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
mapfile -t all_tidy_sources < <(printf '%s\n' "${sources[@]}" | grep -E '^(src|services|apps)/.*\.cc$' | grep -v '_test\.cc$')
# A file found clean before is not analysed again while neither it nor any project header it
# includes (from the build's dependency files), nor .clang-tidy, nor clang-tidy has changed:
# the key of each file is a hash of all of them, a clean result is a marker file named by it.
cache="${PFOPT_TIDY_CACHE:-$HOME/.cache/pfopt-clang-tidy}"
mkdir -p "$cache"
mapfile -t keyed < <(/usr/bin/python3 scripts/tidy_keys.py build/ci "${all_tidy_sources[@]}")
tidy_sources=()
declare -A key_of
for line in "${keyed[@]}"; do
  file="${line%% *}"; key="${line##* }"
  key_of["$file"]="$key"
  [[ "$key" != "-" && -f "$cache/$key" ]] || tidy_sources+=("$file")
done
echo "lint: clang-tidy on ${#tidy_sources[@]} of ${#all_tidy_sources[@]} files (the others are unchanged since found clean)"
: >/tmp/pfopt-clang-tidy.log
# clang-tidy's own exit status is not used: its findings are read from the log below (grep -v
# exits 1 when every line is filtered out, hence the `|| true`).
if ((${#tidy_sources[@]} > 0)); then
  printf '%s\n' "${tidy_sources[@]}" |
    { xargs -P "$(nproc)" -n 2 clang-tidy -p build/ci --quiet --extra-arg=-Wno-unknown-warning-option 2>&1 || true; } |
    { grep -v -E '^[0-9]+ warnings? generated|^Suppressed|^Use -header-filter|non-user code' || true; } |
    tee /tmp/pfopt-clang-tidy.log
fi
if grep -q -E '(error|warning):' /tmp/pfopt-clang-tidy.log; then
  echo "lint: clang-tidy found problems" >&2
  exit 1
fi
for file in "${tidy_sources[@]}"; do
  [[ "${key_of[$file]}" == "-" ]] || touch "$cache/${key_of[$file]}"
done
echo "lint: clean"
