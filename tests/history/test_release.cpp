// Releases compared in percent (history/release.hpp), on a SQLite history.

#include <cmath>
#include <filesystem>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "memsoak/history/error.hpp"
#include "memsoak/history/release.hpp"
#include "memsoak/history/trend.hpp"
#include "support/temp_dir.hpp"

namespace memsoak::history {
namespace {

class ReleaseTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto store = open_store(folder_.file("h.sqlite"), {.create = true});
        // v1.3.0: nights 1-3, chart peak ~16 MiB; v1.4.0: nights 4-6, ~40 MiB; gui-hour the same throughout.
        for (std::uint64_t i = 1; i <= 6; ++i) {
            Night n{{fmt::format("commit{}", i), "main", fmt::format("2026-11-{:02d}T23:00:00Z", i),
                     i <= 3 ? "v1.3.0" : "v1.4.0"},
                    {}};
            for (std::uint64_t seed = 1; seed <= 3; ++seed) {
                const double chart = (i <= 3 ? 16.0 : 40.0) * 1048576 + static_cast<double>(seed * 1000 + i * 300);
                n.figures.push_back({{"production-day", "mimalloc", "issue-2", "engine.chart.bytes", "peak"},
                                     seed,
                                     50.0 * 1048576,
                                     chart,
                                     std::nan(""),
                                     std::nan(""),
                                     std::nan(""),
                                     "pass"});
                n.figures.push_back({{"gui-hour", "mimalloc", "process", "allocator.live_bytes", "peak"},
                                     seed,
                                     64.0 * 1048576,
                                     8.0 * 1048576 + static_cast<double>(seed * 5000 + i * 700),
                                     std::nan(""),
                                     std::nan(""),
                                     std::nan(""),
                                     "pass"});
            }
            store->record(n);
        }
        history_ = load_history(*store);
    }

    testing::TempDir folder_;
    History history_;
};

TEST_F(ReleaseTest, AnInBudgetRegressionIsStatedInPercentWithItsInterval) {
    const auto c = compare_releases(history_, "v1.3.0", "v1.4.0", {});
    EXPECT_EQ(c.baseline_nights.size(), 3u);
    EXPECT_EQ(c.candidate_nights.size(), 3u);
    ASSERT_EQ(c.limits.size(), 2u);
    const LimitChange& chart = c.limits[1].series.scenario == "production-day" ? c.limits[1] : c.limits[0];
    const LimitChange& gui = c.limits[1].series.scenario == "production-day" ? c.limits[0] : c.limits[1];
    EXPECT_EQ(chart.change, ReleaseChange::regressed) << "16 -> 40 MiB under a 50 MiB limit still regresses";
    EXPECT_NEAR(chart.percent, 150, 0.5);
    EXPECT_LT(chart.percent_low, chart.percent);
    EXPECT_GT(chart.percent_high, chart.percent);
    EXPECT_EQ(chart.baseline_runs, 9u);
    EXPECT_EQ(gui.change, ReleaseChange::same);
    EXPECT_EQ(c.regressions(), 1u);
    ASSERT_EQ(c.scenarios.size(), 2u);
    const auto& rollup = c.scenarios[0].scenario == "production-day" ? c.scenarios[0] : c.scenarios[1];
    EXPECT_EQ(rollup_line(c, rollup),
              "production-day [mimalloc]: issue-2 peak engine.chart.bytes +150% (+24.0 MiB), REGRESSED");
}

TEST_F(ReleaseTest, EveryRenderingCarriesTheRollupAndThePercent) {
    const auto c = compare_releases(history_, "v1.3.0", "v1.4.0", {});
    for (const std::string& text :
         {render_release_text(history_, c), render_release_markdown(history_, c), render_release_html(history_, c)}) {
        EXPECT_NE(text.find("+150% (+24.0 MiB), REGRESSED"), std::string::npos) << text;
    }
    const auto json = release_to_json(history_, c);
    EXPECT_EQ(json["regressions"], 1);
    EXPECT_EQ(json["candidate"]["nights"].size(), 3u);
    bool found = false;
    for (const auto& l : json["limits"]) {
        if (l["budget"] == "issue-2") {
            found = true;
            EXPECT_NEAR(l["percent"].get<double>(), 150, 0.5);
            EXPECT_EQ(l["change"], "REGRESSED");
        }
    }
    EXPECT_TRUE(found);
}

TEST_F(ReleaseTest, SelectorsAreLabelsCommitsAndDateRanges) {
    EXPECT_EQ(select_nights(history_, "v1.3.0", "--baseline").size(), 3u);
    EXPECT_EQ(select_nights(history_, "commit5", "--baseline"), std::vector<std::size_t>{4});
    EXPECT_EQ(select_nights(history_, "2026-11-02..2026-11-04", "--baseline").size(), 3u);
    EXPECT_EQ(select_nights(history_, "2026-11-05..", "--baseline").size(), 2u);
    try {
        select_nights(history_, "v9.9.9", "--candidate");
        FAIL() << "an unknown label matched";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("--candidate \"v9.9.9\" matches no night"), std::string::npos) << e.what();
    }
    EXPECT_THROW(select_nights(history_, "2026-13..x", "--baseline"), Error);
}

TEST_F(ReleaseTest, TheTrendPageIsSelfContainedAndMarksTheChange) {
    const auto changes = find_changes(history_, {});
    const std::string page = render_trend_html(history_, changes, {});
    EXPECT_NE(page.find("<svg"), std::string::npos);
    EXPECT_NE(page.find("class=\"limit\""), std::string::npos) << "the budget line";
    std::string without_namespace = page;
    for (auto at = without_namespace.find("http://www.w3.org/2000/svg"); at != std::string::npos;
         at = without_namespace.find("http://www.w3.org/2000/svg")) {
        without_namespace.erase(at, 26);
    }
    EXPECT_EQ(without_namespace.find("http"), std::string::npos) << "no network: the only URL is the SVG namespace";
    EXPECT_NE(page.find("class=\"change\""), std::string::npos) << "the change point from v1.3.0 to v1.4.0";
    EXPECT_NE(page.find("commit3..commit4"), std::string::npos);
    EXPECT_EQ(page.find("<script"), std::string::npos);
    EXPECT_EQ(page.find("https://"), std::string::npos);
}

}  // namespace
}  // namespace memsoak::history
