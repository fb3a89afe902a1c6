#!/usr/bin/env bash
# Refreshes reports/baselines/: the nightly suite's JSON reports from the default build (RelWithDebInfo, mimalloc),
# the baseline that `memsoak compare reports/baselines CANDIDATE_DIR` measures a candidate against.
#
#   bash scripts/refresh-baselines.sh
#
# It builds in build/ (as scripts/nightly.sh does); MEMSOAK_BUILD_DIR=DIR builds in DIR instead.
#
# Run it on a good build (every budget passes: the script refuses to store a failing suite) and commit the
# changed reports with the change that moved them, saying why the baseline moved. Only the reports are kept:
# the logs and the suite's own suite-report.json are run-specific and stay out of the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${MEMSOAK_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target memsoak
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if ! "$build"/tools/memsoak suite scenarios/nightly.json --out-dir "$work"; then
  echo "refresh-baselines: the nightly suite did not pass; a baseline must come from a good build" >&2
  exit 1
fi
rm -f reports/baselines/*.json
cp "$work"/*.json reports/baselines/
rm -f reports/baselines/suite-report.json
echo "refresh-baselines: $(ls reports/baselines/*.json | wc -l) reports in reports/baselines/"
