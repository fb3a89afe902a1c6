#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang 14 under ASan + UBSan + LeakSanitizer and runs each for a
# bounded time: fuzz_scenario (scenario files, with the engine settings they carry), fuzz_ledger (budget ledgers)
# and fuzz_csv (OHLCV CSV files for replay). Each starts from its seed corpus (tests/fuzz/corpus/<kind>) plus the
# shipped files of that kind, with a dictionary of the format's tokens.
# Fails on a crash, an uncaught exception, undefined behaviour, a leak, an input that takes over 10 s (a hang) or
# one that needs over 2 GB. The input that caused it is kept in build-fuzz/findings/<target>/; replay it with
#   build-fuzz/tests/fuzz/<target> build-fuzz/findings/<target>/<file>
# Usage: scripts/ci-fuzz.sh [SECONDS_PER_TARGET]   (default 60)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
build=build-fuzz
start=$SECONDS

cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-14 \
      -DMEMSOAK_SANITIZE=address -DMEMSOAK_BUILD_FUZZERS=ON >/dev/null
cmake --build "$build" -j"$(nproc)" --target fuzz_scenario fuzz_ledger fuzz_csv

# TARGET KIND MAX_LEN SHIPPED_SEED_FOLDER...: the working corpus grows in build-fuzz/corpus/TARGET (kept between
# runs, so a later run starts where this one stopped); the checked-in seeds are only read.
fuzz() {
  local target=$1 kind=$2 max_len=$3
  shift 3
  local shipped=("$@")
  local corpus="$build/corpus/$target" findings="$build/findings/$target"
  mkdir -p "$corpus" "$findings"
  echo "ci-fuzz: $target for $seconds s"
  "$build/tests/fuzz/$target" "$corpus" "tests/fuzz/corpus/$kind" "${shipped[@]}" \
      -dict="tests/fuzz/$kind.dict" -max_len="$max_len" -max_total_time="$seconds" -timeout=10 \
      -rss_limit_mb=2048 -detect_leaks=1 -print_final_stats=1 -artifact_prefix="$findings/" \
      >"$build/$target.log" 2>&1 || {
    tail -60 "$build/$target.log"
    echo "ci-fuzz: $target found a problem; the input is in $findings/" >&2
    exit 1
  }
  grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb|^#[0-9]+.*DONE" "$build/$target.log" | sed "s/^/$target: /"
}

fuzz fuzz_scenario scenario 4096 scenarios
fuzz fuzz_ledger ledger 4096 scenarios
# The BTC candles are kept once, beside the replay scenario; the ETH candles are the tests' own.
fuzz fuzz_csv csv 8192 tests/data scenarios/data
echo "ci-fuzz: done in $((SECONDS - start)) s"
