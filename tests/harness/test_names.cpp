// Names written once (X-macros in result.hpp and policies.hpp): each string form parses back to its value, and
// the derived lists and switches follow the one definition.

#include <gtest/gtest.h>

#include "memsoak/engine/config.hpp"
#include "memsoak/engine/policies.hpp"
#include "memsoak/harness/orchestration/suite.hpp"
#include "memsoak/harness/result.hpp"

namespace memsoak::harness {
namespace {

TEST(Names, EveryStringFormParsesBack) {
    for (Layer layer : {Layer::os, Layer::allocator, Layer::engine}) EXPECT_EQ(parse_layer(to_string(layer)), layer);
    for (Verdict v : {Verdict::pass, Verdict::fail, Verdict::not_measured}) EXPECT_EQ(parse_verdict(to_string(v)), v);
    for (LimitKind k : {LimitKind::peak, LimitKind::growth, LimitKind::items}) {
        EXPECT_EQ(parse_limit_kind(to_string(k)), k);
    }
    for (Outcome o : {Outcome::pass, Outcome::fail, Outcome::bad_input, Outcome::internal_error, Outcome::interrupted,
                      Outcome::crashed}) {
        EXPECT_EQ(parse_outcome(to_string(o)), o);
    }
    EXPECT_EQ(parse_outcome("crash"), std::nullopt);
    EXPECT_EQ(parse_verdict("PASS"), std::nullopt);
    EXPECT_EQ(parse_layer("heap"), std::nullopt);
    EXPECT_EQ(layer_names(), "os, allocator or engine");
}

TEST(Names, AMetricsLayerComesFromItsName) {
    EXPECT_EQ(metrics::os::rss_bytes, "os.rss_bytes");
    EXPECT_EQ(metrics::allocator::live_bytes, "allocator.live_bytes");
    EXPECT_EQ(layer_of_metric("engine.chart.bytes"), Layer::engine);
    EXPECT_EQ(layer_of_metric("os."), std::nullopt);
    EXPECT_EQ(layer_of_metric("heap.bytes"), std::nullopt);
    EXPECT_TRUE(is_process_metric(metrics::os::rss_peak_bytes));
    EXPECT_TRUE(is_process_metric(metrics::allocator::committed_bytes));
    EXPECT_FALSE(is_process_metric("engine.chart.bytes"));
}

TEST(Names, EachStudyIssueSwitchesItsOwnComponentBackToLeaky) {
    ASSERT_EQ(engine::study_issues(),
              (std::vector<std::string>{"issue-1", "issue-2", "issue-3", "issue-4", "issue-5"}));
    for (const std::string& id : engine::study_issues()) {
        const auto issue = engine::parse_study_issue(id);
        ASSERT_TRUE(issue) << id;
        EXPECT_EQ(engine::to_string(*issue), id);
    }
    EXPECT_EQ(engine::parse_study_issue("issue-6"), std::nullopt);
    EXPECT_EQ(engine::component_of(engine::StudyIssue::issue_3), "transactions");

    engine::Config config;
    engine::make_leaky(config, engine::StudyIssue::issue_2);
    EXPECT_EQ(config.chart_policy, engine::ChartPolicy::leaky);
    EXPECT_NE(config.status_policy, engine::StatusPolicy::leaky);
    engine::make_leaky(config, engine::StudyIssue::issue_5);
    EXPECT_EQ(config.signal_policy, engine::SignalPolicy::leaky);
    EXPECT_NE(config.log_queue_policy, engine::LogQueuePolicy::leaky);
}

}  // namespace
}  // namespace memsoak::harness
