#pragma once
// Limits calibrated on the fixed engine. A growth limit written "calibrated" in the ledger takes its value from a
// calibration file (the ledger's "calibration" field; `memsoak calibrate` writes it): for each scenario, allocator
// and metric, the null distribution of the judged statistic over many seeds of the fixed engine, and the limit
// set above it at a stated false-alarm rate. docs/budgets.md describes the file; docs/diagnosis.md the method.
//
// The rule (calibrate_limit): over the fixed engine's runs, the judged rate R (judge.hpp: the larger of the mean
// rate and the significant trend's slope) and the tail rate T. The limit is the largest of
//   - the one-sided prediction bound of R at the false-alarm rate a: mean + t(n-1, 1-a) * sd * sqrt(1 + 1/n)
//     (Student's t; the next fixed run exceeds it with probability a when R is normal),
//   - the same bound of T over the plateau's tail fraction (judge.hpp: 1/2 for heap metrics, 1 for the resident
//     set), so that a bounded fill on top of the fixed engine still reads as a plateau,
//   - the largest R seen plus a minimum margin, so that a deterministic statistic (sd ~ 0) is not given a limit
//     it touches.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "memsoak/harness/analysis/trend.hpp"
#include "memsoak/harness/inputs/ledger.hpp"
#include "memsoak/harness/inputs/scenario.hpp"
#include "memsoak/harness/result.hpp"

namespace memsoak::harness {

inline constexpr int kCalibrationSchemaVersion = 1;
inline constexpr double kDefaultFalseAlarmRate = 0.001;
inline constexpr double kDefaultMinMarginBytesPerHour = 1024;
// The resident set moves by pages and by the allocator's purges: a bounded fill on top of the fixed engine shifts
// its later RSS by tens of KiB an hour, which a limit must not read as growth (docs/budgets.md has the figures).
inline constexpr double kDefaultResidentMinMarginBytesPerHour = 64.0 * 1024;

struct CalibratedLimit {
    std::string metric;  // e.g. "allocator.live_bytes"
    std::size_t runs = 0;
    double mean = 0, sd = 0, floor = 0;                 // of the judged rate R, bytes per hour
    double tail_mean = 0, tail_sd = 0, tail_floor = 0;  // of the tail rate T
    double limit = 0;
    std::string decided_by;  // "rate", "tail" or "margin": which term of the rule set the limit
};

struct ScenarioCalibration {
    std::string scenario;     // the scenario's name
    std::string allocator;    // "mimalloc", "tcmalloc", "glibc"
    std::string fingerprint;  // of the scenario's content (scenario_fingerprint): a changed scenario is stale
    std::vector<std::uint64_t> seeds;
    std::vector<CalibratedLimit> limits;

    const CalibratedLimit* find(std::string_view metric) const;
};

struct CalibrationFile {
    int schema_version = kCalibrationSchemaVersion;
    std::string file;
    std::string tool_version, git_commit, created_at;
    double false_alarm_rate = kDefaultFalseAlarmRate;
    double min_margin = kDefaultMinMarginBytesPerHour;
    double resident_min_margin = kDefaultResidentMinMarginBytesPerHour;  // for "os." metrics
    double min_margin_for(std::string_view metric) const {
        return layer_of_metric(metric) == Layer::os ? resident_min_margin : min_margin;
    }
    std::vector<ScenarioCalibration> scenarios;

    const ScenarioCalibration* find(std::string_view scenario, std::string_view allocator) const;
    // Replaces the entry of the same scenario and allocator, or adds it.
    void put(ScenarioCalibration calibration);
};

// Throws harness::Error naming the file, the JSON path and what was expected.
CalibrationFile load_calibration(const std::filesystem::path& file);
CalibrationFile parse_calibration(const nlohmann::json& document, const std::string& file);
nlohmann::json to_json(const CalibrationFile& calibration);

// One fixed run's statistics for a metric: the judged rate without fill allowance and the tail rate; nullopt
// when the metric has too few samples in its window.
struct NullSample {
    double rate = 0;
    double tail = 0;
};
std::optional<NullSample> null_sample(const SampleSeries& series, VirtualDuration warmup, std::string_view metric,
                                      const JudgeOptions& options = {});

// The limit for a metric from its null samples (at least 2), by the rule above.
CalibratedLimit calibrate_limit(std::string metric, const std::vector<NullSample>& samples, double false_alarm_rate,
                                double min_margin);

// The metrics a scenario's calibrated limits need: those of every "calibrated" growth limit of its budgets.
std::vector<std::string> calibrated_metrics(const Ledger& ledger, const std::vector<std::string>& budgets);

// Sets every calibrated limit of the budgets a scenario checks from the calibration for this scenario and
// allocator. Throws harness::Error, naming the limit, the file and the command that fixes it, when the file has no
// entry for them, or an entry made on a different scenario (fingerprint).
void resolve_calibrated_limits(Ledger& ledger, const Scenario& scenario, std::string_view allocator,
                               const CalibrationFile& calibration);

// A hash of a scenario file's content that a calibration depends on: everything but its seed and description.
std::string scenario_fingerprint(const nlohmann::json& document);

}  // namespace memsoak::harness
