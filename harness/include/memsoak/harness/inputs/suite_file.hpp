#pragma once
// A suite file: a list of scenario files (docs/scenarios.md), and the plan of runs it makes, whole or one shard of
// it. Running the plan is orchestration/suite.hpp's.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace memsoak::harness {

inline constexpr int kSuiteSchemaVersion = 1;

struct Suite {
    int schema_version = kSuiteSchemaVersion;
    std::string file;
    std::string name;
    std::string description;
    std::vector<std::filesystem::path> scenarios;  // resolved against the suite file's folder
};

// Throws harness::Error naming the file, the JSON path and what was expected; a listed file must exist.
Suite load_suite(const std::filesystem::path& file);

// One run of a suite's plan: a scenario, with a seed when the suite is run over a list of seeds.
struct SuiteJob {
    std::size_t index = 0;  // position in the whole plan, 0-based: scenario-major, then seed
    std::filesystem::path scenario;
    std::optional<std::uint64_t> seed;  // passed as --seed; absent: the scenario's own seed
    std::string name;                   // stem of its report and log: the scenario's stem, plus "-seed<N>"
};

// The plan: every scenario in the suite's order, each once per seed (once with its own seed when `seeds` is
// empty). Throws harness::Error when two jobs would share a report name (two scenario files with one stem).
std::vector<SuiteJob> plan_suite(const Suite& suite, const std::vector<std::uint64_t>& seeds);

// A part of the plan for one machine: shard I of N (1-based, "--shard I/N") runs the jobs whose plan index k has
// k % N == I - 1, so N shards together run each job exactly once, and neighbouring jobs (one scenario's seeds)
// land on different shards. A shard may be empty when N exceeds the number of jobs.
struct Shard {
    std::size_t index = 1;  // 1..count
    std::size_t count = 1;
};

// "I/N" with 1 <= I <= N. Throws harness::Error: expected I/N with 1 <= I <= N, e.g. "2/4", got "5/4".
Shard parse_shard(std::string_view text);
std::vector<SuiteJob> select_shard(const std::vector<SuiteJob>& plan, Shard shard);

}  // namespace memsoak::harness
