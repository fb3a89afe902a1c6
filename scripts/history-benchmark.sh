#!/usr/bin/env bash
# A year of nightly history, measured (docs/history.md "Measured"): 365 nights of the nightly suite recorded into a
# fresh SQLite file, one `memsoak history record` process a night as a nightly job would run it, then
# `memsoak history check` over the whole year. Prints, in one run: the record time per night (mean, median, max),
# the check time (median of 3), and the database's size. Targets: record < 1 s a night, check < 2 s, file < 50 MB.
#
#   bash scripts/history-benchmark.sh [NIGHT_FOLDERS_DIR [RUNS_PER_NIGHT]]
#
# NIGHT_FOLDERS_DIR holds suite folders (night-00, night-01, ...; scripts/history-experiment.sh makes 60 of them in
# WORK_DIR/aa, each of three seeds by default); the year cycles through them so that the values vary as real
# nights do. RUNS_PER_NIGHT (default 1) records that many of those folders as one night (with one-seed folders, 3
# gives what a nightly job running the suite with --seeds A,B,C records). BASELINE_MEMSOAK names another build's
# memsoak (with its memsoak-history beside it) whose check is timed in turn on the same database, for a ratio. Without a folder, one nightly suite is run and recorded 365 times. MEMSOAK names the binary (default build/tools/memsoak).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
memsoak_source=${MEMSOAK:-$here/build/tools/memsoak}
cp "$memsoak_source" "$work/memsoak"
# `memsoak history` runs the memsoak-history executable found beside memsoak.
cp "$(dirname "$memsoak_source")/memsoak-history" "$work/memsoak-history"
memsoak="$work/memsoak"
source_dir=${1:-}
per_night=${2:-1}
folders=()
if [[ -n "$source_dir" ]]; then
  for f in "$source_dir"/night-*; do [[ -f "$f/suite-report.json" ]] && folders+=("$f"); done
fi
if [[ ${#folders[@]} -eq 0 ]]; then
  "$memsoak" suite "$here/scenarios/nightly.json" --seeds 1 --out-dir "$work/night" > /dev/null || true
  folders=("$work/night")
fi
db="$work/year.sqlite"
times="$work/times"
for ((n = 0; n < 365; n++)); do
  night=()
  for ((k = 0; k < per_night; k++)); do night+=("${folders[$(((n * per_night + k) % ${#folders[@]}))]}"); done
  start=$(date +%s.%N)
  "$memsoak" history record "$db" "${night[@]}" --commit "$(printf 'y%04d' "$n")" \
    --time "$(date -u -d "2025-01-01 + $n days" +%F)" --quiet
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { print b - a }' >> "$times"
done
check_times="$work/check-times"
baseline_times="$work/baseline-check-times"
for i in 1 2 3; do
  start=$(date +%s.%N)
  "$memsoak" history check "$db" --quiet || true
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { print b - a }' >> "$check_times"
  if [[ -n "${BASELINE_MEMSOAK:-}" ]]; then  # another build's check, timed in turn on the same database
    start=$(date +%s.%N)
    "$BASELINE_MEMSOAK" history check "$db" --quiet || true
    end=$(date +%s.%N)
    awk -v a="$start" -v b="$end" 'BEGIN { print b - a }' >> "$baseline_times"
  fi
done
figures=$("$memsoak" history show "$db" | awk 'NR > 1 && !/^ /' | wc -l)
size=$(stat -c %s "$db")
wal=$(stat -c %s "$db-wal" 2>/dev/null || echo 0)
sort -n "$times" -o "$times"
sort -n "$check_times" -o "$check_times"
echo "history benchmark: 365 nights of $per_night suite run(s) each, from ${#folders[@]} distinct suite folders, $figures series, $(nproc) cores"
awk '{ s += $1; a[NR] = $1 } END { printf "record per night: mean %.3f s, median %.3f s, max %.3f s (target < 1 s)\n", s / NR, a[int((NR + 1) / 2)], a[NR] }' "$times"
awk '{ a[NR] = $1 } END { printf "history check over 365 nights: median of 3 %.3f s (min %.3f s, max %.3f s; target < 2 s)\n", a[2], a[1], a[3] }' "$check_times"
if [[ -n "${BASELINE_MEMSOAK:-}" ]]; then
  sort -n "$baseline_times" -o "$baseline_times"
  paste "$check_times" "$baseline_times" | awk -v b="$BASELINE_MEMSOAK" '{ a[NR] = $1; c[NR] = $2 } END {
    printf "baseline %s check, in turn: median of 3 %.3f s; this build / baseline: %.2f\n", b, c[2], a[2] / c[2] }'
fi
awk -v s="$size" -v w="$wal" 'BEGIN { printf "SQLite file: %.2f MB (+ %.2f MB write-ahead log; target < 50 MB)\n", s / 1e6, w / 1e6 }'
