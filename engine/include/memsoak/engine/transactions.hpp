#pragma once
// Study issue #3 (logger.py:180): the transaction history. The leaky policy is the study's list that grows
// forever; option 1 keeps the last ring_capacity records (a circular buffer); option 2 keeps at most
// archive_threshold in memory, moving all but the newest archive_keep to an append-only archive file.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "memsoak/engine/analyzer.hpp"
#include "memsoak/engine/footprint.hpp"
#include "memsoak/engine/policies.hpp"
#include "memsoak/engine/ring_buffer.hpp"

namespace memsoak::engine {

// One executed trade. With its strings a record retains about 300-600 bytes, the study's "~500 bytes".
struct Transaction {
    std::uint64_t id = 0;
    std::int64_t timestamp = 0;  // Unix seconds (virtual time)
    std::string symbol;          // e.g. "BTCUSDT"
    TradeAction side = TradeAction::hold;
    double quantity = 0;   // units of the traded asset
    double price = 0;      // fill price in the quote currency
    double fee = 0;        // in the quote currency
    double pnl = 0;        // realised profit or loss of the trade, in the quote currency
    std::string order_id;  // the exchange's order id
    std::string strategy;  // the strategy that decided the trade
    std::string note;      // why: e.g. "RSI oversold + MACD cross; stop 28712.40; conf 0.74"

    friend bool operator==(const Transaction&, const Transaction&) = default;
};

// Heap bytes the record owns beyond the object itself (its strings' buffers).
std::uint64_t heap_bytes(const Transaction& transaction);

class TransactionArchive;

struct TransactionHistoryOptions {
    std::size_t ring_capacity = 1000;     // ring_buffer: records kept (>= 1)
    std::size_t archive_threshold = 500;  // archive: archiving runs when more than this many are in memory
    std::size_t archive_keep = 100;       // archive: the newest records left in memory (< archive_threshold)
    std::filesystem::path archive_path;   // archive: the archive file, created or appended to
};

class TransactionHistory {
public:
    using Options = TransactionHistoryOptions;

    // Under the archive policy opens the archive (see TransactionArchive::open); throws engine::Error for invalid
    // options or an archive that cannot be opened.
    explicit TransactionHistory(TransactionPolicy policy, Options options = {});
    ~TransactionHistory();
    TransactionHistory(TransactionHistory&&) noexcept;
    TransactionHistory& operator=(TransactionHistory&&) noexcept;

    // Records a trade. Under the archive policy this may write (and fdatasync) a batch to the archive; if that
    // fails, engine::Error is thrown and the batch stays in memory, to be retried by the next add().
    void add(Transaction transaction);

    // The records in memory, 0 the oldest.
    std::size_t size() const { return records_.size(); }
    const Transaction& operator[](std::size_t i) const { return records_[i]; }
    std::vector<Transaction> in_memory() const;

    // add() calls since construction.
    std::uint64_t total_recorded() const { return total_recorded_; }
    // Records this history moved to the archive.
    std::uint64_t archived_count() const { return archived_count_; }
    // The full history this policy can give back, oldest first: under the archive policy every record in the
    // archive file (earlier runs' included) followed by those in memory; otherwise those in memory.
    // Throws engine::Error if the archive cannot be read back whole.
    std::vector<Transaction> all_transactions() const;

    TransactionPolicy policy() const { return policy_; }
    // The archive under the archive policy (what opening it found: TransactionArchive::recovery()), else null.
    const TransactionArchive* archive() const { return archive_.get(); }

    // Component "transactions", issue "issue-3"; items are the records in memory.
    ComponentFootprint footprint() const;

private:
    void archive_oldest();

    TransactionPolicy policy_;
    Options options_;
    RingBuffer<Transaction> records_;
    std::uint64_t record_heap_bytes_ = 0;  // sum of heap_bytes() over records_
    std::uint64_t total_recorded_ = 0;
    std::uint64_t archived_count_ = 0;
    std::unique_ptr<TransactionArchive> archive_;
};

}  // namespace memsoak::engine
