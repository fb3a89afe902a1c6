#pragma once
// Runs one scenario against a target in virtual time: schedules its workload, samples every requested layer at
// the sample interval (after an allocator purge at each checkpoint), then judges the budgets. Recording is cheap
// and happens in the loop; judging happens after it, so it never disturbs what is measured.

#include <atomic>
#include <functional>
#include <optional>
#include <vector>

#include "memsoak/harness/analysis/judge.hpp"
#include "memsoak/harness/inputs/ledger.hpp"
#include "memsoak/harness/inputs/scenario.hpp"
#include "memsoak/harness/result.hpp"
#include "memsoak/harness/soak/heap_profile.hpp"
#include "memsoak/harness/soak/heap_sample.hpp"
#include "memsoak/harness/target.hpp"

namespace memsoak::harness {

struct Progress {
    VirtualDuration elapsed{};
    VirtualDuration total{};
    double wall_seconds = 0;
    double rss_bytes = 0;  // NaN when the OS layer is not measured
};

struct RunOptions {
    std::vector<Layer> layers{Layer::os, Layer::allocator, Layer::engine};
    std::vector<std::string> leaks;                     // recorded in the report; the caller configured the target
    std::vector<std::string> injected;                  // injected leaks, canonical form; recorded as leaks is
    std::optional<double> max_rss_bytes;                // stop the run when the resident set exceeds this
    const std::atomic<bool>* stop_requested = nullptr;  // set from a signal handler; checked between events
    std::function<void(const Progress&)> on_progress;   // called after each sample
    JudgeOptions judge;
    // Heap profiles at this interval of virtual time from the end of the warm-up, plus one at the end, compared
    // after the run (heap_profile.hpp; tcmalloc builds only). run_scenario throws harness::Error when the
    // profiler is not available.
    std::optional<HeapProfileRequest> heap_profile;
    // Read tcmalloc's sampled heap at each purged checkpoint from the end of the warm-up (at each sample when the
    // allocator is not purged) and attribute the growth between the first and the last read to file:line
    // (heap_sample.hpp). run_scenario throws harness::Error when the allocator does not sample.
    bool heap_sample = false;
    // When a whole-process limit (os.* or allocator.*) fails, probe each action's retained bytes on the saturated
    // target after judging (retention_probe.hpp): a growth rate says memory grows, the probe says which action.
    bool probe_on_failure = true;
    std::size_t probe_rounds = 8;
};

// What run_scenario refuses before its first event, checked without running: every budget of the scenario is in the
// ledger, and every limit's metric is one that a sampled layer has. `validate` calls it, so that its "ok" means
// the run will start. Throws harness::Error naming the file and place.
void check_run_setup(const Scenario& scenario, const Ledger& ledger, Target& target, const RunOptions& options);

// Fills everything in RunResult but the tool's identity (version, commit, build type), which the caller knows:
// samples, budgets, attribution, the layer diagnosis (diagnosis.hpp), when asked the heap profile findings, and
// after a failed whole-process limit the retained bytes per action.
// Throws harness::Error when the scenario names a budget the ledger lacks.
RunResult run_scenario(const Scenario& scenario, const Ledger& ledger, Target& target, const RunOptions& options);

// What makes a scenario's verdict weaker than it looks, checked before it runs (and by `validate`):
// - none of its budgets has a growth limit on a whole-process metric ("os." or "allocator."): it is blind to a
//   leak outside the engine's components;
// - a workload item stops (its "until", or its "count" of periodic firings) before the run ends: a leak that the
//   action triggers stops with it and reads as a plateau in the judged window.
std::vector<std::string> scenario_warnings(const Scenario& scenario, const Ledger& ledger);

// The bounded components (a footprint capacity) whose `engine.<component>.items` rose, from the mean of the first
// tenth of the samples at or after the warm-up to the mean of the last tenth, by at least one item and 1% of the
// capacity: filling, which is not growth.
std::vector<ComponentFill> filling_components(const SampleSeries& series, VirtualDuration warmup,
                                              const engine::Footprint& footprint);

// Judges a recorded series again (e.g. a saved report) with the ledger's current limits.
void judge_run(RunResult& result, const Ledger& ledger, const std::vector<std::string>& budgets,
               const JudgeOptions& options);

}  // namespace memsoak::harness
