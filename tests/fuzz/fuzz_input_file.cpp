#include "fuzz_input_file.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace memsoak::fuzz {
namespace {

[[noreturn]] void give_up(const char* what) {
    std::perror(what);
    std::abort();
}

}  // namespace

const std::filesystem::path& input_file(const std::uint8_t* data, std::size_t size) {
    static const int fd = [] {
        const int created = ::memfd_create("memsoak-fuzz-input", MFD_CLOEXEC);
        if (created < 0) give_up("memfd_create");
        return created;
    }();
    static const std::filesystem::path path = "/proc/self/fd/" + std::to_string(fd);
    if (::ftruncate(fd, 0) != 0) give_up("ftruncate");
    for (std::size_t written = 0; written < size;) {
        const ssize_t n = ::pwrite(fd, data + written, size - written, static_cast<off_t>(written));
        if (n <= 0) give_up("pwrite");
        written += static_cast<std::size_t>(n);
    }
    return path;
}

}  // namespace memsoak::fuzz
