// The history store, the same tests against both backends: SQLite (a file) and PostgreSQL (a server the tests
// start themselves; skipped with the reason when it cannot start).

#include <atomic>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include "memsoak/history/check.hpp"
#include "memsoak/history/error.hpp"
#include "memsoak/history/store.hpp"
#include "postgres_server.hpp"
#include "support/temp_dir.hpp"

namespace memsoak::history {
namespace {

using testing::PostgresServer;

Figure figure(const std::string& scenario, std::uint64_t seed, double measured, const std::string& kind = "peak") {
    Figure f;
    f.series = {scenario, "mimalloc", "process", "allocator.live_bytes", kind};
    f.seed = seed;
    f.limit = 64.0 * 1024 * 1024;
    f.measured = measured;
    f.ci_low = kind == "growth" ? measured - 100 : std::nan("");
    f.ci_high = kind == "growth" ? measured + 100 : std::nan("");
    f.detection_limit = kind == "growth" ? 2048 : std::nan("");
    f.verdict = "pass";
    return f;
}

Night night(int index, std::vector<Figure> figures, const std::string& label = "") {
    return {{fmt::format("c{:04d}", index), "main", fmt::format("2026-01-01T{:02d}:{:02d}:00Z", index / 60, index % 60),
             label},
            std::move(figures)};
}

enum class Backend { sqlite, postgres };

class StoreTest : public ::testing::TestWithParam<Backend> {
protected:
    void SetUp() override {
        if (GetParam() == Backend::postgres) {
            PostgresServer& server = PostgresServer::instance();
            if (!server.available()) GTEST_SKIP() << "PostgreSQL tests skipped: " << server.problem();
            location_ = server.new_database_url();
        } else {
            location_ = folder_.file("history.sqlite");
        }
    }

    std::unique_ptr<Store> open(int busy_timeout_ms = 30000) {
        return open_store(location_, {.create = true, .busy_timeout_ms = busy_timeout_ms});
    }

