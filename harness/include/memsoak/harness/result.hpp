#pragma once
// The result of one soak run: what was run, every sample, every budget's verdict. Reports render it; the JSON
// report is its serialised form, and a saved series can be judged again without re-running.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "memsoak/engine/time.hpp"

namespace memsoak::harness {

using engine::VirtualDuration;
using engine::VirtualTime;

// Each name set below is written once and expanded into its enum, its string forms and its parser, as mimalloc
// writes its stat fields once (MI_STAT_FIELDS) and expands them into the struct, the merge and the JSON keys.
#define MEMSOAK_ENUM_VALUE(name) name,

// Measurement layers. A metric's name starts with its layer: "os.rss_bytes", "allocator.live_bytes",
// "engine.chart.bytes".
// An X-macro list, laid out by hand.
// clang-format off
#define MEMSOAK_LAYERS(X) X(os) X(allocator) X(engine)
// clang-format on
enum class Layer { MEMSOAK_LAYERS(MEMSOAK_ENUM_VALUE) };

// The metrics of the os and allocator layers (the engine's are "engine.<component>.bytes" and ".items"), each
// written once: an identifier and the name in samples, ledgers and reports.
// An X-macro list, laid out by hand.
// clang-format off
#define MEMSOAK_OS_METRICS(X)                                                                                     \
    X(rss_bytes, "os.rss_bytes") X(rss_anon_bytes, "os.rss_anon_bytes") X(rss_file_bytes, "os.rss_file_bytes")  \
    X(rss_peak_bytes, "os.rss_peak_bytes")
// clang-format on
// An X-macro list, laid out by hand.
// clang-format off
#define MEMSOAK_ALLOCATOR_METRICS(X)                                                                      \
    X(live_bytes, "allocator.live_bytes") X(committed_bytes, "allocator.committed_bytes")                 \
    X(free_bytes, "allocator.free_bytes") X(unmapped_bytes, "allocator.unmapped_bytes")
// clang-format on
#define MEMSOAK_METRIC_CONSTANT(id, name) inline constexpr std::string_view id = name;
namespace metrics {
namespace os {
MEMSOAK_OS_METRICS(MEMSOAK_METRIC_CONSTANT)
}
namespace allocator {
MEMSOAK_ALLOCATOR_METRICS(MEMSOAK_METRIC_CONSTANT)
}
}  // namespace metrics
#undef MEMSOAK_METRIC_CONSTANT

// The layer of a metric, from its name's prefix ("os.", "allocator.", "engine." and more); nullopt for none.
std::optional<Layer> layer_of_metric(std::string_view metric);
// Whether a metric measures the whole process (the os or the allocator layer), not one engine component.
bool is_process_metric(std::string_view metric);

// Samples in columns: times[i] and values[m][i] belong to sample i. A metric that a layer could not read at a
// sample holds NaN there (and is left out of JSON), never 0.
struct SampleSeries {
    std::vector<std::string> metrics;         // metric names, fixed before the first sample
    std::vector<VirtualTime> times;           // virtual time of each sample
    std::vector<bool> purged;                 // whether the allocator was purged just before this sample
    std::vector<std::vector<double>> values;  // values[metric index][sample index]

