#!/usr/bin/env bash
# Builds memsoak and its benchmarks and reproduces every figure of docs/performance.md in one run on this machine:
#   1. the machine: CPUs, CPU model, kernel, load;
#   2. microbenchmarks (bench/): the engine's hot paths, each sampler per call, the purge, the scheduler per event,
#      with the harness benchmarks run once per allocator;
#   3. macro figures: the production day (24 virtual hours) run BENCH_RUNS times with every layer sampled and as
#      often with sampling off (--measure none), interleaved: the acceleration (virtual / wall seconds of the soak
#      loop), the harness overhead as the ratio of the two, and the day's time rebuilt from the microbenchmarks;
#   4. the harness overhead again in instructions (callgrind, counting only the soak loop), which the load of other
#      processes cannot disturb;
#   5. memsoak side by side with heaptrack and valgrind massif (scripts/compare-tools.sh).
#
# Usage: scripts/benchmark.sh [BUILD_DIR]            (default: build-bench; results in BUILD_DIR/benchmark-results)
# Environment: BENCH_RUNS (default 5) production days per measurement setting; BENCH_CALLGRIND=0 skips step 4
# (about two minutes); COMPARE_HOURS and COMPARE_RUNS are passed on to compare-tools.sh.
#
# Wall times on a shared machine carry the other processes' load: the figures come with the load average and with
# CPU time (user + system), and step 4 gives the overhead free of both.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath -m "${1:-$repo/build-bench}")
out="$build/benchmark-results"
runs=${BENCH_RUNS:-5}
scenario="$repo/scenarios/production-day.json"

for tool in cmake ninja python3; do
    command -v "$tool" >/dev/null || { echo "benchmark.sh: $tool is not installed" >&2; exit 2; }
done
[[ -x /usr/bin/time ]] || { echo "benchmark.sh: GNU time (/usr/bin/time, Debian package time) is not installed" >&2; exit 2; }

section() { printf '\n== %s\n' "$*"; }

section "machine"
echo "CPUs: $(nproc); $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'); kernel $(uname -r)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg); compiler: $(c++ --version | head -1)"

section "build ($build, RelWithDebInfo: -O2 -g)"
cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMEMSOAK_BUILD_BENCHMARKS=ON >/dev/null
benchmarks=(memsoak_bench_engine memsoak_bench_harness memsoak_bench_harness-tcmalloc memsoak_bench_harness-glibc)
cmake --build "$build" -j"$(nproc)" --target memsoak memsoak-glibc "${benchmarks[@]}"
mkdir -p "$out"

section "microbenchmarks (median of 3 repetitions; CPU time is this process's, wall time includes waiting for a core)"
for benchmark in "${benchmarks[@]}"; do
    "$build/bench/$benchmark" --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
        --benchmark_min_time=0.1 --benchmark_out="$out/$benchmark.json" --benchmark_out_format=json 2>&1 |
        grep -E '^(Benchmark|BM_.*_median)'
done

section "macro: the production day, $runs runs with every layer sampled and $runs with sampling off, interleaved"
: >"$out/days.txt"
for ((i = 1; i <= runs; i++)); do
    for layers in os,allocator,engine none; do
        report="$out/day-$layers-$i.json"
        status=0
        /usr/bin/time -o "$out/time.tmp" -f "%U %S %M" "$build/tools/memsoak" run "$scenario" --measure "$layers" \
            --quiet --out "$report" || status=$?
        ((status <= 1)) || { echo "benchmark.sh: memsoak run failed with exit code $status" >&2; exit 3; }
        echo "$layers $report $(tail -n 1 "$out/time.tmp")" >>"$out/days.txt"
    done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$out" <<'EOF'
import json, re, statistics, sys
out = sys.argv[1]
median = statistics.median

days = {"os,allocator,engine": [], "none": []}
for line in open(f"{out}/days.txt"):
    layers, report, user, system, rss_kib = line.split()
    run = json.load(open(report))["run"]
    days[layers].append({"loop": run["wall_seconds"], "virtual": run["virtual_elapsed_s"],
                         "judging": run["analysis_seconds"], "cpu": float(user) + float(system),
                         "rss": int(rss_kib) * 1024})
sampled, unsampled = days["os,allocator,engine"], days["none"]
loop = median(d["loop"] for d in sampled)
def listing(values):
    return ", ".join(f"{value:.3f}" for value in values)
print(f"soak loop, every layer sampled: median {loop:.3f} s wall for {sampled[0]['virtual'] / 3600:.0f} virtual hours "
      f"(runs: {listing(d['loop'] for d in sampled)})")
print(f"acceleration: {sampled[0]['virtual'] / loop:,.0f}x real time (target: 50,000x, i.e. < 1.8 s)")
print(f"whole process (start-up, loop, judging, report): median {median(d['cpu'] for d in sampled):.3f} s CPU, "
      f"peak RSS {median(d['rss'] for d in sampled) / 2**20:.1f} MiB")
