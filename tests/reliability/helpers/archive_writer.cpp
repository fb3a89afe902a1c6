// memsoak_archive_writer ARCHIVE COUNT: a test-only program that records COUNT numbered trades through the
// transaction history's archive policy and prints "ack <id>" for each trade the archive has acknowledged
// (TransactionArchive::append returned: written and fdatasync'ed). test_durability.cpp kills it with SIGKILL at
// random points and checks the archive against the acknowledged ids.
//
// Its first line says what opening the archive found: "open records=<n> torn=none", or
// "open records=<n> torn=<byte offset>:<line>" when a torn last record was cut away. Ids continue after the last
// record in the archive, so across any number of kills the archive must hold 1, 2, 3, ... in order.
// Exit codes: 0 done, 2 bad arguments or an engine::Error (printed).

#include <unistd.h>

#include <charconv>
#include <cstdint>
#include <iostream>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "memsoak/engine/error.hpp"
#include "memsoak/engine/transaction_archive.hpp"
#include "memsoak/engine/transactions.hpp"
#include "numbered_transaction.hpp"

namespace {

using namespace memsoak;

// Small batches, so that a kill lands between, inside and just after many appends: an archive run every 5 trades
// (more than 6 in memory), keeping the newest 2 in memory as the fixed application does with its last 100.
constexpr std::size_t kArchiveThreshold = 6;
constexpr std::size_t kArchiveKeep = 2;

// One write(2) per line group: unbuffered, so that everything printed before a SIGKILL reaches the output file.
void print(std::string_view text) {
    while (!text.empty()) {
        const ssize_t written = ::write(STDOUT_FILENO, text.data(), text.size());
        if (written < 0) return;  // nobody is listening any more: the test reads what it has
        text.remove_prefix(static_cast<std::size_t>(written));
    }
}

int run(const std::string& archive_path, std::uint64_t count) {
    engine::TransactionHistoryOptions options;
    options.archive_threshold = kArchiveThreshold;
    options.archive_keep = kArchiveKeep;
    options.archive_path = archive_path;
    engine::TransactionHistory history(engine::TransactionPolicy::archive, options);

    const engine::ArchiveRecovery& recovery = history.archive()->recovery();
    print(recovery.torn_tail ? fmt::format("open records={} torn={}:{}\n", recovery.records,
                                           recovery.torn_tail->byte_offset, recovery.torn_tail->line)
                             : fmt::format("open records={} torn=none\n", recovery.records));
    const std::vector<engine::Transaction> archived = history.all_transactions();
    const std::uint64_t first_id = archived.empty() ? 1 : archived.back().id + 1;

    std::uint64_t acknowledged = 0;  // trades of this run that the archive holds
    for (std::uint64_t id = first_id; id < first_id + count; ++id) {
        history.add(reliability::numbered_transaction(id));
        std::string acks;
        for (; acknowledged < history.archived_count(); ++acknowledged) {
            acks += fmt::format("ack {}\n", first_id + acknowledged);
        }
        print(acks);
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::uint64_t count = 0;
    const std::string_view count_text = argc == 3 ? argv[2] : "";
    const auto parsed = std::from_chars(count_text.data(), count_text.data() + count_text.size(), count);
    if (argc != 3 || parsed.ec != std::errc() || parsed.ptr != count_text.data() + count_text.size()) {
        std::cerr << "usage: memsoak_archive_writer ARCHIVE COUNT\n";
        return 2;
    }
    try {
        return run(argv[1], count);
    } catch (const engine::Error& e) {
        std::cerr << "memsoak_archive_writer: " << e.what() << "\n";
        return 2;
    }
}
