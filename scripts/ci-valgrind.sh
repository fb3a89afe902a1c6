#!/usr/bin/env bash
# valgrind memcheck on short scenarios with memsoak-glibc (the system allocator, so memcheck sees every block):
# fails on any memory error (invalid read or write, use of uninitialised memory, bad free) and on any byte
# definitely or indirectly lost at exit. A leak tool must not leak.
#   1. gui-hour.json, every leak site fixed;
#   2. gui-hour.json with every study issue switched back to its leaky behaviour (retained memory must still be
#      freed at exit);
#   3. a two-day mix of what the shipped scenarios leave out: CSV replay, the transaction archive (file I/O),
#      indicator toggles and a GUI freeze, with every rendering of the report (HTML, JUnit, Markdown);
#   4. compare of the two gui-hour reports, with its renderings;
#   5. a suite of two scenarios, its children traced too (fork and exec, reports gathered, suite report).
# First the checker canary (tests/canary) must be caught leaking and reading past a block, so that a memcheck that
# stopped reporting cannot pass the runs above.
# The runs' budget verdicts mean nothing under valgrind (its own memory is in the RSS): exit 0 or 1 both pass.
# Usage: scripts/ci-valgrind.sh [BUILD_DIR]   (default build; memsoak-glibc is built there if needed)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
start=$SECONDS
cmake --build "$build" --target memsoak-glibc memsoak_checker_canary
memsoak="$build/tools/memsoak-glibc"
canary="$build/tests/memsoak_checker_canary"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The mix is not a shipped scenario: it has no calibration, so it is judged by hand-set process limits.
cp tests/data/budgets-uncalibrated.json "$work/budgets.json"
cat > "$work/valgrind-mix.json" <<EOF
{
  "schema_version": 1, "name": "valgrind-mix", "duration": "2d", "seed": 5, "sample_interval": "1h", "warmup": "0s",
  "purge_interval": "6h",
  "engine": {"replay_csv": "$PWD/scenarios/data/BTCUSDT_1h.csv", "candle_interval": "1h", "analysis_period": "3d",
             "transaction_policy": "archive", "archive_path": "$work/trades.archive", "archive_threshold": 20,
             "archive_keep": 5},
  "workload": [
    {"action": "tick", "every": "1h"},
    {"action": "analyze", "every": "2h"},
    {"action": "refresh_chart", "every": "6h", "offset": "5m"},
    {"action": "toggle_indicator", "indicator": "rsi", "every": "12h", "offset": "7m"},
    {"action": "trade", "rate": "48/d"},
    {"action": "log", "rate": "1/m"},
    {"action": "gui_pump", "every": "1m"},
    {"action": "gui_freeze", "at": ["1d"], "for": "2h"}
  ],
  "budgets": ["issue-3", "process"]
}
EOF

# memcheck NAME ARGS...: memsoak-glibc ARGS under memcheck; every process it starts is checked too (one log each).
memcheck() {
  local name=$1
  shift
  local status=0
  valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect --trace-children=yes \
           --errors-for-leak-kinds=definite,indirect --error-exitcode=99 --log-file="$work/$name.%p.valgrind.log" \
           "$memsoak" "$@" >"$work/$name.out" 2>&1 || status=$?
  local log=("$work/$name".*.valgrind.log)
  if [ "$status" -eq 99 ] || grep -q "ERROR SUMMARY: [1-9]" "${log[@]}"; then
    cat "${log[@]}"
    echo "ci-valgrind: $name: memcheck found memory errors or leaks" >&2
    exit 1
  elif [ "$status" -ne 0 ] && [ "$status" -ne 1 ]; then
    cat "$work/$name.out" "${log[@]}"
    echo "ci-valgrind: $name: memsoak exited with $status (see the output above)" >&2
    exit 1
  fi
  grep -hE "ERROR SUMMARY|definitely lost|indirectly lost|All heap blocks were freed" "${log[@]}" | sed "s/^/$name: /"
}

# canary MODE REPORT: memcheck must fail the canary's MODE defect and say REPORT.
canary() {
  local status=0
  valgrind --tool=memcheck --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 \
           --log-file="$work/canary-$1.log" "$canary" "$1" || status=$?
  if [ "$status" -ne 99 ] || ! grep -q "$2" "$work/canary-$1.log"; then
    cat "$work/canary-$1.log"
    echo "ci-valgrind: memcheck did not report the canary's $1 defect (exit $status, expected 99 and \"$2\")" >&2
    exit 1
  fi
  echo "canary-$1: caught ($2)"
}
canary leak "definitely lost: 256 bytes in 1 blocks"
canary overflow "Invalid read of size 4"

leaks=()
for issue in 1 2 3 4 5; do leaks+=(--leak "issue-$issue"); done
memcheck gui-hour run scenarios/gui-hour.json --out "$work/gui-hour.json" --quiet
memcheck gui-hour-leaky run scenarios/gui-hour.json "${leaks[@]}" --out "$work/gui-hour-leaky.json" --quiet
memcheck valgrind-mix run "$work/valgrind-mix.json" --out "$work/valgrind-mix.report.json" --quiet \
         --html "$work/mix.html" --junit "$work/mix.xml" --markdown "$work/mix.md"
memcheck compare compare "$work/gui-hour.json" "$work/gui-hour-leaky.json" --html "$work/compare.html" \
         --junit "$work/compare.xml" --markdown "$work/compare.md"
cat > "$work/two.json" <<EOF
{"schema_version": 1, "name": "two",
 "scenarios": ["$PWD/scenarios/gui-hour.json", "$PWD/scenarios/indicator-toggles.json"]}
EOF
memcheck suite suite "$work/two.json" --out-dir "$work/suite" --html "$work/suite.html"
for report in "$work/suite/gui-hour.json" "$work/suite/indicator-toggles.json" "$work/suite/suite-report.json"; do
  [ -s "$report" ] || { echo "ci-valgrind: the suite under valgrind did not write $report" >&2; exit 1; }
done
echo "ci-valgrind: done in $((SECONDS - start)) s"