pairs = [a["loop"] / b["loop"] for a, b in zip(sampled, unsampled)]
print(f"harness overhead, soak loop wall: median of paired ratios {median(pairs):.3f} "
      f"(pairs: {listing(pairs)}); ratio of medians "
      f"{loop / median(d['loop'] for d in unsampled):.3f}")
print(f"harness overhead, process CPU: ratio of medians "
      f"{median(d['cpu'] for d in sampled) / median(d['cpu'] for d in unsampled):.3f}, which includes judging the "
      f"samples after the loop (median {median(d['judging'] for d in sampled):.3f} s wall) and writing them out")

# Per-call CPU seconds (median aggregate) of every microbenchmark, by name without an "/iterations:N" suffix.
unit_seconds = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
def load(benchmark):
    results = {}
    for entry in json.load(open(f"{out}/{benchmark}.json"))["benchmarks"]:
        if entry.get("aggregate_name") == "median":
            name = re.sub(r"/iterations:\d+$", "", entry["run_name"])
            results[name] = entry["cpu_time"] * unit_seconds[entry["time_unit"]]
    return results
engine = load("memsoak_bench_engine")
harness = {allocator: load(f"memsoak_bench_harness{suffix}")
           for allocator, suffix in [("mimalloc", ""), ("tcmalloc", "-tcmalloc"), ("glibc", "-glibc")]}

print("\none sample per layer (CPU per call):")
for allocator, results in harness.items():
    os_s, alloc_s, engine_s = (results[f"BM_{n}Sampler"] for n in ("Os", "Allocator", "Engine"))
    print(f"  {allocator:<9} os {os_s * 1e6:6.2f} us, allocator {alloc_s * 1e6:6.2f} us, engine {engine_s * 1e6:6.2f} us"
          f" = {(os_s + alloc_s + engine_s) * 1e6:6.2f} us a sample; purge after an analysis "
          f"{results['BM_PurgeAfterAnalysis'] * 1e6:8.1f} us")

# The production day rebuilt from per-call costs: what each action costs, times how often the day runs it.
mimalloc = harness["mimalloc"]
sample = sum(mimalloc[f"BM_{n}Sampler"] for n in ("Os", "Allocator", "Engine"))
with open(f"{out}/memsoak_bench_harness.json") as f:
    mix = next(e for e in json.load(f)["benchmarks"]
               if e.get("run_name") == "BM_SchedulerEvents/2" and e.get("aggregate_name") == "median")
events_per_hour = mix["events_per_hour"]
per_event = mimalloc["BM_SchedulerEvents/2"] / events_per_hour
rows = [
    ("log messages (formatted, queued)", 864000, engine["BM_ApplicationLogMessage"]),
    ("GUI pumps (10 messages shown each)", 86400, engine["BM_ApplicationPumpGui"]),
    ("analyses", 96, engine["BM_ApplicationRunAnalysis"]),
    ("chart redraws (refresh and toggle)", 104, engine["BM_ApplicationRefreshChart"]),
    ("ticks", 1440, engine["BM_ApplicationTick"]),
    ("scheduler events", round(24 * events_per_hour), per_event),
    ("samples (os + allocator + engine)", 1441, sample),
    ("purges", 96, mimalloc["BM_PurgeAfterAnalysis"]),
]
total = sum(count * cost for _, count, cost in rows)
print(f"\nthe production day rebuilt from the microbenchmarks (mimalloc): {total:.3f} s CPU")
for name, count, cost in rows:
    print(f"  {name:<36} {count:>9,} x {cost * 1e6:10.2f} us = {count * cost:7.3f} s  {100 * count * cost / total:5.1f}%")
harness_share = (1441 * sample + 96 * mimalloc["BM_PurgeAfterAnalysis"]) / total
print(f"  sampling and purging: {100 * harness_share:.2f}% of the day")
EOF

if [[ "${BENCH_CALLGRIND:-1}" != 0 ]]; then
    section "harness overhead in instructions: callgrind, counting only Scheduler::run_until (the soak loop)"
    command -v valgrind >/dev/null || { echo "benchmark.sh: valgrind is not installed" >&2; exit 2; }
    for layers in os,allocator,engine none; do
        valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.$layers" \
            --toggle-collect='memsoak::harness::Scheduler::run_until*' \
            "$build/tools/memsoak" run "$scenario" --measure "$layers" --quiet >/dev/null 2>"$out/callgrind.$layers.log" ||
            (($? <= 1)) || { echo "benchmark.sh: callgrind run failed; see $out/callgrind.$layers.log" >&2; exit 3; }
    done
    python3 - "$out" <<'EOF'
import re, sys
out = sys.argv[1]
def instructions(layers):
    text = open(f"{out}/callgrind.{layers}").read()
    return int(re.search(r"^summary: (\d+)", text, re.MULTILINE).group(1))
sampled, unsampled = instructions("os,allocator,engine"), instructions("none")
print(f"soak loop: {sampled:,} instructions with every layer sampled, {unsampled:,} with sampling off: "
      f"overhead {sampled / unsampled:.4f}")
EOF
fi

section "side by side with heaptrack and massif (scripts/compare-tools.sh)"
"$repo/scripts/compare-tools.sh" "$build" "$out/compare-tools"
