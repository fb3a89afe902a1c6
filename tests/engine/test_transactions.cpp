#include <fmt/format.h>
#include <gtest/gtest.h>
#include <filesystem>
#include <string>
#include <vector>

#include "memsoak/engine/error.hpp"
#include "memsoak/engine/transaction_archive.hpp"
#include "memsoak/engine/transactions.hpp"
#include "support/errors.hpp"
#include "support/temp_dir.hpp"

namespace memsoak::engine {
namespace {

namespace fs = std::filesystem;

// A trade as the application records it, with the text a real trade log carries.
Transaction realistic_trade(std::uint64_t i) {
    bool buy = i % 3 != 0;
    double price = 28000.0 + static_cast<double>(i % 500) * 3.7;
    double quantity = 0.01 * static_cast<double>(1 + i % 40);
    double rsi = buy ? 24.0 + static_cast<double>(i % 6) : 71.0 + static_cast<double>(i % 9);
    Transaction t;
    t.id = i + 1;
    t.timestamp = 1609459200 + static_cast<std::int64_t>(i) * 900;
    t.symbol = "BTCUSDT";
    t.side = buy ? TradeAction::buy : TradeAction::sell;
    t.quantity = quantity;
    t.price = price;
    t.fee = quantity * price * 0.001;
    t.pnl = buy ? 0.0 : (static_cast<double>(i % 7) - 3.0) * 12.5;
    t.order_id = fmt::format("BN-{:010}-{}", 3400000000 + i, buy ? 'B' : 'S');
    t.strategy = "rsi_macd_confluence_v2";
    t.note = fmt::format(
        "{} signal: RSI(14) {:.1f} {}; MACD hist {:+.2f}; close {:.2f} vs SMA20 {:.2f}; "
        "stop {:.2f}; take profit {:.2f}; conf {:.2f}; sized for 1.0% risk of 100000.00 capital",
        buy ? "BUY" : "SELL", rsi, buy ? "oversold" : "overbought", buy ? 14.2 : -9.8, price, price * 1.004,
        buy ? price * 0.975 : price * 1.025, buy ? price * 1.05 : price * 0.95,
        0.57 + static_cast<double>(i % 4) / 10.0);
    return t;
}

TransactionHistoryOptions ring_of(std::size_t capacity) {
    TransactionHistoryOptions options;
    options.ring_capacity = capacity;
    return options;
}

TEST(Transactions, ARecordRetainsAboutHalfAKilobyte) {
    for (std::uint64_t i : {0u, 1u, 4999u}) {
        Transaction t = realistic_trade(i);
        std::uint64_t retained = sizeof(Transaction) + heap_bytes(t);
        EXPECT_GE(retained, 300u) << t.note;
        EXPECT_LE(retained, 600u) << t.note;
    }
}

TEST(Transactions, HeapBytesCountEveryStringBuffer) {
    // Strings constructed (not assigned, which may round the capacity up) hold exactly their length.
    Transaction t{.symbol = std::string("BTCUSDT"),                   // fits the small-string buffer: 0
                  .order_id = std::string("BN-3400000001-B"),         // 15 characters: still fits
                  .strategy = std::string("rsi_macd_confluence_v2"),  // 22 characters: 23 bytes
                  .note = std::string(120, 'n')};                     // 121 bytes
    EXPECT_EQ(heap_bytes(t), 23u + 121u);
    // Assigned to an empty string, 22 characters get libstdc++'s doubled capacity of 30: 31 bytes.
    t.strategy.clear();
    t.strategy.shrink_to_fit();
    t.strategy = "rsi_macd_confluence_v2";
    EXPECT_EQ(heap_bytes(t), 31u + 121u);
}

TEST(TransactionHistory, RingKeepsTheNewestAndFootprintIsExact) {
    TransactionHistory history(TransactionPolicy::ring_buffer, ring_of(3));
    for (std::uint64_t i = 0; i < 5; ++i) {
        Transaction t;
        t.id = i;
        t.strategy = "rsi_macd_confluence_v2";
        t.note = std::string(120, 'n');
        history.add(t);
    }
    ASSERT_EQ(history.size(), 3u);
    EXPECT_EQ(history[0].id, 2u);
    EXPECT_EQ(history[2].id, 4u);
    EXPECT_EQ(history.total_recorded(), 5u);
    EXPECT_EQ(history.archived_count(), 0u);
    ComponentFootprint f = history.footprint();
    EXPECT_EQ(f.component, "transactions");
    EXPECT_EQ(f.issue, "issue-3");
    EXPECT_EQ(f.items, 3u);
    EXPECT_EQ(f.bytes, 3 * (sizeof(Transaction) + 23 + 121));
    std::vector<Transaction> all = history.all_transactions();
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[0].id, 2u);
}

TEST(TransactionHistory, LeakyGrowsWhileEveryFixStaysBounded) {
    constexpr std::uint64_t kTrades = 5000;
    const testing::TempDir dir;
    const fs::path archive_path = dir / "transactions.archive";
    TransactionHistory leaky(TransactionPolicy::leaky);
    TransactionHistory ring(TransactionPolicy::ring_buffer, ring_of(100));
    TransactionHistory archive(TransactionPolicy::archive, {.archive_path = archive_path});
    for (std::uint64_t i = 0; i < kTrades; ++i) {
        leaky.add(realistic_trade(i));
        ring.add(realistic_trade(i));
        archive.add(realistic_trade(i));
    }
    ComponentFootprint grown = leaky.footprint();
    EXPECT_EQ(grown.items, kTrades);
    EXPECT_EQ(ring.footprint().items, 100u);
    EXPECT_EQ(ring[0].id, kTrades - 100 + 1);
    // Archiving runs at 501 in memory and keeps 100: twelve runs by trade 4912, then 88 more.
    EXPECT_EQ(archive.footprint().items, 188u);
    EXPECT_EQ(archive.archived_count(), 12u * 401u);
    EXPECT_GT(grown.bytes, 10 * ring.footprint().bytes);
    EXPECT_GT(grown.bytes, 10 * archive.footprint().bytes);
    // Leaky: at least the study's ~500 bytes per transaction.
    EXPECT_GT(grown.bytes, kTrades * 500);
}

TEST(TransactionHistory, ArchivePolicyReadsBackTenThousandTradesWhole) {
    constexpr std::uint64_t kTrades = 10'000;
    const testing::TempDir dir;
    const fs::path archive_path = dir / "transactions.archive";
    std::vector<Transaction> expected;
    {
        TransactionHistory history(TransactionPolicy::archive, {.archive_path = archive_path});
        for (std::uint64_t i = 0; i < kTrades; ++i) {
            expected.push_back(realistic_trade(i));
            history.add(expected.back());
            ASSERT_LE(history.size(), 500u);
        }
        EXPECT_EQ(history.total_recorded(), kTrades);
        EXPECT_EQ(history.archived_count() + history.size(), kTrades);
        EXPECT_EQ(history.all_transactions(), expected);  // every field, doubles bit for bit
    }
    // A later run appends to the same archive and still gives back everything, the earlier run's archived part
    // first (its in-memory tail was never archived).
    TransactionHistory next_run(TransactionPolicy::archive, {.archive_path = archive_path});
    ASSERT_NE(next_run.archive(), nullptr);
    std::size_t archived_before = next_run.archive()->recovery().records;
    EXPECT_EQ(archived_before, 24u * 401u);
    EXPECT_FALSE(next_run.archive()->recovery().torn_tail);
    next_run.add(realistic_trade(kTrades));
    std::vector<Transaction> all = next_run.all_transactions();
    ASSERT_EQ(all.size(), archived_before + 1);
    EXPECT_EQ(all[archived_before - 1], expected[archived_before - 1]);
    EXPECT_EQ(all.back(), realistic_trade(kTrades));
}

TEST(TransactionHistory, RejectsInvalidOptions) {
    auto message_for = [](TransactionPolicy policy, TransactionHistoryOptions options) {
        return testing::message_of<Error>([&] { TransactionHistory history(policy, options); });
    };
    EXPECT_EQ(message_for(TransactionPolicy::ring_buffer, ring_of(0)),
              "transaction history: ring_capacity must be at least 1, got 0");
    EXPECT_EQ(message_for(TransactionPolicy::archive, {}),
              "transaction history: the archive policy needs an archive_path");
    EXPECT_EQ(message_for(TransactionPolicy::archive,
                          {.archive_threshold = 100, .archive_keep = 100, .archive_path = "unused.archive"}),
              "transaction history: archive_keep (100) must be less than archive_threshold (100)");
}

}  // namespace
}  // namespace memsoak::engine
