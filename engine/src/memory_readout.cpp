#include "memsoak/engine/memory_readout.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <string_view>

#include "memsoak/engine/error.hpp"

namespace memsoak::engine {
namespace {

constexpr const char* kStatmPath = "/proc/self/statm";

[[noreturn]] void statm_error(std::string_view what, int error_number) {
    throw Error(fmt::format("{}: {}: {}", kStatmPath, what, std::strerror(error_number)));
}

}  // namespace

std::uint64_t current_rss_bytes() {
    // POSIX calls rather than a stream: the status bar may refresh often, and this keeps one read per call.
    int fd = ::open(kStatmPath, O_RDONLY | O_CLOEXEC);
    if (fd < 0) statm_error("cannot open", errno);
    char buffer[128];
    ssize_t length;
    do {
        length = ::read(fd, buffer, sizeof buffer);
    } while (length < 0 && errno == EINTR);
    int read_errno = errno;
    ::close(fd);
    if (length < 0) statm_error("cannot read", read_errno);

    // Fields: size resident shared text lib data dt, all in pages.
    std::string_view text(buffer, static_cast<std::size_t>(length));
    std::size_t resident_start = text.find(' ');
    std::uint64_t resident_pages = 0;
    bool parsed =
        resident_start != std::string_view::npos &&
        std::from_chars(text.data() + resident_start + 1, text.data() + text.size(), resident_pages).ec == std::errc();
    if (!parsed) {
        throw Error(fmt::format("{}: expected \"size resident ...\" in pages, got \"{}\"", kStatmPath, text));
    }
    return resident_pages * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

std::string format_memory(std::uint64_t bytes) {
    return fmt::format("Memory: {:.1f} MB", static_cast<double>(bytes) / 1024.0 / 1024.0);
}

}  // namespace memsoak::engine
