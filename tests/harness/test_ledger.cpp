#include "memsoak/harness/inputs/ledger.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <string>

#include "memsoak/harness/error.hpp"
#include "support/errors.hpp"

namespace memsoak::harness {
namespace {

using testing::message_of;

using Json = nlohmann::json;

const std::string kFile = "scenarios/budgets.json";
const std::string kDataDir = MEMSOAK_SOURCE_DIR "/tests/harness/data";

// The smallest valid ledger; each error test breaks one thing in it.
Json minimal() {
    return Json::parse(R"({"schema_version": 1, "budgets": {
        "process": {"description": "whole process", "limits": [{"metric": "os.rss_bytes", "peak": "50 MiB"}]}}})");
}

// The ledger with the process budget's first limit replaced.
Json with_limit(const char* limit) {
    Json document = minimal();
    document["budgets"]["process"]["limits"][0] = Json::parse(limit);
    return document;
}

std::string error_of(const Json& document) {
    return message_of<Error>([&] { parse_ledger(document, kFile); });
}

TEST(Ledger, AValidFileParsesIntoBudgetsSortedByName) {
    const std::string file = kDataDir + "/ledger.json";
    const Ledger ledger = load_ledger(file);
    EXPECT_EQ(ledger.schema_version, 1);
    EXPECT_EQ(ledger.file, file);
    ASSERT_EQ(ledger.budgets.size(), 3u);

    const BudgetSpec& issue1 = ledger.budgets[0];
    EXPECT_EQ(issue1.name, "issue-1");
    EXPECT_EQ(issue1.description, "");
    ASSERT_EQ(issue1.limits.size(), 2u);
    EXPECT_EQ(issue1.limits[0].metric, "engine.status_display.bytes");
    EXPECT_EQ(issue1.limits[0].kind, LimitKind::peak);
    EXPECT_EQ(issue1.limits[0].limit, 8.0 * 1024 * 1024);
    EXPECT_EQ(issue1.limits[0].source, file + ": $.budgets.issue-1.limits[0]");
    EXPECT_EQ(issue1.limits[1].kind, LimitKind::growth);
    EXPECT_DOUBLE_EQ(issue1.limits[1].limit, 500.0 * 1024 / 24);  // bytes per virtual hour
    EXPECT_EQ(issue1.limits[1].source, file + ": $.budgets.issue-1.limits[1]");

    const BudgetSpec& issue3 = ledger.budgets[1];
    EXPECT_EQ(issue3.name, "issue-3");
    EXPECT_EQ(issue3.description, "Transaction history keeps at most 1000 transactions");
    ASSERT_EQ(issue3.limits.size(), 1u);
    EXPECT_EQ(issue3.limits[0].metric, "engine.transactions.items");
    EXPECT_EQ(issue3.limits[0].kind, LimitKind::items);
    EXPECT_EQ(issue3.limits[0].limit, 1000.0);

    const BudgetSpec& process = ledger.budgets[2];
    EXPECT_EQ(process.name, "process");
    ASSERT_EQ(process.limits.size(), 2u);
    EXPECT_EQ(process.limits[0].metric, "os.rss_bytes");
    EXPECT_EQ(process.limits[0].limit, 50.0 * 1024 * 1024);
    EXPECT_EQ(process.limits[1].metric, "allocator.live_bytes");
    EXPECT_EQ(process.limits[1].kind, LimitKind::growth);
    EXPECT_EQ(process.limits[1].limit, 1024.0 * 1024);
}

TEST(Ledger, FindLooksBudgetsUpByName) {
    const Ledger ledger = load_ledger(kDataDir + "/ledger.json");
    ASSERT_NE(ledger.find("issue-3"), nullptr);
    EXPECT_EQ(ledger.find("issue-3")->limits[0].limit, 1000.0);
    EXPECT_EQ(ledger.find("issue-2"), nullptr);
    EXPECT_EQ(ledger.find(""), nullptr);
}

