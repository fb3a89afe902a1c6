#include "memsoak/reports/merge.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "memsoak/reports/atomic_file.hpp"
#include "memsoak/reports/error.hpp"
#include "memsoak/reports/json_report.hpp"

namespace memsoak::reports {
namespace {

namespace fs = std::filesystem;

void copy_into(const fs::path& from_folder, const fs::path& name, const fs::path& to_folder) {
    if (name.empty()) return;
    std::error_code ec;
    fs::copy_file(from_folder / name, to_folder / name, fs::copy_options::overwrite_existing, ec);
    if (ec) {
        throw Error(
            fmt::format("{}: cannot copy to {}: {}", (from_folder / name).string(), to_folder.string(), ec.message()));
    }
}

// Two shards belong to one merge when they ran the same plan: same suite, seeds and shard count.
void check_same_plan(const SuiteReport& first, const fs::path& first_folder, const SuiteReport& other,
                     const fs::path& other_folder) {
    const auto differ = [&](std::string_view what, const std::string& a, const std::string& b) {
        throw Error(fmt::format("{} and {}: not shards of one suite run: {} {} and {}", first_folder.string(),
                                other_folder.string(), what, a, b));
    };
    if (first.suite_name != other.suite_name) differ("suite", first.suite_name, other.suite_name);
    if (first.seeds != other.seeds) {
        differ("seeds", fmt::format("[{}]", fmt::join(first.seeds, ",")),
               fmt::format("[{}]", fmt::join(other.seeds, ",")));
    }
    if (first.shard_count != other.shard_count) {
        differ("shard counts", std::to_string(first.shard_count), std::to_string(other.shard_count));
    }
    if (first.planned_runs != other.planned_runs) {
        differ("planned runs", std::to_string(first.planned_runs), std::to_string(other.planned_runs));
    }
}

}  // namespace

SuiteReport merge_shards(const std::vector<fs::path>& shard_folders, const fs::path& out_dir) {
    if (shard_folders.empty()) throw Error("merge: name at least one shard folder");
    std::error_code ec;

    // Everything is checked before the output folder is made or a file copied: bad input leaves nothing behind.
    std::vector<SuiteReport> shards;
    for (const fs::path& folder : shard_folders) {
        if (fs::equivalent(folder, out_dir, ec)) {
            throw Error(fmt::format("{}: the output folder cannot also be a shard", out_dir.string()));
        }
        shards.push_back(load_suite_report(folder));
        check_same_plan(shards.front(), shard_folders.front(), shards.back(), folder);
    }

    SuiteReport merged = shards.front();
    merged.merged = true;
    merged.shards.clear();
    merged.runs.clear();
    std::map<std::size_t, fs::path> folder_of_shard;
    std::map<std::string, fs::path> folder_of_run;
    for (std::size_t s = 0; s < shards.size(); ++s) {
        const fs::path& folder = shard_folders[s];
        for (std::size_t shard : shards[s].shards) {
            const auto [it, added] = folder_of_shard.emplace(shard, folder);
            if (!added) {
                throw Error(fmt::format("{} and {}: both hold shard {}/{}", it->second.string(), folder.string(), shard,
                                        merged.shard_count));
            }
            merged.shards.push_back(shard);
        }
        merged.interrupted = merged.interrupted || shards[s].interrupted;
        for (const SuiteRun& run : shards[s].runs) {
            const auto [it, added] = folder_of_run.emplace(run.entry.name, folder);
            if (!added) {
                throw Error(
                    fmt::format("{} and {}: both hold the run {}; merge the shards of each allocator or "
                                "build on their own",
                                it->second.string(), folder.string(), run.entry.name));
            }
            if (!run.entry.report.empty()) load_report(folder / run.entry.report);  // whole and valid
            if (!run.entry.log.empty() && !fs::is_regular_file(folder / run.entry.log)) {
                throw Error(fmt::format("{}: missing; the shard's {} lists it", (folder / run.entry.log).string(),
                                        kSuiteReportFile));
            }
            merged.runs.push_back(run);
        }
    }

    fs::create_directories(out_dir, ec);
    if (ec) throw Error(fmt::format("{}: cannot create folder: {}", out_dir.string(), ec.message()));
    for (const SuiteRun& run : merged.runs) {
        const fs::path& folder = folder_of_run.at(run.entry.name);
        copy_into(folder, run.entry.report, out_dir);
        copy_into(folder, run.entry.log, out_dir);
    }
    std::sort(merged.shards.begin(), merged.shards.end());
    std::stable_sort(merged.runs.begin(), merged.runs.end(),
                     [](const SuiteRun& a, const SuiteRun& b) { return a.entry.job_index < b.entry.job_index; });
    write_file_atomically(out_dir / kSuiteReportFile, suite_report_to_json(merged).dump(1) + "\n");
    return merged;
}

}  // namespace memsoak::reports
