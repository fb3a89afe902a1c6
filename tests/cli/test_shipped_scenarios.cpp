// Every shipped scenario passes with the study's fixes and fails, naming the right issue, with that leak
// switched back on. This is the proof that each budget can fail.

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "support/files.hpp"
#include "support/json_files.hpp"
#include "support/processes.hpp"
#include "support/temp_dir.hpp"

namespace memsoak::testing {
namespace {

using nlohmann::json;

const std::string kScenarios = std::string(MEMSOAK_SOURCE_DIR) + "/scenarios";

std::vector<std::string> nightly_scenarios() {
    std::vector<std::string> names;
    const json suite = read_json(kScenarios + "/nightly.json");
    for (const auto& file : suite["scenarios"]) {
        names.push_back(std::filesystem::path(file.get<std::string>()).stem().string());
    }
    return names;
}

struct Case {
    std::string scenario;
    std::string leak;  // empty: the default (fixed) engine
};

// Keeps gtest from printing the case as raw bytes in test names and failures.
void PrintTo(const Case& c, std::ostream* out) {
    *out << c.scenario << (c.leak.empty() ? " fixed" : " --leak " + c.leak);
}

std::vector<Case> all_cases() {
    std::vector<Case> cases;
    for (const std::string& scenario : nightly_scenarios()) {
        cases.push_back({scenario, ""});
        const json document = read_json(kScenarios + "/" + scenario + ".json");
        for (const auto& budget : document["budgets"]) {
            const std::string name = budget.get<std::string>();
            if (name.rfind("issue-", 0) == 0) cases.push_back({scenario, name});
        }
    }
    return cases;
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
    std::string name = info.param.scenario + "_" + (info.param.leak.empty() ? "fixed" : info.param.leak);
    for (char& c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    }
    return name;
}

const json& budget_named(const json& report, const std::string& name) {
    for (const auto& budget : report["budgets"]) {
        if (budget["issue"] == name) return budget;
    }
    throw std::runtime_error("no budget " + name);
}

class ShippedScenario : public ::testing::TestWithParam<Case> {};

TEST_P(ShippedScenario, VerdictFollowsTheLeakSwitch) {
    const Case& c = GetParam();
    TempDir dir;
    std::vector<std::string> args{"run", kScenarios + "/" + c.scenario + ".json", "--out", dir.file("r.json"),
                                  "--quiet"};
    if (!c.leak.empty()) args.insert(args.end(), {"--leak", c.leak});
    const ProcessResult run = run_memsoak(args);
    ASSERT_EQ(run.signal, 0) << run.output;
    const json report = read_json(dir.file("r.json"));

    if (c.leak.empty()) {
        EXPECT_EQ(run.exit_code, 0) << run.output << report["budgets"].dump(1);
        EXPECT_EQ(report["verdict"], "pass");
        for (const auto& budget : report["budgets"]) {
            EXPECT_EQ(budget["verdict"], "pass") << budget.dump(1);
        }
        return;
    }
    EXPECT_EQ(run.exit_code, 1) << run.output;
    EXPECT_EQ(report["verdict"], "fail");
    EXPECT_EQ(budget_named(report, c.leak)["verdict"], "fail") << report["budgets"].dump(1);
    // Naming the right issue: no other study issue's budget is blamed for this leak.
    for (const auto& budget : report["budgets"]) {
        const std::string name = budget["issue"];
        if (name != c.leak && name.rfind("issue-", 0) == 0) {
            EXPECT_EQ(budget["verdict"], "pass") << name;
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Nightly, ShippedScenario, ::testing::ValuesIn(all_cases()), case_name);

double limit_measured(const json& report, const std::string& budget, const std::string& metric,
                      const std::string& kind) {
    for (const auto& limit : budget_named(report, budget)["limits"]) {
        if (limit["metric"] == metric && limit["kind"] == kind) return limit["measured"].get<double>();
    }
    throw std::runtime_error("no limit " + metric + " " + kind);
}

// The study: "Before fix: memory grows ~10-20 MB/hour" (8-20 MB/hour in production); after: stable, below 50 MB.
TEST(ProductionDay, ReproducesTheStudysNumbers) {
    TempDir dir;
    const std::string scenario = kScenarios + "/production-day.json";
    const ProcessResult leaky = run_memsoak({"run", scenario, "--leak", "issue-1", "--out", dir.file("leaky.json")});
    ASSERT_EQ(leaky.exit_code, 1) << leaky.output;
    const json leaky_report = read_json(dir.file("leaky.json"));
    const double growth_mb_per_hour =
        limit_measured(leaky_report, "issue-1", "engine.status_display.bytes", "growth") / 1e6;
    EXPECT_GE(growth_mb_per_hour, 8.0);
    EXPECT_LE(growth_mb_per_hour, 20.0);
    const double live_growth_mb_per_hour =
        limit_measured(leaky_report, "process", "allocator.live_bytes", "growth") / 1e6;
    EXPECT_GE(live_growth_mb_per_hour, 8.0);
    EXPECT_LE(live_growth_mb_per_hour, 20.0);

    const ProcessResult fixed = run_memsoak({"run", scenario, "--out", dir.file("fixed.json")});
    ASSERT_EQ(fixed.exit_code, 0) << fixed.output;
    const json fixed_report = read_json(dir.file("fixed.json"));
    EXPECT_LT(limit_measured(fixed_report, "process", "os.rss_bytes", "peak"), 50.0 * 1024 * 1024);
    EXPECT_GT(fixed_report["run"]["acceleration"].get<double>(), 0.0);
}

}  // namespace
}  // namespace memsoak::testing
