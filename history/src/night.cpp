// Reading a night's figures from run reports, suite folders and merged shard folders (through memsoak::reports).

#include <algorithm>
#include <cmath>
#include <regex>

#include <fmt/format.h>

#include "memsoak/engine/time.hpp"
#include "memsoak/history/error.hpp"
#include "memsoak/history/night.hpp"
#include "memsoak/reports/error.hpp"
#include "memsoak/reports/json_report.hpp"
#include "memsoak/reports/suite_report.hpp"

namespace memsoak::history {
namespace {

namespace fs = std::filesystem;

void add_figures(const harness::RunResult& run, std::vector<Figure>& figures) {
    const double nan = std::nan("");
    for (const harness::BudgetResult& budget : run.budgets) {
        for (const harness::LimitResult& limit : budget.limits) {
            Figure f;
            f.series = {run.info.scenario_name, run.info.allocator, budget.budget, limit.metric,
                        std::string(harness::to_string(limit.kind))};
            f.seed = run.info.seed;
            f.limit = limit.limit;
            f.measured = limit.measured;
            const bool growth = limit.kind == harness::LimitKind::growth && limit.growth;
            f.ci_low = growth ? limit.growth->ci_low_per_hour : nan;
            f.ci_high = growth ? limit.growth->ci_high_per_hour : nan;
            f.detection_limit = limit.detection_limit.value_or(nan);
            f.verdict = std::string(harness::to_string(limit.verdict));
            figures.push_back(std::move(f));
        }
    }
}

harness::RunResult load(const fs::path& file) {
    try {
        return reports::load_report(file);
    } catch (const reports::Error& e) {
        throw Error(fmt::format("cannot record {}: {}", file.string(), e.what()));
    }
}

}  // namespace

std::string normalise_time(const std::string& text, const std::string& what) {
    static const std::regex date(R"((\d{4})-(\d{2})-(\d{2}))");
    static const std::regex stamp(R"((\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d+)?Z?)");
    std::smatch m;
    if (std::regex_match(text, m, date)) return fmt::format("{}-{}-{}T00:00:00Z", m[1].str(), m[2].str(), m[3].str());
    if (std::regex_match(text, m, stamp)) {
        return fmt::format("{}-{}-{}T{}:{}:{}Z", m[1].str(), m[2].str(), m[3].str(), m[4].str(), m[5].str(),
                           m[6].str());
    }
    throw Error(
        fmt::format("{}: expected a UTC time such as 2026-11-29 or 2026-11-29T23:00:00Z, got \"{}\"", what, text));
}

Night read_night(const std::vector<fs::path>& paths, const NightOverrides& overrides,
                 std::vector<std::string>& warnings) {
    std::vector<harness::RunResult> runs;
    for (const fs::path& path : paths) {
        std::error_code ec;
        if (fs::is_directory(path, ec)) {
            if (fs::exists(path / reports::kSuiteReportFile)) {
                reports::SuiteReport suite;
                try {
                    suite = reports::load_suite_report(path);
                } catch (const reports::Error& e) {
                    throw Error(fmt::format("cannot record {}: {}", path.string(), e.what()));
                }
                for (std::size_t missing : reports::missing_shards(suite)) {
                    warnings.push_back(fmt::format("{}: shard {} of {} is missing; its runs are not recorded",
                                                   path.string(), missing, suite.shard_count));
                }
                for (const reports::SuiteRun& run : suite.runs) {
                    if (run.entry.report.empty()) {
                        warnings.push_back(
                            fmt::format("{}: {} wrote no report; not recorded", path.string(), run.entry.name));
                        continue;
                    }
                    runs.push_back(load(path / run.entry.report));
                }
            } else {
                std::vector<fs::path> files;
                for (const auto& entry : fs::directory_iterator(path)) {
                    if (entry.path().extension() == ".json") files.push_back(entry.path());
                }
                std::sort(files.begin(), files.end());
                if (files.empty())
                    throw Error(fmt::format("cannot record {}: a folder with no reports", path.string()));
                for (const fs::path& file : files) runs.push_back(load(file));
            }
        } else if (fs::exists(path, ec)) {
            runs.push_back(load(path));
        } else {
            throw Error(fmt::format("cannot record {}: no such file or folder", path.string()));
        }
    }
    if (runs.empty()) throw Error("nothing to record: name at least one report or suite folder");

    Night night;
    night.info.branch = overrides.branch.empty() ? "main" : overrides.branch;
    night.info.label = overrides.label;
    night.info.commit = overrides.commit;
    if (night.info.commit.empty()) {
        night.info.commit = runs.front().info.git_commit;
        for (const auto& run : runs) {
            if (run.info.git_commit != night.info.commit) {
                throw Error(
                    fmt::format("the reports name different commits ({} and {}, {}); one night is one "
                                "commit: record them separately or pass --commit",
                                night.info.commit, run.info.git_commit, run.info.scenario_file));
            }
        }
    }
    if (!overrides.time.empty()) {
        night.info.time = normalise_time(overrides.time, "--time");
    } else {
        std::string earliest;
        for (const auto& run : runs) {
            if (run.info.started_at.empty()) continue;
            const std::string t = normalise_time(run.info.started_at, run.info.scenario_file + ": started_at");
            if (earliest.empty() || t < earliest) earliest = t;
        }
        if (earliest.empty()) throw Error("the reports carry no started_at time: pass --time");
        night.info.time = earliest;
    }
    for (const auto& run : runs) {
        if (run.info.interrupted) {
            warnings.push_back(fmt::format("{} (seed {}) was interrupted; its figures cover {} s and are not recorded",
                                           run.info.scenario_name, run.info.seed,
                                           engine::to_seconds(run.info.virtual_elapsed)));
            continue;
        }
        add_figures(run, night.figures);
    }
    return night;
}

}  // namespace memsoak::history
