#pragma once
// Proof that every budget can fail: for each study issue, its scenario runs with the leak switched on (it must
// fail, naming that issue) and with the fix (it must pass), over several seeds; A/A runs of the fixed engine with
// other seeds measure the false-alarm rate. Every run is a child `memsoak run` process (run_suite's machinery), so
// one run's memory cannot pollute another's, and the first detection of each leak is found afterwards by judging
// growing prefixes of the child's saved series.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "memsoak/harness/analysis/judge.hpp"
#include "memsoak/harness/inputs/ledger.hpp"
#include "memsoak/harness/orchestration/suite.hpp"
#include "memsoak/harness/result.hpp"

namespace memsoak::harness {

inline constexpr int kSelftestSchemaVersion = 1;

struct SelftestCase {
    std::string issue;               // "issue-1" .. "issue-5"
    std::filesystem::path scenario;  // checks that issue's budget
};

// The cheapest scenario of `folder` that catches each issue (docs/diagnosis.md explains the choice). With
// `engine_measured` false (--measure without the engine layer), issues 3 and 5 use the scenarios that judge the
// live heap after a warm-up long enough to fill the bounded histories; the others are caught by their scenario's
// process budget. Throws harness::Error naming a scenario file that is missing.
std::vector<SelftestCase> default_selftest_cases(const std::filesystem::path& folder, bool engine_measured);
// The A/A scenario: every workload and every study budget.
std::filesystem::path default_aa_scenario(const std::filesystem::path& folder);

struct SelftestOptions {
    std::filesystem::path executable;  // the memsoak binary each run executes
    std::filesystem::path work_dir;    // children's reports and logs, one folder per group of runs
    std::vector<SelftestCase> cases;
    std::filesystem::path aa_scenario;    // run once per aa_seeds entry
    std::vector<std::uint64_t> seeds;     // each case runs leaky and fixed once per seed
    std::vector<std::uint64_t> aa_seeds;  // one A/A run per seed; distinct from `seeds`
    std::vector<std::string> run_args;    // extra arguments for every child, e.g. {"--measure", "os,allocator"}
    std::size_t parallel = 2;             // children at a time
    std::size_t detection_prefixes = 50;  // growing prefixes judged to find a leak's first detection
    // Reads a child's JSON report (reports::load_report; the harness cannot depend on reports). Throws on a bad one.
    std::function<RunResult(const std::filesystem::path&)> load_report;
    // As each child starts (from the thread that will wait for it; calls are serialised): its number among all
    // runs, 1-based, and their total.
    std::function<void(std::size_t started, std::size_t total)> on_progress;
    // Called as each run ends (under a lock), with how many of `total` have ended: CI logs without a terminal.
    std::function<void(const SuiteEntry& entry, std::size_t finished, std::size_t total)> on_finished;
};

enum class SelftestRole { leaky, fixed, aa };

struct SelftestRun {
    SelftestRole role = SelftestRole::fixed;
    std::string issue;  // the leak switched on (leaky runs); empty otherwise
    std::filesystem::path scenario;
    std::uint64_t seed = 0;
    Outcome outcome = Outcome::crashed;
    std::vector<std::string> failed_budgets;
    bool ok = false;                                // leaky: caught, naming the issue; fixed and A/A: passed
    std::optional<VirtualDuration> detected_after;  // leaky runs that were caught: see first_detection
    std::string problem;                            // why the run is not ok, for people; empty when it is
    std::filesystem::path report;
    std::filesystem::path log;
};

struct SelftestIssue {
    std::string issue;
    std::filesystem::path scenario;
    std::size_t leaky_runs = 0;
    std::size_t caught = 0;  // failed naming this issue (or, with its budget unmeasured, failed another budget)
    std::size_t fixed_runs = 0;
    std::size_t fixed_passed = 0;
    std::vector<VirtualDuration> detections;  // first detection of each caught run, in seed order
};

struct SelftestResult {
    std::vector<SelftestIssue> issues;
    std::filesystem::path aa_scenario;
    std::size_t aa_runs = 0;
    std::size_t aa_false_alarms = 0;  // A/A runs that failed a budget
    std::size_t aa_errors = 0;        // A/A runs that crashed or could not run
    std::vector<SelftestRun> runs;    // every child, leaky groups first, then fixed, then A/A
    bool interrupted = false;
    // Every leak caught, every fixed and A/A run passed, nothing crashed, not interrupted.
    bool passed() const;
};

// Runs everything, `parallel` children at a time. Throws harness::Error when a scenario cannot be loaded.
SelftestResult run_selftest(const SelftestOptions& options, const std::atomic<bool>* stop_requested);

// The virtual time of the first of `prefixes` evenly spaced, growing prefixes of the series (the k-th holds
// ceil(k * n / prefixes) samples) at which any of `budgets` fails; nullopt when none does. Judged as a run is
// (judge_budgets with the run's warm-up).
std::optional<VirtualDuration> first_detection(const RunResult& run, const Ledger& ledger,
                                               const std::vector<std::string>& budgets, std::size_t prefixes,
                                               const JudgeOptions& options = {});

std::string_view to_string(SelftestRole role);

}  // namespace memsoak::harness