TEST(LedgerErrors, InvalidJsonNamesLineAndColumn) {
    const std::string file = kDataDir + "/invalid_json_ledger.json";
    try {
        load_ledger(file);
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()), file +
                                             ":2:25: invalid JSON: syntax error while parsing value - unexpected "
                                             "']'; expected '[', '{', or a literal");
    }
}

TEST(LedgerErrors, TheDocumentMustBeAVersionedObjectOfKnownFields) {
    EXPECT_EQ(error_of(Json("budgets")), "scenarios/budgets.json: $: expected a budget ledger object, got \"budgets\"");
    Json document = minimal();
    document["budget"] = Json::object();
    EXPECT_EQ(error_of(document),
              "scenarios/budgets.json: $.budget: unknown field; expected one of schema_version, budgets, calibration");
    document = minimal();
    document["schema_version"] = 3;
    EXPECT_EQ(error_of(document),
              "scenarios/budgets.json: $.schema_version: expected 1 (the only schema version this memsoak reads), got "
              "3");
    document.erase("schema_version");
    EXPECT_EQ(error_of(document),
              "scenarios/budgets.json: $.schema_version: missing; expected 1 (the only schema version this memsoak "
              "reads)");
}

TEST(LedgerErrors, BudgetsMustBeANonEmptyObjectOfNamedBudgets) {
    Json document = minimal();
    document.erase("budgets");
    EXPECT_EQ(error_of(document),
              "scenarios/budgets.json: $.budgets: missing; expected a non-empty object of budgets by name");
    document["budgets"] = Json::array();
    EXPECT_EQ(error_of(document),
              "scenarios/budgets.json: $.budgets: expected a non-empty object of budgets by name, got []");
    document = minimal();
    document["budgets"]["Issue 1"] = document["budgets"]["process"];
    EXPECT_EQ(error_of(document),
              "scenarios/budgets.json: $.budgets.Issue 1: expected a budget name of lowercase letters, digits, '-' "
              "and '_', got \"Issue 1\"");
    document = minimal();
    document["budgets"]["process"] = "small";
    EXPECT_EQ(error_of(document),
              "scenarios/budgets.json: $.budgets.process: expected a budget object with \"limits\", got \"small\"");
}

TEST(LedgerErrors, BudgetFieldsAreChecked) {
    Json document = minimal();
    document["budgets"]["process"]["limit"] = Json::array();
    EXPECT_EQ(error_of(document),
              "scenarios/budgets.json: $.budgets.process.limit: unknown field; expected one of description, limits");
    document = minimal();
    document["budgets"]["process"]["description"] = Json::array();
    EXPECT_EQ(error_of(document), "scenarios/budgets.json: $.budgets.process.description: expected a string, got []");
    document = minimal();
    document["budgets"]["process"].erase("limits");
    EXPECT_EQ(error_of(document),
              "scenarios/budgets.json: $.budgets.process.limits: missing; expected a non-empty array of limits");
    document["budgets"]["process"]["limits"] = Json::array();
    EXPECT_EQ(error_of(document),
              "scenarios/budgets.json: $.budgets.process.limits: expected a non-empty array of limits, got []");
}

TEST(LedgerErrors, LimitsNeedAMetricOfAKnownLayer) {
    EXPECT_EQ(error_of(with_limit("3")),
              "scenarios/budgets.json: $.budgets.process.limits[0]: expected a limit object with a \"metric\" and one "
              "of \"peak\", \"growth\" or \"items\", got 3");
    EXPECT_EQ(error_of(with_limit(R"({"metric": "os.rss_bytes", "max": "50 MiB"})")),
              "scenarios/budgets.json: $.budgets.process.limits[0].max: unknown field; expected one of metric, peak, "
              "growth, items, fill");
    EXPECT_EQ(error_of(with_limit(R"({"peak": "50 MiB"})")),
              "scenarios/budgets.json: $.budgets.process.limits[0].metric: missing; expected a metric name starting "
              "with \"os.\", \"allocator.\" or \"engine.\", such as \"os.rss_bytes\"");
    EXPECT_EQ(error_of(with_limit(R"({"metric": "rss_bytes", "peak": "50 MiB"})")),
              "scenarios/budgets.json: $.budgets.process.limits[0].metric: expected a metric name starting with "
              "\"os.\", \"allocator.\" or \"engine.\", such as \"os.rss_bytes\", got \"rss_bytes\"");
    EXPECT_EQ(error_of(with_limit(R"({"metric": "engine.", "peak": "50 MiB"})")),
              "scenarios/budgets.json: $.budgets.process.limits[0].metric: expected a metric name starting with "
              "\"os.\", \"allocator.\" or \"engine.\", such as \"os.rss_bytes\", got \"engine.\"");
}

