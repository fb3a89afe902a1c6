#!/usr/bin/env bash
# The nightly job: install what is missing, build, run the nightly soak suite. Reports (JSON, one per scenario)
# land in memsoak-reports/. Exit code: the suite's (0 every budget passed, 1 a budget failed, 2 bad input,
# 3 internal error or a crashed scenario).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
exec build/tools/memsoak suite scenarios/nightly.json --out-dir memsoak-reports
