#include "memsoak/reports/suite_report.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include <fmt/format.h>

#include "memsoak/engine/input_file.hpp"
#include "memsoak/engine/json_input.hpp"
#include "memsoak/harness/error.hpp"
#include "memsoak/harness/inputs/scenario.hpp"
#include "memsoak/reports/error.hpp"
#include "memsoak/reports/json_report.hpp"

namespace memsoak::reports {
namespace {

using Json = nlohmann::json;
namespace fs = std::filesystem;

Json file_name_or_null(const fs::path& path) { return path.empty() ? Json(nullptr) : Json(path.filename().string()); }

// Checked access to one document; every error names the source and the JSON path.
class Reader {
public:
    explicit Reader(const std::string& source) : source_(source) {}

    [[noreturn]] void fail(const std::string& path, std::string_view expected, const Json& got) const {
        engine::json_input::fail(source_, path, expected, got);
    }

    const Json& member(const Json& object, const std::string& path, std::string_view key,
                       std::string_view expected) const {
        return engine::json_input::require(object, key, expected, source_, path);
    }

    const Json& typed(const Json& object, const std::string& path, std::string_view key, std::string_view expected,
                      bool (Json::*is)() const noexcept) const {
        const Json& value = member(object, path, key, expected);
        if (!(value.*is)()) fail(fmt::format("{}.{}", path, key), expected, value);
        return value;
    }

    std::string string(const Json& object, const std::string& path, std::string_view key) const {
        return typed(object, path, key, "a string", &Json::is_string).get<std::string>();
    }

    std::uint64_t whole(const Json& object, const std::string& path, std::string_view key) const {
        const Json& value = typed(object, path, key, "a non-negative integer", &Json::is_number_integer);
        // A document built in memory holds a signed integer where one read from text holds an unsigned one.
        if (!value.is_number_unsigned() && value.get<std::int64_t>() < 0) {
            fail(fmt::format("{}.{}", path, key), "a non-negative integer", value);
        }
        return value.get<std::uint64_t>();
    }

