#pragma once
// What `memsoak fixcheck` writes: the JSON of --out and the terminal table of what the fixes save. The JSON holds
// schema_version, scenario, seed, leaks, with_leaks and fixed (report, verdict, failed_budgets), verdict_flips, and
// measures (name, unit "bytes" or "bytes_per_hour", with_leaks, fixed, saving, percent; null when not measured).

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "memsoak/harness/analysis/diagnosis.hpp"
#include "memsoak/harness/result.hpp"

namespace memsoak::reports {

inline constexpr int kFixcheckSchemaVersion = 1;

// One scenario run twice, with the leaks switched on and with every fix.
struct FixcheckResult {
    std::filesystem::path scenario_file;
    std::string scenario_name;
    std::vector<std::string> leaks;  // switched on in the leaky run
    std::filesystem::path with_leaks_report;
    std::filesystem::path fixed_report;
    harness::RunResult with_leaks;
    harness::RunResult fixed;
    std::vector<harness::FixMeasure> measures;  // harness::compare_fix(with_leaks, fixed)

    // The run with leaks failed and the fixed run passed: what fixcheck exits 0 for.
    bool verdict_flips() const;
};

nlohmann::json fixcheck_to_json(const FixcheckResult& result);

// The heading, a row per measure (with leaks, fixed, saving, reduction) and both verdicts with the failed budgets.
void print_fixcheck(std::ostream& out, const FixcheckResult& result);

}  // namespace memsoak::reports
