#pragma once
// Joins the output folders of a sharded suite (`memsoak suite --shard I/N --out-dir DIR`, one per machine) into
// one folder, as if one machine had run the whole suite: every run's report and log, and one suite-report.json.

#include <filesystem>
#include <vector>

#include "memsoak/reports/suite_report.hpp"

namespace memsoak::reports {

// Reads SHARD/suite-report.json of each folder, copies each run's report and log into `out_dir` (created when
// missing; files of the same name are replaced) and writes out_dir/suite-report.json, atomically and last, so
// that a reader never sees a suite report whose files are not there yet. Returns the merged report, runs in plan
// order, results not loaded. Shards that were not given stay missing (see missing_shards); merging is not refused
// for that, so that the runs that did happen are still reported.
//
// Throws reports::Error, naming the folders, when the shards come from different suites, seed lists or shard
// counts, when a shard is given twice, when two runs have the same name (e.g. the same suite run with two
// allocators: merge each allocator's shards on their own), or when `out_dir` is one of the shards.
SuiteReport merge_shards(const std::vector<std::filesystem::path>& shard_folders, const std::filesystem::path& out_dir);

}  // namespace memsoak::reports