    std::optional<std::size_t> index_of(std::string_view metric) const;
    std::size_t size() const { return times.size(); }
};

// An X-macro list, laid out by hand.
// clang-format off
#define MEMSOAK_VERDICTS(X) X(pass) X(fail) X(not_measured)
// clang-format on
enum class Verdict { MEMSOAK_VERDICTS(MEMSOAK_ENUM_VALUE) };

// peak: the largest value after warm-up must not exceed the limit (bytes); growth: the growth rate after warm-up
// must not exceed the limit (bytes per virtual hour); items: the largest count after warm-up must not exceed the
// limit (items).
// An X-macro list, laid out by hand.
// clang-format off
#define MEMSOAK_LIMIT_KINDS(X) X(peak) X(growth) X(items)
// clang-format on
enum class LimitKind { MEMSOAK_LIMIT_KINDS(MEMSOAK_ENUM_VALUE) };

// A fitted trend: Theil-Sen slope with its confidence interval and a Mann-Kendall trend test.
struct Growth {
    double slope_per_hour = 0;   // metric units per virtual hour
    double ci_low_per_hour = 0;  // confidence interval of the slope
    double ci_high_per_hour = 0;
    double intercept = 0;      // metric value at virtual time 0 of the fitted line
    double p_value = 1;        // Mann-Kendall, two-sided, ties corrected
    bool significant = false;  // p_value below the test's alpha
    std::size_t samples = 0;   // points the fit used (after warm-up)
    // The shape of the growth, from robust levels (medians of a few samples) rather than from pairwise slopes, so
    // that a staircase (a vector's capacity doublings) and a ramp over part of the window read at their mean
    // rate (statistics.hpp, level_shape):
    double mean_rate_per_hour = 0;  // (end level - start level) / the hours between them
    double tail_rate_per_hour = 0;  // (end level - level at the run's midpoint) / the hours between them
    double rise = 0;                // end level - the median of the window's first 3 points
    // The interval's level (JudgeOptions::confidence), for renderers to name it. Not in the report's JSON (the
    // schema stays as it is): a report read back has the default.
    double confidence = 0.95;
};

// A limit set from the fixed engine's own behaviour (harness/analysis/calibration.hpp): the null distribution of the
// judged statistic over many seeds, and the limit placed above it at a stated false-alarm rate.
struct Calibration {
    std::string file;      // the calibration file the limit was read from
    std::size_t runs = 0;  // fixed-engine runs (seeds) the null distribution holds
    double floor = 0;      // the largest judged value the fixed engine reached (its "floor")
    double mean = 0;       // mean and standard deviation of the judged value over those runs
    double sd = 0;
    double false_alarm_rate = 0;  // the chance that a fixed engine's run exceeds the limit, per run (one-sided)
    double margin = 0;            // limit - floor
};

struct LimitResult {
    std::string metric;  // e.g. "engine.status_display.bytes"
    LimitKind kind = LimitKind::peak;
    double limit = 0;     // bytes, bytes per hour or items, by kind
    double measured = 0;  // peak, slope per hour or peak count, by kind
    Verdict verdict = Verdict::not_measured;
    std::optional<Growth> growth;           // for growth limits, and for peaks as a projection
    std::optional<double> hours_to_breach;  // projected virtual hours until a peak limit is crossed
    std::string explanation;                // one sentence for people: why this verdict
    // Growth limits only (judge.hpp has the rule):
    std::optional<double> fill_allowance;    // bytes a bounded structure may fill once and then stay flat
    bool plateau = false;                    // the growth filled (within the allowance) and stopped: judged on the tail
    std::optional<double> detection_limit;   // the smallest steady leak (per hour) this run would have failed
    std::optional<Calibration> calibration;  // where the limit came from, when the ledger says "calibrated"
};

struct BudgetResult {
    std::string budget;       // "issue-1" .. "issue-5" or "process"
    std::string description;  // from the ledger
    std::vector<LimitResult> limits;
    Verdict verdict = Verdict::not_measured;  // fail if any limit failed, pass if any passed and none failed
};

// A component whose footprint grew over the run, to attribute process-level growth to a study issue.
struct Attribution {
    std::string component;
    std::string issue;
    double growth_bytes_per_hour = 0;
    double share = 0;  // of the process-level growth explained, 0..1
};

// Which layer of memory grows, and so what kind of growth it is (harness/analysis/diagnosis.hpp gives the rules).
enum class GrowthClass {
    stable,             // no measured layer grows faster than the diagnosis's rate floor
    retention,          // live bytes grow and the engine's components account for it: the application keeps data
    untracked_leak,     // live bytes grow and the engine's components do not: a leak outside its bookkeeping
    heap_growth,        // live bytes grow; the engine layer was not measured, so the two above cannot be told apart
    allocator_caching,  // committed bytes grow, live bytes do not: fragmentation or memory the allocator caches
    os_level,           // the resident set grows, the allocator does not: mappings, stacks, the kernel's view
    undetermined,       // the resident set grows and the allocator layer was not measured
    level,              // the run failed on a peak or a count while no layer grows faster than its limit
    not_measured,       // no layer could be fitted
};

// One layer's trend in a diagnosis, fitted after the warm-up like a growth limit (judge.hpp).
struct LayerTrend {
    std::string metric;            // "os.rss_bytes", "allocator.committed_bytes", "allocator.live_bytes" or
                                   // "engine.total_bytes" (the sum of every engine.<component>.bytes)
    bool purged_only = false;      // fitted on the purged checkpoints only (allocator caches emptied)
    std::optional<Growth> growth;  // absent when the metric was not sampled or had too few samples
    bool growing = false;          // a significant trend faster than the diagnosis's rate floor
};

struct LayerDiagnosis {
    GrowthClass kind = GrowthClass::not_measured;
    std::vector<LayerTrend> layers;  // os.rss_bytes, allocator.committed_bytes, allocator.live_bytes, engine total
    double rate_floor_bytes_per_hour = 0;  // slower significant trends count as stable
    double engine_share = 0;  // engine growth / live growth when live bytes grow and both were fitted, else NaN
    std::string explanation;  // one sentence for people, with the rates
};

// An allocation site whose live bytes grew between the first and the last heap profile (or sampled heap) of a run.
struct HeapSite {
    std::string function;              // innermost frame outside the libraries, e.g. "memsoak::engine::Canvas::Canvas"
    std::vector<std::string> callers;  // the next such frames towards main, innermost first (a few at most)
    double bytes = 0;                  // growth of the live bytes allocated there, last profile minus first
    // Sampled heaps only (heap_sample.hpp); empty or 0 for full profiles, which pprof symbolizes without lines.
    std::string file;  // "engine/src/leak_injector.cpp"
    int line = 0;
    std::vector<std::string> caller_locations;  // "file:line" of each caller, parallel to `callers`
    double rate_bytes_per_hour = 0;             // bytes / the window between the first and last read; NaN unknown
    std::string signature;                      // leak_signature(): a stable id of the site and its callers
};

// A call stack that grew, for the flame graph: frames root first ("function (file:line)"), its growth in bytes.
struct HeapGrowthStack {
    std::vector<std::string> frames;
    double bytes = 0;
};

// Heap profiles taken at an interval of virtual time (tcmalloc's heap profiler, mode "full"), or tcmalloc's sampled
// heap read at each purged checkpoint (mode "sampled"), and what grew between the first and the last of them.
struct HeapProfileFindings {
    std::string mode = "full";   // "full" (--heap-profile) or "sampled" (--heap-sample, the re-run on failure)
    VirtualDuration interval{};  // full: between profiles
    std::string directory;       // full: where the profiles are
    std::vector<std::string>
        profiles;                   // full: the profiles taken at the interval, in order (file names in `directory`)
    double total_growth_bytes = 0;  // NaN when the profiles could not be compared
    std::vector<HeapSite> sites;    // largest growth first
    std::string error;              // why the profiles could not be compared; empty when they were
    // Sampled only.
    double sample_period_bytes = 0;       // tcmalloc's sampling period
    std::size_t reads = 0;                // sampled heaps read (one per purged checkpoint from the warm-up's end)
    VirtualDuration window{};             // from the first read to the last
    std::vector<HeapGrowthStack> stacks;  // the largest growing stacks, for the flame graph
    std::string collapsed_file;           // every growing stack, collapsed (flamegraph.pl, speedscope); "" none
    std::string source;                   // the memsoak-tcmalloc that re-ran the scenario for them; "" this run
    std::string trigger;                  // why the run was re-run: the failed limit, no component explaining it
};

// What one occurrence of an action leaves behind once the application is saturated (retention_probe.hpp): the
// mean over rounds of (after - before) / calls_per_round, between purged allocator checkpoints, with a 95%
// t-interval. NaN for a layer that was not read.
struct ActionRetention {
    std::string action;  // "toggle_indicator(rsi)", "analyze"
    std::size_t calls_per_round = 0;
    std::size_t rounds = 0;  // measured rounds (a settle round before them is not counted)
    double live_bytes_per_call = 0, live_ci_low = 0, live_ci_high = 0;  // allocator.live_bytes
    double rss_bytes_per_call = 0, rss_ci_low = 0, rss_ci_high = 0;     // os.rss_bytes
    bool significant = false;  // the interval excludes 0: live bytes' when measured, else the resident set's
};

// A bounded engine component whose item count rose during the judged window: filling up to the capacity its
// policy keeps, which is not growth. A PASS says so instead of raising an alarm.
struct ComponentFill {
    std::string component;
    double items = 0;     // at the last sample
    double capacity = 0;  // the most its policy keeps
};

struct RunInfo {
    std::string tool_version;
    std::string git_commit;
    std::string build_type;
    std::string allocator;  // detected at run time: "mimalloc", "tcmalloc", "glibc" or "sanitizer" (ASan/TSan)
    std::string host;
    std::string scenario_name;
    std::string scenario_file;
    std::uint64_t seed = 0;
    VirtualDuration virtual_duration{};  // what the scenario asked for
    VirtualDuration virtual_elapsed{};   // what ran (less when interrupted or stopped)
    VirtualDuration warmup{};
    VirtualDuration level_window{};     // the workload's longest cycle: levels of growth span it (trend.hpp)
    double wall_seconds = 0;            // wall time of the soak loop (virtual time advancing, sampling included)
    double analysis_seconds = 0;        // wall time spent judging after the loop
    double acceleration = 0;            // virtual seconds per wall second of the soak loop
    std::vector<std::string> leaks;     // issues switched back to the study's leaky behaviour
    std::vector<std::string> injected;  // leaks injected outside the study's components, "log:per_call:256"
    std::vector<std::string> layers;    // layers measured: "os", "allocator", "engine"
    std::string started_at;             // wall-clock UTC, ISO 8601
    bool interrupted = false;
    std::string stop_reason;  // empty when the run reached its duration
    // What makes the verdict weaker than it looks (scenario_warnings in runner.hpp): a scenario with no
    // whole-process growth limit, an action that stops before the judged window ends.
    std::vector<std::string> warnings;
};

struct RunResult {
    RunInfo info;
    SampleSeries samples;
    std::vector<BudgetResult> budgets;
    std::vector<Attribution> attribution;
    std::optional<LayerDiagnosis> diagnosis;          // which layer grows; absent in reports that predate it
    std::vector<ComponentFill> filling;               // bounded components that filled during the window
    std::optional<HeapProfileFindings> heap_profile;  // only when heap profiles or a sampled heap were asked for
    std::string heap_collapsed;  // a sampled heap's growing stacks, collapsed; written beside the report, not in it
    std::optional<std::vector<ActionRetention>> retention;  // retained bytes per action, when probed
    std::string retention_trigger;            // why it was probed, e.g. "budget process failed on allocator.live_bytes"
    Verdict verdict = Verdict::not_measured;  // fail if any budget failed, pass if any passed, else not_measured
};

std::string_view to_string(Layer layer);
std::string_view to_string(Verdict verdict);
std::string_view to_string(LimitKind kind);
// The value a string form names; nullopt for none.
std::optional<Layer> parse_layer(std::string_view text);
std::optional<Verdict> parse_verdict(std::string_view text);
std::optional<LimitKind> parse_limit_kind(std::string_view text);
// Every string form, "a, b or c", for messages.
std::string layer_names();

}  // namespace memsoak::harness
