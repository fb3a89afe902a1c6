#pragma once
// The budget ledger: one JSON file (scenarios/budgets.json) holding, per study issue and for the whole process,
// the limits that a scenario's run is judged against. Scenarios name the budgets they check.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "memsoak/harness/result.hpp"

namespace memsoak::harness {

inline constexpr int kLedgerSchemaVersion = 1;

struct LimitSpec {
    std::string metric;  // a sampled metric, e.g. "engine.status_display.bytes", "os.rss_bytes"
    LimitKind kind = LimitKind::peak;
    double limit = 0;              // bytes (peak), bytes per virtual hour (growth) or a count (items); NaN while a
                                   // calibrated limit is unresolved
    std::string source;            // where it was read, e.g. "scenarios/budgets.json: $.budgets.issue-1.limits[0]"
    std::optional<double> fill{};  // growth only: bytes a bounded structure may fill once and stay flat (judge.hpp)
    bool calibrated = false;       // growth only: "calibrated": the limit comes from the calibration file
    std::optional<Calibration> calibration{};  // set when a calibrated limit was resolved
};

struct BudgetSpec {
    std::string name;         // "issue-1" .. "issue-5", "process"
    std::string description;  // what it guards, in the study's words
    std::vector<LimitSpec> limits;
};

struct Ledger {
    int schema_version = kLedgerSchemaVersion;
    std::string file;
    std::vector<BudgetSpec> budgets;
    std::filesystem::path calibration_file;  // "calibration", relative to the ledger's folder; empty when absent

    // nullptr when the ledger has no budget of that name.
    const BudgetSpec* find(std::string_view name) const;
};

// The limits a run was judged against, as a ledger (its budgets' limits with their values and fill allowances):
// judging a saved run again with it reproduces its verdicts, calibrated limits included.
Ledger ledger_applied_in(const RunResult& run);

// Throws harness::Error naming the file, the JSON path and what was expected.
Ledger load_ledger(const std::filesystem::path& file);
Ledger parse_ledger(const nlohmann::json& document, const std::string& file);

}  // namespace memsoak::harness
