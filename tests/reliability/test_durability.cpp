// Durability of the transaction archive (study issue #3, option 2): a writer killed with SIGKILL at random points
// never loses a record the archive acknowledged, a torn last record is detected and reported (never skipped in
// silence, never misread), and reopening the archive recovers from it.
//
// kill -9 tests what a crash of the process can do: every write(2) that returned is in the page cache, so only a
// write cut short by the kill tears a record. Power loss can also drop page-cache data that was not yet synced;
// that is what append()'s fdatasync is for (docs/reliability.md), and no test on a running machine can show it.
// Torn tails are therefore also injected, as a power loss or a partial write would leave them.

#include <signal.h>

#include <charconv>
#include <cstdint>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "helpers/numbered_transaction.hpp"
#include "memsoak/engine/transaction_archive.hpp"
#include "support/files.hpp"
#include "support/processes.hpp"
#include "support/temp_dir.hpp"

namespace memsoak::reliability {
namespace {

using namespace memsoak::testing;

namespace fs = std::filesystem;
using engine::ArchiveContents;
using engine::TornTail;
using engine::TransactionArchive;

constexpr auto kSafetyLimit = std::chrono::seconds(30);

// What one writer run printed: what opening the archive found, then the ids the archive acknowledged.
struct WriterOutput {
    bool opened = false;
    std::string open_line;  // without the newline
    std::vector<std::uint64_t> acknowledged;
};

// Only whole lines count: the writer may be killed between the bytes of a line.
WriterOutput parse_writer_output(const std::string& text) {
    WriterOutput output;
    std::size_t start = 0;
    for (std::size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
        const std::string_view line(text.data() + start, end - start);
        if (line.starts_with("open ")) {
            output.opened = true;
            output.open_line = std::string(line);
        } else if (line.starts_with("ack ")) {
            std::uint64_t id = 0;
            std::from_chars(line.data() + 4, line.data() + line.size(), id);
            output.acknowledged.push_back(id);
        }
    }
    return output;
}

std::string expected_open_line(std::size_t records, const std::optional<TornTail>& torn) {
    return torn ? fmt::format("open records={} torn={}:{}", records, torn->byte_offset, torn->line)
                : fmt::format("open records={} torn=none", records);
}

// The archive holds exactly 1..N in order, each record as written; returns N.
std::size_t check_records(const ArchiveContents& contents) {
    for (std::size_t i = 0; i < contents.records.size(); ++i) {
        const engine::Transaction& record = contents.records[i];
        if (record.id != i + 1) {
            ADD_FAILURE() << "record " << i << " has id " << record.id << ", expected " << i + 1;
            return i;
        }
        if (record != numbered_transaction(record.id)) {
            ADD_FAILURE() << "record " << record.id << " reads back different from what was written";
            return i;
        }
    }
    return contents.records.size();
}

// The last whole line of an archive that ends in a newline.
std::string last_line(const std::string& data) {
    const std::size_t previous_newline = data.rfind('\n', data.size() - 2);
    return data.substr(previous_newline + 1, data.size() - previous_newline - 2);
}

TEST(ArchiveDurability, KillNineAtRandomPointsLosesNothingAcknowledgedAndTornTailsAreReported) {
    constexpr int kKills = 40;
    constexpr int kInjectEvery = 4;  // one round in four leaves a torn tail behind, as a power loss could
    TempDir dir;
    const fs::path archive = dir / "trades.archive";
    const fs::path output_file = dir / "writer.out";
    std::mt19937_64 random(20251002);

    std::vector<std::uint64_t> acknowledged;  // over every run, in order
    std::size_t records_on_disk = 0;
    std::optional<TornTail> torn_on_disk;
    int torn_by_a_kill = 0;
    int injected = 0;

    for (int round = 0; round < kKills; ++round) {
        SCOPED_TRACE(fmt::format("round {}", round));
        const std::size_t acks_before_kill = std::uniform_int_distribution<std::size_t>(0, 12)(random);
        const auto extra_delay = std::chrono::microseconds(std::uniform_int_distribution<int>(0, 3000)(random));
        {
            ChildProcess writer({MEMSOAK_ARCHIVE_WRITER, archive.string(), "1000000"}, output_file);
            // The kill lands somewhere in the append loop: after the open and a random number of acknowledgements,
            // plus a random delay that puts it before, inside or after the next write and fdatasync.
            ASSERT_TRUE(wait_until(
                [&] {
                    const WriterOutput seen = parse_writer_output(read_text(output_file));
                    return (seen.opened && seen.acknowledged.size() >= acks_before_kill) || writer.try_wait();
                },
                kSafetyLimit));
            std::this_thread::sleep_for(extra_delay);
            writer.send(SIGKILL);
            const ExitStatus status = writer.wait();
            ASSERT_EQ(status.signal, SIGKILL) << read_text(output_file);
        }
        const WriterOutput output = parse_writer_output(read_text(output_file));
        // Opening reported exactly what the previous round left: the whole records, and the torn tail it cut away.
        EXPECT_EQ(output.open_line, expected_open_line(records_on_disk, torn_on_disk));
        acknowledged.insert(acknowledged.end(), output.acknowledged.begin(), output.acknowledged.end());

        const ArchiveContents contents = TransactionArchive::read_all(archive);
        records_on_disk = check_records(contents);
        ASSERT_EQ(records_on_disk, contents.records.size());
        // Every acknowledged id is in 1..N, and 1..N holds each id once, in order.
        if (!acknowledged.empty()) {
            EXPECT_LE(acknowledged.back(), records_on_disk) << "an acknowledged record was lost";
        }
        torn_on_disk = contents.torn_tail;
        if (torn_on_disk) {
            // A write cut short by the kill: only unacknowledged bytes can be torn.
            ++torn_by_a_kill;
            EXPECT_EQ(torn_on_disk->line, records_on_disk + 2);  // the header is line 1
        }

        if (round % kInjectEvery == kInjectEvery - 1 && !torn_on_disk && records_on_disk > 0) {
            // Alternately a record cut anywhere before its newline, and a whole line whose bytes went bad.
            const std::string data = read_text(archive);
            const std::string line = last_line(data);
            std::string garbage;
            std::string reason;
            if (injected % 2 == 0) {
                garbage = line.substr(0, std::uniform_int_distribution<std::size_t>(1, line.size())(random));
                reason = "no newline at end of file";
            } else {
                garbage = line + "\n";
                garbage[garbage.size() / 2] ^= 0x01;
                reason = "checksum mismatch: stored " + line.substr(0, 8) + ", computed ";
            }
            write_text(archive, data + garbage);
            ++injected;
            const ArchiveContents torn = TransactionArchive::read_all(archive);
            ASSERT_TRUE(torn.torn_tail) << "a torn last record went unreported: " << garbage;
            EXPECT_EQ(torn.torn_tail->byte_offset, data.size());
            EXPECT_EQ(torn.torn_tail->line, records_on_disk + 2);
            EXPECT_EQ(torn.torn_tail->reason.rfind(reason, 0), 0u) << torn.torn_tail->reason;
            EXPECT_EQ(torn.records.size(), records_on_disk);
            torn_on_disk = torn.torn_tail;
        }
    }

    // A last run to completion: it recovers what the last kill left, appends, and the archive reads back whole.
    ChildProcess writer({MEMSOAK_ARCHIVE_WRITER, archive.string(), "20"}, output_file);
    ASSERT_EQ(writer.wait().exit_code, 0) << read_text(output_file);
    const WriterOutput output = parse_writer_output(read_text(output_file));
    EXPECT_EQ(output.open_line, expected_open_line(records_on_disk, torn_on_disk));
    acknowledged.insert(acknowledged.end(), output.acknowledged.begin(), output.acknowledged.end());
    const ArchiveContents contents = TransactionArchive::read_all(archive);
    EXPECT_FALSE(contents.torn_tail);
    EXPECT_EQ(check_records(contents), contents.records.size());
    for (std::size_t i = 1; i < acknowledged.size(); ++i) {
        ASSERT_LT(acknowledged[i - 1], acknowledged[i]) << "acknowledged twice or out of order";
    }
    EXPECT_GT(acknowledged.size(), static_cast<std::size_t>(kKills)) << "too few appends got through to test";
    EXPECT_LE(acknowledged.back(), contents.records.size());
    EXPECT_GT(injected, 0);
    RecordProperty("acknowledged", static_cast<int>(acknowledged.size()));
    RecordProperty("torn_by_a_kill", torn_by_a_kill);
    RecordProperty("torn_injected", injected);
}

}  // namespace
}  // namespace memsoak::reliability
