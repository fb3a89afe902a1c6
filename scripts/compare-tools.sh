#!/usr/bin/env bash
# memsoak side by side with heaptrack and valgrind massif on one leaky scenario (docs/performance.md, "Side by
# side"): the production day cut to a few hours with study issue #1 switched back on, run by the glibc build
# (heaptrack misses operator new when mimalloc is linked in, and massif replaces malloc anyway).
#
# For each tool: wall time as a ratio to the same run without any measurement, peak memory (GNU time's maximum
# resident set of the tool and the processes it waited for), and what the tool blames:
#   memsoak    the issue-1 budget's verdict and the engine component that grew (the report's attribution);
#   heaptrack  the share of the peak heap allocated under Analyzer::analyze (the analysis frames), and the leaks;
#   massif     the same share in the peak snapshot's allocation tree.
# They agree when memsoak fails issue-1 on the status display and both profilers put most of the peak in frames.
#
# Usage: scripts/compare-tools.sh [BUILD_DIR] [OUT_DIR]
#   BUILD_DIR  a configured and built tree with tools/memsoak-glibc (default: build-bench)
#   OUT_DIR    where the runs' files go (default: BUILD_DIR/compare-tools)
# Times are medians of GNU time's elapsed (wall) and user + system (CPU) seconds of the whole process, start-up,
# judging and report writing included.
# Environment: COMPARE_HOURS (default 6) virtual hours of the production day; COMPARE_RUNS (default 5) runs of
# the unmeasured and memsoak-measured cases, of which the median is reported (the profilers run once).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath -m "${1:-$repo/build-bench}")
out=$(realpath -m "${2:-$build/compare-tools}")
hours=${COMPARE_HOURS:-6}
runs=${COMPARE_RUNS:-5}
memsoak="$build/tools/memsoak-glibc"

for tool in heaptrack heaptrack_print valgrind python3; do
    command -v "$tool" >/dev/null || { echo "compare-tools.sh: $tool is not installed" >&2; exit 2; }
done
[[ -x /usr/bin/time ]] || { echo "compare-tools.sh: GNU time (/usr/bin/time, Debian package time) is not installed" >&2; exit 2; }
[[ -x "$memsoak" ]] || { echo "compare-tools.sh: $memsoak not found: build the tree first" >&2; exit 2; }
mkdir -p "$out"

scenario="$out/production-${hours}h.json"
python3 - "$repo/scenarios/production-day.json" "$scenario" "$hours" <<'EOF'
import json, sys
source, target, hours = sys.argv[1], sys.argv[2], sys.argv[3]
scenario = json.load(open(source))
scenario["name"] = f"production-{hours}h"
scenario["description"] = f"The production day cut to {hours} hours (scripts/compare-tools.sh)."
scenario["duration"] = f"{hours}h"
json.dump(scenario, open(target, "w"), indent=2)
EOF
run_args=(run "$scenario" --ledger "$repo/scenarios/budgets.json" --leak issue-1 --quiet)

# Runs a command under GNU time, appending "label wall_s user_s sys_s max_rss_kib" to $out/times.txt.
# memsoak exits 1 when a budget fails, which is the expected outcome with the leak on.
timed() {
    local label=$1
    shift
    local status=0
    /usr/bin/time -o "$out/time.tmp" -f "$label %e %U %S %M" "$@" >"$out/$label.log" 2>&1 || status=$?
    if ((status > 1)); then
        echo "compare-tools.sh: $label failed with exit code $status; see $out/$label.log" >&2
        exit 3
    fi
    tail -n 1 "$out/time.tmp" >>"$out/times.txt"  # GNU time writes a line about a non-zero exit before it
}

: >"$out/times.txt"
echo "side by side: $scenario, --leak issue-1, $memsoak"
for ((i = 1; i <= runs; i++)); do
    timed unmeasured "$memsoak" "${run_args[@]}" --measure none
    timed memsoak "$memsoak" "${run_args[@]}" --out "$out/memsoak.json"
done
heaptrack_file="$out/heaptrack.zst"  # heaptrack -o NAME writes NAME.zst
rm -f "$heaptrack_file"
timed heaptrack heaptrack -o "$out/heaptrack" "$memsoak" "${run_args[@]}" --measure none
timed heaptrack_print heaptrack_print -f "$heaptrack_file" --print-peaks 1 --print-allocators 0 \
    --print-temporary 0 --print-leaks 1 --peak-limit 3 --sub-peak-limit 2
cp "$out/heaptrack_print.log" "$out/heaptrack.txt"
heaptrack_print -f "$heaptrack_file" --flamegraph-cost-type peak --print-flamegraph "$out/heaptrack-peak.stacks" \
    >/dev/null
timed massif valgrind --tool=massif --massif-out-file="$out/massif.out" "$memsoak" "${run_args[@]}" --measure none
ms_print "$out/massif.out" >"$out/massif.txt"

