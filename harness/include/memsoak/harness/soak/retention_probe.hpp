#pragma once
// Retained bytes per action, as BLeak and memlab measure them: after a run has saturated the application, each
// distinct action of the workload is repeated on its own between purged allocator checkpoints, and what each
// occurrence leaves behind is averaged over rounds with a 95% Student t interval. A growth rate says that memory
// grows; this says which action keeps it.

#include <atomic>
#include <string>
#include <vector>

#include "memsoak/harness/inputs/scenario.hpp"
#include "memsoak/harness/result.hpp"
#include "memsoak/harness/target.hpp"

namespace memsoak::harness {

struct ProbeOptions {
    std::size_t rounds = 8;      // measured rounds per action, after one unmeasured settle round; at least 2
    bool read_allocator = true;  // false: the live-bytes fields are NaN (the allocator layer was not asked for)
    bool read_os = true;         // false: the RSS fields are NaN
    const std::atomic<bool>* stop_requested = nullptr;  // checked between actions; the probed ones are returned
};

// Probes every distinct action of the scenario's workload (toggle_indicator once per indicator; gui_freeze and
// gui_thaw are not probed: they switch a state rather than do work), in workload order. Calls are applied at
// virtual times from `start` on, never decreasing, spaced by the item's `every` (else one virtual second).
// Throws harness::Error when options.rounds < 2 (no interval without two rounds).
std::vector<ActionRetention> probe_retention(Target& target, const Scenario& scenario, VirtualTime start,
                                             const ProbeOptions& options);

// The retained bytes per call an action is judged by: live bytes when measured, else the resident set.
double retained_per_call(const ActionRetention& retention);
// Whether the action retains significantly more than `bytes_per_call`: the lower end of the interval is above it.
bool retains_more_than(const ActionRetention& retention, double bytes_per_call);

// "toggle_indicator(rsi) retains 1.8 MiB per call (95% CI 1.8..1.8 MiB)": the action retaining most; when no
// action retains significantly (an interval above 0), "no action retains memory significantly (largest: ...)". Empty
// for no actions.
std::string retention_summary(const std::vector<ActionRetention>& retention);

}  // namespace memsoak::harness
