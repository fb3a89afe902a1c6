#include <gtest/gtest.h>
#include <bit>
#include <cmath>
#include <filesystem>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "memsoak/engine/error.hpp"
#include "memsoak/engine/transaction_archive.hpp"
#include "support/errors.hpp"
#include "support/files.hpp"
#include "support/temp_dir.hpp"

namespace memsoak::engine {
namespace {

using testing::read_text;
using testing::TempDir;
using testing::write_text;

namespace fs = std::filesystem;

const std::string kHeader =
    "# memsoak transaction archive v1: crc32 id timestamp symbol side quantity price fee pnl order_id strategy "
    "note\n";

// The record whose line is spelled out in WritesTheDocumentedFormat; its CRC-32 was computed with Python's
// zlib.crc32 over the fields.
Transaction documented_record() {
    return Transaction{7,
                       1609459200,
                       "BTCUSDT",
                       TradeAction::buy,
                       0.25,
                       28712.4,
                       7.1781,
                       -12.5,
                       "ORD-7",
                       "rsi_macd",
                       "RSI oversold\tMACD cross\nline2 \\ end"};
}
const std::string kDocumentedFields =
    "7\t1609459200\tBTCUSDT\tbuy\t0.25\t28712.4\t7.1781\t-12.5\tORD-7\trsi_macd\tRSI oversold\\tMACD cross\\nline2 "
    "\\\\ end";
const std::string kDocumentedLine = "8dfd9cba " + kDocumentedFields + "\n";

Transaction numbered_record(std::uint64_t i) {
    return Transaction{i,
                       1609459200 + static_cast<std::int64_t>(i) * 900,
                       "ETHUSDT",
                       i % 2 ? TradeAction::sell : TradeAction::buy,
                       0.5 + static_cast<double>(i) / 7.0,
                       736.42 + static_cast<double>(i) * 0.01,
                       0.3683,
                       static_cast<double>(i) - 3.3,
                       "ORD-" + std::to_string(100000 + i),
                       "bollinger_reversion",
                       "close below lower band " + std::to_string(i) + "; stop 712.05; conf 0.64"};
}

class TransactionArchiveTest : public ::testing::Test {
protected:
    void SetUp() override { path_ = directory_ / "transactions.archive"; }

    // An archive of `count` numbered records; returns the byte offset where the last line starts.
    std::uint64_t write_numbered(std::uint64_t count) {
        TransactionArchive archive;
        archive.open(path_);
        std::vector<Transaction> records;
        for (std::uint64_t i = 0; i < count; ++i) records.push_back(numbered_record(i));
        archive.append(records);
        std::string content = read_text(path_);
        return content.rfind('\n', content.size() - 2) + 1;
    }

