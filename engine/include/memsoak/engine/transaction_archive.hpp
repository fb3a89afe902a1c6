#pragma once
// The transaction archive of study issue #3, option 2: an append-only text file, one record per line, each line
// carrying a CRC-32 of its content, so that a record torn by a crash is recognised rather than misread.
//
// Format (version 1):
//   line 1:  "# memsoak transaction archive v1: crc32 id timestamp symbol side quantity price fee pnl order_id
//             strategy note" (one line)
//   records: "<crc32 as 8 lowercase hex digits> <fields>\n", where <fields> are the record's fields in the order
//            of the header, separated by tabs; the CRC-32 (IEEE) covers <fields>. Strings escape backslash, tab,
//            newline and carriage return as \\ \t \n \r; doubles are written in their shortest form that reads
//            back to the same bits; side is "buy", "sell" or "hold".

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "memsoak/engine/transactions.hpp"

namespace memsoak::engine {

// The last line of an archive when it is not a whole record: the writer died mid-append.
struct TornTail {
    std::uint64_t byte_offset = 0;  // where the torn line starts: the archive's valid content ends here
    std::size_t line = 0;           // its line number, 1-based (the header is line 1)
    std::string reason;             // e.g. "no newline at end of file", "checksum mismatch: ..."

    friend bool operator==(const TornTail&, const TornTail&) = default;
};

struct ArchiveContents {
    std::vector<Transaction> records;   // every whole record, in file order
    std::optional<TornTail> torn_tail;  // set when the last line is torn; its record is not in `records`
};

// What open() found in an existing archive.
struct ArchiveRecovery {
    std::size_t records = 0;            // whole records already in the file
    std::optional<TornTail> torn_tail;  // a torn last line, now truncated away
    std::uint64_t discarded_bytes = 0;  // bytes truncated with it (0 without a torn tail)
};

class TransactionArchive {
public:
    static constexpr int kFormatVersion = 1;

    TransactionArchive() = default;
    ~TransactionArchive();
    TransactionArchive(TransactionArchive&& other) noexcept;
    TransactionArchive& operator=(TransactionArchive&& other) noexcept;
    TransactionArchive(const TransactionArchive&) = delete;
    TransactionArchive& operator=(const TransactionArchive&) = delete;

    // Opens `path` for appending, creating it (with its header) if missing. An existing archive is read and
    // checked first: a torn last line is truncated away, so new records are not glued to its remains; what was
    // found is returned and kept in recovery(). Throws engine::Error (path and OS error, or the place of the
    // corruption) if the file cannot be opened, is not an archive, or is corrupt before its last line.
    const ArchiveRecovery& open(const std::filesystem::path& path);

    // Appends the batch with one write loop, then fdatasync. A batch acknowledged by append() (it returned)
    // survives kill -9 and power loss. On failure the file is cut back to its length before the call, so a retry
    // does not duplicate records, and engine::Error names the path and the OS error.
    void append(std::span<const Transaction> batch);

    bool is_open() const { return fd_ >= 0; }
    void close();
    const std::filesystem::path& path() const { return path_; }
    const ArchiveRecovery& recovery() const { return recovery_; }

    // Reads a whole archive. A torn last line is reported in torn_tail; a line that fails its checksum before the
    // last one throws engine::Error "<path>:<line>: checksum mismatch: stored ..., computed ...; ...", as does
    // anything else that is not a record of this format (naming the line and the field).
    static ArchiveContents read_all(const std::filesystem::path& path);

private:
    int fd_ = -1;
    std::filesystem::path path_;
    std::uint64_t end_offset_ = 0;  // length of the file's valid content
    ArchiveRecovery recovery_;
};

}  // namespace memsoak::engine
