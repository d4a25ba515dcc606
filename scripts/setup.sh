#!/usr/bin/env bash
# Installs everything pfopt needs from Debian packages. Idempotent: packages already installed
# are skipped; when something is missing it runs `apt-get update` first, then installs.
# Usage: scripts/setup.sh            (build + test dependencies, reference tools)
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake ninja-build pkg-config ccache
  # libraries
  libeigen3-dev libexpected-dev nlohmann-json3-dev libcli11-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev clang-format clang-tidy
  # independent reference solvers used by the tests and the peer benchmark
  r-base-core r-cran-quadprog python3-cvxopt python3-numpy python3-scipy python3-pandas
  # optimisation service: HTTP, storage, events; PostgreSQL server for the tests; load tool;
  # clang + its runtime for the libFuzzer target
  libcpp-httplib-dev libsqlite3-dev libpq-dev librdkafka-dev postgresql wrk clang libclang-rt-14-dev
  # real-time rebalancer: Avro, HTTP client; InfluxDB and python3-avro for the end-to-end and
  # interoperability tests
  libavro-dev libcurl4-openssl-dev influxdb python3-avro curl
)

missing=()
for package in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#PACKAGES[@]} packages are installed"
  exit 0
fi

SUDO=""
if [[ "$(id -u)" -ne 0 ]]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${missing[@]}"