TEST(LedgerErrors, LimitsHaveExactlyOneBound) {
    EXPECT_EQ(error_of(with_limit(R"({"metric": "os.rss_bytes"})")),
              "scenarios/budgets.json: $.budgets.process.limits[0]: expected exactly one of \"peak\", \"growth\" or "
              "\"items\", got {\"metric\":\"os.rss_bytes\"}");
    EXPECT_EQ(error_of(with_limit(R"({"metric": "os.rss_bytes", "peak": "1 MiB", "growth": "1 MiB/h"})")),
              "scenarios/budgets.json: $.budgets.process.limits[0]: expected exactly one of \"peak\", \"growth\" or "
              "\"items\", got {\"growth\":\"1 MiB/h\",\"metric\":\"os.rss_bytes\",\"peak\":\"1 MiB\"}");
}

TEST(LedgerErrors, BoundsMustBeSizesRatesOrCounts) {
    EXPECT_EQ(error_of(with_limit(R"({"metric": "os.rss_bytes", "peak": "big"})")),
              "scenarios/budgets.json: $.budgets.process.limits[0].peak: expected a size with its unit such as "
              "\"50 MiB\", \"512KiB\" or \"4096 B\" (units B, KB, MB, GB, KiB, MiB, GiB), got \"big\"");
    EXPECT_EQ(error_of(with_limit(R"({"metric": "os.rss_bytes", "peak": 52428800})")),
              "scenarios/budgets.json: $.budgets.process.limits[0].peak: expected a size such as \"50 MiB\" (a "
              "string), got 52428800");
    EXPECT_EQ(error_of(with_limit(R"({"metric": "os.rss_bytes", "growth": "1 MiB"})")),
              "scenarios/budgets.json: $.budgets.process.limits[0].growth: expected a growth rate such as \"1 MiB/h\" "
              "or \"500 KiB/d\" (a size per period), got \"1 MiB\"");
    EXPECT_EQ(error_of(with_limit(R"({"metric": "os.rss_bytes", "growth": 1})")),
              "scenarios/budgets.json: $.budgets.process.limits[0].growth: expected a growth rate such as \"1 MiB/h\" "
              "or \"calibrated\" (a string), got 1");
    EXPECT_EQ(error_of(with_limit(R"({"metric": "os.rss_bytes", "peak": "50 MiB", "fill": "8 MiB"})")),
              "scenarios/budgets.json: $.budgets.process.limits[0].fill: expected no \"fill\" on a peak or items "
              "limit, got \"8 MiB\"");
    EXPECT_EQ(error_of(with_limit(R"({"metric": "os.rss_bytes", "growth": "1 MiB/h", "fill": 8})")),
              "scenarios/budgets.json: $.budgets.process.limits[0].fill: expected a size such as \"8 MiB\" (a "
              "string), got 8");
    EXPECT_EQ(error_of(with_limit(R"({"metric": "engine.signals.items", "items": -1})")),
              "scenarios/budgets.json: $.budgets.process.limits[0].items: expected a non-negative integer, got -1");
    EXPECT_EQ(error_of(with_limit(R"({"metric": "engine.signals.items", "items": "500"})")),
              "scenarios/budgets.json: $.budgets.process.limits[0].items: expected a non-negative integer, got "
              "\"500\"");
}

}  // namespace
}  // namespace memsoak::harness
