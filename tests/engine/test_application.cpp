// The application as the harness drives it: each study issue's leaky policy grows its component, each fix stays
// bounded, and the footprint measures what the components really hold.

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "memsoak/engine/application.hpp"
#include "memsoak/engine/error.hpp"
#include "support/files.hpp"
#include "support/temp_dir.hpp"

namespace memsoak::engine {
namespace {

using namespace std::chrono_literals;

VirtualTime at(VirtualDuration d) { return virtual_epoch + d; }

// One-day frames keep the tests quick; production-size frames are tested with the analyzer.
Config small_config() {
    Config config;
    config.analysis_period = std::chrono::hours(24);
    config.chart_width = 300;
    config.chart_height = 200;
    return config;
}

ComponentFootprint component(const Application& app, const std::string& name) {
    for (const auto& c : app.footprint()) {
        if (c.component == name) return c;
    }
    throw std::runtime_error("no component " + name);
}

TEST(Application, FootprintNamesEveryComponentAndItsIssue) {
    Application app(small_config());
    std::vector<std::pair<std::string, std::string>> names;
    for (const auto& c : app.footprint()) names.emplace_back(c.component, c.issue);
    EXPECT_EQ(names, (std::vector<std::pair<std::string, std::string>>{{"status_display", "issue-1"},
                                                                       {"chart", "issue-2"},
                                                                       {"transactions", "issue-3"},
                                                                       {"log_queue", "issue-4"},
                                                                       {"signals", "issue-5"},
                                                                       {"market_data", ""},
                                                                       {"analysis", ""},
                                                                       {"log_pane", ""}}));
    EXPECT_EQ(component(app, "market_data").items, 1440u);
}

TEST(Application, FootprintStatesEachPolicysCapacityAndNoneForALeak) {
    const Application fixed(small_config());
    EXPECT_EQ(component(fixed, "status_display").capacity, 1u);
    EXPECT_EQ(component(fixed, "chart").capacity, 1u);
    EXPECT_EQ(component(fixed, "transactions").capacity, 1000u);
    EXPECT_EQ(component(fixed, "log_queue").capacity, 1000u);
    EXPECT_EQ(component(fixed, "signals").capacity, 500u);
    EXPECT_EQ(component(fixed, "market_data").capacity, 1440u);
    EXPECT_EQ(component(fixed, "log_pane").capacity, 1000u);

    Config config = small_config();
    config.status_policy = StatusPolicy::leaky;
    config.chart_policy = ChartPolicy::leaky;
    config.transaction_policy = TransactionPolicy::leaky;
    config.log_queue_policy = LogQueuePolicy::leaky;
    config.signal_policy = SignalPolicy::leaky;
    const Application leaky(config);
    for (const std::string name : {"status_display", "chart", "transactions", "log_queue", "signals"}) {
        EXPECT_EQ(component(leaky, name).capacity, 0u) << name;
    }
    config.status_policy = StatusPolicy::bounded_history;
    config.transaction_policy = TransactionPolicy::archive;
    const testing::TempDir dir;  // the archive policy opens its file: not in the folder the tests run in
    config.archive_path = dir / "unused.archive";
    EXPECT_EQ(component(Application(config), "status_display").capacity, 10u);
}

TEST(Application, LeakyStatusDisplayKeepsEveryFrameAndTheSummaryKeepsNone) {
    Config leaky_config = small_config();
    leaky_config.status_policy = StatusPolicy::leaky;
    Application leaky(leaky_config);
    Application fixed(small_config());
    for (int i = 0; i < 12; ++i) {
        leaky.on_candle(at(i * 1min));
        leaky.run_analysis(at(i * 1min));
        fixed.on_candle(at(i * 1min));
        fixed.run_analysis(at(i * 1min));
    }
    const auto frame_bytes = component(fixed, "analysis").bytes;
    EXPECT_GT(frame_bytes, 1440u * 29 * sizeof(double));
    EXPECT_EQ(component(leaky, "status_display").items, 12u);
    EXPECT_GE(component(leaky, "status_display").bytes, 12 * frame_bytes);
    EXPECT_EQ(component(fixed, "status_display").items, 1u);
    EXPECT_LT(component(fixed, "status_display").bytes, 8u * 1024);
}

TEST(Application, LeakyChartKeepsEveryFigureAndTheFixKeepsOne) {
    Config leaky_config = small_config();
    leaky_config.chart_policy = ChartPolicy::leaky;
    Application leaky(leaky_config);
    Application fixed(small_config());
    for (Application* app : {&leaky, &fixed}) {
        app->run_analysis(at(0min));
        for (int i = 0; i < 5; ++i) app->refresh_chart(at(i * 1min));
        for (int i = 0; i < 20; ++i) app->toggle_indicator(i % 2 ? "rsi" : "macd", at(10min + i * 1min));
    }
    EXPECT_EQ(component(leaky, "chart").items, 25u);
    EXPECT_EQ(component(fixed, "chart").items, 1u);
    EXPECT_GT(component(leaky, "chart").bytes, 20 * component(fixed, "chart").bytes);
}

TEST(Application, LeakyTransactionHistoryGrowsAndTheRingHoldsAThousand) {
    Config leaky_config = small_config();
    leaky_config.transaction_policy = TransactionPolicy::leaky;
    Application leaky(leaky_config);
    Application fixed(small_config());
    for (Application* app : {&leaky, &fixed}) {
        app->run_analysis(at(0min));
        for (int i = 0; i < 1500; ++i) app->execute_trade(at(i * 1s));
    }
    EXPECT_EQ(component(leaky, "transactions").items, 1500u);
    EXPECT_EQ(component(fixed, "transactions").items, 1000u);
    // The study's ~500 bytes a transaction, from the records' real strings.
    const double per_record = static_cast<double>(component(leaky, "transactions").bytes) / 1500;
    EXPECT_GT(per_record, 300);
    EXPECT_LT(per_record, 600);
}

TEST(Application, AFrozenGuiLetsTheLeakyQueueGrowAndTheBoundedOneDropsTheOldest) {
    Config leaky_config = small_config();
    leaky_config.log_queue_policy = LogQueuePolicy::leaky;
    Application leaky(leaky_config);
    Application fixed(small_config());
    for (Application* app : {&leaky, &fixed}) {
        app->pump_gui(at(0s));
        app->set_gui_frozen(true, at(0s));
        for (int i = 0; i < 3000; ++i) app->log_message(at(i * 100ms));
        app->pump_gui(at(300s));  // frozen: drains nothing
    }
    EXPECT_EQ(component(leaky, "log_queue").items, 3000u);
    EXPECT_EQ(component(fixed, "log_queue").items, 1000u);

    // Thawed, the GUI drains at its rate (100 messages a virtual second) from the thaw on, not for the freeze.
    fixed.set_gui_frozen(false, at(300s));
    fixed.pump_gui(at(305s));
    EXPECT_EQ(component(fixed, "log_queue").items, 500u);
    EXPECT_EQ(component(fixed, "log_pane").items, 500u);
}

TEST(Application, LeakySignalHistoryGrowsAndTheCapHoldsFiveHundred) {
    Config leaky_config = small_config();
    leaky_config.signal_policy = SignalPolicy::leaky;
    leaky_config.analysis_period = std::chrono::hours(2);
    Config fixed_config = small_config();
    fixed_config.analysis_period = std::chrono::hours(2);
    Application leaky(leaky_config);
    Application fixed(fixed_config);
    for (int i = 0; i < 600; ++i) {
        for (Application* app : {&leaky, &fixed}) {
            app->on_candle(at(i * 1min));
            app->run_analysis(at(i * 1min));
        }
    }
    EXPECT_EQ(component(leaky, "signals").items, 600u);
    EXPECT_EQ(component(fixed, "signals").items, 500u);
}

TEST(Application, SameSeedSameFootprints) {
    Application a(small_config());
    Application b(small_config());
    for (int i = 0; i < 30; ++i) {
        for (Application* app : {&a, &b}) {
            app->on_candle(at(i * 1min));
            if (i % 5 == 0) app->run_analysis(at(i * 1min));
            app->execute_trade(at(i * 1min));
            app->log_message(at(i * 1min));
        }
    }
    const Footprint fa = a.footprint();
    const Footprint fb = b.footprint();
    ASSERT_EQ(fa.size(), fb.size());
    for (std::size_t i = 0; i < fa.size(); ++i) {
        EXPECT_EQ(fa[i].bytes, fb[i].bytes) << fa[i].component;
        EXPECT_EQ(fa[i].items, fb[i].items) << fa[i].component;
    }
}

TEST(Application, UnknownIndicatorIsAnErrorListingTheKnownOnes) {
    Application app(small_config());
    try {
        app.toggle_indicator("fibonacci", at(0s));
        FAIL() << "expected engine::Error";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()).rfind("unknown chart indicator \"fibonacci\": expected one of \"sma_20\"", 0),
                  0u)
            << e.what();
    }
}

TEST(Application, TheChartCanBeSavedForAPersonToLookAt) {
    Application app(small_config());
    app.run_analysis(at(0s));
    app.refresh_chart(at(0s));
    const testing::TempDir dir;
    app.save_chart(dir / "chart.png");
    app.save_chart(dir / "chart.svg");
    EXPECT_EQ(testing::read_text(dir / "chart.png").substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
    EXPECT_GT(std::filesystem::file_size(dir / "chart.svg"), 1000u);
}

TEST(Application, TheMemoryReadoutShowsTheResidentSet) {
    Application app(small_config());
    app.pump_gui(at(0s));
    EXPECT_EQ(app.memory_status_text().rfind("Memory: ", 0), 0u);
    EXPECT_EQ(app.memory_status_text().substr(app.memory_status_text().size() - 3), " MB");
}

}  // namespace
}  // namespace memsoak::engine