    TempDir directory_;
    fs::path path_;
};

TEST_F(TransactionArchiveTest, WritesTheDocumentedFormat) {
    TransactionArchive archive;
    const ArchiveRecovery& recovery = archive.open(path_);
    EXPECT_EQ(recovery.records, 0u);
    EXPECT_FALSE(recovery.torn_tail);
    EXPECT_EQ(recovery.discarded_bytes, 0u);
    EXPECT_EQ(read_text(path_), kHeader);

    std::vector<Transaction> batch{documented_record()};
    archive.append(batch);
    EXPECT_EQ(read_text(path_), kHeader + kDocumentedLine);
}

TEST_F(TransactionArchiveTest, RoundTripsEveryFieldAndTheExactBitsOfDoubles) {
    const std::vector<double> tricky{0.1,
                                     1.0 / 3.0,
                                     -0.0,
                                     5e-324,
                                     1e-300,
                                     std::numeric_limits<double>::max(),
                                     123456789.12345679,
                                     std::numeric_limits<double>::infinity(),
                                     -std::numeric_limits<double>::infinity(),
                                     28712.399999999998};
    std::vector<Transaction> written;
    for (std::size_t i = 0; i < tricky.size(); ++i) {
        Transaction t = documented_record();
        t.id = std::numeric_limits<std::uint64_t>::max() - i;
        t.timestamp = -1 - static_cast<std::int64_t>(i);
        t.side = TradeAction::hold;
        t.quantity = tricky[i];
        t.price = tricky[(i + 1) % tricky.size()];
        t.fee = tricky[(i + 2) % tricky.size()];
        t.pnl = tricky[(i + 3) % tricky.size()];
        t.symbol = "";
        t.order_id = "tab\there\\t not an escape\r\n";
        t.note = "prix 28 712,40 € \\";
        written.push_back(t);
    }
    TransactionArchive archive;
    archive.open(path_);
    archive.append(written);
    archive.append(std::vector<Transaction>{documented_record()});
    written.push_back(documented_record());

    ArchiveContents read = TransactionArchive::read_all(path_);
    EXPECT_FALSE(read.torn_tail);
    ASSERT_EQ(read.records.size(), written.size());
    for (std::size_t i = 0; i < written.size(); ++i) {
        EXPECT_EQ(read.records[i], written[i]) << "record " << i;
        for (auto field : {&Transaction::quantity, &Transaction::price, &Transaction::fee, &Transaction::pnl}) {
            EXPECT_EQ(std::bit_cast<std::uint64_t>(read.records[i].*field),
                      std::bit_cast<std::uint64_t>(written[i].*field))
                << "record " << i;
        }
    }
}

TEST_F(TransactionArchiveTest, ReportsALastLineCutAnywhereAsTorn) {
    std::uint64_t last_line = write_numbered(3);
    const std::string whole = read_text(path_);
    for (std::uint64_t cut : {last_line + 1, last_line + 9, last_line + 40, whole.size() - 1}) {
        write_text(path_, whole.substr(0, cut));
        ArchiveContents read = TransactionArchive::read_all(path_);
        ASSERT_EQ(read.records.size(), 2u) << "cut at " << cut;
        EXPECT_EQ(read.records[1], numbered_record(1));
        ASSERT_TRUE(read.torn_tail) << "cut at " << cut;
        EXPECT_EQ(*read.torn_tail, (TornTail{last_line, 4, "no newline at end of file"})) << "cut at " << cut;
    }
    // Cut exactly before the last line: two whole records and nothing torn.
    write_text(path_, whole.substr(0, last_line));
    ArchiveContents read = TransactionArchive::read_all(path_);
    EXPECT_EQ(read.records.size(), 2u);
    EXPECT_FALSE(read.torn_tail);
}

TEST_F(TransactionArchiveTest, ReportsAChecksumMismatchOnTheLastLineAsTorn) {
    std::string damaged = kDocumentedLine;
    damaged.replace(damaged.find("ORD-7"), 5, "ORD-8");
    write_text(path_, kHeader + damaged);
    ArchiveContents read = TransactionArchive::read_all(path_);
    EXPECT_TRUE(read.records.empty());
    ASSERT_TRUE(read.torn_tail);
    EXPECT_EQ(*read.torn_tail, (TornTail{kHeader.size(), 2, "checksum mismatch: stored 8dfd9cba, computed 3670305f"}));
}

TEST_F(TransactionArchiveTest, CorruptionBeforeTheLastLineThrows) {
    std::string damaged = kDocumentedLine;
    damaged.replace(damaged.find("ORD-7"), 5, "ORD-8");
    write_text(path_, kHeader + damaged + kDocumentedLine);
    try {
        TransactionArchive::read_all(path_);
        FAIL() << "expected engine::Error";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()), path_.string() +
                                             ":2: checksum mismatch: stored 8dfd9cba, computed 3670305f; "
                                             "the archive is corrupt before its last record");
    }
    // Opening for append refuses too: nothing is written after a corrupt record.
    TransactionArchive archive;
    EXPECT_THROW(archive.open(path_), Error);
    EXPECT_FALSE(archive.is_open());
}

