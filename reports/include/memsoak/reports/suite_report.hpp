#pragma once
// The suite report: which runs a suite (or one shard of it) made and how each ended, written as
// OUT_DIR/suite-report.json beside the runs' JSON reports and logs. It is what `memsoak merge` joins, and what the
// suite-level HTML, JUnit and Markdown are rendered from (docs/reports.md). The runs' own reports stay the source
// of truth for budgets and samples; this file adds what only the suite knows: the plan, the shard, and runs that
// crashed before writing a report.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "memsoak/harness/orchestration/suite.hpp"
#include "memsoak/harness/result.hpp"
#include "memsoak/reports/terminal.hpp"

namespace memsoak::reports {

inline constexpr std::string_view kSuiteReportFile = "suite-report.json";
inline constexpr int kSuiteReportSchemaVersion = 1;

struct SuiteRun {
    // Its `report` and `log` are file names in the suite report's folder; `report` is empty when the run wrote none.
    harness::SuiteEntry entry;
    std::optional<harness::RunResult> result;  // the run's report, once load_run_reports has read it
    std::string report_problem;                // why there is no result: no report written, or the reader's error
};

struct SuiteReport {
    std::string suite_name;
    std::string suite_file;
    std::vector<std::uint64_t> seeds;  // the --seeds list; empty: each scenario ran with its own seed
    std::size_t planned_runs = 0;      // jobs in the whole plan, over all shards
    std::size_t shard_count = 1;
    std::vector<std::size_t> shards;  // the shards (1-based) whose runs are listed, ascending
    bool merged = false;              // written by merge, which expects every shard; a shard's own lists one
    bool interrupted = false;         // stopped by SIGINT/SIGTERM (a merge: any shard was); runs may be missing
    std::vector<SuiteRun> runs;       // in plan order
};

// The suite report of a finished (or interrupted) `memsoak suite`: `entries` as run_suite returned them, with
// report and log paths in `folder`; they are stored as file names.
SuiteReport make_suite_report(const harness::Suite& suite, const harness::SuiteOptions& options,
                              const std::vector<harness::SuiteEntry>& entries);

nlohmann::json suite_report_to_json(const SuiteReport& report);

// Throws reports::Error naming `source` and the JSON path of a missing or mistyped field, as load_report does.
SuiteReport suite_report_from_json(const nlohmann::json& document, const std::string& source);

// Reads FOLDER/suite-report.json (not the runs' reports). Throws reports::Error.
SuiteReport load_suite_report(const std::filesystem::path& folder);

// Reads each run's report from `folder` into SuiteRun::result; a run without a readable report gets a
// report_problem instead ("no report written; see production-day.log", or the reader's error). Never throws
// for a bad run report: one broken run must not hide the others.
void load_run_reports(SuiteReport& report, const std::filesystem::path& folder);

// The shards (1-based) of shard_count that a merged report does not list: a machine's results that never came.
// Empty for a shard's own report, which lists only itself by design.
std::vector<std::size_t> missing_shards(const SuiteReport& report);

// harness::suite_exit_code over the runs (0 pass, 1 a budget failed, 2 bad input, 3 internal error or crash,
// 130 interrupted); a missing shard counts as a crash (3), since its scenarios did not run.
int suite_report_exit_code(const SuiteReport& report);

// The terminal summary of a suite: a line per run (outcome, virtual time and speed, failed budgets, or why there
// is no report), missing shards, and the suite's verdict. Runs' results must be loaded.
void print_suite_summary(std::ostream& out, const SuiteReport& report, const std::filesystem::path& folder,
                         const TerminalStyle& style);

}  // namespace memsoak::reports
