#include "canvas_file.hpp"

#include <fmt/format.h>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "memsoak/engine/error.hpp"

namespace memsoak::engine {

void write_whole_file(const std::filesystem::path& file, std::string_view bytes) {
    // stdio rather than ofstream: it reports why a call failed through errno.
    std::FILE* stream = std::fopen(file.c_str(), "wb");
    if (stream == nullptr) {
        throw Error(fmt::format("cannot open '{}' for writing: {}", file.string(), std::strerror(errno)));
    }
    const bool written = std::fwrite(bytes.data(), 1, bytes.size(), stream) == bytes.size();
    const int write_errno = errno;
    const bool closed = std::fclose(stream) == 0;  // flushes: a full disk may only show here
    if (!written || !closed) {
        throw Error(fmt::format("cannot write '{}': {}", file.string(), std::strerror(written ? errno : write_errno)));
    }
}

}  // namespace memsoak::engine
