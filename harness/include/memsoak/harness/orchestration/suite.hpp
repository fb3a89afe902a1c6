#pragma once
// A suite: a list of scenario files run one after another, each in its own process so that one scenario's
// memory (and a crash) cannot touch another's. The nightly job is `memsoak suite scenarios/nightly.json`.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "memsoak/harness/inputs/suite_file.hpp"
#include "memsoak/harness/result.hpp"

namespace memsoak::harness {

// How one scenario of a suite ended, read from its child's exit status.
// How a suite's child run ended, written once (result.hpp's MEMSOAK_ENUM_VALUE) and expanded into the enum, its
// string forms and its parser.
// An X-macro list, laid out by hand.
// clang-format off
#define MEMSOAK_OUTCOMES(X) X(pass) X(fail) X(bad_input) X(internal_error) X(interrupted) X(crashed)
// clang-format on
enum class Outcome { MEMSOAK_OUTCOMES(MEMSOAK_ENUM_VALUE) };

struct SuiteEntry {
    std::size_t job_index = 0;          // SuiteJob::index: a merge of shards puts entries back in plan order
    std::string name;                   // SuiteJob::name
    std::optional<std::uint64_t> seed;  // SuiteJob::seed
    std::filesystem::path scenario;
    std::filesystem::path report;  // the child's JSON report (absent when it crashed before writing)
    std::filesystem::path log;     // the child's standard output and error
    Outcome outcome = Outcome::crashed;
    int exit_code = -1;  // -1 when killed by a signal
    int signal = 0;      // the signal that killed it, if any
    double wall_seconds = 0;
};

struct SuiteOptions {
    std::filesystem::path executable;   // the memsoak binary that runs each scenario
    std::filesystem::path out_dir;      // reports and logs, one pair per scenario
    std::vector<std::string> run_args;  // extra arguments for each `run` (e.g. --leak issue-1, --ledger F)
    std::vector<std::uint64_t> seeds;   // run every scenario once per seed; empty: once with its own seed
    Shard shard;                        // the part of the plan this process runs; 1/1 is all of it
    // Called before each child starts, with its position among this shard's jobs (0-based) and their number.
    std::function<void(const SuiteJob& job, std::size_t position, std::size_t count)> on_start;
    // Called after each child has ended, with its entry, how many of `count` jobs have ended, and `count` (this
    // shard's jobs; in run_suite_parallel, the whole plan's, under the same lock as on_start).
    std::function<void(const SuiteEntry& entry, std::size_t finished, std::size_t count)> on_finish;
};

// Runs each job of this shard as `executable run SCENARIO --out DIR/NAME.json --quiet [--seed N] RUN_ARGS...`.
// Stops launching new children once `stop_requested` is set (a signal reaches the running child through the
// process group).
std::vector<SuiteEntry> run_suite(const Suite& suite, const SuiteOptions& options,
                                  const std::atomic<bool>* stop_requested);

// The same plan on `parallel` children at a time (shards of it, each on its own thread); entries in plan order.
// `on_start` is called under a lock, with the position and count of the child's shard.
std::vector<SuiteEntry> run_suite_parallel(const Suite& suite, const SuiteOptions& options, std::size_t parallel,
                                           const std::atomic<bool>* stop_requested);

std::string_view to_string(Outcome outcome);
// The outcome a string form names; nullopt for none.
std::optional<Outcome> parse_outcome(std::string_view text);
// The suite's exit code: 0 all passed, 1 a budget failed, 2 bad input, 3 an internal error or a crash,
// 130 interrupted. The most serious outcome wins.
int suite_exit_code(const std::vector<SuiteEntry>& entries);

}  // namespace memsoak::harness
