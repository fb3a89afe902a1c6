#!/usr/bin/env bash
# The history's detection experiment (docs/history.md "Measured"): 60 nights of the nightly suite, recorded with synthetic commits night00..night59 and one day apart, as three
# histories that share nights 0-39:
#   aa      60 A/A nights of the fixed engine: there must be no change point at all;
#   inject  from night 40 an untracked leak (--inject analyze:per_call:1024, outside the study's components);
#   leak    from night 40 the study's issue-2 switched back on (--leak issue-2).
# Each change must be found at night 40 (within one), as the range night39..night40 (or one night either side).
#
#   bash scripts/history-experiment.sh [WORK_DIR] [generate|check|all] [SEEDS_PER_NIGHT]
#
# SEEDS_PER_NIGHT is 3 by default, as the nightly job runs (.github/workflows/nightly.yml): night N runs seeds
# 3N+1, 3N+2, 3N+3 and the history takes each night's median. 1 repeats the first experiment: night N runs seed
# 5000+N alone. Use a separate WORK_DIR for each (a night folder is reused when it holds a suite report).
# generate runs the 100 suites (about 5 s a seed on an idle 2-core machine); check records the three histories and
# prints what `memsoak history check` finds. MEMSOAK names the binary (default build/tools/memsoak, copied to the
# work folder first so that a rebuild cannot break the run).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/memsoak-history-experiment}
step=${2:-all}
seeds_per_night=${3:-3}
[[ "$seeds_per_night" == 1 || "$seeds_per_night" == 3 ]] || { echo "SEEDS_PER_NIGHT must be 1 or 3" >&2; exit 2; }
nights=60
change_at=40
mkdir -p "$work"
memsoak_source=${MEMSOAK:-$here/build/tools/memsoak}
cp "$memsoak_source" "$work/memsoak"
# `memsoak history` runs the memsoak-history executable found beside memsoak.
cp "$(dirname "$memsoak_source")/memsoak-history" "$work/memsoak-history"
memsoak="$work/memsoak"

seeds_of_night() {  # night -> the --seeds value
  if [[ "$seeds_per_night" == 1 ]]; then echo $((5000 + $1)); else echo "$((3 * $1 + 1)),$((3 * $1 + 2)),$((3 * $1 + 3))"; fi
}

run_night() {  # history night extra-options...
  local history=$1 night=$2
  shift 2
  local out="$work/$history/night-$(printf %02d "$night")"
  # A finished night is reused; an interrupted one (its suite report says so) is run again.
  [[ -f "$out/suite-report.json" ]] && ! grep -q '"interrupted": *true' "$out/suite-report.json" && return 0
  rm -rf "$out"
  "$memsoak" suite "$here/scenarios/nightly.json" --seeds "$(seeds_of_night "$night")" --out-dir "$out" "$@" > /dev/null || true
}

if [[ "$step" == generate || "$step" == all ]]; then
  for ((n = 0; n < nights; n++)); do run_night aa "$n"; done
  for ((n = change_at; n < nights; n++)); do
    run_night inject "$n" --inject analyze:per_call:1024
    run_night leak "$n" --leak issue-2
  done
fi

if [[ "$step" == check || "$step" == all ]]; then
  for history in aa inject leak; do
    db="$work/$history.sqlite"
    rm -f "$db" "$db-wal" "$db-shm"
    for ((n = 0; n < nights; n++)); do
      folder="$work/aa/night-$(printf %02d "$n")"
      [[ "$history" != aa && $n -ge $change_at ]] && folder="$work/$history/night-$(printf %02d "$n")"
      "$memsoak" history record "$db" "$folder" --commit "night$(printf %02d "$n")" \
        --time "$(date -u -d "2026-01-01 + $n days" +%F)" --quiet
    done
    echo "== $history: $nights nights, $seeds_per_night seed(s) a night$([[ $history != aa ]] && echo ", change from night $change_at")"
    status=0
    "$memsoak" history check "$db" --json "$work/$history-check.json" > "$work/$history-check.txt" || status=$?
    cat "$work/$history-check.txt"
    echo "check exit code: $status"
    python3 - "$work/$history-check.json" "$history" "$change_at" <<'EOF' || true
import json, sys
found = json.load(open(sys.argv[1]))["changes"]
history, at = sys.argv[2], int(sys.argv[3])
right = [c for c in found if abs(c["night_index"] - at) <= 1]
wrong = [c for c in found if abs(c["night_index"] - at) > 1]
if history == "aa":
    print(f"summary aa: {len(found)} change points (target: 0)")
else:
    print(f"summary {history}: {len(right)} change points at night {at} +-1 "
          f"({sum(c['regression'] for c in right)} regressions), {len(wrong)} elsewhere (target: 0); ranges: "
          + ", ".join(sorted({c['last_good']['commit'] + '..' + c['first_bad']['commit'] for c in right})))
EOF
  done
fi
