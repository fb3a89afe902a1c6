#include "memsoak/engine/input_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "memsoak/engine/error.hpp"

namespace memsoak::engine {
namespace {

std::string kind_of_mode(mode_t mode) {
    if (S_ISDIR(mode)) return "a folder";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISSOCK(mode)) return "a socket";
    if (S_ISREG(mode)) return "";
    return "not a regular file";
}

std::string size_text(std::uint64_t bytes) {
    if (bytes >= (1ull << 20)) return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1 << 20));
    if (bytes >= (1ull << 10)) return fmt::format("{:.1f} KiB", static_cast<double>(bytes) / (1 << 10));
    return fmt::format("{} B", bytes);
}

[[noreturn]] void too_large(const std::filesystem::path& file, std::string_view size, std::uint64_t max_bytes) {
    throw Error(fmt::format("{}: expected a file of at most {} (memsoak's limit for this kind of input), got {}",
                            file.string(), size_text(max_bytes), size));
}

}  // namespace

InputFile::InputFile(const std::filesystem::path& file, std::uint64_t max_bytes) : file_(file), max_bytes_(max_bytes) {
    // O_NONBLOCK: opening a FIFO with no writer would otherwise wait forever, before its type could be checked.
    fd_ = ::open(file.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd_ < 0) throw Error(fmt::format("{}: cannot open file: {}", file.string(), std::strerror(errno)));
    struct stat status {};
    if (::fstat(fd_, &status) != 0) {
        const int error = errno;
        ::close(fd_);
        throw Error(fmt::format("{}: cannot read file: {}", file.string(), std::strerror(error)));
    }
    if (const std::string kind = kind_of_mode(status.st_mode); !kind.empty()) {
        ::close(fd_);
        throw Error(fmt::format("{}: expected a regular file, got {}", file.string(), kind));
    }
    size_ = static_cast<std::uint64_t>(status.st_size);
    if (size_ > max_bytes_) {
        ::close(fd_);
        too_large(file, size_text(size_), max_bytes_);
    }
    // Reads of a regular file never block; clearing the flag keeps the semantics plain all the same.
    ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) & ~O_NONBLOCK);
}

InputFile::~InputFile() {
    if (fd_ >= 0) ::close(fd_);
}

std::size_t InputFile::read(char* buffer, std::size_t capacity) {
    while (true) {
        const ssize_t got = ::read(fd_, buffer, capacity);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) throw Error(fmt::format("{}: cannot read file: {}", file_.string(), std::strerror(errno)));
        read_ += static_cast<std::uint64_t>(got);
        // A file that grows while read (a log being written, a /proc file whose size reads 0) is held to the limit.
        if (read_ > max_bytes_) too_large(file_, fmt::format("more than {}", size_text(max_bytes_)), max_bytes_);
        return static_cast<std::size_t>(got);
    }
}

std::string InputFile::read_all() {
    std::string text;
    text.reserve(static_cast<std::size_t>(size_));
    char buffer[1 << 16];
    while (const std::size_t got = read(buffer, sizeof buffer)) text.append(buffer, got);
    return text;
}

std::string read_input_file(const std::filesystem::path& file, std::uint64_t max_bytes) {
    InputFile input(file, max_bytes);
    return input.read_all();
}

std::string describe_non_regular(const std::filesystem::path& path) {
    struct stat status {};
    if (::stat(path.c_str(), &status) != 0) return "";
    return kind_of_mode(status.st_mode);
}

std::string excerpt(std::string_view text) {
    std::string out;
    std::size_t shown = 0;
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        // Cut at the limit, but never inside a UTF-8 sequence (a continuation byte is 10xxxxxx).
        if (shown >= kMaxExcerptChars && (byte & 0xC0) != 0x80) break;
        if (byte < 0x20 || byte == 0x7f) {
            out += fmt::format("\\x{:02x}", byte);
        } else {
            out += c;
        }
        ++shown;
    }
    if (shown < text.size()) out += fmt::format("... ({} bytes)", text.size());
    return out;
}

}  // namespace memsoak::engine
