#!/usr/bin/env bash
# The test suite under sanitizers (docs/reliability.md). Both builds use the system allocator: ASan and TSan
# replace malloc, so only memsoak-glibc is built (CMakeLists.txt).
#   asan: ASan + UBSan + LeakSanitizer (MEMSOAK_SANITIZE=address, plus float-cast-overflow, which GCC leaves out
#         of -fsanitize=undefined) in build-asan: every test binary and memsoak-glibc, the whole ctest suite but
#         the tests that judge the "process" budget (RSS below 50 MiB), which ASan's shadow memory and quarantine
#         exceed by design; they run in the normal build. The end-to-end tests run memsoak-glibc as a child, so the
#         tool itself is checked for leaks at every exit.
#   tsan: ThreadSanitizer (MEMSOAK_SANITIZE=thread) in build-tsan: only what runs threads: the engine tests (the
#         log queue's producers and consumer), the reliability tests' log queue concurrency tests, and the history
#         store's two writers at once (both backends).
# In both, the checker canary (tests/canary) must have each deliberate defect reported first: a build that lost its
# instrumentation fails instead of passing while checking nothing.
# Usage: scripts/ci-sanitizers.sh [asan|tsan|all]   (default all). Exit code: ctest's; 0 when everything passed.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
which=${1:-all}

# -O1 and line tables only: about 40% less compile time than -O2 -g, with stacks that still name file and line.
build_flags=(-G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG")
# Tests that expect the process budget's RSS peak to pass (tests/cli): the shipped scenarios judged by "process",
# the selftest's false-alarm runs, fixcheck and the diagnosis of a fixed run. A new test of that kind joins here.
rss_judging_tests='^(Cli\.MeasureWithoutEngineLeavesEngineBudgetsUnmeasured|Cli\.SuiteRunsEachScenarioAndReportsTheWorstOutcome'
rss_judging_tests+='|ProductionDay\.ReproducesTheStudysNumbers|Nightly/ShippedScenario\.VerdictFollowsTheLeakSwitch/'
rss_judging_tests+='(gui_hour|overnight|production_day|indicator_toggles|gui_freeze_log_flood|replay_btc|trading_months|signals_month)_fixed'
rss_judging_tests+='|Selftest\.(ShortFormCatchesEveryLeakAndRaisesNoFalseAlarm|WithoutTheEngineLayerEveryLeakIsStillCaught)'
rss_judging_tests+='|Fixcheck\.ReportsWhatTheFixesSaveAndTheVerdictFlip|Diagnosis\.TheReportSaysWhichLayerGrows'
# Calibrated limits are not applied under a sanitizer (it replaces the allocator): the tests of unnamed leaks and
# of the calibration workflow judge them.
rss_judging_tests+='|ProductionDay/UnnamedLeak\..*|Calibrate\.WritesLimitsThatARunAppliesAndRefusesAScenarioChangedSince'
rss_judging_tests+='|ShippedScenarios\.NoNightlyScenarioIsBlindOrStopsAnActionEarly'
rss_judging_tests+='|SelftestPower\.ShortStudyCatchesTheLargeRateAndTheFillPasses|SelftestAaSuite\..*'
rss_judging_tests+='|StaircaseLeak\.FailsOnItsMeanRateWhereTheTrendReadsItsTreads'
rss_judging_tests+='|CiEnvironment\.(EveryReportRecordsTheResolvedCommit|SuiteAndMergePrintALinePerRunWithoutATerminal))( |$)'

# Any report is a failure: stop at the first one with a full stack.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1

run_asan() {
  local start=$SECONDS
  cmake -S . -B build-asan "${build_flags[@]}" -DMEMSOAK_SANITIZE=address \
        -DCMAKE_CXX_FLAGS=-fsanitize=float-cast-overflow >/dev/null
  cmake --build build-asan -j"$jobs"
  ctest --test-dir build-asan --output-on-failure -j"$jobs" -E "$rss_judging_tests"
  echo "ci-sanitizers: asan done in $((SECONDS - start)) s"
}

run_tsan() {
  local start=$SECONDS
  cmake -S . -B build-tsan "${build_flags[@]}" -DMEMSOAK_SANITIZE=thread >/dev/null
  cmake --build build-tsan -j"$jobs" --target memsoak_engine_tests memsoak_reliability_tests memsoak_checker_canary \
        memsoak_history_tests
  ctest --test-dir build-tsan --output-on-failure -L '^canary$'
  ctest --test-dir build-tsan --output-on-failure -j"$jobs" -L '^engine$'
  ctest --test-dir build-tsan --output-on-failure -j"$jobs" -R '^LogQueueConcurrency\.'
  # The history tests are one ctest test (one PostgreSQL server); only the threaded case is TSan's business.
  build-tsan/tests/memsoak_history_tests --gtest_filter='Backends/StoreTest.TwoWritersAtOnceLoseNothing/*'
  echo "ci-sanitizers: tsan done in $((SECONDS - start)) s"
}

case "$which" in
  asan) run_asan ;;
  tsan) run_tsan ;;
  all) run_asan; run_tsan ;;
  *) echo "usage: scripts/ci-sanitizers.sh [asan|tsan|all]" >&2; exit 2 ;;
esac