    // SQL run outside the store, as another program (or another memsoak) would.
    void execute(const std::string& statement) {
        if (GetParam() == Backend::postgres) {
            PostgresServer::execute(location_, statement);
            return;
        }
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open(location_.c_str(), &db), SQLITE_OK);
        ASSERT_EQ(sqlite3_exec(db, statement.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
        sqlite3_close(db);
    }

    std::string location_;
    testing::TempDir folder_;
};

TEST_P(StoreTest, RecordsANightAndReadsItBack) {
    auto store = open();
    EXPECT_EQ(store->schema_version(), kHistorySchemaVersion);
    const RecordOutcome outcome = store->record(
        night(1, {figure("production-day", 1, 1000.5), figure("production-day", 2, 2000), figure("gui-hour", 1, 3e9)},
              "v1.4.0"));
    EXPECT_TRUE(outcome.new_night);
    EXPECT_EQ(outcome.added, 3u);
    const auto nights = store->nights();
    ASSERT_EQ(nights.size(), 1u);
    EXPECT_EQ(nights[0].info.commit, "c0001");
    EXPECT_EQ(nights[0].info.label, "v1.4.0");
    const auto figures = store->figures();
    ASSERT_EQ(figures.size(), 3u);
    double total = 0;
    for (const StoredFigure& f : figures) {
        EXPECT_EQ(f.night_id, nights[0].id);
        EXPECT_TRUE(std::isnan(f.figure.ci_low)) << "a peak has no interval: NULL reads back as NaN";
        EXPECT_EQ(f.figure.limit, 64.0 * 1024 * 1024);
        total += f.figure.measured;
    }
    EXPECT_DOUBLE_EQ(total, 1000.5 + 2000 + 3e9);
}

TEST_P(StoreTest, RecordingTheSameRunTwiceAddsNothing) {
    auto store = open();
    const Night n = night(1, {figure("production-day", 1, 1000), figure("gui-hour", 1, 2000)});
    store->record(n);
    const RecordOutcome again = store->record(n);
    EXPECT_FALSE(again.new_night);
    EXPECT_EQ(again.added, 0u);
    EXPECT_EQ(again.already, 2u);
    EXPECT_EQ(store->nights().size(), 1u);
    EXPECT_EQ(store->figures().size(), 2u);
}

TEST_P(StoreTest, ShardsOfOneNightJoinIntoIt) {
    auto store = open();
    store->record(night(1, {figure("production-day", 1, 1000)}));
    const RecordOutcome second = store->record(night(1, {figure("gui-hour", 1, 2000)}));
    EXPECT_FALSE(second.new_night);
    EXPECT_EQ(second.added, 1u);
    EXPECT_EQ(store->nights().size(), 1u);
    EXPECT_EQ(store->figures().size(), 2u);
}

TEST_P(StoreTest, TwoWritersAtOnceLoseNothing) {
    open();  // the schema exists before the writers race (they would also queue on creating it)
    constexpr int kNightsEach = 15;
    std::atomic<int> failures{0};
    auto writer = [&](int first) {
        try {
            auto store = open();
            for (int i = first; i < first + kNightsEach; ++i) {
                store->record(night(i, {figure("production-day", 1, i), figure("gui-hour", 1, i)}));
            }
        } catch (const std::exception& e) {
            ADD_FAILURE() << e.what();
            ++failures;
        }
    };
    std::thread a(writer, 0), b(writer, 100);
    a.join();
    b.join();
    EXPECT_EQ(failures.load(), 0);
    auto store = open();
    EXPECT_EQ(store->nights().size(), 2u * kNightsEach);
    EXPECT_EQ(store->figures().size(), 4u * kNightsEach);
}

TEST_P(StoreTest, ADatabaseOfANewerSchemaIsRefusedByName) {
    open();
    execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'");
    try {
        open();
        FAIL() << "a newer schema was opened";
    } catch (const Error& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("schema version 99"), std::string::npos) << message;
        EXPECT_NE(message.find(GetParam() == Backend::sqlite ? location_ : "postgresql://"), std::string::npos)
            << message;
    }
}

TEST_P(StoreTest, ALockedDatabaseIsAClearErrorAndRecordsNothing) {
    open();
    // Another writer holds the write lock: a SQLite write transaction, or PostgreSQL's writers' advisory lock.
    sqlite3* holder = nullptr;
    PGconn* pg_holder = nullptr;
    if (GetParam() == Backend::sqlite) {
        ASSERT_EQ(sqlite3_open(location_.c_str(), &holder), SQLITE_OK);
        ASSERT_EQ(sqlite3_exec(holder, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
    } else {
        pg_holder = PQconnectdb(location_.c_str());
        ASSERT_EQ(PQstatus(pg_holder), CONNECTION_OK);
        PQclear(PQexec(pg_holder, "SELECT pg_advisory_lock(7314101402)"));
    }
    try {
        open(200)->record(night(1, {figure("production-day", 1, 1000)}));
        ADD_FAILURE() << "recorded while another writer held the lock";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("locked"), std::string::npos) << e.what();
    }
    if (holder) {
        sqlite3_exec(holder, "ROLLBACK", nullptr, nullptr, nullptr);
        sqlite3_close(holder);
    }
    if (pg_holder) PQfinish(pg_holder);
    EXPECT_TRUE(open()->nights().empty());
}

TEST_P(StoreTest, AKilledRecordLeavesNoHalfNight) {
    open();
    constexpr std::uint64_t kFigures = 20000;
    std::vector<Figure> many;
    for (std::uint64_t i = 0; i < kFigures; ++i) {
        many.push_back(figure(fmt::format("scenario-{}", i % 50), i / 50, static_cast<double>(i)));
    }
    int ready[2];
    ASSERT_EQ(::pipe(ready), 0);
    const pid_t child = ::fork();
    if (child == 0) {
        auto store = open();
        (void)!::write(ready[1], "x", 1);
        store->record(night(1, many));
        _exit(0);
    }
    ::close(ready[1]);
    char byte = 0;
    ASSERT_EQ(::read(ready[0], &byte, 1), 1) << "the recording child died before it opened the store";
    ::usleep(20000);  // well inside the record, which takes several hundred milliseconds
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    ::close(ready[0]);
    auto store = open();
    const auto nights = store->nights();
    const auto figures = store->figures();
    if (nights.empty()) {
        EXPECT_TRUE(figures.empty()) << figures.size() << " figures of a night that was never recorded";
    } else {
        EXPECT_EQ(figures.size(), static_cast<std::size_t>(kFigures)) << "a half-recorded night";
    }
    // Whatever the kill left, recording again completes the night.
    store->record(night(1, many));
    EXPECT_EQ(store->figures().size(), static_cast<std::size_t>(kFigures));
}

TEST_P(StoreTest, AcknowledgementsRoundTrip) {
    auto store = open();
    store->record(night(1, {figure("production-day", 1, 1000)}));
    const SeriesKey key = figure("production-day", 1, 0).series;
    store->acknowledge({"abc123", key, "2026-01-01T00:01:00Z", "accepted: bigger chart cache", ""});
    store->acknowledge({"abc123", key, "2026-01-01T00:01:00Z", "accepted: the chart cache doubled", ""});
    const auto acks = store->acknowledgements();
    ASSERT_EQ(acks.size(), 1u);
    EXPECT_EQ(acks[0].series, key);
    EXPECT_EQ(acks[0].note, "accepted: the chart cache doubled");
    EXPECT_FALSE(acks[0].acknowledged_at.empty());
}

TEST_P(StoreTest, CheckFindsAStepAtItsNightWithItsCommits) {
    auto store = open();
    std::mt19937_64 random(7);
    std::normal_distribution<double> noise(0, 0.02);
    for (int i = 0; i < 40; ++i) {
        const double level = i < 25 ? 16e6 : 24e6;  // +50% from night 25
        store->record(night(i, {figure("production-day", 1, level * (1 + noise(random))),
                                figure("production-day", 2, level * (1 + noise(random))),
                                figure("gui-hour", 1, 8e6 * (1 + noise(random)))}));
    }
    History history = load_history(*store);
    auto changes = find_changes(history, {});
    ASSERT_EQ(changes.size(), 1u);
    const Change& c = changes[0];
    EXPECT_EQ(c.series.scenario, "production-day");
    EXPECT_TRUE(c.regression);
    EXPECT_EQ(history.nights[c.first_bad].info.commit, "c0025");
    EXPECT_EQ(history.nights[c.last_good].info.commit, "c0024");
    EXPECT_NEAR(c.percent, 50, 3);
    EXPECT_LT(c.p_value, 1e-6);
    EXPECT_FALSE(c.acknowledged);

    store->acknowledge({c.id, c.series, history.nights[c.first_bad].info.time, "accepted", ""});
    history = load_history(*store);
    changes = find_changes(history, {});
    ASSERT_EQ(changes.size(), 1u);
    EXPECT_TRUE(changes[0].acknowledged.has_value());
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::Values(Backend::sqlite, Backend::postgres),
                         [](const ::testing::TestParamInfo<Backend>& param_info) {
                             return param_info.param == Backend::sqlite ? "SQLite" : "PostgreSQL";
                         });

}  // namespace
}  // namespace memsoak::history