    // A file name in the suite report's folder, or null.
    fs::path file_name(const Json& object, const std::string& path, std::string_view key) const {
        const Json& value = member(object, path, key, "a file name or null");
        if (value.is_null()) return {};
        const std::string name = value.is_string() ? value.get<std::string>() : std::string();
        // A name with a folder in it would let a suite report point outside its own folder.
        if (name.empty() || fs::path(name).filename() != fs::path(name)) {
            fail(fmt::format("{}.{}", path, key), "a file name without a folder, or null", value);
        }
        return name;
    }

private:
    const std::string& source_;
};

harness::SuiteEntry read_run(const Reader& r, const Json& run, const std::string& path) {
    if (!run.is_object()) r.fail(path, "an object", run);
    harness::SuiteEntry entry;
    entry.job_index = r.whole(run, path, "index");
    entry.name = r.string(run, path, "name");
    entry.scenario = r.string(run, path, "scenario");
    const Json& seed = r.member(run, path, "seed", "a non-negative integer or null");
    if (!seed.is_null()) {
        if (!seed.is_number_unsigned()) r.fail(path + ".seed", "a non-negative integer or null", seed);
        entry.seed = seed.get<std::uint64_t>();
    }
    const std::string outcome = r.string(run, path, "outcome");
    const std::optional<harness::Outcome> known = harness::parse_outcome(outcome);
    if (!known) {
        r.fail(path + ".outcome",
               "\"pass\", \"fail\", \"bad_input\", \"internal_error\", \"interrupted\" or \"crashed\"", outcome);
    }
    entry.outcome = *known;
    const Json& exit_code = r.typed(run, path, "exit_code", "an integer", &Json::is_number_integer);
    entry.exit_code = exit_code.get<int>();
    entry.signal = static_cast<int>(r.whole(run, path, "signal"));
    entry.wall_seconds = r.typed(run, path, "wall_seconds", "a number", &Json::is_number).get<double>();
    entry.report = r.file_name(run, path, "report");
    entry.log = r.file_name(run, path, "log");
    return entry;
}

}  // namespace

SuiteReport make_suite_report(const harness::Suite& suite, const harness::SuiteOptions& options,
                              const std::vector<harness::SuiteEntry>& entries) {
    SuiteReport report;
    report.suite_name = suite.name;
    report.suite_file = suite.file;
    report.seeds = options.seeds;
    report.planned_runs = harness::plan_suite(suite, options.seeds).size();
    report.shard_count = options.shard.count;
    report.shards = {options.shard.index};
    for (const harness::SuiteEntry& entry : entries) {
        SuiteRun run;
        run.entry = entry;
        run.entry.report = entry.report.filename();
        run.entry.log = entry.log.filename();
        report.runs.push_back(std::move(run));
    }
    return report;
}

Json suite_report_to_json(const SuiteReport& report) {
    Json runs = Json::array();
    for (const SuiteRun& run : report.runs) {
        const harness::SuiteEntry& e = run.entry;
        runs.push_back({
            {"index", e.job_index},
            {"name", e.name},
            {"scenario", e.scenario.string()},
            {"seed", e.seed ? Json(*e.seed) : Json(nullptr)},
            {"outcome", harness::to_string(e.outcome)},
            {"exit_code", e.exit_code},
            {"signal", e.signal},
            {"wall_seconds", e.wall_seconds},
            {"report", file_name_or_null(e.report)},
            {"log", file_name_or_null(e.log)},
        });
    }
    return {
        {"schema_version", kSuiteReportSchemaVersion},
        {"suite",
         {{"name", report.suite_name},
          {"file", report.suite_file},
          {"seeds", report.seeds},
          {"planned_runs", report.planned_runs}}},
        {"shards", {{"count", report.shard_count}, {"listed", report.shards}, {"merged", report.merged}}},
        {"interrupted", report.interrupted},
        {"runs", std::move(runs)},
    };
}

SuiteReport suite_report_from_json(const Json& document, const std::string& source) {
    const Reader r(source);
    if (!document.is_object()) r.fail("$", "a suite report object", document);
    const Json& version = r.member(document, "$", "schema_version", "1");
    if (version != kSuiteReportSchemaVersion) {
        engine::json_input::reject(source, "$.schema_version",
                                   fmt::format("unsupported suite report schema version {}; this memsoak reads "
                                               "version {} (docs/reports.md)",
                                               engine::excerpt(version.dump()), kSuiteReportSchemaVersion));
    }
    SuiteReport report;
    const Json& suite = r.typed(document, "$", "suite", "an object", &Json::is_object);
    report.suite_name = r.string(suite, "$.suite", "name");
    report.suite_file = r.string(suite, "$.suite", "file");
    const Json& seeds = r.typed(suite, "$.suite", "seeds", "an array", &Json::is_array);
    for (std::size_t i = 0; i < seeds.size(); ++i) {
        if (!seeds[i].is_number_unsigned()) r.fail(fmt::format("$.suite.seeds[{}]", i), "a seed", seeds[i]);
        report.seeds.push_back(seeds[i].get<std::uint64_t>());
    }
    report.planned_runs = r.whole(suite, "$.suite", "planned_runs");

    const Json& shards = r.typed(document, "$", "shards", "an object", &Json::is_object);
    report.shard_count = r.whole(shards, "$.shards", "count");
    if (report.shard_count == 0) r.fail("$.shards.count", "a shard count of at least 1", shards["count"]);
    const Json& listed = r.typed(shards, "$.shards", "listed", "an array", &Json::is_array);
    for (std::size_t i = 0; i < listed.size(); ++i) {
        const Json& shard = listed[i];
        if (!shard.is_number_unsigned() || shard.get<std::size_t>() < 1 ||
            shard.get<std::size_t>() > report.shard_count) {
            r.fail(fmt::format("$.shards.listed[{}]", i), fmt::format("a shard number 1..{}", report.shard_count),
                   shard);
        }
        report.shards.push_back(shard.get<std::size_t>());
    }
    std::sort(report.shards.begin(), report.shards.end());
    const Json& merged = r.typed(shards, "$.shards", "merged", "true or false", &Json::is_boolean);
    report.merged = merged.get<bool>();

    // Added after the first suite reports were written: optional, false when absent (docs/reports.md).
    if (document.contains("interrupted")) {
        report.interrupted = r.typed(document, "$", "interrupted", "true or false", &Json::is_boolean).get<bool>();
    }

    const Json& runs = r.typed(document, "$", "runs", "an array", &Json::is_array);
    for (std::size_t i = 0; i < runs.size(); ++i) {
        report.runs.push_back(SuiteRun{read_run(r, runs[i], fmt::format("$.runs[{}]", i)), std::nullopt, {}});
    }
    return report;
}

SuiteReport load_suite_report(const fs::path& folder) {
    const fs::path file = folder / kSuiteReportFile;
    const engine::json_input::Document document = engine::json_input::read_document(file);
    return engine::json_input::read_with_positions(document, [&](const Json& root) {
        return suite_report_from_json(root, document.source);
    });
}

void load_run_reports(SuiteReport& report, const fs::path& folder) {
    for (SuiteRun& run : report.runs) {
        run.result.reset();
        run.report_problem.clear();
        if (run.entry.report.empty()) {
            run.report_problem = run.entry.log.empty()
                                     ? std::string("no report written")
                                     : fmt::format("no report written; see {}", run.entry.log.string());
            continue;
        }
        try {
            run.result = load_report(folder / run.entry.report);
        } catch (const Error& e) {
            run.report_problem = e.what();
        }
    }
}

std::vector<std::size_t> missing_shards(const SuiteReport& report) {
    std::vector<std::size_t> missing;
    if (!report.merged) return missing;
    for (std::size_t shard = 1; shard <= report.shard_count; ++shard) {
        if (!std::binary_search(report.shards.begin(), report.shards.end(), shard)) missing.push_back(shard);
    }
    return missing;
}

int suite_report_exit_code(const SuiteReport& report) {
    std::vector<harness::SuiteEntry> entries;
    entries.reserve(report.runs.size() + 1);
    for (const SuiteRun& run : report.runs) entries.push_back(run.entry);
    if (!missing_shards(report).empty()) {
        harness::SuiteEntry absent;  // stands for the runs of the missing shards, which did not happen
        absent.outcome = harness::Outcome::crashed;
        entries.push_back(absent);
    }
    return harness::suite_exit_code(entries);
}

}  // namespace memsoak::reports
