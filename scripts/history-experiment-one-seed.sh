#!/usr/bin/env bash
# One-seed histories cut from the three-seed experiment (docs/history.md "Measured"): for K = 1, 2, 3, night N keeps
# only seed 3N+K's reports, so each of aa/inject/leak gives three one-seed histories of real runs. Prints, per
# history, the change points at night 40 (within one) and elsewhere; with BASELINE_MEMSOAK (another build's
# memsoak, memsoak-history beside it) also that build's check of the same database, side by side.
#
#   bash scripts/history-experiment-one-seed.sh [WORK_DIR] [OUT_DIR]
#
# WORK_DIR is scripts/history-experiment.sh's folder after `generate` with three seeds a night.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/memsoak-history-experiment}
out=${2:-$work/one-seed}
mkdir -p "$out"
memsoak_source=${MEMSOAK:-$here/build/tools/memsoak}
cp "$memsoak_source" "$out/memsoak"
cp "$(dirname "$memsoak_source")/memsoak-history" "$out/memsoak-history"
builds=("this:$out/memsoak")
[[ -n "${BASELINE_MEMSOAK:-}" ]] && builds+=("baseline:$BASELINE_MEMSOAK")
for k in 1 2 3; do
  for history in aa inject leak; do
    db="$out/$history-seed-3n+$k.sqlite"
    rm -f "$db" "$db-wal" "$db-shm"
    for ((n = 0; n < 60; n++)); do
      folder="$work/aa/night-$(printf %02d "$n")"
      [[ "$history" != aa && $n -ge 40 ]] && folder="$work/$history/night-$(printf %02d "$n")"
      "$out/memsoak" history record "$db" "$folder"/*-seed$((3 * n + k)).json --commit "night$(printf %02d "$n")" \
        --time "$(date -u -d "2026-01-01 + $n days" +%F)" --quiet
    done
    for build in "${builds[@]}"; do
      json="$out/$history-seed-3n+$k-${build%%:*}.json"
      "${build#*:}" history check "$db" --json "$json" > /dev/null || true
      python3 - "$json" "$history seed 3N+$k, ${build%%:*} build:" <<'PY'
import json, sys
found = json.load(open(sys.argv[1]))["changes"]
right = [c for c in found if abs(c["night_index"] - 40) <= 1]
wrong = [f"{c['scenario'].split()[0]} {c['kind']} {c['metric']} at night {c['night_index']}"
         for c in found if abs(c["night_index"] - 40) > 1]
print(sys.argv[2], len(found), "change points,", len(right), "at night 40 +-1,", len(wrong), "elsewhere",
      ("(" + "; ".join(wrong) + ")") if wrong else "")
PY
    done
  done
done
