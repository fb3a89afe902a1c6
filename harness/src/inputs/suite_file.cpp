#include "memsoak/harness/inputs/suite_file.hpp"

#include <charconv>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "memsoak/harness/error.hpp"
#include "memsoak/harness/inputs/scenario.hpp"

namespace memsoak::harness {
namespace {

using Json = nlohmann::json;

}  // namespace

namespace {

Suite parse_suite(const Json& doc, const std::filesystem::path& file) {
    const std::string name = file.string();
    json_input::check_object(doc, {"description", "name", "scenarios", "schema_version"}, "a suite object", name, "$");
    json_input::check_schema_version(doc, kSuiteSchemaVersion, name);
    Suite suite;
    suite.file = name;
    suite.name =
        json_input::non_empty_string(json_input::require(doc, "name", "a non-empty string", name, "$"), name, "$.name");
    if (const Json* description = json_input::find(doc, "description")) {
        suite.description = json_input::string(*description, name, "$.description");
    }
    constexpr std::string_view kScenariosExpected = "a non-empty array of scenario files";
    const Json& list = json_input::require(doc, "scenarios", kScenariosExpected, name, "$");
    if (!list.is_array() || list.empty()) json_input::fail(name, "$.scenarios", kScenariosExpected, list);
    const std::filesystem::path folder = file.parent_path();
    std::set<std::string> seen;
    for (std::size_t i = 0; i < list.size(); ++i) {
        const std::string path = json_input::index_path("$.scenarios", i);
        std::filesystem::path scenario =
            folder / json_input::non_empty_string(list[i], name, path, "a scenario file name");
        if (!std::filesystem::is_regular_file(scenario)) {
            json_input::reject(name, path, fmt::format("no such scenario file {}", scenario.string()));
        }
        if (!seen.insert(scenario.lexically_normal().string()).second) {
            json_input::reject(name, path, fmt::format("{} is listed twice", scenario.string()));
        }
        suite.scenarios.push_back(std::move(scenario));
    }
    return suite;
}

}  // namespace

Suite load_suite(const std::filesystem::path& file) {
    const json_input::Document document = json_input::read_document(file);
    return json_input::read_with_positions(document, [&](const Json& root) { return parse_suite(root, file); });
}

std::vector<SuiteJob> plan_suite(const Suite& suite, const std::vector<std::uint64_t>& seeds) {
    std::vector<SuiteJob> plan;
    std::set<std::string> names;
    auto add = [&](const std::filesystem::path& scenario, std::optional<std::uint64_t> seed) {
        SuiteJob job;
        job.index = plan.size();
        job.scenario = scenario;
        job.seed = seed;
        job.name = scenario.stem().string() + (seed ? fmt::format("-seed{}", *seed) : "");
        if (!names.insert(job.name).second) {
            throw Error(
                fmt::format("{}: two runs would write the report {}.json (scenario {}); scenario files in "
                            "one suite need distinct names",
                            suite.file, job.name, scenario.string()));
        }
        plan.push_back(std::move(job));
    };
    for (const auto& scenario : suite.scenarios) {
        if (seeds.empty()) add(scenario, std::nullopt);
        for (std::uint64_t seed : seeds) add(scenario, seed);
    }
    return plan;
}

Shard parse_shard(std::string_view text) {
    const auto fail = [text]() -> Shard {
        throw Error(fmt::format("expected I/N with 1 <= I <= N, e.g. \"2/4\", got \"{}\"", text));
    };
    const std::size_t slash = text.find('/');
    if (slash == std::string_view::npos) return fail();
    const auto whole = [](std::string_view digits, std::size_t& value) {
        const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
        return !digits.empty() && ec == std::errc() && end == digits.data() + digits.size();
    };
    Shard shard;
    if (!whole(text.substr(0, slash), shard.index) || !whole(text.substr(slash + 1), shard.count)) return fail();
    if (shard.index < 1 || shard.index > shard.count) return fail();
    return shard;
}

std::vector<SuiteJob> select_shard(const std::vector<SuiteJob>& plan, Shard shard) {
    std::vector<SuiteJob> mine;
    for (const SuiteJob& job : plan) {
        if (job.index % shard.count == shard.index - 1) mine.push_back(job);
    }
    return mine;
}

}  // namespace memsoak::harness
