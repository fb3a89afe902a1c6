#pragma once
// Growth sites for `memsoak run`: the sampled heap of memsoak-tcmalloc (--heap-sample), and the automatic re-run
// of a failing default-build run under memsoak-tcmalloc when no engine component explains the growth
// (harness/soak/heap_sample.hpp, docs/diagnosis.md).

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "memsoak/harness/result.hpp"

namespace memsoak::cli {

// Makes sure tcmalloc runs this process in memsoak's environment: sampling at `period` (0: no sampling) and none
// of tcmalloc's notices on stderr. tcmalloc reads its environment once, when the process starts, so unless memsoak
// set it already this sets it and re-executes the same `run` command. Returns only when it is set; throws
// UsageError when tcmalloc still does not sample at `period`.
void ensure_tcmalloc_environment(std::size_t period, const std::vector<std::string>& run_args);

// Why a run calls for the re-run under memsoak-tcmalloc, e.g. "budget process failed on allocator.live_bytes and
// no engine component explains the growth"; empty when it does not: it passed, ran under tcmalloc or a sanitizer
// already, was stopped, or its growth is a component's.
std::string attribution_trigger(const harness::RunResult& result);

struct AttributionRerun {
    std::filesystem::path scenario;
    std::uint64_t seed = 0;
    std::vector<std::string> leaks;
    std::vector<std::string> injections;  // as given with --inject
    std::filesystem::path ledger;
    std::string measure;
    std::optional<std::string> max_rss;  // --max-rss as given: the re-run guards the machine as the run did
    std::optional<std::filesystem::path> collapsed_file;  // where the re-run writes the collapsed stacks
};

// Runs the same scenario and seed under memsoak-tcmalloc beside this executable, with --heap-sample, and returns
// its growth sites (source says so). Never throws: when the sibling is missing or fails, the findings carry the
// reason in `error`.
harness::HeapProfileFindings rerun_under_tcmalloc(const AttributionRerun& rerun);

// DIR/day.json -> DIR/day.growth.collapsed: the collapsed growth stacks beside a report.
std::filesystem::path collapsed_file_for(const std::filesystem::path& report);

}  // namespace memsoak::cli
