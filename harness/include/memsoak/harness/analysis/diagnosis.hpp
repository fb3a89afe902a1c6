#pragma once
// Diagnosis after judging: which layer of memory grows, and what a fix saved. Runs on a recorded series (after the
// soak loop, or on saved reports), never inside the measured loop.
//
// The layer diagnosis fits four series with the one trend rule of trend.hpp: os.rss_bytes, allocator.committed_bytes,
// allocator.live_bytes, and the engine's total (the sum of every engine.<component>.bytes at a sample). A layer "grows"
// when its Mann-Kendall trend is significant and its Theil-Sen slope exceeds the rate floor. Then, first match wins:
//   live grows, engine measured, the engine's slope >= kRetentionShare of live's  -> retention
//   live grows, engine measured, less                                              -> untracked_leak
//   live grows, engine not measured                                                -> heap_growth
//   committed grows (live does not)                                                -> allocator_caching
//   RSS grows within the allocator's committed bytes (anonymous RSS <= committed), and no growth limit on the
//   resident set failed (a failed one is taken at its word: memory outside the allocator)    -> allocator_caching
//   RSS grows, allocator measured (and not growing)                                -> os_level
//   RSS grows, allocator not measured                                              -> undetermined
//   only the engine was measured, and it grows                                     -> retention
//   something was fitted                                                           -> stable
//   nothing was                                                                    -> not_measured
// RSS and committed bytes are fitted on the purged checkpoints only when the run purged at least
// min_growth_samples times after the warm-up: between checkpoints they include memory freed but still cached,
// which in virtual time no timer returns. Live bytes do not depend on purging and use every sample. The resident
// set can grow inside memory the allocator committed earlier (mimalloc commits 32 MiB segments and counts them
// whole): when the private anonymous resident set at the last sample is at most the committed bytes, its growth
// is put down to the allocator, not the OS.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "memsoak/harness/analysis/judge.hpp"
#include "memsoak/harness/inputs/ledger.hpp"
#include "memsoak/harness/result.hpp"

namespace memsoak::harness {

// Significant trends slower than this are the bounded histories filling up, not growth: the shipped ledger's
// smallest component growth limit (issues 1 and 2: 64 KiB per virtual hour).
inline constexpr double kDefaultRateFloorBytesPerHour = 64.0 * 1024;
// A layer with no growth limit in the run may fill this much once and stay flat without "growing" (judge.hpp).
inline constexpr double kDefaultFillAllowance = 8.0 * 1024 * 1024;
// Live-bytes growth is retention when the engine's components grow by at least this share of it.
inline constexpr double kRetentionShare = 0.5;

inline constexpr std::string_view kEngineTotalMetric = "engine.total_bytes";

struct DiagnosisOptions {
    JudgeOptions judge;  // alpha, confidence, minimum samples and warm-up detection, as for growth limits
    double rate_floor_bytes_per_hour = kDefaultRateFloorBytesPerHour;
};

// The rate floor for a run judged against `budgets`: their smallest growth limit, capped at
// kDefaultRateFloorBytesPerHour, so that a scenario built to catch a slow leak is diagnosed as finely as it is
// judged. Budgets missing from the ledger are skipped (judging reports them).
double rate_floor_for(const Ledger& ledger, const std::vector<std::string>& budgets);

// `attribution` (attribute_growth's result for the same series) names the largest growing component in the
// explanation of a retention.
// `budgets`, the run's judged budgets: a layer whose metric has a growth limit there grows exactly when that limit
// failed, so that the diagnosis agrees with the verdict; when the run failed and no layer grows, the kind is
// `level` (a peak or count limit failed).
LayerDiagnosis diagnose_growth(const SampleSeries& series, VirtualDuration warmup,
                               const std::vector<Attribution>& attribution, const DiagnosisOptions& options,
                               const std::vector<BudgetResult>& budgets = {});

std::string_view to_string(GrowthClass kind);
// The inverse of to_string; nullopt for any other text.
std::optional<GrowthClass> growth_class_from_string(std::string_view text);

// Fix validation: one scenario run with leaks switched on and with every fix, compared measure by measure.

struct FixMeasure {
    std::string name;       // "peak RSS", "final live bytes", ...
    std::string unit;       // "bytes" or "bytes_per_hour"
    double with_leaks = 0;  // NaN when not measured
    double fixed = 0;       // NaN when not measured
    double saving = 0;      // with_leaks - fixed
    double percent = 0;     // saving as a percentage of with_leaks; NaN unless with_leaks > 0
};

// Peak RSS (the largest os.rss_bytes sample), final live bytes (the last allocator.live_bytes sample), and the
// growth rates of live bytes, of the resident set and of the engine's total after the warm-up (fitted as in the
// diagnosis, RSS on purged checkpoints). Both results must come from the same scenario.
std::vector<FixMeasure> compare_fix(const RunResult& with_leaks, const RunResult& fixed,
                                    const JudgeOptions& options = {});

}  // namespace memsoak::harness
