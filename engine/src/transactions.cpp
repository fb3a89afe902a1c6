#include "memsoak/engine/transactions.hpp"

#include <fmt/format.h>
#include <span>

#include "memsoak/engine/error.hpp"
#include "memsoak/engine/transaction_archive.hpp"

namespace memsoak::engine {
namespace {

std::size_t in_memory_bound(TransactionPolicy policy, const TransactionHistoryOptions& options) {
    // The archive policy's bound is enforced by archiving, not by the ring.
    return policy == TransactionPolicy::ring_buffer ? options.ring_capacity : RingBuffer<Transaction>::unbounded;
}

void check_options(TransactionPolicy policy, const TransactionHistoryOptions& options) {
    if (policy == TransactionPolicy::ring_buffer && options.ring_capacity == 0) {
        throw Error("transaction history: ring_capacity must be at least 1, got 0");
    }
    if (policy != TransactionPolicy::archive) return;
    if (options.archive_path.empty()) throw Error("transaction history: the archive policy needs an archive_path");
    if (options.archive_keep >= options.archive_threshold) {
        throw Error(fmt::format("transaction history: archive_keep ({}) must be less than archive_threshold ({})",
                                options.archive_keep, options.archive_threshold));
    }
}

}  // namespace

std::uint64_t heap_bytes(const Transaction& t) {
    return heap_bytes(t.symbol) + heap_bytes(t.order_id) + heap_bytes(t.strategy) + heap_bytes(t.note);
}

TransactionHistory::TransactionHistory(TransactionPolicy policy, Options options)
    : policy_(policy), options_(std::move(options)), records_(in_memory_bound(policy_, options_)) {
    check_options(policy_, options_);
    if (policy_ == TransactionPolicy::archive) {
        archive_ = std::make_unique<TransactionArchive>();
        archive_->open(options_.archive_path);
    }
}

TransactionHistory::~TransactionHistory() = default;
TransactionHistory::TransactionHistory(TransactionHistory&&) noexcept = default;
TransactionHistory& TransactionHistory::operator=(TransactionHistory&&) noexcept = default;

void TransactionHistory::add(Transaction transaction) {
    Transaction& slot = records_.next_slot();  // the oldest record once a ring is full
    record_heap_bytes_ -= heap_bytes(slot);
    slot = std::move(transaction);
    record_heap_bytes_ += heap_bytes(slot);
    ++total_recorded_;
    if (policy_ == TransactionPolicy::archive && records_.size() > options_.archive_threshold) archive_oldest();
}

void TransactionHistory::archive_oldest() {
    std::size_t count = records_.size() - options_.archive_keep;
    std::span<Transaction> oldest = records_.linearize().first(count);
    archive_->append(oldest);  // on failure the records stay in memory
    for (const Transaction& t : oldest) record_heap_bytes_ -= heap_bytes(t);
    records_.erase_oldest(count);
    archived_count_ += count;
}

std::vector<Transaction> TransactionHistory::in_memory() const {
    std::vector<Transaction> out;
    out.reserve(records_.size());
    for (std::size_t i = 0; i < records_.size(); ++i) out.push_back(records_[i]);
    return out;
}

std::vector<Transaction> TransactionHistory::all_transactions() const {
    if (!archive_) return in_memory();
    ArchiveContents archived = TransactionArchive::read_all(archive_->path());
    if (archived.torn_tail) {
        throw Error(fmt::format("{}:{}: torn record at byte {} ({}) in an archive this history is appending to",
                                archive_->path().string(), archived.torn_tail->line, archived.torn_tail->byte_offset,
                                archived.torn_tail->reason));
    }
    std::vector<Transaction> out = std::move(archived.records);
    out.reserve(out.size() + records_.size());
    for (std::size_t i = 0; i < records_.size(); ++i) out.push_back(records_[i]);
    return out;
}

ComponentFootprint TransactionHistory::footprint() const {
    return {std::string(component_of(StudyIssue::issue_3)), std::string(to_string(StudyIssue::issue_3)),
            records_.slot_bytes() + record_heap_bytes_, records_.size()};
}

}  // namespace memsoak::engine
