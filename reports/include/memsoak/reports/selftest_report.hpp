#pragma once
// What `memsoak selftest` writes: the JSON of --out (the leak matrix, the A/A suite runs, the power study;
// docs/diagnosis.md describes the fields) and its terminal rendering. Times in the JSON are virtual seconds.

#include <cstdint>
#include <filesystem>
#include <ostream>
#include <vector>

#include <nlohmann/json.hpp>

#include "memsoak/harness/orchestration/power.hpp"
#include "memsoak/harness/orchestration/selftest.hpp"

namespace memsoak::reports {

nlohmann::json selftest_to_json(const harness::SelftestResult& result, const harness::SelftestOptions& options);
nlohmann::json aa_suite_to_json(const harness::AaSuiteResult& result, const std::vector<std::uint64_t>& seeds);
nlohmann::json power_to_json(const harness::PowerResult& result, const harness::PowerOptions& options);

// The leak matrix (a row per issue: caught, fixed runs passed, first detection; the A/A row), the runs that did
// not do what their role demands, and the closing verdict line.
void print_selftest(std::ostream& out, const harness::SelftestResult& result);

// The A/A runs of a suite: runs, false alarms and errors, and a line per run that did not pass.
void print_aa_suite(std::ostream& out, const harness::AaSuiteResult& result, const std::filesystem::path& suite_file);

// The power table (a row per scenario and shape: its worst action's detection limit; the bounded fills), how a rate
// counts as caught, each cell's rates, problems, and the closing lines.
void print_power(std::ostream& out, const harness::PowerResult& result, std::size_t seeds);

}  // namespace memsoak::reports