TEST_F(TransactionArchiveTest, ReopeningTruncatesATornTailBeforeAppending) {
    std::uint64_t last_line = write_numbered(3);
    std::uint64_t cut = last_line + 25;
    write_text(path_, read_text(path_).substr(0, cut));

    TransactionArchive archive;
    ArchiveRecovery recovery = archive.open(path_);
    EXPECT_EQ(recovery.records, 2u);
    ASSERT_TRUE(recovery.torn_tail);
    EXPECT_EQ(recovery.torn_tail->byte_offset, last_line);
    EXPECT_EQ(recovery.discarded_bytes, 25u);
    EXPECT_EQ(fs::file_size(path_), last_line);

    archive.append(std::vector<Transaction>{numbered_record(10), numbered_record(11)});
    ArchiveContents read = TransactionArchive::read_all(path_);
    EXPECT_FALSE(read.torn_tail);
    EXPECT_EQ(read.records, (std::vector<Transaction>{numbered_record(0), numbered_record(1), numbered_record(10),
                                                      numbered_record(11)}));
}

TEST_F(TransactionArchiveTest, ATornHeaderIsRewrittenOnOpen) {
    write_text(path_, kHeader.substr(0, 15));
    ArchiveContents read = TransactionArchive::read_all(path_);
    EXPECT_TRUE(read.records.empty());
    ASSERT_TRUE(read.torn_tail);
    EXPECT_EQ(*read.torn_tail, (TornTail{0, 1, "incomplete header: no newline at end of file"}));

    TransactionArchive archive;
    EXPECT_EQ(archive.open(path_).discarded_bytes, 15u);
    EXPECT_EQ(read_text(path_), kHeader);
}

TEST_F(TransactionArchiveTest, AnEmptyFileIsAnEmptyArchive) {
    write_text(path_, "");
    ArchiveContents read = TransactionArchive::read_all(path_);
    EXPECT_TRUE(read.records.empty());
    EXPECT_FALSE(read.torn_tail);
    TransactionArchive archive;
    archive.open(path_);
    EXPECT_EQ(read_text(path_), kHeader);
}

TEST_F(TransactionArchiveTest, RejectsFilesThatAreNotArchives) {
    auto message_for = [this](const std::string& content) {
        write_text(path_, content);
        return testing::message_of<Error>([this] { TransactionArchive::read_all(path_); });
    };
    const std::string p = path_.string();
    EXPECT_EQ(message_for("id,timestamp,price\n1,2,3\n"),
              p + ":1: not a memsoak transaction archive: expected a first line starting with "
                  "\"# memsoak transaction archive v\"");
    EXPECT_EQ(message_for("# memsoak transaction archive v2: crc32 id\n"),
              p + ":1: archive format version 2 is not supported; this build reads version 1");
    // A line with a valid checksum but a field that is not a number (CRC-32 by Python's zlib.crc32).
    EXPECT_EQ(message_for(kHeader + "33852d76 1\t2\tX\tbuy\t1\tabc\t0\t0\to\ts\tn\n"),
              p + ":2: field 'price': expected a number, got \"abc\"");
}

TEST_F(TransactionArchiveTest, OsErrorsNameThePathAndTheReason) {
    fs::path missing = directory_ / "no_such_dir" / "transactions.archive";
    TransactionArchive archive;
    try {
        archive.open(missing);
        FAIL() << "expected engine::Error";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()), missing.string() + ": cannot open archive: No such file or directory");
    }
    try {
        TransactionArchive::read_all(directory_ / "missing.archive");
        FAIL() << "expected engine::Error";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()),
                  (directory_ / "missing.archive").string() + ": cannot open archive: No such file or directory");
    }
    testing::expect_error<Error>([&] { archive.append(std::vector<Transaction>{documented_record()}); },
                                 "transaction archive: append() before open()");
}

}  // namespace
}  // namespace memsoak::engine