python3 - "$out" <<'EOF'
import json, re, statistics, sys
out = sys.argv[1]

times = {}
for line in open(f"{out}/times.txt"):
    label, wall, user, system, rss_kib = line.split()
    times.setdefault(label, []).append((float(wall), float(user) + float(system), int(rss_kib)))

def median(label, field):
    return statistics.median(run[field] for run in times[label])

FRAME_FUNCTION = "Analyzer::analyze"

# memsoak: the issue-1 budget and the component the growth is attributed to.
report = json.load(open(f"{out}/memsoak.json"))
budget = next(b for b in report["budgets"] if b["issue"] == "issue-1")
top = max(report["attribution"], key=lambda a: a["growth_bytes_per_hour"])
memsoak_finding = (f"issue-1 {budget['verdict']} ({budget['metric']}); growth attributed to {top['component']} "
                   f"({top['issue']}) at {top['growth_bytes_per_hour'] / 2**20:.1f} MiB/h, "
                   f"{100 * top['share']:.0f}% of the process's growth")

# heaptrack: peak bytes per allocation stack ("frame;frame;... bytes"), and the summary lines of heaptrack_print.
peak_total = peak_frames = 0
for line in open(f"{out}/heaptrack-peak.stacks"):
    stack, _, cost = line.rstrip("\n").rpartition(" ")
    peak_total += int(cost)
    if FRAME_FUNCTION in stack:
        peak_frames += int(cost)
summary = open(f"{out}/heaptrack.txt").read()
def summary_value(name):
    match = re.search(rf"^{name}: (.*)$", summary, re.MULTILINE)
    return match.group(1) if match else "?"
heaptrack_share = peak_frames / peak_total if peak_total else float("nan")
heaptrack_finding = (f"{100 * heaptrack_share:.0f}% of the peak heap ({summary_value('peak heap memory consumption')}) "
                     f"allocated under {FRAME_FUNCTION}; leaked at exit: {summary_value('total memory leaked')}; "
                     f"the application's peak RSS under heaptrack: "
                     f"{summary_value(re.escape('peak RSS (including heaptrack overhead)'))}")

# massif: the peak snapshot's tree, one node per line ("<indent>nK: bytes address: function (file:line)"); the
# bytes under the first node on each path that names Analyzer::analyze.
lines = open(f"{out}/massif.out").read().split("\n")
start = next(i for i, line in enumerate(lines) if line == "heap_tree=peak")
nodes = []
for line in lines[start + 1:]:
    match = re.match(r"^( *)n\d+: (\d+) (.*)$", line)
    if not match:
        break
    nodes.append((len(match.group(1)), int(match.group(2)), match.group(3)))
massif_total = nodes[0][1]
massif_frames = 0
skip_below = None
for depth, size, what in nodes:
    if skip_below is not None and depth > skip_below:
        continue
    skip_below = None
    if FRAME_FUNCTION in what:
        massif_frames += size
        skip_below = depth
massif_share = massif_frames / massif_total if massif_total else float("nan")
massif_finding = (f"{100 * massif_share:.0f}% of the peak snapshot ({massif_total / 2**20:.1f} MiB) allocated under "
                  f"{FRAME_FUNCTION}")

base_wall, base_cpu = median("unmeasured", 0), median("unmeasured", 1)
print()
print(f"{'tool':<34} {'wall s':>8} {'x unmeasured':>13} {'CPU s':>7} {'x unmeasured':>13} {'peak RSS MiB':>13}")
rows = [("unmeasured (engine alone)", "unmeasured"), ("memsoak, 3 layers", "memsoak"),
        ("heaptrack (record + interpret)", "heaptrack"), ("heaptrack_print (analysis)", "heaptrack_print"),
        ("valgrind massif", "massif")]
for name, label in rows:
    wall, cpu, rss = median(label, 0), median(label, 1), median(label, 2)
    print(f"{name:<34} {wall:>8.2f} {wall / base_wall:>13.2f} {cpu:>7.2f} {cpu / base_cpu:>13.2f} {rss / 1024:>13.1f}")
print("(peak RSS: GNU time's largest resident set among the process and the children it waited for: for heaptrack "
      "that is heaptrack_interpret, for massif valgrind with the program inside it)")
print()
print(f"memsoak:   {memsoak_finding}")
print(f"heaptrack: {heaptrack_finding}")
print(f"massif:    {massif_finding}")
agree = (budget["verdict"] == "fail" and top["component"] == "status_display" and heaptrack_share > 0.5
         and massif_share > 0.5)
print(f"agreement: {'yes' if agree else 'NO'} (memsoak fails issue-1 on the status display, and both profilers "
      f"put most of the peak in analysis frames; they name where the bytes were allocated, not who keeps them)")
EOF
