#pragma once
// Reading what a user names as an input, within bounds (docs/reliability.md, "Limits"): a regular file of at most
// a stated size, opened without blocking, so that /dev/zero, a FIFO or a folder is refused by its type and a huge
// file by its size before anything is read; and excerpts of bad values for messages, never the whole value.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace memsoak::engine {

// Size limits per kind of input: each far above what the shipped files need (the largest scenario, ledger or
// calibration file is under 64 KiB, a production day's report 3 MB, the shipped CSVs 2 MB).
inline constexpr std::uint64_t kMaxConfigFileBytes = 16ull << 20;   // scenario, suite, ledger, calibration
inline constexpr std::uint64_t kMaxReportFileBytes = 512ull << 20;  // run, suite and merged reports
inline constexpr std::uint64_t kMaxCsvFileBytes = 256ull << 20;     // replay candles
// Longest text of a bad value quoted in a message.
inline constexpr std::size_t kMaxExcerptChars = 60;

// An open input: a regular file checked by type and size on the descriptor it reads from (no race between the
// check and the read). Throws engine::Error naming the file and what was expected.
class InputFile {
public:
    InputFile(const std::filesystem::path& file, std::uint64_t max_bytes);
    InputFile(const InputFile&) = delete;
    InputFile& operator=(const InputFile&) = delete;
    ~InputFile();

    // Up to `capacity` bytes into `buffer`; 0 at the end. Throws when the file grows past its limit while read.
    std::size_t read(char* buffer, std::size_t capacity);
    // The rest of the file.
    std::string read_all();
    std::uint64_t size() const { return size_; }

private:
    std::filesystem::path file_;
    std::uint64_t max_bytes_;
    std::uint64_t size_ = 0;
    std::uint64_t read_ = 0;
    int fd_ = -1;
};

// The whole of a regular file of at most `max_bytes`.
std::string read_input_file(const std::filesystem::path& file, std::uint64_t max_bytes);

// What kind of thing a path names, for messages: "a folder", "a FIFO", "a character device", ...; empty for a
// regular file or nothing.
std::string describe_non_regular(const std::filesystem::path& path);

// `text` for a message: control bytes as \xNN, and at most kMaxExcerptChars characters followed by
// "... (N bytes)" when longer.
std::string excerpt(std::string_view text);

}  // namespace memsoak::engine
